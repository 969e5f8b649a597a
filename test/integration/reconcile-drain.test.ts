// Drain over the real adapters: an image shared with 37 accounts is deleted only once ECS lists zero
// shares, across runs in which ModifyImageSharePermission fails intermittently.
import { afterEach, describe, expect, it } from 'vitest';
import { REGION, startReconcileStack, storeImage, storeShare, TARGETS, timer, type ReconcileStack } from '../fixtures/reconcile/stack.js';
import { OWNER } from '../fixtures/reconcile/env.js';

let stack: ReconcileStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('reconcile drain against the ECS emulator', () => {
  it('deletes a 37-share image only after ECS lists zero shares, despite intermittent failures', async () => {
    // Prepare: 30 managed shares + 7 made outside the service, all listed by ECS; the image drains.
    stack = await startReconcileStack({ env: { UNMANAGED_SHARES: 'report' } });
    const imageId = await stack.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageName: 'retiring' });
    const accounts = TARGETS.slice(0, 37);
    for (const a of accounts) await stack.ecs.shareOutOfBand(REGION, imageId, a);
    await storeImage(stack.store, imageId, { quotaUsed: 30, lifecycle: 'draining', deletion: { status: 'draining', mode: 'drain', reason: 'retire' } });
    for (const a of accounts.slice(0, 30)) await storeShare(stack.store, imageId, a, 'active');
    // A burst longer than the adapter's retries (so the first run cannot finish), then coin flips.
    await stack.ecs.addFault({ action: 'ModifyImageSharePermission', code: 'ServiceUnavailable', status: 503, count: 4, phase: 'before' });
    await stack.ecs.addFault({ action: 'ModifyImageSharePermission', code: 'ServiceUnavailable', status: 503, probability: 0.5, phase: 'before' });

    // Act: timer runs until the image is gone (bounded)
    const runs = [];
    for (let i = 0; i < 25; i++) {
      const result = await stack.invoke(timer({ mode: 'enforce', regions: [REGION] }));
      runs.push(await stack.store.getRun(result.runIds[0]!));
      const image = (await stack.ecs.state()).images.find((im) => im.imageId === imageId);
      if (image?.deleted) break;
    }

    // Assess
    const finalImage = (await stack.ecs.state()).images.find((im) => im.imageId === imageId);
    expect(finalImage?.deleted).toBe(true);
    expect(runs.length).toBeGreaterThan(1); // the failures really spread the drain over several runs
    expect(runs.slice(0, -1).every((r) => !r?.actions.image_deleted)).toBe(true);

    // Replay the calls log: at every DeleteImage, ECS listed no share.
    const shared = new Set(accounts);
    const calls = (await stack.ecs.calls()).filter((c) => c.params.ImageId === imageId);
    let deletes = 0;
    for (const call of calls) {
      if (call.action === 'ModifyImageSharePermission' && call.status === 200) {
        for (const [k, v] of Object.entries(call.params)) {
          if (k.startsWith('RemoveAccount.')) shared.delete(v);
          if (k.startsWith('AddAccount.')) shared.add(v);
        }
      }
      if (call.action === 'DeleteImage') {
        deletes += 1;
        expect(shared.size).toBe(0);
      }
    }
    expect(deletes).toBe(1);
    expect(calls.some((c) => c.action === 'ModifyImageSharePermission' && c.code === 'ServiceUnavailable')).toBe(true);

    const record = await stack.store.getImage(REGION, imageId);
    expect(record).toMatchObject({ lifecycle: 'deleted', quotaUsed: 0, deletion: { status: 'deleted', remaining: 0 } });
    const rows = await stack.store.listShares(REGION, imageId);
    expect(new Set(rows.map((r) => r.state))).toEqual(new Set(['revoked']));
  });
});
