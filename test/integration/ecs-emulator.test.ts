/**
 * The ECS emulator driven by the real `@alicloud/ecs20140526` SDK over HTTP, in both signing modes:
 * the four image-sharing operations, their rules and error codes, visibility across accounts, paging.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEcsEmulator, startEcsEmulator } from '../../emulators/ecs/index.js';
import { type EcsAdmin, type EcsClient, type EcsSdk, ecsAdmin, ecsClient, loadEcsSdk } from '../support/ecs.js';

const REGION = 'cn-hangzhou';
const OTHER_REGION = 'cn-shanghai';
const OWNER = { accountId: '1000000000000001', key: { accessKeyId: 'AK-OWNER', accessKeySecret: 'owner-secret' } };
const RECIPIENT = { accountId: '1000000000000002', key: { accessKeyId: 'AK-RECIPIENT', accessKeySecret: 'recipient-secret' } };
const BYSTANDER = { accountId: '1000000000000003', key: { accessKeyId: 'AK-BYSTANDER', accessKeySecret: 'bystander-secret' } };
const UNREGISTERED = '1000000000009999';

/** The emulator clock stands still at a whole second close to real time, so SharedTime is exact. */
const FROZEN = new Date(Math.floor(Date.now() / 1000) * 1000);
const FROZEN_ECS_TIME = `${FROZEN.toISOString().slice(0, 19)}Z`;

let sdk: EcsSdk;
let emulator: RunningEcsEmulator;
let admin: EcsAdmin;

beforeAll(() => {
  sdk = loadEcsSdk();
});

beforeEach(async () => {
  emulator = await startEcsEmulator({ port: 0, now: () => FROZEN });
  admin = ecsAdmin(emulator.endpoint);
  for (const account of [OWNER, RECIPIENT, BYSTANDER]) await admin.addAccount(account.accountId, [account.key]);
});

afterEach(async () => {
  await emulator.close();
});

/** Registers `count` accounts without keys (share targets only), ids 2000000000000001.. */
async function addTargetAccounts(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, index) => String(2000000000000001 + index));
  for (const id of ids) await admin.addAccount(id);
  return ids;
}

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; code: string; statusCode: number; requestId: string }> {
  try {
    await promise;
  } catch (error) {
    const { name, code, statusCode, requestId } = error as { name: string; code: string; statusCode: number; requestId: string };
    return { name, code, statusCode, requestId };
  }
  throw new Error('expected the call to fail');
}

const client = (account: { key: { accessKeyId: string; accessKeySecret: string } }, signing: 'acs3' | 'v2' = 'acs3') =>
  ecsClient(emulator.endpoint, account.key, { signing });

function share(caller: EcsClient, imageId: string, add: string[], remove: string[] = [], regionId = REGION) {
  return caller.modifyImageSharePermission(
    new sdk.ModifyImageSharePermissionRequest({
      regionId,
      imageId,
      addAccount: add.length > 0 ? add : undefined,
      removeAccount: remove.length > 0 ? remove : undefined,
    }),
  );
}

function setPublic(caller: EcsClient, imageId: string, isPublic: boolean) {
  return caller.modifyImageSharePermission(new sdk.ModifyImageSharePermissionRequest({ regionId: REGION, imageId, isPublic }));
}

async function permissions(caller: EcsClient, imageId: string, page: { pageNumber?: number; pageSize?: number } = {}) {
  const response = await caller.describeImageSharePermission(
    new sdk.DescribeImageSharePermissionRequest({ regionId: REGION, imageId, ...page }),
  );
  return response.body!;
}

async function images(caller: EcsClient, filters: Partial<ConstructorParameters<EcsSdk['DescribeImagesRequest']>[0]> = {}) {
  const response = await caller.describeImages(new sdk.DescribeImagesRequest({ regionId: REGION, ...filters }));
  return response.body!;
}

const idsOf = (body: Awaited<ReturnType<typeof images>>) => (body.images?.image ?? []).map((image) => image.imageId);

function deleteImage(caller: EcsClient, imageId: string, force?: boolean) {
  return caller.deleteImage(new sdk.DeleteImageRequest({ regionId: REGION, imageId, force }));
}

