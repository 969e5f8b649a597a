// Continuation and leases over the real adapters: a budget that ends mid-region hands a cursor to an
// FC async invocation (fc2 → the fake FC endpoint → the handler), which resumes; every image is
// covered exactly once. Two runs of one region at once never both act.
import { afterEach, describe, expect, it } from 'vitest';
import { REGION, startReconcileStack, TARGETS, timer, type ReconcileStack } from '../fixtures/reconcile/stack.js';
import { OWNER } from '../fixtures/reconcile/env.js';

let stack: ReconcileStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function seedImages(s: ReconcileStack, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = await s.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageId: `m-cont${String(i).padStart(8, '0')}` });
    await s.ecs.shareOutOfBand(REGION, id, TARGETS[0]!);
    ids.push(id);
  }
  return ids;
}

describe('reconcile continuation and leases', () => {
  it('resumes from the saved cursor through FC async invocations and covers every image exactly once', async () => {
    // 1.25 s function timeout − 1 s reserve: about 250 ms of work per invocation.
    stack = await startReconcileStack({ functionTimeoutS: 1.25, env: { UNMANAGED_SHARES: 'revoke' } });
    const ids = await seedImages(stack, 220);

    const first = await stack.invoke(timer({ mode: 'enforce', regions: [REGION] }));
    await stack.fc.idle();

    expect(first.status).toBe('continued');
    const runId = first.runIds[0]!;
    expect(stack.fc.rejected).toEqual([]);
    expect(stack.fc.invocations.length).toBeGreaterThan(0);
    expect(stack.fc.invocations.every((i) => i.functionName === 'image-share-reconcile' && (i.payload as { kind: string; runId: string }).kind === 'continue' && (i.payload as { runId: string }).runId === runId)).toBe(true);
    const run = await stack.store.getRun(runId);
    expect(run).toMatchObject({
      status: 'completed',
      imagesScanned: 220,
      findings: { unmanaged: 220 },
      actions: { unmanaged_revoked: 220, continued: stack.fc.invocations.length },
      errors: [],
    });
    expect(run?.cursor).toBeUndefined();
    const perImage = (await stack.ecs.calls()).filter((c) => c.action === 'DescribeImageSharePermission').map((c) => c.params.ImageId);
    // The adapter re-reads after each removal; the sweep's own read happens once per image.
    const reads = new Map<string, number>();
    for (const id of perImage) reads.set(id!, (reads.get(id!) ?? 0) + 1);
    expect([...reads.keys()].sort()).toEqual(ids);
    expect(new Set(reads.values())).toEqual(new Set([2]));
    expect((await stack.ecs.state()).images.every((i) => i.shares.length === 0)).toBe(true);
  });

  it('two runs of one region at once: one acts; the other, skipped, has the next sweep start when the first ends', async () => {
    stack = await startReconcileStack({ env: { UNMANAGED_SHARES: 'revoke' } });
    await seedImages(stack, 30);

    const [a, b] = await Promise.all([stack.invoke(timer({ regions: [REGION] })), stack.invoke(timer({ regions: [REGION] }))]);
    await stack.fc.idle();

    expect([a.status, b.status].sort()).toEqual(['completed', 'skipped']);
    const [acted, skippedId] = a.status === 'skipped' ? [b.runIds[0]!, a.runIds[0]!] : [a.runIds[0]!, b.runIds[0]!];
    const skipped = await stack.store.getRun(skippedId);
    expect(skipped).toMatchObject({ status: 'skipped', imagesScanned: 0, findings: {}, actions: { follow_up_requested: 1 } });
    const removals = (await stack.ecs.calls()).filter((c) => c.action === 'ModifyImageSharePermission');
    expect(removals).toHaveLength(30);
    // The skipped timer's sweep ran as soon as the first one ended, and found nothing left to do.
    const first = await stack.store.getRun(acted);
    const followUp = await stack.store.getRun(`${skippedId}-follow-up`);
    expect(followUp).toMatchObject({ status: 'completed', trigger: 'timer', parentRunId: skippedId, imagesScanned: 30, findings: {}, actions: {} });
    expect(Date.parse(followUp!.startedAt)).toBeGreaterThanOrEqual(Date.parse(first!.finishedAt!));
    expect(stack.fc.invocations.map((i) => (i.payload as { kind: string; runId: string }).runId)).toEqual([`${skippedId}-follow-up`]);
    // The lease is released at the end: the next run acts again (and finds nothing).
    const third = await stack.invoke(timer({ regions: [REGION] }));
    expect(third.status).toBe('completed');
  });

  it('a timer that fires while a continued sweep holds the region starts the next sweep right after its last invocation', async () => {
    // A timeout no longer than the reserve: each invocation reconciles one image, then hands over.
    stack = await startReconcileStack({ functionTimeoutS: 1, env: { UNMANAGED_SHARES: 'revoke' } });
    await seedImages(stack, 6);

    const first = await stack.invoke(timer({ mode: 'enforce', regions: [REGION] }));
    expect(first.status).toBe('continued');
    const during = await stack.invoke(timer({ mode: 'report', regions: [REGION] }));
    await stack.fc.idle();

    expect(during.status).toBe('skipped');
    const sweep = await stack.store.getRun(first.runIds[0]!);
    const next = await stack.store.getRun(`${during.runIds[0]!}-follow-up`);
    expect(sweep).toMatchObject({ status: 'completed', imagesScanned: 6, findings: { unmanaged: 6 } });
    // Started after the chain's last invocation, in the mode its timer asked for.
    expect(next).toMatchObject({ status: 'completed', mode: 'report', imagesScanned: 6, findings: {} });
    expect(Date.parse(next!.startedAt)).toBeGreaterThanOrEqual(Date.parse(sweep!.finishedAt!));
    // One follow-up, handed over after the first chain's last continuation.
    const tasks = stack.fc.invocations.map((i) => i.payload as { kind: string; runId: string });
    const followUps = tasks.flatMap((t, i) => (t.kind === 'region' ? [i] : []));
    const chain = tasks.flatMap((t, i) => (t.kind === 'continue' && t.runId === first.runIds[0] ? [i] : []));
    expect(followUps).toHaveLength(1);
    expect(chain.length).toBeGreaterThan(0);
    expect(followUps[0]!).toBeGreaterThan(Math.max(...chain));
  });

  it('a timer over several regions fans out one signed async invocation per region', async () => {
    stack = await startReconcileStack({ env: { REGIONS: 'cn-hangzhou,cn-shanghai', UNMANAGED_SHARES: 'revoke' } });
    const hz = await stack.ecs.addImage({ ownerAccountId: OWNER, regionId: 'cn-hangzhou' });
    const sh = await stack.ecs.addImage({ ownerAccountId: OWNER, regionId: 'cn-shanghai' });
    await stack.ecs.shareOutOfBand('cn-hangzhou', hz, TARGETS[0]!);
    await stack.ecs.shareOutOfBand('cn-shanghai', sh, TARGETS[1]!);

    const parent = await stack.invoke(timer({ mode: 'enforce' }));
    await stack.fc.idle();

    expect(parent.status).toBe('completed');
    const parentId = parent.runIds[0]!;
    expect(stack.fc.rejected).toEqual([]);
    expect(stack.fc.invocations.map((i) => i.payload)).toEqual(
      ['cn-hangzhou', 'cn-shanghai'].map((regionId) => ({ kind: 'region', runId: `${parentId}-${regionId}`, parentRunId: parentId, regionId, mode: 'enforce', trigger: 'timer' })),
    );
    expect(await stack.store.getRun(parentId)).toMatchObject({ status: 'completed', regions: ['cn-hangzhou', 'cn-shanghai'], actions: { fanned_out: 2 } });
    for (const regionId of ['cn-hangzhou', 'cn-shanghai']) {
      expect(await stack.store.getRun(`${parentId}-${regionId}`)).toMatchObject({
        status: 'completed',
        parentRunId: parentId,
        regions: [regionId],
        imagesScanned: 1,
        actions: { unmanaged_revoked: 1 },
      });
    }
    expect((await stack.ecs.state()).images.every((i) => i.shares.length === 0)).toBe(true);
  });
});
