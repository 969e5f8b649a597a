/**
 * Audit events published from the outbox on the real stack: the HTTP and reconcile functions over the
 * ECS and Tablestore emulators (real SDKs, real sockets), the signed webhook sink against real HTTP
 * receivers, the EventBridge sink through `@alicloud/eventbridge` against the EventBridge emulator.
 * Signatures are checked with an HMAC computed here, never with the sink's code. Time moves only on
 * the functions' manual clock, so backoff and the catch-up's cursor are exercised without waiting.
 */
import { createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startEventBridgeEmulator, type RunningEventBridgeEmulator } from '../../emulators/eventbridge/index.js';
import { DELIVERY_RETRY } from '../../shared/events/dispatcher.js';
import { verifySignature } from '../../shared/events/examples/webhook-receiver.mjs';
import { eventObject } from '../fixtures/events.js';
import { ManualClock } from '../support/clock.js';
import { eventbridgeAdmin } from '../support/eventbridge.js';
import { type ReceivedRequest, type Receiver, startReceiver } from '../support/events.js';
import { STACK_KEYS, STACK_REGION, type Stack, startStack } from '../support/stack.js';

const IMAGE = 'm-bp1outboximage01';
const TARGETS = ['2600000000000001', '2600000000000002', '2600000000000003'];
const SECRET = 'whsec-outbox-7d1e4c2a9b3f5e6d8c0a';
const REASON = 'partner rollout through the outbox';
const MINUTE = 60_000;

let stack: Stack | undefined;
let receiver: Receiver | undefined;
let eventbridge: RunningEventBridgeEmulator | undefined;
let clock: ManualClock;
const logs: Record<string, unknown>[] = [];

afterEach(async () => {
  await stack?.close();
  await receiver?.close();
  await eventbridge?.close();
  stack = receiver = eventbridge = undefined;
  logs.length = 0;
});

async function webhookStack(env: Record<string, string> = {}): Promise<Stack> {
  receiver = await startReceiver();
  clock = new ManualClock(new Date());
  stack = await startStack({
    env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, ...env },
    accounts: TARGETS,
    images: [{ regionId: STACK_REGION, imageId: IMAGE }],
    logs,
    clock,
  });
  return stack;
}

/** A share request for `accounts` (pending approval: one share.requested event per account). */
async function requestShare(s: Stack, accounts: readonly string[], requestId: string): Promise<number> {
  const res = await s.invoke(
    'share',
    eventObject('share-request', {
      token: s.tokens.requester,
      path: `/v1/images/${STACK_REGION}/${IMAGE}/share-requests`,
      body: { accountIds: accounts, reason: REASON, attestation: { sensitiveDataRemoved: true } },
      headers: { 'Idempotency-Key': null },
    }),
    requestId,
  );
  return res.statusCode;
}

/** The scheduled reconcile run of the stack's region: it sweeps, then catches every sink up. */
const timerRun = (s: Stack, requestId: string) =>
  s.reconcile({ triggerTime: clock.now().toISOString(), triggerName: 'every-10m', payload: JSON.stringify({ regions: [STACK_REGION] }) }, requestId);

/** Every event in the outbox (what the service recorded), by id. */
async function recordedIds(s: Stack): Promise<string[]> {
  return (await s.runtimes.share.store.readFeed(undefined, 1000)).map((entry) => entry.event.eventId).sort();
}

const idle = async (s: Stack): Promise<void> => {
  await Promise.all(Object.values(s.runtimes).map((rt) => rt.events.idle()));
};

/** `t=<seconds>,v1=<hex>` checked with an HMAC-SHA256 computed here over "<t>.<raw body>". */
function signedAt(request: ReceivedRequest): number {
  const header = String(request.headers['x-isg-signature']);
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  expect(match, header).not.toBeNull();
  const expected = createHmac('sha256', SECRET).update(`${match![1]}.${request.body}`).digest('hex');
  expect(match![2]).toBe(expected);
  return Number(match![1]);
}

const answered = new WeakMap<ReceivedRequest, number>();
/** A receiver answer that records the status it gave. */
const answering = (status: number) => (request: ReceivedRequest, response: ServerResponse) => {
  answered.set(request, status);
  response.writeHead(status).end();
};
/** The receiver is down: every connection is dropped before an answer. */
const down = (_request: ReceivedRequest, response: ServerResponse) => response.socket?.destroy();

