import { describe, expect, it } from 'vitest';
import * as deleteGuard from '../../functions/delete-guard/index.js';
import * as describeFn from '../../functions/describe/index.js';
import * as share from '../../functions/share/index.js';
import * as unshare from '../../functions/unshare/index.js';
import { ConfigError } from '../../shared/config.js';
import { shareRoutes } from '../../functions/share/routes.js';
import { createHttpFunction } from '../../shared/http/function.js';
import { createRuntime } from '../../shared/runtime.js';
import { event } from '../fixtures/events.js';

describe('function composition roots (index.ts)', () => {
  it.each([
    ['share', share],
    ['unshare', unshare],
    ['describe', describeFn],
    ['delete-guard', deleteGuard],
  ])('%s exports handler and initialize, building nothing at import', (_, mod) => {
    expect(Object.keys(mod).sort()).toEqual(['handler', 'initialize']);
    expect(typeof mod.handler).toBe('function');
    expect(typeof mod.initialize).toBe('function');
  });

  it('the initializer fails the instance on bad configuration, naming the variable', async () => {
    const fn = createHttpFunction(shareRoutes, { runtime: () => createRuntime({ REGIONS: 'cn-hangzhou' }) });
    await expect(fn.initialize({})).rejects.toThrow(ConfigError);
    await expect(fn.initialize({})).rejects.toThrow('OWNER_ACCOUNT_ID is required');
  });

  it('the handler answers 500 with x-request-id instead of throwing when configuration is bad', async () => {
    const fn = createHttpFunction(shareRoutes, { runtime: () => createRuntime({}) });
    const res = await fn.handler(event('share-request'), { requestId: 'cold-1' });
    expect(res).toEqual({
      statusCode: 500,
      headers: { 'content-type': 'application/problem+json', 'x-request-id': 'cold-1', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
      body: JSON.stringify({ type: 'urn:image-share-governor:error:Internal', title: 'Internal error', status: 500, code: 'Internal', requestId: 'cold-1' }),
      isBase64Encoded: false,
    });
  });
});