describe.each(['acs3', 'v2'] as const)('ECS emulator operations through the SDK (%s signing)', (signing) => {
  it('lists an own custom image under DescribeImages with the fields the SDK maps', async () => {
    // Prepare
    const imageId = await admin.addImage({
      ownerAccountId: OWNER.accountId,
      regionId: REGION,
      imageId: 'm-ownimage0001',
      imageName: 'golden-base',
      tags: { team: 'platform', 'cost center': 'a+b c*' },
      inUseByInstances: true,
      size: 20,
    });

    // Act
    const body = await images(client(OWNER, signing), { imageOwnerAlias: 'self' });

    // Assess
    expect(body.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect({ ...body, requestId: undefined }).toEqual({
      requestId: undefined,
      regionId: REGION,
      totalCount: 1,
      pageNumber: 1,
      pageSize: 10,
      images: {
        image: [
          {
            imageId,
            imageName: 'golden-base',
            imageFamily: '',
            imageVersion: '',
            description: '',
            imageOwnerAlias: 'self',
            imageOwnerId: 1000000000000001,
            status: 'Available',
            isPublic: false,
            isSelfShared: 'False',
            isSubscribed: false,
            isCopied: false,
            isSupportCloudinit: true,
            isSupportIoOptimized: true,
            productCode: '',
            progress: '100%',
            size: 20,
            usage: 'instance',
            creationTime: FROZEN_ECS_TIME,
            architecture: 'x86_64',
            OSType: 'linux',
            platform: 'Aliyun',
            OSName: 'Alibaba Cloud Linux 3',
            OSNameEn: 'Alibaba Cloud Linux 3',
            bootMode: 'BIOS',
            tags: {
              tag: [
                { tagKey: 'team', tagValue: 'platform' },
                { tagKey: 'cost center', tagValue: 'a+b c*' },
              ],
            },
            diskDeviceMappings: {
              diskDeviceMapping: [
                { device: '/dev/xvda', type: 'system', size: '20', snapshotId: 's-ownimage0001', format: '', encrypted: false },
              ],
            },
          },
        ],
      },
    });
  });

  it('shares with an account, reports the share with its SharedTime, and unshares it', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    const owner = client(OWNER, signing);

    // Act
    const shared = await share(owner, imageId, [RECIPIENT.accountId]);
    const afterShare = await permissions(owner, imageId);
    await share(owner, imageId, [], [RECIPIENT.accountId]);
    const afterUnshare = await permissions(owner, imageId);

    // Assess
    expect(Object.keys(shared.body!.toMap())).toEqual(['RequestId']);
    expect({ ...afterShare, requestId: 'x' }).toEqual({
      requestId: 'x',
      regionId: REGION,
      imageId,
      pageNumber: 1,
      pageSize: 10,
      totalCount: 1,
      shareGroups: { shareGroup: [] },
      accounts: { account: [{ aliyunId: RECIPIENT.accountId, sharedTime: FROZEN_ECS_TIME }] },
    });
    expect(afterUnshare.totalCount).toBe(0);
    expect(afterUnshare.accounts?.account).toEqual([]);
  });

  it('deletes an unshared image, which then disappears from every listing', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    const owner = client(OWNER, signing);

    // Act
    const response = await deleteImage(owner, imageId);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(idsOf(await images(owner, { status: 'ALL' }))).toEqual([]);
    expect((await errorOf(permissions(owner, imageId))).code).toBe('InvalidImageId.NotFound');
    expect((await admin.state()).images).toEqual([
      { imageId, regionId: REGION, ownerAccountId: OWNER.accountId, kind: 'custom', status: 'Available', isPublic: false, deleted: true, shares: [], directoryShares: [] },
    ]);
  });

  it('answers a refused rule with the ECS code, status and a request id', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });

    // Act
    const error = await errorOf(share(client(OWNER, signing), imageId, [UNREGISTERED]));

    // Assess
    expect(error).toEqual({ name: 'ClientError', code: 'InvalidAccount.NotFound', statusCode: 404, requestId: expect.stringMatching(/^[0-9A-F-]{36}$/) });
  });
});

