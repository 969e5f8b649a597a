/** DeleteResourceShare: the share is Deleting, every association Disassociating, until it settles Deleted. */
import type { Operation } from '../operation.js';
import { requireOwnShare } from './entities.js';
import { rsErrors } from './errors.js';
import { requireShareRegion } from './params.js';

export const deleteResourceShare: Operation = (context) => {
  const share = requireOwnShare(context, requireShareRegion(context));
  if (share.status !== 'Active') throw rsErrors.statusMismatch(share.status);
  context.resourceShares.delete(share);
  return {};
};
