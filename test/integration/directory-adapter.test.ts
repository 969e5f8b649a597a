/**
 * The Resource Directory adapter (real @alicloud/openapi-core) against the emulator over a real
 * socket: holdings of one image and of a whole region (with call counts that do not grow with the
 * images), the service's own share with waits for the real association state, removals, target
 * resolution with its per-invocation cache and assumed role, retries and hooks.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DirectoryPortOptions, createDirectoryPort } from '../../shared/directory/index.js';
import { DirectoryLookupCache, SERVICE_SHARE_TAG, directorySharesOf, serviceShareName } from '../../shared/domain/directory.js';
import type { DirectoryPort } from '../../shared/domain/ports.js';
import { createEcsImagePort } from '../../shared/ecs/index.js';
import { type EcsCallRecord, caught, ecsClient, loadEcsSdk, rpcCaller } from '../support/ecs.js';
import {
  DEV_MEMBER,
  DIRECTORY,
  DIRECTORY_ID,
  type DirectoryStack,
  FOLDERS,
  MANAGEMENT,
  OUTSIDER,
  REGION,
  type TestAccount,
  WEB_MEMBER,
  ownImage,
  startDirectoryStack,
} from '../support/directory.js';

let stack: DirectoryStack;
let sleeps: number[];
let hookLog: string[];
/** Whether the adapter's sleeps move the emulator clock (associations settle while it waits). */
let sleepMovesClock: boolean;

beforeEach(async () => {
  stack = await startDirectoryStack({ associationDelayMs: 250 });
  sleeps = [];
  hookLog = [];
  sleepMovesClock = true;
});

afterEach(async () => {
  await stack.emulator.close();
});

function portFor(overrides: Partial<DirectoryPortOptions> = {}, owner: TestAccount = MANAGEMENT): DirectoryPort {
  const endpoint = stack.emulator.endpoint;
  return createDirectoryPort({
    endpoints: { resourceSharing: endpoint, resourceManager: endpoint, sts: endpoint },
    protocol: 'http',
    connectTimeoutMs: 2_000,
    readTimeoutMs: 2_000,
    credentials: () => owner.key,
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 2_000 },
    sleep: async (ms) => {
      sleeps.push(ms);
      if (sleepMovesClock) stack.clock.advance(ms);
    },
    beforeCall: async (action, regionId) => {
      hookLog.push(`before ${action} ${regionId}`);
    },
    onCall: (action, _regionId, outcome) => {
      hookLog.push(`after ${action} ${outcome}`);
    },
    ...overrides,
  });
}

const callsOf = async (...actions: string[]): Promise<EcsCallRecord[]> =>
  (await stack.admin.calls()).filter((call) => call.action !== null && (actions.length === 0 || actions.includes(call.action)));
const countOf = async (action: string) => (await callsOf(action)).length;
const RS_ACTIONS = ['ListResourceShares', 'ListResourceShareAssociations', 'ListSharedResources', 'ListSharedTargets'];

const shareOutOfBand = (images: string[], targets: string[], name?: string) =>
  stack.admin.addResourceShare({
    ownerAccountId: MANAGEMENT.accountId,
    regionId: REGION,
    ...(name ? { name } : {}),
    resources: images.map((resourceId) => ({ resourceType: 'Image' as const, resourceId })),
    targets,
  });

/** The (entity, status) rows of one share's associations of a type, as the owner lists them. */
async function associationsOf(shareId: string, type: 'Resource' | 'Target'): Promise<Array<[unknown, unknown]>> {
  const body = await rpcCaller(stack.emulator.endpoint, 'ResourceSharing', MANAGEMENT.key).call('ListResourceShareAssociations', {
    RegionId: REGION,
    AssociationType: type,
    ResourceShareIds: [shareId],
  });
  return (body['ResourceShareAssociations'] as Array<Record<string, unknown>>).map((row) => [row['EntityId'], row['AssociationStatus']]);
}

async function seenBy(account: TestAccount, imageId: string): Promise<boolean> {
  const sdk = loadEcsSdk();
  const response = await ecsClient(stack.emulator.endpoint, account.key).describeImages(
    new sdk.DescribeImagesRequest({ regionId: REGION, imageOwnerAlias: 'others', imageId }),
  );
  return (response.body?.images?.image ?? []).some((image) => image.imageId === imageId);
}

