// The ImagePort contract: what every image port (the ECS adapter on the emulator, the in-memory fake
// the domain tests use) must do, as documented on the port. Run by test/integration/ecs-image-port.test.ts
// and test/unit/image-port-contract-memory.test.ts. The emulator is the reference: where the fake
// answered otherwise, the fake was changed.
import { beforeEach, describe, expect, it } from 'vitest';
import type { AccountId, EcsImage } from '../../shared/domain/model.js';
import type { ImagePort } from '../../shared/domain/ports.js';
import { refusal } from './refusal.js';

export const REGION = 'cn-hangzhou';

/** An image to seed, as the owner account sees it. */
export interface ImageSeed {
  /** custom and marketplace-derived images are the owner's; shared-to-us and community ones another account's, shared with the owner. */
  readonly kind?: EcsImage['kind'];
  readonly status?: EcsImage['status'];
  readonly tags?: Record<string, string>;
  readonly inUse?: boolean;
  readonly isPublic?: boolean;
  readonly encrypted?: boolean;
  readonly imageName?: string;
}

export interface ImagePortUnderTest {
  readonly port: ImagePort;
  readonly owner: AccountId;
  /** The account that owns the shared-to-us and community images. */
  readonly otherOwner: AccountId;
  /** At least 60 accounts ECS knows, none of them the owner. */
  readonly accounts: readonly AccountId[];
  /** Seeds an image in REGION; returns its id. */
  seedImage(seed?: ImageSeed): Promise<string>;
  /** A share made outside the port (the console, another tool). */
  shareOutOfBand(imageId: string, accountId: AccountId): Promise<void>;
}

const sharedWith = async (port: ImagePort, imageId: string): Promise<AccountId[]> =>
  (await port.getSharePermissions(REGION, imageId)).accounts.map((a) => a.accountId).sort();

