import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { shareRoutes } from '../../functions/share/routes.js';
import { unshareRoutes } from '../../functions/unshare/routes.js';
import { UNSHARE_WARNING } from '../../shared/domain/governor.js';
import { event } from '../fixtures/events.js';
import { IMAGE, REGION, T0_ISO, createDomainHarness, jsonHeaders, problem } from '../fixtures/harness.js';
import type { DomainHarness } from '../fixtures/harness.js';
import { createTestIdp } from '../support/jwt.js';
import type { TestIdp } from '../support/jwt.js';

const A1 = '2000000000000001';
const A2 = '2000000000000002';

describe('unshare function', () => {
  let idp: TestIdp;
  let h: DomainHarness;
  beforeAll(async () => {
    idp = await createTestIdp();
  });
  beforeEach(async () => {
    // Prepare: A1 and A2 active (approval off, so the share applies at once)
    h = await createDomainHarness([...shareRoutes, ...unshareRoutes], { idp, env: { APPROVAL_REQUIRED: 'false' } });
    const shared = await h.handler(event('share-request', { token: h.tokens.requester }), { requestId: 'setup' });
    expect(shared.statusCode).toBe(201);
  });

  it('200: revokes the shares in ECS and the store, lists accounts that were not shared, and warns', async () => {
    h.clock.advance(60_000);
    const res = await h.handler(
      event('unshare', { token: h.tokens.requester, body: { accountIds: [A1, '2000000000000009'], reason: 'project ended' } }),
      { requestId: 'req-u' },
    );
    const body = JSON.parse(res.body) as { shares: { requestId: string; version: number }[] };
    const requestId = body.shares[0]!.requestId;
    expect(res).toEqual({
      statusCode: 200,
      headers: jsonHeaders('req-u'),
      body: JSON.stringify({
        shares: [
          {
            regionId: REGION,
            imageId: IMAGE,
            channel: 'account',
            target: A1,
            accountId: A1,
            state: 'revoked',
            requestId,
            origin: 'request',
            createdAt: T0_ISO,
            updatedAt: '2026-03-01T10:01:00.000Z',
            version: body.shares[0]!.version,
          },
        ],
        notShared: ['2000000000000009'],
        revokedOutsideService: [],
        directory: { notShared: [], revokedOutsideService: [], removedFromShares: [] },
        warning: UNSHARE_WARNING,
      }),
      isBase64Encoded: false,
    });
    expect(h.images.sharedWith(REGION, IMAGE)).toEqual([A2]);
    expect((await h.store.getImage(REGION, IMAGE))?.quotaUsed).toBe(1);
  });

  it('200: says which accounts it revoked although their share was made outside the service', async () => {
    const OUTSIDE = '2000000000000007';
    h.images.shareOutOfBand(REGION, IMAGE, OUTSIDE);
    const body = { accountIds: [A2, OUTSIDE, '2000000000000009'], reason: 'clean up' };
    const res = await h.handler(event('unshare', { token: h.tokens.requester, body }), { requestId: 'req-o' });
    const out = JSON.parse(res.body) as { shares: { accountId: string; state: string }[]; notShared: string[]; revokedOutsideService: string[] };
    expect([res.statusCode, out.shares.map((s) => `${s.accountId}:${s.state}`), out.notShared, out.revokedOutsideService]).toEqual([
      200,
      [`${A2}:revoked`],
      ['2000000000000009'],
      [OUTSIDE],
    ]);
    expect(h.images.sharedWith(REGION, IMAGE)).toEqual([A1]);
    const events = (await h.store.listAudit(REGION, IMAGE, 10)).items;
    expect(events.find((e) => e.accountId === OUTSIDE)).toMatchObject({
      action: 'share.revoked',
      detail: 'share not managed by the service',
      reason: 'clean up',
    });
  });

  it('replays a retried unshare (same Idempotency-Key) without touching ECS again', async () => {
    const first = await h.handler(event('unshare', { token: h.tokens.requester }), { requestId: 'u1' });
    const calls = h.images.calls.length;
    const again = await h.handler(event('unshare', { token: h.tokens.requester }), { requestId: 'u2' });
    expect(again).toEqual({ ...first, headers: jsonHeaders('u2', { 'idempotent-replayed': 'true' }) });
    expect(h.images.calls.length).toBe(calls);
  });

  it('404 ImageNotFound for an image neither ECS nor the store knows', async () => {
    const res = await h.handler(event('unshare', { token: h.tokens.admin, path: `/v1/images/${REGION}/m-unknown00001/unshare`, headers: { 'Idempotency-Key': null } }), {
      requestId: 'u3',
    });
    expect(res).toEqual(problem('u3', 404, 'ImageNotFound', 'The image does not exist in the owner account', `The image m-unknown00001 does not exist in ${REGION}`));
  });

  it('403 Forbidden for an approver (unshare is for requesters and admins)', async () => {
    const res = await h.handler(event('unshare', { token: h.tokens.approver }), { requestId: 'u4' });
    expect([res.statusCode, JSON.parse(res.body).code]).toEqual([403, 'Forbidden']);
    expect(h.images.sharedWith(REGION, IMAGE)).toEqual([A1, A2]);
  });
});
