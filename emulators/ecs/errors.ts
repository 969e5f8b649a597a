/**
 * Errors of the emulated API port. Every API error leaves the emulator as
 * `{RequestId, HostId, Code, Message, Recommend}` with the HTTP status the service uses, so the real
 * SDK raises ClientError / ServerError / ThrottlingError exactly as it does against Alibaba Cloud.
 * The gateway's own errors (signature, timestamp, nonce, flow control, unknown API) are common to
 * every product and live here; each product has one factory of its own (`ecsErrors` below,
 * resourcesharing/errors.ts, resourcemanager/errors.ts, sts/errors.ts).
 * Spellings such as `Forbbiden` and `Deined` are Alibaba's own and part of the codes.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers (e.g. x-acs-retry-after for throttling). */
    readonly headers: Record<string, string> = {},
    /** Answer with an HTML page instead of the JSON error, as a load balancer in front of ECS does. */
    readonly asHtmlPage = false,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const gatewayErrors = {
  accessKeyNotFound: (accessKeyId: string) =>
    new ApiError(404, 'InvalidAccessKeyId.NotFound', `Specified access key is not found. AccessKeyId: ${accessKeyId}`),
  incompleteSignature: (detail: string) =>
    new ApiError(400, 'IncompleteSignature', `The request signature does not conform to Aliyun standards. ${detail}`),
  signatureDoesNotMatch: (serverStringToSign: string) =>
    new ApiError(
      400,
      'SignatureDoesNotMatch',
      `Specified signature does not match our calculation. server string to sign is:${serverStringToSign}`,
    ),
  timestampMalformed: (value: string) =>
    new ApiError(400, 'InvalidTimeStamp.Format', `Specified time stamp or date value is not well formatted: ${value}`),
  timestampExpired: (value: string) =>
    new ApiError(400, 'InvalidTimeStamp.Expired', `Specified time stamp or date value is expired: ${value}`),
  securityTokenMalformed: () =>
    new ApiError(400, 'InvalidSecurityToken.Malformed', 'Specified SecurityToken is malformed.'),
  securityTokenMismatch: () =>
    new ApiError(400, 'InvalidSecurityToken.MismatchWithAccessKey', 'Specified SecurityToken mismatch with the AccessKey.'),
  nonceUsed: () => new ApiError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.'),
  apiNotFound: (action: string, version: string) =>
    new ApiError(404, 'InvalidApi.NotFound', `Specified api is not found, please check your url and method. Action: ${action}, Version: ${version}`),
  pathNotFound: (method: string, pathname: string) =>
    new ApiError(404, 'InvalidApi.NotFound', `Specified api is not found, please check your url and method. ${method} ${pathname}`),
  throttled: (retryAfterMs: number) =>
    new ApiError(400, 'Throttling.User', 'Request was denied due to user flow control.', {
      'x-acs-retry-after': String(retryAfterMs),
    }),
  securityTokenExpired: () => new ApiError(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.'),
  missingAction: () =>
    new ApiError(400, 'MissingParameter', 'The input parameter "Action" that is mandatory for processing this request is not supplied.'),
  duplicateParameter: (name: string) =>
    new ApiError(400, 'InvalidParameter', `The specified parameter "${name}" is not valid. The parameter was given more than once.`),
} as const;

/** The ECS operations' own errors. */
export const ecsErrors = {
  // Parameter level.
  missingParameter: (name: string) =>
    new ApiError(400, 'MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`),
  invalidParameter: (name: string, detail: string) =>
    new ApiError(400, 'InvalidParameter', `The specified parameter "${name}" is not valid. ${detail}`),
  regionNotFound: (regionId: string) =>
    new ApiError(400, 'InvalidRegionId.NotFound', `The specified RegionId does not exist: ${regionId}`),
  dryRunPassed: () => new ApiError(400, 'DryRunOperation', 'Request validation has been passed with DryRun flag set.'),

  // Images and sharing.
  imageNotFound: (imageId: string) =>
    new ApiError(404, 'InvalidImageId.NotFound', `The specified ImageId does not exist. ImageId: ${imageId}`),
  accountNotFound: (accountId: string) =>
    new ApiError(404, 'InvalidAccount.NotFound', `The specified account does not exist: ${accountId}`),
  cannotShareWithSelf: (accountId: string) =>
    new ApiError(404, 'InvalidAccount.Forbbiden', `The image cannot be shared with its own account: ${accountId}`),
  shareQuotaExceeded: (limit: number) =>
    new ApiError(403, 'QuotaExceed.ShareImageUser', `The number of users the image is shared with exceeds the limit of ${limit}.`),
  deprecatedImage: () =>
    new ApiError(403, 'OperationDenied.InvalidImageStatus', 'The operation is not allowed in the current image status: Deprecated.'),
  incorrectImageStatus: (status: string) =>
    new ApiError(400, 'IncorrectImageStatus', `The current status of the image does not support this operation: ${status}.`),
  encryptedImage: () =>
    new ApiError(403, 'OperationDeined.EncryptedSnapshot', 'The image contains encrypted snapshots and cannot be shared.'),
  marketplaceImage: () =>
    new ApiError(403, 'OperationDenied.MarketplaceImage', 'Images derived from Alibaba Cloud Marketplace images cannot be shared or published.'),
  imageAlreadyPublic: () => new ApiError(403, 'Image.Public', 'The specified image is already public.'),
  imageNotPublic: () => new ApiError(403, 'Image.NotPublic', 'The specified image is not public.'),
  isPublicConflict: () =>
    new ApiError(403, 'InvalidParameter.IsPublic', 'IsPublic cannot be combined with AddAccount or RemoveAccount.'),
  imageStillShared: () =>
    new ApiError(403, 'ImageUseShared', 'The specified image has been shared with other accounts; cancel every share before deleting it.'),
  imageInUse: () =>
    new ApiError(403, 'ImageUsingByInstance', 'The specified image is in use by instances; use Force to delete it anyway.'),
} as const;

/** Default HTTP status for an injected fault whose status was not given. */
export function defaultStatusForCode(code: string): number {
  if (code.includes('Throttling')) return 400;
  if (code === 'ServiceUnavailable') return 503;
  if (code === 'InternalError' || code.startsWith('Internal')) return 500;
  return 500;
}
