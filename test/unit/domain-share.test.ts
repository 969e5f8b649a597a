// The share path of the governance core: every rule and error code in order, approvals, quota,
// concurrency, write-ahead intents under ECS failures and retries with the same request key.
import { describe, expect, it } from 'vitest';
import { createGovernor, requestIdFor, type Ctx, type ShareInput } from '../../shared/domain/governor.js';
import { GovernorError, StoreError } from '../../shared/domain/errors.js';
import type { Policy } from '../../shared/domain/policy.js';
import type { StorePort } from '../../shared/domain/ports.js';
import { T0 } from '../support/clock.js';
import { OWNER_ACCOUNT, testPolicy } from '../support/policy.js';
import { IMAGE, REGION, account, alice, bob, domainWorld, failure, shareInput as shareInputFor } from '../support/domain.js';

const WRITES: ReadonlySet<keyof StorePort> = new Set([
  'createImage',
  'updateImage',
  'adjustQuota',
  'correctQuota',
  'createShare',
  'updateShare',
  'createRequest',
  'updateRequest',
  'appendAudit',
]);

function world(...args: Parameters<typeof domainWorld>) {
  const w = domainWorld(...args);
  const writes = () => w.store.calls.filter((c) => WRITES.has(c.operation));
  return { ...w, writes };
}

const shareInput = (over: Partial<ShareInput> = {}): ShareInput => shareInputFor([1], { ticket: 'CHG-1', ...over });

