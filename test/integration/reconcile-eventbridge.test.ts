// EventBridge over the real adapters: an ActionTrail ModifyImageSharePermission event reconciles the
// image it names and nothing else.
import { afterEach, describe, expect, it } from 'vitest';
import { REGION, startReconcileStack, storeImage, storeShare, TARGETS, type ReconcileStack } from '../fixtures/reconcile/stack.js';
import { actionTrailEvent, OWNER } from '../fixtures/reconcile/env.js';

let stack: ReconcileStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('reconcile EventBridge trigger', () => {
  it('an ActionTrail ModifyImageSharePermission event reconciles only that image', async () => {
    stack = await startReconcileStack({ env: { UNMANAGED_SHARES: 'revoke' } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await stack.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageName: `img-${i}` });
      await stack.ecs.shareOutOfBand(REGION, id, TARGETS[i]!);
      ids.push(id);
    }
    const target = ids[1]!;
    const before = (await stack.ecs.calls()).length;

    const result = await stack.invoke(actionTrailEvent('ModifyImageSharePermission', REGION, target));

    expect(result.status).toBe('completed');
    const calls = (await stack.ecs.calls()).slice(before);
    expect(calls.length).toBeGreaterThan(0);
    // Every call names the image: ECS as ImageId, Resource Sharing as the ResourceId of the image's associations.
    expect(new Set(calls.map((c) => c.params.ImageId ?? c.params.ResourceId))).toEqual(new Set([target]));
    const state = await stack.ecs.state();
    expect(Object.fromEntries(state.images.map((i) => [i.imageId, i.shares.map((s) => s.accountId)]))).toEqual({
      [ids[0]!]: [TARGETS[0]],
      [target]: [],
      [ids[2]!]: [TARGETS[2]],
    });
    expect(await stack.store.getRun(result.runIds[0]!)).toMatchObject({
      trigger: 'eventbridge',
      regions: [REGION],
      imagesScanned: 1,
      findings: { unmanaged: 1 },
      actions: { unmanaged_revoked: 1 },
    });
  });

  it('a DeleteImage event for an image deleted outside the service closes its record', async () => {
    stack = await startReconcileStack({ env: { UNMANAGED_SHARES: 'revoke' } });
    const id = await stack.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageName: 'gone' });
    await storeImage(stack.store, id, { quotaUsed: 1 });
    await storeShare(stack.store, id, TARGETS[0]!, 'active');
    await stack.images.removeShares(REGION, id, [TARGETS[0]!]);
    await stack.images.deleteImage(REGION, id, { force: false });

    const result = await stack.invoke(actionTrailEvent('DeleteImage', REGION, id));

    expect(result.status).toBe('completed');
    expect(await stack.store.getImage(REGION, id)).toMatchObject({ lifecycle: 'deleted', quotaUsed: 0 });
    expect((await stack.store.listShares(REGION, id)).map((s) => s.state)).toEqual(['revoked']);
  });
});
