import { describe, expect, it } from 'vitest';
import * as deleteGuard from '../../functions/delete-guard/index.js';
import * as describeFn from '../../functions/describe/index.js';
import * as share from '../../functions/share/index.js';
import * as unshare from '../../functions/unshare/index.js';
import { ConfigError } from '../../shared/config.js';
import { shareRoutes } from '../../functions/share/routes.js';
import { unshareRoutes } from '../../functions/unshare/routes.js';
import { CONSOLE_ROUTES } from '../../functions/describe/console.js';
import { describeRoutes } from '../../functions/describe/routes.js';
import { deleteGuardRoutes } from '../../functions/delete-guard/routes.js';
import { createHttpFunction } from '../../shared/http/function.js';
import { isPublicRoute } from '../../shared/http/routes.js';
import { createRuntime } from '../../shared/runtime.js';
import { event } from '../fixtures/events.js';

describe('function composition roots (index.ts)', () => {
  it.each([
    ['share', share, shareRoutes],
    ['unshare', unshare, unshareRoutes],
    ['describe', describeFn, describeRoutes],
    ['delete-guard', deleteGuard, deleteGuardRoutes],
  ])('%s exports handler, initialize and its route table, building nothing at import', (name, mod, table) => {
    expect(Object.keys(mod).sort()).toEqual(['handler', 'initialize', 'routes']);
    expect(typeof mod.handler).toBe('function');
    expect(typeof mod.initialize).toBe('function');
    // The API routes, and (describe only) the console's public routes after them.
    expect(mod.routes.filter((r) => !isPublicRoute(r))).toEqual(table);
    expect(mod.routes.filter(isPublicRoute)).toEqual(name === 'describe' ? CONSOLE_ROUTES : []);
    expect(CONSOLE_ROUTES.map((r) => r.path)).toEqual(['/console', '/console/', '/console/settings.json', '/console/assets/{file}']);
  });

  it('createRuntime builds the real adapters without touching the network, and no FC invoker', async () => {
    const rt = createRuntime({
      REGIONS: 'cn-hangzhou',
      OWNER_ACCOUNT_ID: '1000000000000001',
      TABLESTORE_ENDPOINT: 'http://127.0.0.1:1',
      TABLESTORE_INSTANCE: 'local',
      JWT_ISSUER: 'i',
      JWT_AUDIENCE: 'a',
      JWT_JWKS: '{"keys":[{"kty":"RSA","n":"abc","e":"AQAB"}]}',
    });
    expect(Object.isFrozen(rt.config)).toBe(true);
    expect(typeof rt.store.getIdempotency).toBe('function');
    expect(typeof rt.images.addShares).toBe('function');
    expect(typeof rt.governor.requestShare).toBe('function');
    await expect(rt.invoker.invokeAsync('image-share-reconcile', {})).rejects.toMatchObject({ code: 'Internal' });
    expect(() => rt.credentials.source()).toThrow(/No credentials/);
    rt.credentials.update({ accessKeyId: 'STS.a', accessKeySecret: 's', securityToken: 't' });
    expect(rt.credentials.source()).toEqual({ accessKeyId: 'STS.a', accessKeySecret: 's', securityToken: 't' });
  });

  it('the initializer fails the instance on bad configuration, naming the variable', async () => {
    const fn = createHttpFunction(shareRoutes, { runtime: () => createRuntime({ REGIONS: 'cn-hangzhou' }) });
    await expect(fn.initialize({})).rejects.toThrow(ConfigError);
    await expect(fn.initialize({})).rejects.toThrow('OWNER_ACCOUNT_ID is required');
  });

  it('the handler answers 500 with x-request-id instead of throwing when configuration is bad, and says why in its log line', async () => {
    const fallback: string[] = [];
    const fn = createHttpFunction(shareRoutes, { runtime: () => createRuntime({}), fallbackLog: (line) => fallback.push(line) });
    const res = await fn.handler(event('share-request'), { requestId: 'cold-1' });
    expect(fallback.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'error', requestId: 'cold-1', code: 'Internal', cause: [{ name: 'ConfigError', message: 'REGIONS is required' }] }),
    ]);
    expect(res).toEqual({
      statusCode: 500,
      headers: { 'content-type': 'application/problem+json', 'x-request-id': 'cold-1', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
      body: JSON.stringify({ type: 'urn:image-share-governor:error:Internal', title: 'Internal error', status: 500, code: 'Internal', requestId: 'cold-1' }),
      isBase64Encoded: false,
    });
  });
});
