// One error taxonomy for the whole service. Adapters translate SDK errors into these at the boundary;
// the HTTP layer maps them to application/problem+json with the status below.

export const ERROR_CATALOG = {
  // client mistakes
  ValidationFailed: { status: 400, title: 'The request is not valid' },
  Unauthenticated: { status: 401, title: 'A valid bearer token is required' },
  Forbidden: { status: 403, title: 'The caller lacks the role this operation needs' },
  SelfApprovalForbidden: { status: 403, title: 'A requester cannot approve their own request' },
  AccountNotAllowed: { status: 403, title: 'The target account is not allowed by policy' },
  NotFound: { status: 404, title: 'No such resource' },
  RegionNotManaged: { status: 404, title: 'The region is not managed by this service' },
  ImageNotFound: { status: 404, title: 'The image does not exist in the owner account' },
  RequestNotFound: { status: 404, title: 'No such share request' },
  RunNotFound: { status: 404, title: 'No such reconcile run' },
  MethodNotAllowed: { status: 405, title: 'The method is not allowed on this path' },
  NotAcceptable: { status: 406, title: 'The resource is not available in a media type the Accept header allows' },
  ImageNotAvailable: { status: 409, title: 'The image is not in a state that allows sharing' },
  ImageDeletionPending: { status: 409, title: 'The image is being deleted and accepts no new shares' },
  ShareQuotaExceeded: { status: 409, title: 'The image would exceed its share quota' },
  RequestNotPending: { status: 409, title: 'The share request is no longer pending' },
  ImageStillShared: { status: 409, title: 'The image is still shared' },
  ImageInUse: { status: 409, title: 'Instances still use the image' },
  DeletionNotInProgress: { status: 409, title: 'No drain is in progress for this image' },
  ConcurrentModification: { status: 409, title: 'The resource changed concurrently; retry' },
  ShareAlreadyExists: { status: 409, title: 'Some target accounts already hold a live or pending share of the image' },
  PayloadTooLarge: { status: 413, title: 'The request body is too large' },
  UnsupportedMediaType: { status: 415, title: 'The request body must be JSON' },
  ImageNotShareable: { status: 422, title: 'The image may not be shared: its kind, its owner or its tags do not allow it' },
  CannotShareWithOwner: { status: 422, title: 'An image cannot be shared with its owner account' },
  UnknownAccount: { status: 422, title: 'The target account does not exist' },
  AttestationRequired: { status: 422, title: 'Sensitive data must be attested as removed' },
  ExpiryTooLong: { status: 422, title: 'The share expiry exceeds the policy maximum' },
  IdempotencyKeyReused: { status: 422, title: 'The Idempotency-Key was used with another request' },
  // upstream and internal
  UpstreamThrottled: { status: 503, title: 'ECS is throttling requests; retry later' },
  UpstreamUnavailable: { status: 503, title: 'A backing service is unavailable; retry later' },
  Internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/**
 * The only error type that crosses a port or reaches the HTTP mapper. `details` become extra
 * problem fields (e.g. `limit`, `used`, `shares`) and are shown to clients for 4xx only.
 */
export class GovernorError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>>;
  /** Seconds a client should wait before retrying (503s). */
  readonly retryAfter?: number;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { details?: Record<string, unknown>; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message ?? ERROR_CATALOG[code].title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GovernorError';
    this.code = code;
    this.status = ERROR_CATALOG[code].status;
    this.details = options.details ?? {};
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }
}

export const isGovernorError = (e: unknown, code?: ErrorCode): e is GovernorError =>
  e instanceof GovernorError && (code === undefined || e.code === code);

/**
 * Store-level outcomes the domain reacts to. `ConditionFailed` means a conditional write lost
 * (the row changed or did not exist as expected); `Busy` means the store asked us to back off.
 */
export class StoreError extends Error {
  constructor(
    readonly kind: 'ConditionFailed' | 'NotFound' | 'AlreadyExists' | 'Busy' | 'Unavailable',
    message?: string,
    options: { cause?: unknown } = {},
  ) {
    super(message ?? kind, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
  }
}

/** Upstream (retryable) failures leave intents in place; anything else from ECS is a definitive answer. */
export const isUpstreamFailure = (e: unknown): boolean =>
  !isGovernorError(e) || e.code === 'UpstreamThrottled' || e.code === 'UpstreamUnavailable' || e.code === 'Internal';

export const isConditionFailed = (e: unknown): boolean => e instanceof StoreError && e.kind === 'ConditionFailed';

/** A short code for logs, run reports and `lastError`: the GovernorError code, `Store<kind>`, or Internal. */
export const errorCode = (e: unknown): string =>
  e instanceof GovernorError ? e.code : e instanceof StoreError ? `Store${e.kind}` : 'Internal';
