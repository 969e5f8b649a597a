import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRoutes } from '../../functions/describe/routes.js';
import { event } from '../fixtures/events.js';
import { createHarness, ctx } from '../fixtures/harness.js';
import { createTestIdp } from '../support/jwt.js';
import type { TestIdp } from '../support/jwt.js';

describe('http auth with a remote JWKS (JWT_JWKS_URL)', () => {
  let idp: TestIdp;
  let server: Server;
  let origin: string;
  let url: string;
  let fetches = 0;
  beforeAll(async () => {
    idp = await createTestIdp();
    server = createServer((req, res) => {
      fetches++;
      // Broken key-set endpoints by path; the default serves the IdP's keys.
      if (req.url === '/error') res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream failure');
      else if (req.url === '/html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
      else if (req.url === '/no-keys') res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":"none"}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(idp.jwks));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    url = `${origin}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('fetches the keys once and verifies tokens against them', async () => {
    const h = await createHarness(describeRoutes, { idp, env: { JWT_JWKS: '', JWT_JWKS_URL: url } });
    h.script.listRuns = async () => ({ items: [] });
    const first = await h.handler(event('list-runs', { token: h.tokens.auditor }), ctx());
    const second = await h.handler(event('list-runs', { token: await idp.signToken({ sub: 'x', roles: ['admin'] }, { alg: 'ES256' }) }), ctx());
    const foreign = await h.handler(event('list-runs', { token: await (await createTestIdp()).signToken({ sub: 'x', roles: ['admin'] }) }), ctx());
    expect([first.statusCode, second.statusCode, foreign.statusCode]).toEqual([200, 200, 401]);
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(2);
  });

  it('answers 503 UpstreamUnavailable, not 401, when the JWKS cannot be fetched', async () => {
    const dead = 'http://127.0.0.1:9/.well-known/jwks.json';
    const h = await createHarness(describeRoutes, { idp, env: { JWT_JWKS: '', JWT_JWKS_URL: dead } });
    const res = await h.handler(event('list-runs', { token: h.tokens.auditor }), ctx('req-jwks'));
    expect([res.statusCode, JSON.parse(res.body).code, res.headers['retry-after']]).toEqual([503, 'UpstreamUnavailable', '1']);
  });

  it.each(['/error', '/html', '/no-keys'])('answers 503, not 401, when the JWKS endpoint %s answers no usable key set', async (path) => {
    const h = await createHarness(describeRoutes, { idp, env: { JWT_JWKS: '', JWT_JWKS_URL: `${origin}${path}` } });
    const res = await h.handler(event('list-runs', { token: h.tokens.auditor }), ctx('req-broken'));
    expect([res.statusCode, JSON.parse(res.body).code, res.headers['retry-after'], res.headers['www-authenticate']]).toEqual([503, 'UpstreamUnavailable', '1', undefined]);
    expect(h.logs).toEqual([expect.objectContaining({ level: 'error', status: 503, cause: expect.any(Array) })]);
  });
});
