// The ECS adapter (real @alicloud/openapi-core + @alicloud/ecs20140526 models) against the ECS
// emulator over a real socket: sharing in chunks, paging, classification, error translation.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEcsEmulator } from '../../emulators/ecs/index.js';
import { createEcsImagePort } from '../../shared/ecs/index.js';
import { GovernorError } from '../../shared/domain/errors.js';
import type { ImagePort } from '../../shared/domain/ports.js';
import { caught, ecsAdmin, type EcsAdmin } from '../support/ecs.js';

const REGION = 'cn-hangzhou';
const OWNER = '1000000000000001';
const OTHER_OWNER = '2000000000000002';
const OWNER_KEY = { accessKeyId: 'owner-ak', accessKeySecret: 'owner-secret' };
const OTHER_KEY = { accessKeyId: 'other-ak', accessKeySecret: 'other-secret' };
/** 60 registered target accounts; the leading zeros prove ids stay strings end to end. */
const TARGETS = Array.from({ length: 60 }, (_, i) => `00000000000${String(10_000 + i)}`);

let emulator: { endpoint: string; close(): Promise<void> };
let admin: EcsAdmin;

/** Synchronous sleeps recorded instead of waited. */
let sleeps: number[];

function portFor(overrides: Partial<Parameters<typeof createEcsImagePort>[0]> = {}): ImagePort {
  return createEcsImagePort({
    ecs: { endpoint: emulator.endpoint, protocol: 'http', connectTimeoutMs: 2_000, readTimeoutMs: 2_000, ratePerApi: {} },
    credentials: () => OWNER_KEY,
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
}

async function modifyCalls(): Promise<Array<{ params: Record<string, string>; status: number; code: string | null }>> {
  return (await admin.calls()).filter((call) => call.action === 'ModifyImageSharePermission');
}

const accountsIn = (params: Record<string, string>, prefix: 'AddAccount' | 'RemoveAccount'): string[] =>
  Object.keys(params)
    .filter((key) => key.startsWith(`${prefix}.`))
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
    .map((key) => params[key] as string);

beforeAll(async () => {
  emulator = await startEcsEmulator({ port: 0 });
  admin = ecsAdmin(emulator.endpoint);
});

afterAll(async () => {
  await emulator?.close();
});

beforeEach(async () => {
  sleeps = [];
  await admin.reset();
  await admin.addAccount(OWNER, [OWNER_KEY]);
  await admin.addAccount(OTHER_OWNER, [OTHER_KEY]);
  for (const accountId of TARGETS) await admin.addAccount(accountId);
});

describe('createEcsImagePort getImage', () => {
  it('describes an own custom image in any status with tags, owner, usage and visibility', async () => {
    // Prepare
    const imageId = await admin.addImage({
      ownerAccountId: OWNER,
      regionId: REGION,
      imageName: 'golden-2024',
      status: 'Deprecated',
      tags: { team: 'platform', 'share-policy': 'allow' },
      inUseByInstances: true,
      creationTime: '2024-05-01T10:00:00Z',
    });

    // Act
    const image = await portFor().getImage(REGION, imageId);

    // Assess
    expect(image).toEqual({
      regionId: REGION,
      imageId,
      imageName: 'golden-2024',
      kind: 'custom',
      ownerAccountId: OWNER,
      status: 'Deprecated',
      isPublic: false,
      tags: { team: 'platform', 'share-policy': 'allow' },
      creationTime: '2024-05-01T10:00:00Z',
      inUse: true,
    });
    const [call] = await admin.calls();
    expect(call?.params).toMatchObject({
      ImageId: imageId,
      Status: 'Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated',
    });
    expect(call?.params).not.toHaveProperty('ImageOwnerAlias');
  });

  it('classifies marketplace-derived, system, shared-to-us and community images', async () => {
    // Prepare
    const marketplace = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION, kind: 'marketplace-derived' });
    const system = await admin.addImage({ regionId: REGION, kind: 'system' });
    const sharedToUs = await admin.addImage({ ownerAccountId: OTHER_OWNER, regionId: REGION });
    await admin.shareOutOfBand(REGION, sharedToUs, OWNER);
    // ECS lists another account's community image without IsPublic=true only if it is also shared with us.
    const community = await admin.addImage({ ownerAccountId: OTHER_OWNER, regionId: REGION, isPublic: true });
    await admin.shareOutOfBand(REGION, community, OWNER);
    const port = portFor();

    // Act
    const kinds = await Promise.all(
      [marketplace, system, sharedToUs, community].map(async (imageId) => (await port.getImage(REGION, imageId))?.kind),
    );
    const sharedImage = await port.getImage(REGION, sharedToUs);

    // Assess
    expect(kinds).toEqual(['marketplace-derived', 'system', 'shared-to-us', 'community']);
    expect(sharedImage?.ownerAccountId).toBe(OTHER_OWNER);
  });

  it('leaves the owner unknown rather than wrong when ImageOwnerId is above 2^53', async () => {
    // Prepare: JSON.parse reads 9999999999999999 as 10000000000000000
    const bigOwner = '9999999999999999';
    const bigOwnerKey = { accessKeyId: 'big-owner-ak', accessKeySecret: 'big-owner-secret' };
    await admin.addAccount(bigOwner, [bigOwnerKey]);
    const imageId = await admin.addImage({ ownerAccountId: bigOwner, regionId: REGION });

    // Act
    const image = await portFor({ credentials: () => bigOwnerKey }).getImage(REGION, imageId);

    // Assess
    expect(image).toMatchObject({ imageId, kind: 'custom' });
    expect(image).not.toHaveProperty('ownerAccountId');
  });

  it('returns null for an image that does not exist or that the account cannot see', async () => {
    // Prepare
    const invisible = await admin.addImage({ ownerAccountId: OTHER_OWNER, regionId: REGION });
    const othersCommunity = await admin.addImage({ ownerAccountId: OTHER_OWNER, regionId: REGION, isPublic: true });

    // Act
    const missing = await portFor().getImage(REGION, 'm-doesnotexist0001');
    const notVisible = await portFor().getImage(REGION, invisible);
    const communityNotShared = await portFor().getImage(REGION, othersCommunity);

    // Assess
    expect(missing).toBeNull();
    expect(notVisible).toBeNull();
    expect(communityNotShared).toBeNull();
  });
});

