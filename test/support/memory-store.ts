// In-memory StorePort with the Tablestore adapter's semantics (see the doc comments on StorePort and
// test/contract/store-contract.ts): versioned updates, the conditional quota counter, createShare only
// over absent or terminal rows, newest-first listings with opaque cursors, idempotency expiry, leases.
// Every method first yields (so concurrent callers interleave), then checks and writes in one
// synchronous step, like a conditional write on one Tablestore row.
import { StoreError } from '../../shared/domain/errors.js';
import type {
  AuditEvent,
  Delivery,
  DeliveryCursor,
  FeedEntry,
  FindingKind,
  FindingSubject,
  IdempotencyRecord,
  ImageRecord,
  Page,
  PosturePointer,
  ReconcileRun,
  RequestFilter,
  Share,
  ShareChannel,
  ShareRequest,
  ShareTarget,
  SinkName,
  StoredFinding,
} from '../../shared/domain/model.js';
import { feedKey, findingKey, isOpenFinding, isOpenRequest, isTerminal, shareTargetKey } from '../../shared/domain/model.js';
import type { LeaseRelease, StorePort } from '../../shared/domain/ports.js';
import {
  decodeCursor,
  decodeFindingsCursor,
  decodePostureCursor,
  encodeCursor,
  findingsListing,
  invalidCursor,
  postureListing,
  requestsListing,
} from '../../shared/tablestore/keys.js';

type Operation = keyof StorePort;

const bytewise = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

const clone = <T>(value: T): T => structuredClone(value);

/** Same bounds as the adapter: 1..1000 items per page. */
const clampLimit = (limit: number): number => Math.max(1, Math.min(1000, Math.floor(Number.isFinite(limit) ? limit : 1)));

// Cursors are the adapter's own (shared/tablestore/keys.ts): tagged with their listing, each key value
// bounded as Tablestore bounds it, so a forged or mangled cursor is the same client mistake (400) here.
const cursorFrom = (listing: string, cursor: string | undefined, keyLength: number): string[] | undefined =>
  cursor === undefined ? undefined : decodeCursor(listing, cursor, keyLength);

/**
 * Newest first by a timestamp; equal timestamps in the order `tie` gives (the adapter's key suffix:
 * the id for requests and runs, the reverse append order for audit events); the cursor holds the
 * next row's (time, tie).
 */
function pageNewestFirst<T>(
  listing: string,
  rows: readonly T[],
  at: (row: T) => string,
  tie: (row: T) => string,
  limit: number,
  cursor: string | undefined,
): Page<T> {
  const n = clampLimit(limit);
  const ms = (row: T): number => Date.parse(at(row));
  const order = (a: T, b: T): number => ms(b) - ms(a) || (tie(a) < tie(b) ? -1 : tie(a) > tie(b) ? 1 : 0);
  const sorted = [...rows].sort(order);
  const from = cursorFrom(listing, cursor, 2);
  const rest = from ? sorted.filter((r) => ms(r) < Number(from[0]) || (ms(r) === Number(from[0]) && tie(r) >= (from[1] as string))) : sorted;
  const page: { items: T[]; nextCursor?: string } = { items: rest.slice(0, n).map(clone) };
  const next = rest[n];
  if (next) page.nextCursor = encodeCursor(listing, [String(ms(next)), tie(next)]);
  return page;
}

/** The first `n` rows and, when more follow, a cursor naming the next one's key. */
function pageOf<T>(listing: string, rows: readonly T[], n: number, keyOf: (row: T) => string[]): Page<T> {
  const next = rows[n];
  return next ? { items: rows.slice(0, n), nextCursor: encodeCursor(listing, keyOf(next)) } : { items: rows.slice(0, n) };
}

/** Later appends first among equal timestamps: a fixed-width, inverted append counter. */
const invertedSeq = (seq: number): string => String(Number.MAX_SAFE_INTEGER - seq).padStart(16, '0');

export interface StoreCall {
  readonly operation: Operation;
  readonly error?: string;
}

