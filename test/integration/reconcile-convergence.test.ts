// A seeded fleet with every kind of drift, reconciled by the real function over the real SDKs and
// both emulators: report mode changes nothing; one enforce run converges; a second run finds nothing
// and writes nothing but its own run record and lease.
import { afterEach, describe, expect, it } from 'vitest';
import { REGION, startReconcileStack, TABLES, TARGETS, timer, WRITE_OPERATIONS, type ReconcileStack } from '../fixtures/reconcile/stack.js';
import { EXPECTED_FINDINGS, seedFleet } from '../fixtures/reconcile/fleet.js';

const [T1, T2, , T4] = TARGETS as [string, string, string, string];
let stack: ReconcileStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

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
    expect(run).toMatchObject({ mode: 'report', status: 'completed', imagesScanned: 14, findings: EXPECTED_FINDINGS, actions: {}, errors: [] });
    // Report mode writes the run's report: its findings, its record, the region's posture, and the lease.
    const writes = (await stack.ots.calls()).slice(callsBefore).filter((c) => WRITE_OPERATIONS.has(c.operation));
    // The run's report, lease, findings and posture, and its own reconcile.completed event (trail and outbox in one BatchWriteRow).
    expect(new Set(writes.map((w) => w.table))).toEqual(new Set([TABLES.runs, TABLES.runs_by_time, TABLES.leases, TABLES.findings, TABLES.posture, TABLES.audit]));
    expect(writes.filter((w) => w.table === TABLES.findings).map((w) => w.operation)).toEqual(['BatchWriteRow']);
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
      request_finished: 1,
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
    expect((await stack.store.getRequest(`req-${ids.unfinished}`))?.status).toBe('applied');
    const events = await stack.store.listAudit(REGION, ids.unmanaged, 10);
    expect(events.items).toEqual([expect.objectContaining({ action: 'reconcile.adopted', principal: 'system:reconcile', requestId: first.runIds[0] })]);

    // Second run: nothing to find, nothing written but the run record, the lease and the run's completion event.
    const otsBefore = (await stack.ots.calls()).length;
    const ecsBefore = await stack.ecs.state();
    const second = await stack.invoke(timer({ mode: 'enforce', regions: [REGION] }));
    const secondRun = await stack.store.getRun(second.runIds[0]!);
    expect(secondRun).toMatchObject({ status: 'completed', findings: {}, actions: {}, errors: [], imagesScanned: 12 });
    expect(await stack.ecs.state()).toEqual(ecsBefore);
    const writes = (await stack.ots.calls()).slice(otsBefore).filter((c) => WRITE_OPERATIONS.has(c.operation));
    expect(new Set(writes.map((w) => w.table))).toEqual(new Set([TABLES.runs, TABLES.runs_by_time, TABLES.leases, TABLES.audit]));
    expect(writes.filter((w) => w.table === TABLES.audit)).toHaveLength(1);
    const summary = stack.logs.filter((l) => l.msg === 'reconcile.run' && l.runId === second.runIds[0]);
    expect(summary).toHaveLength(1);
  });
});