describe('ECS emulator ModifyImageSharePermission rules', () => {
  it('refuses images the caller does not own with InvalidImageId.NotFound', async () => {
    // Prepare
    const othersImage = await admin.addImage({ ownerAccountId: RECIPIENT.accountId, regionId: REGION });
    const sharedToCaller = await admin.addImage({ ownerAccountId: RECIPIENT.accountId, regionId: REGION });
    await admin.shareOutOfBand(REGION, sharedToCaller, OWNER.accountId);
    const systemImage = await admin.addImage({ kind: 'system', regionId: REGION });
    const owner = client(OWNER);

    // Act
    const codes = [];
    for (const imageId of [othersImage, sharedToCaller, systemImage, 'm-doesnotexist00']) {
      const error = await errorOf(share(owner, imageId, [BYSTANDER.accountId]));
      codes.push([error.code, error.statusCode]);
    }

    // Assess
    expect(codes).toEqual(Array(4).fill(['InvalidImageId.NotFound', 404]));
  });

  it('looks the image up in the requested region only (no cross-region share)', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: OTHER_REGION });

    // Act
    const inWrongRegion = await errorOf(share(client(OWNER), imageId, [RECIPIENT.accountId], [], REGION));
    await share(client(OWNER), imageId, [RECIPIENT.accountId], [], OTHER_REGION);

    // Assess
    expect(inWrongRegion.code).toBe('InvalidImageId.NotFound');
    expect((await admin.state()).images[0]?.shares.map((s) => s.accountId)).toEqual([RECIPIENT.accountId]);
  });

  it('refuses sharing with the owner itself (InvalidAccount.Forbbiden) and applies nothing', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });

    // Act
    const error = await errorOf(share(client(OWNER), imageId, [RECIPIENT.accountId, OWNER.accountId]));

    // Assess
    expect([error.code, error.statusCode]).toEqual(['InvalidAccount.Forbbiden', 404]);
    expect((await admin.state()).images[0]?.shares).toEqual([]);
  });

  it('refuses images that are not shareable, each with its own code', async () => {
    // Prepare
    const seeds = [
      { status: 'Deprecated' as const },
      { status: 'Creating' as const },
      { status: 'CreateFailed' as const },
      { encrypted: true },
      { kind: 'marketplace-derived' as const },
    ];
    const imageIds = [];
    for (const seed of seeds) imageIds.push(await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION, ...seed }));

    // Act
    const outcomes = [];
    for (const imageId of imageIds) {
      const error = await errorOf(share(client(OWNER), imageId, [RECIPIENT.accountId]));
      outcomes.push([error.code, error.statusCode]);
    }

    // Assess
    expect(outcomes).toEqual([
      ['OperationDenied.InvalidImageStatus', 403],
      ['IncorrectImageStatus', 400],
      ['IncorrectImageStatus', 400],
      ['OperationDeined.EncryptedSnapshot', 403],
      ['OperationDenied.MarketplaceImage', 403],
    ]);
    expect((await admin.state()).images.every((image) => image.shares.length === 0)).toBe(true);
  });

  it('still lets the owner remove shares from a Deprecated image', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    await admin.shareOutOfBand(REGION, imageId, RECIPIENT.accountId);
    await admin.patchImage(REGION, imageId, { status: 'Deprecated' });

    // Act
    await share(client(OWNER), imageId, [], [RECIPIENT.accountId]);

    // Assess
    expect((await admin.state()).images[0]?.shares).toEqual([]);
  });

  it('allows 50 accounts per image and refuses the whole call that would pass 50', async () => {
    // Prepare
    const targets = await addTargetAccounts(51);
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    for (const target of targets.slice(0, 48)) await admin.shareOutOfBand(REGION, imageId, target);
    const owner = client(OWNER);

    // Act
    const overQuota = await errorOf(share(owner, imageId, [targets[48]!, targets[49]!, targets[50]!]));
    const sharedAfterRefusal = (await permissions(owner, imageId)).totalCount;
    await share(owner, imageId, [targets[48]!, targets[49]!]);
    const atLimit = await permissions(owner, imageId, { pageSize: 100 });
    const oneMore = await errorOf(share(owner, imageId, [targets[50]!]));

    // Assess
    expect([overQuota.code, overQuota.statusCode]).toEqual(['QuotaExceed.ShareImageUser', 403]);
    expect(sharedAfterRefusal).toBe(48);
    expect(atLimit.totalCount).toBe(50);
    expect(atLimit.accounts?.account?.map((a) => a.aliyunId)).toEqual(targets.slice(0, 50));
    expect(oneMore.code).toBe('QuotaExceed.ShareImageUser');
  });

  it('processes only the first 10 AddAccount entries of a call', async () => {
    // Prepare
    const targets = await addTargetAccounts(12);
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });

    // Act
    await share(client(OWNER), imageId, targets);

    // Assess
    const body = await permissions(client(OWNER), imageId, { pageSize: 100 });
    expect(body.accounts?.account?.map((a) => a.aliyunId)).toEqual(targets.slice(0, 10));
  });

  it('treats adding a shared account and removing an unshared one as no-ops', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    await share(client(OWNER), imageId, [RECIPIENT.accountId]);

    // Act
    await share(client(OWNER), imageId, [RECIPIENT.accountId], [BYSTANDER.accountId]);

    // Assess
    expect((await admin.state()).images[0]?.shares).toEqual([{ accountId: RECIPIENT.accountId, sharedTime: FROZEN_ECS_TIME }]);
  });

  it('publishes and unpublishes a community image with Image.Public / Image.NotPublic guards', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    const owner = client(OWNER);

    // Act
    const notPublicYet = await errorOf(setPublic(owner, imageId, false));
    await setPublic(owner, imageId, true);
    const published = await permissions(owner, imageId);
    const seenByBystander = idsOf(await images(client(BYSTANDER), { imageOwnerAlias: 'others', isPublic: true }));
    const bystanderNotAsking = idsOf(await images(client(BYSTANDER), { imageOwnerAlias: 'others' }));
    const alreadyPublic = await errorOf(setPublic(owner, imageId, true));
    const combined = await errorOf(
      owner.modifyImageSharePermission(
        new sdk.ModifyImageSharePermissionRequest({ regionId: REGION, imageId, isPublic: false, addAccount: [RECIPIENT.accountId] }),
      ),
    );
    await setPublic(owner, imageId, false);
    const unpublished = await permissions(owner, imageId);

    // Assess
    expect([notPublicYet.code, notPublicYet.statusCode]).toEqual(['Image.NotPublic', 403]);
    expect(published.shareGroups?.shareGroup).toEqual([{ group: 'all' }]);
    // Community images are listed only on request (IsPublic=true), as ECS documents.
    expect(seenByBystander).toEqual([imageId]);
    expect(bystanderNotAsking).toEqual([]);
    expect([alreadyPublic.code, alreadyPublic.statusCode]).toEqual(['Image.Public', 403]);
    expect([combined.code, combined.statusCode]).toEqual(['InvalidParameter.IsPublic', 403]);
    expect(unpublished.shareGroups?.shareGroup).toEqual([]);
  });

  it('reports MissingParameter and honours DryRun without applying', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    const owner = client(OWNER);

    // Act
    const missing = await errorOf(owner.modifyImageSharePermission(new sdk.ModifyImageSharePermissionRequest({ regionId: REGION })));
    const dryRun = await errorOf(
      owner.modifyImageSharePermission(
        new sdk.ModifyImageSharePermissionRequest({ regionId: REGION, imageId, addAccount: [RECIPIENT.accountId], dryRun: true }),
      ),
    );

    // Assess
    expect([missing.code, missing.statusCode]).toEqual(['MissingParameter', 400]);
    expect([dryRun.code, dryRun.statusCode]).toEqual(['DryRunOperation', 400]);
    expect((await admin.state()).images[0]?.shares).toEqual([]);
  });
});

