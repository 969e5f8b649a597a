// SDK error → GovernorError for every Alibaba Cloud RPC product the adapters call, in one place.
// openapi-core throws ThrottlingError (any Code containing "Throttling"; retryAfter in ms from
// `x-acs-retry-after`), ClientError (4xx) or ServerError (5xx), each with code/statusCode/requestId;
// transport failures surface as plain errors (ECONNREFUSED, RequestTimeoutError, ...). What a
// product's own codes mean in the governance vocabulary is the product's `mapCode`.
import { GovernorError, type ErrorCode } from '../domain/errors.js';

/** The product a call went to, as far as error translation is concerned. */
export interface UpstreamService {
  /** Named in messages: `ECS`, `Resource Sharing`, ... */
  readonly name: string;
  /** Prefix of the detail keys that carry the answer: `<prefix>Code`, `<prefix>Status`, `<prefix>RequestId`. */
  readonly detailPrefix: string;
  /** The governance code a 4xx answer of this product stands for; undefined = our configuration or our bug. */
  readonly mapCode: (code: string | undefined) => ErrorCode | undefined;
}

/** What the retry loop needs to know about one failed attempt. */
export interface FailureClass {
  readonly kind: 'throttled' | 'unavailable' | 'client';
  /** Whether another attempt may succeed. */
  readonly retryable: boolean;
  /** The error code the service answered with. */
  readonly code?: string;
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
    ...(code !== undefined ? { code } : {}),
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
  // No HTTP answer: `code` is a socket code (ECONNREFUSED) or a local SDK complaint, not a service code.
  const transport = code ?? name;
  return { kind: 'unavailable', retryable: transient, ...(transport !== undefined ? { transportError: transport } : {}) };
}

/**
 * The GovernorError for a failure that will not be retried (any more). `action` and `regionId`
 * go into the details so an operator can tell which call failed; the service's message is kept as
 * the cause only (it may name internal identifiers and is not shown to clients).
 */
export function toGovernorError(
  service: UpstreamService,
  error: unknown,
  failure: FailureClass,
  context: { action: string; regionId: string; attempts: number; details?: Record<string, unknown> },
): GovernorError {
  const prefix = service.detailPrefix;
  const details: Record<string, unknown> = {
    action: context.action,
    regionId: context.regionId,
    ...(failure.code !== undefined ? { [`${prefix}Code`]: failure.code } : {}),
    ...(failure.statusCode !== undefined ? { [`${prefix}Status`]: failure.statusCode } : {}),
    ...(failure.requestId !== undefined ? { [`${prefix}RequestId`]: failure.requestId } : {}),
    ...(failure.transportError !== undefined ? { transportError: failure.transportError } : {}),
    ...(context.attempts > 1 ? { attempts: context.attempts } : {}),
    ...context.details,
  };
  if (failure.kind === 'throttled') {
    const retryAfter = Math.max(1, Math.ceil((failure.retryAfterMs ?? 1000) / 1000));
    return new GovernorError('UpstreamThrottled', `${service.name} throttled ${context.action}`, { details, retryAfter, cause: error });
  }
  if (failure.kind === 'client') {
    const code = service.mapCode(failure.code);
    if (code !== undefined) return new GovernorError(code, undefined, { details, cause: error });
    // Auth, signature, RAM and parameter errors: our configuration or our bug, not the caller's.
    return new GovernorError('UpstreamUnavailable', `${service.name} refused ${context.action} with ${failure.code ?? 'an error'}`, {
      details,
      cause: error,
    });
  }
  const reason = failure.statusCode !== undefined ? `${service.name} answered ${failure.statusCode}` : `${service.name} could not be reached`;
  return new GovernorError('UpstreamUnavailable', `${reason} for ${context.action}`, { details, cause: error });
}