describe('createEcsImagePort read scope', () => {
  const describeCalls = async (imageId: string): Promise<number> =>
    (await admin.calls()).filter((c) => c.action === 'DescribeImages' && c.params.ImageId === imageId).length;

  it('describes an image once within a scope, its own check in addShares included, and again after a write', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
    const scope = new Map();
    const port = portFor({ readScope: () => scope });
    // Act
    const first = await port.getImage(REGION, imageId);
    const again = await port.getImage(REGION, imageId);
    await port.addShares(REGION, imageId, [TARGETS[0]!]);
    const afterWrite = await port.getImage(REGION, imageId);
    // Assess: one read for the two gets and the check, one more after the share
    expect(again).toEqual(first);
    expect(afterWrite).toEqual(first);
    expect(await describeCalls(imageId)).toBe(2);
  });

  it('reads every time without a scope, and does not keep a failed read', async () => {
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
    const port = portFor();
    await port.getImage(REGION, imageId);
    await port.getImage(REGION, imageId);
    expect(await describeCalls(imageId)).toBe(2);

    const scope = new Map();
    const scoped = portFor({ readScope: () => scope, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    await admin.addFault({ action: 'DescribeImages', code: 'ServiceUnavailable', status: 503, count: 1 });
    await expect(scoped.getImage(REGION, imageId)).rejects.toMatchObject({ code: 'UpstreamUnavailable' });
    expect(await scoped.getImage(REGION, imageId)).toMatchObject({ imageId });
    expect(await describeCalls(imageId)).toBe(4);
  });
});

describe('createEcsImagePort listOwnImages', () => {
  it('pages through own images of every status and nothing else', async () => {
    // Prepare
    const statuses = ['Creating', 'Waiting', 'Available', 'UnAvailable', 'CreateFailed', 'Deprecated'] as const;
    const own: string[] = [];
    for (let i = 0; i < 25; i += 1) {
      const status = statuses[i % statuses.length];
      own.push(await admin.addImage({ ownerAccountId: OWNER, regionId: REGION, status }));
    }
    await admin.addImage({ regionId: REGION, kind: 'system' });
    const shared = await admin.addImage({ ownerAccountId: OTHER_OWNER, regionId: REGION });
    await admin.shareOutOfBand(REGION, shared, OWNER);
    await admin.addImage({ ownerAccountId: OWNER, regionId: 'cn-shanghai' });
    const port = portFor();

    // Act
    const pages = [];
    let pageNumber: number | undefined = 1;
    while (pageNumber !== undefined) {
      const page = await port.listOwnImages(REGION, { pageNumber, pageSize: 10 });
      pages.push(page);
      pageNumber = page.nextPageNumber;
    }

    // Assess
    expect(pages.map((p) => [p.images.length, p.totalCount, p.nextPageNumber])).toEqual([
      [10, 25, 2],
      [10, 25, 3],
      [5, 25, undefined],
    ]);
    const listed = pages.flatMap((p) => p.images);
    expect(listed.map((image) => image.imageId).sort()).toEqual([...own].sort());
    expect(new Set(listed.map((image) => image.status))).toEqual(new Set(statuses));
    expect(new Set(listed.map((image) => image.kind))).toEqual(new Set(['custom']));
    const describeCalls = (await admin.calls()).filter((call) => call.action === 'DescribeImages');
    expect(describeCalls.map((call) => call.params['ImageOwnerAlias'])).toEqual(['self', 'self', 'self']);
  });

  it('refuses a page size above the API maximum without calling ECS', async () => {
    // Act
    const error = await caught(portFor().listOwnImages(REGION, { pageNumber: 1, pageSize: 101 }));

    // Assess
    expect(error.code).toBe('ValidationFailed');
    expect(await admin.calls()).toEqual([]);
  });
});

describe('createEcsImagePort getSharePermissions', () => {
  it('reads every page and matches 150 account ids across three images exactly', async () => {
    // Prepare: 3 images x 50 shares, read 10 per page so each image takes 5 pages
    const images: Array<{ imageId: string; accounts: string[] }> = [];
    for (let n = 0; n < 3; n += 1) {
      const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
      const accounts = TARGETS.slice(n * 5, n * 5 + 50);
      for (const accountId of accounts) await admin.shareOutOfBand(REGION, imageId, accountId);
      images.push({ imageId, accounts });
    }
    const port = portFor({ sharePageSize: 10 });

    // Act
    const permissions = [];
    for (const { imageId } of images) permissions.push(await port.getSharePermissions(REGION, imageId));

    // Assess
    permissions.forEach((permission, i) => {
      expect(permission.isPublic).toBe(false);
      expect(permission.accounts.map((a) => a.accountId).sort()).toEqual([...(images[i]?.accounts ?? [])].sort());
      expect(permission.accounts.every((a) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(a.sharedTime ?? ''))).toBe(true);
    });
    expect(permissions.reduce((sum, p) => sum + p.accounts.length, 0)).toBe(150);
    const pageCalls = (await admin.calls()).filter((call) => call.action === 'DescribeImageSharePermission');
    expect(pageCalls).toHaveLength(15);
    expect(pageCalls.slice(0, 5).map((call) => [call.params['PageNumber'], call.params['PageSize']])).toEqual([
      ['1', '10'],
      ['2', '10'],
      ['3', '10'],
      ['4', '10'],
      ['5', '10'],
    ]);
  });

  it('reads 50 shares in one call at the default page size of 100', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
    for (const accountId of TARGETS.slice(0, 50)) await admin.shareOutOfBand(REGION, imageId, accountId);

    // Act
    const permissions = await portFor().getSharePermissions(REGION, imageId);

    // Assess
    expect(permissions.accounts).toHaveLength(50);
    const calls = await admin.calls();
    expect(calls.map((call) => [call.action, call.params['PageSize']])).toEqual([['DescribeImageSharePermission', '100']]);
  });

  it('reports a community image as public', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION, isPublic: true });

    // Act
    const permissions = await portFor().getSharePermissions(REGION, imageId);

    // Assess
    expect(permissions).toEqual({ accounts: [], isPublic: true });
  });

  it('turns an unknown image into ImageNotFound', async () => {
    // Act
    const error = await caught(portFor().getSharePermissions(REGION, 'm-doesnotexist0001'));

    // Assess
    expect(error.code).toBe('ImageNotFound');
    expect(error.details).toMatchObject({ ecsCode: 'InvalidImageId.NotFound', action: 'DescribeImageSharePermission' });
  });
});

