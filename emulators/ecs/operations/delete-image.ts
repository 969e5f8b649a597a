/** DeleteImage: removes an owned custom image, refusing while it is shared or (without Force) in use. */
import { ecsErrors } from '../errors.js';
import { type Operation, readBoolean, requireOwnImage, requireRegion } from './context.js';

export const deleteImage: Operation = (context) => {
  const regionId = requireRegion(context);
  const image = requireOwnImage(context, regionId);
  const force = readBoolean(context.params, 'Force') ?? false;
  const dryRun = readBoolean(context.params, 'DryRun') ?? false;

  // Force only overrides the in-use check; shares (including community publication) always block.
  if (image.shares.size > 0 || image.isPublic) throw ecsErrors.imageStillShared();
  if (image.inUseByInstances && !force) throw ecsErrors.imageInUse();
  if (dryRun) throw ecsErrors.dryRunPassed();

  image.deleted = true;
  return {};
};