export class MemoryStore implements StorePort {
  private readonly images = new Map<string, ImageRecord>();
  private readonly shares = new Map<string, Share>();
  private readonly requests = new Map<string, { readonly seq: number; row: ShareRequest }>();
  private readonly auditTrail: { readonly seq: number; row: AuditEvent }[] = [];
  /** Held events by id, in hold order. */
  private readonly pendingAudit = new Map<string, AuditEvent>();
  private readonly idempotency = new Map<string, IdempotencyRecord>();
  private readonly runs = new Map<string, ReconcileRun>();
  private readonly leases = new Map<string, { holder: string; expiresAt: number; followUp?: { note: string; requestedAt: string } }>();
  /** The outbox by feed key, and deliveries by sink and feed key. */
  private readonly feed = new Map<string, AuditEvent>();
  private readonly deliveries = new Map<string, Delivery>();
  private readonly cursors = new Map<string, DeliveryCursor>();
  /** runId → findingKey → finding. */
  private readonly findings = new Map<string, Map<string, StoredFinding>>();
  private readonly postures = new Map<string, PosturePointer>();
  private readonly faults: { operation: Operation; error: StoreError; remaining: number }[] = [];
  private seq = 0;
  /** Every call, oldest first (with the injected error, if any). */
  readonly calls: StoreCall[] = [];

