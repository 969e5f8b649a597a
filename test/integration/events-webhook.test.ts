/**
 * The signed webhook sink against real HTTP servers on port 0: the request it sends (checked with an
 * HMAC computed here, not with the sink's code, and by the README's receiver example), how each
 * answer becomes an outcome, bounded timeouts, the URL and secret rules, and a secret that never
 * shows up in an outcome, an error, a log line or the sink object itself.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config.js';
import type { CloudEvent } from '../../shared/events/envelope.js';
import { createReceiver, verifySignature } from '../../shared/events/examples/webhook-receiver.mjs';
import type { DeliveryOutcome } from '../../shared/events/sink.js';
import { createWebhookSink, retryAfterMs, type WebhookSinkOptions } from '../../shared/events/webhook.js';
import { ManualClock } from '../support/clock.js';
import { type Receiver, cloudEvents, startReceiver } from '../support/events.js';

const SECRET = 'whsec-7f3c9a1e5b2d4f60a8c1e3b5d7f9a2c4';
const T = '2026-03-01T10:00:00.000Z';
const T_SECONDS = Date.parse(T) / 1000;

let receiver: Receiver;
let clock: ManualClock;

beforeEach(async () => {
  receiver = await startReceiver();
  clock = new ManualClock(T);
});

afterEach(async () => {
  await receiver.close();
});

const sink = (options: Partial<WebhookSinkOptions> = {}) => createWebhookSink({ url: receiver.url, secret: SECRET, clock, ...options });

/** HMAC-SHA256 over `<t>.<body>`, as the contract defines it, computed independently of the sink. */
const expectedSignature = (secret: string, t: string, body: string) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Accepts TCP connections and never says a word (no TLS handshake, no HTTP answer). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('webhook sink requests', () => {
  it('POSTs one structured CloudEvent per request with the delivery id and a signature over "<t>.<raw body>"', async () => {
    // Prepare
    const events = cloudEvents(2);

    // Act
    const outcomes = await sink().deliver(events);

    // Assess
    expect(outcomes).toEqual([
      { eventId: 'ev-0', status: 'delivered' },
      { eventId: 'ev-1', status: 'delivered' },
    ]);
    expect(receiver.requests).toHaveLength(2);
    const byId = new Map(receiver.requests.map((request) => [request.headers['x-isg-delivery'], request]));
    for (const event of events) {
      const request = byId.get(event.id)!;
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/hook');
      expect(request.headers['content-type']).toBe('application/cloudevents+json');
      expect(JSON.parse(request.body)).toEqual(event);
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-isg-signature']));
      expect(match?.[1]).toBe(String(T_SECONDS));
      expect(match?.[2]).toBe(expectedSignature(SECRET, match![1]!, request.body));
      expect(match?.[2]).not.toBe(expectedSignature('another-secret-of-16+', match![1]!, request.body));
    }
  });

  it('signs with the time of sending, so a retry later carries a later t and a fresh signature', async () => {
    // Prepare
    const [event] = cloudEvents(1);

    // Act
    await sink().deliver([event!]);
    clock.advance(90_000);
    await sink().deliver([event!]);

    // Assess
    const [first, retry] = receiver.requests.map((request) => String(request.headers['x-isg-signature']));
    expect(first).toMatch(new RegExp(`^t=${T_SECONDS},v1=`));
    expect(retry).toMatch(new RegExp(`^t=${T_SECONDS + 90},v1=`));
    expect(receiver.requests[1]!.body).toBe(receiver.requests[0]!.body);
  });

  it('is verified by the README receiver example, which refuses a wrong secret, an old t and handles a repeat once', async () => {
    // Prepare: the example receiver, run as a receiver would run it, on the real clock.
    const handled: CloudEvent[] = [];
    const example = createReceiver(SECRET, (event) => void handled.push(event as CloudEvent));
    await new Promise<void>((resolve) => example.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(example.address() as AddressInfo).port}/events`;
    const events = cloudEvents(2);

    try {
      // Act
      const first = await createWebhookSink({ url, secret: SECRET }).deliver(events);
      const repeat = await createWebhookSink({ url, secret: SECRET }).deliver([events[0]!]);
      const wrongSecret = await createWebhookSink({ url, secret: 'not-the-receivers-secret' }).deliver(cloudEvents(1, { eventId: 'forged' }));
      const stale = await createWebhookSink({ url, secret: SECRET, clock: { now: () => new Date(Date.now() - 6 * 60_000) } }).deliver(
        cloudEvents(1, { eventId: 'replayed' }),
      );

      // Assess
      expect(first.map((o) => o.status)).toEqual(['delivered', 'delivered']);
      expect(repeat).toEqual([{ eventId: 'ev-0', status: 'delivered' }]);
      expect(wrongSecret).toEqual([{ eventId: 'forged', status: 'permanent', reason: 'HTTP 401' }]);
      expect(stale).toEqual([{ eventId: 'replayed', status: 'permanent', reason: 'HTTP 401' }]);
      expect(handled.map((event) => event.id).sort()).toEqual(['ev-0', 'ev-1']);
    } finally {
      await new Promise<void>((resolve) => example.close(() => resolve()));
    }
  });

  it('example receiver: trusts x-isg-delivery only when it names the signed body, so a replayed body under a new id is refused', async () => {
    // Prepare: a body signed with the right secret, sent under another delivery id.
    const handled: unknown[] = [];
    const example = createReceiver(SECRET, (event) => void handled.push(event));
    await new Promise<void>((resolve) => example.listen(0, '127.0.0.1', resolve));
    const [event] = cloudEvents(1);
    const body = JSON.stringify(event);
    const t = String(Math.floor(Date.now() / 1000));
    const send = (delivery: string) =>
      fetch(`http://127.0.0.1:${(example.address() as AddressInfo).port}/`, {
        method: 'POST',
        headers: { 'x-isg-signature': `t=${t},v1=${expectedSignature(SECRET, t, body)}`, 'x-isg-delivery': delivery },
        body,
      });

    try {
      // Act
      const swapped = await send('another-id');
      const genuine = await send(event!.id);

      // Assess
      expect([swapped.status, genuine.status]).toEqual([400, 204]);
      expect(handled).toEqual([event]);
    } finally {
      await new Promise<void>((resolve) => example.close(() => resolve()));
    }
  });

  it('README shows the receiver example exactly as the tests run it, and the project README its signature check', () => {
    const readme = readFileSync(new URL('../../shared/events/README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../../shared/events/examples/webhook-receiver.mjs', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`js\n${example}\`\`\`\n`);
    const project = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const shown = /\n## Events\n[\s\S]*?```js\n([\s\S]*?)```\n/.exec(project)?.[1];
    expect(shown).toBeDefined();
    expect(example.startsWith(shown!)).toBe(true);
    expect(shown).toContain('export function verifySignature');
  });

  it('example verifySignature: accepts the right signature within five minutes either way, and nothing else', () => {
    // Prepare
    const body = '{"id":"x"}';
    const sig = (t: number, secret = SECRET) => `t=${t},v1=${expectedSignature(secret, String(t), body)}`;
    const now = 1_800_000_000;

    // Assess
    expect(verifySignature(SECRET, sig(now), body, now)).toBe(true);
    expect(verifySignature(SECRET, sig(now - 300), body, now)).toBe(true);
    expect(verifySignature(SECRET, sig(now + 300), body, now)).toBe(true);
    expect(verifySignature(SECRET, sig(now - 301), body, now)).toBe(false);
    expect(verifySignature(SECRET, sig(now, 'wrong-secret-value'), body, now)).toBe(false);
    expect(verifySignature(SECRET, sig(now), `${body} `, now)).toBe(false);
    expect(verifySignature(SECRET, undefined, body, now)).toBe(false);
    expect(verifySignature(SECRET, `t=${now},v1=abc`, body, now)).toBe(false);
  });

  it('keeps at most `concurrency` deliveries in flight', async () => {
    // Prepare: the receiver holds every answer until two requests are open (or a moment has passed).
    let open = 0;
    let most = 0;
    const held: (() => void)[] = [];
    receiver.answer((_request, response) => {
      open += 1;
      most = Math.max(most, open);
      held.push(() => {
        open -= 1;
        response.writeHead(200).end();
      });
      if (held.length >= 2) for (const release of held.splice(0)) release();
      else setTimeout(() => held.splice(0).forEach((release) => release()), 50);
    });

    // Act
    const outcomes = await sink({ concurrency: 2 }).deliver(cloudEvents(7));

    // Assess
    expect(outcomes.every((o) => o.status === 'delivered')).toBe(true);
    expect(receiver.requests).toHaveLength(7);
    expect(most).toBeLessThanOrEqual(2);
  });
});