describe('ECS emulator visibility across accounts', () => {
  it('shows a shared image to the recipient as others until it is unshared', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION, imageName: 'shared-one' });
    const recipient = client(RECIPIENT);

    // Act
    const before = idsOf(await images(recipient));
    await share(client(OWNER), imageId, [RECIPIENT.accountId]);
    const whileShared = await images(recipient, { imageOwnerAlias: 'others' });
    const bystander = idsOf(await images(client(BYSTANDER)));
    const recipientSelf = idsOf(await images(recipient, { imageOwnerAlias: 'self' }));
    await share(client(OWNER), imageId, [], [RECIPIENT.accountId]);
    const after = idsOf(await images(recipient));

    // Assess
    expect(before).toEqual([]);
    expect(whileShared.images?.image?.map((i) => [i.imageId, i.imageOwnerAlias, i.imageOwnerId, i.isSelfShared])).toEqual([
      [imageId, 'others', 1000000000000001, ''],
    ]);
    expect(bystander).toEqual([]);
    expect(recipientSelf).toEqual([]);
    expect(after).toEqual([]);
  });

  it('marks an own shared image IsSelfShared "True" and lists system images as system', async () => {
    // Prepare
    const own = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION, creationTime: '2026-01-01T00:00:00Z' });
    const system = await admin.addImage({ kind: 'system', regionId: REGION, creationTime: '2025-01-01T00:00:00Z' });
    await admin.shareOutOfBand(REGION, own, RECIPIENT.accountId);

    // Act
    const body = await images(client(OWNER));

    // Assess
    expect(body.images?.image?.map((i) => [i.imageId, i.imageOwnerAlias, i.isSelfShared, i.isPublic])).toEqual([
      [own, 'self', 'True', false],
      [system, 'system', '', true],
    ]);
  });

  it('removes a deleted image from the recipients after its shares were revoked', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    await share(client(OWNER), imageId, [RECIPIENT.accountId]);

    // Act
    const refused = await errorOf(deleteImage(client(OWNER), imageId, true));
    const stillVisible = idsOf(await images(client(RECIPIENT)));
    await share(client(OWNER), imageId, [], [RECIPIENT.accountId]);
    await deleteImage(client(OWNER), imageId);

    // Assess
    expect([refused.code, refused.statusCode]).toEqual(['ImageUseShared', 403]);
    expect(stillVisible).toEqual([imageId]);
    expect(idsOf(await images(client(RECIPIENT), { status: 'ALL' }))).toEqual([]);
  });
});

