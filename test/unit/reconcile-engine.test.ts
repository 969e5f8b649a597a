import { describe, expect, it } from 'vitest';
import { reconcileImage } from '../../shared/domain/reconcile/image.js';
import { START_CURSOR, sweepRegion } from '../../shared/domain/reconcile/sweep.js';
import { GovernorError } from '../../shared/domain/errors.js';
import { T0 } from '../support/clock.js';
import { ACCOUNTS, harness, LONG_AGO, REGION, seedImage, seedRequest, seedShare, storedState, sweep, writesOf, type Harness } from '../fixtures/reconcile/harness.js';

const [A1, A2, A3] = ACCOUNTS;
const IMG = 'm-recon00000001';

/** IMG as ECS has it, shared with `accounts` (whether the service knows of those shares or not). */
function ecsImageSharedWith(h: Harness, accounts: string[]): void {
  h.images.addImage({ imageId: IMG });
  for (const accountId of accounts) h.images.shareOutOfBand(REGION, IMG, accountId);
}

/** A1's share is active in the store and holds quota, but ECS no longer lists it. */
async function lostShare(policy: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const h = harness(policy);
  ecsImageSharedWith(h, []);
  await seedImage(h, IMG, { quotaUsed: 1 });
  await seedShare(h, IMG, A1, 'active');
  return h;
}

describe('reconcile engine: unmanaged shares', () => {
  it('report mode reports an unmanaged share and changes nothing', async () => {
    const h = harness({ unmanagedShares: 'adopt' });
    ecsImageSharedWith(h, [A1]);
    const seeded = h.store.calls.length;
    const env = await sweep(h, 'report');
    expect(env.tally.findings).toEqual({ unmanaged: 1 });
    expect(env.tally.actions).toEqual({});
    expect(h.images.sharedWith(REGION, IMG)).toEqual([A1]);
    expect(writesOf(h, seeded)).toEqual([]);
  });

  it('adopt records the share as adopted and active, reserves quota and audits as system:reconcile', async () => {
    const h = harness({ unmanagedShares: 'adopt' });
    ecsImageSharedWith(h, [A1]);
    const env = await sweep(h, 'enforce');
    expect(env.tally.actions).toEqual({ share_adopted: 1 });
    expect(h.store.allShares()).toEqual([expect.objectContaining({ imageId: IMG, accountId: A1, state: 'active', origin: 'adopted' })]);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(1);
    expect(h.store.allEvents()).toEqual([
      expect.objectContaining({ action: 'reconcile.adopted', accountId: A1, principal: 'system:reconcile', requestId: 'run-test' }),
    ]);
    expect(h.images.sharedWith(REGION, IMG)).toEqual([A1]);
  });

  it('adopt revokes instead an account the policy denies', async () => {
    const h = harness({ unmanagedShares: 'adopt', denyAccounts: [A2] });
    ecsImageSharedWith(h, [A1, A2]);
    const env = await sweep(h, 'enforce');
    expect(env.tally.actions).toEqual({ share_adopted: 1, unmanaged_revoked: 1 });
    expect(h.images.sharedWith(REGION, IMG)).toEqual([A1]);
  });

  it('adopt stops at the policy quota: the rest stays unmanaged and is reported as an error', async () => {
    const h = harness({ unmanagedShares: 'adopt', maxSharesPerImage: 1 });
    ecsImageSharedWith(h, [A1, A2]);
    const env = await sweep(h, 'enforce');
    expect(env.tally.actions).toEqual({ share_adopted: 1 });
    expect(env.tally.errors).toEqual([{ regionId: REGION, imageId: IMG, code: 'ShareQuotaExceeded', message: expect.stringContaining(A2) }]);
    expect(h.store.allShares().map((s) => s.accountId)).toEqual([A1]);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(1);
    expect(h.images.sharedWith(REGION, IMG)).toEqual([A1, A2]);
  });

  it('revoke removes unmanaged shares from ECS', async () => {
    const h = harness({ unmanagedShares: 'revoke' });
    ecsImageSharedWith(h, [A1, A2]);
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { unmanaged: 2 }, actions: { unmanaged_revoked: 2 } });
    expect(h.images.sharedWith(REGION, IMG)).toEqual([]);
    expect(h.store.allEvents().map((e) => [e.action, e.accountId, e.principal])).toEqual([
      ['reconcile.unmanaged_revoked', A1, 'system:reconcile'],
      ['reconcile.unmanaged_revoked', A2, 'system:reconcile'],
    ]);
  });
});

