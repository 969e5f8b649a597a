// The signed webhook sink: one structured-mode CloudEvent per POST, signed so the receiver can tell
// it came from this service and when (design: "Events for people and workflows"). Node's own http and
// https clients, so connect and total timeouts are both bounded and nothing is added to the bundle.
import { createHmac } from 'node:crypto';
import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Clock } from '../domain/ports.js';
import { mapLimit } from '../domain/util.js';
import type { CloudEvent } from './envelope.js';
import { type WebhookSettings, checkWebhook } from './options.js';
import { type DeliveryOutcome, type EventSink, type RetryableOutcome, delivered, notAttempted, permanent, retryable } from './sink.js';

export const DELIVERY_HEADER = 'x-isg-delivery';
export const SIGNATURE_HEADER = 'x-isg-signature';
export const WEBHOOK_CONTENT_TYPE = 'application/cloudevents+json';

/** Retry-After hints beyond a day are taken as a day: the dispatcher's own cap decides anyway. */
const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;
const USER_AGENT = 'image-share-governor-webhook/1';

export interface WebhookSinkOptions extends WebhookSettings {
  /** Deliveries in flight at once; default 4. */
  readonly concurrency?: number;
  /** Signs `t=` with it; default the system clock. */
  readonly clock?: Clock;
}

/** One delivery's outcome; `halt` when the receiver is unreachable or asks us to slow down, so later events in the call wait. */
type Attempt = { readonly outcome: DeliveryOutcome; readonly halt?: undefined } | { readonly outcome: RetryableOutcome; readonly halt: true };

/** Retry-After as milliseconds from now: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now.getTime();
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** 2xx delivered; 408, 429 and 5xx may succeed later; anything else (other 4xx, redirects) never will. */
function fromStatus(eventId: string, response: IncomingMessage, now: Date): Attempt {
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return { outcome: delivered(eventId) };
  if (status === 408 || status === 429 || status >= 500) {
    const header = response.headers['retry-after'];
    const hint = retryAfterMs(Array.isArray(header) ? header[0] : header, now);
    const outcome = retryable(eventId, `HTTP ${status}`, hint);
    return status === 429 ? { outcome, halt: true } : { outcome };
  }
  const why = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return { outcome: permanent(eventId, `HTTP ${status}${why}`) };
}

class DeliveryTimeout extends Error {
  constructor(readonly phase: 'connect' | 'response', readonly ms: number) {
    super(`${phase} timed out after ${ms} ms`);
  }
}

/** Creates the sink. Throws ConfigError (naming WEBHOOK_URL, WEBHOOK_SECRET, …) for unusable options. */
export function createWebhookSink(options: WebhookSinkOptions): EventSink {
  // The secret is held in this closure only: no property of the sink, so neither inspecting nor serialising it shows it.
  const { url: href, secret, connectTimeoutMs, timeoutMs, target } = checkWebhook(options);
  const url = new URL(href);
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new RangeError('webhook concurrency must be an integer from 1 to 64');
  const clock = options.clock ?? { now: () => new Date() };
  const secure = url.protocol === 'https:';

  const sign = (t: number, body: string): string => `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;

  function send(event: CloudEvent, agent: HttpAgent): Promise<Attempt> {
    const body = JSON.stringify(event);
    const t = Math.floor(clock.now().getTime() / 1000);
    const headers = {
      'content-type': WEBHOOK_CONTENT_TYPE,
      'content-length': String(Buffer.byteLength(body)),
      [DELIVERY_HEADER]: event.id,
      [SIGNATURE_HEADER]: sign(t, body),
      'user-agent': USER_AGENT,
    };
    return new Promise<Attempt>((resolve) => {
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const settle = (attempt: Attempt) => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        resolve(attempt);
      };
      const request: ClientRequest = (secure ? httpsRequest : httpRequest)(url, { method: 'POST', headers, agent });
      const fail = (phase: 'connect' | 'response', ms: number) => request.destroy(new DeliveryTimeout(phase, ms));
      timers.push(setTimeout(() => fail('response', timeoutMs), timeoutMs));
      request.on('socket', (socket) => {
        // A socket reused within this call is connected already; a new one must connect in time.
        if (!socket.connecting) return;
        const timer = setTimeout(() => fail('connect', connectTimeoutMs), connectTimeoutMs);
        timers.push(timer);
        socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
      });
      request.on('response', (response) => {
        settle(fromStatus(event.id, response, clock.now()));
        // Only the status matters; the body is read and dropped so the connection can serve the next event.
        response.resume();
        response.on('error', () => undefined);
      });
      request.on('error', (error: Error & { code?: string }) => {
        const reason = error instanceof DeliveryTimeout ? error.message : `connection failed (${error.code ?? error.name})`;
        settle({ outcome: retryable(event.id, reason), halt: true });
      });
      request.end(body);
    });
  }

  return {
    name: 'webhook',
    target,
    async deliver(events) {
      const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: concurrency }) : new HttpAgent({ keepAlive: true, maxSockets: concurrency });
      let halted: RetryableOutcome | undefined;
      try {
        return await mapLimit(events, concurrency, async (event) => {
          if (halted) return notAttempted(event.id, halted);
          const attempt = await send(event, agent);
          if (attempt.halt) halted ??= attempt.outcome;
          return attempt.outcome;
        });
      } finally {
        // Connections live for one call only: a socket kept across a frozen FC instance would be stale.
        agent.destroy();
      }
    },
  };
}