describe('governor.requestShare: rules in order', () => {
  it.each([
    ['duplicate account ids', { accountIds: [account(1), account(1)] }, '/accountIds/1'],
    ['a 15-digit account id', { accountIds: ['123456789012345'] }, '/accountIds/0'],
    ['a numeric-looking id with letters', { accountIds: ['12345678901234ab'] }, '/accountIds/0'],
    ['no account ids', { accountIds: [] }, '/accountIds'],
    ['51 account ids', { accountIds: Array.from({ length: 51 }, (_, i) => account(i)) }, '/accountIds'],
    ['an empty reason', { reason: '   ' }, '/reason'],
    ['a reason over 1024 characters', { reason: 'r'.repeat(1025) }, '/reason'],
    ['a reason with a lone surrogate', { reason: 'broken \ud800 text' }, '/reason'],
    ['a ticket over 128 characters', { ticket: 't'.repeat(129) }, '/ticket'],
    ['a ticket with a lone low surrogate', { ticket: 'CHG-\udc00' }, '/ticket'],
    ['an expiry that is not a date-time', { expiresAt: 'next tuesday' }, '/expiresAt'],
    ['an expiry without a time zone', { expiresAt: '2026-03-05T10:00:00' }, '/expiresAt'],
    ['an expiry on a day the month does not have', { expiresAt: '2026-04-31T10:00:00Z' }, '/expiresAt'],
    ['an expiry in the past', { expiresAt: '2026-02-28T10:00:00Z' }, '/expiresAt'],
    ['a malformed image id', { imageId: 'ami-12345678' }, '/imageId'],
  ])('refuses %s with ValidationFailed and writes nothing', async (_name, over, path) => {
    // Prepare
    const w = world();
    // Act
    const error = await failure(w.governor.requestShare(alice, shareInput(over as Partial<ShareInput>)));
    // Assess
    expect(error.code).toBe('ValidationFailed');
    expect(error.status).toBe(400);
    expect((error.details.errors as { path: string }[]).map((e) => e.path)).toContain(path);
    expect(w.writes()).toEqual([]);
    expect(w.images.calls).toEqual([]);
  });

  it('refuses an unmanaged region with RegionNotManaged', async () => {
    const w = world();
    const error = await failure(w.governor.requestShare(alice, shareInput({ regionId: 'eu-central-1' })));
    expect([error.code, error.status]).toEqual(['RegionNotManaged', 404]);
    expect(w.images.calls).toEqual([]);
  });

  it('refuses the owner account with CannotShareWithOwner before checking the lists', async () => {
    const w = world({ denyAccounts: [account(2)] });
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(2), OWNER_ACCOUNT] })));
    expect([error.code, error.status, error.details]).toEqual(['CannotShareWithOwner', 422, { accounts: [OWNER_ACCOUNT] }]);
  });

  it('refuses denied accounts with AccountNotAllowed listing them', async () => {
    const w = world({ denyAccounts: [account(2), account(3)] });
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(3), account(2)] })));
    expect([error.code, error.status, error.details]).toEqual(['AccountNotAllowed', 403, { accounts: [account(3), account(2)] }]);
    expect(w.writes()).toEqual([]);
  });

  it('refuses accounts missing from a non-empty allow list', async () => {
    const w = world({ allowAccounts: [account(1)] });
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(9)] })));
    expect([error.code, error.details]).toEqual(['AccountNotAllowed', { accounts: [account(9)] }]);
  });

  it('refuses without the attestation, after the account checks', async () => {
    const w = world();
    const error = await failure(w.governor.requestShare(alice, shareInput({ attestation: { sensitiveDataRemoved: false } })));
    expect([error.code, error.status]).toEqual(['AttestationRequired', 422]);
    const denied = world({ denyAccounts: [account(1)] });
    const first = await failure(denied.governor.requestShare(alice, shareInput({ attestation: { sensitiveDataRemoved: false } })));
    expect(first.code).toBe('AccountNotAllowed');
  });

  it('refuses an expiry beyond the policy maximum with ExpiryTooLong and accepts one exactly at it', async () => {
    const w = world({ maxShareDurationDays: 90, approvalRequired: false });
    const tooLong = await failure(w.governor.requestShare(alice, shareInput({ expiresAt: '2026-05-30T10:00:00.001Z' })));
    expect([tooLong.code, tooLong.status, tooLong.details]).toEqual([
      'ExpiryTooLong',
      422,
      { maxShareDurationDays: 90, latest: '2026-05-30T10:00:00.000Z' },
    ]);
    const ok = await w.governor.requestShare(alice, shareInput({ expiresAt: '2026-05-30T10:00:00Z' }));
    expect(ok.request.shareExpiresAt).toBe('2026-05-30T10:00:00.000Z');
    expect(ok.outcome === 'applied' && ok.shares.map((s) => s.expiresAt)).toEqual(['2026-05-30T10:00:00.000Z']);
  });

  it('applies the default share duration when no expiry is given, and none when the policy has none', async () => {
    const w = world({ defaultShareDurationDays: 30 });
    const { request } = await w.governor.requestShare(alice, shareInput());
    expect(request.shareExpiresAt).toBe('2026-03-31T10:00:00.000Z');
    const never = world({ defaultShareDurationDays: undefined });
    const { request: forever } = await never.governor.requestShare(alice, shareInput());
    expect(forever.shareExpiresAt).toBeUndefined();
  });

  it('refuses an image ECS does not know with ImageNotFound', async () => {
    const w = world();
    const error = await failure(w.governor.requestShare(alice, shareInput({ imageId: 'm-nosuchimage1' })));
    expect([error.code, error.status]).toEqual(['ImageNotFound', 404]);
    expect(w.writes()).toEqual([]);
  });

  it.each([
    ['a system image', { kind: 'system' as const }, 'public system image'],
    ['a Marketplace-derived image', { kind: 'marketplace-derived' as const }, 'derived from a Marketplace image'],
    ['an image shared to us', { kind: 'shared-to-us' as const }, 'shared to this account'],
    ['an image tagged share-policy=deny', { tags: { 'share-policy': 'deny' } }, 'carries the tag share-policy=deny'],
  ])('refuses %s with ImageNotShareable saying why', async (_name, spec, why) => {
    const w = world();
    w.images.addImage({ regionId: REGION, imageId: 'm-other0000001', ...spec });
    const error = await failure(w.governor.requestShare(alice, shareInput({ imageId: 'm-other0000001' })));
    expect([error.code, error.status]).toEqual(['ImageNotShareable', 422]);
    expect(error.message).toContain(why);
    expect(w.writes()).toEqual([]);
  });

  it('refuses an image without a required tag', async () => {
    const w = world({ requireImageTags: [{ key: 'shareable', value: 'yes' }] });
    const error = await failure(w.governor.requestShare(alice, shareInput()));
    expect(error.code).toBe('ImageNotShareable');
    expect(error.message).toContain('none of the required tags (shareable=yes)');
    w.images.addImage({ regionId: REGION, imageId: 'm-tagged000001', tags: { shareable: 'yes' } });
    await expect(w.governor.requestShare(alice, shareInput({ imageId: 'm-tagged000001' }))).resolves.toMatchObject({ outcome: 'pending' });
  });

  it('refuses an image that is not Available with ImageNotAvailable', async () => {
    const w = world();
    w.images.setStatus(REGION, IMAGE, 'Creating');
    const error = await failure(w.governor.requestShare(alice, shareInput()));
    expect([error.code, error.status, error.details]).toEqual(['ImageNotAvailable', 409, { imageStatus: 'Creating' }]);
  });

  it('refuses a draining image with ImageDeletionPending', async () => {
    const w = world();
    await w.governor.requestShare(alice, shareInput());
    w.images.failNext('getSharePermissions', new GovernorError('UpstreamThrottled'));
    await w.governor.requestDeletion(bob, REGION, IMAGE, { mode: 'drain', reason: 'retire' });
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(7)] })));
    expect([error.code, error.status]).toEqual(['ImageDeletionPending', 409]);
  });

  it('refuses accounts that already hold an active or pending share with ShareAlreadyExists', async () => {
    const w = world({ approvalExemptAccounts: [account(1)] });
    await w.governor.requestShare(alice, shareInput({ accountIds: [account(1)] })); // active at once
    await w.governor.requestShare(alice, shareInput({ accountIds: [account(2)] })); // pending
    const before = w.writes().length;
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(3), account(2), account(1)] })));
    expect([error.code, error.status, error.details]).toEqual(['ShareAlreadyExists', 409, { accounts: [account(1), account(2)] }]);
    expect(w.writes().length).toBe(before);
    expect(await w.quotaUsed()).toBe(2);
  });

  it('lets an account whose pending request expired ask again', async () => {
    const w = world({ pendingRequestTtlHours: 1 });
    await w.governor.requestShare(alice, shareInput());
    w.clock.advanceHours(2);
    const again = await w.governor.requestShare(alice, shareInput());
    expect(again.outcome).toBe('pending');
    expect(await w.quotaUsed()).toBe(1);
    expect(w.store.allRequests().map((r) => r.status)).toEqual(['expired', 'pending_approval']);
  });

  it('fills the quota exactly to the limit and refuses one more with ShareQuotaExceeded', async () => {
    const w = world({ maxSharesPerImage: 3, approvalRequired: false });
    await w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] }));
    await w.governor.requestShare(alice, shareInput({ accountIds: [account(3)] }));
    expect(await w.quotaUsed()).toBe(3);
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(4)] })));
    expect([error.code, error.status, error.details]).toEqual(['ShareQuotaExceeded', 409, { limit: 3, used: 3, requested: 1, channel: 'account' }]);
    expect(await w.quotaUsed()).toBe(3);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(1), account(2), account(3)]);
  });

  it('refuses a single request larger than the limit before any write', async () => {
    const w = world({ maxSharesPerImage: 2 });
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2), account(3)] })));
    expect([error.code, error.details]).toEqual(['ShareQuotaExceeded', { limit: 2, used: 0, requested: 3, channel: 'account' }]);
    expect(w.writes()).toEqual([]);
  });

  it('never lets the policy raise the limit above the ECS ceiling of 50', async () => {
    const w = world({ maxSharesPerImage: 80 });
    await w.governor.requestShare(alice, shareInput({ accountIds: Array.from({ length: 50 }, (_, i) => account(i)) }));
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(50)] })));
    expect([error.code, error.details]).toEqual(['ShareQuotaExceeded', { limit: 50, used: 50, requested: 1, channel: 'account' }]);
    expect((await w.governor.describeImage(alice, REGION, IMAGE, { live: false })).quota).toEqual({ limit: 50, used: 50 });
  });
});