describe('webhook sink outcomes', () => {
  const statusOutcome = async (status: number, headers: Record<string, string> = {}): Promise<DeliveryOutcome> => {
    receiver.answer((_request, response) => response.writeHead(status, headers).end('{"detail":"receiver text never shown"}'));
    const [outcome] = await sink().deliver(cloudEvents(1));
    return outcome!;
  };

  it.each([200, 201, 202, 204, 299])('HTTP %i is delivered', async (status) => {
    expect(await statusOutcome(status)).toEqual({ eventId: 'ev-0', status: 'delivered' });
  });

  it.each([408, 500, 502, 503, 504])('HTTP %i may be retried', async (status) => {
    expect(await statusOutcome(status)).toEqual({ eventId: 'ev-0', status: 'retryable', reason: `HTTP ${status}` });
  });

  it.each([400, 401, 403, 404, 409, 410, 413, 422])('HTTP %i is permanent', async (status) => {
    expect(await statusOutcome(status)).toEqual({ eventId: 'ev-0', status: 'permanent', reason: `HTTP ${status}` });
  });

  it('does not follow a redirect: the URL is wrong, and the signature must not travel elsewhere', async () => {
    // Act
    const outcome = await statusOutcome(302, { location: 'https://elsewhere.example/hook' });

    // Assess
    expect(outcome).toEqual({ eventId: 'ev-0', status: 'permanent', reason: 'HTTP 302 (redirects are not followed)' });
    expect(receiver.requests).toHaveLength(1);
  });

  it('passes Retry-After on as a hint, in seconds or as an HTTP date, and stops sending the rest of the call on 429', async () => {
    // Prepare
    receiver.answer((_request, response) => response.writeHead(429, { 'retry-after': '120' }).end());

    // Act
    const throttled = await sink({ concurrency: 1 }).deliver(cloudEvents(3));
    receiver.answer((_request, response) => response.writeHead(503, { 'retry-after': new Date(Date.parse(T) + 30_000).toUTCString() }).end());
    const unavailable = await sink().deliver(cloudEvents(1, { eventId: 'u-1' }));

    // Assess
    expect(throttled).toEqual([
      { eventId: 'ev-0', status: 'retryable', reason: 'HTTP 429', retryAfterMs: 120_000 },
      { eventId: 'ev-1', status: 'retryable', reason: 'not attempted: HTTP 429', retryAfterMs: 120_000, attempted: false },
      { eventId: 'ev-2', status: 'retryable', reason: 'not attempted: HTTP 429', retryAfterMs: 120_000, attempted: false },
    ]);
    expect(receiver.requests).toHaveLength(2);
    expect(unavailable).toEqual([{ eventId: 'u-1', status: 'retryable', reason: 'HTTP 503', retryAfterMs: 30_000 }]);
  });

  it('reads Retry-After leniently: an unreadable hint is no hint, a past date is now, a huge one is a day', () => {
    const now = new Date(T);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(' 7 ', now)).toBe(7000);
    expect(retryAfterMs(new Date(Date.parse(T) - 60_000).toUTCString(), now)).toBe(0);
    expect(retryAfterMs('99999999', now)).toBe(24 * 3600 * 1000);
  });

  it('reports a refused connection as retryable and does not try the rest of the call', async () => {
    // Prepare
    const url = `http://127.0.0.1:${await closedPort()}/hook`;

    // Act
    const outcomes = await sink({ url, concurrency: 1 }).deliver(cloudEvents(3));

    // Assess
    expect(outcomes).toEqual([
      { eventId: 'ev-0', status: 'retryable', reason: 'connection failed (ECONNREFUSED)' },
      { eventId: 'ev-1', status: 'retryable', reason: 'not attempted: connection failed (ECONNREFUSED)', attempted: false },
      { eventId: 'ev-2', status: 'retryable', reason: 'not attempted: connection failed (ECONNREFUSED)', attempted: false },
    ]);
  });

  it('gives up on a receiver that accepts the request and never answers, after the total timeout', async () => {
    // Prepare
    receiver.answer(() => undefined);

    // Act
    const outcomes = await sink({ timeoutMs: 300 }).deliver(cloudEvents(1));

    // Assess
    expect(outcomes).toEqual([{ eventId: 'ev-0', status: 'retryable', reason: 'response timed out after 300 ms' }]);
  });

  it('gives up on a TLS handshake that never completes, after the connect timeout', async () => {
    // Prepare: https to a loopback port that accepts TCP and never answers the ClientHello.
    const silent = await silentServer();

    try {
      // Act
      const outcomes = await sink({ url: `https://127.0.0.1:${silent.port}/hook`, connectTimeoutMs: 200, timeoutMs: 5000 }).deliver(cloudEvents(1));

      // Assess
      expect(outcomes).toEqual([{ eventId: 'ev-0', status: 'retryable', reason: 'connect timed out after 200 ms' }]);
    } finally {
      await silent.close();
    }
  });

  it('answers an empty list with no outcome and no request', async () => {
    expect(await sink().deliver([])).toEqual([]);
    expect(receiver.requests).toEqual([]);
  });
});

