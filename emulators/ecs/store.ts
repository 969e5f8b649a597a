/**
 * In-memory state of the emulated ECS: accounts with their AccessKeys, images per region, and the
 * share list of every image. Operations and admin routes change state only through this store.
 */
import { LOWER_ALPHANUMERIC, randomId } from './ids.js';

export const IMAGE_KINDS = ['custom', 'marketplace-derived', 'system'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];
export const IMAGE_STATUSES = ['Creating', 'Waiting', 'Available', 'UnAvailable', 'CreateFailed', 'Deprecated'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** Most accounts one image can be shared with: ECS's own limit. */
export const SHARE_LIMIT_PER_IMAGE = 50;

/** Regions known without any image in them; a region also becomes known when an image is added to it. */
export const BUILT_IN_REGIONS = [
  'cn-qingdao', 'cn-beijing', 'cn-zhangjiakou', 'cn-huhehaote', 'cn-wulanchabu', 'cn-hangzhou', 'cn-shanghai',
  'cn-nanjing', 'cn-fuzhou', 'cn-shenzhen', 'cn-heyuan', 'cn-guangzhou', 'cn-chengdu', 'cn-hongkong',
  'ap-southeast-1', 'ap-southeast-3', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7', 'ap-northeast-1',
  'ap-northeast-2', 'us-west-1', 'us-east-1', 'eu-central-1', 'eu-west-1', 'me-east-1', 'me-central-1',
] as const;

export interface AccessKey {
  accessKeyId: string;
  accessKeySecret: string;
  /** Set for an STS key: requests signed with it must carry exactly this token. */
  securityToken?: string;
  /** Set for a key issued by AssumeRole: refused after this instant (emulator clock). */
  expiresAtMs?: number;
}

export interface Account {
  accountId: string;
  accessKeys: AccessKey[];
}

export interface Share {
  accountId: string;
  /** UTC, `yyyy-MM-ddTHH:mm:ssZ`. */
  sharedTime: string;
}

export interface Image {
  imageId: string;
  regionId: string;
  /** null for system images. */
  ownerAccountId: string | null;
  kind: ImageKind;
  status: ImageStatus;
  imageName: string;
  tags: Array<{ key: string; value: string }>;
  inUseByInstances: boolean;
  encrypted: boolean;
  isPublic: boolean;
  deleted: boolean;
  creationTime: string;
  sizeGiB: number;
  /** Insertion order, newest listed first by DescribeImages. */
  sequence: number;
  /** accountId → share, in the order the shares were made. */
  shares: Map<string, Share>;
}

export interface NewImage {
  regionId: string;
  ownerAccountId: string | null;
  imageId?: string;
  imageName?: string;
  kind: ImageKind;
  status: ImageStatus;
  tags: Array<{ key: string; value: string }>;
  inUseByInstances: boolean;
  encrypted: boolean;
  isPublic: boolean;
  creationTime: string;
  sizeGiB: number;
}

/** `yyyy-MM-ddTHH:mm:ssZ`, the way ECS writes times. */
export function ecsTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export class EcsStore {
  private accounts = new Map<string, Account>();
  private keyOwners = new Map<string, { account: Account; key: AccessKey }>();
  /** `${regionId}/${imageId}` → image; deleted images stay (flagged) so state shows them. */
  private images = new Map<string, Image>();
  private imageIds = new Set<string>();
  private sequence = 0;

  reset(): void {
    this.accounts.clear();
    this.keyOwners.clear();
    this.images.clear();
    this.imageIds.clear();
    this.sequence = 0;
  }

  /** Registers an account, or adds keys to an existing one. Returns an error message on conflict. */
  upsertAccount(accountId: string, keys: AccessKey[]): string | undefined {
    for (const key of keys) {
      const owner = this.keyOwners.get(key.accessKeyId);
      if (owner && owner.account.accountId !== accountId) {
        return `AccessKey ${key.accessKeyId} already belongs to account ${owner.account.accountId}`;
      }
    }
    let account = this.accounts.get(accountId);
    if (!account) {
      account = { accountId, accessKeys: [] };
      this.accounts.set(accountId, account);
    }
    for (const key of keys) {
      const existing = this.keyOwners.get(key.accessKeyId);
      if (existing) {
        existing.key.accessKeySecret = key.accessKeySecret;
        if (key.securityToken === undefined) delete existing.key.securityToken;
        else existing.key.securityToken = key.securityToken;
        if (key.expiresAtMs === undefined) delete existing.key.expiresAtMs;
        else existing.key.expiresAtMs = key.expiresAtMs;
        continue;
      }
      const stored = { ...key };
      account.accessKeys.push(stored);
      this.keyOwners.set(stored.accessKeyId, { account, key: stored });
    }
    return undefined;
  }

  findAccount(accountId: string): Account | undefined {
    return this.accounts.get(accountId);
  }

  findAccessKey(accessKeyId: string): ({ accountId: string } & AccessKey) | undefined {
    const owner = this.keyOwners.get(accessKeyId);
    return owner && { accountId: owner.account.accountId, ...owner.key };
  }

  listAccounts(): Account[] {
    return [...this.accounts.values()];
  }

  isKnownRegion(regionId: string): boolean {
    if ((BUILT_IN_REGIONS as readonly string[]).includes(regionId)) return true;
    for (const image of this.images.values()) if (image.regionId === regionId) return true;
    return false;
  }

  imageIdTaken(imageId: string): boolean {
    return this.imageIds.has(imageId);
  }

  addImage(input: NewImage): Image {
    let imageId = input.imageId;
    while (!imageId || this.imageIds.has(imageId)) imageId = randomId('m-', 20, LOWER_ALPHANUMERIC);
    const image: Image = {
      imageId,
      regionId: input.regionId,
      ownerAccountId: input.ownerAccountId,
      kind: input.kind,
      status: input.status,
      imageName: input.imageName ?? imageId,
      tags: input.tags.map((tag) => ({ ...tag })),
      inUseByInstances: input.inUseByInstances,
      encrypted: input.encrypted,
      isPublic: input.isPublic,
      deleted: false,
      creationTime: input.creationTime,
      sizeGiB: input.sizeGiB,
      sequence: ++this.sequence,
      shares: new Map(),
    };
    this.images.set(`${image.regionId}/${imageId}`, image);
    this.imageIds.add(imageId);
    return image;
  }

  /** A live (not deleted) image in a region, whoever owns it. */
  findImage(regionId: string, imageId: string): Image | undefined {
    const image = this.images.get(`${regionId}/${imageId}`);
    return image && !image.deleted ? image : undefined;
  }

  /** Every live image in a region. */
  imagesIn(regionId: string): Image[] {
    return [...this.images.values()].filter((image) => image.regionId === regionId && !image.deleted);
  }

  allImages(): Image[] {
    return [...this.images.values()];
  }
}
