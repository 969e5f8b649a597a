import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GovernorError, StoreError } from '../../shared/domain/errors.js';
import { shareRoutes } from '../../functions/share/routes.js';
import { AUDIT_RETRY_DELAYS_MS } from '../../shared/domain/transitions.js';
import { event } from '../fixtures/events.js';
import { IMAGE, REGION, T0_ISO, createDomainHarness, jsonHeaders, problem } from '../fixtures/harness.js';
import type { DomainHarness } from '../fixtures/harness.js';
import { createTestIdp } from '../support/jwt.js';
import type { TestIdp } from '../support/jwt.js';

const A1 = '2000000000000001';
const A2 = '2000000000000002';
const REQUEST_ID = /^sr-[0-9a-f]{32}$/;

const pendingRequest = (requestId: string) => ({
  requestId,
  regionId: REGION,
  imageId: IMAGE,
  accountIds: [A1, A2],
  directoryTargets: [],
  status: 'pending_approval',
  requester: 'requester-1',
  reason: 'Staging for team B',
  ticket: 'CHG-1234',
  attestation: { sensitiveDataRemoved: true },
  pendingUntil: '2026-03-04T10:00:00.000Z',
  createdAt: T0_ISO,
  updatedAt: T0_ISO,
  version: 1,
});

const activeShare = (accountId: string, requestId: string, version: number) => ({
  regionId: REGION,
  imageId: IMAGE,
  channel: 'account',
  target: accountId,
  accountId,
  state: 'active',
  requestId,
  origin: 'request',
  createdAt: T0_ISO,
  updatedAt: T0_ISO,
  version,
});

