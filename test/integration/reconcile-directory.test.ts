// The reconciler on the directory channel over its real adapters (ECS SDK, openapi-core for Resource
// Sharing and Resource Manager, tablestore SDK) against both emulators: a crash between the Resource
// Sharing call and the store update repaired, shares made outside the service adopted or revoked by
// policy (never touching their other resources or targets), an ActionTrail Resource Sharing event, and
// a sweep of 1,000 images whose calls per image do not grow with the second channel.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { createGovernor } from '../../shared/domain/governor.js';
import type { Share } from '../../shared/domain/model.js';
import type { StorePort } from '../../shared/domain/ports.js';
import { OWNER, reconcileEnv, resourceSharingEvent } from '../fixtures/reconcile/env.js';
import { HOUR, REGION, TARGETS, type ReconcileStack, ago, startReconcileStack, storeImage, timer } from '../fixtures/reconcile/stack.js';
import { shareRow } from '../fixtures/reconcile/harness.js';
import { FOLDERS, directoryTree } from '../support/directory.js';
import { rpcCaller } from '../support/ecs.js';

const [WEB_MEMBER, DEV_MEMBER] = TARGETS as [string, string];
const RESOURCE_SHARING = new Set(['ListResourceShares', 'ListResourceShareAssociations', 'CreateResourceShare', 'AssociateResourceShare', 'DisassociateResourceShare', 'DeleteResourceShare']);

let stack: ReconcileStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** The reconcile stack with a resource directory the owner manages: root ├── prod └── web ← WEB_MEMBER;  └── dev ← DEV_MEMBER. */
async function directoryStack(env: Record<string, string> = {}): Promise<ReconcileStack> {
  const s = (stack = await startReconcileStack({ env }));
  await s.ecs.putResourceDirectory(directoryTree('rd-recon01', OWNER, { web: WEB_MEMBER, dev: DEV_MEMBER }));
  return s;
}

const newImage = (s: ReconcileStack, name: string) => s.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageName: name });
const held = async (s: ReconcileStack, imageId: string) => (await s.ecs.state()).images.find((i) => i.imageId === imageId)!.directoryShares.map((d) => d.target).sort();
const storeDirectoryShare = (s: ReconcileStack, imageId: string, target: string, state: Share['state'], over: Partial<Share> = {}) =>
  s.store.createShare({ ...shareRow(imageId, target, state, { createdAt: ago(2 * HOUR), updatedAt: ago(HOUR) }, { channel: 'directory' }), ...over });
const outOfBand = (s: ReconcileStack, images: string[], targets: string[]) =>
  s.ecs.addResourceShare({ ownerAccountId: OWNER, regionId: REGION, resources: images.map((resourceId) => ({ resourceType: 'Image' as const, resourceId })), targets });
/** The targets of a resource share, as its owner lists them (whatever images it still holds). */
async function targetsOf(s: ReconcileStack, resourceShareId: string): Promise<string[]> {
  const body = await rpcCaller(s.ecsEndpoint, 'ResourceSharing', s.credentials).call('ListResourceShareAssociations', {
    RegionId: REGION,
    AssociationType: 'Target',
    ResourceShareIds: [resourceShareId],
  });
  return (body['ResourceShareAssociations'] as { EntityId: string; AssociationStatus: string }[])
    .filter((row) => row.AssociationStatus === 'Associated')
    .map((row) => row.EntityId)
    .sort();
}