describe('ECS emulator DeleteImage rules', () => {
  it('refuses an image in use unless Force, and a missing or foreign image with 404', async () => {
    // Prepare
    const inUse = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION, inUseByInstances: true });
    const foreign = await admin.addImage({ ownerAccountId: RECIPIENT.accountId, regionId: REGION });
    const owner = client(OWNER);

    // Act
    const withoutForce = await errorOf(deleteImage(owner, inUse));
    await deleteImage(owner, inUse, true);
    const again = await errorOf(deleteImage(owner, inUse, true));
    const notMine = await errorOf(deleteImage(owner, foreign));

    // Assess
    expect([withoutForce.code, withoutForce.statusCode]).toEqual(['ImageUsingByInstance', 403]);
    expect([again.code, again.statusCode]).toEqual(['InvalidImageId.NotFound', 404]);
    expect([notMine.code, notMine.statusCode]).toEqual(['InvalidImageId.NotFound', 404]);
    expect((await admin.state()).images.map((i) => [i.imageId, i.deleted])).toEqual([
      [inUse, true],
      [foreign, false],
    ]);
  });

  it('refuses a published community image with ImageUseShared', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION, isPublic: true });

    // Act
    const error = await errorOf(deleteImage(client(OWNER), imageId, true));

    // Assess
    expect(error.code).toBe('ImageUseShared');
  });
});

