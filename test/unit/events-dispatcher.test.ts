/**
 * The dispatcher over the in-memory store and scripted sinks: what each outcome records, the budget
 * of the after-request path, and the catch-up pass — where a new sink starts, the cursor as a
 * low-water mark (late events, open deliveries), backoff and the dead letter, a sink that stops
 * answering, the deadline, the lease, and what is forgotten once the cursor has passed it.
 * (test/integration/events-outbox.test.ts runs the same paths on the emulators and real sinks.)
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent, Delivery } from '../../shared/domain/model.js';
import { feedKey } from '../../shared/domain/model.js';
import { DELIVERY_RETRY, SETTLE_WINDOW_MS, createDispatcher, retryDelayMs, type Dispatcher } from '../../shared/events/dispatcher.js';
import type { CloudEvent } from '../../shared/events/envelope.js';
import { type DeliveryOutcome, type EventSink, delivered, notAttempted, permanent, retryable } from '../../shared/events/sink.js';
import { ManualClock } from '../support/clock.js';
import { auditEvent } from '../support/events.js';
import { MemoryStore } from '../support/memory-store.js';

const MINUTE = 60_000;
const silent = { info() {}, warn() {}, error() {} };

/** A sink that answers as the test says, records every call, and can be held until released. */
class ScriptedSink implements EventSink {
  readonly name = 'webhook' as const;
  readonly target = 'https://hooks.example.com';
  readonly calls: string[][] = [];
  answer: (event: CloudEvent, index: number) => DeliveryOutcome = (event) => delivered(event.id);
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async deliver(events: readonly CloudEvent[]): Promise<DeliveryOutcome[]> {
    this.calls.push(events.map((e) => e.id));
    if (this.gate) await this.gate;
    return events.map((event, i) => this.answer(event, i));
  }
}

let store: MemoryStore;
let clock: ManualClock;
let sink: ScriptedSink;
let dispatcher: Dispatcher;

const make = (budgetMs = 5): Dispatcher => createDispatcher({ store, sinks: [sink], clock, logger: silent, afterRequestBudgetMs: budgetMs, random: () => 1 });

beforeEach(() => {
  store = new MemoryStore();
  clock = new ManualClock();
  sink = new ScriptedSink();
  dispatcher = make();
});

/** Appended as the audit appends: at the clock's time now. */
async function append(...ids: string[]): Promise<AuditEvent[]> {
  const events = ids.map((id) => auditEvent({ eventId: id, at: clock.now().toISOString() }));
  await store.appendAudit(events);
  return events;
}

const deliveries = async (): Promise<Delivery[]> => store.readDeliveries('webhook', '', '\uffff');
const statusOf = async (): Promise<Record<string, string>> => Object.fromEntries((await deliveries()).map((d) => [d.eventId, d.status]));
const catchUp = (until = new Date(clock.now().getTime() + MINUTE)) => dispatcher.catchUp({ holder: 'run-1', until });

describe('retryDelayMs', () => {
  it('doubles from the first delay up to the cap, jittered to 50–100%, and honours a longer Retry-After', () => {
    expect([1, 2, 3, 8, 20].map((n) => retryDelayMs(n, () => 1))).toEqual([30_000, 60_000, 120_000, 3_600_000, 3_600_000]);
    expect(retryDelayMs(1, () => 0)).toBe(15_000);
    expect(retryDelayMs(1, () => 1, 300_000)).toBe(300_000);
  });
});