describe('reconcile engine: an approval interrupted before its rows followed', () => {
  it('moves the leftover pending row to approved, then applies it once the grace period has passed', async () => {
    const h = harness();
    ecsImageSharedWith(h, []);
    await seedImage(h, IMG, { quotaUsed: 1 });
    const request = await seedRequest(h, IMG, [A1], '2026-03-01T00:00:00.000Z');
    await h.store.updateRequest({ ...request, status: 'approved', decidedBy: 'bob' }, request.version);
    await seedShare(h, IMG, A1, 'pending_approval');
    const first = await sweep(h, 'enforce');
    expect(h.store.allShares()).toEqual([expect.objectContaining({ accountId: A1, state: 'approved' })]);
    expect(first.tally.findings).toEqual({});
    h.clock.advance(600_000);
    const second = await sweep(h, 'enforce');
    expect(second.tally).toMatchObject({ findings: { stale_intent: 1 }, actions: { share_reapplied: 1 } });
    expect(h.images.sharedWith(REGION, IMG)).toEqual([A1]);
    expect(h.store.allShares()).toEqual([expect.objectContaining({ state: 'active' })]);
    expect((await h.store.getRequest(request.requestId))?.status).toBe('applied');
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(1);
  });
});

describe('reconcile engine: unmanaged shares taken over during the run', () => {
  /** ECS lists A1 and the run reads no row for it; right after, an approved request's apply records A1 as active. */
  async function reconcileWhileA1IsTaken(unmanagedShares: 'revoke' | 'adopt') {
    const h = harness({ unmanagedShares });
    ecsImageSharedWith(h, [A1]);
    await seedImage(h, IMG, { quotaUsed: 1 });
    const ecs = await h.images.getImage(REGION, IMG);
    const listShares = h.store.listShares.bind(h.store);
    let reads = 0;
    h.store.listShares = async (regionId: string, imageId: string) => {
      const rows = await listShares(regionId, imageId);
      if (reads++ === 0) await seedShare(h, IMG, A1, 'active');
      return rows;
    };
    const env = h.env('enforce');
    await reconcileImage(env, REGION, IMG, ecs);
    return { h, env };
  }

  it('does not revoke an account a share request took after the run read the rows', async () => {
    const { h, env } = await reconcileWhileA1IsTaken('revoke');
    expect(env.tally.findings).toEqual({ unmanaged: 1 });
    expect(env.tally.actions).toEqual({});
    expect(h.images.callsOf('removeShares')).toEqual([]);
    expect(h.images.sharedWith(REGION, IMG)).toEqual([A1]);
  });

  it('adopt skips an account a share request took meanwhile instead of failing the image', async () => {
    const { h, env } = await reconcileWhileA1IsTaken('adopt');
    expect(env.tally.errors).toEqual([]);
    expect(env.tally.actions).toEqual({});
    expect(h.store.allShares()).toEqual([expect.objectContaining({ accountId: A1, state: 'active', origin: 'request' })]);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(1);
  });
});