  /** The next `times` calls of `operation` fail with `error` (before touching any state). */
  failNext(operation: Operation, error: StoreError = new StoreError('Unavailable'), times = 1): void {
    this.faults.push({ operation, error, remaining: times });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  // ---- inspection helpers for tests ----

  allShares(): Share[] {
    return [...this.shares.values()].map(clone).sort((a, b) => `${a.imageId}/${shareTargetKey(a)}`.localeCompare(`${b.imageId}/${shareTargetKey(b)}`));
  }

  allRequests(): ShareRequest[] {
    return [...this.requests.values()].sort((a, b) => a.seq - b.seq).map((r) => clone(r.row));
  }

  /** Every audit event, oldest first. */
  allEvents(): AuditEvent[] {
    return this.auditTrail.map((e) => clone(e.row));
  }

  /** Events held for the reconciler, in hold order. */
  heldEvents(): AuditEvent[] {
    return [...this.pendingAudit.values()].map(clone);
  }

  // ---- plumbing ----

  /** Yields to other tasks (so concurrent callers interleave), then applies an injected fault. */
  private async enter(operation: Operation): Promise<void> {
    await Promise.resolve();
    await new Promise<void>((resolve) => setImmediate(resolve));
    const fault = this.faults.find((f) => f.operation === operation && f.remaining > 0);
    if (fault) {
      fault.remaining -= 1;
      if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
      this.calls.push({ operation, error: fault.error.kind });
      throw fault.error;
    }
    this.calls.push({ operation });
  }

  private static imageKey(regionId: string, imageId: string): string {
    return `${regionId}\u0000${imageId}`;
  }

  private static shareKey(regionId: string, imageId: string, target: ShareTarget): string {
    return `${regionId}\u0000${imageId}\u0000${shareTargetKey(target)}`;
  }

  private static counter(image: ImageRecord, channel: ShareChannel): number {
    return channel === 'account' ? image.quotaUsed : image.directoryQuotaUsed;
  }

  private static withCounter(image: ImageRecord, channel: ShareChannel, value: number): ImageRecord {
    return channel === 'account' ? { ...image, quotaUsed: value } : { ...image, directoryQuotaUsed: value };
  }

  // ---- images ----

  async getImage(regionId: string, imageId: string): Promise<ImageRecord | null> {
    await this.enter('getImage');
    const row = this.images.get(MemoryStore.imageKey(regionId, imageId));
    return row ? clone(row) : null;
  }

  async createImage(record: ImageRecord): Promise<void> {
    await this.enter('createImage');
    const key = MemoryStore.imageKey(record.regionId, record.imageId);
    if (this.images.has(key)) throw new StoreError('AlreadyExists', `image ${record.imageId} exists`);
    this.images.set(key, clone(record));
  }

  async updateImage(next: ImageRecord, expectedVersion: number): Promise<ImageRecord> {
    await this.enter('updateImage');
    const key = MemoryStore.imageKey(next.regionId, next.imageId);
    const stored = this.images.get(key);
    if (!stored || stored.version !== expectedVersion) throw new StoreError('ConditionFailed', `image ${next.imageId} version`);
    // The counters and their timestamp belong to adjustQuota/correctQuota, never to this write.
    const { quotaChangedAt: _ignored, ...fields } = clone(next);
    const row: ImageRecord = {
      ...fields,
      quotaUsed: stored.quotaUsed,
      directoryQuotaUsed: stored.directoryQuotaUsed,
      ...(stored.quotaChangedAt ? { quotaChangedAt: stored.quotaChangedAt } : {}),
      version: expectedVersion + 1,
    };
    this.images.set(key, row);
    return clone(row);
  }

  async adjustQuota(regionId: string, imageId: string, delta: number, limit: number, now: Date, channel: ShareChannel): Promise<number> {
    await this.enter('adjustQuota');
    if (!Number.isInteger(delta) || !Number.isInteger(limit)) throw new StoreError('ConditionFailed', 'adjustQuota: delta and limit must be integers');
    const key = MemoryStore.imageKey(regionId, imageId);
    const stored = this.images.get(key);
    if (!stored) throw new StoreError('ConditionFailed', `image ${imageId} has no record`);
    // Nothing to change: the adapter only reads, so the counter's timestamp stays.
    const used = MemoryStore.counter(stored, channel);
    if (delta === 0) return used;
    const ok = delta > 0 ? used + delta <= limit && stored.lifecycle === 'active' : used >= -delta;
    if (!ok) throw new StoreError('ConditionFailed', `${channel} quota of ${imageId}`);
    this.images.set(key, { ...MemoryStore.withCounter(stored, channel, used + delta), quotaChangedAt: now.toISOString() });
    return used + delta;
  }

  async correctQuota(regionId: string, imageId: string, expected: number, actual: number, channel: ShareChannel): Promise<void> {
    await this.enter('correctQuota');
    const key = MemoryStore.imageKey(regionId, imageId);
    const stored = this.images.get(key);
    if (!stored || MemoryStore.counter(stored, channel) !== expected) throw new StoreError('ConditionFailed', `${channel} quota of ${imageId} moved`);
    this.images.set(key, MemoryStore.withCounter(stored, channel, actual));
  }

  async listImages(filter: { regionId?: string }, limit: number, cursor?: string): Promise<Page<ImageRecord>> {
    await this.enter('listImages');
    const n = clampLimit(limit);
    const listing = filter.regionId === undefined ? 'images' : `images:${filter.regionId}`;
    const from = cursorFrom(listing, cursor, 2);
    if (from && filter.regionId !== undefined && from[0] !== filter.regionId) {
      throw invalidCursor();
    }
    const byKey = (a: ImageRecord, b: ImageRecord): number => bytewise(a.regionId, b.regionId) || bytewise(a.imageId, b.imageId);
    const rows = [...this.images.values()]
      .filter((r) => filter.regionId === undefined || r.regionId === filter.regionId)
      .sort(byKey)
      .filter((r) => !from || bytewise(r.regionId, from[0] as string) > 0 || (r.regionId === from[0] && bytewise(r.imageId, from[1] as string) >= 0));
    const page: { items: ImageRecord[]; nextCursor?: string } = { items: rows.slice(0, n).map(clone) };
    const next = rows[n];
    if (next) page.nextCursor = encodeCursor(listing, [next.regionId, next.imageId]);
    return page;
  }

  // ---- shares ----

  async getShare(regionId: string, imageId: string, target: ShareTarget): Promise<Share | null> {
    await this.enter('getShare');
    const row = this.shares.get(MemoryStore.shareKey(regionId, imageId, target));
    return row ? clone(row) : null;
  }

  async listShares(regionId: string, imageId: string): Promise<Share[]> {
    await this.enter('listShares');
    return [...this.shares.values()]
      .filter((s) => s.regionId === regionId && s.imageId === imageId)
      .sort((a, b) => bytewise(shareTargetKey(a), shareTargetKey(b)))
      .map(clone);
  }

  async createShare(share: Share): Promise<Share> {
    await this.enter('createShare');
    const key = MemoryStore.shareKey(share.regionId, share.imageId, share);
    const stored = this.shares.get(key);
    if (stored && !isTerminal(stored.state)) throw new StoreError('ConditionFailed', `share with ${share.target} is ${stored.state}`);
    this.shares.set(key, clone(share));
    return clone(share);
  }

  async updateShare(next: Share, expectedVersion: number): Promise<Share> {
    await this.enter('updateShare');
    const key = MemoryStore.shareKey(next.regionId, next.imageId, next);
    const stored = this.shares.get(key);
    if (!stored || stored.version !== expectedVersion) throw new StoreError('ConditionFailed', `share with ${next.target} version`);
    const row: Share = { ...clone(next), version: expectedVersion + 1 };
    this.shares.set(key, row);
    return clone(row);
  }

  // ---- share requests ----

  async createRequest(request: ShareRequest): Promise<void> {
    await this.enter('createRequest');
    if (this.requests.has(request.requestId)) throw new StoreError('AlreadyExists', `request ${request.requestId} exists`);
    this.requests.set(request.requestId, { seq: this.seq++, row: clone(request) });
  }

  async getRequest(requestId: string): Promise<ShareRequest | null> {
    await this.enter('getRequest');
    const row = this.requests.get(requestId);
    return row ? clone(row.row) : null;
  }

  async updateRequest(next: ShareRequest, expectedVersion: number): Promise<ShareRequest> {
    await this.enter('updateRequest');
    const stored = this.requests.get(next.requestId);
    if (!stored || stored.row.version !== expectedVersion) throw new StoreError('ConditionFailed', `request ${next.requestId} version`);
    stored.row = { ...clone(next), version: expectedVersion + 1 };
    return clone(stored.row);
  }

  async listRequests(filter: RequestFilter, limit: number, cursor?: string): Promise<Page<ShareRequest>> {
    await this.enter('listRequests');
    const rows = [...this.requests.values()].filter(
      ({ row }) =>
        (filter.status === undefined || row.status === filter.status || (filter.status === 'open' && isOpenRequest(row.status))) &&
        (filter.regionId === undefined || row.regionId === filter.regionId) &&
        (filter.imageId === undefined || row.imageId === filter.imageId),
    );
    // Tagged as the adapter tags it: a cursor continues only the listing (index and scope) that issued it.
    return pageNewestFirst(requestsListing(filter), rows.map((r) => r.row), (r) => r.createdAt, (r) => r.requestId, limit, cursor);
  }

  // ---- audit ----

  async appendAudit(events: readonly AuditEvent[]): Promise<void> {
    await this.enter('appendAudit');
    this.writeAudit(events);
    for (const event of events) this.feed.set(feedKey(event.at, event.eventId), clone(event));
  }

  private writeAudit(events: readonly AuditEvent[]): void {
    for (const event of events) {
      // Appending an event again (a retry) rewrites it in place, as the adapter's put of the same key does.
      const same = this.auditTrail.find((e) => e.row.eventId === event.eventId && e.row.at === event.at && e.row.regionId === event.regionId && e.row.imageId === event.imageId);
      if (same) same.row = clone(event);
      else this.auditTrail.push({ seq: this.seq++, row: clone(event) });
    }
  }

  async holdPendingAudit(events: readonly AuditEvent[]): Promise<void> {
    await this.enter('holdPendingAudit');
    for (const event of events) this.pendingAudit.set(event.eventId, clone(event));
  }

  async flushPendingAudit(limit: number, now: Date): Promise<number> {
    await this.enter('flushPendingAudit');
    const batch = [...this.pendingAudit.values()].slice(0, clampLimit(limit));
    // Rewrites an event a partly landed append already wrote, in its first place (see appendAudit).
    this.writeAudit(batch);
    for (const event of batch) this.feed.set(feedKey(now.toISOString(), event.eventId), clone(event));
    for (const event of batch) this.pendingAudit.delete(event.eventId);
    return batch.length;
  }

  async listAudit(regionId: string, imageId: string, limit: number, cursor?: string): Promise<Page<AuditEvent>> {
    await this.enter('listAudit');
    const rows = this.auditTrail.filter((e) => e.row.regionId === regionId && e.row.imageId === imageId);
    const page = pageNewestFirst(`audit:${regionId}/${imageId}`, rows, (e) => e.row.at, (e) => invertedSeq(e.seq), limit, cursor);
    return { ...page, items: page.items.map((e) => e.row) };
  }

  // ---- outbox ----

  async readFeed(from: string | undefined, limit: number): Promise<FeedEntry[]> {
    await this.enter('readFeed');
    return [...this.feed.keys()]
      .filter((key) => from === undefined || bytewise(key, from) >= 0)
      .sort(bytewise)
      .slice(0, clampLimit(limit))
      .map((key) => ({ feedKey: key, event: clone(this.feed.get(key) as AuditEvent) }));
  }

  async readDeliveries(sink: SinkName, from: string, to: string, limit?: number): Promise<Delivery[]> {
    await this.enter('readDeliveries');
    return this.sortedDeliveries()
      .filter((d) => d.sink === sink && bytewise(d.feedKey, from) >= 0 && bytewise(d.feedKey, to) < 0)
      .slice(0, limit);
  }

  async writeDeliveries(writes: readonly { readonly next: Delivery; readonly expectedVersion: number }[]): Promise<string[]> {
    await this.enter('writeDeliveries');
    const lost: string[] = [];
    for (const { next, expectedVersion } of writes) {
      const key = `${next.sink}\u0000${next.feedKey}`;
      if ((this.deliveries.get(key)?.version ?? 0) !== expectedVersion) lost.push(next.feedKey);
      else this.deliveries.set(key, clone({ ...next, version: expectedVersion + 1 }));
    }
    return lost;
  }

  async forgetDeliveries(deliveries: readonly Delivery[]): Promise<void> {
    await this.enter('forgetDeliveries');
    for (const d of deliveries) {
      const key = `${d.sink}\u0000${d.feedKey}`;
      if (this.deliveries.get(key)?.version === d.version) this.deliveries.delete(key);
    }
  }

  async listDeliveries(filter: { status: 'retrying' | 'failed'; sink?: SinkName }, limit: number, cursor?: string): Promise<Page<Delivery>> {
    await this.enter('listDeliveries');
    const listing = `deliveries:${filter.status}:${filter.sink ?? '*'}`;
    const from = cursorFrom(listing, cursor, 2);
    if (from && filter.sink !== undefined && from[0] !== filter.sink) throw invalidCursor();
    const after = (d: Delivery): boolean => !from || bytewise(d.sink, from[0] as string) > 0 || (d.sink === from[0] && bytewise(d.feedKey, from[1] as string) >= 0);
    const rows = this.sortedDeliveries().filter((d) => d.status === filter.status && (filter.sink === undefined || d.sink === filter.sink) && after(d));
    const n = clampLimit(limit);
    const next = rows[n];
    return next ? { items: rows.slice(0, n), nextCursor: encodeCursor(listing, [next.sink, next.feedKey]) } : { items: rows.slice(0, n) };
  }

  async getDeliveryCursor(sink: SinkName): Promise<DeliveryCursor | null> {
    await this.enter('getDeliveryCursor');
    const cursor = this.cursors.get(sink);
    return cursor ? clone(cursor) : null;
  }

  async putDeliveryCursor(cursor: DeliveryCursor, expectedVersion: number): Promise<void> {
    await this.enter('putDeliveryCursor');
    if ((this.cursors.get(cursor.sink)?.version ?? 0) !== expectedVersion) throw new StoreError('ConditionFailed', `the cursor of ${cursor.sink} moved`);
    this.cursors.set(cursor.sink, clone({ ...cursor, version: expectedVersion + 1 }));
  }

  /** Sink, then feed key, bytewise: the adapter's key order. */
  private sortedDeliveries(): Delivery[] {
    return [...this.deliveries.values()].sort((a, b) => bytewise(a.sink, b.sink) || bytewise(a.feedKey, b.feedKey)).map(clone);
  }

  // ---- idempotency ----

  async getIdempotency(principal: string, key: string, now: Date): Promise<IdempotencyRecord | null> {
    await this.enter('getIdempotency');
    const row = this.idempotency.get(`${principal}\u0000${key}`);
    if (!row || Date.parse(row.expiresAt) <= now.getTime()) return null;
    return clone(row);
  }

  async putIdempotency(record: IdempotencyRecord): Promise<void> {
    await this.enter('putIdempotency');
    const key = `${record.principal}\u0000${record.key}`;
    const stored = this.idempotency.get(key);
    // Live relative to the new record's creation: an expired record may be replaced.
    if (stored && Date.parse(stored.expiresAt) > Date.parse(record.createdAt)) {
      throw new StoreError('AlreadyExists', `idempotency key ${record.key} is held`);
    }
    this.idempotency.set(key, clone(record));
  }

  // ---- reconcile runs and leases ----

  async putRun(run: ReconcileRun): Promise<void> {
    await this.enter('putRun');
    this.runs.set(run.runId, clone(run));
  }

  async getRun(runId: string): Promise<ReconcileRun | null> {
    await this.enter('getRun');
    const row = this.runs.get(runId);
    return row ? clone(row) : null;
  }

  async listRuns(limit: number, cursor?: string): Promise<Page<ReconcileRun>> {
    await this.enter('listRuns');
    return pageNewestFirst('runs', [...this.runs.values()], (r) => r.startedAt, (r) => r.runId, limit, cursor);
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: Date): Promise<boolean> {
    await this.enter('acquireLease');
    const lease = this.leases.get(name);
    if (lease && lease.holder !== holder && lease.expiresAt > now.getTime()) return false;
    this.leases.set(name, { ...lease, holder, expiresAt: now.getTime() + ttlMs });
    return true;
  }

  async requestFollowUp(name: string, note: string, now: Date): Promise<boolean> {
    await this.enter('requestFollowUp');
    const lease = this.leases.get(name);
    if (!lease || lease.expiresAt <= now.getTime()) return false;
    this.leases.set(name, { ...lease, followUp: { note, requestedAt: now.toISOString() } });
    return true;
  }

  async releaseLease(name: string, holder: string): Promise<LeaseRelease> {
    await this.enter('releaseLease');
    const lease = this.leases.get(name);
    if (lease?.holder !== holder) return {};
    this.leases.delete(name);
    return lease.followUp ? { followUp: lease.followUp } : {};
  }

  // ---- findings and the posture ----

  private runFindings(runId: string): Map<string, StoredFinding> {
    let rows = this.findings.get(runId);
    if (!rows) this.findings.set(runId, (rows = new Map()));
    return rows;
  }

  /** The run's findings in key order from `from` on (inclusive), as the adapter's range reads return them. */
  private findingsFrom(runId: string, from: string | undefined, kind: FindingKind | undefined): StoredFinding[] {
    return [...this.runFindings(runId).entries()]
      .filter(([key]) => (kind === undefined || key.startsWith(`${kind}#`)) && (from === undefined || bytewise(key, from) >= 0))
      .sort(([a], [b]) => bytewise(a, b))
      .map(([, f]) => clone(f));
  }

  async putFindings(runId: string, findings: readonly StoredFinding[]): Promise<void> {
    await this.enter('putFindings');
    const rows = this.runFindings(runId);
    for (const f of findings) rows.set(findingKey(f), clone(f));
  }

  async getFindings(runId: string, subjects: readonly FindingSubject[]): Promise<StoredFinding[]> {
    await this.enter('getFindings');
    const rows = this.runFindings(runId);
    return [...new Set(subjects.map(findingKey))].flatMap((key) => (rows.has(key) ? [clone(rows.get(key)!)] : []));
  }

  async imageFindings(runId: string, regionId: string, imageId: string): Promise<StoredFinding[]> {
    await this.enter('imageFindings');
    return this.findingsFrom(runId, undefined, undefined).filter((f) => f.regionId === regionId && f.imageId === imageId);
  }

  async listFindings(runId: string, filter: { committed: number; kind?: FindingKind }, limit: number, cursor?: string): Promise<Page<StoredFinding>> {
    await this.enter('listFindings');
    const n = clampLimit(limit);
    const listing = findingsListing(runId, filter.kind);
    const from = cursor === undefined ? undefined : decodeFindingsCursor(listing, cursor, filter.kind);
    const rows = this.findingsFrom(runId, from, filter.kind).filter((f) => f.seq < filter.committed);
    return pageOf(listing, rows, n, (f) => [findingKey(f)]);
  }

  async getPosture(regionId: string): Promise<PosturePointer | null> {
    await this.enter('getPosture');
    const row = this.postures.get(regionId);
    return row ? clone(row) : null;
  }

  async putPosture(pointer: PosturePointer): Promise<boolean> {
    await this.enter('putPosture');
    const stored = this.postures.get(pointer.regionId);
    if (stored && stored.runId !== pointer.runId && Date.parse(stored.startedAt) >= Date.parse(pointer.startedAt)) return false;
    this.postures.set(pointer.regionId, clone(pointer));
    return true;
  }

  async listPosture(filter: { regionIds: readonly string[]; kind?: FindingKind }, limit: number, cursor?: string): Promise<Page<StoredFinding>> {
    await this.enter('listPosture');
    const n = clampLimit(limit);
    const listing = postureListing(filter.kind);
    const at = cursor === undefined ? undefined : decodePostureCursor(listing, cursor, filter.regionIds, filter.kind);
    const rows: { region: string; runId: string; committed: number; f: StoredFinding }[] = [];
    const first = at ? filter.regionIds.indexOf(at.regionId) : 0;
    for (const region of filter.regionIds.slice(first)) {
      const resume = at?.regionId === region ? at : undefined;
      const pointer = resume ? { runId: resume.runId, findings: resume.committed } : this.postures.get(region);
      if (!pointer) continue;
      for (const f of this.findingsFrom(pointer.runId, resume?.key, filter.kind)) {
        if (f.seq < pointer.findings && isOpenFinding(f)) rows.push({ region, runId: pointer.runId, committed: pointer.findings, f });
      }
    }
    const page = pageOf(listing, rows, n, (r) => [r.region, r.runId, String(r.committed), findingKey(r.f)]);
    return { ...page, items: page.items.map((r) => r.f) };
  }
}
