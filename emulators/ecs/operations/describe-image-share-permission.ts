/** DescribeImageSharePermission: who an owned image is shared with, paged, plus its public flag. */
import { page, readInteger, requireOwnImage, requireRegion } from './context.js';
import type { Operation } from '../operation.js';

export const describeImageSharePermission: Operation = (context) => {
  const regionId = requireRegion(context);
  const image = requireOwnImage(context, regionId);
  const pageNumber = readInteger(context.params, 'PageNumber', { min: 1, max: 1_000_000_000, fallback: 1 });
  const pageSize = readInteger(context.params, 'PageSize', { min: 1, max: 100, fallback: 10 });
  const shares = [...image.shares.values()];
  return {
    RegionId: regionId,
    ImageId: image.imageId,
    PageNumber: pageNumber,
    PageSize: pageSize,
    TotalCount: shares.length,
    ShareGroups: { ShareGroup: image.isPublic ? [{ Group: 'all' }] : [] },
    Accounts: {
      Account: page(shares, pageNumber, pageSize).map((share) => ({
        AliyunId: share.accountId,
        SharedTime: share.sharedTime,
      })),
    },
  };
};