describe('reconcile engine: missing shares', () => {
  it('re-applies an active share ECS lost through the applying intent', async () => {
    const h = await lostShare();
    const seeded = h.store.calls.length;
    const statesAtEcsCall: string[] = [];
    h.images.beforeAddShares = async () => {
      statesAtEcsCall.push((await h.store.getShare(REGION, IMG, { channel: 'account', target: A1 }))?.state ?? 'none');
    };
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { missing: 1 }, actions: { share_reapplied: 1 } });
    expect(h.images.sharedWith(REGION, IMG)).toEqual([A1]);
    // The intent is stored before ECS is asked, so a concurrent unshare or drain sees the apply.
    expect(statesAtEcsCall).toEqual(['applying']);
    expect(writesOf(h, seeded)).toEqual(['updateShare', 'updateShare', 'appendAudit']);
    expect(h.store.allShares()).toEqual([expect.objectContaining({ state: 'active' })]);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(1);
  });

  it('does not re-apply a missing share whose image started draining after the run read it', async () => {
    const h = harness();
    ecsImageSharedWith(h, []);
    await seedImage(h, IMG, { quotaUsed: 1 });
    const share = await seedShare(h, IMG, A1, 'active');
    // The drain lands between the run's read of the record and the re-apply.
    const ecs = await h.images.getImage(REGION, IMG);
    const record = await h.store.getImage(REGION, IMG);
    await h.store.updateImage({ ...record!, lifecycle: 'draining', deletion: { status: 'draining', mode: 'drain' } }, record!.version);
    const env = h.env('enforce');
    const original = h.store.getImage.bind(h.store);
    let reads = 0;
    h.store.getImage = async (regionId: string, imageId: string) => {
      const stored = await original(regionId, imageId);
      // The first read is the run's own (before the drain was visible to it).
      return reads++ === 0 && stored ? { ...stored, lifecycle: 'active' } : stored;
    };
    await reconcileImage(env, REGION, IMG, ecs);
    expect(h.images.callsOf('addShares')).toEqual([]);
    expect(h.images.sharedWith(REGION, IMG)).toEqual([]);
    expect(h.store.allShares()).toEqual([expect.objectContaining({ accountId: share.accountId, state: 'failed' })]);
    expect((await original(REGION, IMG))?.quotaUsed).toBe(0);
  });

  it('closes a missing share the policy no longer allows and releases its quota', async () => {
    const h = await lostShare({ denyAccounts: [A1] });
    const env = await sweep(h, 'enforce');
    expect(env.tally.actions).toEqual({ share_revoked: 1 });
    expect(h.store.allShares()).toEqual([expect.objectContaining({ state: 'revoked' })]);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(0);
    expect(h.images.sharedWith(REGION, IMG)).toEqual([]);
  });

  it('marks a missing share failed when ECS refuses it for good (unknown account)', async () => {
    const h = await lostShare();
    h.images.failNext('addShares', new GovernorError('UnknownAccount'));
    const env = await sweep(h, 'enforce');
    expect(env.tally.actions).toEqual({ share_failed: 1 });
    expect(h.store.allShares()).toEqual([expect.objectContaining({ state: 'failed', lastError: 'UnknownAccount' })]);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(0);
  });

  it('records a throttled re-apply as an error and leaves the share for the next run', async () => {
    const h = await lostShare();
    h.images.failNext('addShares', new GovernorError('UpstreamThrottled'));
    const env = await sweep(h, 'enforce');
    expect(env.tally.errors).toEqual([{ regionId: REGION, imageId: IMG, code: 'UpstreamThrottled', message: expect.any(String) }]);
    // The intent stays, holding its quota: the next run settles it from ECS truth.
    expect(h.store.allShares()).toEqual([expect.objectContaining({ state: 'applying', lastError: 'UpstreamThrottled' })]);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(1);
  });

  it('report mode only reports the missing share', async () => {
    const h = await lostShare();
    const seeded = h.store.calls.length;
    const env = await sweep(h, 'report');
    expect(env.tally.findings).toEqual({ missing: 1 });
    expect(h.images.sharedWith(REGION, IMG)).toEqual([]);
    expect(writesOf(h, seeded)).toEqual([]);
  });
});

