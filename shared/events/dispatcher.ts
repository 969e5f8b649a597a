// The dispatcher publishes the outbox — the audit in the order events became visible — to every
// configured sink, at least once. Two paths write the same delivery records:
// - recorded: the events a request (or a reconcile run) just appended, handed over in memory and sent
//   at once; a request waits for that at most its budget, then the rest goes on in the background;
// - catch-up: one pass per sink on every reconcile timer run reads the outbox from the sink's cursor
//   and sends whatever has no final outcome yet, retrying with capped backoff and dead-lettering
//   after a bounded number of attempts.
// SDK-free: sinks are given to it (shared/events/sinks.ts loads them lazily). README: "Dispatcher".
import type { AuditEvent, Delivery, FeedEntry } from '../domain/model.js';
import { feedKey } from '../domain/model.js';
import type { Clock, Logger, StorePort } from '../domain/ports.js';
import { EnvelopeError, type CloudEvent, eventSubject, eventType, toCloudEvent } from './envelope.js';
import { type DeliveryOutcome, type EventSink, type RetryableOutcome, notAttempted, permanent, retryable } from './sink.js';

/** Retries and the dead letter, declared once. */
export const DELIVERY_RETRY = {
  /** A delivery still failing after this many attempts is dead-lettered (`failed`). */
  maxAttempts: 8,
  /** The wait after the first failed attempt, doubled after each later one up to maxDelayMs, then jittered to 50–100%. */
  firstDelayMs: 30_000,
  maxDelayMs: 3_600_000,
} as const;

/**
 * How long after its key's time an outbox row may still become visible (an append is stamped just
 * before it is written and retried for seconds; Tablestore refuses a request signed 15 minutes
 * earlier). The cursor never passes `now − SETTLE_WINDOW_MS`, so each pass reads that much again.
 */
export const SETTLE_WINDOW_MS = 20 * 60_000;

/** Outbox rows read per page of a pass, and events handed to a sink per call. */
const FEED_PAGE = 200;
const SINK_CALL = 50;
/** A pass's lease outlives its deadline by this much: the calls in flight at the deadline still finish under it. */
const LEASE_SLACK_MS = 60_000;

export interface DispatcherOptions {
  readonly store: StorePort;
  readonly sinks: readonly EventSink[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** AFTER_REQUEST_BUDGET_MS. */
  readonly afterRequestBudgetMs: number;
  /** Jitter source (tests fix it); default Math.random. */
  readonly random?: () => number;
}

/** What one catch-up pass did at one sink. */
export interface PassReport {
  readonly sink: string;
  /** Another pass held the sink's lease. */
  readonly skipped?: true;
  readonly read: number;
  readonly delivered: number;
  readonly retrying: number;
  readonly failed: number;
  /** The sink's cursor after the pass. */
  readonly cursor?: string;
  /** The pass stopped early: the store failed (its code). */
  readonly error?: string;
}

export interface Dispatcher {
  readonly sinks: readonly EventSink[];
  /**
   * Starts delivering what a request recorded and resolves when that is done or the budget has
   * passed, whichever comes first; the rest goes on in the background. Never rejects.
   */
  afterRequest(events: readonly AuditEvent[]): Promise<void>;
  /** Delivers what a run recorded and records the outcomes, all awaited. Never rejects. */
  deliverRecorded(events: readonly AuditEvent[]): Promise<void>;
  /** One catch-up pass per sink, deliveries started until `until`. Never rejects: a failed pass is reported. */
  catchUp(opts: { readonly holder: string; readonly until: Date }): Promise<PassReport[]>;
  /** Resolves once every delivery started so far has recorded its outcome (tests; anything that must not stop with work in flight). */
  idle(): Promise<void>;
}

interface Due {
  readonly entry: FeedEntry;
  readonly previous?: Delivery;
}

/** The wait before the next attempt of a delivery that has failed `attempts` times. */
export function retryDelayMs(attempts: number, random: () => number, retryAfterMs = 0): number {
  const ceiling = Math.min(DELIVERY_RETRY.maxDelayMs, DELIVERY_RETRY.firstDelayMs * 2 ** (attempts - 1));
  return Math.max(retryAfterMs, Math.round(ceiling * (0.5 + random() / 2)));
}

const minKey = (a: string | undefined, b: string): string => (a === undefined || b < a ? b : a);

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { store, sinks, clock, logger } = options;
  const random = options.random ?? Math.random;
  const inFlight = new Set<Promise<void>>();

