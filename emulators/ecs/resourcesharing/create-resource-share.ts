/** CreateResourceShare: a new Active share, its images and targets Associating until they settle. */
import type { Operation } from '../operation.js';
import { permissionNames, resourceEntities, targetEntities } from './entities.js';
import { rsErrors } from './errors.js';
import { readFlag, readList, readResources, readTags, requireShareRegion } from './params.js';
import { createdShareView } from './views.js';

/** 1 to 50 letters (Chinese included), digits, periods, underscores and hyphens. */
const SHARE_NAME = /^[\p{L}\p{N}._-]+$/u;
const MAX_NAME_LENGTH = 50;

export const createResourceShare: Operation = (context) => {
  const { params, accountId } = context;
  const regionId = requireShareRegion(context);
  const name = params['ResourceShareName'];
  if (name === undefined || name === '') throw rsErrors.missingParameter('ResourceShareName');
  if ([...name].length > MAX_NAME_LENGTH) throw rsErrors.tooLong('ResourceShareName', MAX_NAME_LENGTH);
  if (!SHARE_NAME.test(name)) throw rsErrors.invalidParameter('ResourceShareName', 'Use letters, digits, periods, underscores and hyphens.');
  const imageIds = readResources(params);
  const targets = readList(params, 'Targets');
  const allowExternalTargets = readFlag(params, 'AllowExternalTargets') ?? false;
  const permissions = permissionNames(params);
  const tags = readTags(params);
  const entities = [...resourceEntities(context, regionId, imageIds), ...targetEntities(context, targets, allowExternalTargets)];
  const taken = context.resourceShares
    .all()
    .some((share) => share.ownerAccountId === accountId && share.regionId === regionId && share.name === name && share.status !== 'Deleted');
  if (taken) throw rsErrors.nameTaken(name);

  const share = context.resourceShares.create(
    {
      name,
      ownerAccountId: accountId,
      regionId,
      allowExternalTargets,
      tags,
      resourceGroupId: params['ResourceGroupId'] ?? '',
      permissionNames: permissions,
    },
    entities,
    false,
  );
  return { ResourceShare: createdShareView(share) };
};
