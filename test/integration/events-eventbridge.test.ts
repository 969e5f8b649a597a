/**
 * The EventBridge sink through the real `@alicloud/eventbridge` SDK against the emulator: what lands on
 * the bus, batching within the PutEvents limits, refused signatures and tokens, per-entry failures
 * reported per event, request faults, timeouts, and the configuration it refuses.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEventBridgeEmulator, startEventBridgeEmulator } from '../../emulators/eventbridge/index.js';
import { ConfigError } from '../../shared/config.js';
import type { Credentials } from '../../shared/credentials.js';
import { createEventBridgeSink, type EventBridgeSinkOptions, PUT_EVENTS_LIMITS } from '../../shared/events/eventbridge.js';
import { type EventBridgeAdmin, eventbridgeAdmin } from '../support/eventbridge.js';
import { auditEvent, cloudEvents } from '../support/events.js';
import { toCloudEvent } from '../../shared/events/envelope.js';

const BUS = 'isg-events';
const KEY = { accessKeyId: 'LTAIsinkkey00001', accessKeySecret: 'sink-secret-b7e1c9d3' };

let emulator: RunningEventBridgeEmulator;
let admin: EventBridgeAdmin;

beforeEach(async () => {
  emulator = await startEventBridgeEmulator({ key: KEY, buses: [BUS] });
  admin = eventbridgeAdmin(emulator.endpoint);
});

afterEach(async () => {
  await emulator.close();
});

const sink = (options: Partial<EventBridgeSinkOptions> = {}) =>
  createEventBridgeSink({ endpoint: emulator.endpoint, bus: BUS, protocol: 'http', credentials: () => KEY, ...options });

const storedIds = async (bus = BUS) => ((await admin.events())[bus] ?? []).map((event) => event['id']);

describe('EventBridge sink delivery', () => {
  it('puts each CloudEvent on the bus as the envelope, its data the audit event', async () => {
    // Prepare
    const event = toCloudEvent(auditEvent());

    // Act
    const outcomes = await sink().deliver([event]);

    // Assess
    expect(outcomes).toEqual([{ eventId: event.id, status: 'delivered' }]);
    expect(await admin.events()).toEqual({ [BUS]: [{ ...event, aliyuneventbusname: BUS }] });
  });

  it('sends 16 events per request at most, in order, one outcome per event', async () => {
    // Prepare
    const events = cloudEvents(40);

    // Act
    const outcomes = await sink().deliver(events);

    // Assess
    expect(outcomes).toEqual(events.map((event) => ({ eventId: event.id, status: 'delivered' })));
    expect((await admin.calls()).map((call) => [call.status, call.entries])).toEqual([
      [200, 16],
      [200, 16],
      [200, 8],
    ]);
    expect(await storedIds()).toEqual(events.map((event) => event.id));
  });

  it('keeps every request within 256 KB, splitting by size before the count is reached', async () => {
    // Prepare: 16 events of about 40 KB each, 640 KB in all.
    const events = cloudEvents(16, { detail: 'd'.repeat(40_000) });

    // Act
    const outcomes = await sink().deliver(events);

    // Assess
    expect(outcomes.every((outcome) => outcome.status === 'delivered')).toBe(true);
    const sizes = (await admin.calls()).map((call) => call.entries);
    expect(sizes).toEqual([6, 6, 4]);
    expect(Math.max(...sizes.map(Number)) * 40_000).toBeLessThanOrEqual(PUT_EVENTS_LIMITS.maxBatchBytes);
  });

  it('reports an event over 64 KB as permanent without sending it, and delivers the rest', async () => {
    // Prepare
    const events = [...cloudEvents(1), ...cloudEvents(1, { eventId: 'huge', detail: 'h'.repeat(70_000) }), ...cloudEvents(2, { action: 'share.approved' }).map((e, i) => ({ ...e, id: `later-${i}` }))];

    // Act
    const outcomes = await sink().deliver(events);

    // Assess
    expect(outcomes.map((o) => [o.eventId, o.status])).toEqual([
      ['ev-0', 'delivered'],
      ['huge', 'permanent'],
      ['later-0', 'delivered'],
      ['later-1', 'delivered'],
    ]);
    expect(outcomes[1]).toMatchObject({ reason: expect.stringMatching(/^the event is \d+ bytes, over EventBridge's 65536-byte limit$/) });
    expect((await admin.calls()).map((call) => call.entries)).toEqual([3]);
  });

  it('answers an empty list with no outcome and no request', async () => {
    expect(await sink().deliver([])).toEqual([]);
    expect(await admin.calls()).toEqual([]);
  });
});

describe('EventBridge sink failures', () => {
  it('reports a refused signature as permanent for every event, and nothing reaches the bus', async () => {
    // Act
    const outcomes = await sink({ credentials: () => ({ ...KEY, accessKeySecret: 'rotated-away' }) }).deliver(cloudEvents(2));

    // Assess
    const refused = { status: 'permanent', reason: expect.stringMatching(/^EventBridge refused the request: SignatureDoesNotMatch: \[EventBridgeError-[0-9A-F-]+\] The request signature/) };
    expect(outcomes).toEqual([
      { eventId: 'ev-0', ...refused },
      { eventId: 'ev-1', ...refused },
    ]);
    expect(await storedIds()).toEqual([]);
  });

  it('asks for credentials on every call: a rotated STS key is used at once', async () => {
    // Prepare: the emulator knows only the new STS key; the source hands out the old token first.
    await emulator.close();
    emulator = await startEventBridgeEmulator({ key: { ...KEY, securityToken: 'token-2' }, buses: [BUS] });
    admin = eventbridgeAdmin(emulator.endpoint);
    let current: Credentials = { ...KEY, securityToken: 'token-1' };
    const rotating = sink({ credentials: () => current });

    // Act
    const before = await rotating.deliver(cloudEvents(1, { eventId: 'before' }));
    current = { ...KEY, securityToken: 'token-2' };
    const after = await rotating.deliver(cloudEvents(1, { eventId: 'after' }));

    // Assess: an expired or replaced token is worth another try, with the next credentials.
    expect(before).toEqual([{ eventId: 'before', status: 'retryable', reason: expect.stringContaining('SecurityTokenInvalid') }]);
    expect(after).toEqual([{ eventId: 'after', status: 'delivered' }]);
    expect(await storedIds()).toEqual(['after']);
  });

  it('reports missing credentials as retryable, without a request', async () => {
    // Act
    const outcomes = await sink({
      credentials: () => {
        throw new Error('No credentials: the function has no role');
      },
    }).deliver(cloudEvents(2));

    // Assess
    expect(outcomes).toEqual([
      { eventId: 'ev-0', status: 'retryable', reason: 'no credentials are available for EventBridge' },
      { eventId: 'ev-1', status: 'retryable', reason: 'no credentials are available for EventBridge' },
    ]);
    expect(await admin.calls()).toEqual([]);
  });

  it('reports a bus that does not exist as permanent, per event', async () => {
    // Act
    const outcomes = await sink({ bus: 'no-such-bus' }).deliver(cloudEvents(2));

    // Assess
    expect(outcomes).toEqual([
      { eventId: 'ev-0', status: 'permanent', reason: 'EventBridge refused the event: EventBusNotExist: The event bus [no-such-bus] not existed!' },
      { eventId: 'ev-1', status: 'permanent', reason: 'EventBridge refused the event: EventBusNotExist: The event bus [no-such-bus] not existed!' },
    ]);
  });

  it('reports one failed entry of an accepted request for that event alone', async () => {
    // Prepare
    await admin.addFault({ scope: 'entry', code: 'InternalError', message: 'entry not stored', count: 1 });
    await admin.addFault({ scope: 'entry', code: 'InvalidArgument', message: 'entry refused', count: 1 });
    await admin.addFault({ scope: 'entry', code: 'BrandNewCode', count: 1 });

    // Act
    const outcomes = await sink().deliver(cloudEvents(4));

    // Assess: a server error and a code never seen before may pass next time; InvalidArgument never will.
    expect(outcomes).toEqual([
      { eventId: 'ev-0', status: 'retryable', reason: 'EventBridge refused the event: InternalError: entry not stored' },
      { eventId: 'ev-1', status: 'permanent', reason: 'EventBridge refused the event: InvalidArgument: entry refused' },
      { eventId: 'ev-2', status: 'retryable', reason: 'EventBridge refused the event: BrandNewCode: Injected fault: BrandNewCode.' },
      { eventId: 'ev-3', status: 'delivered' },
    ]);
    expect(await storedIds()).toEqual(['ev-3']);
  });

  it('reports a throttled request as retryable and does not send the remaining batches of the call', async () => {
    // Prepare
    await admin.addFault({ code: 'TooManyRequests', count: 1 });

    // Act
    const outcomes = await sink().deliver(cloudEvents(20));

    // Assess
    expect(outcomes[0]).toEqual({ eventId: 'ev-0', status: 'retryable', reason: expect.stringMatching(/^EventBridge refused the request: TooManyRequests: /) });
    expect(outcomes.slice(0, 16).every((o) => o.status === 'retryable' && o.reason === (outcomes[0] as { reason: string }).reason)).toBe(true);
    expect(outcomes.slice(16)).toEqual(
      cloudEvents(20)
        .slice(16)
        .map((event) => ({ eventId: event.id, status: 'retryable', reason: `not attempted: ${(outcomes[0] as { reason: string }).reason}`, attempted: false })),
    );
    expect((await admin.calls()).map((call) => [call.status, call.code])).toEqual([[429, 'TooManyRequests']]);
  });

  it('goes on with the next batch after a request refused for good', async () => {
    // Prepare
    await admin.addFault({ code: 'InvalidArgument', status: 400, count: 1 });

    // Act
    const outcomes = await sink().deliver(cloudEvents(17));

    // Assess
    expect(outcomes.slice(0, 16).every((o) => o.status === 'permanent')).toBe(true);
    expect(outcomes[16]).toEqual({ eventId: 'ev-16', status: 'delivered' });
  });

  it('gives up on a request slower than the read timeout, as retryable', async () => {
    // Prepare
    await admin.addFault({ latencyMs: 2000, count: 1 });

    // Act
    const outcomes = await sink({ readTimeoutMs: 200 }).deliver(cloudEvents(1));

    // Assess
    expect(outcomes).toEqual([{ eventId: 'ev-0', status: 'retryable', reason: expect.stringMatching(/^no answer from EventBridge \(RequestTimeoutError\): ReadTimeout/) }]);
  });

  it('sends a request once more when the kept-alive connection turns out closed (a restarted server, a thawed instance)', async () => {
    // Prepare: one delivery leaves a kept-alive connection; the emulator goes away and comes back on the same port.
    const kept = sink();
    await kept.deliver(cloudEvents(1, { eventId: 'first' }));
    const port = Number(emulator.endpoint.split(':')[1]);
    await emulator.close();
    emulator = await startEventBridgeEmulator({ key: KEY, buses: [BUS], port });
    admin = eventbridgeAdmin(emulator.endpoint);

    // Act
    const outcomes = await kept.deliver(cloudEvents(1, { eventId: 'second' }));

    // Assess
    expect(outcomes).toEqual([{ eventId: 'second', status: 'delivered' }]);
    expect(await storedIds()).toEqual(['second']);
  });

  it('reports an endpoint nobody listens on as retryable', async () => {
    // Prepare
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    // Act
    const outcomes = await sink({ endpoint: `127.0.0.1:${port}` }).deliver(cloudEvents(1));

    // Assess
    expect(outcomes).toEqual([{ eventId: 'ev-0', status: 'retryable', reason: expect.stringMatching(/^no answer from EventBridge \(ECONNREFUSED\)/) }]);
  });

  it('never puts the AccessKey secret or the security token into an outcome', async () => {
    // Prepare
    await emulator.close();
    emulator = await startEventBridgeEmulator({ key: { ...KEY, securityToken: 'sts-token-abcdef123456' }, buses: [BUS] });
    admin = eventbridgeAdmin(emulator.endpoint);
    await admin.addFault({ scope: 'entry', code: 'InternalError', count: 1 });

    // Act
    const seen = [
      await sink({ credentials: () => ({ ...KEY, securityToken: 'sts-token-abcdef123456' }) }).deliver(cloudEvents(2)),
      await sink({ credentials: () => ({ ...KEY, accessKeySecret: 'wrong-secret-zyxw', securityToken: 'sts-token-abcdef123456' }) }).deliver(cloudEvents(1)),
      await sink({ credentials: () => ({ ...KEY, securityToken: 'other-token-987654' }) }).deliver(cloudEvents(1)),
    ];

    // Assess
    const text = JSON.stringify(seen);
    expect(seen.flat().map((o) => o.status)).toEqual(['retryable', 'delivered', 'permanent', 'retryable']);
    for (const secret of [KEY.accessKeySecret, 'wrong-secret-zyxw', 'sts-token-abcdef123456', 'other-token-987654']) expect(text).not.toContain(secret);
  });
});

describe('EventBridge sink configuration', () => {
  const refusal = (options: Partial<EventBridgeSinkOptions>): ConfigError => {
    try {
      createEventBridgeSink({ endpoint: '1234567890123456.eventbridge.cn-hangzhou.aliyuncs.com', bus: BUS, credentials: () => KEY, ...options });
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('accepted');
  };

  it.each<[string, Partial<EventBridgeSinkOptions>, string]>([
    ['an endpoint with a scheme', { endpoint: 'https://1234567890123456.eventbridge.cn-hangzhou.aliyuncs.com' }, 'EVENTBRIDGE_ENDPOINT'],
    ['an endpoint with a path', { endpoint: 'eventbridge.example.com/openapi' }, 'EVENTBRIDGE_ENDPOINT'],
    ['a bus name with a space', { bus: 'isg events' }, 'EVENTBRIDGE_BUS'],
    ['a bus name over 127 characters', { bus: 'b'.repeat(128) }, 'EVENTBRIDGE_BUS'],
    ['plain http to a remote endpoint', { protocol: 'http' }, 'EVENTBRIDGE_PROTOCOL'],
    ['a read timeout of zero', { readTimeoutMs: 0 }, 'EVENTBRIDGE_READ_TIMEOUT_MS'],
    ['a connect timeout of ten minutes', { connectTimeoutMs: 600_000 }, 'EVENTBRIDGE_CONNECT_TIMEOUT_MS'],
  ])('refuses %s, naming the variable', (_what, options, variable) => {
    expect(refusal(options).variable).toBe(variable);
  });

  it('takes https to any endpoint and http to a loopback one, and names bus and endpoint as its target', () => {
    expect(createEventBridgeSink({ endpoint: '1234567890123456.eventbridge.cn-hangzhou.aliyuncs.com', bus: BUS, credentials: () => KEY })).toMatchObject({
      name: 'eventbridge',
      target: `bus ${BUS} at 1234567890123456.eventbridge.cn-hangzhou.aliyuncs.com`,
    });
    expect(createEventBridgeSink({ endpoint: 'localhost:8103', bus: BUS, protocol: 'http', credentials: () => KEY }).name).toBe('eventbridge');
  });
});
