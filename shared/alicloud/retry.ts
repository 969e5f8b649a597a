// Bounded retries for Alibaba Cloud RPC calls: throttling and 5xx/network only, capped exponential
// backoff with full jitter, honouring the server's x-acs-retry-after. Every attempt goes through
// `beforeCall` (the caller's per-API/region rate limiter, told through the function it returns when
// the attempt's answer has arrived) and is reported to `onCall`, because every attempt is an API call
// that counts against the account's quota for that API.
import { GovernorError } from '../domain/errors.js';
import { classifyFailure, toGovernorError, type UpstreamService } from './failure.js';

export interface RetryPolicy {
  /** Total attempts including the first (≥ 1). */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };

/** Awaited before every attempt; the function it may resolve with is called once the attempt has ended. */
export type BeforeCall = (action: string, regionId: string) => Promise<(() => void) | void | undefined>;

export interface CallHooks {
  readonly retry: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly beforeCall?: BeforeCall;
  readonly onCall?: (action: string, regionId: string, outcome: 'ok' | string) => void;
}

/** Full jitter: uniform in [0, min(max, base·2^retry)]. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

export async function withRetries<T>(
  hooks: CallHooks,
  service: UpstreamService,
  action: string,
  regionId: string,
  attempt: () => Promise<T>,
  details?: Record<string, unknown>,
): Promise<T> {
  const attempts = Math.max(1, Math.floor(hooks.retry.attempts));
  for (let n = 1; ; n += 1) {
    let ended: (() => void) | void | undefined;
    try {
      ended = await hooks.beforeCall?.(action, regionId);
    } catch (error) {
      // The caller's own hook (e.g. a rate limiter giving up): keep the port's GovernorError-only contract.
      if (error instanceof GovernorError) throw error;
      throw new GovernorError('Internal', `beforeCall failed for ${action}`, { details: { action, regionId }, cause: error });
    }
    try {
      const result = await attempt();
      ended?.();
      hooks.onCall?.(action, regionId, 'ok');
      return result;
    } catch (error) {
      ended?.();
      // Already translated before any request left (e.g. no credentials): nothing to retry.
      if (error instanceof GovernorError) throw error;
      const failure = classifyFailure(error);
      hooks.onCall?.(action, regionId, failure.code ?? failure.transportError ?? failure.kind);
      // A server asking for a longer pause than we are willing to sleep gets it from the caller
      // instead (UpstreamThrottled carries retryAfter) rather than a doomed early retry.
      const serverWaitTooLong = failure.retryAfterMs !== undefined && failure.retryAfterMs > hooks.retry.maxDelayMs;
      if (!failure.retryable || n >= attempts || serverWaitTooLong) {
        throw toGovernorError(service, error, failure, { action, regionId, attempts: n, ...(details ? { details } : {}) });
      }
      const jittered = backoffDelay(hooks.retry, n - 1, hooks.random);
      await hooks.sleep(Math.max(jittered, failure.retryAfterMs ?? 0));
    }
  }
}
