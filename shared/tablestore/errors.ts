// The SDK's error quirk, handled once: `err.code` is the HTTP status number and the OTS error code
// only appears inside `err.message` (the raw protobuf Error body, then " requestId:<id>"). Network
// failures carry `code: 'NetworkingError'` and the socket error's message. Everything that leaves
// this adapter is a StoreError.
import { StoreError } from '../domain/errors.js';

export type StoreErrorKind = StoreError['kind'];

export interface ClassifiedError {
  readonly kind: StoreErrorKind;
  /** The OTS code when the service sent one (e.g. OTSConditionCheckFail), else a transport label. */
  readonly code: string;
  readonly status?: number;
  /** Worth retrying at all (Busy, Unavailable). */
  readonly retryable: boolean;
  /**
   * The service certainly did not apply the request: it refused it before execution (busy,
   * throttled, conflict) or the connection was never made. Only these may be retried for writes
   * that are not idempotent (INCREMENT).
   */
  readonly notApplied: boolean;
}

const BUSY_CODES = new Set([
  'OTSServerBusy',
  'OTSRowOperationConflict',
  'OTSPartitionUnavailable',
  'OTSTableNotReady',
  'OTSNotEnoughCapacityUnit',
  'OTSOperationThrottled',
  'OTSQuotaExhausted',
  'OTSTooFrequentReservedThroughputAdjustment',
]);
const AMBIGUOUS_CODES = new Set(['OTSInternalServerError', 'OTSTimeout', 'OTSServerUnavailable', 'OTSRequestTimeout']);
// Socket errors raised before the request left this process.
const CONNECT_ERRORS = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/;

interface SdkErrorShape {
  code?: unknown;
  message?: unknown;
  statusCode?: unknown;
  syscall?: unknown;
}

export function classify(err: unknown): ClassifiedError {
  if (err instanceof StoreError) {
    const retryable = err.kind === 'Busy' || err.kind === 'Unavailable';
    return { kind: err.kind, code: err.kind, retryable, notApplied: err.kind === 'Busy' };
  }
  const e = (err ?? {}) as SdkErrorShape;
  const message = typeof e.message === 'string' ? e.message : '';
  const status = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const otsCode =
    typeof e.code === 'string' && e.code.startsWith('OTS') ? e.code : (/\bOTS[A-Za-z]+/.exec(message)?.[0] ?? undefined);

  if (otsCode) {
    if (otsCode === 'OTSConditionCheckFail') return fixed('ConditionFailed', otsCode, status);
    if (otsCode === 'OTSObjectNotExist') return fixed('NotFound', otsCode, status);
    if (otsCode === 'OTSObjectAlreadyExist') return fixed('AlreadyExists', otsCode, status);
    if (BUSY_CODES.has(otsCode)) return { kind: 'Busy', code: otsCode, status, retryable: true, notApplied: true };
    if (AMBIGUOUS_CODES.has(otsCode)) return { kind: 'Unavailable', code: otsCode, status, retryable: true, notApplied: false };
    // OTSParameterInvalid, OTSAuthFailed, OTSRequestBodyTooLarge...: a retry cannot help.
    return { kind: 'Unavailable', code: otsCode, status, retryable: false, notApplied: true };
  }
  if (status !== undefined) {
    if (status === 503) return { kind: 'Busy', code: 'HTTP503', status, retryable: true, notApplied: false };
    if (status >= 500) return { kind: 'Unavailable', code: `HTTP${status}`, status, retryable: true, notApplied: false };
    return { kind: 'Unavailable', code: `HTTP${status}`, status, retryable: false, notApplied: true };
  }
  // No status: transport failure (connection refused/reset, timeout) or a local error.
  const transport = e.code === 'NetworkingError' || e.code === 'TimeoutError' || typeof e.syscall === 'string';
  if (transport) {
    const notApplied = CONNECT_ERRORS.test(message);
    return { kind: 'Unavailable', code: String(e.code), retryable: true, notApplied };
  }
  return { kind: 'Unavailable', code: 'ClientError', retryable: false, notApplied: true };
}

const fixed = (kind: StoreErrorKind, code: string, status?: number): ClassifiedError => ({
  kind,
  code,
  status,
  retryable: false,
  notApplied: true,
});

/** A StoreError for the domain: names the operation and the OTS code, never the raw response bytes. */
export function toStoreError(err: unknown, operation: string, table?: string): StoreError {
  if (err instanceof StoreError) return err;
  const c = classify(err);
  const where = table ? `${operation} ${table}` : operation;
  return new StoreError(c.kind, `${where}: ${c.code}${c.status !== undefined ? ` (HTTP ${c.status})` : ''}`, { cause: err });
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 40, maxDelayMs: 1000 };

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoffMs(policy: RetryPolicy, retryIndex: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` with retries.
 * - `mode: 'read' | 'idempotent'`: any retryable error is retried.
 * - `mode: 'not-idempotent'`: only errors where the service certainly did not apply the request.
 * - `mode: 'conditional'`: any retryable error is retried, but a ConditionFailed/AlreadyExists that
 *   follows an ambiguous failure may be our own earlier write: `resolve()` re-reads and decides
 *   (true = our write is stored → treat as success, returning `resolved()`).
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  operation: string,
  table: string,
  attempt: () => Promise<T>,
  opts: {
    mode: 'read' | 'idempotent' | 'not-idempotent' | 'conditional';
    resolve?: () => Promise<{ ours: true; value: T } | { ours: false }>;
  },
): Promise<T> {
  let ambiguousEarlier = false;
  for (let i = 0; ; i += 1) {
    try {
      return await attempt();
    } catch (err) {
      const c = classify(err);
      if (
        opts.mode === 'conditional' &&
        ambiguousEarlier &&
        (c.kind === 'ConditionFailed' || c.kind === 'AlreadyExists') &&
        opts.resolve
      ) {
        const outcome = await opts.resolve();
        if (outcome.ours) return outcome.value;
      }
      const mayRetry = c.retryable && (opts.mode !== 'not-idempotent' || c.notApplied);
      if (!mayRetry || i + 1 >= policy.attempts) throw toStoreError(err, operation, table);
      if (!c.notApplied) ambiguousEarlier = true;
      await sleep(backoffMs(policy, i));
    }
  }
}
