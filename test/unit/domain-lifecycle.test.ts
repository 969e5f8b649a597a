// Unshare, guarded and drained deletion, and describe (drift) in the governance core.
import { describe, expect, it } from 'vitest';
import { UNSHARE_WARNING } from '../../shared/domain/governor.js';
import { GovernorError } from '../../shared/domain/errors.js';
import type { Policy } from '../../shared/domain/policy.js';
import { IMAGE, REGION, account, admin, alice, bob, domainWorld, failure, shareInput } from '../support/domain.js';

function world(policy: Partial<Policy> = {}, image: { inUse?: boolean } = {}) {
  const w = domainWorld(policy, image);
  const states = () => w.store.allShares().map((s) => [s.accountId, s.state]);
  /** Active shares for `active`, one pending request for `pending` (exempt accounts skip approval). */
  const seed = async (active: number[], pending: number[] = []) => {
    if (active.length > 0) {
      const { request } = await w.governor.requestShare(alice, shareInput(active));
      await w.governor.approve(bob, request.requestId, {});
    }
    if (pending.length > 0) return (await w.governor.requestShare(alice, shareInput(pending))).request;
    return undefined;
  };
  return { ...w, states, seed };
}

describe('governor.unshare', () => {
  it('revokes live shares, withdraws pending ones and reports the rest as not shared', async () => {
    // Prepare
    const w = world();
    const pending = await w.seed([1, 2], [3]);
    // Act
    const result = await w.governor.unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(1), account(3), account(4)], reason: 'contract ended' });
    // Assess
    expect(result.warning).toBe(UNSHARE_WARNING);
    expect(result.notShared).toEqual([account(4)]);
    expect(result.shares.map((s) => [s.accountId, s.state])).toEqual([
      [account(1), 'revoked'],
      [account(3), 'revoked'],
    ]);
    expect(w.states()).toEqual([
      [account(1), 'revoked'],
      [account(2), 'active'],
      [account(3), 'revoked'],
    ]);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(2)]);
    expect(await w.quotaUsed()).toBe(1);
    expect((await w.store.getRequest(pending?.requestId ?? ''))?.status).toBe('cancelled');
  });

  it('stores the revoking intent before ECS is called and releases quota with it', async () => {
    const w = world();
    await w.seed([1]);
    w.images.failNext('removeShares', new GovernorError('UpstreamUnavailable'));
    const error = await failure(w.governor.unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(1)], reason: 'done' }));
    expect(error.code).toBe('UpstreamUnavailable');
    expect(w.states()).toEqual([[account(1), 'revoking']]);
    expect(await w.quotaUsed()).toBe(0);
    // A retry completes the removal.
    const retry = await w.governor.unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(1)], reason: 'done' });
    expect(retry.shares.map((s) => s.state)).toEqual(['revoked']);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([]);
    expect(await w.quotaUsed()).toBe(0);
  });

  it('removes a share made outside the service for a named account', async () => {
    const w = world();
    w.images.shareOutOfBand(REGION, IMAGE, account(8));
    const result = await w.governor.unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(8)], reason: 'not ours' });
    expect([result.shares, result.notShared]).toEqual([[], []]);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([]);
  });

  it('also removes an outside share of an account that only has a pending ask', async () => {
    const w = world();
    await w.seed([], [4]);
    w.images.shareOutOfBand(REGION, IMAGE, account(4));
    const result = await w.governor.unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(4)], reason: 'no' });
    expect(result.shares.map((s) => [s.accountId, s.state])).toEqual([[account(4), 'revoked']]);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([]);
    expect(await w.quotaUsed()).toBe(0);
  });

  it('refuses while a share of a named account is being applied', async () => {
    const w = world({ approvalRequired: false });
    w.images.failNext('addShares', new GovernorError('UpstreamThrottled'));
    await failure(w.governor.requestShare(alice, shareInput([1])));
    const error = await failure(w.governor.unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(1)], reason: 'x' }));
    expect([error.code, error.details]).toEqual(['ConcurrentModification', { accounts: [account(1)] }]);
    expect(w.images.callsOf('removeShares')).toEqual([]);
  });

  it('validates before acting', async () => {
    const w = world();
    await w.seed([1]);
    const error = await failure(w.governor.unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(1), 'x'], reason: 'done' }));
    expect(error.code).toBe('ValidationFailed');
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(1)]);
    const region = await failure(w.governor.unshare(alice, { regionId: 'us-east-1', imageId: IMAGE, accountIds: [account(1)], reason: 'done' }));
    expect(region.code).toBe('RegionNotManaged');
  });
});