describe('createEcsImagePort addShares and removeShares', () => {
  it('shares with 50 accounts in 5 calls of 10 and confirms them by reading back', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
    const accounts = TARGETS.slice(0, 50);

    // Act
    await portFor().addShares(REGION, imageId, [...accounts, accounts[0] as string]);

    // Assess
    const calls = await modifyCalls();
    expect(calls.map((call) => accountsIn(call.params, 'AddAccount'))).toEqual([
      accounts.slice(0, 10),
      accounts.slice(10, 20),
      accounts.slice(20, 30),
      accounts.slice(30, 40),
      accounts.slice(40, 50),
    ]);
    const state = await admin.state();
    const stored = state.images.find((image) => image.imageId === imageId);
    expect(stored?.shares.map((share) => share.accountId).sort()).toEqual([...accounts].sort());
  });

  it('sends 60 accounts as exactly 6 calls of at most 10 and reports the quota breach of the last one', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });

    // Act
    const error = await caught(portFor().addShares(REGION, imageId, TARGETS));

    // Assess
    const calls = await modifyCalls();
    expect(calls).toHaveLength(6);
    expect(calls.map((call) => accountsIn(call.params, 'AddAccount').length)).toEqual([10, 10, 10, 10, 10, 10]);
    expect(calls.flatMap((call) => accountsIn(call.params, 'AddAccount'))).toEqual(TARGETS);
    expect(calls.map((call) => call.code)).toEqual([null, null, null, null, null, 'QuotaExceed.ShareImageUser']);
    expect(error.code).toBe('ShareQuotaExceeded');
    expect(error.details).toMatchObject({
      ecsCode: 'QuotaExceed.ShareImageUser',
      accountIds: TARGETS.slice(50),
      alreadyApplied: TARGETS.slice(0, 50),
    });
    expect(sleeps).toEqual([]);
  });

  it('removes 60 accounts in 6 calls, including ones never shared, and leaves none', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
    for (const accountId of TARGETS.slice(0, 50)) await admin.shareOutOfBand(REGION, imageId, accountId);

    // Act
    await portFor().removeShares(REGION, imageId, TARGETS);

    // Assess
    const calls = await modifyCalls();
    expect(calls.map((call) => accountsIn(call.params, 'RemoveAccount').length)).toEqual([10, 10, 10, 10, 10, 10]);
    expect(await portFor().getSharePermissions(REGION, imageId)).toEqual({ accounts: [], isPublic: false });
  });

  it('reports an account that is missing on read-back although ECS accepted the share', async () => {
    // Prepare: someone unshares one account between the share and its confirmation
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
    const accounts = TARGETS.slice(0, 12);
    const port = portFor({
      beforeCall: async (action) => {
        if (action === 'DescribeImageSharePermission') await admin.unshareOutOfBand(REGION, imageId, accounts[11] as string);
      },
    });

    // Act
    const error = await caught(port.addShares(REGION, imageId, accounts));

    // Assess
    expect(error.code).toBe('UpstreamUnavailable');
    expect(error.details).toEqual({ action: 'ModifyImageSharePermission', regionId: REGION, imageId, missing: [accounts[11]] });
  });

  it('reports an account that is still shared on read-back although ECS accepted the unshare', async () => {
    // Prepare: someone re-shares one account between the unshare and its confirmation
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
    const accounts = TARGETS.slice(0, 3);
    for (const accountId of accounts) await admin.shareOutOfBand(REGION, imageId, accountId);
    const port = portFor({
      beforeCall: async (action) => {
        if (action === 'DescribeImageSharePermission') await admin.shareOutOfBand(REGION, imageId, accounts[0] as string);
      },
    });

    // Act
    const error = await caught(port.removeShares(REGION, imageId, accounts));

    // Assess
    expect(error.code).toBe('UpstreamUnavailable');
    expect(error.details).toEqual({ action: 'ModifyImageSharePermission', regionId: REGION, imageId, stillShared: [accounts[0]] });
  });

  it('does not call ECS for an empty list', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });

    // Act
    await portFor().addShares(REGION, imageId, []);
    await portFor().removeShares(REGION, imageId, []);

    // Assess
    expect(await admin.calls()).toEqual([]);
  });

  it.each([
    ['marketplace-derived', { ownerAccountId: OWNER, kind: 'marketplace-derived' as const }],
    ['system', { kind: 'system' as const }],
    ['shared-to-us', { ownerAccountId: OTHER_OWNER, sharedWithOwner: true }],
    ['community', { ownerAccountId: OTHER_OWNER, isPublic: true, sharedWithOwner: true }],
  ])('refuses to share a %s image as not shareable, without modifying anything', async (kind, setup) => {
    // Prepare
    const { sharedWithOwner, ...image } = setup as { sharedWithOwner?: boolean; ownerAccountId?: string };
    const imageId = await admin.addImage({ regionId: REGION, ...image });
    if (sharedWithOwner) await admin.shareOutOfBand(REGION, imageId, OWNER);

    // Act
    const error = await caught(portFor().addShares(REGION, imageId, TARGETS.slice(0, 1)));

    // Assess
    expect(error.code).toBe('ImageNotShareable');
    expect(error.status).toBe(422);
    expect(error.details).toMatchObject({ kind, imageId });
    expect(await modifyCalls()).toEqual([]);
  });

  it('refuses to share an image that does not exist', async () => {
    // Act
    const error = await caught(portFor().addShares(REGION, 'm-doesnotexist0001', TARGETS.slice(0, 1)));

    // Assess
    expect(error.code).toBe('ImageNotFound');
    expect(await modifyCalls()).toEqual([]);
  });

  it.each([
    ['an unregistered account', () => ['9999999999999999'], 'UnknownAccount', 'InvalidAccount.NotFound', {}],
    ['the owner account', () => [OWNER], 'CannotShareWithOwner', 'InvalidAccount.Forbbiden', {}],
    ['a deprecated image', () => TARGETS.slice(0, 1), 'ImageNotAvailable', 'OperationDenied.InvalidImageStatus', { status: 'Deprecated' }],
    ['an image still being created', () => TARGETS.slice(0, 1), 'ImageNotAvailable', 'IncorrectImageStatus', { status: 'Creating' }],
    ['an image with encrypted snapshots', () => TARGETS.slice(0, 1), 'ImageNotShareable', 'OperationDeined.EncryptedSnapshot', { encrypted: true }],
  ] as const)('translates sharing with %s into %s without retrying', async (_what, accounts, code, ecsCode, image) => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION, ...image });

    // Act
    const error = await caught(portFor().addShares(REGION, imageId, accounts()));

    // Assess
    expect(error).toBeInstanceOf(GovernorError);
    expect(error.code).toBe(code);
    expect(error.details).toMatchObject({ ecsCode, action: 'ModifyImageSharePermission', regionId: REGION, imageId });
    const calls = await modifyCalls();
    expect(calls.map((call) => call.code)).toEqual([ecsCode]);
    expect(sleeps).toEqual([]);
  });
});

