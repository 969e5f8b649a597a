// ImagePort over the real ECS API (DescribeImages, DescribeImageSharePermission,
// ModifyImageSharePermission, DeleteImage). Every method throws GovernorError only.
import type { Config } from '../config.js';
import type { CredentialsSource } from '../credentials.js';
import { GovernorError, isGovernorError } from '../domain/errors.js';
import type {
  AccountId,
  EcsImage,
  EcsImageKind,
  EcsImageStatus,
  EcsShare,
  EcsSharePermissions,
} from '../domain/model.js';
import type { ImagePort } from '../domain/ports.js';
import { DEFAULT_RETRY, withRetries, type BeforeCall, type CallHooks, type RetryPolicy } from '../alicloud/retry.js';
import { ECS_SERVICE } from './errors.js';
import {
  EcsSdk,
  type DescribeImagesResponseT,
} from './sdk.js';

export interface EcsImagePortOptions {
  readonly ecs: Config['ecs'];
  readonly credentials: CredentialsSource;
  readonly retry?: RetryPolicy;
  /** Injectable so tests need not wait out real backoff. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Awaited before every API call, retries included (the caller's per-API/region rate limiter). */
  readonly beforeCall?: BeforeCall;
  /** Told the outcome of every API call: 'ok', the ECS error code, or the transport error (ECONNREFUSED, RequestTimeoutError, SyntaxError). */
  readonly onCall?: (action: string, regionId: string, outcome: 'ok' | string) => void;
  /** DescribeImageSharePermission page size, 1..100 (default 100, the API's maximum). */
  readonly sharePageSize?: number;
  /**
   * The reads of one caller's unit of work (an HTTP request), where one image is described once: a
   * second getImage of it — the adapter's own check in addShares included — reuses the first answer
   * until a write to the image. Undefined (outside such a unit, e.g. the reconciler): every read goes to ECS.
   */
  readonly readScope?: () => Map<string, Promise<EcsImage | null>> | undefined;
}

/** Every image status, spelled out: DescribeImages returns only Available ones by default. */
export const ALL_IMAGE_STATUSES: readonly EcsImageStatus[] = ['Creating', 'Waiting', 'Available', 'UnAvailable', 'CreateFailed', 'Deprecated'];
const STATUS_FILTER = ALL_IMAGE_STATUSES.join(',');

/** ModifyImageSharePermission takes AddAccount.1..10 / RemoveAccount.1..10; never rely on truncation. */
export const MAX_ACCOUNTS_PER_MODIFY = 10;
const MAX_PAGE_SIZE = 100;
/** Paging guard: 50 shares need one page; this bound only stops a server that never covers TotalCount. */
const MAX_PAGES = 1_000;

type SdkImage = NonNullable<NonNullable<NonNullable<DescribeImagesResponseT['body']>['images']>['image']>[number];

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The SDK model types ImageOwnerId as a number, which drops the leading zeros a 16-digit UID may
 * have (restored here) and rounds UIDs above 2^53. A rounded id would name another account, so
 * such an owner is left unknown rather than reported wrong.
 */
function accountIdFrom(ownerId: number | undefined): AccountId | undefined {
  if (ownerId === undefined || ownerId === null || !Number.isSafeInteger(ownerId) || ownerId <= 0) return undefined;
  return String(ownerId).padStart(16, '0');
}

/** How the image relates to the calling account; only `custom` may be shared. */
export function classifyImage(image: { imageOwnerAlias?: string; productCode?: string; isPublic?: boolean }): EcsImageKind {
  switch (image.imageOwnerAlias) {
    case 'self':
      // A custom image built from a Marketplace image keeps the product code, and its licence.
      return image.productCode ? 'marketplace-derived' : 'custom';
    case 'system':
      return 'system';
    case 'marketplace':
      return 'marketplace-derived';
    case 'others':
      return image.isPublic === true ? 'community' : 'shared-to-us';
    default:
      // Unknown alias: not provably ours, so never treat it as shareable.
      return 'shared-to-us';
  }
}

function toEcsImage(regionId: string, image: SdkImage): EcsImage {
  const tags: Record<string, string> = {};
  for (const tag of image.tags?.tag ?? []) {
    if (tag.tagKey !== undefined) tags[tag.tagKey] = tag.tagValue ?? '';
  }
  const status = (ALL_IMAGE_STATUSES as readonly string[]).includes(image.status ?? '')
    ? (image.status as EcsImageStatus)
    : // An unknown status is not Available, so nothing gets shared from it.
      'UnAvailable';
  const ownerAccountId = accountIdFrom(image.imageOwnerId);
  return {
    regionId,
    imageId: image.imageId ?? '',
    imageName: image.imageName ?? '',
    kind: classifyImage(image),
    ...(ownerAccountId !== undefined ? { ownerAccountId } : {}),
    status,
    isPublic: image.isPublic === true,
    tags,
    ...(image.creationTime ? { creationTime: image.creationTime } : {}),
    ...(image.usage !== undefined ? { inUse: image.usage === 'instance' } : {}),
  };
}

