import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportSPKI, importJWK } from 'jose';
import { deleteGuardRoutes } from '../../functions/delete-guard/routes.js';
import { describeRoutes } from '../../functions/describe/routes.js';
import { shareRoutes } from '../../functions/share/routes.js';
import { unshareRoutes } from '../../functions/unshare/routes.js';
import type { Governor } from '../../shared/domain/governor.js';
import { ROLES } from '../../shared/domain/model.js';
import type { Route } from '../../shared/http/routes.js';
import { event } from '../fixtures/events.js';
import type { FixtureName } from '../fixtures/events.js';
import { createHarness, ctx, problemHeaders } from '../fixtures/harness.js';
import type { Harness } from '../fixtures/harness.js';
import { createTestIdp } from '../support/jwt.js';

const ALL_ROUTES: readonly Route[] = [...shareRoutes, ...unshareRoutes, ...describeRoutes, ...deleteGuardRoutes];

/** The recorded event for each route. */
const FIXTURE_OF: Record<string, FixtureName> = {
  requestShare: 'share-request',
  approveShareRequest: 'approve',
  rejectShareRequest: 'reject',
  unshareImage: 'unshare',
  describeImage: 'describe-image',
  listImages: 'list-images',
  listShareRequests: 'list-requests',
  getShareRequest: 'get-request',
  listImageEvents: 'list-events',
  listReconcileRuns: 'list-runs',
  getReconcileRun: 'get-run',
  listReconcileRunFindings: 'list-run-findings',
  listFindings: 'list-findings',
  listDeliveries: 'list-deliveries',
  requestImageDeletion: 'deletion-request',
  getImageDeletion: 'deletion-status',
  cancelImageDeletion: 'deletion-cancel',
};

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

const unauthenticated = (requestId: string, detail: string, invalid: boolean) => ({
  statusCode: 401,
  headers: problemHeaders(requestId, {
    'www-authenticate': invalid ? 'Bearer realm="image-share-governor", error="invalid_token"' : 'Bearer realm="image-share-governor"',
  }),
  body: JSON.stringify({
    type: 'urn:image-share-governor:error:Unauthenticated',
    title: 'A valid bearer token is required',
    status: 401,
    code: 'Unauthenticated',
    detail,
    requestId,
  }),
  isBase64Encoded: false,
});