describe('createDirectoryPort reading', () => {
  it('answers no holdings for an image in no share, with one call', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);

    // Act
    const holdings = await portFor().imageShares(REGION, imageId);

    // Assess
    expect(holdings).toEqual([]);
    expect((await callsOf()).map((call) => [call.action, call.params])).toEqual([
      ['ListResourceShareAssociations', { RegionId: REGION, AssociationType: 'Resource', ResourceId: imageId, MaxResults: '100' }],
    ]);
  });

  it("lists every share holding one image with its targets, telling the service's own share from others", async () => {
    // Prepare
    const port = portFor();
    const imageId = await ownImage(stack.admin);
    const other = await ownImage(stack.admin);
    const { resourceShareId: serviceShare } = await port.addTargets(REGION, imageId, [FOLDERS.prod, DEV_MEMBER.accountId]);
    const console = await shareOutOfBand([other, imageId], [DIRECTORY_ID], 'console');
    const gone = await shareOutOfBand([imageId], [FOLDERS.dev], 'gone');
    await rpcCaller(stack.emulator.endpoint, 'ResourceSharing', MANAGEMENT.key).call('DeleteResourceShare', { RegionId: REGION, ResourceShareId: gone });
    stack.clock.advance(250);
    const impostor = await shareOutOfBand([imageId], [], serviceShareName(other));

    // Act
    const holdings = await port.imageShares(REGION, imageId);

    // Assess
    expect(holdings).toEqual([
      {
        resourceShareId: serviceShare,
        resourceShareName: serviceShareName(imageId),
        owner: 'service',
        status: 'associated',
        targets: [
          { target: FOLDERS.prod, status: 'associated' },
          { target: DEV_MEMBER.accountId, status: 'associated' },
        ],
      },
      { resourceShareId: console, resourceShareName: 'console', owner: 'other', status: 'associated', targets: [{ target: DIRECTORY_ID, status: 'associated' }] },
      { resourceShareId: impostor, resourceShareName: serviceShareName(other), owner: 'other', status: 'associated', targets: [] },
    ]);
    expect(directorySharesOf(holdings).map((row) => [row.resourceShareId, row.target, row.owner])).toEqual([
      [serviceShare, FOLDERS.prod, 'service'],
      [serviceShare, DEV_MEMBER.accountId, 'service'],
      [console, DIRECTORY_ID, 'other'],
    ]);
  });

  it('reports associations that are still settling as such', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    await rpcCaller(stack.emulator.endpoint, 'ResourceSharing', MANAGEMENT.key).call('CreateResourceShare', {
      RegionId: REGION,
      ResourceShareName: 'settling',
      Resources: [{ ResourceType: 'Image', ResourceId: imageId }],
      Targets: [FOLDERS.dev],
    });
    const port = portFor();

    // Act
    const during = await port.imageShares(REGION, imageId);
    stack.clock.advance(250);
    const after = await port.imageShares(REGION, imageId);

    // Assess
    expect(during.map((holding) => [holding.status, holding.targets])).toEqual([['associating', [{ target: FOLDERS.dev, status: 'associating' }]]]);
    expect(after.map((holding) => [holding.status, holding.targets])).toEqual([['associated', [{ target: FOLDERS.dev, status: 'associated' }]]]);
  });

  it('builds the region index from the same three calls for 10 images as for 1,000', async () => {
    // Prepare: 10 images, 4 of them in 3 shares
    const images: string[] = [];
    for (let n = 0; n < 10; n += 1) images.push(await ownImage(stack.admin));
    const [a, b, c, d] = images as [string, string, string, string];
    const first = await shareOutOfBand([a, b], [FOLDERS.prod]);
    const second = await shareOutOfBand([b, c], [FOLDERS.dev, DEV_MEMBER.accountId]);
    await shareOutOfBand([d], [DIRECTORY_ID]);
    const port = portFor();

    // Act
    const small = await port.regionShares(REGION);
    const smallCalls = await callsOf(...RS_ACTIONS);
    for (let n = 0; n < 990; n += 1) await ownImage(stack.admin);
    const large = await port.regionShares(REGION);
    const largeCalls = (await callsOf(...RS_ACTIONS)).slice(smallCalls.length);

    // Assess
    expect([...small.keys()].sort()).toEqual([a, b, c, d].sort());
    expect(small.get(b)?.map((holding) => [holding.resourceShareId, holding.targets.map((entry) => entry.target)])).toEqual([
      [first, [FOLDERS.prod]],
      [second, [FOLDERS.dev, DEV_MEMBER.accountId]],
    ]);
    expect(smallCalls.map((call) => [call.action, call.params['AssociationType'] ?? null])).toEqual([
      ['ListResourceShares', null],
      ['ListResourceShareAssociations', 'Resource'],
      ['ListResourceShareAssociations', 'Target'],
    ]);
    expect(large).toEqual(small);
    expect(largeCalls.map((call) => call.action)).toEqual(smallCalls.map((call) => call.action));
  });
});

