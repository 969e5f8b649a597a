// The EventBridge sink: PutEvents through the real `@alicloud/eventbridge` SDK, CloudEvents in batches
// within the API's limits, each event's own entry result mapped to its outcome. The only file that
// imports that SDK: a bundle that does not import this file carries none of it (README: cold start).
import * as eventbridgeNs from '@alicloud/eventbridge';
import { commonJs } from '../commonjs.js';
import { type Credentials, type CredentialsSource, sameCredentials } from '../credentials.js';
import type { CloudEvent } from './envelope.js';
import { type EventBridgeSettings, checkEventBridge } from './options.js';
import { type DeliveryOutcome, type EventSink, type RetryableOutcome, delivered, notAttempted, permanent, retryable } from './sink.js';

const sdk = commonJs(eventbridgeNs);
const Client = sdk.default;

/**
 * PutEvents limits as the API reference states them: 16 events and 256 KB per request, 64 KB per
 * event, sizes measured on the JSON of the entries. (The product's limits page allows more; the
 * stricter figures hold everywhere.)
 */
export const PUT_EVENTS_LIMITS = { maxEntries: 16, maxBatchBytes: 256 * 1024, maxEventBytes: 64 * 1024 } as const;

/** The CloudEvents extension attribute that names the bus an entry is for. */
const BUS_ATTRIBUTE = 'aliyuneventbusname';
const MAX_REASON_LENGTH = 300;

/** The EventBridge calls the sink makes (RAM actions `eventbridge:<Action>`): deploy/ram-actions.ts grants exactly these. */
export const EVENTBRIDGE_ACTIONS = ['PutEvents'] as const;
/** The SDK client narrowed to those calls. */
type SdkClient = Pick<InstanceType<typeof Client>, Uncapitalize<(typeof EVENTBRIDGE_ACTIONS)[number]>>;

/**
 * Error codes (request or entry) that say the same events will never be accepted as they are: the
 * EventBridge 4xx codes. Throttling, server errors, expiring STS keys and codes not listed here are
 * retried: an unknown code is not proof the event is unwanted.
 */
const PERMANENT_CODES = new Set([
  'InvalidArgument',
  'EventBusNotExist',
  'PutEventsRequestMoreThanOneEventBus',
  'InvalidAccessKeyId',
  'AccountIdNotExist',
  'AccessDenied',
  'AccessDeniedByPreCheck',
  'AccessDeniedForInternalRegion',
  'ParentAccountNotExist',
  'ServiceAccessDenied',
  'SignatureDoesNotMatch',
  'OptionsMethodNotEnable',
]);

export interface EventBridgeSinkOptions extends EventBridgeSettings {
  /** Asked before each request, so a rotated STS key is used at once. */
  readonly credentials: CredentialsSource;
}

const clip = (text: string): string => (text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH)}…` : text);

/** The entry exactly as the SDK puts it on the wire (data parsed from the JSON bytes, the bus flattened in). */
function wireEntry(event: CloudEvent, bus: string): Record<string, unknown> {
  return { ...event, [BUS_ATTRIBUTE]: bus };
}

interface Batch {
  /** Positions in the list given to deliver(). */
  readonly indexes: number[];
  bytes: number;
}

/** Splits into requests within PUT_EVENTS_LIMITS; an event too large for any request gets its outcome at once. */
function batches(events: readonly CloudEvent[], bus: string, outcomes: DeliveryOutcome[]): Batch[] {
  const result: Batch[] = [];
  let current: Batch | undefined;
  events.forEach((event, index) => {
    const bytes = Buffer.byteLength(JSON.stringify(wireEntry(event, bus)));
    if (bytes > PUT_EVENTS_LIMITS.maxEventBytes) {
      outcomes[index] = permanent(event.id, `the event is ${bytes} bytes, over EventBridge's ${PUT_EVENTS_LIMITS.maxEventBytes}-byte limit`);
      return;
    }
    // JSON array: brackets around the entries, a comma between two.
    if (current && current.indexes.length < PUT_EVENTS_LIMITS.maxEntries && current.bytes + 1 + bytes <= PUT_EVENTS_LIMITS.maxBatchBytes) {
      current.indexes.push(index);
      current.bytes += 1 + bytes;
    } else {
      current = { indexes: [index], bytes: 2 + bytes };
      result.push(current);
    }
  });
  return result;
}

/**
 * The SDK's HTTP layer keeps connections alive in a module-wide agent, so the first request after the
 * server closed an idle one (or after FC thawed the instance) can meet a dead socket. Such a request
 * is sent once more at once, on a new connection; should the first have arrived after all, its events
 * arrive twice, which at-least-once delivery allows.
 */
async function putOnce(client: SdkClient, entries: Parameters<SdkClient['putEvents']>[0]): ReturnType<SdkClient['putEvents']> {
  try {
    return await client.putEvents(entries);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ECONNRESET' && code !== 'EPIPE') throw error;
    return client.putEvents(entries);
  }
}

interface SdkFailure {
  readonly code?: unknown;
  readonly name?: unknown;
  readonly message?: unknown;
  readonly data?: unknown;
}

