// The DirectoryPort contract: what every directory port (the adapter on the ECS emulator, the in-memory
// fake the domain tests use) must do, as the domain relies on it. Run by
// test/integration/directory-port-contract.test.ts and test/unit/directory-port-contract-memory.test.ts.
// The emulator is the reference: where the fake answered otherwise, the fake was changed.
import { beforeEach, describe, expect, it } from 'vitest';
import { DirectoryLookupCache, directorySharesOf, holdsImage, serviceShareName } from '../../shared/domain/directory.js';
import type { GovernorError } from '../../shared/domain/errors.js';
import type { DirectoryPort } from '../../shared/domain/ports.js';
import { refusal } from './refusal.js';

export const REGION = 'cn-hangzhou';

/**
 * The directory every port under test has (test/support/directory.ts):
 *   root ├── prod └── web ← web member;  └── dev ← dev member;  the owner (management account) in the root;
 *   an outsider registered but in no directory.
 */
export interface ContractDirectory {
  readonly directoryId: string;
  readonly rootFolderId: string;
  readonly folders: { readonly prod: string; readonly web: string; readonly dev: string };
  readonly owner: string;
  readonly webMember: string;
  readonly devMember: string;
  readonly outsider: string;
}

export interface DirectoryPortUnderTest {
  readonly port: DirectoryPort;
  readonly directory: ContractDirectory;
  /** Seeds an own custom image in REGION; returns its id. */
  seedImage(): Promise<string>;
  /** A resource share made outside the port (the console), its associations settled; returns its id. */
  shareOutOfBand(images: readonly string[], targets: readonly string[]): Promise<string>;
  /** Every later association of `entity` fails with `reason`. */
  failAssociations(entity: string, reason: string): Promise<void>;
  /** How many directory lookups (Resource Manager reads) the port has made so far. */
  lookups(): Promise<number>;
}

