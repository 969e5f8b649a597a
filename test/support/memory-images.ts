// In-memory ImagePort with the ECS rules the domain relies on, as the ECS emulator answers them
// through the real adapter (test/contract/image-port-contract.ts runs the same suite on both): only
// the owner's custom, unencrypted, Available images can be shared, at most 50 accounts per image, at
// most 10 accounts per ModifyImageSharePermission call (each applied whole or not at all), no sharing
// with the owner, unknown accounts refused, no deletion while shared or published. Faults can be
// injected per method, before or after the call takes effect.
import { GovernorError } from '../../shared/domain/errors.js';
import type { AccountId, EcsImage, EcsSharePermissions } from '../../shared/domain/model.js';
import { ECS_SHARE_LIMIT } from '../../shared/domain/model.js';
import type { ImagePort } from '../../shared/domain/ports.js';
import { FaultyFake } from './faulty-fake.js';

type Method = keyof ImagePort;

/** At most this many accounts per ModifyImageSharePermission call (the port chunks). */
export const ECS_ACCOUNTS_PER_CALL = 10;

export interface ImageCall {
  readonly method: Method;
  readonly regionId: string;
  readonly imageId?: string;
  /** Accounts of one ECS call (≤ 10) for addShares/removeShares. */
  readonly accountIds?: readonly AccountId[];
  readonly error?: string;
}

interface FakeImage {
  image: EcsImage;
  /** accountId → sharedTime, in share order. */
  shares: Map<AccountId, string>;
  inUse: boolean;
  encrypted: boolean;
  deleted: boolean;
}

export interface NewImage {
  regionId?: string;
  imageId?: string;
  imageName?: string;
  kind?: EcsImage['kind'];
  status?: EcsImage['status'];
  isPublic?: boolean;
  tags?: Record<string, string>;
  ownerAccountId?: AccountId;
  inUse?: boolean;
  /** Built on encrypted snapshots: ECS refuses to share it. */
  encrypted?: boolean;
}

export class MemoryImages extends FaultyFake<Method, ImageCall> implements ImagePort {
  private readonly store = new Map<string, FakeImage>();
  private counter = 0;
  /** Runs inside addShares before it takes effect (lets a test interleave another action). */
  beforeAddShares?: (regionId: string, imageId: string, accountIds: readonly AccountId[]) => Promise<void> | void;

  constructor(
    readonly ownerAccountId: AccountId,
    /** When set, sharing with any other account fails with UnknownAccount. */
    private readonly knownAccounts?: ReadonlySet<AccountId>,
  ) {
    super();
  }

  // ---- test controls ----

  addImage(spec: NewImage = {}): EcsImage {
    const regionId = spec.regionId ?? 'cn-hangzhou';
    const imageId = spec.imageId ?? `m-fake${String(this.counter++).padStart(8, '0')}`;
    const kind = spec.kind ?? 'custom';
    const image: EcsImage = {
      regionId,
      imageId,
      imageName: spec.imageName ?? `image-${imageId}`,
      kind,
      ownerAccountId: spec.ownerAccountId ?? (kind === 'system' ? undefined : kind === 'custom' || kind === 'marketplace-derived' ? this.ownerAccountId : '9999999999999999'),
      status: spec.status ?? 'Available',
      isPublic: spec.isPublic ?? false,
      tags: spec.tags ?? {},
      creationTime: '2026-01-01T00:00:00Z',
    };
    this.store.set(`${regionId}/${imageId}`, { image, shares: new Map(), inUse: spec.inUse ?? false, encrypted: spec.encrypted ?? false, deleted: false });
    return image;
  }

  /** A share made outside the service (console, another tool). */
  shareOutOfBand(regionId: string, imageId: string, accountId: AccountId): void {
    this.mustOwn(regionId, imageId).shares.set(accountId, new Date(0).toISOString());
  }

  setPublic(regionId: string, imageId: string, isPublic: boolean): void {
    const entry = this.mustOwn(regionId, imageId);
    entry.image = { ...entry.image, isPublic };
  }

  setStatus(regionId: string, imageId: string, status: EcsImage['status']): void {
    const entry = this.mustOwn(regionId, imageId);
    entry.image = { ...entry.image, status };
  }

  /** Accounts ECS lists for the image, sorted (empty for a deleted image). */
  sharedWith(regionId: string, imageId: string): AccountId[] {
    const entry = this.store.get(`${regionId}/${imageId}`);
    return entry && !entry.deleted ? [...entry.shares.keys()].sort() : [];
  }

  /** Whether the owner has the image as a live custom image (what Resource Sharing takes into a share). */
  ownsImage(regionId: string, imageId: string): boolean {
    const entry = this.store.get(`${regionId}/${imageId}`);
    return entry !== undefined && !entry.deleted && entry.image.kind === 'custom' && entry.image.ownerAccountId === this.ownerAccountId;
  }

  isDeleted(regionId: string, imageId: string): boolean {
    return this.store.get(`${regionId}/${imageId}`)?.deleted ?? false;
  }

  // ---- plumbing ----

  private mustOwn(regionId: string, imageId: string): FakeImage {
    const entry = this.store.get(`${regionId}/${imageId}`);
    // ECS answers InvalidImageId.NotFound for images the caller does not own.
    if (!entry || entry.deleted || entry.image.ownerAccountId !== this.ownerAccountId) {
      throw new GovernorError('ImageNotFound', `The image ${imageId} does not exist in ${regionId}`);
    }
    return entry;
  }

