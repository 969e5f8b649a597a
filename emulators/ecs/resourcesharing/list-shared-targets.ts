/** ListSharedTargets: the principals of the caller's shares (Self), or those through which shares reach it (OtherAccounts). */
import type { Operation } from '../operation.js';
import { RESOURCE_OWNERS, pageOf, readChoice, readList, requireShareRegion } from './params.js';
import { HOLDING, IMAGE_RESOURCE_TYPE, type Association, type ResourceShare } from './store.js';

export const listSharedTargets: Operation = (context) => {
  const { params, accountId, resourceShares, directory } = context;
  const regionId = requireShareRegion(context);
  const owner = readChoice(params, 'ResourceOwner', RESOURCE_OWNERS, true);
  readChoice(params, 'ResourceType', [IMAGE_RESOURCE_TYPE]);
  const resourceId = params['ResourceId'] || undefined;
  const shareIds = readList(params, 'ResourceShareIds');
  const targets = readList(params, 'Targets');

  const entries: Array<{ share: ResourceShare; association: Association; sequence: number }> = [];
  for (const share of resourceShares.all()) {
    if (share.regionId !== regionId || share.status === 'Deleted') continue;
    if (shareIds.length > 0 && !shareIds.includes(share.resourceShareId)) continue;
    if (owner === 'Self' ? share.ownerAccountId !== accountId : !resourceShares.reaches(share, accountId)) continue;
    const holds = (id: string) => share.associations.some((a) => a.type === 'Resource' && a.entityId === id && HOLDING.has(a.status));
    if (resourceId !== undefined && !holds(resourceId)) continue;
    for (const association of share.associations) {
      if (association.type !== 'Target') continue;
      if (targets.length > 0 && !targets.includes(association.entityId)) continue;
      const listed =
        owner === 'Self'
          ? HOLDING.has(association.status)
          : association.status === 'Associated' &&
            (directory.covers(association.entityId, accountId) || association.entityId === accountId);
      if (listed) entries.push({ share, association, sequence: association.sequence });
    }
  }
  const { page, nextToken } = pageOf(entries, context, 'ListSharedTargets');
  return {
    SharedTargets: page.map(({ share, association }) => ({
      ResourceShareId: share.resourceShareId,
      TargetId: association.entityId,
      External: association.external,
      TargetProperty: '',
      CreateTime: association.createTime,
      UpdateTime: association.updateTime,
    })),
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
};
