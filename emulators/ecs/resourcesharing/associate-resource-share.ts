/** AssociateResourceShare: adds images and targets to an Active share; each is Associating until it settles. */
import type { Operation } from '../operation.js';
import { permissionNames, requireOwnShare, resourceEntities, targetEntities } from './entities.js';
import { rsErrors } from './errors.js';
import { readList, readResources, requireShareRegion } from './params.js';
import { associationView } from './views.js';

export const associateResourceShare: Operation = (context) => {
  const { params } = context;
  const regionId = requireShareRegion(context);
  const share = requireOwnShare(context, regionId);
  const imageIds = readResources(params);
  const targets = readList(params, 'Targets');
  permissionNames(params);
  if (imageIds.length === 0 && targets.length === 0) throw rsErrors.bothEmpty();
  if (share.status !== 'Active') throw rsErrors.statusMismatch(share.status);
  const entities = [...resourceEntities(context, regionId, imageIds), ...targetEntities(context, targets, share.allowExternalTargets)];
  for (const entity of entities) {
    // Validated as a whole before anything changes.
    if (context.resourceShares.association(share, entity.type, entity.entityId)?.status === 'Disassociating') {
      throw rsErrors.associateConflict(entity.entityId);
    }
  }

  const associations = context.resourceShares.associate(share, entities);
  return { ResourceShareAssociations: associations.map((association) => associationView(share, association)) };
};