describe('reconcile engine: public images', () => {
  it('unpublishes a community image when policy forbids them; report mode does not', async () => {
    for (const mode of ['report', 'enforce'] as const) {
      const h = harness({ allowPublicImages: false });
      h.images.addImage({ imageId: IMG, isPublic: true });
      const env = await sweep(h, mode);
      expect(env.tally.findings).toEqual({ public: 1 });
      expect((await h.images.getSharePermissions(REGION, IMG)).isPublic).toBe(mode === 'report');
    }
  });

  it('tolerates a community image when policy allows them', async () => {
    const h = harness({ allowPublicImages: true });
    h.images.addImage({ imageId: IMG, isPublic: true });
    const env = await sweep(h, 'enforce');
    expect(env.tally.findings).toEqual({});
  });
});

describe('reconcile engine: stale intents', () => {
  it('applying + listed by ECS → active; applying + not listed → re-applied; fresh intents untouched', async () => {
    const h = harness();
    ecsImageSharedWith(h, [A1]);
    await seedImage(h, IMG, { quotaUsed: 3 });
    await seedShare(h, IMG, A1, 'applying');
    await seedShare(h, IMG, A2, 'applying');
    await seedShare(h, IMG, A3, 'applying', { updatedAt: new Date(h.clock.now().getTime() - 10_000).toISOString() });
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { stale_intent: 2 }, actions: { intent_applied: 1, share_reapplied: 1 } });
    expect(h.store.allShares().map((s) => [s.accountId, s.state])).toEqual([
      [A1, 'active'],
      [A2, 'active'],
      [A3, 'applying'],
    ]);
    expect(h.images.sharedWith(REGION, IMG)).toEqual([A1, A2]);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(3);
  });

  it('applying + not listed + no longer allowed → failed, quota released', async () => {
    const h = harness({ denyAccounts: [A1] });
    ecsImageSharedWith(h, []);
    await seedImage(h, IMG, { quotaUsed: 1 });
    await seedShare(h, IMG, A1, 'applying');
    const env = await sweep(h, 'enforce');
    expect(env.tally.actions).toEqual({ share_failed: 1 });
    expect(h.store.allShares()).toEqual([expect.objectContaining({ state: 'failed' })]);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(0);
    expect(h.images.callsOf('addShares')).toEqual([]);
  });

  it('revoking + listed → removed again and revoked; revoking + absent → revoked (quota untouched: released with the intent)', async () => {
    const h = harness();
    ecsImageSharedWith(h, [A1]);
    await seedImage(h, IMG, { quotaUsed: 0 });
    await seedShare(h, IMG, A1, 'revoking');
    await seedShare(h, IMG, A2, 'revoking');
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { stale_intent: 2 }, actions: { share_revoked: 1, intent_revoked: 1 } });
    expect(h.store.allShares().map((s) => s.state)).toEqual(['revoked', 'revoked']);
    expect(h.images.sharedWith(REGION, IMG)).toEqual([]);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(0);
  });

  it('approved rows of an approved request left before their intent are applied; pending rows of a dead request are closed', async () => {
    const h = harness();
    ecsImageSharedWith(h, []);
    await seedImage(h, IMG, { quotaUsed: 2 });
    const approved = await seedRequest(h, IMG, [A1], '2026-12-31T00:00:00.000Z', 'req-approved');
    await h.store.updateRequest({ ...approved, status: 'approved', decidedBy: 'bob' }, approved.version);
    await seedShare(h, IMG, A1, 'approved', { requestId: 'req-approved' });
    await seedShare(h, IMG, A2, 'pending_approval', { requestId: 'req-vanished' });
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { stale_intent: 2 }, actions: { pending_settled: 1, share_reapplied: 1 } });
    expect(h.store.allShares().map((s) => [s.accountId, s.state])).toEqual([
      [A1, 'active'],
      [A2, 'revoked'],
    ]);
    expect(h.images.sharedWith(REGION, IMG)).toEqual([A1]);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(1);
    expect((await h.store.getRequest('req-approved'))?.status).toBe('applied');
  });

  it('report mode reports stale intents without resolving them', async () => {
    const h = harness();
    ecsImageSharedWith(h, []);
    await seedImage(h, IMG, { quotaUsed: 1 });
    await seedShare(h, IMG, A1, 'applying');
    await seedShare(h, IMG, A2, 'revoking');
    const before = await storedState(h, [IMG]);
    const env = await sweep(h, 'report');
    expect(env.tally.findings).toEqual({ stale_intent: 2 });
    expect(await storedState(h, [IMG])).toEqual(before);
  });
});