describe('governor.requestDeletion: guard', () => {
  it('refuses while the store or ECS shows a share, listing the accounts, without calling DeleteImage', async () => {
    const w = world();
    await w.seed([1], [2]);
    w.images.shareOutOfBand(REGION, IMAGE, account(9));
    const error = await failure(w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'guard', reason: 'retire' }));
    const accounts = [account(1), account(2), account(9)];
    expect([error.code, error.status, error.details]).toEqual([
      'ImageStillShared',
      409,
      { shares: accounts, targets: accounts.map((target) => ({ channel: 'account', target, accountId: target })) },
    ]);
    expect(w.images.callsOf('deleteImage')).toEqual([]);
    expect(w.images.isDeleted(REGION, IMAGE)).toBe(false);
  });

  it('deletes an image nobody shares and records it', async () => {
    const w = world();
    expect(await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'guard', reason: 'retire' })).toEqual({ status: 'deleted' });
    expect(w.images.isDeleted(REGION, IMAGE)).toBe(true);
    expect(await w.governor.deletionStatus(alice, REGION, IMAGE)).toEqual({ status: 'deleted', remaining: 0 });
    expect(w.store.allEvents().map((e) => [e.action, e.principal, e.after])).toEqual([['image.deleted', 'root', 'deleted']]);
  });

  it('passes ImageInUse through unless forced', async () => {
    const w = world({}, { inUse: true });
    const error = await failure(w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'guard', reason: 'retire' }));
    expect([error.code, error.status]).toEqual(['ImageInUse', 409]);
    expect(await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'guard', reason: 'retire', force: true })).toEqual({ status: 'deleted' });
  });

  it('answers ImageNotFound for an image neither the store nor ECS knows', async () => {
    const w = world();
    const error = await failure(w.governor.requestDeletion(admin, REGION, 'm-nosuchimage1', { mode: 'guard', reason: 'retire' }));
    expect(error.code).toBe('ImageNotFound');
  });

  it('validates the mode and reason and the region before touching anything', async () => {
    const w = world();
    const bad = await failure(w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'purge' as 'guard', reason: '' }));
    expect([bad.code, (bad.details.errors as { path: string }[]).map((e) => e.path)]).toEqual(['ValidationFailed', ['/mode', '/reason']]);
    const region = await failure(w.governor.requestDeletion(admin, 'ap-south-9', IMAGE, { mode: 'guard', reason: 'retire' }));
    expect(region.code).toBe('RegionNotManaged');
    expect([w.images.calls, w.store.calls.filter((c) => c.operation !== 'getImage')]).toEqual([[], []]);
  });
});