describe('webhook sink on the real stack', () => {
  it('publishes what a request recorded right after it answers, signed over "<t>.<raw body>", with the audit event as data', async () => {
    // Prepare
    const s = await webhookStack();
    receiver!.answer(answering(204));

    // Act
    expect(await requestShare(s, TARGETS.slice(0, 2), 'req-publish')).toBe(202);
    await idle(s);

    // Assess: one POST per event, each id an audit event id, each signature ours and fresh
    const audit = (await s.runtimes.share.store.listAudit(STACK_REGION, IMAGE, 10)).items;
    expect(receiver!.requests).toHaveLength(2);
    const now = Math.floor(clock.now().getTime() / 1000);
    for (const request of receiver!.requests) {
      const body = JSON.parse(request.body) as { id: string; type: string; subject: string; data: Record<string, unknown> };
      expect(request.headers['content-type']).toBe('application/cloudevents+json');
      expect(request.headers['x-isg-delivery']).toBe(body.id);
      expect(signedAt(request)).toBe(now);
      expect(verifySignature(SECRET, String(request.headers['x-isg-signature']), request.body, now)).toBe(true);
      expect([body.type, body.subject]).toEqual(['image-share-governor.share.requested', `images/${STACK_REGION}/${IMAGE}`]);
      expect(body.data).toEqual(audit.find((e) => e.eventId === body.id));
    }
    expect((await s.runtimes.share.store.readDeliveries('webhook', '', '\uffff')).map((d) => d.status)).toEqual(['delivered', 'delivered']);
  });

  it('a receiver that does not answer does not hold the request: it completes, and the delivery is recorded once the receiver answers', async () => {
    // Prepare: a receiver that keeps each request open until the test releases it
    const s = await webhookStack();
    const waiting: ServerResponse[] = [];
    receiver!.answer((_request, response) => waiting.push(response));

    // Act
    const status = await requestShare(s, TARGETS.slice(0, 1), 'req-slow');

    // Assess: answered while the receiver holds the delivery (it never answers before the test says so)
    expect(status).toBe(202);
    await receiver!.received(1);
    expect(waiting).toHaveLength(1);
    expect(await s.runtimes.share.store.readDeliveries('webhook', '', '\uffff')).toEqual([]);
    const line = logs.find((l) => l.requestId === 'req-slow');
    expect(line).toMatchObject({ status: 202, events: 1 });

    // Act: the receiver answers
    waiting[0]!.writeHead(204).end();
    await idle(s);
    expect((await s.runtimes.share.store.readDeliveries('webhook', '', '\uffff')).map((d) => d.status)).toEqual(['delivered']);
  });

  it('a signature is refused outside the replay window, and a retry is signed afresh', async () => {
    // Prepare: the first attempt fails
    const s = await webhookStack();
    receiver!.answer(answering(503));
    await requestShare(s, TARGETS.slice(0, 1), 'req-replay');
    await idle(s);
    const [first] = receiver!.requests;
    const t1 = signedAt(first!);

    // Act: ten minutes on, the catch-up retries
    clock.advance(10 * MINUTE);
    receiver!.answer(answering(204));
    await timerRun(s, 'run-replay');

    // Assess
    const retry = receiver!.requests.find((r) => r !== first && r.headers['x-isg-delivery'] === first!.headers['x-isg-delivery'])!;
    expect(retry.body).toBe(first!.body);
    expect(signedAt(retry)).toBe(t1 + 600);
    expect(verifySignature(SECRET, String(first!.headers['x-isg-signature']), first!.body, t1 + 600)).toBe(false);
    expect(verifySignature(SECRET, String(first!.headers['x-isg-signature']), first!.body, t1 + 300)).toBe(true);
    expect(verifySignature(SECRET, String(retry.headers['x-isg-signature']), retry.body, t1 + 600)).toBe(true);
  });

  it('a receiver down and then up loses nothing, and no id is delivered that was not recorded', async () => {
    // Prepare: the receiver is down while three requests record their events
    const s = await webhookStack();
    receiver!.answer(down);
    for (const [i, account] of TARGETS.entries()) expect(await requestShare(s, [account], `req-down-${i}`)).toBe(202);
    await idle(s);
    clock.advance(10 * MINUTE);
    await timerRun(s, 'run-down-1');
    const whileDown = (await s.runtimes.share.store.listDeliveries({ status: 'retrying', sink: 'webhook' }, 100)).items;

    // Act: the receiver comes back; the next runs catch up
    receiver!.answer(answering(204));
    clock.advance(10 * MINUTE);
    await timerRun(s, 'run-up-1');
    clock.advance(10 * MINUTE);
    await timerRun(s, 'run-up-2');

    // Assess: every recorded event arrived (with a 2xx), each id is a recorded one, a repeat carries the same body
    expect(whileDown.length).toBeGreaterThanOrEqual(3);
    const recorded = await recordedIds(s);
    const accepted = receiver!.requests.filter((r) => answered.get(r) === 204);
    const ids = receiver!.requests.map((r) => String(r.headers['x-isg-delivery']));
    expect([...new Set(accepted.map((r) => String(r.headers['x-isg-delivery'])))].sort()).toEqual(recorded.slice().sort());
    expect(ids.filter((id) => !recorded.includes(id))).toEqual([]);
    for (const id of new Set(ids)) expect(new Set(receiver!.requests.filter((r) => r.headers['x-isg-delivery'] === id).map((r) => r.body)).size).toBe(1);
    expect((await s.runtimes.share.store.listDeliveries({ status: 'retrying' }, 100)).items).toEqual([]);
    // Once delivered, a later pass sends nothing again.
    const sent = receiver!.requests.length;
    clock.advance(10 * MINUTE);
    await timerRun(s, 'run-up-3');
    expect(receiver!.requests.slice(sent).map((r) => JSON.parse(r.body).type)).toEqual(['image-share-governor.reconcile.completed']);
  });

  it('delivers an event that became visible after newer ones had been delivered', async () => {
    // Prepare: a request's event is delivered; then an event stamped a minute earlier becomes visible
    const s = await webhookStack();
    receiver!.answer(answering(204));
    await requestShare(s, TARGETS.slice(0, 1), 'req-first');
    await idle(s);
    clock.advance(5 * MINUTE);
    await timerRun(s, 'run-late-1');
    const late = { ...(await s.runtimes.share.store.listAudit(STACK_REGION, IMAGE, 1)).items[0]!, eventId: 'late0123456789abcdef0123456789ab' };
    await s.runtimes.share.store.appendAudit([{ ...late, at: new Date(Date.parse(late.at) - MINUTE).toISOString() }]);

    // Act
    clock.advance(10 * MINUTE);
    await timerRun(s, 'run-late-2');

    // Assess: delivered by the catch-up, once
    expect(receiver!.requests.filter((r) => r.headers['x-isg-delivery'] === late.eventId)).toHaveLength(1);
    expect((await recordedIds(s)).filter((id) => !receiver!.requests.some((r) => r.headers['x-isg-delivery'] === id))).toEqual([]);
  });

  it('two scheduled runs at once, and a hand-over repeated, deliver only recorded ids', async () => {
    // Prepare
    const s = await webhookStack();
    receiver!.answer(answering(204));
    await requestShare(s, TARGETS.slice(0, 2), 'req-twice');
    await idle(s);
    const recorded = (await s.runtimes.share.store.listAudit(STACK_REGION, IMAGE, 10)).items;

    // Act: the hand-over again (a retried invocation), then two timer firings together
    await s.runtimes.share.events.deliverRecorded(recorded);
    clock.advance(10 * MINUTE);
    await Promise.all([timerRun(s, 'run-twin-1'), timerRun(s, 'run-twin-2')]);

    // Assess: every id received is one the service recorded, and every recorded one arrived
    const received = new Set(receiver!.requests.map((r) => String(r.headers['x-isg-delivery'])));
    const ids = await recordedIds(s);
    expect([...received].filter((id) => !ids.includes(id))).toEqual([]);
    expect(ids.filter((id) => !received.has(id))).toEqual([]);
  });

  it('dead-letters after the bound and shows it at GET /v1/deliveries?status=failed', async () => {
    // Prepare: a receiver that always fails
    const s = await webhookStack();
    receiver!.answer(answering(500));
    await requestShare(s, TARGETS.slice(0, 1), 'req-dead');
    await idle(s);
    const [eventId] = receiver!.requests.map((r) => String(r.headers['x-isg-delivery']));

    // Act: a scheduled run every hour, more often than the bound needs
    for (let run = 0; run < DELIVERY_RETRY.maxAttempts + 2; run++) {
      clock.advance(61 * MINUTE);
      await timerRun(s, `run-dead-${run}`);
    }
    const res = await s.invoke('describe', eventObject('list-deliveries', { token: s.tokens.auditor, query: { status: 'failed', sink: 'webhook' } }), 'req-list');

    // Assess: exactly the bound of attempts, then listed with its reason
    expect(receiver!.requests.filter((r) => r.headers['x-isg-delivery'] === eventId)).toHaveLength(DELIVERY_RETRY.maxAttempts);
    expect(res.statusCode).toBe(200);
    const { items } = JSON.parse(res.body) as { items: Record<string, unknown>[] };
    expect(items.find((d) => d.eventId === eventId)).toEqual({
      sink: 'webhook',
      eventId,
      type: 'image-share-governor.share.requested',
      subject: `images/${STACK_REGION}/${IMAGE}`,
      status: 'failed',
      attempts: DELIVERY_RETRY.maxAttempts,
      lastReason: `HTTP 500 (gave up after ${DELIVERY_RETRY.maxAttempts} attempts)`,
      updatedAt: expect.any(String),
    });
  });

  it('delivers the events an append could not write once the reconciler has moved them from pending audit', async () => {
    // Prepare: the audit table refuses every write, so the request's events are held
    const s = await webhookStack();
    receiver!.answer(answering(204));
    await s.tablestore.admin.addFault({ operation: 'BatchWriteRow', table: 'isg_audit', code: 'OTSServerBusy' });
    expect(await requestShare(s, TARGETS.slice(0, 1), 'req-held')).toBe(202);
    await idle(s);
    expect(receiver!.requests).toEqual([]);

    // Act: the store recovers; the scheduled run moves the held events and catches up
    await s.tablestore.admin.clearFaults();
    clock.advance(30 * MINUTE);
    await timerRun(s, 'run-held');

    // Assess
    const types = receiver!.requests.map((r) => (JSON.parse(r.body) as { type: string; data: { requestId: string } }));
    expect(types.map((e) => [e.type, e.data.requestId]).sort()).toEqual([
      ['image-share-governor.reconcile.completed', 'run-held'],
      ['image-share-governor.share.requested', 'req-held'],
    ]);
  });

  it('no bearer token and no webhook secret in any event, delivery record or log line', async () => {
    const s = await webhookStack();
    receiver!.answer(answering(503));
    await requestShare(s, TARGETS.slice(0, 2), 'req-secrets');
    await idle(s);
    clock.advance(10 * MINUTE);
    await timerRun(s, 'run-secrets');
    const everything = JSON.stringify({
      logs,
      bodies: receiver!.requests.map((r) => r.body),
      headers: receiver!.requests.map((r) => r.headers),
      deliveries: await s.runtimes.share.store.readDeliveries('webhook', '', '\uffff'),
    });
    expect(logs.filter((l) => l.msg === 'events.not_delivered').length).toBeGreaterThan(0);
    for (const token of Object.values(s.tokens)) expect(everything).not.toContain(token);
    expect(everything).not.toContain(SECRET);
    expect(JSON.stringify(receiver!.requests.map((r) => r.body))).toContain(REASON);
    expect(JSON.stringify(logs)).not.toContain(REASON);
  });
});