describe('createEcsImagePort unpublish', () => {
  it('withdraws a community image and confirms it', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION, isPublic: true });

    // Act
    await portFor().unpublish(REGION, imageId);

    // Assess
    const calls = await modifyCalls();
    expect(calls.map((call) => call.params['IsPublic'])).toEqual(['false']);
    const state = await admin.state();
    expect(state.images.find((image) => image.imageId === imageId)?.isPublic).toBe(false);
  });

  it('reports an image that is public again on read-back', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION, isPublic: true });
    const port = portFor({
      beforeCall: async (action) => {
        if (action === 'DescribeImageSharePermission') await admin.patchImage(REGION, imageId, { isPublic: true });
      },
    });

    // Act
    const error = await caught(port.unpublish(REGION, imageId));

    // Assess
    expect(error.code).toBe('UpstreamUnavailable');
    expect(error.details).toEqual({ action: 'ModifyImageSharePermission', regionId: REGION, imageId });
  });

  it('treats an image that is not public as already done', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });

    // Act + Assess
    await expect(portFor().unpublish(REGION, imageId)).resolves.toBeUndefined();
    expect((await modifyCalls()).map((call) => call.code)).toEqual(['Image.NotPublic']);
  });
});

describe('createEcsImagePort deleteImage', () => {
  it('deletes an unshared image without Force', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });

    // Act
    await portFor().deleteImage(REGION, imageId, { force: false });

    // Assess
    const state = await admin.state();
    expect(state.images.find((image) => image.imageId === imageId)?.deleted).toBe(true);
    const [call] = await admin.calls();
    expect(call?.params).not.toHaveProperty('Force');
  });

  it('refuses while the image is shared, even with force', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
    await admin.shareOutOfBand(REGION, imageId, TARGETS[0] as string);

    // Act
    const error = await caught(portFor().deleteImage(REGION, imageId, { force: true }));

    // Assess
    expect(error.code).toBe('ImageStillShared');
    expect(error.details).toMatchObject({ ecsCode: 'ImageUseShared' });
  });

  it('refuses an image in use unless forced', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION, inUseByInstances: true });

    // Act
    const error = await caught(portFor().deleteImage(REGION, imageId, { force: false }));
    await portFor().deleteImage(REGION, imageId, { force: true });

    // Assess
    expect(error.code).toBe('ImageInUse');
    const calls = await admin.calls();
    expect(calls.map((call) => [call.params['Force'], call.code])).toEqual([
      [undefined, 'ImageUsingByInstance'],
      ['true', null],
    ]);
  });

  it('turns an unknown image into ImageNotFound', async () => {
    // Act
    const error = await caught(portFor().deleteImage(REGION, 'm-doesnotexist0001', { force: false }));

    // Assess
    expect(error.code).toBe('ImageNotFound');
  });
});

