/**
 * What a resource share does to ECS, seen through the real ECS SDK and the ECS adapter: members the
 * share's targets cover (folders at any depth, the whole directory, a member, an external account)
 * see the image as `others`; a member who moves out of the folder or leaves loses it; DeleteImage is
 * refused while any share that is not deleted holds the image; `/__emulator/state` lists the holders.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEcsImagePort } from '../../shared/ecs/index.js';
import { type EcsAccessKey, caught, ecsClient, loadEcsSdk, rpcCaller } from '../support/ecs.js';
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

beforeEach(async () => {
  stack = await startDirectoryStack({ associationDelayMs: 50 });
});

afterEach(async () => {
  await stack.emulator.close();
});

const imagePort = (key: EcsAccessKey) =>
  createEcsImagePort({
    ecs: { endpoint: stack.emulator.endpoint, protocol: 'http', connectTimeoutMs: 2_000, readTimeoutMs: 2_000, ratePerApi: {} },
    credentials: () => key,
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });

/** The image ids an account sees in DescribeImages (the real SDK), with the owner alias asked for. */
async function seenBy(account: TestAccount, imageOwnerAlias?: 'others'): Promise<string[]> {
  const sdk = loadEcsSdk();
  const response = await ecsClient(stack.emulator.endpoint, account.key).describeImages(
    new sdk.DescribeImagesRequest({ regionId: REGION, ...(imageOwnerAlias ? { imageOwnerAlias } : {}), pageSize: 100 }),
  );
  return (response.body?.images?.image ?? []).map((image) => image.imageId ?? '');
}

const everyone = [WEB_MEMBER, DEV_MEMBER, OUTSIDER];
const seenByEveryone = async (imageId: string) => Promise.all(everyone.map(async (account) => (await seenBy(account, 'others')).includes(imageId)));

const shareOutOfBand = (imageId: string, targets: string[], allowExternalTargets = false) =>
  stack.admin.addResourceShare({
    ownerAccountId: MANAGEMENT.accountId,
    regionId: REGION,
    resources: [{ resourceType: 'Image', resourceId: imageId }],
    targets,
    allowExternalTargets,
  });

describe('A resource share in DescribeImages of the accounts it reaches', () => {
  it('reaches the members at any depth below a folder target, as others, and nobody else', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    await shareOutOfBand(imageId, [FOLDERS.prod]);

    // Act
    const others = await seenByEveryone(imageId);
    const noAlias = await seenBy(WEB_MEMBER);
    const asAdapter = await imagePort(WEB_MEMBER.key).getImage(REGION, imageId);

    // Assess
    expect(others).toEqual([true, false, false]);
    expect(noAlias).toContain(imageId);
    expect(asAdapter).toMatchObject({ imageId, kind: 'shared-to-us', ownerAccountId: MANAGEMENT.accountId });
  });

  it.each([
    ['the whole directory', [DIRECTORY_ID], false, [true, true, false]],
    ['one member', [DEV_MEMBER.accountId], false, [false, true, false]],
    ['an external account, where allowed', [OUTSIDER.accountId], true, [false, false, true]],
  ] as const)('reaches %s', async (_name, targets, allowExternalTargets, expected) => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    await shareOutOfBand(imageId, [...targets], allowExternalTargets);

    // Act
    const others = await seenByEveryone(imageId);

    // Assess
    expect(others).toEqual(expected);
  });

  it('is lost by a member who moves out of the folder or leaves the directory, and regained on return', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    await shareOutOfBand(imageId, [FOLDERS.prod]);

    // Act
    const before = (await seenBy(WEB_MEMBER, 'others')).includes(imageId);
    await stack.admin.moveMember(WEB_MEMBER.accountId, FOLDERS.dev);
    const moved = (await seenBy(WEB_MEMBER, 'others')).includes(imageId);
    await stack.admin.moveMember(WEB_MEMBER.accountId, FOLDERS.web);
    const back = (await seenBy(WEB_MEMBER, 'others')).includes(imageId);
    await stack.admin.removeMember(WEB_MEMBER.accountId);
    const left = (await seenBy(WEB_MEMBER, 'others')).includes(imageId);

    // Assess
    expect([before, moved, back, left]).toEqual([true, false, true, false]);
  });

  it('reaches nobody before the associations settle, after the image is taken out, or once the share is deleted', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    const owner = rpcCaller(stack.emulator.endpoint, 'ResourceSharing', MANAGEMENT.key);
    const created = await owner.call('CreateResourceShare', {
      RegionId: REGION,
      ResourceShareName: 'settling',
      Resources: [{ ResourceType: 'Image', ResourceId: imageId }],
      Targets: [DIRECTORY_ID],
    });
    const shareId = (created['ResourceShare'] as { ResourceShareId: string }).ResourceShareId;
    const second = await ownImage(stack.admin);
    const otherShare = await shareOutOfBand(second, [DIRECTORY_ID]);

    // Act
    const associating = (await seenBy(DEV_MEMBER, 'others')).includes(imageId);
    stack.clock.advance(50);
    const associated = (await seenBy(DEV_MEMBER, 'others')).includes(imageId);
    await owner.call('DisassociateResourceShare', { RegionId: REGION, ResourceShareId: shareId, Resources: [{ ResourceType: 'Image', ResourceId: imageId }] });
    const disassociating = (await seenBy(DEV_MEMBER, 'others')).includes(imageId);
    await owner.call('DeleteResourceShare', { RegionId: REGION, ResourceShareId: otherShare });
    const deleting = (await seenBy(DEV_MEMBER, 'others')).includes(second);

    // Assess
    expect([associating, associated, disassociating, deleting]).toEqual([false, true, false, false]);
  });
});