describe('reconcile engine: expiry', () => {
  it('revokes an expired active share in ECS, state expired, quota released', async () => {
    const h = harness();
    ecsImageSharedWith(h, [A1]);
    await seedImage(h, IMG, { quotaUsed: 1 });
    await seedShare(h, IMG, A1, 'active', { expiresAt: LONG_AGO });
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { expired_share: 1 }, actions: { share_expired: 1 } });
    expect(h.store.allShares()).toEqual([expect.objectContaining({ state: 'expired' })]);
    expect(h.images.sharedWith(REGION, IMG)).toEqual([]);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(0);
  });

  it('expires a pending request past pendingUntil: request and shares expired, quota released', async () => {
    const h = harness();
    ecsImageSharedWith(h, []);
    await seedImage(h, IMG, { quotaUsed: 2 });
    await seedRequest(h, IMG, [A1, A2], LONG_AGO);
    await seedShare(h, IMG, A1, 'pending_approval');
    await seedShare(h, IMG, A2, 'pending_approval');
    const report = await sweep(h, 'report');
    expect(report.tally.findings).toEqual({ expired_request: 1 });
    expect(h.store.allRequests()[0]?.status).toBe('pending_approval');
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { expired_request: 1 }, actions: { request_expired: 1 } });
    expect(h.store.allRequests()[0]?.status).toBe('expired');
    expect(h.store.allShares().map((s) => s.state)).toEqual(['expired', 'expired']);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(0);
  });
});