describe('createDirectoryPort region index paging', () => {
  it('pages each of the three lists: ceil(S/p) + ceil(R/p) + ceil(T/p) calls', async () => {
    // Prepare: S = 3 shares, R = 5 image associations, T = 4 target associations, page size p = 2
    const [a, b, c] = [await ownImage(stack.admin), await ownImage(stack.admin), await ownImage(stack.admin)];
    await shareOutOfBand([a, b], [FOLDERS.prod, FOLDERS.dev]);
    await shareOutOfBand([b, c], [DIRECTORY_ID]);
    await shareOutOfBand([a], [DEV_MEMBER.accountId]);

    // Act
    const index = await portFor({ pageSize: 2 }).regionShares(REGION);

    // Assess
    expect([...index.keys()].sort()).toEqual([a, b, c].sort());
    expect(index.get(a)?.flatMap((holding) => holding.targets.map((entry) => entry.target))).toEqual([FOLDERS.prod, FOLDERS.dev, DEV_MEMBER.accountId]);
    const calls = await callsOf(...RS_ACTIONS);
    expect(calls.map((call) => `${call.action}:${call.params['AssociationType'] ?? ''}`)).toEqual([
      'ListResourceShares:',
      'ListResourceShares:',
      'ListResourceShareAssociations:Resource',
      'ListResourceShareAssociations:Resource',
      'ListResourceShareAssociations:Resource',
      'ListResourceShareAssociations:Target',
      'ListResourceShareAssociations:Target',
    ]);
  });

  it('stops after one call when the region has no share, and after two when no share holds an image', async () => {
    // Prepare
    const port = portFor();

    // Act
    const none = await port.regionShares(REGION);
    const afterNone = await countOf('ListResourceShares') + (await countOf('ListResourceShareAssociations'));
    await shareOutOfBand([], [FOLDERS.prod]);
    const empty = await port.regionShares(REGION);
    const afterEmpty = await countOf('ListResourceShares') + (await countOf('ListResourceShareAssociations'));

    // Assess
    expect([none.size, empty.size]).toEqual([0, 0]);
    expect([afterNone, afterEmpty - afterNone]).toEqual([1, 2]);
  });
});