describe('governor.requestDeletion: drain', () => {
  it('cancels pending requests, revokes every share (managed or not) and deletes once ECS shows none', async () => {
    // Prepare
    const w = world();
    const pending = await w.seed([1, 2], [3]);
    w.images.shareOutOfBand(REGION, IMAGE, account(9));
    // Act
    const result = await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire v1' });
    // Assess
    expect(result).toEqual({ status: 'deleted' });
    expect(w.images.isDeleted(REGION, IMAGE)).toBe(true);
    expect(w.states()).toEqual([
      [account(1), 'revoked'],
      [account(2), 'revoked'],
      [account(3), 'revoked'],
    ]);
    expect((await w.store.getRequest(pending?.requestId ?? ''))?.status).toBe('cancelled');
    expect(await w.store.getImage(REGION, IMAGE)).toMatchObject({ lifecycle: 'deleted', quotaUsed: 0, deletion: { status: 'deleted', mode: 'drain', reason: 'retire v1', requestedBy: 'root' } });
    const actions = w.store.allEvents().filter((e) => e.principal === 'root').map((e) => [e.action, e.accountId ?? null]);
    expect(actions).toEqual([
      ['image.drain_started', null],
      ['request.cancelled', account(3)],
      ['share.revoked', account(1)],
      ['share.revoked', account(2)],
      ['share.revoked', account(9)],
      ['image.deleted', null],
    ]);
  });

  it('reports draining with what remains when ECS cannot finish, blocks new shares, and finishes on a later pass', async () => {
    const w = world();
    await w.seed([1, 2]);
    w.images.failNext('removeShares', new GovernorError('UpstreamThrottled'));
    expect(await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' })).toEqual({ status: 'draining', remaining: 2 });
    expect(await w.governor.deletionStatus(alice, REGION, IMAGE)).toEqual({ status: 'draining', remaining: 2, lastError: 'UpstreamThrottled' });
    expect(w.images.isDeleted(REGION, IMAGE)).toBe(false);

    const refused = await failure(w.governor.requestShare(alice, shareInput([5])));
    expect(refused.code).toBe('ImageDeletionPending');

    expect(await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' })).toEqual({ status: 'deleted' });
    expect(w.images.isDeleted(REGION, IMAGE)).toBe(true);
    expect(await w.quotaUsed()).toBe(0);
  });

  it('does not delete while a share could not be removed', async () => {
    const w = world();
    await w.seed([1]);
    w.images.failNext('removeShares', new GovernorError('UpstreamUnavailable'));
    const first = await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' });
    expect(first).toEqual({ status: 'draining', remaining: 1 });
    expect(w.states()).toEqual([[account(1), 'revoking']]);
    expect(w.images.callsOf('deleteImage')).toEqual([]);
  });

  it('never deletes while ECS lists an account whose apply is still in flight', async () => {
    const w = world({ approvalRequired: false });
    // ECS applied the share but the answer was lost: the store holds an `applying` intent.
    w.images.failNext('addShares', new GovernorError('UpstreamUnavailable'), 1, { afterEffect: true });
    await failure(w.governor.requestShare(alice, shareInput([1])));
    const result = await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' });
    expect(result).toEqual({ status: 'draining', remaining: 1 });
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(1)]);
    expect(w.images.callsOf('deleteImage')).toEqual([]);
  });

  it('records a refused DeleteImage as failed and keeps the image draining', async () => {
    const w = world({}, { inUse: true });
    await w.seed([1]);
    const error = await failure(w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' }));
    expect(error.code).toBe('ImageInUse');
    expect(await w.governor.deletionStatus(alice, REGION, IMAGE)).toEqual({ status: 'failed', remaining: 0, lastError: 'ImageInUse' });
    expect((await w.store.getImage(REGION, IMAGE))?.lifecycle).toBe('draining');
    // Another pass failing the same way adds no write and no event.
    const version = (await w.store.getImage(REGION, IMAGE))?.version;
    const events = w.store.allEvents().length;
    expect((await failure(w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' }))).code).toBe('ImageInUse');
    expect([(await w.store.getImage(REGION, IMAGE))?.version, w.store.allEvents().length]).toEqual([version, events]);
    expect(await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire', force: true })).toEqual({ status: 'deleted' });
  });

  it('cancels a drain: the image takes shares again and revoked shares stay revoked', async () => {
    const w = world();
    await w.seed([1, 2]);
    w.images.shareOutOfBand(REGION, IMAGE, account(9));
    // Managed shares are revoked, then reading ECS for strays is throttled: the drain pauses.
    w.images.failNext('getSharePermissions', new GovernorError('UpstreamThrottled'), 1);
    expect(await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' })).toMatchObject({ status: 'draining' });
    expect(w.states()).toEqual([
      [account(1), 'revoked'],
      [account(2), 'revoked'],
    ]);

    expect(await w.governor.cancelDeletion(admin, REGION, IMAGE)).toEqual({ status: 'cancelled', remaining: 0 });
    expect(await w.governor.deletionStatus(alice, REGION, IMAGE)).toEqual({ status: 'cancelled', remaining: 0 });
    expect(w.states()).toEqual([
      [account(1), 'revoked'],
      [account(2), 'revoked'],
    ]);
    expect((await w.governor.requestShare(alice, shareInput([1]))).outcome).toBe('pending');
    expect(w.store.allEvents().some((e) => e.action === 'image.drain_cancelled' && e.principal === 'root')).toBe(true);
  });

  it('refuses to cancel when no drain is in progress', async () => {
    const w = world();
    const none = await failure(w.governor.cancelDeletion(admin, REGION, IMAGE));
    expect([none.code, none.status, none.details]).toEqual(['DeletionNotInProgress', 409, { deletionStatus: 'none' }]);
    await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' });
    const deleted = await failure(w.governor.cancelDeletion(admin, REGION, IMAGE));
    expect([deleted.code, deleted.details]).toEqual(['DeletionNotInProgress', { deletionStatus: 'deleted' }]);
  });

  it('reports none for an image without a record', async () => {
    const w = world();
    expect(await w.governor.deletionStatus(alice, REGION, IMAGE)).toEqual({ status: 'none', remaining: 0 });
  });

  it('refuses to approve a request for an image that started draining and cancels it', async () => {
    const w = world();
    const request = await w.seed([], [1]);
    w.images.failNext('getSharePermissions', new GovernorError('UpstreamThrottled'));
    await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' });
    const error = await failure(w.governor.approve(bob, request?.requestId ?? '', {}));
    expect(error.code).toBe('RequestNotPending');
    expect((await w.store.getRequest(request?.requestId ?? ''))?.status).toBe('cancelled');
    expect(await w.quotaUsed()).toBe(0);
    expect(w.images.callsOf('addShares')).toEqual([]);
  });
});

describe('governor.describeImage', () => {
  it('joins the store with ECS and reports unmanaged, missing and public drift', async () => {
    // Prepare
    const w = world({ allowPublicImages: false });
    const pending = await w.seed([1, 2], [3]);
    w.images.shareOutOfBand(REGION, IMAGE, account(9));
    await w.images.removeShares(REGION, IMAGE, [account(2)]);
    w.images.setPublic(REGION, IMAGE, true);
    // Act
    const d = await w.governor.describeImage(alice, REGION, IMAGE, { live: true });
    // Assess
    expect(d.drift).toEqual([
      { kind: 'unmanaged', channel: 'account', target: account(9), accountId: account(9) },
      { kind: 'missing', channel: 'account', target: account(2), accountId: account(2) },
      { kind: 'public', channel: 'account', target: 'all' },
    ]);
    expect(d.public).toBe(true);
    expect(d.quota).toEqual({ limit: 50, used: 3 });
    expect(d.shares.map((s) => [s.accountId, s.state])).toEqual([
      [account(1), 'active'],
      [account(2), 'active'],
      [account(3), 'pending_approval'],
    ]);
    expect(d.pendingRequests.map((r) => r.requestId)).toEqual([pending?.requestId]);
    expect(d.image).toEqual({
      regionId: REGION,
      imageId: IMAGE,
      imageName: 'golden',
      managed: true,
      lifecycle: 'active',
      deletion: { status: 'none' },
      ecs: { status: 'Available', kind: 'custom', isPublic: true, tags: {} },
      createdAt: '2026-03-01T10:00:00.000Z',
      updatedAt: '2026-03-01T10:00:00.000Z',
    });
  });

  it('tolerates a public image when policy allows it', async () => {
    const w = world({ allowPublicImages: true });
    w.images.setPublic(REGION, IMAGE, true);
    const d = await w.governor.describeImage(alice, REGION, IMAGE, { live: true });
    expect([d.drift, d.public, d.image.managed]).toEqual([[], true, false]);
  });

  it('reads only the store when live is false', async () => {
    const w = world();
    await w.seed([1]);
    w.images.shareOutOfBand(REGION, IMAGE, account(9));
    const before = w.images.calls.length;
    const d = await w.governor.describeImage(alice, REGION, IMAGE, { live: false });
    expect([d.drift, d.public, d.image.ecs]).toEqual([[], null, null]);
    expect(w.images.calls.length).toBe(before);
  });

  it('answers ImageNotFound when neither the store nor ECS knows the image', async () => {
    const w = world();
    expect((await failure(w.governor.describeImage(alice, REGION, 'm-nosuchimage1', { live: true }))).code).toBe('ImageNotFound');
    expect((await failure(w.governor.describeImage(alice, REGION, IMAGE, { live: false }))).code).toBe('ImageNotFound');
  });
});

describe('governor audit trail', () => {
  it('records rejections, revocations and withdrawals with who, why and before → after', async () => {
    const w = world();
    const rejected = await w.seed([], [1]);
    await w.governor.reject(bob, rejected?.requestId ?? '', { comment: 'unknown partner' });
    await w.seed([2], [3]);
    const since = w.store.allEvents().length;
    await w.governor.unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(2), account(3)], reason: 'contract ended' });
    const rejection = w.store.allEvents().find((e) => e.action === 'share.rejected');
    expect(rejection).toMatchObject({ principal: 'bob', requestId: 'http-req-2', accountId: account(1), before: 'pending_approval', after: 'rejected', reason: 'unknown partner', shareRequestId: rejected?.requestId });
    const removal = w.store.allEvents().slice(since).map((e) => [e.action, e.principal, e.accountId, e.before, e.after, e.reason]);
    expect(removal).toEqual([
      ['request.cancelled', 'alice', account(3), 'pending_approval', 'revoked', 'contract ended'],
      ['share.revoked', 'alice', account(2), 'active', 'revoked', 'contract ended'],
    ]);
  });
});

describe('governor listings', () => {
  it('lists the audit trail newest first with the HTTP request id of each action', async () => {
    const w = world();
    await w.seed([1]);
    const page = await w.governor.listEvents(alice, REGION, IMAGE, { limit: 2 });
    expect(page.items.map((e) => [e.action, e.principal, e.requestId])).toEqual([
      ['share.applied', 'bob', 'http-req-2'],
      ['share.approved', 'bob', 'http-req-2'],
    ]);
    const rest = await w.governor.listEvents(alice, REGION, IMAGE, { limit: 10, cursor: page.nextCursor });
    expect(rest.items.map((e) => [e.action, e.principal, e.requestId])).toEqual([['share.requested', 'alice', 'http-req-1']]);
    expect(rest.nextCursor).toBeUndefined();
  });

  it('lists requests by status, gets one, lists images and runs', async () => {
    const w = world();
    const request = await w.seed([1], [2]);
    const pending = await w.governor.listRequests(bob, { status: 'pending_approval', limit: 10 });
    expect(pending.items.map((r) => r.requestId)).toEqual([request?.requestId]);
    expect((await w.governor.getRequest(bob, request?.requestId ?? '')).accountIds).toEqual([account(2)]);
    expect((await failure(w.governor.getRequest(bob, 'sr-nope'))).code).toBe('RequestNotFound');
    expect((await w.governor.listImages(bob, { regionId: REGION, limit: 10 })).items.map((i) => i.imageId)).toEqual([IMAGE]);
    expect((await failure(w.governor.listImages(bob, { regionId: 'mars-1', limit: 10 }))).code).toBe('RegionNotManaged');
    expect((await failure(w.governor.getRun(bob, 'run-1'))).code).toBe('RunNotFound');
    await w.store.putRun({
      runId: 'run-1', trigger: 'timer', mode: 'report', regions: [REGION], status: 'completed', startedAt: '2026-03-01T10:00:00.000Z',
      imagesScanned: 1, findings: {}, actions: {}, errors: [], apiCalls: {},
    });
    expect((await w.governor.getRun(bob, 'run-1')).status).toBe('completed');
    expect((await w.governor.listRuns(bob, { limit: 5 })).items.map((r) => r.runId)).toEqual(['run-1']);
  });
});