describe('createEcsImagePort error translation', () => {
  it.each([
    ['InvalidImageId.NotFound', 404, 'ImageNotFound', 1],
    ['InvalidImageId.Malformed', 400, 'ImageNotFound', 1],
    ['QuotaExceed.ShareImageUser', 403, 'ShareQuotaExceeded', 1],
    ['InvalidAccount.NotFound', 404, 'UnknownAccount', 1],
    ['InvalidAccount.Forbbiden', 404, 'CannotShareWithOwner', 1],
    ['OperationDenied.InvalidImageStatus', 403, 'ImageNotAvailable', 1],
    ['IncorrectImageStatus', 400, 'ImageNotAvailable', 1],
    ['OperationDenied.ImageCopying', 403, 'ImageNotAvailable', 1],
    ['OperationDeined.EncryptedSnapshot', 403, 'ImageNotShareable', 1],
    ['OperationDenied.MarketplaceImage', 403, 'ImageNotShareable', 1],
    ['InvalidImageId.BidMismatch', 403, 'ImageNotShareable', 1],
    // Not in the table: recognised by its wording.
    ['InvalidImage.NotShareable', 403, 'ImageNotShareable', 1],
    ['ImageUseShared', 403, 'ImageStillShared', 1],
    ['ImageUsingByInstance', 403, 'ImageInUse', 1],
    ['Throttling', 400, 'UpstreamThrottled', 3],
    ['Throttling.User', 400, 'UpstreamThrottled', 3],
    ['ServiceUnavailable', 503, 'UpstreamUnavailable', 3],
    ['InternalError', 500, 'UpstreamUnavailable', 3],
    ['Forbidden.RAM', 403, 'UpstreamUnavailable', 1],
    ['QuotaExceed.ShareImage', 403, 'UpstreamUnavailable', 1],
    ['MissingParameter', 400, 'UpstreamUnavailable', 1],
    ['InvalidAccessKeyId.Inactive', 400, 'UpstreamUnavailable', 1],
  ] as const)('turns %s (%i) into %s after %i call(s)', async (ecsCode, status, code, calls) => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
    await admin.addFault({ action: 'ModifyImageSharePermission', code: ecsCode, status });

    // Act
    const error = await caught(portFor().removeShares(REGION, imageId, TARGETS.slice(0, 1)));

    // Assess
    expect(error).toBeInstanceOf(GovernorError);
    expect(error.code).toBe(code);
    expect(error.details).toMatchObject({ action: 'ModifyImageSharePermission', regionId: REGION, imageId, ecsCode, ecsStatus: status });
    expect(error.cause).toBeDefined();
    expect(await modifyCalls()).toHaveLength(calls);
    expect(sleeps).toHaveLength(calls - 1);
  });
});
