/**
 * DeleteImage: removes an owned custom image, refusing while it is shared — with accounts, as a
 * community image, or in a resource share that is not deleted — or (without Force) in use.
 */
import { ecsErrors } from '../errors.js';
import { readBoolean, requireOwnImage, requireRegion } from './context.js';
import type { Operation } from '../operation.js';

export const deleteImage: Operation = (context) => {
  const regionId = requireRegion(context);
  const image = requireOwnImage(context, regionId);
  const force = readBoolean(context.params, 'Force') ?? false;
  const dryRun = readBoolean(context.params, 'DryRun') ?? false;

  // Force only overrides the in-use check; shares (community publication and resource shares included) always block.
  if (image.shares.size > 0 || image.isPublic || context.resourceShares.holdsImage(image)) throw ecsErrors.imageStillShared();
  if (image.inUseByInstances && !force) throw ecsErrors.imageInUse();
  if (dryRun) throw ecsErrors.dryRunPassed();

  image.deleted = true;
  return {};
};