describe('share function (handler over the governor with in-memory store and ECS)', () => {
  let idp: TestIdp;
  let h: DomainHarness;
  beforeAll(async () => {
    idp = await createTestIdp();
  });
  beforeEach(async () => {
    h = await createDomainHarness(shareRoutes, { idp });
  });
  const ask = (body?: unknown, headers: Record<string, string | null> = {}, token = h.tokens.requester, requestId = 'req-s') =>
    h.handler(event('share-request', { token, ...(body !== undefined ? { body } : {}), headers }), { requestId, credentials: {} });

  it('202: records a pending request and reserves quota when approval is required', async () => {
    // Act
    const res = await ask();
    // Assess
    const { requestId } = JSON.parse(res.body).request as { requestId: string };
    expect(requestId).toMatch(REQUEST_ID);
    expect(res).toEqual({ statusCode: 202, headers: jsonHeaders('req-s'), body: JSON.stringify({ request: pendingRequest(requestId) }), isBase64Encoded: false });
    expect((await h.store.getImage(REGION, IMAGE))?.quotaUsed).toBe(2);
    expect(h.images.sharedWith(REGION, IMAGE)).toEqual([]);
  });

  it('201: applies at once when policy does not require approval', async () => {
    h = await createDomainHarness(shareRoutes, { idp, env: { APPROVAL_REQUIRED: 'false' } });
    const res = await ask();
    const { request, shares } = JSON.parse(res.body) as { request: { requestId: string; status: string }; shares: unknown[] };
    expect(res.statusCode).toBe(201);
    expect(request.status).toBe('applied');
    expect(shares).toEqual([activeShare(A1, request.requestId, shares.length && (shares[0] as { version: number }).version), activeShare(A2, request.requestId, (shares[1] as { version: number }).version)]);
    expect(h.images.sharedWith(REGION, IMAGE)).toEqual([A1, A2]);
  });

  it('approve → 200 with the applied shares; ECS shows them', async () => {
    const { requestId } = JSON.parse((await ask()).body).request as { requestId: string };
    const res = await h.handler(event('approve', { token: h.tokens.approver, requestId }), { requestId: 'req-a' });
    expect(res).toEqual({
      statusCode: 200,
      headers: jsonHeaders('req-a'),
      body: JSON.stringify({
        request: { ...pendingRequest(requestId), status: 'applied', version: 3, decidedBy: 'approver-1', decidedAt: T0_ISO, comment: 'ok' },
        shares: [activeShare(A1, requestId, 4), activeShare(A2, requestId, 4)],
      }),
      isBase64Encoded: false,
    });
    expect(h.images.sharedWith(REGION, IMAGE)).toEqual([A1, A2]);
  });

  it('reject → 200, releases the quota; approving afterwards is 409 RequestNotPending', async () => {
    const { requestId } = JSON.parse((await ask()).body).request as { requestId: string };
    const rejected = await h.handler(event('reject', { token: h.tokens.approver, requestId }), { requestId: 'req-r' });
    const late = await h.handler(event('approve', { token: h.tokens.admin, requestId, headers: { 'Idempotency-Key': null } }), { requestId: 'req-late' });
    expect(rejected).toEqual({
      statusCode: 200,
      headers: jsonHeaders('req-r'),
      body: JSON.stringify({ request: { ...pendingRequest(requestId), status: 'rejected', version: 2, decidedBy: 'approver-1', decidedAt: T0_ISO, comment: 'not for prod' } }),
      isBase64Encoded: false,
    });
    expect((await h.store.getImage(REGION, IMAGE))?.quotaUsed).toBe(0);
    expect(late).toEqual(problem('req-late', 409, 'RequestNotPending', 'The share request is no longer pending', `Share request ${requestId} is rejected`, { requestStatus: 'rejected' }));
  });

  it('403 SelfApprovalForbidden: a requester who is also an approver cannot approve their own request', async () => {
    const both = await idp.signToken({ sub: 'requester-1', roles: ['requester', 'approver'] });
    const { requestId } = JSON.parse((await ask()).body).request as { requestId: string };
    const res = await h.handler(event('approve', { token: both, requestId }), { requestId: 'req-self' });
    expect(res).toEqual(problem('req-self', 403, 'SelfApprovalForbidden', 'A requester cannot approve their own request', 'The requester of a share request cannot decide on it'));
  });

  it('404 RequestNotFound for an unknown request', async () => {
    const res = await h.handler(event('approve', { token: h.tokens.approver, requestId: 'sr-nothing' }), { requestId: 'req-nf' });
    expect(res).toEqual(problem('req-nf', 404, 'RequestNotFound', 'No such share request', 'No share request sr-nothing'));
  });

  it('replays a retried share request from the store (Idempotency-Key) without a second request', async () => {
    const first = await ask(undefined, {}, h.tokens.requester, 'req-1');
    const again = await ask(undefined, {}, h.tokens.requester, 'req-2');
    expect(again).toEqual({ ...first, headers: jsonHeaders('req-2', { 'idempotent-replayed': 'true' }) });
    expect(h.store.allRequests()).toHaveLength(1);
  });

  it('keeps one log line per request: what the domain logs meanwhile rides on it as notes, with ids and counts, never body text', async () => {
    // Prepare: the audit trail refuses every attempt, so the domain holds the events for the reconciler
    h.store.failNext('appendAudit', new StoreError('Busy'), AUDIT_RETRY_DELAYS_MS.length + 1);
    // Act
    const res = await ask(undefined, {}, h.tokens.requester, 'req-note');
    // Assess
    expect(res.statusCode).toBe(202);
    expect(h.logs).toHaveLength(1);
    const held = h.store.heldEvents();
    expect(held.map((e) => [e.action, e.requestId, e.reason, e.ticket])).toEqual([
      ['share.requested', 'req-note', 'Staging for team B', 'CHG-1234'],
      ['share.requested', 'req-note', 'Staging for team B', 'CHG-1234'],
    ]);
    expect(h.logs[0]).toMatchObject({
      level: 'warn',
      msg: 'request',
      requestId: 'req-note',
      status: 202,
      outcome: 'ok',
      notes: [
        { level: 'warn', msg: 'audit append failed; events held for the reconciler', count: 2, eventIds: held.map((e) => e.eventId), error: 'StoreBusy' },
      ],
    });
    expect(JSON.stringify(h.logs)).not.toMatch(/Staging for team B|CHG-1234/);
  });

  it.each([
    ['info', 'warn', [{ level: 'warn', msg: 'quota release below zero', regionId: REGION, imageId: IMAGE, channel: 'account', count: 2, used: 0 }]],
    ['error', 'info', undefined],
  ])('with LOG_LEVEL=%s a domain warning makes the request line %s (notes below the level are dropped)', async (logLevel, lineLevel, notes) => {
    // Prepare: a pending request whose quota counter drifted to 0 behind its back
    h = await createDomainHarness(shareRoutes, { idp, env: { LOG_LEVEL: logLevel } });
    const { requestId } = JSON.parse((await ask()).body).request as { requestId: string };
    await h.store.correctQuota(REGION, IMAGE, 2, 0, 'account');
    h.logs.length = 0;
    // Act: rejecting gives back 2 units the counter does not hold
    const res = await h.handler(event('reject', { token: h.tokens.approver, requestId }), { requestId: 'req-drift' });
    // Assess
    expect(res.statusCode).toBe(200);
    expect(h.logs.map((l) => [l.requestId, l.level, l.notes])).toEqual([['req-drift', lineLevel, notes]]);
  });

  it('writes what the governor logs outside any HTTP request as its own line', async () => {
    h.store.failNext('appendAudit', new StoreError('Busy'), AUDIT_RETRY_DELAYS_MS.length + 1);
    await h.runtime.governor.requestShare(
      { principal: { id: 'requester-1', roles: ['requester'] }, requestId: 'direct-1' },
      { regionId: REGION, imageId: IMAGE, accountIds: [A1], reason: 'r', attestation: { sensitiveDataRemoved: true } },
    );
    expect(h.logs.map((l) => [l.level, l.msg])).toEqual([['warn', 'audit append failed; events held for the reconciler']]);
  });

  describe('documented error codes', () => {
    const body = (over: Record<string, unknown> = {}) => ({ accountIds: [A1], reason: 'r', attestation: { sensitiveDataRemoved: true }, ...over });

    it('404 ImageNotFound', async () => {
      const missing = await h.handler(
        event('share-request', {
          token: h.tokens.requester,
          body: body(),
          path: `/v1/images/${REGION}/m-missing0001/share-requests`,
          headers: { 'Idempotency-Key': 'another-key' },
        }),
        { requestId: 'e2' },
      );
      expect(missing).toEqual(problem('e2', 404, 'ImageNotFound', 'The image does not exist in the owner account', `Image m-missing0001 does not exist in ${REGION}`));
    });

    it('422 ImageNotShareable for a system image', async () => {
      h.images.addImage({ regionId: REGION, imageId: 'm-system000001', kind: 'system' });
      const res = await h.handler(event('share-request', { token: h.tokens.requester, body: body(), path: `/v1/images/${REGION}/m-system000001/share-requests` }), { requestId: 'e3' });
      expect([res.statusCode, JSON.parse(res.body).code, JSON.parse(res.body).kind]).toEqual([422, 'ImageNotShareable', 'system']);
    });

    it('422 ImageNotShareable for a tag-denied image says it is denied by tag, not that it is not a custom image', async () => {
      h.images.addImage({ regionId: REGION, imageId: 'm-tagdenied001', tags: { 'share-policy': 'deny', team: 'b' } });
      const path = `/v1/images/${REGION}/m-tagdenied001/share-requests`;
      const res = await h.handler(event('share-request', { token: h.tokens.requester, body: body(), path }), { requestId: 'e4' });
      expect(res).toEqual(
        problem(
          'e4',
          422,
          'ImageNotShareable',
          'The image may not be shared: its kind, its owner or its tags do not allow it',
          'Image m-tagdenied001 cannot be shared: it carries the tag share-policy=deny, which the sharing policy denies',
          { kind: 'custom', reason: 'denied_tag', tags: ['share-policy=deny'] },
        ),
      );
    });

    it('422 ImageNotShareable without a required tag names the tags it lacks', async () => {
      h = await createDomainHarness(shareRoutes, { idp, env: { REQUIRE_IMAGE_TAGS: 'shareable=yes,tier=golden' } });
      const res = await ask(body());
      expect(JSON.parse(res.body)).toMatchObject({
        status: 422,
        code: 'ImageNotShareable',
        detail: `Image ${IMAGE} cannot be shared: it carries none of the required tags (shareable=yes, tier=golden)`,
        reason: 'required_tag_missing',
        tags: ['shareable=yes', 'tier=golden'],
      });
    });

    it('409 ImageNotAvailable for an image still being created', async () => {
      h.images.setStatus(REGION, IMAGE, 'Creating');
      const res = await ask(body());
      expect([res.statusCode, JSON.parse(res.body).code]).toEqual([409, 'ImageNotAvailable']);
    });

    it('403 AccountNotAllowed for a denied account', async () => {
      h = await createDomainHarness(shareRoutes, { idp, env: { DENY_ACCOUNTS: A1 } });
      const res = await ask(body(), {}, h.tokens.requester, 'e4');
      expect(res).toEqual(problem('e4', 403, 'AccountNotAllowed', 'The target account is not allowed by policy', `Policy does not allow sharing with ${A1}`, { accounts: [A1] }));
    });

    it('422 CannotShareWithOwner', async () => {
      const res = await ask(body({ accountIds: ['1000000000000001'] }));
      expect([res.statusCode, JSON.parse(res.body).code]).toEqual([422, 'CannotShareWithOwner']);
    });

    it('422 AttestationRequired when the attestation is false or missing', async () => {
      const no = await ask(body({ attestation: { sensitiveDataRemoved: false } }), { 'Idempotency-Key': null }, h.tokens.requester, 'e5');
      const missing = await ask({ accountIds: [A1], reason: 'r' }, { 'Idempotency-Key': null });
      expect(no).toEqual(
        problem('e5', 422, 'AttestationRequired', 'Sensitive data must be attested as removed', 'Attest that sensitive data has been removed from the image before sharing it'),
      );
      expect(JSON.parse(missing.body).code).toBe('AttestationRequired');
    });

    it('422 ExpiryTooLong beyond the policy maximum', async () => {
      h = await createDomainHarness(shareRoutes, { idp, env: { MAX_SHARE_DURATION_DAYS: '30' } });
      const res = await ask(body({ expiresAt: '2026-06-01T00:00:00Z' }));
      expect([res.statusCode, JSON.parse(res.body).code, JSON.parse(res.body).maxShareDurationDays]).toEqual([422, 'ExpiryTooLong', 30]);
    });

    it('409 ShareQuotaExceeded with limit, used and requested', async () => {
      h = await createDomainHarness(shareRoutes, { idp, env: { MAX_SHARES_PER_IMAGE: '2' } });
      await ask(body({ accountIds: [A1] }), { 'Idempotency-Key': 'q-1' });
      const res = await ask(body({ accountIds: ['2000000000000003', '2000000000000004'] }), { 'Idempotency-Key': 'q-2' }, h.tokens.requester, 'e6');
      expect(res).toEqual(
        problem('e6', 409, 'ShareQuotaExceeded', 'The image would exceed its share quota', `Image ${IMAGE} can be shared with at most 2 accounts`, { limit: 2, used: 1, requested: 2, channel: 'account' }),
      );
    });

    it('422 UnknownAccount when ECS does not know a target account', async () => {
      h = await createDomainHarness(shareRoutes, { idp, env: { APPROVAL_REQUIRED: 'false' } });
      const res = await ask(body({ accountIds: ['2999999999999999'] }));
      expect([res.statusCode, JSON.parse(res.body).code]).toEqual([422, 'UnknownAccount']);
      expect(h.images.sharedWith(REGION, IMAGE)).toEqual([]);
    });

    it('409 ShareAlreadyExists for an account already pending', async () => {
      await ask(body(), { 'Idempotency-Key': 'x-1' });
      const res = await ask(body({ reason: 'again' }), { 'Idempotency-Key': 'x-2' });
      expect([res.statusCode, JSON.parse(res.body).code, JSON.parse(res.body).accounts]).toEqual([409, 'ShareAlreadyExists', [A1]]);
    });

    it('503 UpstreamThrottled / UpstreamUnavailable with Retry-After and a generic body', async () => {
      h.images.failNext('getImage', new GovernorError('UpstreamThrottled', 'Throttling.User', { retryAfter: 2 }));
      const throttled = await ask(body(), {}, h.tokens.requester, 'e7');
      h.images.failNext('getImage', new GovernorError('UpstreamUnavailable', 'ECS timed out'));
      const unavailable = await ask(body(), {}, h.tokens.requester, 'e8');
      expect(throttled).toEqual({
        statusCode: 503,
        headers: { ...jsonHeaders('e7', { 'retry-after': '2' }), 'content-type': 'application/problem+json' },
        body: JSON.stringify({ type: 'urn:image-share-governor:error:UpstreamThrottled', title: 'ECS is throttling requests; retry later', status: 503, code: 'UpstreamThrottled', requestId: 'e7' }),
        isBase64Encoded: false,
      });
      expect([unavailable.statusCode, JSON.parse(unavailable.body).code, unavailable.headers['retry-after']]).toEqual([503, 'UpstreamUnavailable', '1']);
      expect(h.store.allRequests()).toEqual([]);
    });
  });
});