describe('governor.requestShare: creating the request', () => {
  it('reserves quota and records a pending request with its shares when approval is required', async () => {
    const w = world({ pendingRequestTtlHours: 72 });
    const result = await w.governor.requestShare(alice, shareInput({ accountIds: [account(2), account(1)] }));
    expect(result).toEqual({
      outcome: 'pending',
      request: {
        requestId: 'sr-id000000',
        regionId: REGION,
        imageId: IMAGE,
        accountIds: [account(2), account(1)],
        directoryTargets: [],
        status: 'pending_approval',
        requester: 'alice',
        reason: 'partner onboarding',
        ticket: 'CHG-1',
        shareExpiresAt: '2026-03-31T10:00:00.000Z',
        attestation: { sensitiveDataRemoved: true },
        pendingUntil: '2026-03-04T10:00:00.000Z',
        createdAt: T0,
        updatedAt: T0,
        version: 1,
      },
    });
    expect(w.store.allShares().map((s) => [s.accountId, s.state, s.requestId])).toEqual([
      [account(1), 'pending_approval', 'sr-id000000'],
      [account(2), 'pending_approval', 'sr-id000000'],
    ]);
    expect(await w.store.getImage(REGION, IMAGE)).toMatchObject({ lifecycle: 'active', quotaUsed: 2, imageName: 'golden' });
    expect(w.images.callsOf('addShares')).toEqual([]);
  });

  it('applies at once when policy does not require approval', async () => {
    const w = world({ approvalRequired: false });
    const result = await w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] }));
    expect(result.outcome).toBe('applied');
    expect(result.request.status).toBe('applied');
    expect(result.outcome === 'applied' && result.shares.map((s) => [s.accountId, s.state])).toEqual([
      [account(1), 'active'],
      [account(2), 'active'],
    ]);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(1), account(2)]);
    expect(await w.quotaUsed()).toBe(2);
  });

  it('applies at once only when every target account is exempt from approval', async () => {
    const w = world({ approvalExemptAccounts: [account(1), account(2)] });
    expect((await w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] }))).outcome).toBe('applied');
    expect((await w.governor.requestShare(alice, shareInput({ accountIds: [account(3)] }))).outcome).toBe('pending');
    const mixed = world({ approvalExemptAccounts: [account(1)] });
    expect((await mixed.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(3)] }))).outcome).toBe('pending');
  });

  it('sends at most 10 accounts per ECS call', async () => {
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, shareInput({ accountIds: Array.from({ length: 23 }, (_, i) => account(i)) }));
    expect(w.images.callsOf('addShares').map((c) => c.accountIds?.length)).toEqual([10, 10, 3]);
    expect(w.images.sharedWith(REGION, IMAGE)).toHaveLength(23);
  });

  it('stores the applying intent before ECS is called', async () => {
    const w = world({ approvalRequired: false });
    const seen: string[] = [];
    w.images.beforeAddShares = async () => {
      seen.push(...w.store.allShares().map((s) => s.state));
    };
    await w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] }));
    expect(seen).toEqual(['applying', 'applying']);
  });

  it('records one audit event per account and step with who, why and which request', async () => {
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, shareInput());
    const events = w.store.allEvents().map(({ eventId: _id, ...e }) => e);
    const common = { regionId: REGION, imageId: IMAGE, at: T0, principal: 'alice', channel: 'account', target: account(1), accountId: account(1), requestId: 'http-req-1', shareRequestId: 'sr-id000000' };
    expect(events).toEqual([
      { ...common, action: 'share.requested', after: 'approved', reason: 'partner onboarding', ticket: 'CHG-1' },
      { ...common, action: 'share.approved', after: 'approved', detail: 'approval not required by policy' },
      { ...common, action: 'share.applied', before: 'applying', after: 'active' },
    ]);
  });
});