describe('createDirectoryPort addTargets', () => {
  it("creates the service's share for the image and returns only once every association is Associated", async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);

    // Act
    const result = await portFor().addTargets(REGION, imageId, [FOLDERS.prod, DEV_MEMBER.accountId]);
    const visible = [await seenBy(WEB_MEMBER, imageId), await seenBy(DEV_MEMBER, imageId)];

    // Assess
    expect(result).toEqual({ resourceShareId: expect.stringMatching(/^rs-/), created: true });
    expect(visible).toEqual([true, true]);
    expect(sleeps.length).toBeGreaterThan(0);
    const [create] = await callsOf('CreateResourceShare');
    expect(create?.params).toEqual({
      RegionId: REGION,
      ResourceShareName: serviceShareName(imageId),
      'Resources.1.ResourceType': 'Image',
      'Resources.1.ResourceId': imageId,
      'Targets.1': FOLDERS.prod,
      'Targets.2': DEV_MEMBER.accountId,
      AllowExternalTargets: 'false',
      'Tag.1.Key': SERVICE_SHARE_TAG.key,
      'Tag.1.Value': SERVICE_SHARE_TAG.value,
    });
    expect(await associationsOf(result.resourceShareId, 'Target')).toEqual([
      [FOLDERS.prod, 'Associated'],
      [DEV_MEMBER.accountId, 'Associated'],
    ]);
  });

  it('sends at most five targets per call and reuses its share for later targets', async () => {
    // Prepare: seven members
    const members = Array.from({ length: 7 }, (_, i) => `20000000000000${String(i).padStart(2, '0')}`);
    for (const accountId of members) await stack.admin.addAccount(accountId);
    await stack.admin.putResourceDirectory({ ...DIRECTORY, members: [...(DIRECTORY.members ?? []), ...members.map((accountId) => ({ accountId }))] });
    const imageId = await ownImage(stack.admin);
    const port = portFor();

    // Act
    const first = await port.addTargets(REGION, imageId, members);
    const again = await port.addTargets(REGION, imageId, [members[0]!, FOLDERS.dev]);

    // Assess
    const targetsIn = (call: EcsCallRecord) => Object.keys(call.params).filter((key) => key.startsWith('Targets.')).map((key) => call.params[key]);
    expect((await callsOf('CreateResourceShare')).map(targetsIn)).toEqual([members.slice(0, 5)]);
    expect((await callsOf('AssociateResourceShare')).map(targetsIn)).toEqual([members.slice(5), [FOLDERS.dev]]);
    expect(again).toEqual({ resourceShareId: first.resourceShareId, created: false });
    expect((await associationsOf(first.resourceShareId, 'Target')).every(([, status]) => status === 'Associated')).toBe(true);
  });

  it('reports a Failed target association as a refusal naming the target, with what did get through', async () => {
    // Prepare
    await stack.admin.configureResourceSharing({ failures: [{ entityId: FOLDERS.dev, reason: 'LimitExceeded' }] });
    const imageId = await ownImage(stack.admin);

    // Act
    const error = await caught(portFor().addTargets(REGION, imageId, [FOLDERS.prod, FOLDERS.dev]));

    // Assess
    expect(error.code).toBe('ShareQuotaExceeded');
    expect(error.details).toMatchObject({ regionId: REGION, imageId, failed: [{ target: FOLDERS.dev, reason: 'LimitExceeded' }], associated: [FOLDERS.prod] });
    expect(error.message).toContain(FOLDERS.dev);
  });

  it('answers an Unavailable target as UnknownAccount, and an image that is not ours as ImageNotFound', async () => {
    // Prepare
    await stack.admin.configureResourceSharing({ failures: [{ entityId: DEV_MEMBER.accountId, reason: 'Unavailable' }] });
    const imageId = await ownImage(stack.admin);
    const foreign = await stack.admin.addImage({ ownerAccountId: OUTSIDER.accountId, regionId: REGION });
    const port = portFor();

    // Act
    const target = await caught(port.addTargets(REGION, imageId, [DEV_MEMBER.accountId]));
    const image = await caught(port.addTargets(REGION, foreign, [FOLDERS.prod]));

    // Assess
    expect([target.code, target.details['failed']]).toEqual(['UnknownAccount', [{ target: DEV_MEMBER.accountId, reason: 'Unavailable' }]]);
    expect([image.code, image.details['reason']]).toEqual(['ImageNotFound', 'Unavailable']);
  });

  it('gives up as UpstreamUnavailable when the associations do not settle within the wait', async () => {
    // Prepare: the emulator clock stands still, so nothing ever settles
    sleepMovesClock = false;
    const imageId = await ownImage(stack.admin);

    // Act
    const error = await caught(portFor({ wait: { timeoutMs: 1_000, intervalMs: 100, maxIntervalMs: 400 } }).addTargets(REGION, imageId, [FOLDERS.prod]));

    // Assess
    expect(error.code).toBe('UpstreamUnavailable');
    expect(error.details).toMatchObject({ regionId: REGION, imageId, pending: [imageId, FOLDERS.prod], waitedMs: 700 });
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('refuses bad targets: malformed without a call, outside the directory or not shareable by the service', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    const port = portFor();

    // Act
    const malformed = await caught(port.addTargets(REGION, imageId, ['everyone']));
    const callsAfterMalformed = (await callsOf()).length;
    const outside = await caught(port.addTargets(REGION, imageId, [OUTSIDER.accountId]));
    await stack.admin.putResourceDirectory({ ...DIRECTORY, sharingEnabled: false });
    const disabled = await caught(port.addTargets(REGION, imageId, [FOLDERS.dev]));

    // Assess
    expect(malformed.code).toBe('ValidationFailed');
    expect(callsAfterMalformed).toBe(0);
    expect([outside.code, outside.details['rsCode']]).toEqual(['UnknownAccount', 'InvalidTarget']);
    expect([disabled.code, disabled.details['rsCode']]).toEqual(['UpstreamUnavailable', 'NotEnableSharingWithResourceDirectory']);
  });

  it('refuses to use a share that carries its name without its tag', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    const squatter = await shareOutOfBand([], [], serviceShareName(imageId));

    // Act
    const error = await caught(portFor().addTargets(REGION, imageId, [FOLDERS.dev]));

    // Assess
    expect([error.code, error.details['resourceShareId']]).toEqual(['ShareAlreadyExists', squatter]);
    expect(await countOf('AssociateResourceShare')).toBe(0);
  });

  it('puts the image back into its share when someone took it out', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    const port = portFor();
    const { resourceShareId } = await port.addTargets(REGION, imageId, [FOLDERS.prod]);
    await port.removeImageFromShare(REGION, resourceShareId, imageId);

    // Act
    await port.addTargets(REGION, imageId, [FOLDERS.prod]);

    // Assess
    expect(await associationsOf(resourceShareId, 'Resource')).toEqual([[imageId, 'Associated']]);
    expect(await seenBy(WEB_MEMBER, imageId)).toBe(true);
  });
});

