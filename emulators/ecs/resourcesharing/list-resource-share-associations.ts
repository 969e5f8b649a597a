/**
 * ListResourceShareAssociations: every association record of the caller's own shares, of one type
 * (Resource or Target), in every status — Failed and Disassociated records included.
 */
import type { Operation } from '../operation.js';
import { rsErrors } from './errors.js';
import { pageOf, readChoice, readList, requireShareRegion } from './params.js';
import { ASSOCIATION_STATUSES, type Association, type ResourceShare } from './store.js';
import { associationView } from './views.js';

export const listResourceShareAssociations: Operation = (context) => {
  const { params, accountId, resourceShares } = context;
  const regionId = requireShareRegion(context);
  const type = readChoice(params, 'AssociationType', ['Resource', 'Target'] as const, true);
  const status = readChoice(params, 'AssociationStatus', ASSOCIATION_STATUSES);
  const resourceId = params['ResourceId'] || undefined;
  const target = params['Target'] || undefined;
  if (resourceId !== undefined && type !== 'Resource') throw rsErrors.conflictedAssociationType('ResourceId', type);
  if (target !== undefined && type !== 'Target') throw rsErrors.conflictedAssociationType('Target', type);
  if (params['ResourceArn']) throw rsErrors.invalidParameter('ResourceArn', 'Filter by ResourceId; ResourceArn is not emulated.');
  const shareIds = readList(params, 'ResourceShareIds');

  const entries: Array<{ share: ResourceShare; association: Association; sequence: number }> = [];
  for (const share of resourceShares.all()) {
    if (share.ownerAccountId !== accountId || share.regionId !== regionId) continue;
    if (shareIds.length > 0 && !shareIds.includes(share.resourceShareId)) continue;
    for (const association of share.associations) {
      if (association.type !== type || (status !== undefined && association.status !== status)) continue;
      if ((resourceId ?? target) !== undefined && association.entityId !== (resourceId ?? target)) continue;
      entries.push({ share, association, sequence: association.sequence });
    }
  }
  const { page, nextToken } = pageOf(entries, context, 'ListResourceShareAssociations');
  return {
    ResourceShareAssociations: page.map(({ share, association }) => associationView(share, association, true)),
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
};
