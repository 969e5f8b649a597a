/** ListResourceShares: the caller's own shares (Self) or the shares that reach it (OtherAccounts), deleted ones included. */
import type { Operation } from '../operation.js';
import { rsErrors } from './errors.js';
import { RESOURCE_OWNERS, pageOf, readChoice, readList, readTags, requireShareRegion } from './params.js';
import { SHARE_STATUSES } from './store.js';
import { shareView } from './views.js';

export const listResourceShares: Operation = (context) => {
  const { params, accountId, resourceShares } = context;
  const regionId = requireShareRegion(context);
  const owner = readChoice(params, 'ResourceOwner', RESOURCE_OWNERS, true);
  const ids = readList(params, 'ResourceShareIds');
  const name = params['ResourceShareName'] || undefined;
  if (name !== undefined && [...name].length > 50) throw rsErrors.tooLong('ResourceShareName', 50);
  const status = readChoice(params, 'ResourceShareStatus', SHARE_STATUSES);
  const permission = params['PermissionName'] || undefined;
  const resourceGroupId = params['ResourceGroupId'] || undefined;
  const tags = readTags(params);

  const shares = resourceShares
    .all()
    .filter((share) => share.regionId === regionId)
    .filter((share) => (owner === 'Self' ? share.ownerAccountId === accountId : resourceShares.reaches(share, accountId)))
    .filter((share) => ids.length === 0 || ids.includes(share.resourceShareId))
    .filter((share) => name === undefined || share.name === name)
    .filter((share) => status === undefined || share.status === status)
    .filter((share) => permission === undefined || share.permissionNames.includes(permission))
    .filter((share) => resourceGroupId === undefined || share.resourceGroupId === resourceGroupId)
    .filter((share) => tags.every((tag) => share.tags.some((own) => own.key === tag.key && (tag.value === '' || own.value === tag.value))));
  const { page, nextToken } = pageOf(shares, context, 'ListResourceShares');
  return { ResourceShares: page.map(shareView), ...(nextToken ? { NextToken: nextToken } : {}) };
};