describe('http auth: bearer JWT verification', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(describeRoutes);
    h.script.listRuns = async () => ({ items: [] });
  });
  const now = () => Math.floor(Date.now() / 1000);
  const call = (token: string | null, id = 'req-a') => h.handler(event('list-runs', { token }), ctx(id));

  it('accepts RS256 and ES256 tokens from the configured JWKS', async () => {
    const rs = await call(await h.idp.signToken({ sub: 'u1', roles: ['auditor'] }));
    const es = await call(await h.idp.signToken({ sub: 'u1', roles: ['auditor'] }, { alg: 'ES256' }));
    expect([rs.statusCode, es.statusCode]).toEqual([200, 200]);
  });

  it('reads roles given as a space- or comma-separated string', async () => {
    const spaced = await call(await h.idp.signToken({ sub: 'u1', roles: 'requester auditor' }));
    const commas = await call(await h.idp.signToken({ sub: 'u1', roles: 'requester,auditor' }));
    expect([spaced.statusCode, commas.statusCode]).toEqual([200, 200]);
  });

  it('refuses a request without a token', async () => {
    expect(await call(null, 'req-none')).toEqual(unauthenticated('req-none', 'A bearer token is required', false));
  });

  it('refuses an Authorization header that is not a bearer JWT', async () => {
    const res = await h.handler(event('list-runs', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } }), ctx('req-basic'));
    expect(res).toEqual(unauthenticated('req-basic', 'The Authorization header must be "Bearer <JWT>"', true));
  });

  const invalid: [string, () => Promise<string>][] = [
    ['expired', () => h.idp.signToken({ sub: 'u1', roles: ['admin'], exp: now() - 60, iat: now() - 3600 })],
    ['not yet valid (nbf)', () => h.idp.signToken({ sub: 'u1', roles: ['admin'], nbf: now() + 600 })],
    ['from another issuer', () => h.idp.signToken({ sub: 'u1', roles: ['admin'], iss: 'https://evil.example/' })],
    ['for another audience', () => h.idp.signToken({ sub: 'u1', roles: ['admin'], aud: 'another-api' })],
    ['without a subject', () => h.idp.signToken({ roles: ['admin'] })],
    ['unsigned (alg none)', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'u1', roles: ['admin'], iss: h.idp.issuer, aud: h.idp.audience, exp: now() + 600 })}.`],
    [
      'HS256 signed with the public key (algorithm confusion)',
      async () => {
        const pem = await exportSPKI((await importJWK(h.idp.publicJwk, 'RS256', { extractable: true })) as Parameters<typeof exportSPKI>[0]);
        const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: h.idp.kid })}.${b64({ sub: 'u1', roles: ['admin'], iss: h.idp.issuer, aud: h.idp.audience, exp: now() + 600 })}`;
        return `${head}.${createHmac('sha256', pem).update(head).digest('base64url')}`;
      },
    ],
    [
      'tampered (roles changed after signing)',
      async () => {
        const [head, , sig] = (await h.idp.signToken({ sub: 'u1', roles: ['auditor'] })).split('.');
        return `${head}.${b64({ sub: 'u1', roles: ['admin'], iss: h.idp.issuer, aud: h.idp.audience, exp: now() + 600 })}.${sig}`;
      },
    ],
    ['signed by a key outside the JWKS', async () => (await createTestIdp()).signToken({ sub: 'u1', roles: ['admin'] })],
  ];

  it('refuses a signed token whose subject is ill-formed Unicode: it would be stored as another principal', async () => {
    const token = await h.idp.signToken({ sub: 'user-\ud800', roles: ['admin'] });
    expect(await call(token, 'req-sub')).toEqual(unauthenticated('req-sub', 'The bearer token has no usable subject', true));
  });

  it('refuses a signed token whose subject passes for one of the service\'s own actors (system:reconcile)', async () => {
    const token = await h.idp.signToken({ sub: 'system:reconcile', roles: ['admin'] });
    expect(await call(token, 'req-sys')).toEqual(unauthenticated('req-sys', 'The bearer token has no usable subject', true));
  });

  it.each(invalid)('refuses a token %s with 401', async (_, make) => {
    expect(await call(await make(), 'req-bad')).toEqual(unauthenticated('req-bad', 'The bearer token is not valid', true));
  });

  it('answers 403 Forbidden to a valid token without a known role', async () => {
    const res = await call(await h.idp.signToken({ sub: 'u1', roles: ['superuser'] }), 'req-norole');
    expect(res).toEqual({
      statusCode: 403,
      headers: problemHeaders('req-norole'),
      body: JSON.stringify({
        type: 'urn:image-share-governor:error:Forbidden',
        title: 'The caller lacks the role this operation needs',
        status: 403,
        code: 'Forbidden',
        detail: 'This operation needs one of the roles: requester, approver, admin, auditor',
        requestId: 'req-norole',
      }),
      isBase64Encoded: false,
    });
  });

  it('reads roles from the configured claim', async () => {
    const custom = await createHarness(describeRoutes, { idp: h.idp, env: { JWT_ROLES_CLAIM: 'https://isg/roles' } });
    custom.script.listRuns = async () => ({ items: [] });
    const viaCustom = await custom.handler(event('list-runs', { token: await h.idp.signToken({ sub: 'u', 'https://isg/roles': ['auditor'] }) }), ctx());
    const viaDefault = await custom.handler(event('list-runs', { token: await h.idp.signToken({ sub: 'u', roles: ['auditor'] }) }), ctx());
    expect([viaCustom.statusCode, viaDefault.statusCode]).toEqual([200, 403]);
  });

  it('reads roles from a nested claim given as a dotted path', async () => {
    const nested = await createHarness(describeRoutes, { idp: h.idp, env: { JWT_ROLES_CLAIM: 'realm_access.roles' } });
    nested.script.listRuns = async () => ({ items: [] });
    const res = await nested.handler(event('list-runs', { token: await h.idp.signToken({ sub: 'u', realm_access: { roles: ['auditor'] } }) }), ctx());
    const wrongShape = await nested.handler(event('list-runs', { token: await h.idp.signToken({ sub: 'u', realm_access: ['auditor'] }) }), ctx());
    expect([res.statusCode, wrongShape.statusCode]).toEqual([200, 403]);
  });
});