describe('createDirectoryPort removeTargets', () => {
  it('withdraws the targets, waits until Disassociated, and is idempotent', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    const port = portFor();
    const { resourceShareId } = await port.addTargets(REGION, imageId, [FOLDERS.prod, DEV_MEMBER.accountId]);

    // Act
    await port.removeTargets(REGION, imageId, [FOLDERS.prod]);
    const after = await associationsOf(resourceShareId, 'Target');
    const disassociations = await countOf('DisassociateResourceShare');
    await port.removeTargets(REGION, imageId, [FOLDERS.prod]);

    // Assess
    expect(after).toEqual([
      [FOLDERS.prod, 'Disassociated'],
      [DEV_MEMBER.accountId, 'Associated'],
    ]);
    expect(await seenBy(WEB_MEMBER, imageId)).toBe(false);
    expect(await seenBy(DEV_MEMBER, imageId)).toBe(true);
    expect([disassociations, await countOf('DisassociateResourceShare')]).toEqual([1, 1]);
  });

  it('deletes its share when no target is left, so the image can be deleted', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    const port = portFor();
    const { resourceShareId } = await port.addTargets(REGION, imageId, [FOLDERS.prod]);
    const images = createEcsImagePort({
      ecs: { endpoint: stack.emulator.endpoint, protocol: 'http', connectTimeoutMs: 2_000, readTimeoutMs: 2_000, ratePerApi: {} },
      credentials: () => MANAGEMENT.key,
    });

    // Act
    await port.removeTargets(REGION, imageId, [FOLDERS.prod]);
    const holdings = await port.imageShares(REGION, imageId);
    await images.deleteImage(REGION, imageId, { force: false });

    // Assess
    expect(holdings).toEqual([]);
    expect((await callsOf('DeleteResourceShare')).map((call) => call.params['ResourceShareId'])).toEqual([resourceShareId]);
    expect((await stack.admin.state()).images.find((image) => image.imageId === imageId)?.deleted).toBe(true);
  });

  it('waits for a target that is still associating before withdrawing it', async () => {
    // Prepare: an association the service started but did not see settle
    const imageId = await ownImage(stack.admin);
    await rpcCaller(stack.emulator.endpoint, 'ResourceSharing', MANAGEMENT.key).call('CreateResourceShare', {
      RegionId: REGION,
      ResourceShareName: serviceShareName(imageId),
      Resources: [{ ResourceType: 'Image', ResourceId: imageId }],
      Targets: [FOLDERS.prod, FOLDERS.dev],
      Tag: [{ Key: SERVICE_SHARE_TAG.key, Value: SERVICE_SHARE_TAG.value }],
    });

    // Act
    await portFor().removeTargets(REGION, imageId, [FOLDERS.dev]);

    // Assess
    expect(sleeps.length).toBeGreaterThan(0);
    expect((await portFor().imageShares(REGION, imageId)).flatMap((holding) => holding.targets)).toEqual([{ target: FOLDERS.prod, status: 'associated' }]);
  });

  it('does nothing but look when the service has no share of the image', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    await shareOutOfBand([imageId], [FOLDERS.prod]);

    // Act
    await portFor().removeTargets(REGION, imageId, [FOLDERS.prod]);

    // Assess
    expect((await callsOf()).map((call) => call.action)).toEqual(['ListResourceShares']);
    expect(await seenBy(WEB_MEMBER, imageId)).toBe(true);
  });
});