  /** The record after one attempt. `previous` is what was stored (absent before the first). */
  function afterAttempt(sink: EventSink, due: Due, outcome: DeliveryOutcome, now: Date): Delivery {
    const { entry, previous } = due;
    const attempts = (previous?.attempts ?? 0) + 1;
    const base = {
      sink: sink.name,
      feedKey: entry.feedKey,
      eventId: entry.event.eventId,
      type: eventType(entry.event.action),
      subject: eventSubject(entry.event),
      attempts,
      updatedAt: now.toISOString(),
      version: (previous?.version ?? 0) + 1,
    };
    if (outcome.status === 'delivered') return { ...base, status: 'delivered' };
    if (outcome.status === 'permanent') return { ...base, status: 'failed', lastReason: outcome.reason };
    if (attempts >= DELIVERY_RETRY.maxAttempts) return { ...base, status: 'failed', lastReason: `${outcome.reason} (gave up after ${attempts} attempts)` };
    const wait = retryDelayMs(attempts, random, outcome.retryAfterMs);
    return { ...base, status: 'retrying', nextAttemptAt: new Date(now.getTime() + wait).toISOString(), lastReason: outcome.reason };
  }

  /**
   * One sink call for these entries: an event that cannot make a CloudEvent is refused for good
   * without being sent; a sink that throws (it could not even load) leaves every event untried.
   */
  async function send(sink: EventSink, entries: readonly FeedEntry[]): Promise<DeliveryOutcome[]> {
    const outcomes: (DeliveryOutcome | undefined)[] = [];
    const publishable: { index: number; event: CloudEvent }[] = [];
    entries.forEach((entry, index) => {
      try {
        publishable.push({ index, event: toCloudEvent(entry.event) });
      } catch (error) {
        if (!(error instanceof EnvelopeError)) throw error;
        outcomes[index] = permanent(entry.event.eventId, `the event cannot be published: ${error.message}`);
      }
    });
    if (publishable.length > 0) {
      let sent: DeliveryOutcome[];
      try {
        sent = await sink.deliver(publishable.map((p) => p.event));
      } catch (error) {
        const reason = `the ${sink.name} sink failed (${error instanceof Error ? error.name : 'error'})`;
        sent = publishable.map((p) => notAttempted(p.event.id, { reason }));
      }
      publishable.forEach((p, i) => (outcomes[p.index] = sent[i] ?? retryable(p.event.id, 'the sink returned no outcome')));
    }
    return outcomes as DeliveryOutcome[];
  }

  /** Stores the records; those another writer changed first are returned (their state is that writer's). */
  async function record(records: readonly Delivery[]): Promise<Set<string>> {
    const lost = await store.writeDeliveries(records.map((next) => ({ next, expectedVersion: next.version - 1 })));
    return new Set(lost);
  }

  function logIncomplete(sink: EventSink, records: readonly Delivery[], path: 'recorded' | 'catch-up'): void {
    const open = records.filter((r) => r.status !== 'delivered');
    if (open.length === 0) return;
    logger.warn({
      msg: 'events.not_delivered',
      path,
      sink: sink.name,
      target: sink.target,
      retrying: open.filter((r) => r.status === 'retrying').length,
      failed: open.filter((r) => r.status === 'failed').length,
      eventIds: open.slice(0, 20).map((r) => r.eventId),
      reason: open[0]?.lastReason,
    });
  }

  async function deliverTo(sink: EventSink, events: readonly AuditEvent[]): Promise<void> {
    try {
      const due: Due[] = events.map((event) => ({ entry: { feedKey: feedKey(event.at, event.eventId), event } }));
      const outcomes = await send(sink, due.map((d) => d.entry));
      const now = clock.now();
      const records = due.map((d, i) => afterAttempt(sink, d, outcomes[i] as DeliveryOutcome, now));
      // Written only where no outcome is stored yet: a catch-up that got there first keeps its own.
      await record(records);
      logIncomplete(sink, records, 'recorded');
    } catch (error) {
      // Nothing is lost: the events are in the outbox and the next catch-up delivers them.
      logger.warn({ msg: 'events.recording_failed', sink: sink.name, count: events.length, error: errorName(error) });
    }
  }

  function deliverRecorded(events: readonly AuditEvent[]): Promise<void> {
    if (sinks.length === 0 || events.length === 0) return Promise.resolve();
    const work = Promise.all(sinks.map((sink) => deliverTo(sink, events))).then(() => undefined);
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
    return work;
  }

  /**
   * Where a sink without a cursor starts: at its oldest delivery (what requests handed over before the
   * first catch-up), or at the settle window. The outbox is published from when the sink was
   * configured, not replayed from its beginning.
   */
  async function firstPassStart(sink: EventSink, settled: string): Promise<string> {
    const [oldest] = await store.readDeliveries(sink.name, '', settled, 1);
    return oldest?.feedKey ?? settled;
  }