describe('dispatcher: recorded events', () => {
  it('records each outcome: delivered, retrying with its backoff and reason, failed for good', async () => {
    // Prepare
    const events = await append('ok', 'later', 'never');
    sink.answer = (event) =>
      event.id === 'ok' ? delivered(event.id) : event.id === 'later' ? retryable(event.id, 'HTTP 503', 90_000) : permanent(event.id, 'HTTP 410');

    // Act
    await dispatcher.deliverRecorded(events);

    // Assess
    const at = clock.now().toISOString();
    const base = { sink: 'webhook', type: 'image-share-governor.share.requested', subject: 'images/cn-hangzhou/m-bp1eventsimage01', attempts: 1, updatedAt: at, version: 1 };
    expect(await deliveries()).toEqual(
      [
        { ...base, feedKey: feedKey(at, 'later'), eventId: 'later', status: 'retrying', nextAttemptAt: new Date(clock.now().getTime() + 90_000).toISOString(), lastReason: 'HTTP 503' },
        { ...base, feedKey: feedKey(at, 'never'), eventId: 'never', status: 'failed', lastReason: 'HTTP 410' },
        { ...base, feedKey: feedKey(at, 'ok'), eventId: 'ok', status: 'delivered' },
      ].sort((a, b) => a.feedKey.localeCompare(b.feedKey)),
    );
  });

  it('dead-letters an event that cannot make a CloudEvent without sending it', async () => {
    const [broken] = await append('broken');
    await dispatcher.deliverRecorded([{ ...broken!, action: 'Not An Action' }]);
    expect(sink.calls).toEqual([]);
    expect((await deliveries())[0]).toMatchObject({ status: 'failed', lastReason: 'the event cannot be published: audit event broken has an action that is no dotted name: Not An Action' });
  });

  it('after a request: answers once the budget is spent while the sink is still busy, and records the outcome when it ends', async () => {
    // Prepare: a sink that answers only when released
    const events = await append('slow');
    sink.hold();

    // Act: the request's hand-over returns although the sink has not answered
    await dispatcher.afterRequest(events);

    // Assess
    expect(sink.calls).toEqual([['slow']]);
    expect(await deliveries()).toEqual([]);
    sink.release();
    await dispatcher.idle();
    expect(await statusOf()).toEqual({ slow: 'delivered' });
  });

  it('after a request, with a budget of 0: starts the delivery and answers at once', async () => {
    dispatcher = make(0);
    sink.hold();
    await dispatcher.afterRequest(await append('e1'));
    expect(sink.calls).toEqual([['e1']]);
    sink.release();
    await dispatcher.idle();
    expect(await statusOf()).toEqual({ e1: 'delivered' });
  });

  it('keeps what a catch-up recorded first: the hand-over writes only where no outcome is stored', async () => {
    const events = await append('raced');
    sink.hold();
    const handOver = dispatcher.afterRequest(events);
    // Meanwhile a pass sends it too and records its own outcome.
    const other = createDispatcher({ store, sinks: [{ ...sink, deliver: async (e: readonly CloudEvent[]) => e.map((x) => permanent(x.id, 'HTTP 400')) }], clock, logger: silent, afterRequestBudgetMs: 5 });
    await other.catchUp({ holder: 'run-2', until: new Date(clock.now().getTime() + MINUTE) });
    await handOver;
    sink.release();
    await dispatcher.idle();
    expect(await deliveries()).toMatchObject([{ eventId: 'raced', status: 'failed', lastReason: 'HTTP 400', version: 1 }]);
  });

  it('records a sink that throws (it could not even load) as every event untried, to be retried', async () => {
    const events = await append('e1', 'e2');
    sink.deliver = async () => {
      throw new TypeError('module not found');
    };
    await dispatcher.deliverRecorded(events);
    expect((await deliveries()).map((d) => [d.eventId, d.status, d.lastReason])).toEqual([
      ['e1', 'retrying', 'not attempted: the webhook sink failed (TypeError)'],
      ['e2', 'retrying', 'not attempted: the webhook sink failed (TypeError)'],
    ]);
  });

  it('does nothing without sinks', async () => {
    const none = createDispatcher({ store, sinks: [], clock, logger: silent, afterRequestBudgetMs: 5 });
    await none.afterRequest(await append('e1'));
    expect(await none.catchUp({ holder: 'r', until: clock.now() })).toEqual([]);
    expect(store.calls.filter((c) => c.operation !== 'appendAudit')).toEqual([]);
  });
});