describe('createDirectoryPort removeImageFromShare', () => {
  it("takes only the image out of another's share, leaving its other resources and targets", async () => {
    // Prepare
    await stack.admin.configureResourceSharing({ associationDelayMs: 0 });
    const imageId = await ownImage(stack.admin);
    const other = await ownImage(stack.admin);
    const shareId = await shareOutOfBand([imageId, other], [FOLDERS.prod, DEV_MEMBER.accountId]);
    const port = portFor();

    // Act
    await port.removeImageFromShare(REGION, shareId, imageId);
    const disassociations = await countOf('DisassociateResourceShare');
    await port.removeImageFromShare(REGION, shareId, imageId);

    // Assess
    expect(await associationsOf(shareId, 'Resource')).toEqual([
      [imageId, 'Disassociated'],
      [other, 'Associated'],
    ]);
    expect(await associationsOf(shareId, 'Target')).toEqual([
      [FOLDERS.prod, 'Associated'],
      [DEV_MEMBER.accountId, 'Associated'],
    ]);
    expect(await port.imageShares(REGION, imageId)).toEqual([]);
    expect([disassociations, await countOf('DisassociateResourceShare')]).toEqual([1, 1]);
  });

  it('is done already for a deleted or unknown share, and refuses a malformed id', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    const shareId = await shareOutOfBand([imageId], [FOLDERS.prod]);
    await rpcCaller(stack.emulator.endpoint, 'ResourceSharing', MANAGEMENT.key).call('DeleteResourceShare', { RegionId: REGION, ResourceShareId: shareId });
    const port = portFor();

    // Act
    await port.removeImageFromShare(REGION, shareId, imageId);
    await port.removeImageFromShare(REGION, 'rs-unknown0001', imageId);
    const malformed = await caught(port.removeImageFromShare(REGION, 'share-1', imageId));

    // Assess
    expect(await countOf('DisassociateResourceShare')).toBe(0);
    expect(malformed.code).toBe('ValidationFailed');
  });
});

