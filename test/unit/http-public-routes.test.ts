// Public routes: the one way past authentication, kept to GETs under /console and checked when the
// handler is built, so no API route can be served without a token by a slip.
import { beforeAll, describe, expect, it } from 'vitest';
import { deleteGuardRoutes } from '../../functions/delete-guard/routes.js';
import { describeRoutes } from '../../functions/describe/routes.js';
import { shareRoutes } from '../../functions/share/routes.js';
import { unshareRoutes } from '../../functions/unshare/routes.js';
import { jsonResponse } from '../../shared/http/problem.js';
import { PUBLIC_PATH, checkedRoute, isPublicRoute, type AnyRoute, type PublicRoute } from '../../shared/http/routes.js';
import { event } from '../fixtures/events.js';
import { createHarness, ctx } from '../fixtures/harness.js';
import { createTestIdp, type TestIdp } from '../support/jwt.js';

const page = (path: string, extra: Partial<PublicRoute> = {}): PublicRoute => ({
  public: true,
  method: 'GET',
  path,
  async serve({ params, requestId, config }) {
    return jsonResponse(200, { params, region: config.policy.regions[0] }, requestId);
  },
  ...extra,
});

describe('public routes', () => {
  let idp: TestIdp;
  beforeAll(async () => {
    idp = await createTestIdp();
  });

  it('are served without a token, with their path parameters and the configuration; the log line names the route and no principal', async () => {
    // Prepare
    const h = await createHarness([...describeRoutes, page('/console/assets/{file}')], { idp });
    // Act
    const res = await h.handler(event('list-runs', { token: null, path: '/console/assets/app-1.js' }), ctx('pub-1'));
    // Assess
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ params: { file: 'app-1.js' }, region: 'cn-hangzhou' });
    expect(h.logs).toEqual([expect.objectContaining({ msg: 'request', requestId: 'pub-1', route: 'GET /console/assets/{file}', status: 200 })]);
    expect(h.logs[0]).not.toHaveProperty('principal');
    expect(h.calls).toEqual([]);
  });

  it('leave every API route behind authentication, a token or not on the public one', async () => {
    const h = await createHarness([...describeRoutes, page('/console')], { idp });
    const api = await h.handler(event('list-runs', { token: null }), ctx('pub-2'));
    expect(api.statusCode).toBe(401);
    const withToken = await h.handler(event('list-runs', { token: h.tokens.auditor, path: '/console' }), ctx('pub-3'));
    expect(withToken.statusCode).toBe(200);
  });

  it.each<[string, AnyRoute]>([
    ['an API path', page('/v1/images')],
    ['a path that only starts like the console', page('/consoles')],
    ['a path climbing out of the console', page('/console/../v1/images')],
    ['a POST', page('/console/settings', { method: 'POST' as 'GET' })],
    ['roles beside public', { ...page('/console'), roles: ['auditor'] } as unknown as AnyRoute],
    ['a public flag that is not true', { ...page('/console'), public: 'yes' } as unknown as AnyRoute],
  ])('refuse %s when the handler is built', async (_, route) => {
    expect(() => checkedRoute(route)).toThrow(/cannot be public: only GET routes under \/console/);
    await expect(createHarness([...describeRoutes, route], { idp })).rejects.toThrow(/cannot be public/);
  });

  it('are none of the routes of the published API', () => {
    for (const route of [...shareRoutes, ...unshareRoutes, ...describeRoutes, ...deleteGuardRoutes]) {
      expect(isPublicRoute(route), `${route.method} ${route.path}`).toBe(false);
      expect(route.path.startsWith(PUBLIC_PATH), `${route.method} ${route.path}`).toBe(false);
    }
  });
});