describe('EventBridge sink on the real stack', () => {
  it('puts the events on the bus through the SDK; an entry that failed is retried by the next catch-up and arrives once', async () => {
    // Prepare: the emulator accepts the functions' keys; its next entry fails
    eventbridge = await startEventBridgeEmulator({ port: 0, buses: ['isg-events'], key: STACK_KEYS });
    const admin = eventbridgeAdmin(eventbridge.endpoint);
    await admin.addFault({ scope: 'entry', code: 'InternalError', count: 1 });
    clock = new ManualClock(new Date());
    stack = await startStack({
      env: { EVENTBRIDGE_ENDPOINT: eventbridge.endpoint, EVENTBRIDGE_BUS: 'isg-events', EVENTBRIDGE_PROTOCOL: 'http' },
      accounts: TARGETS,
      images: [{ regionId: STACK_REGION, imageId: IMAGE }],
      logs,
      clock,
    });

    // Act
    expect(await requestShare(stack, TARGETS.slice(0, 2), 'req-eb')).toBe(202);
    await idle(stack);
    const retrying = (await stack.runtimes.share.store.listDeliveries({ status: 'retrying', sink: 'eventbridge' }, 10)).items;
    clock.advance(10 * MINUTE);
    await timerRun(stack, 'run-eb');

    // Assess: one entry failed, then every recorded event is on the bus exactly once, as a CloudEvent
    expect(retrying).toMatchObject([{ status: 'retrying', attempts: 1, lastReason: expect.stringContaining('InternalError') }]);
    const onBus = (await admin.events())['isg-events']!;
    expect(onBus.map((e) => String(e.id)).sort()).toEqual(await recordedIds(stack));
    expect(onBus.map((e) => e.type).sort()).toEqual([
      'image-share-governor.reconcile.completed',
      'image-share-governor.share.requested',
      'image-share-governor.share.requested',
    ]);
    expect(onBus.every((e) => e.source === 'image-share-governor' && e.aliyuneventbusname === 'isg-events')).toBe(true);
    expect((await stack.runtimes.share.store.listDeliveries({ status: 'retrying' }, 10)).items).toEqual([]);
  });
});