describe('webhook sink configuration', () => {
  const refusal = (options: Partial<WebhookSinkOptions>): ConfigError => {
    try {
      createWebhookSink({ url: 'https://hooks.example.com/isg', secret: SECRET, ...options });
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('accepted');
  };

  it.each([
    ['http://hooks.example.com/isg', 'WEBHOOK_URL must use https (plain http only to a loopback host), got http://hooks.example.com'],
    ['http://10.0.0.8:8080/isg', 'WEBHOOK_URL must use https (plain http only to a loopback host), got http://10.0.0.8:8080'],
    ['http://[::ffff:127.0.0.1]/isg', 'WEBHOOK_URL must use https (plain http only to a loopback host), got http://[::ffff:7f00:1]'],
    ['http://localhost.example.com/isg', 'WEBHOOK_URL must use https (plain http only to a loopback host), got http://localhost.example.com'],
    ['ftp://hooks.example.com/isg', 'WEBHOOK_URL must use https, got ftp:'],
    ['hooks.example.com/isg', 'WEBHOOK_URL must be an absolute https URL'],
    ['https://user:pass@hooks.example.com/isg', 'WEBHOOK_URL must not carry a user name or password; the signature authenticates the sender'],
  ])('refuses %s', (url, message) => {
    const error = refusal({ url });
    expect(error.variable).toBe('WEBHOOK_URL');
    expect(error.message).toBe(message);
  });

  it.each(['http://127.0.0.1:9/hook', 'http://127.8.9.10/hook', 'http://localhost:8080/hook', 'http://[::1]:8080/hook', 'https://hooks.example.com/isg?team=a'])(
    'accepts %s, and names only its origin as the target',
    (url) => {
      const created = createWebhookSink({ url, secret: SECRET });
      expect(created).toMatchObject({ name: 'webhook', target: new URL(url).origin });
    },
  );

  it('refuses a short secret and unbounded timeouts, naming the variable', () => {
    expect([refusal({ secret: 'short' }).variable, refusal({ secret: 'short' }).message]).toEqual([
      'WEBHOOK_SECRET',
      'WEBHOOK_SECRET must be at least 16 characters (24 or more random bytes recommended)',
    ]);
    expect(refusal({ timeoutMs: 0 }).variable).toBe('WEBHOOK_TIMEOUT_MS');
    expect(refusal({ timeoutMs: 600_000 }).variable).toBe('WEBHOOK_TIMEOUT_MS');
    expect(refusal({ connectTimeoutMs: 1.5 }).variable).toBe('WEBHOOK_CONNECT_TIMEOUT_MS');
    expect(() => createWebhookSink({ url: 'https://hooks.example.com/', secret: SECRET, concurrency: 0 })).toThrow(RangeError);
  });
});

describe('webhook secret', () => {
  it('never appears in an outcome, an error, a log line, or the sink object, whatever fails', async () => {
    // Prepare: capture everything the process writes while deliveries fail in every way.
    const written: string[] = [];
    const original = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    const silent = await silentServer();
    const seen: unknown[] = [];
    try {
      // The receiver answers each attempt differently, echoing the request headers (signature included) in its body.
      const answers = [500, 401, 429, 302, 200];
      receiver.answer((request, response) => response.writeHead(answers.shift() ?? 503, { 'x-echo': String(request.headers['x-isg-signature']) }).end(JSON.stringify(request.headers)));
      const sinks = [
        sink({ concurrency: 1 }),
        sink({ url: `http://127.0.0.1:${await closedPort()}/hook` }),
        sink({ url: `https://127.0.0.1:${silent.port}/hook`, connectTimeoutMs: 150 }),
        sink({ timeoutMs: 150 }),
      ];

      // Act
      seen.push(await sinks[0]!.deliver(cloudEvents(5)));
      seen.push(await sinks[1]!.deliver(cloudEvents(2)));
      seen.push(await sinks[2]!.deliver(cloudEvents(1)));
      receiver.answer(() => undefined);
      seen.push(await sinks[3]!.deliver(cloudEvents(1)));
      for (const bad of [{ secret: `${SECRET.slice(0, 4)}` }, { url: `http://hooks.example.com/${SECRET}` }, { url: `https://${SECRET}@hooks.example.com/` }]) {
        try {
          createWebhookSink({ url: receiver.url, secret: SECRET, ...bad });
        } catch (error) {
          seen.push((error as Error).message, inspect(error), (error as Error).stack);
        }
      }
      seen.push(inspect(sinks, { depth: 10, showHidden: true }), JSON.stringify(sinks));
    } finally {
      process.stdout.write = original.out;
      process.stderr.write = original.err;
      await silent.close();
    }

    // Assess
    const text = JSON.stringify(seen) + written.join('');
    expect(seen.length).toBeGreaterThan(8);
    expect((seen[0] as DeliveryOutcome[]).map((o) => o.status)).toEqual(['retryable', 'permanent', 'retryable', 'retryable', 'retryable']);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECRET.slice(0, 12));
    // Nor any signature (an HMAC under the secret): reasons carry status codes only.
    expect(text).not.toMatch(/v1=[0-9a-f]{64}/);
  });
});
