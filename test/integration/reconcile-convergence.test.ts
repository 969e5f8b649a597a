// A seeded fleet with every kind of drift, reconciled by the real function over the real SDKs and
// both emulators: report mode changes nothing; one enforce run converges; a second run finds nothing
// and writes nothing but its own run record and lease.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ago,
  HOUR,
  REGION,
  startReconcileStack,
  storeImage,
  storeRequest,
  storeShare,
  TABLES,
  TARGETS,
  timer,
  WRITE_OPERATIONS,
  type ReconcileStack,
} from '../fixtures/reconcile/stack.js';
import { OWNER } from '../fixtures/reconcile/env.js';

const [T1, T2, T3, T4] = TARGETS as [string, string, string, string];
let stack: ReconcileStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** Seeds one image per kind of drift; returns their ids by name. */
async function seedFleet(s: ReconcileStack) {
  const { ecs, store } = s;
  const image = (name: string, extra: Record<string, unknown> = {}) => ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageName: name, ...extra });
  const ids = {
    clean: await image('clean'),
    unmanaged: await image('unmanaged'),
    missing: await image('missing'),
    public: await image('public', { isPublic: true }),
    applyingDone: await image('applying-done'),
    applyingLost: await image('applying-lost'),
    revokingDone: await image('revoking-done'),
    revokingLost: await image('revoking-lost'),
    expired: await image('expired'),
    pending: await image('pending'),
    draining: await image('draining'),
    quota: await image('quota'),
    deletedOutside: 'm-gone0000000001',
  };
  await storeImage(store, ids.clean, { quotaUsed: 1 });
  await storeShare(store, ids.clean, T1, 'active');
  await ecs.shareOutOfBand(REGION, ids.clean, T1);

  await ecs.shareOutOfBand(REGION, ids.unmanaged, T2);

  await storeImage(store, ids.missing, { quotaUsed: 1 });
  await storeShare(store, ids.missing, T1, 'active');

  // applying: crash after the ECS call (ECS has it) / before it (ECS does not)
  await storeImage(store, ids.applyingDone, { quotaUsed: 1 });
  await storeShare(store, ids.applyingDone, T1, 'applying');
  await ecs.shareOutOfBand(REGION, ids.applyingDone, T1);
  await storeImage(store, ids.applyingLost, { quotaUsed: 1 });
  await storeShare(store, ids.applyingLost, T1, 'applying');

  // revoking (quota already released with the intent)
  await storeImage(store, ids.revokingDone);
  await storeShare(store, ids.revokingDone, T1, 'revoking');
  await storeImage(store, ids.revokingLost);
  await storeShare(store, ids.revokingLost, T1, 'revoking');
  await ecs.shareOutOfBand(REGION, ids.revokingLost, T1);

  await storeImage(store, ids.expired, { quotaUsed: 1 });
  await storeShare(store, ids.expired, T1, 'active', { expiresAt: ago(HOUR / 2) });
  await ecs.shareOutOfBand(REGION, ids.expired, T1);

  await storeImage(store, ids.pending, { quotaUsed: 2 });
  await storeRequest(store, ids.pending, [T1, T2], ago(HOUR));
  await storeShare(store, ids.pending, T1, 'pending_approval');
  await storeShare(store, ids.pending, T2, 'pending_approval');

  await storeImage(store, ids.draining, { quotaUsed: 2, lifecycle: 'draining', deletion: { status: 'draining', mode: 'drain', reason: 'retire' } });
  await storeShare(store, ids.draining, T1, 'active');
  await storeShare(store, ids.draining, T2, 'active');
  for (const t of [T1, T2, T3]) await ecs.shareOutOfBand(REGION, ids.draining, t);

  await storeImage(store, ids.quota, { quotaUsed: 5 });
  await storeShare(store, ids.quota, T1, 'active');
  await ecs.shareOutOfBand(REGION, ids.quota, T1);

  await storeImage(store, ids.deletedOutside, { quotaUsed: 1 });
  await storeShare(store, ids.deletedOutside, T4, 'active');
  return ids;
}

const EXPECTED_FINDINGS = {
  unmanaged: 1,
  missing: 1,
  public: 1,
  stale_intent: 4,
  expired_share: 1,
  expired_request: 1,
  draining: 1,
  deleted_outside: 1,
  quota_mismatch: 1,
};

