// What every event sink offers the dispatcher: deliver a list of CloudEvents, learn per event whether
// it arrived, may be retried, or never will. Sinks never throw for a failed delivery; they classify it.
import type { SinkName } from '../domain/model.js';
import type { CloudEvent } from './envelope.js';

export interface RetryableOutcome {
  readonly eventId: string;
  readonly status: 'retryable';
  /** Why, for the deliveries API and the log: status codes, error codes; never a secret or a body. */
  readonly reason: string;
  /** The receiver's own hint (Retry-After), in milliseconds from now; the dispatcher's backoff may wait longer. */
  readonly retryAfterMs?: number;
  /** False when the sink did not even try, because an earlier event of the call found the receiver unreachable. */
  readonly attempted?: false;
}

export type DeliveryOutcome =
  | { readonly eventId: string; readonly status: 'delivered' }
  | RetryableOutcome
  | { readonly eventId: string; readonly status: 'permanent'; readonly reason: string };

export interface EventSink {
  /** Stable and unique per kind of sink: the key of its cursor and delivery records. */
  readonly name: SinkName;
  /** Where it delivers, safe to log and to show (no secret, no URL path or query). */
  readonly target: string;
  /** One outcome per event, in the order given. */
  deliver(events: readonly CloudEvent[]): Promise<DeliveryOutcome[]>;
}

export const delivered = (eventId: string): DeliveryOutcome => ({ eventId, status: 'delivered' });

export const retryable = (eventId: string, reason: string, retryAfterMs?: number): RetryableOutcome =>
  retryAfterMs === undefined ? { eventId, status: 'retryable', reason } : { eventId, status: 'retryable', reason, retryAfterMs };

/** An event a sink left unsent after `cause` (unreachable, throttled) stopped its call. */
export const notAttempted = (eventId: string, cause: Pick<RetryableOutcome, 'reason' | 'retryAfterMs'>): RetryableOutcome => ({
  ...retryable(eventId, `not attempted: ${cause.reason}`, cause.retryAfterMs),
  attempted: false,
});

export const permanent = (eventId: string, reason: string): DeliveryOutcome => ({ eventId, status: 'permanent', reason });
