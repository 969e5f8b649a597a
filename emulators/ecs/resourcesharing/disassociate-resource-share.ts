/** DisassociateResourceShare: withdraws images and targets from a share; each is Disassociating until it settles. */
import type { Operation } from '../operation.js';
import { requireOwnShare } from './entities.js';
import { rsErrors } from './errors.js';
import { RESOURCE_OWNERS, readChoice, readList, readResources, requireShareRegion } from './params.js';
import type { Association, AssociationType } from './store.js';
import { associationView } from './views.js';

export const disassociateResourceShare: Operation = (context) => {
  const { params } = context;
  const regionId = requireShareRegion(context);
  if ((readChoice(params, 'ResourceOwner', RESOURCE_OWNERS) ?? 'Self') !== 'Self') {
    throw rsErrors.invalidParameter('ResourceOwner', 'Leaving a share as an external principal (OtherAccounts) is not emulated.');
  }
  const share = requireOwnShare(context, regionId);
  const entities: Array<[AssociationType, string]> = [
    ...readResources(params).map((id): [AssociationType, string] => ['Resource', id]),
    ...readList(params, 'Targets').map((id): [AssociationType, string] => ['Target', id]),
  ];
  if (entities.length === 0) throw rsErrors.bothEmpty();
  if (share.status !== 'Active') throw rsErrors.statusMismatch(share.status);
  const associations: Association[] = entities.map(([type, entityId]) => {
    const association = context.resourceShares.association(share, type, entityId);
    if (!association || association.status === 'Disassociated' || association.status === 'Failed') throw rsErrors.disassociateInvalid(entityId);
    if (association.status !== 'Associated') throw rsErrors.disassociateConflict(entityId, association.status);
    return association;
  });

  context.resourceShares.disassociate(associations);
  return { ResourceShareAssociations: associations.map((association) => associationView(share, association)) };
};
