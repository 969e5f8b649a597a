// What ECS's error codes mean in the governance vocabulary. The translation itself (throttling,
// outages, everything unmapped) is shared by every product: shared/alicloud/failure.ts.
import type { ErrorCode } from '../domain/errors.js';
import type { UpstreamService } from '../alicloud/failure.js';

/** ECS error codes with a meaning in the governance vocabulary. Spellings are Alibaba's. */
const CODE_MAP: Readonly<Record<string, ErrorCode>> = {
  'InvalidImageId.NotFound': 'ImageNotFound',
  'InvalidImageId.Malformed': 'ImageNotFound',
  'QuotaExceed.ShareImageUser': 'ShareQuotaExceeded',
  'InvalidAccount.NotFound': 'UnknownAccount',
  'InvalidAccount.Forbbiden': 'CannotShareWithOwner',
  'InvalidAccount.Forbidden': 'CannotShareWithOwner',
  'OperationDenied.InvalidImageStatus': 'ImageNotAvailable',
  IncorrectImageStatus: 'ImageNotAvailable',
  'OperationDenied.ImageCopying': 'ImageNotAvailable',
  'OperationDeined.EncryptedSnapshot': 'ImageNotShareable',
  'OperationDenied.EncryptedSnapshot': 'ImageNotShareable',
  'InvalidImageId.BidMismatch': 'ImageNotShareable',
  'OperationDenied.ImageNotShareable': 'ImageNotShareable',
  'OperationDenied.MarketplaceImage': 'ImageNotShareable',
  ImageUseShared: 'ImageStillShared',
  ImageUsingByInstance: 'ImageInUse',
};

/** Alibaba's wording for "this image may not be shared", whatever the exact suffix. */
const looksNotShareable = (code: string): boolean => /not.?shar|cannot.?shar|unshareable|marketplace/i.test(code);

export function mappedCode(ecsCode: string | undefined): ErrorCode | undefined {
  if (ecsCode === undefined) return undefined;
  return CODE_MAP[ecsCode] ?? (looksNotShareable(ecsCode) ? 'ImageNotShareable' : undefined);
}

/** ECS as an upstream: errors carry `ecsCode`, `ecsStatus` and `ecsRequestId`. */
export const ECS_SERVICE: UpstreamService = { name: 'ECS', detailPrefix: 'ecs', mapCode: mappedCode };
