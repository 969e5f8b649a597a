/** ListSharedResources: images the caller shares (Self) or that are shared with it (OtherAccounts). */
import type { Operation } from '../operation.js';
import { rsErrors } from './errors.js';
import { RESOURCE_OWNERS, pageOf, readChoice, readList, requireShareRegion } from './params.js';
import { HOLDING, IMAGE_RESOURCE_TYPE, type Association, type ResourceShare } from './store.js';
import { imageArn } from './views.js';

export const listSharedResources: Operation = (context) => {
  const { params, accountId, resourceShares, store } = context;
  const regionId = requireShareRegion(context);
  const owner = readChoice(params, 'ResourceOwner', RESOURCE_OWNERS, true);
  readChoice(params, 'ResourceType', [IMAGE_RESOURCE_TYPE]);
  const resourceIds = readList(params, 'ResourceIds');
  const shareIds = readList(params, 'ResourceShareIds');
  if (readList(params, 'ResourceArns').length > 0) {
    throw rsErrors.invalidParameter('ResourceArns', 'Filter by ResourceIds; ResourceArns are not emulated.');
  }
  const target = params['Target'] || undefined;

  const entries: Array<{ share: ResourceShare; association: Association; sequence: number }> = [];
  for (const share of resourceShares.all()) {
    if (share.regionId !== regionId || share.status === 'Deleted') continue;
    if (shareIds.length > 0 && !shareIds.includes(share.resourceShareId)) continue;
    // Self: Target names a principal of the share; OtherAccounts: the owner who shares with the caller.
    if (owner === 'Self') {
      if (share.ownerAccountId !== accountId) continue;
      if (target !== undefined && !share.associations.some((a) => a.type === 'Target' && a.entityId === target && HOLDING.has(a.status))) continue;
    } else if (!resourceShares.reaches(share, accountId) || (target !== undefined && share.ownerAccountId !== target)) {
      continue;
    }
    for (const association of share.associations) {
      if (association.type !== 'Resource') continue;
      if (owner === 'Self' ? !HOLDING.has(association.status) : association.status !== 'Associated') continue;
      if (resourceIds.length > 0 && !resourceIds.includes(association.entityId)) continue;
      entries.push({ share, association, sequence: association.sequence });
    }
  }
  const { page, nextToken } = pageOf(entries, context, 'ListSharedResources');
  return {
    SharedResources: page.map(({ share, association }) => ({
      ResourceShareId: share.resourceShareId,
      ResourceId: association.entityId,
      ResourceType: association.entityType,
      ResourceArn: imageArn(share, association.entityId),
      CreateTime: association.createTime,
      UpdateTime: association.updateTime,
      ...(owner === 'OtherAccounts'
        ? {
            ResourceStatus: store.findImage(share.regionId, association.entityId) ? 'Available' : 'Unavailable',
            ResourceStatusMessage: '',
          }
        : {}),
    })),
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
};
