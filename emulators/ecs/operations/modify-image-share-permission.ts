/**
 * ModifyImageSharePermission: share an owned custom image with accounts, unshare it, or publish /
 * unpublish it as a community image. A call either applies completely or not at all.
 */
import { ecsErrors } from '../errors.js';
import { SHARE_LIMIT_PER_IMAGE, ecsTime, type Image } from '../store.js';
import { readBoolean, readIndexedList, requireOwnImage, requireRegion } from './context.js';
import type { Operation } from '../operation.js';

/** ECS processes at most this many AddAccount.N / RemoveAccount.N entries per call and ignores the rest. */
export const ACCOUNTS_PER_CALL = 10;

/** Rules an image must meet before it may be shared or published. */
function assertShareable(image: Image): void {
  if (image.kind === 'marketplace-derived') throw ecsErrors.marketplaceImage();
  if (image.status === 'Deprecated') throw ecsErrors.deprecatedImage();
  if (image.status !== 'Available') throw ecsErrors.incorrectImageStatus(image.status);
  if (image.encrypted) throw ecsErrors.encryptedImage();
}

export const modifyImageSharePermission: Operation = (context) => {
  const { params, store, accountId } = context;
  const regionId = requireRegion(context);
  const image = requireOwnImage(context, regionId);
  const additions = [...new Set(readIndexedList(params, 'AddAccount').slice(0, ACCOUNTS_PER_CALL))];
  const removals = [...new Set(readIndexedList(params, 'RemoveAccount').slice(0, ACCOUNTS_PER_CALL))];
  const isPublic = readBoolean(params, 'IsPublic');
  const dryRun = readBoolean(params, 'DryRun') ?? false;

  if (isPublic !== undefined && (additions.length > 0 || removals.length > 0)) throw ecsErrors.isPublicConflict();
  if (additions.length > 0 || isPublic === true) assertShareable(image);
  if (isPublic === true && image.isPublic) throw ecsErrors.imageAlreadyPublic();
  if (isPublic === false && !image.isPublic) throw ecsErrors.imageNotPublic();

  for (const target of additions) {
    if (target === accountId) throw ecsErrors.cannotShareWithSelf(target);
    if (!store.findAccount(target)) throw ecsErrors.accountNotFound(target);
  }
  const remaining = new Set([...image.shares.keys()].filter((id) => !removals.includes(id)));
  const newlyShared = additions.filter((id) => !remaining.has(id));
  if (newlyShared.length > 0 && remaining.size + newlyShared.length > SHARE_LIMIT_PER_IMAGE) {
    throw ecsErrors.shareQuotaExceeded(SHARE_LIMIT_PER_IMAGE);
  }
  if (dryRun) throw ecsErrors.dryRunPassed();

  // Everything is validated: apply the whole call.
  for (const id of removals) image.shares.delete(id);
  const sharedTime = ecsTime(context.now());
  for (const id of newlyShared) image.shares.set(id, { accountId: id, sharedTime });
  if (isPublic !== undefined) image.isPublic = isPublic;
  return {};
};
