// Crash recovery over the real adapters. For each step of share, unshare and drain, the store holds
// the write-ahead intent with an old timestamp while the ECS call did (or did not) happen, as if the
// function died between the two. One enforce run must repair: no lost share, no phantom share, exact quota.
import { afterEach, describe, expect, it } from 'vitest';
import { createGovernor } from '../../shared/domain/governor.js';
import { holdsQuota, type ShareRequest } from '../../shared/domain/model.js';
import type { StorePort } from '../../shared/domain/ports.js';
import { HOUR, REGION, startReconcileStack, storeImage, storeShare, TARGETS, timer, type ReconcileStack } from '../fixtures/reconcile/stack.js';
import { OWNER, reconcileEnv } from '../fixtures/reconcile/env.js';
import { loadConfig } from '../../shared/config.js';

const [T1, T2, T3] = TARGETS as [string, string, string];
const draining = { lifecycle: 'draining' as const, deletion: { status: 'draining' as const, mode: 'drain' as const, reason: 'retire' } };
let stack: ReconcileStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('reconcile crash recovery against the emulators', () => {
  it('repairs every interrupted share, unshare and drain step in one run', async () => {
    stack = await startReconcileStack({ env: { UNMANAGED_SHARES: 'report' } });
    const { ecs, store, images } = stack;
    const newImage = (name: string) => ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageName: name });

    // share: intent `applying` stored, quota reserved; crash after the ECS add / before it
    const shareAfterCall = await newImage('share-after-call');
    await storeImage(store, shareAfterCall, { quotaUsed: 2 });
    await storeShare(store, shareAfterCall, T1, 'applying');
    await storeShare(store, shareAfterCall, T2, 'applying');
    await images.addShares(REGION, shareAfterCall, [T1, T2]);
    const shareBeforeCall = await newImage('share-before-call');
    await storeImage(store, shareBeforeCall, { quotaUsed: 1 });
    await storeShare(store, shareBeforeCall, T1, 'applying');

    // unshare: intent `revoking` stored, quota released with it; crash after the ECS remove / before it
    const unshareAfterCall = await newImage('unshare-after-call');
    await ecs.shareOutOfBand(REGION, unshareAfterCall, T1);
    await ecs.shareOutOfBand(REGION, unshareAfterCall, T2);
    await storeImage(store, unshareAfterCall, { quotaUsed: 1 });
    await storeShare(store, unshareAfterCall, T1, 'revoking');
    await storeShare(store, unshareAfterCall, T2, 'active');
    await images.removeShares(REGION, unshareAfterCall, [T1]);
    const unshareBeforeCall = await newImage('unshare-before-call');
    await ecs.shareOutOfBand(REGION, unshareBeforeCall, T3);
    await storeImage(store, unshareBeforeCall, { quotaUsed: 0 });
    await storeShare(store, unshareBeforeCall, T3, 'revoking');

    // drain: every share revoked, then crash after DeleteImage / after the last remove
    const drainAfterDelete = await newImage('drain-after-delete');
    await storeImage(store, drainAfterDelete, draining);
    await storeShare(store, drainAfterDelete, T1, 'revoked');
    await images.deleteImage(REGION, drainAfterDelete, { force: false });
    const drainAfterRemove = await newImage('drain-after-remove');
    await ecs.shareOutOfBand(REGION, drainAfterRemove, T1);
    await ecs.shareOutOfBand(REGION, drainAfterRemove, T2);
    await storeImage(store, drainAfterRemove, draining);
    await storeShare(store, drainAfterRemove, T1, 'revoking');
    await storeShare(store, drainAfterRemove, T2, 'revoking');
    await images.removeShares(REGION, drainAfterRemove, [T1, T2]);
    // drain: an apply that began before the drain stopped after ECS took the account
    const drainStoppedApply = await newImage('drain-stopped-apply');
    await ecs.shareOutOfBand(REGION, drainStoppedApply, T3);
    await storeImage(store, drainStoppedApply, { ...draining, quotaUsed: 1 });
    await storeShare(store, drainStoppedApply, T3, 'applying');

    // Act
    const result = await stack.invoke(timer({ mode: 'enforce', regions: [REGION] }));

    // Assess: ECS and the store agree image by image, and every counter equals its quota-holding rows.
    const run = await store.getRun(result.runIds[0]!);
    expect(run).toMatchObject({ status: 'completed', errors: [] });
    const ecsState = await ecs.state();
    const expectations: Record<string, { ecs: string[]; store: Record<string, string>; lifecycle: string }> = {
      [shareAfterCall]: { ecs: [T1, T2], store: { [T1]: 'active', [T2]: 'active' }, lifecycle: 'active' },
      [shareBeforeCall]: { ecs: [T1], store: { [T1]: 'active' }, lifecycle: 'active' },
      [unshareAfterCall]: { ecs: [T2], store: { [T1]: 'revoked', [T2]: 'active' }, lifecycle: 'active' },
      [unshareBeforeCall]: { ecs: [], store: { [T3]: 'revoked' }, lifecycle: 'active' },
      [drainAfterDelete]: { ecs: [], store: { [T1]: 'revoked' }, lifecycle: 'deleted' },
      [drainAfterRemove]: { ecs: [], store: { [T1]: 'revoked', [T2]: 'revoked' }, lifecycle: 'deleted' },
      [drainStoppedApply]: { ecs: [], store: { [T3]: 'revoked' }, lifecycle: 'deleted' },
    };
    for (const [imageId, expected] of Object.entries(expectations)) {
      const inEcs = ecsState.images.find((i) => i.imageId === imageId);
      expect(inEcs?.deleted ? [] : inEcs?.shares.map((s) => s.accountId).sort(), imageId).toEqual(expected.ecs);
      const rows = await store.listShares(REGION, imageId);
      expect(Object.fromEntries(rows.map((r) => [r.accountId, r.state])), imageId).toEqual(expected.store);
      const record = await store.getImage(REGION, imageId);
      expect(record?.lifecycle, imageId).toBe(expected.lifecycle);
      expect(record?.quotaUsed, imageId).toBe(rows.filter((r) => holdsQuota(r.state)).length);
    }
    expect(ecsState.images.find((i) => i.imageId === drainAfterRemove)?.deleted).toBe(true);
    // The drained images' intents are the drain's to finish, reported under `draining`.
    expect(run?.findings).toEqual({ stale_intent: 5, draining: 3 });
  });

  it('finishes a request whose approval was killed after ECS took the accounts and the rows moved, before the request row', async () => {
    stack = await startReconcileStack({ env: { UNMANAGED_SHARES: 'report' } });
    const { ecs, store, images } = stack;
    const imageId = await ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageName: 'approval-killed' });
    // The approving function: its clock two hours back, so the reconciler sees it long gone. Its
    // store dies at the first write that would give the request its final status.
    const killedAt = (next: ShareRequest) => next.status !== 'approved' && next.status !== 'pending_approval';
    const dying = new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (name !== 'updateRequest' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (next: ShareRequest, expected: number) => {
          if (killedAt(next)) throw new Error('killed');
          return target.updateRequest(next, expected);
        };
      },
    }) as StorePort;
    const policy = loadConfig(reconcileEnv({ REGIONS: REGION })).policy;
    const clock = { now: () => new Date(Date.now() - 2 * HOUR) };
    const governor = createGovernor({ store: dying, images, directory: stack.directory, clock, policy: { ...policy, approvalRequired: true } });
    const requester = { principal: { id: 'alice', roles: ['requester' as const] }, requestId: 'http-1' };
    const approver = { principal: { id: 'bob', roles: ['approver' as const] }, requestId: 'http-2' };
    const { request } = await governor.requestShare(requester, {
      regionId: REGION,
      imageId,
      accountIds: [T1, T2],
      reason: 'rollout',
      attestation: { sensitiveDataRemoved: true },
    });
    await expect(governor.approve(approver, request.requestId, {})).rejects.toThrow('killed');
    expect((await store.listShares(REGION, imageId)).map((s) => s.state)).toEqual(['active', 'active']);
    expect((await store.getRequest(request.requestId))?.status).toBe('approved');

    const result = await stack.invoke(timer({ mode: 'enforce', regions: [REGION] }));

    const run = await store.getRun(result.runIds[0]!);
    expect(run).toMatchObject({ status: 'completed', errors: [], findings: { unfinished_request: 1 }, actions: { request_finished: 1 } });
    expect((await store.getRequest(request.requestId))?.status).toBe('applied');
    expect((await ecs.state()).images.find((i) => i.imageId === imageId)?.shares.map((s) => s.accountId).sort()).toEqual([T1, T2]);
  });
});