describe('DeleteImage of an image in a resource share', () => {
  it('is refused as ImageUseShared while any share that is not deleted holds it, Force or not', async () => {
    // Prepare: a share with no target holds the image too
    const imageId = await ownImage(stack.admin);
    await shareOutOfBand(imageId, []);
    const port = imagePort(MANAGEMENT.key);

    // Act
    const refused = await caught(port.deleteImage(REGION, imageId, { force: true }));
    const sdk = loadEcsSdk();
    const raw = await ecsClient(stack.emulator.endpoint, MANAGEMENT.key)
      .deleteImage(new sdk.DeleteImageRequest({ regionId: REGION, imageId }))
      .catch((error: { code: string; statusCode: number }) => [error.code, error.statusCode]);

    // Assess
    expect(refused.code).toBe('ImageStillShared');
    expect(raw).toEqual(['ImageUseShared', 403]);
  });

  it('goes through once the share is deleted, and once the image is taken out of a share', async () => {
    // Prepare
    await stack.admin.configureResourceSharing({ associationDelayMs: 0 });
    const owner = rpcCaller(stack.emulator.endpoint, 'ResourceSharing', MANAGEMENT.key);
    const first = await ownImage(stack.admin);
    const second = await ownImage(stack.admin);
    const firstShare = await shareOutOfBand(first, [FOLDERS.dev]);
    const secondShare = await shareOutOfBand(second, [FOLDERS.dev]);
    const port = imagePort(MANAGEMENT.key);

    // Act
    await owner.call('DeleteResourceShare', { RegionId: REGION, ResourceShareId: firstShare });
    await owner.call('DisassociateResourceShare', { RegionId: REGION, ResourceShareId: secondShare, Resources: [{ ResourceType: 'Image', ResourceId: second }] });
    await port.deleteImage(REGION, first, { force: false });
    await port.deleteImage(REGION, second, { force: false });

    // Assess
    expect((await stack.admin.state()).images.map((image) => [image.imageId, image.deleted])).toEqual([
      [first, true],
      [second, true],
    ]);
  });
});

describe('Emulator state of resource shares', () => {
  it('gives each image one directoryShares entry per target of every share that holds it, kept when the directory is posted again', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    const unshared = await ownImage(stack.admin);
    const first = await shareOutOfBand(imageId, [FOLDERS.prod, DEV_MEMBER.accountId]);
    const second = await shareOutOfBand(imageId, [DIRECTORY_ID]);
    await stack.admin.putResourceDirectory({ ...DIRECTORY });

    // Act
    const images = (await stack.admin.state()).images;

    // Assess
    expect(images.find((image) => image.imageId === imageId)?.directoryShares).toEqual([
      { resourceShareId: first, target: FOLDERS.prod },
      { resourceShareId: first, target: DEV_MEMBER.accountId },
      { resourceShareId: second, target: DIRECTORY_ID },
    ]);
    expect(images.find((image) => image.imageId === unshared)?.directoryShares).toEqual([]);
  });
});