export function directoryPortContract(name: string, make: () => Promise<DirectoryPortUnderTest>): void {
  let sut: DirectoryPortUnderTest;
  beforeEach(async () => {
    sut = await make();
  });
  /** (owner, target) pairs that reach the image, sorted, with the service's share named `service`. */
  const reach = async (imageId: string): Promise<string[]> =>
    directorySharesOf(await sut.port.imageShares(REGION, imageId))
      .map((e) => `${e.owner === 'service' ? 'service' : e.resourceShareId}/${e.target}/${e.status}`)
      .sort();

  describe(`${name}: the service's share of an image`, () => {
    it('holds nothing for an image in no share', async () => {
      const imageId = await sut.seedImage();
      expect(await sut.port.imageShares(REGION, imageId)).toEqual([]);
    });

    it('is created on the first add and reused after, named after the image', async () => {
      const { folders, webMember } = sut.directory;
      const imageId = await sut.seedImage();
      const first = await sut.port.addTargets(REGION, imageId, [folders.prod]);
      const second = await sut.port.addTargets(REGION, imageId, [webMember, folders.prod]);
      expect([first.created, second.created, second.resourceShareId]).toEqual([true, false, first.resourceShareId]);
      const [holding] = await sut.port.imageShares(REGION, imageId);
      expect(holding).toMatchObject({ resourceShareId: first.resourceShareId, resourceShareName: serviceShareName(imageId), owner: 'service', status: 'associated' });
      expect(await reach(imageId)).toEqual([`service/${folders.prod}/associated`, `service/${webMember}/associated`].sort());
    });

    it('takes the directory, its folders at any depth and its members, more than five at once', async () => {
      const { directoryId, folders, webMember, devMember } = sut.directory;
      const imageId = await sut.seedImage();
      const targets = [directoryId, folders.prod, folders.web, folders.dev, webMember, devMember];
      await sut.port.addTargets(REGION, imageId, targets);
      expect(await reach(imageId)).toEqual(targets.map((t) => `service/${t}/associated`).sort());
    });

    it('refuses what is not in the directory, the owner itself, and ids of no known shape', async () => {
      const { outsider, owner, folders } = sut.directory;
      const imageId = await sut.seedImage();
      expect(await refusal(sut.port.addTargets(REGION, imageId, [outsider]))).toBe('UnknownAccount');
      expect(await refusal(sut.port.addTargets(REGION, imageId, ['fd-nosuchfolder']))).toBe('UnknownAccount');
      expect(await refusal(sut.port.addTargets(REGION, imageId, ['rd-another0001']))).toBe('UnknownAccount');
      expect(await refusal(sut.port.addTargets(REGION, imageId, [owner]))).toBe('CannotShareWithOwner');
      expect(await refusal(sut.port.addTargets(REGION, imageId, ['r-root', folders.dev]))).toBe('ValidationFailed');
      expect(await refusal(sut.port.addTargets(REGION, imageId, []))).toBe('ValidationFailed');
      expect(await refusal(sut.port.addTargets(REGION, 'not-an-image', [folders.dev]))).toBe('ValidationFailed');
      expect(await sut.port.imageShares(REGION, imageId)).toEqual([]);
    });

    it('refuses an image the owner does not have', async () => {
      expect(await refusal(sut.port.addTargets(REGION, 'm-notownedimage01', [sut.directory.folders.dev]))).toBe('ImageNotFound');
    });

    it('names the targets an association refused, and those that got through', async () => {
      const { folders, devMember } = sut.directory;
      const imageId = await sut.seedImage();
      await sut.failAssociations(folders.dev, 'LimitExceeded');
      let error: GovernorError | undefined;
      try {
        await sut.port.addTargets(REGION, imageId, [folders.dev, devMember]);
      } catch (e) {
        error = e as GovernorError;
      }
      expect(error?.code).toBe('ShareQuotaExceeded');
      expect(error?.details).toMatchObject({ failed: [{ target: folders.dev, reason: 'LimitExceeded' }], associated: [devMember] });
      expect((await reach(imageId)).filter((r) => r.endsWith('/associated'))).toEqual([`service/${devMember}/associated`]);
    });

    it('removes the targets it is asked to, and deletes the share once it holds none, so it no longer holds the image', async () => {
      const { folders, devMember } = sut.directory;
      const imageId = await sut.seedImage();
      await sut.port.addTargets(REGION, imageId, [folders.dev, devMember]);
      await sut.port.removeTargets(REGION, imageId, [folders.dev, folders.prod]);
      expect(await reach(imageId)).toEqual([`service/${devMember}/associated`]);
      await sut.port.removeTargets(REGION, imageId, [devMember]);
      const after = await sut.port.imageShares(REGION, imageId);
      expect([after, holdsImage(after)]).toEqual([[], false]);
      // Removing from an image without a service share is done already.
      await sut.port.removeTargets(REGION, imageId, [devMember]);
    });
  });

  describe(`${name}: shares made outside the service`, () => {
    it('are listed as another owner\'s, per image and for the whole region', async () => {
      const { folders, directoryId } = sut.directory;
      const [a, b, c] = [await sut.seedImage(), await sut.seedImage(), await sut.seedImage()];
      const console = await sut.shareOutOfBand([a, b], [folders.prod, directoryId]);
      await sut.port.addTargets(REGION, b, [folders.dev]);
      expect(await reach(a)).toEqual([`${console}/${directoryId}/associated`, `${console}/${folders.prod}/associated`].sort());
      const index = await sut.port.regionShares(REGION);
      expect([...index.keys()].sort()).toEqual([a, b].sort());
      expect(index.has(c)).toBe(false);
      expect(index.get(b)?.map((h) => [h.owner, h.targets.map((t) => t.target).sort()]).sort()).toEqual(
        [
          ['other', [directoryId, folders.prod].sort()],
          ['service', [folders.dev]],
        ].sort(),
      );
    });

    it('lose only the image that is taken out: the share keeps its other images and all its targets', async () => {
      const { folders } = sut.directory;
      const [a, b] = [await sut.seedImage(), await sut.seedImage()];
      const console = await sut.shareOutOfBand([a, b], [folders.prod, folders.dev]);
      await sut.port.removeImageFromShare(REGION, console, a);
      expect(await sut.port.imageShares(REGION, a)).toEqual([]);
      expect(await reach(b)).toEqual([`${console}/${folders.dev}/associated`, `${console}/${folders.prod}/associated`].sort());
      // Done already: taken out again, or a share that is not there.
      await sut.port.removeImageFromShare(REGION, console, a);
      expect(await refusal(sut.port.removeImageFromShare(REGION, 'not-a-share', a))).toBe('ValidationFailed');
    });
  });

  describe(`${name}: resolving targets`, () => {
    it('names the folder path of folders and members from the root, and the directory itself', async () => {
      const { directoryId, rootFolderId, folders, webMember, devMember } = sut.directory;
      const cache = new DirectoryLookupCache();
      expect(await sut.port.resolveTarget(folders.web, cache)).toEqual({ kind: 'folder', target: folders.web, directoryId, folderPath: [rootFolderId, folders.prod, folders.web] });
      expect(await sut.port.resolveTarget(webMember, cache)).toEqual({
        kind: 'account',
        target: webMember,
        member: true,
        directoryId,
        folderPath: [rootFolderId, folders.prod, folders.web],
      });
      expect(await sut.port.resolveTarget(devMember, cache)).toMatchObject({ member: true, folderPath: [rootFolderId, folders.dev] });
      expect(await sut.port.resolveTarget(directoryId, cache)).toEqual({ kind: 'directory', target: directoryId, directoryId });
    });

    it('tells an account outside the directory, and refuses unknown folders and foreign directories', async () => {
      const { outsider } = sut.directory;
      const cache = new DirectoryLookupCache();
      expect(await sut.port.resolveTarget(outsider, cache)).toEqual({ kind: 'account', target: outsider, member: false });
      expect(await refusal(sut.port.resolveTarget('fd-nosuchfolder', cache))).toBe('UnknownAccount');
      expect(await refusal(sut.port.resolveTarget('rd-another0001', cache))).toBe('UnknownAccount');
      expect(await refusal(sut.port.resolveTarget('x-1', cache))).toBe('ValidationFailed');
    });

    it('looks each target up once per cache, and again with a new cache', async () => {
      const { folders, webMember } = sut.directory;
      const start = await sut.lookups();
      const cache = new DirectoryLookupCache();
      await Promise.all([sut.port.resolveTarget(folders.web, cache), sut.port.resolveTarget(folders.web, cache), sut.port.resolveTarget(webMember, cache)]);
      await sut.port.resolveTarget(webMember, cache);
      expect((await sut.lookups()) - start).toBe(2);
      await sut.port.resolveTarget(folders.web, new DirectoryLookupCache());
      expect((await sut.lookups()) - start).toBe(3);
    });
  });
}
