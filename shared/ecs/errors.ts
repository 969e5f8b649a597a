// SDK error → GovernorError, in one place. Nothing above the adapter sees an SDK error.
// The SDK (openapi-core) throws ThrottlingError (any Code containing "Throttling"; retryAfter in ms
// from `x-acs-retry-after`), ClientError (4xx) or ServerError (5xx), each with code/statusCode/
// requestId; transport failures surface as plain errors (ECONNREFUSED, RequestTimeoutError, ...).
import { GovernorError, type ErrorCode } from '../domain/errors.js';

/** What the retry loop needs to know about one failed attempt. */
export interface FailureClass {
  readonly kind: 'throttled' | 'unavailable' | 'client';
  /** Whether another attempt may succeed. */
  readonly retryable: boolean;
  readonly ecsCode?: string;
  readonly statusCode?: number;
  readonly requestId?: string;
  /** Why no HTTP answer came (socket code or error name), when there was none. */
  readonly transportError?: string;
  /** Server-requested wait before the next attempt, in ms (x-acs-retry-after). */
  readonly retryAfterMs?: number;
}

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  statusCode?: unknown;
  requestId?: unknown;
  retryAfter?: unknown;
  message?: unknown;
}

// Socket-level failures worth another attempt. Anything else without an HTTP status (a local SDK
// complaint such as InvalidCredentials) is deterministic: retrying cannot help.
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);
const TRANSIENT_NETWORK_NAMES = new Set([
  'RequestTimeoutError',
  'ResponseTimeoutError',
  'ConnectTimeoutError',
  'ReadTimeoutError',
  // The SDK parses every error body as JSON before it looks at the status, so a gateway's HTML
  // 502/504 page surfaces as a bare SyntaxError: an upstream outage, worth another attempt.
  'SyntaxError',
]);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && v !== 'undefined' ? v : undefined);

export function classifyFailure(error: unknown): FailureClass {
  const e = (error ?? {}) as SdkErrorShape;
  const name = str(e.name);
  const code = str(e.code);
  const statusCode = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const requestId = str(e.requestId);
  const base = {
    ...(code !== undefined ? { ecsCode: code } : {}),
    ...(statusCode !== undefined ? { statusCode } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
  };
  if (name === 'ThrottlingError' || (statusCode !== undefined && code?.includes('Throttling'))) {
    const retryAfterMs = typeof e.retryAfter === 'number' && Number.isFinite(e.retryAfter) && e.retryAfter >= 0 ? e.retryAfter : undefined;
    return { kind: 'throttled', retryable: true, ...base, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (statusCode !== undefined) {
    if (statusCode >= 500) return { kind: 'unavailable', retryable: true, ...base };
    return { kind: 'client', retryable: false, ...base };
  }
  const transient = (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) || (name !== undefined && TRANSIENT_NETWORK_NAMES.has(name));
  // No HTTP answer: `code` is a socket code (ECONNREFUSED) or a local SDK complaint, not an ECS code.
  const transport = code ?? name;
  return { kind: 'unavailable', retryable: transient, ...(transport !== undefined ? { transportError: transport } : {}) };
}

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

/**
 * The GovernorError for a failure that will not be retried (any more). `action` and `regionId`
 * go into the details so an operator can tell which call failed; the ECS message is kept as the
 * cause only (it may name internal identifiers and is not shown to clients).
 */
export function toGovernorError(
  error: unknown,
  failure: FailureClass,
  context: { action: string; regionId: string; attempts: number; details?: Record<string, unknown> },
): GovernorError {
  const details: Record<string, unknown> = {
    action: context.action,
    regionId: context.regionId,
    ...(failure.ecsCode !== undefined ? { ecsCode: failure.ecsCode } : {}),
    ...(failure.statusCode !== undefined ? { ecsStatus: failure.statusCode } : {}),
    ...(failure.requestId !== undefined ? { ecsRequestId: failure.requestId } : {}),
    ...(failure.transportError !== undefined ? { transportError: failure.transportError } : {}),
    ...(context.attempts > 1 ? { attempts: context.attempts } : {}),
    ...context.details,
  };
  if (failure.kind === 'throttled') {
    const retryAfter = Math.max(1, Math.ceil((failure.retryAfterMs ?? 1000) / 1000));
    return new GovernorError('UpstreamThrottled', `ECS throttled ${context.action}`, { details, retryAfter, cause: error });
  }
  if (failure.kind === 'client') {
    const code = mappedCode(failure.ecsCode);
    if (code !== undefined) return new GovernorError(code, undefined, { details, cause: error });
    // Auth, signature, RAM and parameter errors: our configuration or our bug, not the caller's.
    return new GovernorError('UpstreamUnavailable', `ECS refused ${context.action} with ${failure.ecsCode ?? 'an error'}`, {
      details,
      cause: error,
    });
  }
  const reason = failure.statusCode !== undefined ? `ECS answered ${failure.statusCode}` : 'ECS could not be reached';
  return new GovernorError('UpstreamUnavailable', `${reason} for ${context.action}`, { details, cause: error });
}