describe('dispatcher: catch-up', () => {
  it('starts a new sink at the settle window: recent events are delivered, older history is not replayed', async () => {
    // Prepare: one event an hour ago, one five minutes ago
    await append('old');
    clock.advance(55 * MINUTE);
    await append('recent');
    clock.advance(5 * MINUTE);

    // Act
    const [report] = await catchUp();

    // Assess
    expect(sink.calls).toEqual([['recent']]);
    expect(report).toEqual({ sink: 'webhook', read: 1, delivered: 1, retrying: 0, failed: 0, cursor: new Date(clock.now().getTime() - SETTLE_WINDOW_MS).toISOString() });
    expect(await store.getDeliveryCursor('webhook')).toMatchObject({ feedKey: report!.cursor, version: 1 });
  });

  it('starts a first pass at the oldest delivery a request recorded, however long before', async () => {
    // Prepare: a request's hand-over failed an hour before the sink's first catch-up
    const events = await append('early');
    sink.answer = (event) => retryable(event.id, 'HTTP 503');
    await dispatcher.deliverRecorded(events);
    clock.advance(60 * MINUTE);
    sink.answer = (event) => delivered(event.id);

    // Act
    await catchUp();

    // Assess
    expect(sink.calls).toEqual([['early'], ['early']]);
    expect(await statusOf()).toEqual({});
    expect(await store.getDeliveryCursor('webhook')).toMatchObject({ feedKey: new Date(clock.now().getTime() - SETTLE_WINDOW_MS).toISOString() });
  });

  it('delivers an event that became visible after newer ones were delivered, and sends nothing twice', async () => {
    // Prepare: a delivered event, then one stamped earlier that only now becomes visible
    await append('first');
    const stampedEarlier = auditEvent({ eventId: 'late', at: new Date(clock.now().getTime() - 2 * MINUTE).toISOString() });
    clock.advance(MINUTE);
    await catchUp();
    await store.appendAudit([stampedEarlier]);
    clock.advance(10 * MINUTE);

    // Act
    await catchUp();
    await catchUp();

    // Assess
    expect(sink.calls).toEqual([['first'], ['late']]);
    expect(await statusOf()).toEqual({ first: 'delivered', late: 'delivered' });
  });

  it('delivers events moved in from pending audit, though their own time is behind the cursor', async () => {
    const held = auditEvent({ eventId: 'held', at: clock.now().toISOString() });
    await store.holdPendingAudit([held]);
    clock.advance(2 * 60 * MINUTE);
    await catchUp();
    expect(await store.getDeliveryCursor('webhook')).toMatchObject({ feedKey: new Date(clock.now().getTime() - SETTLE_WINDOW_MS).toISOString() });

    await store.flushPendingAudit(10, clock.now());
    clock.advance(10 * MINUTE);
    await catchUp();

    expect(sink.calls).toEqual([['held']]);
  });

  it('retries with backoff, holds the cursor at the oldest open delivery, and dead-letters after the bound', async () => {
    // Prepare: a receiver that keeps failing one event
    await append('flaky', 'fine');
    sink.answer = (event) => (event.id === 'flaky' ? retryable(event.id, 'HTTP 503') : delivered(event.id));
    const flakyKey = (await store.readFeed(undefined, 10)).find((e) => e.event.eventId === 'flaky')!.feedKey;

    // Act: a pass every 10 minutes for long enough
    const reports = [];
    for (let pass = 0; pass < DELIVERY_RETRY.maxAttempts + 3; pass++) {
      reports.push((await catchUp())[0]!);
      clock.advance(61 * MINUTE);
    }

    // Assess: one try per pass once the backoff allows it, then the dead letter; the cursor waits for it
    expect(sink.calls.filter((c) => c.includes('flaky'))).toHaveLength(DELIVERY_RETRY.maxAttempts);
    expect(sink.calls.filter((c) => c.includes('fine'))).toHaveLength(1);
    const dead = (await store.listDeliveries({ status: 'failed' }, 10)).items;
    expect(dead).toMatchObject([{ eventId: 'flaky', attempts: DELIVERY_RETRY.maxAttempts, lastReason: `HTTP 503 (gave up after ${DELIVERY_RETRY.maxAttempts} attempts)` }]);
    const dyingPass = reports.findIndex((r) => r.failed === 1);
    expect(reports.slice(0, dyingPass).every((r) => r.cursor! <= flakyKey)).toBe(true);
    expect(reports[dyingPass + 1]!.cursor! > flakyKey).toBe(true);
  });

  it('waits for a retry until its time has come', async () => {
    await append('e1');
    sink.answer = (event) => retryable(event.id, 'HTTP 429', 20 * MINUTE);
    await catchUp();
    clock.advance(10 * MINUTE);
    await catchUp();
    clock.advance(11 * MINUTE);
    await catchUp();
    expect(sink.calls).toEqual([['e1'], ['e1']]);
  });

  it('probes a sink that stops answering with one call a pass; every other due event counts the same failed attempt', async () => {
    // Prepare: 120 events, a receiver that is unreachable (the sink stops at the first event of a call)
    await append(...Array.from({ length: 120 }, (_, i) => `e${String(i).padStart(3, '0')}`));
    const cause = retryable('e000', 'connection failed (ECONNREFUSED)');
    sink.answer = (event, i) => (i === 0 ? { ...cause, eventId: event.id } : notAttempted(event.id, cause));

    // Act
    const [report] = await catchUp();

    // Assess
    expect(sink.calls).toHaveLength(1);
    expect(report).toMatchObject({ read: 120, retrying: 120, delivered: 0 });
    const rows = await deliveries();
    expect(new Set(rows.map((r) => r.lastReason))).toEqual(new Set(['connection failed (ECONNREFUSED)', 'not attempted: connection failed (ECONNREFUSED)']));
    expect(rows.every((r) => r.attempts === 1 && r.status === 'retrying')).toBe(true);
  });

  it('starts no delivery after its deadline, and leaves the cursor before what it did not send', async () => {
    await append('e1');
    const [report] = await catchUp(clock.now());
    expect(sink.calls).toEqual([]);
    expect(report).toMatchObject({ read: 1, delivered: 0 });
    expect(report!.cursor! <= feedKey(clock.now().toISOString(), 'e1')).toBe(true);
    clock.advance(30 * MINUTE);
    await catchUp();
    expect(sink.calls).toEqual([['e1']]);
  });

  it('skips a sink whose lease another pass holds', async () => {
    await append('e1');
    await store.acquireLease('outbox:webhook', 'run-0', 10 * MINUTE, clock.now());
    expect(await catchUp()).toEqual([{ sink: 'webhook', skipped: true, read: 0, delivered: 0, retrying: 0, failed: 0 }]);
    expect(sink.calls).toEqual([]);
  });

  it('forgets delivered records once the cursor has passed them, and keeps dead letters listed', async () => {
    await append('ok', 'dead');
    sink.answer = (event) => (event.id === 'ok' ? delivered(event.id) : permanent(event.id, 'HTTP 404'));
    await catchUp();
    expect(await statusOf()).toEqual({ ok: 'delivered', dead: 'failed' });
    clock.advance(SETTLE_WINDOW_MS + MINUTE);
    await catchUp();
    expect(await statusOf()).toEqual({ dead: 'failed' });
    expect((await store.listDeliveries({ status: 'failed' }, 10)).items.map((d) => d.eventId)).toEqual(['dead']);
  });

  it('reports a pass the store refused, keeps the cursor, and releases the lease', async () => {
    await append('e1');
    store.failNext('readFeed');
    expect(await catchUp()).toEqual([{ sink: 'webhook', read: 0, delivered: 0, retrying: 0, failed: 0, error: 'Unavailable' }]);
    expect(await store.getDeliveryCursor('webhook')).toBeNull();
    expect(await store.acquireLease('outbox:webhook', 'someone-else', MINUTE, clock.now())).toBe(true);
  });
});