describe('createDirectoryPort resolveTarget', () => {
  it('places members, folders and the directory in the folder tree', async () => {
    // Prepare
    const port = portFor();
    const cache = new DirectoryLookupCache();
    const root = stack.rootFolderId;

    // Act
    const resolved = await Promise.all([WEB_MEMBER.accountId, OUTSIDER.accountId, FOLDERS.web, DIRECTORY_ID].map((target) => port.resolveTarget(target, cache)));

    // Assess
    expect(resolved).toEqual([
      { kind: 'account', target: WEB_MEMBER.accountId, member: true, directoryId: DIRECTORY_ID, folderPath: [root, FOLDERS.prod, FOLDERS.web] },
      { kind: 'account', target: OUTSIDER.accountId, member: false },
      { kind: 'folder', target: FOLDERS.web, directoryId: DIRECTORY_ID, folderPath: [root, FOLDERS.prod, FOLDERS.web] },
      { kind: 'directory', target: DIRECTORY_ID, directoryId: DIRECTORY_ID },
    ]);
  });

  it.each([
    ['another directory', 'rd-other1', 'UnknownAccount'],
    ['an unknown folder', 'fd-nowhere01', 'UnknownAccount'],
    ['a malformed id', 'folder-1', 'ValidationFailed'],
  ])('refuses %s', async (_name, target, code) => {
    // Act
    const error = await caught(portFor().resolveTarget(target, new DirectoryLookupCache()));

    // Assess
    expect([error.code, error.details['target']]).toEqual([code, target]);
  });

  it('resolves each account once per cache, concurrent callers included, and forgets a failed lookup', async () => {
    // Prepare
    const port = portFor({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const sweep = new DirectoryLookupCache();
    await stack.admin.addFault({ action: 'GetFolder', code: 'ServiceUnavailable', status: 503, count: 1 });

    // Act
    await Promise.all([port.resolveTarget(WEB_MEMBER.accountId, sweep), port.resolveTarget(WEB_MEMBER.accountId, sweep)]);
    await port.resolveTarget(WEB_MEMBER.accountId, sweep);
    const sameSweep = await countOf('GetAccount');
    await port.resolveTarget(WEB_MEMBER.accountId, new DirectoryLookupCache());
    const failed = await caught(port.resolveTarget(FOLDERS.dev, sweep));
    await port.resolveTarget(FOLDERS.dev, sweep);
    await port.resolveTarget(FOLDERS.dev, sweep);

    // Assess
    expect(sameSweep).toBe(1);
    expect(await countOf('GetAccount')).toBe(2);
    expect(failed.code).toBe('UpstreamUnavailable');
    expect(await countOf('GetFolder')).toBe(2);
  });

  it('reads the directory as the management account through an assumed role, assuming it once per session', async () => {
    // Prepare: the images' owner is a member; the management account's role trusts it
    const roleArn = await stack.admin.addRole({ accountId: MANAGEMENT.accountId, roleName: 'DirectoryReader', trustedAccountIds: [WEB_MEMBER.accountId] });
    let nowMs = Date.now();
    const port = portFor({ directoryRole: { roleArn, durationSeconds: 3600 }, nowMs: () => nowMs }, WEB_MEMBER);
    const withoutRole = portFor({}, WEB_MEMBER);

    // Act
    await port.resolveTarget(DEV_MEMBER.accountId, new DirectoryLookupCache());
    await port.resolveTarget(FOLDERS.dev, new DirectoryLookupCache());
    const oneSession = await countOf('AssumeRole');
    nowMs += 46 * 60_000;
    await port.resolveTarget(FOLDERS.prod, new DirectoryLookupCache());
    const refused = await caught(withoutRole.resolveTarget(DEV_MEMBER.accountId, new DirectoryLookupCache()));

    // Assess
    expect(oneSession).toBe(1);
    expect(await countOf('AssumeRole')).toBe(2);
    expect((await callsOf('AssumeRole', 'GetAccount', 'GetFolder')).map((call) => [call.action, call.accountId])).toEqual([
      ['AssumeRole', WEB_MEMBER.accountId],
      ['GetAccount', MANAGEMENT.accountId],
      ['GetFolder', MANAGEMENT.accountId],
      ['AssumeRole', WEB_MEMBER.accountId],
      ['GetFolder', MANAGEMENT.accountId],
      ['GetAccount', WEB_MEMBER.accountId],
    ]);
    expect([refused.code, refused.details['rmCode']]).toEqual(['UpstreamUnavailable', 'EntityNotExists.ResourceDirectory']);
  });

  it('reports a role that cannot be assumed as UpstreamUnavailable, with the STS code', async () => {
    // Prepare
    const roleArn = await stack.admin.addRole({ accountId: MANAGEMENT.accountId, roleName: 'DirectoryReader', trustedAccountIds: [MANAGEMENT.accountId] });

    // Act
    const error = await caught(portFor({ directoryRole: { roleArn } }, WEB_MEMBER).resolveTarget(FOLDERS.dev, new DirectoryLookupCache()));

    // Assess
    expect([error.code, error.details['stsCode'], error.details['action']]).toEqual(['UpstreamUnavailable', 'NoPermission', 'AssumeRole']);
    expect(await countOf('GetFolder')).toBe(0);
  });
});

describe('createDirectoryPort retries, hooks and errors', () => {
  it('retries a 503 with backoff through the hooks, reporting every attempt', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    await stack.admin.addFault({ action: 'ListResourceShareAssociations', code: 'ServiceUnavailable', status: 503, count: 2 });

    // Act
    const holdings = await portFor().imageShares(REGION, imageId);

    // Assess
    expect(holdings).toEqual([]);
    expect(hookLog).toEqual([
      `before ListResourceShareAssociations ${REGION}`,
      'after ListResourceShareAssociations ServiceUnavailable',
      `before ListResourceShareAssociations ${REGION}`,
      'after ListResourceShareAssociations ServiceUnavailable',
      `before ListResourceShareAssociations ${REGION}`,
      'after ListResourceShareAssociations ok',
    ]);
    expect(sleeps).toHaveLength(2);
  });

  it('reports Resource Manager calls to the hooks with no region', async () => {
    // Act
    await portFor().resolveTarget(WEB_MEMBER.accountId, new DirectoryLookupCache());

    // Assess
    expect(hookLog).toEqual(['before GetAccount ', 'after GetAccount ok']);
  });

  it('gives up on persistent throttling with UpstreamThrottled and a retry-after', async () => {
    // Prepare
    await stack.admin.addFault({ action: 'ListResourceShares', code: 'Throttling.User', status: 400 });

    // Act
    const error = await caught(portFor().regionShares(REGION));

    // Assess
    expect(error.code).toBe('UpstreamThrottled');
    expect(error.retryAfter).toBeGreaterThanOrEqual(1);
    expect(error.details).toMatchObject({ action: 'ListResourceShares', regionId: REGION, rsCode: 'Throttling.User', attempts: 3 });
  });

  it('reports a wrong secret as UpstreamUnavailable with the Resource Sharing code, without retrying', async () => {
    // Act
    const error = await caught(portFor({ credentials: () => ({ ...MANAGEMENT.key, accessKeySecret: 'wrong' }) }).regionShares(REGION));

    // Assess
    expect([error.code, error.details['rsCode'], error.details['rsStatus']]).toEqual(['UpstreamUnavailable', 'SignatureDoesNotMatch', 400]);
    expect(sleeps).toEqual([]);
  });

  it('refuses an out-of-range page size and a role ARN that is not one at construction', () => {
    // Act / Assess
    expect(() => portFor({ pageSize: 101 })).toThrow(RangeError);
    expect(() => portFor({ directoryRole: { roleArn: 'reader' } })).toThrow(RangeError);
    expect(() => portFor({ directoryRole: { roleArn: `acs:ram::${MANAGEMENT.accountId}:role/r`, durationSeconds: 900 } })).toThrow(RangeError);
  });
});

describe('createDirectoryPort against answers it cannot use', () => {
  let server: Server;
  let endpoint: string;

  beforeEach(async () => {
    // Well-formed HTTP and JSON, nonsense content: a token that never moves, a path that is no path, no credentials.
    const answers: Record<string, unknown> = {
      ListResourceShareAssociations: { ResourceShareAssociations: [], NextToken: 'again' },
      GetAccount: { Account: { AccountId: WEB_MEMBER.accountId, ResourceDirectoryPath: 'somewhere/else' } },
      AssumeRole: { Credentials: { AccessKeyId: 'STS.only-an-id' } },
    };
    server = createServer((request, response) => {
      request.resume();
      const action = String(request.headers['x-acs-action']);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ RequestId: 'nonsense', ...(answers[action] as object) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const nonsensePort = (overrides: Partial<DirectoryPortOptions> = {}) =>
    portFor({ endpoints: { resourceSharing: endpoint, resourceManager: endpoint, sts: endpoint }, ...overrides });

  it('stops paging when NextToken does not move', async () => {
    // Act
    const error = await caught(nonsensePort().imageShares(REGION, 'm-image0000001'));

    // Assess
    expect([error.code, error.details['nextToken']]).toEqual(['UpstreamUnavailable', 'again']);
  });

  it('refuses a ResourceDirectoryPath it cannot read', async () => {
    // Act
    const error = await caught(nonsensePort().resolveTarget(WEB_MEMBER.accountId, new DirectoryLookupCache()));

    // Assess
    expect([error.code, error.details['path']]).toEqual(['UpstreamUnavailable', 'somewhere/else']);
  });

  it('refuses an AssumeRole answer without usable credentials', async () => {
    // Act
    const port = nonsensePort({ directoryRole: { roleArn: `acs:ram::${MANAGEMENT.accountId}:role/reader` } });
    const error = await caught(port.resolveTarget(FOLDERS.dev, new DirectoryLookupCache()));

    // Assess
    expect([error.code, error.details['action']]).toEqual(['UpstreamUnavailable', 'AssumeRole']);
    expect(error.message).toContain('without usable credentials');
  });
});
