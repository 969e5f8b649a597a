// The console as the describe function serves it: the page, its settings and its fingerprinted files,
// without a token, under a strict Content-Security-Policy, read from the built folder on the first
// console request only.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes } from '../../functions/describe/console.js';
import { describeRoutes } from '../../functions/describe/routes.js';
import { buildConsole, type ConsoleAsset } from '../../scripts/build-console.js';
import { event } from '../fixtures/events.js';
import { createHarness, ctx, type Harness } from '../fixtures/harness.js';
import { createTestIdp, type TestIdp } from '../support/jwt.js';

const ROOT = join(import.meta.dirname, '../..');
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};
const csp = (connect: string) =>
  `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'`;

describe('console routes of the describe function', () => {
  let idp: TestIdp;
  let folder: string;
  let assets: ConsoleAsset[];
  let reads: number;
  let h: Harness;
  const get = (path: string, headers: Record<string, string> = {}, requestId = 'c-1') => h.handler(event('list-runs', { token: null, path, query: {}, headers }), ctx(requestId));

  beforeAll(async () => {
    idp = await createTestIdp();
    folder = mkdtempSync(join(tmpdir(), 'console-build-'));
    assets = await buildConsole({ root: ROOT, outDir: folder });
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  const withConsole = async (env: Record<string, string> = { CONSOLE_CLIENT_ID: 'isg-console' }) => {
    reads = 0;
    h = await createHarness([...describeRoutes, ...consoleRoutes(() => (reads++, folder))], { idp, env });
  };
  const script = () => assets.find((a) => a.name.endsWith('.js'))!.name;
  const style = () => assets.find((a) => a.name.endsWith('.css'))!.name;

  it('builds a page and two fingerprinted files, small enough to be no weight', () => {
    expect(assets.map((a) => a.name)).toEqual(['index.html', expect.stringMatching(/^assets\/console-[A-Z0-9]{8}\.js$/), expect.stringMatching(/^assets\/console-[A-Z0-9]{8}\.css$/)]);
    expect(readdirSync(join(folder, 'assets')).sort()).toEqual([script(), style()].map((n) => n.slice('assets/'.length)).sort());
    const gzipped = assets.reduce((n, a) => n + a.gzipBytes, 0);
    expect(gzipped).toBeLessThan(40 * 1024);
  });

  it('serves the page without a token, revalidated every time, under the strict policy', async () => {
    await withConsole();
    // Act
    const res = await get('/console');
    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.headers).toEqual({
      ...SECURITY_HEADERS,
      'content-security-policy': csp("'self' https://idp.example.test"),
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      etag: expect.stringMatching(/^"[A-Za-z0-9_-]{22}"$/),
      'x-request-id': 'c-1',
    });
    expect(res.body).toContain(`<script type="module" src="console/${script()}"></script>`);
    expect(res.body).toContain(`<link rel="stylesheet" href="console/${style()}">`);
    // No inline script or style for the policy to refuse.
    expect(res.body.match(/<script\b[^>]*>/g)).toEqual([`<script type="module" src="console/${script()}">`]);
    expect(res.body).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    // Revalidation with the ETag costs no body.
    const again = await get('/console', { 'If-None-Match': res.headers.etag! }, 'c-2');
    expect([again.statusCode, again.body, again.headers['cache-control']]).toEqual([304, '', 'no-cache']);
  });

  it('serves each fingerprinted file for good, and nothing else from the folder', async () => {
    await withConsole();
    const js = await get(`/console/${script()}`);
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-security-policy']).toBe(csp("'self' https://idp.example.test"));
    expect(js.body).toBe(readFileSync(join(folder, script()), 'utf8'));
    const css = await get(`/console/${style()}`);
    expect([css.statusCode, css.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8']);
    for (const path of ['/console/assets/console-AAAAAAAA.js', '/console/assets/index.html', '/console/assets/..%2Findex.html', '/console/assets/console.js']) {
      const res = await get(path);
      expect([path, res.statusCode, JSON.parse(res.body).code]).toEqual([path, 404, 'NotFound']);
    }
  });

  it('says how to sign in, from the configuration, and nothing secret', async () => {
    await withConsole({ CONSOLE_CLIENT_ID: 'isg-console', CONSOLE_SCOPES: 'openid api://isg/access', CONSOLE_CONNECT_ORIGINS: 'https://tokens.example.test' });
    const res = await get('/console/settings.json');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toBe(csp("'self' https://idp.example.test https://tokens.example.test"));
    expect(JSON.parse(res.body)).toEqual({
      signIn: { issuer: idp.issuer, clientId: 'isg-console', scopes: ['openid', 'api://isg/access'], audience: idp.audience, audienceParameter: 'audience' },
      rolesClaim: 'roles',
      regions: ['cn-hangzhou', 'cn-shanghai'],
    });
    await withConsole({});
    expect(JSON.parse((await get('/console/settings.json')).body)).toEqual({ signIn: null, rolesClaim: 'roles', regions: ['cn-hangzhou', 'cn-shanghai'] });
  });

  it('sends /console/ to /console, relative so a stage prefix stays', async () => {
    await withConsole();
    const res = await get('/console/');
    expect([res.statusCode, res.headers.location]).toEqual([308, '../console']);
  });

  it('reads its files on the first console request only, never for an API request', async () => {
    await withConsole();
    h.script.listRuns = async () => ({ items: [] });
    expect((await h.handler(event('list-runs', { token: h.tokens.auditor }), ctx('api-1'))).statusCode).toBe(200);
    expect(reads).toBe(0);
    await get('/console');
    await get(`/console/${script()}`);
    expect(reads).toBe(1);
  });

  it('ships a script that never parses HTML and knows which roles may decide requests', () => {
    const js = readFileSync(join(folder, script()), 'utf8');
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'setAttribute("style"', 'localStorage']) {
      expect(js.includes(sink), sink).toBe(false);
    }
    for (const operation of ['approveShareRequest:["approver","admin"]', 'rejectShareRequest:["approver","admin"]']) expect(js.includes(operation), operation).toBe(true);
  });
});