  private static chunks(accountIds: readonly AccountId[]): AccountId[][] {
    const out: AccountId[][] = [];
    for (let i = 0; i < accountIds.length; i += ECS_ACCOUNTS_PER_CALL) out.push(accountIds.slice(i, i + ECS_ACCOUNTS_PER_CALL));
    return out;
  }

  // ---- ImagePort ----

  async getImage(regionId: string, imageId: string): Promise<EcsImage | null> {
    return this.call({ method: 'getImage', regionId, imageId }, () => {
      const entry = this.store.get(`${regionId}/${imageId}`);
      // ECS reports every image's usage; the adapter passes it on.
      return entry && !entry.deleted ? { ...entry.image, tags: { ...entry.image.tags }, inUse: entry.inUse } : null;
    });
  }

  async listOwnImages(
    regionId: string,
    page: { pageNumber: number; pageSize: number },
  ): Promise<{ images: EcsImage[]; totalCount: number; nextPageNumber?: number }> {
    return this.call({ method: 'listOwnImages', regionId }, () => {
      const own = [...this.store.values()]
        .filter((e) => !e.deleted && e.image.regionId === regionId && e.image.ownerAccountId === this.ownerAccountId)
        .map((e) => e.image)
        .sort((a, b) => a.imageId.localeCompare(b.imageId));
      const start = (page.pageNumber - 1) * page.pageSize;
      const images = own.slice(start, start + page.pageSize);
      const result: { images: EcsImage[]; totalCount: number; nextPageNumber?: number } = { images, totalCount: own.length };
      if (start + page.pageSize < own.length) result.nextPageNumber = page.pageNumber + 1;
      return result;
    });
  }

  async getSharePermissions(regionId: string, imageId: string): Promise<EcsSharePermissions> {
    return this.call({ method: 'getSharePermissions', regionId, imageId }, () => {
      const entry = this.mustOwn(regionId, imageId);
      return {
        accounts: [...entry.shares.entries()].map(([accountId, sharedTime]) => ({ accountId, sharedTime })),
        isPublic: entry.image.isPublic,
      };
    });
  }

  async addShares(regionId: string, imageId: string, accountIds: readonly AccountId[]): Promise<void> {
    await this.beforeAddShares?.(regionId, imageId, accountIds);
    for (const chunk of MemoryImages.chunks(accountIds)) {
      await this.call({ method: 'addShares', regionId, imageId, accountIds: chunk }, () => {
        if (chunk.length > ECS_ACCOUNTS_PER_CALL) throw new GovernorError('ValidationFailed', 'at most 10 accounts per call');
        // As the adapter answers: an image the owner sees but does not own as a custom image is not shareable.
        const visible = this.store.get(`${regionId}/${imageId}`);
        if (!visible || visible.deleted) throw new GovernorError('ImageNotFound', `The image ${imageId} does not exist in ${regionId}`);
        if (visible.image.kind !== 'custom') throw new GovernorError('ImageNotShareable', `Image ${imageId} is ${visible.image.kind}`);
        const entry = this.mustOwn(regionId, imageId);
        if (entry.image.status !== 'Available') throw new GovernorError('ImageNotAvailable', `Image ${imageId} is ${entry.image.status}`);
        if (entry.encrypted) throw new GovernorError('ImageNotShareable', `Image ${imageId} is built on encrypted snapshots`);
        for (const id of chunk) {
          if (id === this.ownerAccountId) throw new GovernorError('CannotShareWithOwner');
          if (this.knownAccounts && !this.knownAccounts.has(id)) throw new GovernorError('UnknownAccount', `Unknown account ${id}`, { details: { accounts: [id] } });
        }
        const after = new Set([...entry.shares.keys(), ...chunk]);
        if (after.size > ECS_SHARE_LIMIT) throw new GovernorError('ShareQuotaExceeded', `Image ${imageId} would exceed ${ECS_SHARE_LIMIT} accounts`);
        // Adding an account that is already shared is a no-op, as in the emulator.
        for (const id of chunk) if (!entry.shares.has(id)) entry.shares.set(id, new Date().toISOString());
      });
    }
  }

  async removeShares(regionId: string, imageId: string, accountIds: readonly AccountId[]): Promise<void> {
    for (const chunk of MemoryImages.chunks(accountIds)) {
      await this.call({ method: 'removeShares', regionId, imageId, accountIds: chunk }, () => {
        const entry = this.mustOwn(regionId, imageId);
        for (const id of chunk) entry.shares.delete(id);
      });
    }
  }

  async unpublish(regionId: string, imageId: string): Promise<void> {
    return this.call({ method: 'unpublish', regionId, imageId }, () => {
      const entry = this.mustOwn(regionId, imageId);
      entry.image = { ...entry.image, isPublic: false };
    });
  }

  async deleteImage(regionId: string, imageId: string, opts: { force: boolean }): Promise<void> {
    return this.call({ method: 'deleteImage', regionId, imageId }, () => {
      const entry = this.mustOwn(regionId, imageId);
      // A community publication blocks the deletion as a share does.
      if (entry.shares.size > 0 || entry.image.isPublic) {
        throw new GovernorError('ImageStillShared', `Image ${imageId} is shared`, { details: { shares: [...entry.shares.keys()].sort() } });
      }
      if (entry.inUse && !opts.force) throw new GovernorError('ImageInUse', `Instances use image ${imageId}`);
      entry.deleted = true;
    });
  }
}
