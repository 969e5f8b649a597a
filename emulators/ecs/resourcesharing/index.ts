/** The allow-list of emulated Resource Sharing actions (version 2020-01-10). */
import type { Operation } from '../operation.js';
import { associateResourceShare } from './associate-resource-share.js';
import { createResourceShare } from './create-resource-share.js';
import { deleteResourceShare } from './delete-resource-share.js';
import { disassociateResourceShare } from './disassociate-resource-share.js';
import { listResourceShareAssociations } from './list-resource-share-associations.js';
import { listResourceShares } from './list-resource-shares.js';
import { listSharedResources } from './list-shared-resources.js';
import { listSharedTargets } from './list-shared-targets.js';

export const RESOURCE_SHARING_API_VERSION = '2020-01-10';

export const RESOURCE_SHARING_OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  ['ListResourceShares', listResourceShares],
  ['ListSharedResources', listSharedResources],
  ['ListSharedTargets', listSharedTargets],
  ['ListResourceShareAssociations', listResourceShareAssociations],
  ['CreateResourceShare', createResourceShare],
  ['AssociateResourceShare', associateResourceShare],
  ['DisassociateResourceShare', disassociateResourceShare],
  ['DeleteResourceShare', deleteResourceShare],
]);