describe('governor.requestShare: concurrency', () => {
  it('lets exactly the limit of 200 concurrent single-account requests through', async () => {
    // Prepare
    const w = world({ approvalRequired: false });
    // Act
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => w.governor.requestShare({ ...alice, requestId: `http-${i}` }, shareInput({ accountIds: [account(i)] }))),
    );
    // Assess
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as GovernorError).code);
    expect(ok).toHaveLength(50);
    expect(refused).toEqual(Array.from({ length: 150 }, () => 'ShareQuotaExceeded'));
    expect(await w.quotaUsed()).toBe(50);
    expect(w.store.allShares().filter((s) => s.state === 'active')).toHaveLength(50);
    expect(w.store.allShares().filter((s) => s.state !== 'active')).toEqual([]);
    expect(w.images.sharedWith(REGION, IMAGE)).toHaveLength(50);
  });

  it('holds a policy limit below 50 under concurrency, with multi-account requests', async () => {
    const w = world({ approvalRequired: false, maxSharesPerImage: 10 });
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => w.governor.requestShare(alice, shareInput({ accountIds: [account(2 * i), account(2 * i + 1)] }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(await w.quotaUsed()).toBe(10);
    expect(w.images.sharedWith(REGION, IMAGE)).toHaveLength(10);
  });

  it('lets only one of two concurrent requests for the same account through', async () => {
    const w = world({ approvalRequired: false });
    const results = await Promise.allSettled([
      w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] }), { requestKey: 'alice:a' }),
      w.governor.requestShare(alice, shareInput({ accountIds: [account(2), account(3)] }), { requestKey: 'alice:b' }),
    ]);
    const codes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as GovernorError).code)).sort();
    expect(codes).toEqual(['ShareAlreadyExists', 'ok']);
    const active = w.store.allShares().filter((s) => s.state === 'active').length;
    expect(active).toBe(2);
    expect(await w.quotaUsed()).toBe(2);
    expect(w.images.sharedWith(REGION, IMAGE)).toHaveLength(2);
    // Both passed the up-front check; the loser lost on the share row and failed cleanly.
    expect(w.store.allRequests().map((r) => r.status).sort()).toEqual(['applied', 'failed']);
    const loser = results[0]?.status === 'rejected' ? 'a' : 'b';
    const replay = await failure(
      w.governor.requestShare(alice, shareInput({ accountIds: loser === 'a' ? [account(1), account(2)] : [account(2), account(3)] }), { requestKey: `alice:${loser}` }),
    );
    expect([replay.code, replay.details.shareRequestId]).toEqual(['ShareAlreadyExists', requestIdFor(`alice:${loser}`)]);
    expect(await w.quotaUsed()).toBe(2);
  });
});