/**
 * A failed PutEvents request, for every event in it. The SDK raises the service's error body as
 * `{code, message, data}`; anything without that body never got an answer (connection, timeout, a
 * reply that is not JSON) and may work next time.
 */
function requestFailure(error: unknown, eventId: string): DeliveryOutcome {
  const failure = (error ?? {}) as SdkFailure;
  const message = typeof failure.message === 'string' ? failure.message : String(error);
  const answered = typeof failure.code === 'string' && failure.data !== null && typeof failure.data === 'object';
  if (!answered) {
    const kind = typeof failure.code === 'string' ? failure.code : typeof failure.name === 'string' ? failure.name : 'Error';
    return retryable(eventId, clip(`no answer from EventBridge (${kind}): ${message}`));
  }
  const code = failure.code as string;
  const reason = clip(`EventBridge refused the request: ${message}`);
  return PERMANENT_CODES.has(code) ? permanent(eventId, reason) : retryable(eventId, reason);
}

function entryFailure(eventId: string, code: string, message: string | undefined): DeliveryOutcome {
  const reason = clip(`EventBridge refused the event: ${code}${message ? `: ${message}` : ''}`);
  return PERMANENT_CODES.has(code) ? permanent(eventId, reason) : retryable(eventId, reason);
}

/** Creates the sink. Throws ConfigError (naming EVENTBRIDGE_ENDPOINT, EVENTBRIDGE_BUS, …) for unusable options. */
export function createEventBridgeSink(options: EventBridgeSinkOptions): EventSink {
  const { endpoint, bus, protocol, connectTimeoutMs: connectTimeout, readTimeoutMs: readTimeout, target } = checkEventBridge(options);

  // Rebuilt when the credentials change (FC hands each invocation a possibly refreshed STS key).
  let cached: { credentials: Credentials; client: SdkClient } | undefined;
  function client(): SdkClient {
    const credentials = options.credentials();
    if (cached && sameCredentials(cached.credentials, credentials)) return cached.client;
    const built = new Client(
      new sdk.Config({
        accessKeyId: credentials.accessKeyId,
        accessKeySecret: credentials.accessKeySecret,
        ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
        endpoint,
        protocol,
        connectTimeout,
        readTimeout,
      }),
    );
    cached = { credentials, client: built };
    return built;
  }

  /** One PutEvents request; `failed` when the request as a whole failed in a way that may pass. */
  async function put(events: readonly CloudEvent[]): Promise<{ outcomes: DeliveryOutcome[]; failed?: RetryableOutcome }> {
    const entries = events.map(
      (event) =>
        new sdk.CloudEvent({
          id: event.id,
          source: event.source,
          specversion: event.specversion,
          type: event.type,
          subject: event.subject,
          time: event.time,
          datacontenttype: event.datacontenttype,
          data: Buffer.from(JSON.stringify(event.data)),
          extensions: { [BUS_ATTRIBUTE]: bus },
        }),
    );
    const failedAll = (outcomes: DeliveryOutcome[]) => {
      const first = outcomes[0];
      return first?.status === 'retryable' ? { outcomes, failed: first } : { outcomes };
    };
    let sdkClient: SdkClient;
    try {
      sdkClient = client();
    } catch {
      return failedAll(events.map((event) => retryable(event.id, 'no credentials are available for EventBridge')));
    }
    let results: { eventId?: string; errorCode?: string; errorMessage?: string }[];
    try {
      results = (await putOnce(sdkClient, entries)).entryList ?? [];
    } catch (error) {
      return failedAll(events.map((event) => requestFailure(error, event.id)));
    }
    const byId = new Map(results.filter((entry) => entry.eventId !== undefined).map((entry) => [entry.eventId, entry]));
    const outcomes = events.map((event, i) => {
      // Matched by event id; an entry without one can only be matched by its position.
      const entry = byId.get(event.id) ?? (results[i]?.eventId === undefined ? results[i] : undefined);
      if (!entry) return retryable(event.id, 'EventBridge returned no result for the event');
      return entry.errorCode ? entryFailure(event.id, entry.errorCode, entry.errorMessage) : delivered(event.id);
    });
    return { outcomes };
  }

  return {
    name: 'eventbridge',
    target,
    async deliver(events) {
      const outcomes: DeliveryOutcome[] = new Array(events.length);
      // After a request failed as a whole for a reason that may pass (unreachable, throttled), the next would fail alike.
      let halted: RetryableOutcome | undefined;
      for (const batch of batches(events, bus, outcomes)) {
        const inBatch = batch.indexes.map((index) => events[index] as CloudEvent);
        let results: DeliveryOutcome[];
        if (halted) {
          const cause = halted;
          results = inBatch.map((event) => notAttempted(event.id, cause));
        } else {
          const answer = await put(inBatch);
          results = answer.outcomes;
          halted = answer.failed;
        }
        batch.indexes.forEach((index, i) => (outcomes[index] = results[i] as DeliveryOutcome));
      }
      return outcomes;
    },
  };
}