describe('reconcile, directory channel, against the emulators', () => {
  it('repairs a crash between the Resource Sharing call and the store update: the applying row becomes active with its share', async () => {
    // Prepare: the approving function dies at the first write that would record the share active
    const s = await directoryStack();
    const imageId = await newImage(s, 'approval-killed');
    const dying = new Proxy(s.store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (name !== 'updateShare' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (next: Share, expected: number) => {
          if (next.state === 'active') throw new Error('killed');
          return target.updateShare(next, expected);
        };
      },
    }) as StorePort;
    const policy = loadConfig(reconcileEnv({ REGIONS: REGION })).policy;
    // Its clock two hours back, so the reconciler sees the intent long stale.
    const governor = createGovernor({ store: dying, images: s.images, directory: s.directory, clock: { now: () => new Date(Date.now() - 2 * HOUR) }, policy });
    const { request } = await governor.requestShare(
      { principal: { id: 'alice', roles: ['requester'] }, requestId: 'http-1' },
      { regionId: REGION, imageId, directoryTargets: [FOLDERS.prod], reason: 'rollout', attestation: { sensitiveDataRemoved: true } },
    );
    await expect(governor.approve({ principal: { id: 'bob', roles: ['approver'] }, requestId: 'http-2' }, request.requestId, {})).rejects.toThrow('killed');
    expect((await s.store.listShares(REGION, imageId)).map((x) => x.state)).toEqual(['applying']);
    expect(await held(s, imageId)).toEqual([FOLDERS.prod]);

    // Act
    const result = await s.invoke(timer({ mode: 'enforce', regions: [REGION] }));

    // Assess: active with the share that holds it, the request applied, the counter exact
    const run = await s.store.getRun(result.runIds[0]!);
    expect(run).toMatchObject({ status: 'completed', errors: [], findings: { stale_intent: 1 }, actions: { intent_applied: 1 } });
    const [row] = await s.store.listShares(REGION, imageId);
    const [holding] = await s.directory.imageShares(REGION, imageId);
    expect(row).toMatchObject({ channel: 'directory', target: FOLDERS.prod, state: 'active', resourceShareId: holding!.resourceShareId });
    expect((await s.store.getRequest(request.requestId))?.status).toBe('applied');
    expect(await s.store.getImage(REGION, imageId)).toMatchObject({ directoryQuotaUsed: 1, quotaUsed: 0 });
  });

  it('repairs each interrupted step on the directory channel in one run: no lost share, no phantom share, exact quota', async () => {
    // Prepare
    const s = await directoryStack({ UNMANAGED_SHARES: 'report' });
    // apply: intent stored, crash before the call
    const beforeCall = await newImage(s, 'apply-before-call');
    await storeImage(s.store, beforeCall);
    await s.store.correctQuota(REGION, beforeCall, 0, 1, 'directory');
    await storeDirectoryShare(s, beforeCall, FOLDERS.dev, 'applying');
    // revoke: intent stored (unit released with it), crash after / before the removal
    const revokedAfterCall = await newImage(s, 'revoke-after-call');
    await storeImage(s.store, revokedAfterCall);
    await s.directory.addTargets(REGION, revokedAfterCall, [FOLDERS.dev, FOLDERS.web]);
    await storeDirectoryShare(s, revokedAfterCall, FOLDERS.dev, 'revoking');
    await storeDirectoryShare(s, revokedAfterCall, FOLDERS.web, 'active');
    await s.store.correctQuota(REGION, revokedAfterCall, 0, 1, 'directory');
    await s.directory.removeTargets(REGION, revokedAfterCall, [FOLDERS.dev]);
    const revokedBeforeCall = await newImage(s, 'revoke-before-call');
    await storeImage(s.store, revokedBeforeCall);
    await s.directory.addTargets(REGION, revokedBeforeCall, [WEB_MEMBER]);
    await storeDirectoryShare(s, revokedBeforeCall, WEB_MEMBER, 'revoking');

    // Act
    const result = await s.invoke(timer({ mode: 'enforce', regions: [REGION] }));

    // Assess
    expect(await s.store.getRun(result.runIds[0]!)).toMatchObject({ status: 'completed', errors: [] });
    const states = async (imageId: string) => (await s.store.listShares(REGION, imageId)).map((x) => `${x.target}:${x.state}`);
    expect([await states(beforeCall), await held(s, beforeCall)]).toEqual([[`${FOLDERS.dev}:active`], [FOLDERS.dev]]);
    expect([await states(revokedAfterCall), await held(s, revokedAfterCall)]).toEqual([[`${FOLDERS.dev}:revoked`, `${FOLDERS.web}:active`], [FOLDERS.web]]);
    expect([await states(revokedBeforeCall), await held(s, revokedBeforeCall)]).toEqual([[`${WEB_MEMBER}:revoked`], []]);
    for (const [imageId, used] of [[beforeCall, 1], [revokedAfterCall, 1], [revokedBeforeCall, 0]] as const) {
      expect((await s.store.getImage(REGION, imageId))?.directoryQuotaUsed, imageId).toBe(used);
    }
  });

  it('finds shares made outside the service and, under UNMANAGED_SHARES=adopt, adopts the allowed ones and revokes one with a denied folder without touching its targets', async () => {
    // Prepare: the console shared two images with web and dev, and a third with the web member only
    const s = await directoryStack({ UNMANAGED_SHARES: 'adopt', DENY_FOLDERS: FOLDERS.dev });
    const [mixedA, mixedB, allowed] = [await newImage(s, 'mixed-a'), await newImage(s, 'mixed-b'), await newImage(s, 'allowed')];
    const mixed = await outOfBand(s, [mixedA, mixedB], [FOLDERS.web, FOLDERS.dev]);
    const clean = await outOfBand(s, [allowed], [WEB_MEMBER]);

    // Act: a report run first, then an enforcing one
    const report = await s.invoke(timer({ mode: 'report', regions: [REGION] }));
    const enforce = await s.invoke(timer({ mode: 'enforce', regions: [REGION] }));

    // Assess
    expect(await s.store.getRun(report.runIds[0]!)).toMatchObject({ status: 'completed', findings: { unmanaged: 5 }, actions: {} });
    // Images the service never managed, held only by resource shares: named, with their channel, in the report's findings.
    expect((await s.store.imageFindings(report.runIds[0]!, REGION, allowed)).map((f) => [f.kind, f.channel, f.target, f.action, f.detail])).toEqual([
      ['unmanaged', 'directory', WEB_MEMBER, 'none', `held by resource share ${clean} made outside the service; no share of the service claims it`],
    ]);
    expect(await s.store.getRun(enforce.runIds[0]!)).toMatchObject({ status: 'completed', errors: [], actions: { share_adopted: 1, unmanaged_revoked: 4 } });
    expect((await s.store.imageFindings(enforce.runIds[0]!, REGION, mixedA)).map((f) => [f.channel, f.target, f.action]).sort()).toEqual(
      [
        ['directory', FOLDERS.dev, 'unmanaged_revoked'],
        ['directory', FOLDERS.web, 'unmanaged_revoked'],
      ].sort(),
    );
    expect((await s.store.listShares(REGION, allowed)).map((x) => [x.channel, x.target, x.state, x.origin, x.resourceShareId])).toEqual([
      ['directory', WEB_MEMBER, 'active', 'adopted', clean],
    ]);
    expect([await held(s, mixedA), await held(s, mixedB), await held(s, allowed)]).toEqual([[], [], [WEB_MEMBER]]);
    // The mixed share lost the images, never its targets.
    expect(await targetsOf(s, mixed)).toEqual([FOLDERS.dev, FOLDERS.web].sort());
    expect(await s.store.getImage(REGION, allowed)).toMatchObject({ directoryQuotaUsed: 1 });
  });

  it('reconciles the image an ActionTrail Resource Sharing event names', async () => {
    // Prepare
    const s = await directoryStack({ UNMANAGED_SHARES: 'revoke' });
    const [named, other] = [await newImage(s, 'named'), await newImage(s, 'other')];
    await outOfBand(s, [named], [FOLDERS.prod]);
    await outOfBand(s, [other], [FOLDERS.prod]);
    // Act
    const result = await s.invoke(
      resourceSharingEvent('CreateResourceShare', REGION, {
        RegionId: REGION,
        ResourceShareName: 'console',
        'Resources.1.ResourceType': 'Image',
        'Resources.1.ResourceId': named,
        'Targets.1': FOLDERS.prod,
      }),
    );
    // Assess
    expect(result.status).toBe('completed');
    expect(await s.store.getRun(result.runIds[0]!)).toMatchObject({ trigger: 'eventbridge', imagesScanned: 1, actions: { unmanaged_revoked: 1 } });
    expect([await held(s, named), await held(s, other)]).toEqual([[], [FOLDERS.prod]]);
  });

  it('sweeps 1,000 images with one DescribeImageSharePermission each and three Resource Sharing calls in all, as it does 10', async () => {
    // Prepare: two resource shares in the region, so every list of the region index is read
    const s = await directoryStack({ RECONCILE_CONCURRENCY: '8', ECS_RATE_PER_API: '*=10000' });
    const ids: string[] = [];
    const sweepCalls = async (count: number) => {
      while (ids.length < count) ids.push(await newImage(s, `fleet-${ids.length}`));
      if (count === 10) {
        await outOfBand(s, [ids[0]!], [FOLDERS.prod]);
        await outOfBand(s, [ids[1]!, ids[2]!], [FOLDERS.dev]);
      }
      const before = (await s.ecs.calls()).length;
      const result = await s.invoke(timer({ mode: 'report', regions: [REGION] }));
      expect(await s.store.getRun(result.runIds[0]!)).toMatchObject({ status: 'completed', imagesScanned: count, findings: { unmanaged: 3 } });
      return (await s.ecs.calls()).slice(before).filter((c) => c.action !== null);
    };
    // Act
    const small = await sweepCalls(10);
    const large = await sweepCalls(1000);
    // Assess: per image, the same one ECS call; the directory channel a fixed three per region
    for (const [calls, count] of [[small, 10], [large, 1000]] as const) {
      const permissionReads = calls.filter((c) => c.action === 'DescribeImageSharePermission');
      expect(permissionReads).toHaveLength(count);
      expect(new Set(permissionReads.map((c) => c.params.ImageId)).size).toBe(count);
      const sharing = calls.filter((c) => RESOURCE_SHARING.has(c.action!));
      expect(sharing.map((c) => `${c.action}:${c.params.AssociationType ?? ''}`)).toEqual([
        'ListResourceShares:',
        'ListResourceShareAssociations:Resource',
        'ListResourceShareAssociations:Target',
      ]);
      // No Resource Sharing call names an image, and nothing else is called per image.
      expect(sharing.some((c) => 'ResourceId' in c.params)).toBe(false);
      expect(calls.filter((c) => c.action !== 'DescribeImageSharePermission' && !RESOURCE_SHARING.has(c.action!)).every((c) => c.action === 'DescribeImages')).toBe(true);
    }
    const listings = (calls: typeof small) => calls.filter((c) => c.action === 'DescribeImages').length;
    // DescribeImages pages 100 images: twice per sweep (the ECS phase and the store phase's listing).
    expect([listings(small), listings(large)]).toEqual([2, 20]);
  }, 120_000);
});