describe('governor.approve and reject', () => {
  async function pending(over: Partial<Policy> = {}) {
    const w = world(over);
    const { request } = await w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] }));
    return { ...w, request };
  }

  it('applies an approved request and records the decision', async () => {
    const w = await pending();
    w.clock.advance(60_000);
    const { request, shares } = await w.governor.approve(bob, w.request.requestId, { comment: 'ok for Q2' });
    expect(request).toMatchObject({ status: 'applied', decidedBy: 'bob', decidedAt: '2026-03-01T10:01:00.000Z', comment: 'ok for Q2' });
    expect(shares.map((s) => [s.accountId, s.state])).toEqual([
      [account(1), 'active'],
      [account(2), 'active'],
    ]);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(1), account(2)]);
    expect(await w.quotaUsed()).toBe(2);
  });

  it('refuses the requester approving or rejecting their own request', async () => {
    const w = await pending();
    const approveOwn = await failure(w.governor.approve({ ...alice, principal: { id: 'alice', roles: ['approver', 'requester'] } }, w.request.requestId, {}));
    const rejectOwn = await failure(w.governor.reject(alice, w.request.requestId, { comment: 'no' }));
    expect([approveOwn.code, approveOwn.status, rejectOwn.code]).toEqual(['SelfApprovalForbidden', 403, 'SelfApprovalForbidden']);
    expect((await w.store.getRequest(w.request.requestId))?.status).toBe('pending_approval');
  });

  it('releases the reserved quota on reject', async () => {
    const w = await pending();
    const { request } = await w.governor.reject(bob, w.request.requestId, { comment: 'not this partner' });
    expect(request).toMatchObject({ status: 'rejected', decidedBy: 'bob', comment: 'not this partner' });
    expect(w.store.allShares().map((s) => s.state)).toEqual(['rejected', 'rejected']);
    expect(await w.quotaUsed()).toBe(0);
    expect(w.images.callsOf('addShares')).toEqual([]);
  });

  it('requires a comment to reject', async () => {
    const w = await pending();
    const error = await failure(w.governor.reject(bob, w.request.requestId, { comment: '' }));
    expect(error.code).toBe('ValidationFailed');
    expect(await w.quotaUsed()).toBe(2);
  });

  it('refuses a decision on a request that is no longer pending', async () => {
    const w = await pending();
    await w.governor.reject(bob, w.request.requestId, { comment: 'no' });
    const again = await failure(w.governor.approve(bob, w.request.requestId, {}));
    expect([again.code, again.status, again.details]).toEqual(['RequestNotPending', 409, { requestStatus: 'rejected' }]);
    const missing = await failure(w.governor.approve(bob, 'sr-unknown', {}));
    expect([missing.code, missing.status]).toEqual(['RequestNotFound', 404]);
  });

  it('expires a request past its TTL instead of approving it, releasing the quota', async () => {
    const w = await pending({ pendingRequestTtlHours: 24 });
    w.clock.advanceHours(24);
    const error = await failure(w.governor.approve(bob, w.request.requestId, {}));
    expect([error.code, error.details]).toEqual(['RequestNotPending', { requestStatus: 'expired' }]);
    expect((await w.store.getRequest(w.request.requestId))?.status).toBe('expired');
    expect(w.store.allShares().map((s) => s.state)).toEqual(['expired', 'expired']);
    expect(await w.quotaUsed()).toBe(0);
  });

  it('re-checks policy and the image at approval time and leaves the request pending when refused', async () => {
    const w = await pending();
    const strict = createGovernor({ store: w.store, images: w.images, directory: w.directory, clock: w.clock, policy: testPolicy({ denyAccounts: [account(2)] }) });
    const denied = await failure(strict.approve(bob, w.request.requestId, {}));
    expect([denied.code, denied.details]).toEqual(['AccountNotAllowed', { accounts: [account(2)] }]);
    w.images.setStatus(REGION, IMAGE, 'Deprecated');
    const unavailable = await failure(w.governor.approve(bob, w.request.requestId, {}));
    expect([unavailable.code, unavailable.details]).toEqual(['ImageNotAvailable', { imageStatus: 'Deprecated' }]);
    expect((await w.store.getRequest(w.request.requestId))?.status).toBe('pending_approval');
    expect(w.images.callsOf('addShares')).toEqual([]);
    expect(await w.quotaUsed()).toBe(2);
  });

  it('lets only one of two concurrent approvers decide', async () => {
    const w = await pending();
    const carol: Ctx = { principal: { id: 'carol', roles: ['approver'] }, requestId: 'http-req-3' };
    const results = await Promise.allSettled([
      w.governor.approve(bob, w.request.requestId, {}),
      w.governor.reject(carol, w.request.requestId, { comment: 'no' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect((rejected?.reason as GovernorError).code).toBe('RequestNotPending');
    const status = (await w.store.getRequest(w.request.requestId))?.status;
    expect(await w.quotaUsed()).toBe(status === 'applied' ? 2 : 0);
    expect(w.images.sharedWith(REGION, IMAGE)).toHaveLength(status === 'applied' ? 2 : 0);
  });
});

describe('governor: ECS failures while applying', () => {
  it('leaves the shares applying with quota held and surfaces the throttling as-is', async () => {
    const w = world({ approvalRequired: false });
    const throttled = new GovernorError('UpstreamThrottled', 'ECS is throttling', { retryAfter: 2 });
    w.images.failNext('addShares', throttled);
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] })));
    expect(error).toBe(throttled);
    expect(w.store.allShares().map((s) => [s.state, s.lastError])).toEqual([
      ['applying', 'UpstreamThrottled'],
      ['applying', 'UpstreamThrottled'],
    ]);
    expect(w.store.allRequests().map((r) => r.status)).toEqual(['approved']);
    expect(await w.quotaUsed()).toBe(2);
  });

  it('resumes with the same request key without reserving or applying twice', async () => {
    const w = world({ approvalRequired: false });
    w.images.failNext('addShares', new GovernorError('UpstreamUnavailable'));
    await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] }), { requestKey: 'alice:key-1' }));
    const retry = await w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] }), { requestKey: 'alice:key-1' });
    expect(retry.outcome).toBe('applied');
    expect(retry.request).toMatchObject({ requestId: requestIdFor('alice:key-1'), status: 'applied' });
    expect(w.store.allRequests()).toHaveLength(1);
    expect(w.store.allShares().map((s) => [s.state, s.lastError])).toEqual([
      ['active', undefined],
      ['active', undefined],
    ]);
    expect(await w.quotaUsed()).toBe(2);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(1), account(2)]);
  });

  it('settles a share ECS applied before the response was lost, with no phantom and no double reservation', async () => {
    const w = world({ approvalRequired: false });
    w.images.failNext('addShares', new GovernorError('UpstreamUnavailable'), 1, { afterEffect: true });
    await failure(w.governor.requestShare(alice, shareInput(), { requestKey: 'alice:key-2' }));
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(1)]);
    expect(w.store.allShares().map((s) => s.state)).toEqual(['applying']);
    const retry = await w.governor.requestShare(alice, shareInput(), { requestKey: 'alice:key-2' });
    expect(retry.outcome === 'applied' && retry.shares.map((s) => s.state)).toEqual(['active']);
    expect(await w.quotaUsed()).toBe(1);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(1)]);
  });

  it('replays a pending request for a repeated key and refuses the key for another body', async () => {
    const w = world();
    const first = await w.governor.requestShare(alice, shareInput(), { requestKey: 'alice:key-3' });
    const again = await w.governor.requestShare(alice, shareInput(), { requestKey: 'alice:key-3' });
    expect(again).toEqual(first);
    expect(await w.quotaUsed()).toBe(1);
    const other = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(5)] }), { requestKey: 'alice:key-3' }));
    expect([other.code, other.status]).toEqual(['IdempotencyKeyReused', 422]);
  });

  it('completes the share rows after a store outage mid-request when retried with the key', async () => {
    const w = world();
    w.store.failNext('createShare', new StoreError('Unavailable'));
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] }), { requestKey: 'alice:key-4' }));
    expect([error.code, error.status]).toEqual(['UpstreamUnavailable', 503]);
    expect(w.store.allShares()).toHaveLength(1);
    const retry = await w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] }), { requestKey: 'alice:key-4' });
    expect(retry.outcome).toBe('pending');
    expect(w.store.allShares().map((s) => [s.accountId, s.state])).toEqual([
      [account(1), 'pending_approval'],
      [account(2), 'pending_approval'],
    ]);
    expect(await w.quotaUsed()).toBe(2);
  });

  it('finishes an interrupted apply when the approval is retried', async () => {
    const w = world();
    const { request } = await w.governor.requestShare(alice, shareInput());
    w.images.failNext('addShares', new GovernorError('UpstreamThrottled'));
    expect((await failure(w.governor.approve(bob, request.requestId, {}))).code).toBe('UpstreamThrottled');
    const { request: done, shares } = await w.governor.approve(bob, request.requestId, {});
    expect([done.status, shares.map((s) => s.state)]).toEqual(['applied', ['active']]);
    expect(await w.quotaUsed()).toBe(1);
  });

  it('fails shares ECS refuses for good and releases their quota', async () => {
    const w = world({ approvalRequired: false }, { knownAccounts: [account(1)] });
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] })));
    expect([error.code, error.status]).toEqual(['UnknownAccount', 422]);
    expect(w.store.allShares().map((s) => [s.accountId, s.state, s.lastError])).toEqual([
      [account(1), 'failed', 'UnknownAccount'],
      [account(2), 'failed', 'UnknownAccount'],
    ]);
    expect(w.store.allRequests().map((r) => r.status)).toEqual(['failed']);
    expect(await w.quotaUsed()).toBe(0);
  });

  it('replays the refusal when a request that failed for good is retried with its key', async () => {
    const w = world({ approvalRequired: false }, { knownAccounts: [] });
    const first = await failure(w.governor.requestShare(alice, shareInput(), { requestKey: 'alice:key-5' }));
    const again = await failure(w.governor.requestShare(alice, shareInput(), { requestKey: 'alice:key-5' }));
    expect([first.code, again.code, again.details]).toEqual([
      'UnknownAccount',
      'UnknownAccount',
      { shareRequestId: requestIdFor('alice:key-5'), failedAccounts: [account(1)] },
    ]);
    expect(w.images.callsOf('addShares')).toHaveLength(1);
    expect(await w.quotaUsed()).toBe(0);
  });

  it('applies the rest of an approved request whose share rows were left pending', async () => {
    const w = world();
    const { request } = await w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2)] }));
    // A crash right after the request row was approved: its share rows are still pending.
    await w.store.updateRequest({ ...request, status: 'approved', decidedBy: 'bob' }, request.version);
    const { request: done, shares } = await w.governor.approve(bob, request.requestId, {});
    expect([done.status, shares.map((s) => s.state)]).toEqual(['applied', ['active', 'active']]);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(1), account(2)]);
    expect(await w.quotaUsed()).toBe(2);
  });

  it('withdraws an ECS share whose intent was settled as failed while the add was in flight', async () => {
    const w = world({ approvalRequired: false });
    w.images.beforeAddShares = async () => {
      // The reconciler judges the intent stale and fails it, releasing its quota.
      const [intent] = w.store.allShares();
      await w.store.updateShare({ ...intent!, state: 'failed', lastError: 'stale' }, intent!.version);
      await w.store.adjustQuota(REGION, IMAGE, -1, 50, new Date(), 'account');
    };
    await w.governor.requestShare(alice, shareInput());
    expect(w.store.allShares().map((s) => s.state)).toEqual(['failed']);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([]);
    expect(await w.quotaUsed()).toBe(0);
  });

  it('fails the shares when ECS is full of shares made outside the service', async () => {
    const w = world({ approvalRequired: false });
    for (let i = 0; i < 48; i++) w.images.shareOutOfBand(REGION, IMAGE, account(100 + i));
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: [account(1), account(2), account(3)] })));
    expect([error.code, error.status, error.details.failedAccounts]).toEqual(['ShareQuotaExceeded', 409, [account(1), account(2), account(3)]]);
    expect(w.store.allShares().map((s) => s.state)).toEqual(['failed', 'failed', 'failed']);
    expect(await w.quotaUsed()).toBe(0);
    expect(w.images.sharedWith(REGION, IMAGE)).toHaveLength(48);
  });

  it('keeps the shares ECS accepted when a later chunk is refused (partially applied)', async () => {
    const accounts = Array.from({ length: 11 }, (_, i) => account(i));
    const w = world({ approvalRequired: false }, { knownAccounts: accounts.slice(0, 10) });
    const error = await failure(w.governor.requestShare(alice, shareInput({ accountIds: accounts })));
    expect([error.code, error.details.appliedAccounts, error.details.failedAccounts]).toEqual(['UnknownAccount', accounts.slice(0, 10), [account(10)]]);
    expect(w.store.allShares().filter((s) => s.state === 'active')).toHaveLength(10);
    expect(w.store.allShares().filter((s) => s.state === 'failed').map((s) => s.accountId)).toEqual([account(10)]);
    expect(w.store.allRequests().map((r) => r.status)).toEqual(['partially_applied']);
    expect(await w.quotaUsed()).toBe(10);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual(accounts.slice(0, 10));
  });
});