describe('ECS emulator DescribeImages filters and paging', () => {
  it('lists only Available images by default and honours Status lists and ALL', async () => {
    // Prepare
    const statuses = ['Available', 'Creating', 'Deprecated', 'CreateFailed'] as const;
    const ids: Record<string, string> = {};
    for (const [index, status] of statuses.entries()) {
      ids[status] = await admin.addImage({
        ownerAccountId: OWNER.accountId,
        regionId: REGION,
        status,
        creationTime: `2026-01-0${index + 1}T00:00:00Z`,
      });
    }
    const owner = client(OWNER);

    // Act
    const byDefault = idsOf(await images(owner));
    const listed = idsOf(await images(owner, { status: 'Creating,Deprecated' }));
    const all = idsOf(await images(owner, { status: 'ALL' }));
    const invalid = await errorOf(images(owner, { status: 'Sleeping' }));

    // Assess
    expect(byDefault).toEqual([ids['Available']]);
    expect(listed).toEqual([ids['Deprecated'], ids['Creating']]);
    expect(all).toEqual([ids['CreateFailed'], ids['Deprecated'], ids['Creating'], ids['Available']]);
    expect(invalid.code).toBe('InvalidParameter');
  });

  it('filters by ImageId list, tags, name and owner alias', async () => {
    // Prepare
    const a = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION, imageName: 'web-base', tags: { env: 'prod', team: 'web' } });
    const b = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION, imageName: 'db-base', tags: { env: 'prod' } });
    const c = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION, imageName: 'web-canary', tags: { env: 'dev' } });
    const system = await admin.addImage({ kind: 'system', regionId: REGION });
    const owner = client(OWNER);

    // Act
    const byIds = idsOf(await images(owner, { imageId: `${a},${c}` }));
    const byTag = idsOf(await images(owner, { tag: [new sdk.DescribeImagesRequestTag({ key: 'env', value: 'prod' })] }));
    const byTwoTags = idsOf(
      await images(owner, {
        tag: [new sdk.DescribeImagesRequestTag({ key: 'env', value: 'prod' }), new sdk.DescribeImagesRequestTag({ key: 'team' })],
      }),
    );
    const byName = idsOf(await images(owner, { imageName: 'web' }));
    const systemOnly = idsOf(await images(owner, { imageOwnerAlias: 'system' }));
    const everything = (await images(owner)).totalCount;

    // Assess
    expect(new Set(byIds)).toEqual(new Set([a, c]));
    expect(new Set(byTag)).toEqual(new Set([a, b]));
    expect(byTwoTags).toEqual([a]);
    expect(new Set(byName)).toEqual(new Set([a, c]));
    expect(systemOnly).toEqual([system]);
    expect(everything).toBe(4);
  });

  it('pages with PageNumber/PageSize, defaults to 10 and refuses PageSize above 100', async () => {
    // Prepare
    const created = [];
    for (let index = 0; index < 23; index++) {
      created.push(await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION }));
    }
    const owner = client(OWNER);

    // Act
    const first = await images(owner);
    const third = await images(owner, { pageNumber: 3 });
    const big = await images(owner, { pageSize: 100 });
    const tooBig = await errorOf(images(owner, { pageSize: 101 }));

    // Assess
    expect([first.totalCount, first.pageNumber, first.pageSize, idsOf(first).length]).toEqual([23, 1, 10, 10]);
    expect(idsOf(third)).toEqual(created.slice(0, 3).reverse());
    expect(idsOf(big)).toEqual([...created].reverse());
    expect([tooBig.code, tooBig.statusCode]).toEqual(['InvalidParameter', 400]);
  });

  it('refuses an unknown region', async () => {
    // Act
    const error = await errorOf(client(OWNER).describeImages(new sdk.DescribeImagesRequest({ regionId: 'xx-nowhere-9' })));

    // Assess
    expect([error.code, error.statusCode]).toEqual(['InvalidRegionId.NotFound', 400]);
  });
});

describe('ECS emulator DescribeImageSharePermission paging', () => {
  it('pages the shared accounts by number with a default size of 10', async () => {
    // Prepare
    const targets = await addTargetAccounts(25);
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    for (const target of targets) await admin.shareOutOfBand(REGION, imageId, target);
    const owner = client(OWNER);

    // Act
    const pages = [];
    for (let pageNumber = 1; pageNumber <= 3; pageNumber++) pages.push(await permissions(owner, imageId, { pageNumber }));
    const tooBig = await errorOf(permissions(owner, imageId, { pageSize: 101 }));
    const notOwned = await errorOf(permissions(client(RECIPIENT), imageId));

    // Assess
    expect(pages.map((p) => [p.totalCount, p.pageNumber, p.pageSize, p.accounts?.account?.length])).toEqual([
      [25, 1, 10, 10],
      [25, 2, 10, 10],
      [25, 3, 10, 5],
    ]);
    expect(pages.flatMap((p) => p.accounts?.account?.map((a) => a.aliyunId) ?? [])).toEqual(targets);
    expect(tooBig.code).toBe('InvalidParameter');
    expect([notOwned.code, notOwned.statusCode]).toEqual(['InvalidImageId.NotFound', 404]);
  });
});