function assertPage(page: { pageNumber: number; pageSize: number }): void {
  if (!Number.isInteger(page.pageNumber) || page.pageNumber < 1 || !Number.isInteger(page.pageSize) || page.pageSize < 1 || page.pageSize > MAX_PAGE_SIZE) {
    throw new GovernorError('ValidationFailed', `pageNumber must be ≥ 1 and pageSize 1..${MAX_PAGE_SIZE}`, { details: { ...page } });
  }
}

export function createEcsImagePort(opts: EcsImagePortOptions): ImagePort {
  const sharePageSize = opts.sharePageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(sharePageSize) || sharePageSize < 1 || sharePageSize > MAX_PAGE_SIZE) {
    throw new RangeError(`sharePageSize must be an integer in 1..${MAX_PAGE_SIZE}`);
  }
  const sdk = new EcsSdk({
    ...(opts.ecs.endpoint !== undefined ? { endpoint: opts.ecs.endpoint } : {}),
    protocol: opts.ecs.protocol,
    connectTimeoutMs: opts.ecs.connectTimeoutMs,
    readTimeoutMs: opts.ecs.readTimeoutMs,
    credentials: opts.credentials,
  });
  const hooks: CallHooks = {
    retry: opts.retry ?? DEFAULT_RETRY,
    sleep: opts.sleep ?? realSleep,
    random: Math.random,
    ...(opts.beforeCall ? { beforeCall: opts.beforeCall } : {}),
    ...(opts.onCall ? { onCall: opts.onCall } : {}),
  };

  const guarded = <T>(action: string, regionId: string, fn: () => Promise<T>, details?: Record<string, unknown>): Promise<T> =>
    withRetries(hooks, ECS_SERVICE, action, regionId, fn, details);

  const imageKey = (regionId: string, imageId: string): string => `${regionId}/${imageId}`;

  /** getImage, answered once per image within the caller's read scope. */
  function getImage(regionId: string, imageId: string): Promise<EcsImage | null> {
    const scope = opts.readScope?.();
    if (!scope) return describeImage(regionId, imageId);
    const key = imageKey(regionId, imageId);
    let read = scope.get(key);
    if (!read) {
      read = describeImage(regionId, imageId);
      scope.set(key, read);
      // A failed read is not an answer to keep.
      read.catch(() => scope.delete(key));
    }
    return read;
  }

  /** A write to the image: what the scope read of it no longer holds. */
  const wrote = (regionId: string, imageId: string): void => void opts.readScope?.()?.delete(imageKey(regionId, imageId));

  async function describeImage(regionId: string, imageId: string): Promise<EcsImage | null> {
    // No owner alias: system + self + others, so the caller can tell *why* an image is not shareable.
    const request = { regionId, imageId, status: STATUS_FILTER, pageNumber: 1, pageSize: 10 };
    let response: DescribeImagesResponseT;
    try {
      response = await guarded('DescribeImages', regionId, () => sdk.describeImages(regionId, request), { imageId });
    } catch (error) {
      if (isGovernorError(error, 'ImageNotFound')) return null;
      throw error;
    }
    // Match the id exactly rather than trusting the filter.
    const found = (response.body?.images?.image ?? []).find((image) => image.imageId === imageId);
    return found ? toEcsImage(regionId, found) : null;
  }

  async function listOwnImages(
    regionId: string,
    page: { pageNumber: number; pageSize: number },
  ): Promise<{ images: EcsImage[]; totalCount: number; nextPageNumber?: number }> {
    assertPage(page);
    const request = {
      regionId,
      imageOwnerAlias: 'self',
      status: STATUS_FILTER,
      pageNumber: page.pageNumber,
      pageSize: page.pageSize,
    };
    const response = await guarded('DescribeImages', regionId, () => sdk.describeImages(regionId, request));
    const images = (response.body?.images?.image ?? []).map((image) => toEcsImage(regionId, image));
    const totalCount = response.body?.totalCount ?? images.length;
    const pageSize = response.body?.pageSize ?? page.pageSize;
    const covered = (page.pageNumber - 1) * pageSize + images.length;
    const more = images.length > 0 && covered < totalCount;
    return { images, totalCount, ...(more ? { nextPageNumber: page.pageNumber + 1 } : {}) };
  }

  async function getSharePermissions(regionId: string, imageId: string): Promise<EcsSharePermissions> {
    const accounts: EcsShare[] = [];
    const seen = new Set<string>();
    let isPublic = false;
    for (let pageNumber = 1; pageNumber <= MAX_PAGES; pageNumber += 1) {
      const request = { regionId, imageId, pageNumber, pageSize: sharePageSize };
      const response = await guarded(
        'DescribeImageSharePermission',
        regionId,
        () => sdk.describeImageSharePermission(regionId, request),
        { imageId },
      );
      const body = response.body;
      if ((body?.shareGroups?.shareGroup ?? []).some((group) => group.group === 'all')) isPublic = true;
      const pageAccounts = body?.accounts?.account ?? [];
      for (const account of pageAccounts) {
        const accountId = account.aliyunId;
        if (!accountId || seen.has(accountId)) continue;
        seen.add(accountId);
        accounts.push({ accountId, ...(account.sharedTime ? { sharedTime: account.sharedTime } : {}) });
      }
      const totalCount = body?.totalCount ?? 0;
      // Coverage from the page size ECS says it used, not the one asked for: a server that pages by
      // 10 whatever we ask must not end the walk after the first 10 accounts.
      const pageSize = body?.pageSize !== undefined && body.pageSize > 0 ? body.pageSize : sharePageSize;
      const covered = (pageNumber - 1) * pageSize + pageAccounts.length;
      // An empty page ends the walk even if TotalCount moved meanwhile (concurrent unshare).
      if (pageAccounts.length === 0 || covered >= totalCount) {
        return { accounts, isPublic };
      }
    }
    throw new GovernorError('UpstreamUnavailable', 'DescribeImageSharePermission never covered TotalCount', {
      details: { action: 'DescribeImageSharePermission', regionId, imageId, pages: MAX_PAGES },
    });
  }

  async function modifyAccounts(regionId: string, imageId: string, accountIds: readonly AccountId[], direction: 'add' | 'remove'): Promise<void> {
    const unique = [...new Set(accountIds)];
    if (unique.length === 0) return;
    const done: AccountId[] = [];
    for (const chunk of chunks(unique, MAX_ACCOUNTS_PER_MODIFY)) {
      const request = {
        regionId,
        imageId,
        ...(direction === 'add' ? { addAccount: chunk } : { removeAccount: chunk }),
      };
      await guarded('ModifyImageSharePermission', regionId, () => sdk.modifyImageSharePermission(regionId, request), {
        imageId,
        accountIds: chunk,
        ...(done.length > 0 ? { alreadyApplied: [...done] } : {}),
      });
      done.push(...chunk);
    }
    // ECS answers only {RequestId}; read back so a silently dropped account cannot pass as done.
    const shared = new Set((await getSharePermissions(regionId, imageId)).accounts.map((a) => a.accountId));
    const wrong = unique.filter((id) => (direction === 'add' ? !shared.has(id) : shared.has(id)));
    if (wrong.length > 0) {
      throw new GovernorError(
        'UpstreamUnavailable',
        `ECS accepted the ${direction === 'add' ? 'share' : 'unshare'} but ${wrong.length} account(s) are ${direction === 'add' ? 'still missing' : 'still present'}`,
        { details: { action: 'ModifyImageSharePermission', regionId, imageId, [direction === 'add' ? 'missing' : 'stillShared']: wrong } },
      );
    }
  }

  async function addShares(regionId: string, imageId: string, accountIds: readonly AccountId[]): Promise<void> {
    if (accountIds.length === 0) return;
    // ECS answers InvalidImageId.NotFound for images it will not let us share (system, shared to
    // us); checking the kind first gives the caller the true reason, and refuses Marketplace-derived
    // images even where ECS would not say so.
    const image = await getImage(regionId, imageId);
    if (!image) throw new GovernorError('ImageNotFound', undefined, { details: { regionId, imageId } });
    if (image.kind !== 'custom') {
      throw new GovernorError('ImageNotShareable', `A ${image.kind} image cannot be shared`, { details: { regionId, imageId, kind: image.kind } });
    }
    wrote(regionId, imageId);
    await modifyAccounts(regionId, imageId, accountIds, 'add');
  }

  async function removeShares(regionId: string, imageId: string, accountIds: readonly AccountId[]): Promise<void> {
    wrote(regionId, imageId);
    await modifyAccounts(regionId, imageId, accountIds, 'remove');
  }

  async function unpublish(regionId: string, imageId: string): Promise<void> {
    wrote(regionId, imageId);
    const request = { regionId, imageId, isPublic: false };
    try {
      await guarded('ModifyImageSharePermission', regionId, () => sdk.modifyImageSharePermission(regionId, request), { imageId, isPublic: false });
    } catch (error) {
      // Already not a community image: the wanted state holds.
      if (!(isGovernorError(error) && error.details.ecsCode === 'Image.NotPublic')) throw error;
    }
    if ((await getSharePermissions(regionId, imageId)).isPublic) {
      throw new GovernorError('UpstreamUnavailable', 'ECS accepted the unpublish but the image is still public', {
        details: { action: 'ModifyImageSharePermission', regionId, imageId },
      });
    }
  }

  async function deleteImage(regionId: string, imageId: string, deleteOpts: { force: boolean }): Promise<void> {
    wrote(regionId, imageId);
    // Force is sent only when asked: it overrides the in-use check, never the still-shared one.
    const request = { regionId, imageId, ...(deleteOpts.force ? { force: true } : {}) };
    let attempts = 0;
    try {
      await guarded('DeleteImage', regionId, () => {
        attempts += 1;
        return sdk.deleteImage(regionId, request);
      }, { imageId });
    } catch (error) {
      // A retry after an ambiguous failure (timeout, 5xx) may find the image already gone: done.
      if (attempts > 1 && isGovernorError(error, 'ImageNotFound')) return;
      throw error;
    }
  }

  return { getImage, listOwnImages, getSharePermissions, addShares, removeShares, unpublish, deleteImage };
}