describe('reconcile engine: draining and deleted images', () => {
  const draining = { lifecycle: 'draining' as const, deletion: { status: 'draining' as const, mode: 'drain' as const, reason: 'retire' } };

  it('revokes the rest and deletes only once ECS lists zero shares', async () => {
    const h = harness();
    ecsImageSharedWith(h, [A1, A2]);
    await seedImage(h, IMG, { quotaUsed: 1, ...draining });
    await seedShare(h, IMG, A1, 'active');
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { draining: 1 }, actions: { image_deleted: 1 } });
    expect(h.images.isDeleted(REGION, IMG)).toBe(true);
    const order = h.images.calls.map((c) => c.method);
    expect(order.lastIndexOf('removeShares')).toBeLessThan(order.indexOf('deleteImage'));
    expect(await h.store.getImage(REGION, IMG)).toMatchObject({ lifecycle: 'deleted', quotaUsed: 0, deletion: { status: 'deleted' } });
  });

  it('does not delete while a removal fails, and deletes on a later run', async () => {
    const h = harness();
    ecsImageSharedWith(h, [A1]);
    await seedImage(h, IMG, { quotaUsed: 1, ...draining });
    await seedShare(h, IMG, A1, 'active');
    h.images.failNext('removeShares', new GovernorError('UpstreamUnavailable'));
    const first = await sweep(h, 'enforce');
    expect(first.tally.actions).toEqual({ drain_progressed: 1 });
    expect(h.images.callsOf('deleteImage')).toEqual([]);
    h.clock.advance(600_000);
    const second = await sweep(h, 'enforce');
    expect(second.tally.actions).toEqual({ image_deleted: 1 });
    expect(h.images.isDeleted(REGION, IMG)).toBe(true);
  });

  it('settles stale applying intents of a draining image from ECS truth, then deletes it', async () => {
    const h = harness();
    h.images.addImage({ imageId: IMG });
    h.images.shareOutOfBand(REGION, IMG, A1); // the add landed, the apply crashed before `active`
    await seedImage(h, IMG, { quotaUsed: 2, ...draining });
    await seedShare(h, IMG, A1, 'applying');
    await seedShare(h, IMG, A2, 'applying'); // the add never reached ECS
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { draining: 1 }, actions: { image_deleted: 1 } });
    expect(h.images.isDeleted(REGION, IMG)).toBe(true);
    expect(h.store.allShares().map((s) => [s.accountId, s.state])).toEqual([
      [A1, 'revoked'],
      [A2, 'failed'],
    ]);
    expect(await h.store.getImage(REGION, IMG)).toMatchObject({ lifecycle: 'deleted', quotaUsed: 0 });
  });

  it('leaves an apply in flight (fresh intent) to finish before draining it', async () => {
    const h = harness();
    ecsImageSharedWith(h, [A1]);
    await seedImage(h, IMG, { quotaUsed: 1, ...draining });
    await seedShare(h, IMG, A1, 'applying', { updatedAt: T0 });
    const env = await sweep(h, 'enforce');
    expect(env.tally.actions).toEqual({ drain_progressed: 1 });
    expect(h.images.sharedWith(REGION, IMG)).toEqual([A1]);
    expect(h.store.allShares()).toEqual([expect.objectContaining({ state: 'applying' })]);
  });

  it('never deletes an image that is not draining, and report mode never deletes', async () => {
    const h = harness();
    ecsImageSharedWith(h, []);
    h.images.addImage({ imageId: 'm-recon00000002' });
    await seedImage(h, IMG, draining);
    await seedImage(h, 'm-recon00000002');
    const env = await sweep(h, 'report');
    expect(env.tally.findings).toEqual({ draining: 1 });
    await sweep(h, 'enforce');
    expect(h.images.callsOf('deleteImage').map((c) => c.imageId)).toEqual([IMG]);
  });

  it('an image deleted outside the service → lifecycle deleted, live shares revoked, quota 0', async () => {
    const h = harness();
    await seedImage(h, IMG, { quotaUsed: 2 });
    await seedShare(h, IMG, A1, 'active');
    await seedShare(h, IMG, A2, 'applying');
    const report = await sweep(h, 'report');
    expect(report.tally.findings).toEqual({ deleted_outside: 1 });
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { deleted_outside: 1 }, actions: { image_marked_deleted: 1 } });
    expect(h.store.allShares().map((s) => s.state)).toEqual(['revoked', 'revoked']);
    expect(await h.store.getImage(REGION, IMG)).toMatchObject({ lifecycle: 'deleted', quotaUsed: 0 });
    const third = await sweep(h, 'enforce');
    expect(third.tally.findings).toEqual({});
  });

  it('closes what a deleted image still holds (an apply that stopped after its intent), then skips it', async () => {
    const h = harness();
    await seedImage(h, IMG, { quotaUsed: 1, lifecycle: 'deleted', deletion: { status: 'deleted', mode: 'drain' } });
    await seedShare(h, IMG, A1, 'applying');
    const env = await sweep(h, 'enforce');
    expect(env.tally.actions).toEqual({ image_marked_deleted: 1 });
    expect(h.store.allShares().map((s) => s.state)).toEqual(['revoked']);
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(0);
    // Once nothing is left, a deleted image costs no ECS call.
    const ecsCalls = h.images.calls.length;
    const again = await sweep(h, 'enforce');
    expect(again.tally.findings).toEqual({});
    expect(h.images.calls.slice(ecsCalls).filter((c) => c.imageId === IMG)).toEqual([]);
  });
});