export function imagePortContract(name: string, make: () => Promise<ImagePortUnderTest>): void {
  let sut: ImagePortUnderTest;
  beforeEach(async () => {
    sut = await make();
  });
  const target = (i: number): AccountId => sut.accounts[i] as AccountId;
  const targets = (n: number, from = 0): AccountId[] => sut.accounts.slice(from, from + n);

  describe(`${name}: getImage`, () => {
    it('describes an own custom image: kind, owner, status, visibility, tags, usage', async () => {
      const imageId = await sut.seedImage({ imageName: 'golden', status: 'Deprecated', tags: { team: 'platform' }, inUse: true });
      const image = await sut.port.getImage(REGION, imageId);
      expect(image).toMatchObject({
        regionId: REGION,
        imageId,
        imageName: 'golden',
        kind: 'custom',
        ownerAccountId: sut.owner,
        status: 'Deprecated',
        isPublic: false,
        tags: { team: 'platform' },
        inUse: true,
      });
      expect(typeof image?.creationTime).toBe('string');
    });

    it('classifies what the owner sees but may not share', async () => {
      const kinds: EcsImage['kind'][] = ['marketplace-derived', 'system', 'shared-to-us', 'community'];
      const seen = [];
      for (const kind of kinds) {
        const image = await sut.port.getImage(REGION, await sut.seedImage({ kind }));
        seen.push([image?.kind, image?.ownerAccountId === sut.owner]);
      }
      expect(seen).toEqual([
        ['marketplace-derived', true],
        ['system', false],
        ['shared-to-us', false],
        ['community', false],
      ]);
    });

    it('answers null for an image that does not exist', async () => {
      expect(await sut.port.getImage(REGION, 'm-doesnotexist0001')).toBeNull();
    });
  });

  describe(`${name}: listOwnImages`, () => {
    it('pages the owner\'s own images in every status, and only those', async () => {
      const own = [
        await sut.seedImage(),
        await sut.seedImage({ status: 'Creating' }),
        await sut.seedImage({ status: 'UnAvailable' }),
        await sut.seedImage({ kind: 'marketplace-derived' }),
        await sut.seedImage({ status: 'Deprecated' }),
      ];
      await sut.seedImage({ kind: 'system' });
      await sut.seedImage({ kind: 'shared-to-us' });
      const pages: string[][] = [];
      let pageNumber: number | undefined = 1;
      let totalCount = -1;
      while (pageNumber !== undefined) {
        const page: Awaited<ReturnType<ImagePort['listOwnImages']>> = await sut.port.listOwnImages(REGION, { pageNumber, pageSize: 2 });
        pages.push(page.images.map((i) => i.imageId));
        totalCount = page.totalCount;
        pageNumber = page.nextPageNumber;
      }
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat().sort()).toEqual([...own].sort());
      expect(totalCount).toBe(5);
    });

    it('answers an empty page past the last one', async () => {
      await sut.seedImage();
      expect(await sut.port.listOwnImages(REGION, { pageNumber: 3, pageSize: 10 })).toEqual({ images: [], totalCount: 1 });
    });
  });

  describe(`${name}: sharing`, () => {
    it('adds accounts beyond the ten of one ECS call, lists them, and removes them', async () => {
      const imageId = await sut.seedImage();
      await sut.port.addShares(REGION, imageId, targets(23));
      expect(await sharedWith(sut.port, imageId)).toEqual(targets(23).sort());
      const perms = await sut.port.getSharePermissions(REGION, imageId);
      expect(perms.isPublic).toBe(false);
      expect(perms.accounts.every((a) => typeof a.sharedTime === 'string')).toBe(true);
      await sut.port.removeShares(REGION, imageId, targets(13));
      expect(await sharedWith(sut.port, imageId)).toEqual(targets(10, 13).sort());
    });

    it('treats adding a shared account or removing an unshared one as done', async () => {
      const imageId = await sut.seedImage();
      await sut.shareOutOfBand(imageId, target(0));
      await sut.port.addShares(REGION, imageId, [target(0), target(1), target(1)]);
      await sut.port.removeShares(REGION, imageId, [target(5)]);
      expect(await sharedWith(sut.port, imageId)).toEqual([target(0), target(1)].sort());
    });

    it('refuses the owner, an unknown account, and a fifty-first account; a refused call of ten changes nothing', async () => {
      const imageId = await sut.seedImage();
      expect(await refusal(sut.port.addShares(REGION, imageId, [sut.owner]))).toBe('CannotShareWithOwner');
      expect(await refusal(sut.port.addShares(REGION, imageId, [target(0), '1999999999999999']))).toBe('UnknownAccount');
      expect(await sharedWith(sut.port, imageId)).toEqual([]);
      await sut.port.addShares(REGION, imageId, targets(50));
      expect(await refusal(sut.port.addShares(REGION, imageId, [target(50)]))).toBe('ShareQuotaExceeded');
      expect(await sharedWith(sut.port, imageId)).toHaveLength(50);
    });

    it('refuses images it may not share: not its own custom image, encrypted, or not Available', async () => {
      const cases: [ImageSeed, string][] = [
        [{ kind: 'system' }, 'ImageNotShareable'],
        [{ kind: 'marketplace-derived' }, 'ImageNotShareable'],
        [{ kind: 'shared-to-us' }, 'ImageNotShareable'],
        [{ encrypted: true }, 'ImageNotShareable'],
        [{ status: 'Creating' }, 'ImageNotAvailable'],
        [{ status: 'Deprecated' }, 'ImageNotAvailable'],
      ];
      const codes = [];
      for (const [seed] of cases) codes.push(await refusal(sut.port.addShares(REGION, await sut.seedImage(seed), [target(0)])));
      expect(codes).toEqual(cases.map(([, code]) => code));
      expect(await refusal(sut.port.addShares(REGION, 'm-doesnotexist0001', [target(0)]))).toBe('ImageNotFound');
    });

    it('reads share permissions only of its own images', async () => {
      expect(await refusal(sut.port.getSharePermissions(REGION, 'm-doesnotexist0001'))).toBe('ImageNotFound');
      expect(await refusal(sut.port.getSharePermissions(REGION, await sut.seedImage({ kind: 'shared-to-us' })))).toBe('ImageNotFound');
      expect(await refusal(sut.port.removeShares(REGION, 'm-doesnotexist0001', [target(0)]))).toBe('ImageNotFound');
    });
  });

  describe(`${name}: community images`, () => {
    it('reports a community image as public, and unpublishes it (again: still done)', async () => {
      const imageId = await sut.seedImage({ isPublic: true });
      expect((await sut.port.getSharePermissions(REGION, imageId)).isPublic).toBe(true);
      await sut.port.unpublish(REGION, imageId);
      await sut.port.unpublish(REGION, imageId);
      expect((await sut.port.getSharePermissions(REGION, imageId)).isPublic).toBe(false);
      expect((await sut.port.getImage(REGION, imageId))?.isPublic).toBe(false);
    });
  });

  describe(`${name}: deleteImage`, () => {
    it('refuses while the image is shared with an account or published, whatever force says', async () => {
      const shared = await sut.seedImage();
      await sut.shareOutOfBand(shared, target(0));
      const published = await sut.seedImage({ isPublic: true });
      expect(await refusal(sut.port.deleteImage(REGION, shared, { force: true }))).toBe('ImageStillShared');
      expect(await refusal(sut.port.deleteImage(REGION, published, { force: true }))).toBe('ImageStillShared');
      expect(await sut.port.getImage(REGION, shared)).not.toBeNull();
    });

    it('refuses an image in use unless forced; once deleted the image is gone', async () => {
      const imageId = await sut.seedImage({ inUse: true });
      expect(await refusal(sut.port.deleteImage(REGION, imageId, { force: false }))).toBe('ImageInUse');
      await sut.port.deleteImage(REGION, imageId, { force: true });
      expect(await sut.port.getImage(REGION, imageId)).toBeNull();
      expect(await refusal(sut.port.getSharePermissions(REGION, imageId))).toBe('ImageNotFound');
      expect(await refusal(sut.port.deleteImage(REGION, imageId, { force: false }))).toBe('ImageNotFound');
      expect((await sut.port.listOwnImages(REGION, { pageNumber: 1, pageSize: 10 })).images.map((i) => i.imageId)).not.toContain(imageId);
    });
  });
}
