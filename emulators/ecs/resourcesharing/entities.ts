/**
 * What Create/AssociateResourceShare may associate: the caller's images (an image that is not
 * the caller's live custom image settles as Failed, Unavailable) and targets the directory allows.
 */
import type { OperationContext } from '../operation.js';
import { rsErrors } from './errors.js';
import { readList } from './params.js';
import { DEFAULT_IMAGE_PERMISSION, type EntityToAssociate, type ResourceShare } from './store.js';

export function resourceEntities(context: OperationContext, regionId: string, imageIds: readonly string[]): EntityToAssociate[] {
  return imageIds.map((imageId) => {
    const image = context.store.findImage(regionId, imageId);
    const usable = image !== undefined && image.kind === 'custom' && image.ownerAccountId === context.accountId;
    const failure = context.resourceShares.configuredFailure(imageId) ?? (usable ? undefined : 'Unavailable');
    return { type: 'Resource', entityId: imageId, ...(failure ? { failure } : {}) };
  });
}

export function targetEntities(context: OperationContext, targets: readonly string[], allowExternalTargets: boolean): EntityToAssociate[] {
  return targets.map((target) => {
    const check = context.resourceShares.checkTarget(context.accountId, target, allowExternalTargets, (id) => !!context.store.findAccount(id));
    if (!check.ok) {
      if (check.reason === 'self') throw rsErrors.shareWithYourself();
      if (check.reason === 'notInDirectory') throw rsErrors.accountNotInDirectory();
      if (check.reason === 'sharingDisabled') throw rsErrors.sharingNotEnabled();
      throw rsErrors.invalidTarget(target);
    }
    const failure = context.resourceShares.configuredFailure(target);
    return { type: 'Target', entityId: target, ...(failure ? { failure } : {}) };
  });
}

/** `PermissionNames.N`: images have one permission, the default, which an empty list means too. */
export function permissionNames(params: Record<string, string>): string[] {
  const names = readList(params, 'PermissionNames');
  for (const name of names) if (name !== DEFAULT_IMAGE_PERMISSION) throw rsErrors.permissionNotFound(name);
  return [DEFAULT_IMAGE_PERMISSION];
}

/** The caller's share named by `ResourceShareId` in the region; 404 for anyone else's or none. */
export function requireOwnShare(context: OperationContext, regionId: string): ResourceShare {
  const id = context.params['ResourceShareId'];
  if (id === undefined || id === '') throw rsErrors.missingParameter('ResourceShareId');
  if (!/^rs-[A-Za-z0-9]{1,64}$/.test(id)) throw rsErrors.invalidParameter('ResourceShareId', 'Expected rs- followed by letters and digits.');
  const share = context.resourceShares.find(id);
  if (!share || share.ownerAccountId !== context.accountId || share.regionId !== regionId) throw rsErrors.shareNotFound(id);
  return share;
}