describe('reconcile engine: quota recount', () => {
  it('corrects a drifted counter of a quiet image; report mode only reports', async () => {
    const h = harness();
    ecsImageSharedWith(h, [A1]);
    await seedImage(h, IMG, { quotaUsed: 4 });
    await seedShare(h, IMG, A1, 'active');
    expect((await sweep(h, 'report')).tally.findings).toEqual({ quota_mismatch: 1 });
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(4);
    const env = await sweep(h, 'enforce');
    expect(env.tally.actions).toEqual({ quota_corrected: 1 });
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(1);
  });

  it('leaves the counter of an image with recent activity alone', async () => {
    const h = harness();
    ecsImageSharedWith(h, []);
    await seedImage(h, IMG, { quotaUsed: 1 });
    await seedShare(h, IMG, A1, 'pending_approval', { updatedAt: h.clock.now().toISOString() });
    await seedRequest(h, IMG, [A1], '2026-12-31T00:00:00.000Z');
    await h.store.correctQuota(REGION, IMG, 1, 2, 'account');
    const env = await sweep(h, 'enforce');
    expect(env.tally.findings).toEqual({ quota_mismatch: 1 });
    expect(env.tally.actions).toEqual({});
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(2);
  });
  it('waits while a reservation may still be writing its share rows (quota moved within the grace period)', async () => {
    const h = harness();
    ecsImageSharedWith(h, [A1]);
    await seedImage(h, IMG, { quotaUsed: 1 });
    await seedShare(h, IMG, A1, 'active');
    // A share request reserved one more unit a moment ago and has not created its row yet.
    await h.store.adjustQuota(REGION, IMG, 1, 50, h.clock.now(), 'account');
    const env = await sweep(h, 'enforce');
    expect(env.tally.findings).toEqual({ quota_mismatch: 1 });
    expect(env.tally.actions).toEqual({});
    expect((await h.store.getImage(REGION, IMG))?.quotaUsed).toBe(2);
  });
});

describe('reconcile engine: unchanged images and resumable sweeps', () => {
  it('an image in agreement costs no store write', async () => {
    const h = harness();
    ecsImageSharedWith(h, [A1]);
    await seedImage(h, IMG, { quotaUsed: 1 });
    await seedShare(h, IMG, A1, 'active');
    const seeded = h.store.calls.length;
    const env = await sweep(h, 'enforce');
    expect(env.tally.findings).toEqual({});
    expect(env.tally.imagesScanned).toBe(1);
    expect(writesOf(h, seeded)).toEqual([]);
  });

  it('stops mid-page with a cursor and resumes covering every image exactly once', async () => {
    const h = harness({ unmanagedShares: 'revoke' });
    const ids = Array.from({ length: 230 }, (_, i) => `m-bulk${String(i).padStart(8, '0')}`);
    for (const imageId of ids) {
      h.images.addImage({ imageId });
      h.images.shareOutOfBand(REGION, imageId, A1);
    }
    const env = h.env('enforce');
    let budget = 0;
    const cursors = [];
    let cursor = START_CURSOR;
    for (;;) {
      budget = 37; // images per "invocation"
      const next = await sweepRegion(env, REGION, cursor, { concurrency: 4, shouldStop: () => budget-- <= 0 });
      if (!next) break;
      cursors.push(next);
      cursor = next;
    }
    expect(cursors.length).toBeGreaterThan(5);
    expect(cursors).toContainEqual({ phase: 'ecs', pageNumber: 2, index: expect.any(Number) });
    expect(env.tally.imagesScanned).toBe(230);
    const perImage = h.images.callsOf('getSharePermissions').map((c) => c.imageId);
    expect(perImage.sort()).toEqual(ids);
    expect(ids.every((id) => h.images.sharedWith(REGION, id).length === 0)).toBe(true);
  });

  it('reconcileImage with ECS absent and no record does nothing', async () => {
    const h = harness();
    const env = h.env('enforce');
    const seeded = h.store.calls.length;
    await reconcileImage(env, REGION, IMG, null);
    expect(env.tally.findings).toEqual({});
    expect(writesOf(h, seeded)).toEqual([]);
  });
});