  async function pass(sink: EventSink, holder: string, until: Date): Promise<PassReport> {
    const counts = { read: 0, delivered: 0, retrying: 0, failed: 0 };
    const lease = `outbox:${sink.name}`;
    const started = clock.now();
    if (!(await store.acquireLease(lease, holder, Math.max(0, until.getTime() - started.getTime()) + LEASE_SLACK_MS, started))) {
      return { sink: sink.name, skipped: true, ...counts };
    }
    try {
      const stored = await store.getDeliveryCursor(sink.name);
      // Every row keyed before this is visible by now.
      const settled = new Date(started.getTime() - SETTLE_WINDOW_MS).toISOString();
      let from: string | undefined = stored?.feedKey ?? (await firstPassStart(sink, settled));
      /** The smallest key whose delivery is not final after this pass: the cursor stops there. */
      let open: string | undefined;
      const delivered: Delivery[] = [];
      let halted: RetryableOutcome | undefined;
      while (from !== undefined) {
        const page = await store.readFeed(from, FEED_PAGE);
        if (page.length === 0) break;
        counts.read += page.length;
        const last = (page[page.length - 1] as FeedEntry).feedKey;
        const known = new Map((await store.readDeliveries(sink.name, (page[0] as FeedEntry).feedKey, `${last}\u0000`)).map((d) => [d.feedKey, d]));
        const due: Due[] = [];
        for (const entry of page) {
          const previous = known.get(entry.feedKey);
          if (previous?.status === 'delivered') delivered.push(previous);
          else if (previous?.status === 'failed') continue;
          else if (previous?.nextAttemptAt !== undefined && previous.nextAttemptAt > started.toISOString()) open = minKey(open, entry.feedKey);
          else due.push(previous ? { entry, previous } : { entry });
        }
        for (let i = 0; i < due.length; i += SINK_CALL) {
          const call = due.slice(i, i + SINK_CALL);
          if (clock.now() >= until) {
            // Out of time: these and everything after them wait for the next pass.
            for (const d of due.slice(i)) open = minKey(open, d.entry.feedKey);
            from = undefined;
            break;
          }
          // Once the sink is unreachable, one call a pass probes it; the other due events count the same failed attempt.
          const stopped = halted;
          const outcomes = stopped ? call.map((d) => ({ ...stopped, eventId: d.entry.event.eventId })) : await send(sink, call.map((d) => d.entry));
          halted ??= outcomes.find((o): o is RetryableOutcome => o.status === 'retryable' && o.attempted === false);
          const now = clock.now();
          const records = call.map((d, j) => afterAttempt(sink, d, outcomes[j] as DeliveryOutcome, now));
          const lost = await record(records);
          for (const r of records) {
            // A record another writer changed first may be anything: read again next pass.
            if (lost.has(r.feedKey) || r.status === 'retrying') open = minKey(open, r.feedKey);
            if (!lost.has(r.feedKey)) counts[r.status] += 1;
            if (!lost.has(r.feedKey) && r.status === 'delivered') delivered.push(r);
          }
          logIncomplete(sink, records, 'catch-up');
        }
        if (from === undefined || page.length < FEED_PAGE) break;
        from = `${last}\u0000`;
      }
      // The cursor trails the clock by the settle window and stops at the first open delivery; it never goes back.
      let next = open !== undefined && open < settled ? open : settled;
      if (stored && next < stored.feedKey) next = stored.feedKey;
      // Delivered records behind the cursor are never read again: only retrying and failed ones stay listed.
      await store.forgetDeliveries(delivered.filter((d) => d.feedKey < next));
      if (next !== stored?.feedKey) await store.putDeliveryCursor({ sink: sink.name, feedKey: next, updatedAt: clock.now().toISOString(), version: 0 }, stored?.version ?? 0);
      return { sink: sink.name, ...counts, cursor: next };
    } catch (error) {
      return { sink: sink.name, ...counts, error: errorName(error) };
    } finally {
      await store.releaseLease(lease, holder).catch(() => undefined);
    }
  }

  return {
    sinks,
    afterRequest(events) {
      const work = deliverRecorded(events);
      const budget = options.afterRequestBudgetMs;
      if (sinks.length === 0 || events.length === 0 || budget === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, budget);
        void work.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    deliverRecorded,
    async catchUp({ holder, until }) {
      const reports: PassReport[] = [];
      for (const sink of sinks) {
        const report = await pass(sink, holder, until).catch((error: unknown) => ({ sink: sink.name, read: 0, delivered: 0, retrying: 0, failed: 0, error: errorName(error) }));
        const line = { msg: 'events.catch_up', target: sink.target, ...report };
        if (report.error) logger.warn(line);
        else logger.info(line);
        reports.push(report);
      }
      return reports;
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}

function errorName(error: unknown): string {
  const e = error as { kind?: unknown; code?: unknown; name?: unknown };
  return typeof e?.kind === 'string' ? e.kind : typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'Error';
}