describe('reconcile function against the ECS and Tablestore emulators', () => {
  it('report mode reports every finding and changes nothing in ECS or the store', async () => {
    stack = await startReconcileStack({ env: { UNMANAGED_SHARES: 'adopt' } });
    await seedFleet(stack);
    const ecsBefore = await stack.ecs.state();
    const callsBefore = (await stack.ots.calls()).length;

    const result = await stack.invoke(timer({ mode: 'report', regions: [REGION] }));

    expect(result.status).toBe('completed');
    expect(await stack.ecs.state()).toEqual(ecsBefore);
    const ecsWrites = (await stack.ecs.calls()).filter((c) => c.action === 'ModifyImageSharePermission' || c.action === 'DeleteImage');
    expect(ecsWrites).toEqual([]);
    const run = await stack.store.getRun(result.runIds[0]!);
    expect(run).toMatchObject({ mode: 'report', status: 'completed', imagesScanned: 13, findings: EXPECTED_FINDINGS, actions: {}, errors: [] });
    const writes = (await stack.ots.calls()).slice(callsBefore).filter((c) => WRITE_OPERATIONS.has(c.operation));
    // The run's report and lease, and its own reconcile.completed event (trail and outbox in one BatchWriteRow).
    expect(new Set(writes.map((w) => w.table))).toEqual(new Set([TABLES.runs, TABLES.runs_by_time, TABLES.leases, TABLES.audit]));
    expect(writes.filter((w) => w.table === TABLES.audit)).toHaveLength(1);
  });

  it('one enforce run converges every drift; a second run finds nothing and writes only its report, lease and completion event', async () => {
    stack = await startReconcileStack({ env: { UNMANAGED_SHARES: 'adopt' } });
    const ids = await seedFleet(stack);

    const first = await stack.invoke(timer({ mode: 'enforce', regions: [REGION] }));

    expect(first.status).toBe('completed');
    const run = await stack.store.getRun(first.runIds[0]!);
    expect(run).toMatchObject({ status: 'completed', findings: EXPECTED_FINDINGS, errors: [] });
    expect(run?.actions).toEqual({
      share_adopted: 1,
      share_reapplied: 2,
      unpublished: 1,
      intent_applied: 1,
      intent_revoked: 1,
      share_revoked: 1,
      share_expired: 1,
      request_expired: 1,
      image_deleted: 1,
      image_marked_deleted: 1,
      quota_corrected: 1,
    });
    expect(run?.apiCalls).toMatchObject({ DescribeImages: expect.any(Number), DescribeImageSharePermission: expect.any(Number), ModifyImageSharePermission: expect.any(Number), DeleteImage: 1 });

    // ECS truth after the run
    const ecsState = await stack.ecs.state();
    const sharesOf = (id: string) => ecsState.images.find((i) => i.imageId === id)?.shares.map((s) => s.accountId).sort();
    expect(sharesOf(ids.clean)).toEqual([T1]);
    expect(sharesOf(ids.unmanaged)).toEqual([T2]);
    expect(sharesOf(ids.missing)).toEqual([T1]);
    expect(sharesOf(ids.applyingDone)).toEqual([T1]);
    expect(sharesOf(ids.applyingLost)).toEqual([T1]);
    expect(sharesOf(ids.revokingDone)).toEqual([]);
    expect(sharesOf(ids.revokingLost)).toEqual([]);
    expect(sharesOf(ids.expired)).toEqual([]);
    expect(ecsState.images.find((i) => i.imageId === ids.public)?.isPublic).toBe(false);
    expect(ecsState.images.find((i) => i.imageId === ids.draining)?.deleted).toBe(true);

    // Store truth after the run: every live share matches ECS, every counter matches its shares.
    const expectState = async (id: string, states: Record<string, string>, quota: number, lifecycle = 'active') => {
      const shares = await stack!.store.listShares(REGION, id);
      expect(Object.fromEntries(shares.map((s) => [s.accountId, s.state])), id).toEqual(states);
      expect(await stack!.store.getImage(REGION, id), id).toMatchObject({ quotaUsed: quota, lifecycle });
    };
    await expectState(ids.unmanaged, { [T2]: 'active' }, 1);
    await expectState(ids.missing, { [T1]: 'active' }, 1);
    await expectState(ids.applyingDone, { [T1]: 'active' }, 1);
    await expectState(ids.applyingLost, { [T1]: 'active' }, 1);
    await expectState(ids.revokingDone, { [T1]: 'revoked' }, 0);
    await expectState(ids.revokingLost, { [T1]: 'revoked' }, 0);
    await expectState(ids.expired, { [T1]: 'expired' }, 0);
    await expectState(ids.pending, { [T1]: 'expired', [T2]: 'expired' }, 0);
    await expectState(ids.draining, { [T1]: 'revoked', [T2]: 'revoked' }, 0, 'deleted');
    await expectState(ids.quota, { [T1]: 'active' }, 1);
    await expectState(ids.deletedOutside, { [T4]: 'revoked' }, 0, 'deleted');
    expect((await stack.store.getRequest(`req-${ids.pending}`))?.status).toBe('expired');
    const events = await stack.store.listAudit(REGION, ids.unmanaged, 10);
    expect(events.items).toEqual([expect.objectContaining({ action: 'reconcile.adopted', principal: 'system:reconcile', requestId: first.runIds[0] })]);

    // Second run: nothing to find, nothing written but the run record, the lease and the run's completion event.
    const otsBefore = (await stack.ots.calls()).length;
    const ecsBefore = await stack.ecs.state();
    const second = await stack.invoke(timer({ mode: 'enforce', regions: [REGION] }));
    const secondRun = await stack.store.getRun(second.runIds[0]!);
    expect(secondRun).toMatchObject({ status: 'completed', findings: {}, actions: {}, errors: [], imagesScanned: 11 });
    expect(await stack.ecs.state()).toEqual(ecsBefore);
    const writes = (await stack.ots.calls()).slice(otsBefore).filter((c) => WRITE_OPERATIONS.has(c.operation));
    expect(new Set(writes.map((w) => w.table))).toEqual(new Set([TABLES.runs, TABLES.runs_by_time, TABLES.leases, TABLES.audit]));
    expect(writes.filter((w) => w.table === TABLES.audit)).toHaveLength(1);
    const summary = stack.logs.filter((l) => l.msg === 'reconcile.run' && l.runId === second.runIds[0]);
    expect(summary).toHaveLength(1);
  });
});