describe('http auth: role × route matrix', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(ALL_ROUTES);
    const ok = async () => ({ items: [] });
    for (const name of [
      'listImages', 'listRequests', 'listEvents', 'listRuns', 'getRun', 'getRequest', 'describeImage', 'deletionStatus', 'listRunFindings', 'listFindings',
      'listDeliveries',
    ] as (keyof Governor)[]) h.script[name] = ok;
    h.script.requestShare = async () => ({ outcome: 'pending', request: {} });
    h.script.approve = async () => ({ request: {}, shares: [] });
    h.script.reject = async () => ({ request: {} });
    h.script.unshare = async () => ({ shares: [], notShared: [], warning: 'w' });
    h.script.requestDeletion = async () => ({ status: 'draining', remaining: 1 });
    h.script.cancelDeletion = async () => ({ status: 'cancelled', remaining: 0 });
  });

  it('covers every route of the four HTTP functions', () => {
    expect(ALL_ROUTES.map((r) => r.operationId).sort()).toEqual(Object.keys(FIXTURE_OF).sort());
  });

  // The design's table, written out independently of the route tables.
  const READ = ['requester', 'approver', 'admin', 'auditor'];
  const DESIGN_ROLES: Record<string, readonly string[]> = {
    requestShare: ['requester', 'admin'],
    approveShareRequest: ['approver', 'admin'],
    rejectShareRequest: ['approver', 'admin'],
    unshareImage: ['requester', 'admin'],
    describeImage: READ,
    listImages: READ,
    listShareRequests: READ,
    getShareRequest: READ,
    listImageEvents: READ,
    listReconcileRuns: READ,
    getReconcileRun: READ,
    listReconcileRunFindings: READ,
    listFindings: READ,
    listDeliveries: ['admin', 'auditor'],
    requestImageDeletion: ['admin'],
    getImageDeletion: READ,
    cancelImageDeletion: ['admin'],
  };
  const cases = Object.entries(DESIGN_ROLES).flatMap(([operationId, roles]) => ROLES.map((role) => [operationId, role, roles.includes(role)] as const));

  it.each(cases)('%s as %s: allowed=%s', async (operationId, role, allowed) => {
    const route = ALL_ROUTES.find((r) => r.operationId === operationId)!;
    const res = await h.handler(
      event(FIXTURE_OF[operationId]!, { token: h.tokens[role], requestId: 'r1', runId: 'run1', headers: { 'Idempotency-Key': null } }),
      ctx('req-m'),
    );
    if (allowed) {
      expect(res.statusCode).toBeLessThan(300);
    } else {
      expect(res).toEqual({
        statusCode: 403,
        headers: problemHeaders('req-m'),
        body: JSON.stringify({
          type: 'urn:image-share-governor:error:Forbidden',
          title: 'The caller lacks the role this operation needs',
          status: 403,
          code: 'Forbidden',
          detail: `This operation needs one of the roles: ${route.roles.join(', ')}`,
          requestId: 'req-m',
        }),
        isBase64Encoded: false,
      });
    }
  });

  it('lets auditors only read: every write route refuses them', () => {
    const writes = ALL_ROUTES.filter((r) => r.method !== 'GET');
    expect(writes.map((r) => r.operationId).sort()).toEqual(['approveShareRequest', 'cancelImageDeletion', 'rejectShareRequest', 'requestImageDeletion', 'requestShare', 'unshareImage']);
    expect(writes.filter((r) => r.roles.includes('auditor'))).toEqual([]);
    expect(ALL_ROUTES.filter((r) => !r.roles.includes('admin'))).toEqual([]);
  });
});
