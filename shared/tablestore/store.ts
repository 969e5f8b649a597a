// StorePort on Tablestore. Every state transition is one conditional write; reads and writes that
// cannot double-apply are retried with bounded, jittered backoff; every SDK error leaves as a
// StoreError (see errors.ts). Layout and decisions: README.md in this folder.
import { StoreError } from '../domain/errors.js';
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
} from '../domain/model.js';
import { FINDING_KINDS, TERMINAL_STATES, feedKey, findingKey, findingKeyPrefix, isOpenFinding, isOpenRequest, shareTargetKey } from '../domain/model.js';
import type { Clock, LeaseRelease, StorePort } from '../domain/ports.js';
import { type CredentialsSource, sameCredentials } from '../credentials.js';
import {
  TableStore,
  attributesOf,
  createSdkClient,
  int,
  primaryKeyOf,
  rowExists,
  toNumber,
  type AttributeColumns,
  type ColumnValue,
  type PrimaryKeyInput,
  type SdkBatchRowResult,
  type StoreClient,
  type SdkColumnCondition,
  type SdkCondition,
  type SdkRow,
} from './sdk.js';
import { DEFAULT_RETRY, classify, sleep, backoffMs, toStoreError, withRetry, type RetryPolicy } from './errors.js';
import { tableNames, assertValidPrefix, type TableNames } from './tables.js';
import {
  ALL_OPEN_SCOPE,
  auditKey,
  decodeCursor,
  decodeFindingsCursor,
  decodePostureCursor,
  encodeCursor,
  findingsListing,
  imageKey,
  invalidCursor,
  openRowKeys,
  openScopeOf,
  postureListing,
  requestsListing,
  timeKey,
  timeOfKey,
} from './keys.js';
import {
  QUOTA_COLUMNS,
  auditColumns,
  canonical,
  columns,
  cursorColumns,
  decodeAudit,
  decodeCursorRow,
  decodeDelivery,
  decodeFinding,
  decodeIdempotency,
  decodeImage,
  decodePosture,
  decodeRequest,
  decodeRun,
  decodeShare,
  deliveryColumns,
  findingColumns,
  idempotencyColumns,
  imageColumns,
  postureColumns,
  requestColumns,
  requestIndexColumns,
  runColumns,
  shareColumns,
  type Columns,
} from './codec.js';

export interface TablestoreStoreOptions {
  /** e.g. https://<instance>.<region>.ots.aliyuncs.com, or the emulator's http://127.0.0.1:P */
  readonly endpoint: string;
  readonly instance: string;
  readonly tablePrefix: string;
  /** Asked on every call: a rotated STS token rebuilds the SDK client. */
  readonly credentials: CredentialsSource;
  /**
   * The SDK's own retry count (process-global in the SDK). Default 0: this adapter retries itself,
   * because the SDK cannot tell which errors are safe to retry for writes.
   */
  readonly maxRetries?: number;
  readonly retry?: RetryPolicy;
  /** Socket timeout per request. */
  readonly requestTimeoutMs?: number;
  /** The service's clock (the domain's): how old an index row whose request never appeared is. Default the system clock. */
  readonly clock?: Clock;
}

const { INF_MIN, INF_MAX } = TableStore;
const MAX_PAGE = 1000;
const BATCH_WRITE_ROWS = 100;
const BATCH_GET_ROWS = 100;
/** Below the service's 4 MB request limit, leaving room for encoding overhead. */
const BATCH_WRITE_BYTES = 3 * 1024 * 1024;
/** Index rows one filtered listing call examines at most before returning a (short) page with a cursor. */
const MAX_SCAN_PER_PAGE = 2000;
/** How often a release reads the lease again because a follow-up arrived between its read and its delete. */
const MAX_LEASE_RELEASE_ATTEMPTS = 8;
/** Delivery rows read per range request while listing by status. */
const DELIVERY_SCAN_BATCH = 200;
/**
 * An open-index row whose request was never written is removed once it is older than this: far
 * longer than the call that writes both can take (a function invocation runs 24 hours at most).
 */
export const ORPHAN_INDEX_GRACE_MS = 2 * 24 * 3600_000;
const systemClock: Clock = { now: () => new Date() };

// ---- condition builders ----
const expect = (existence: 'IGNORE' | 'EXPECT_EXIST' | 'EXPECT_NOT_EXIST', column?: SdkColumnCondition): SdkCondition =>
  new TableStore.Condition(TableStore.RowExistenceExpectation[existence], column ?? null);
const compare = (
  name: string,
  op: keyof typeof TableStore.ComparatorType,
  value: ColumnValue,
  passIfMissing: boolean,
): SdkColumnCondition => new TableStore.SingleColumnCondition(name, value, TableStore.ComparatorType[op], passIfMissing, true);
const combine = (op: 'AND' | 'OR', parts: SdkColumnCondition[]): SdkColumnCondition => {
  const c = new TableStore.CompositeCondition(TableStore.LogicalOperator[op]);
  for (const p of parts) c.addSubCondition(p);
  return c;
};

const clampLimit = (limit: number): number => Math.max(1, Math.min(MAX_PAGE, Math.floor(Number.isFinite(limit) ? limit : 1)));

export function createTablestoreStore(opts: TablestoreStoreOptions): StorePort {
  return new TablestoreStore(opts);
}

class TablestoreStore implements StorePort {
  private readonly tables: TableNames;
  private readonly retry: RetryPolicy;
  private cached: { accessKeyId: string; accessKeySecret: string; securityToken: string | undefined; client: StoreClient } | undefined;

  constructor(private readonly opts: TablestoreStoreOptions) {
    assertValidPrefix(opts.tablePrefix);
    this.tables = tableNames(opts.tablePrefix);
    this.retry = opts.retry ?? DEFAULT_RETRY;
  }

  // ---- client and call plumbing ----

  /** Built on first use and rebuilt whenever the credentials change (STS rotation). */
  private client(): StoreClient {
    let creds;
    try {
      creds = this.opts.credentials();
    } catch (err) {
      throw new StoreError('Unavailable', 'No credentials for Tablestore', { cause: err });
    }
    const c = this.cached;
    if (c && sameCredentials(c, creds)) return c.client;
    const client = createSdkClient({
      endpoint: this.opts.endpoint,
      instance: this.opts.instance,
      credentials: creds,
      maxRetries: this.opts.maxRetries ?? 0,
      requestTimeoutMs: this.opts.requestTimeoutMs ?? 10_000,
    });
    this.cached = { accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret, securityToken: creds.securityToken, client };
    return client;
  }

  private read<T>(operation: string, table: string, fn: (c: StoreClient) => Promise<T>): Promise<T> {
    return withRetry(this.retry, operation, table, () => fn(this.client()), { mode: 'read' });
  }

  private async getRow(table: string, primaryKey: PrimaryKeyInput): Promise<SdkRow | null> {
    const res = await this.read('GetRow', table, (c) => c.getRow({ tableName: table, primaryKey, maxVersions: 1 }));
    return rowExists(res.row) ? res.row : null;
  }

  /** Collects up to `want` rows of [start, end), following nextStartPrimaryKey across server pages. */
  private async range(table: string, start: PrimaryKeyInput, end: PrimaryKeyInput, want: number): Promise<SdkRow[]> {
    const rows: SdkRow[] = [];
    let from = start;
    while (rows.length < want) {
      const res = await this.read('GetRange', table, (c) =>
        c.getRange({
          tableName: table,
          direction: 'FORWARD',
          inclusiveStartPrimaryKey: from,
          exclusiveEndPrimaryKey: end,
          limit: Math.min(5000, want - rows.length),
          maxVersions: 1,
        }),
      );
      rows.push(...res.rows);
      if (!res.nextStartPrimaryKey || res.nextStartPrimaryKey.length === 0) break;
      from = res.nextStartPrimaryKey.map((k) => ({ [k.name]: k.value as string }));
    }
    return rows.slice(0, want);
  }

  /**
   * BatchGetRow in chunks of 100 distinct keys (a key asked twice is sent once);
   * results come back in the order of `keys`. Per-row errors are retried with the chunk.
   */
  private async batchGet(table: string, keys: PrimaryKeyInput[]): Promise<(SdkRow | null)[]> {
    const idOf = (k: PrimaryKeyInput): string => JSON.stringify(k);
    const distinct = [...new Map(keys.map((k) => [idOf(k), k])).values()];
    const found = new Map<string, SdkRow | null>();
    for (let i = 0; i < distinct.length; i += BATCH_GET_ROWS) {
      const chunk = distinct.slice(i, i + BATCH_GET_ROWS);
      const rows = await this.read('BatchGetRow', table, async (c) => {
        const res = await c.batchGetRow({ tables: [{ tableName: table, primaryKey: chunk, maxVersions: 1 }] });
        const list = res.tables[0] ?? [];
        const failed = list.find((r) => !r.isOk);
        if (failed) throw rowError(failed);
        if (list.length !== chunk.length) throw new StoreError('Unavailable', `BatchGetRow ${table}: ${list.length} rows for ${chunk.length} keys`);
        return list;
      });
      rows.forEach((r, j) => {
        const row = r.primaryKey && r.primaryKey.length > 0 ? { primaryKey: r.primaryKey, attributes: r.attributes ?? [] } : null;
        found.set(idOf(chunk[j] as PrimaryKeyInput), row);
      });
    }
    return keys.map((k) => found.get(idOf(k)) ?? null);
  }

  // ---- images ----

  private imagePk(regionId: string, imageId: string): PrimaryKeyInput {
    return [{ region_id: regionId }, { image_id: imageId }];
  }

  async getImage(regionId: string, imageId: string): Promise<ImageRecord | null> {
    const row = await this.getRow(this.tables.images, this.imagePk(regionId, imageId));
    return row ? decodeImage(regionId, imageId, attributesOf(row)) : null;
  }

  async createImage(record: ImageRecord): Promise<void> {
    const table = this.tables.images;
    const attributeColumns = columns({
      ...imageColumns(record, record.version),
      [QUOTA_COLUMNS.account]: int(record.quotaUsed),
      [QUOTA_COLUMNS.directory]: int(record.directoryQuotaUsed),
      quota_changed_at: record.quotaChangedAt,
    });
    await this.conditionalPut(
      table,
      this.imagePk(record.regionId, record.imageId),
      expect('EXPECT_NOT_EXIST'),
      attributeColumns,
      holds(() => this.getImage(record.regionId, record.imageId), record),
      'AlreadyExists',
    );
  }

  async updateImage(next: ImageRecord, expectedVersion: number): Promise<ImageRecord> {
    const version = expectedVersion + 1;
    const cols = imageColumns(next, version);
    const put = columns(cols);
    const removed = Object.entries(cols).filter(([, v]) => v === undefined).map(([k]) => k);
    const update: Record<string, unknown>[] = [{ PUT: put }];
    if (removed.length > 0) update.push({ DELETE_ALL: removed });
    await this.updateImageWhere(next.regionId, next.imageId, 'version', expectedVersion, update, async () => {
      const stored = await this.getImage(next.regionId, next.imageId);
      if (!stored || stored.version !== version) return false;
      const { quotaUsed: _q, directoryQuotaUsed: _d, quotaChangedAt: _qc, version: _v, ...rest } = stored;
      const { quotaUsed: _nq, directoryQuotaUsed: _nd, quotaChangedAt: _nqc, version: _nv, ...wanted } = next;
      return canonical(rest) === canonical(wanted);
    });
    // The counter is not part of this write (a stale quotaUsed in `next` must never overwrite it):
    // report the stored value, read after the write.
    const stored = await this.getImage(next.regionId, next.imageId);
    const { quotaChangedAt: _stale, ...rest } = next;
    const quotaChangedAt = stored?.quotaChangedAt;
    return {
      ...rest,
      quotaUsed: stored?.quotaUsed ?? next.quotaUsed,
      directoryQuotaUsed: stored?.directoryQuotaUsed ?? next.directoryQuotaUsed,
      version,
      ...(quotaChangedAt ? { quotaChangedAt } : {}),
    };
  }

  async adjustQuota(regionId: string, imageId: string, delta: number, limit: number, now: Date, channel: ShareChannel): Promise<number> {
    const table = this.tables.images;
    const column = QUOTA_COLUMNS[channel];
    const counterOf = (image: ImageRecord): number => (channel === 'account' ? image.quotaUsed : image.directoryQuotaUsed);
    if (!Number.isInteger(delta) || !Number.isInteger(limit)) throw new StoreError('ConditionFailed', 'adjustQuota: delta and limit must be integers');
    if (delta === 0) {
      const image = await this.getImage(regionId, imageId);
      if (!image) throw new StoreError('ConditionFailed', 'adjustQuota: no such image');
      return counterOf(image);
    }
    if (delta > 0 && limit - delta < 0) throw new StoreError('ConditionFailed', 'adjustQuota: delta exceeds the limit');
    // A record written before the directory channel has no directory counter: missing reads as 0,
    // so a reservation passes the bound and a release below zero fails.
    const missingIsZero = channel === 'directory';
    const condition =
      delta > 0
        ? combine('AND', [compare(column, 'LESS_EQUAL', int(limit - delta), missingIsZero), compare('lifecycle', 'EQUAL', 'active', false)])
        : compare(column, 'GREATER_EQUAL', int(-delta), false);
    // INCREMENT is not idempotent: retried only when the service certainly did not apply it
    // (busy/throttled/conflict, connection refused). After an ambiguous failure the caller gets
    // Unavailable; a lost increment is repaired by the reconciler's recount (correctQuota).
    const res = await withRetry(
      this.retry,
      'UpdateRow',
      table,
      () =>
        this.client().updateRow({
          tableName: table,
          condition: expect('EXPECT_EXIST', condition),
          primaryKey: this.imagePk(regionId, imageId),
          updateOfAttributeColumns: [{ INCREMENT: [{ [column]: int(delta) }] }, { PUT: [{ quota_changed_at: now.toISOString() }] }],
          returnContent: { returnType: TableStore.ReturnType.AfterModify, returnColumns: [column] },
        }),
      { mode: 'not-idempotent' },
    );
    const value = toNumber(attributesOf(res.row).get(column));
    if (value !== undefined) return value;
    const image = await this.getImage(regionId, imageId);
    if (!image) throw new StoreError('NotFound', 'adjustQuota: image vanished');
    return counterOf(image);
  }

  async correctQuota(regionId: string, imageId: string, expected: number, actual: number, channel: ShareChannel): Promise<void> {
    const column = QUOTA_COLUMNS[channel];
    await this.updateImageWhere(
      regionId,
      imageId,
      column,
      expected,
      [{ PUT: [{ [column]: int(actual) }] }],
      async () => {
        const image = await this.getImage(regionId, imageId);
        return (channel === 'account' ? image?.quotaUsed : image?.directoryQuotaUsed) === actual;
      },
      // The recount of a record without a directory counter starts from 0.
      channel === 'directory' && expected === 0,
    );
  }

  /** A conditional UpdateRow of an existing image row whose integer `column` still equals `expected`. */
  private async updateImageWhere(
    regionId: string,
    imageId: string,
    column: string,
    expected: number,
    updateOfAttributeColumns: Record<string, unknown>[],
    isOurs: () => Promise<boolean>,
    passIfMissing = false,
  ): Promise<void> {
    const table = this.tables.images;
    await this.conditionalWrite(
      'UpdateRow',
      table,
      (c) =>
        c.updateRow({
          tableName: table,
          condition: expect('EXPECT_EXIST', compare(column, 'EQUAL', int(expected), passIfMissing)),
          primaryKey: this.imagePk(regionId, imageId),
          updateOfAttributeColumns,
        }),
      isOurs,
    );
  }

  async listImages(filter: { regionId?: string }, limit: number, cursor?: string): Promise<Page<ImageRecord>> {
    const table = this.tables.images;
    const n = clampLimit(limit);
    const listing = filter.regionId === undefined ? 'images' : `images:${filter.regionId}`;
    let start: PrimaryKeyInput;
    if (cursor !== undefined) {
      // The listing tag names the region, so a cursor from another region's listing is refused; a
      // tag edited by hand must still not start the scan outside the region (the service refuses a
      // start after the end, which would surface as a 5xx).
      const [region, image] = decodeCursor(listing, cursor, 2) as [string, string];
      if (filter.regionId !== undefined && region !== filter.regionId) throw invalidCursor();
      start = this.imagePk(region, image);
    } else {
      start = filter.regionId === undefined ? [{ region_id: INF_MIN }, { image_id: INF_MIN }] : [{ region_id: filter.regionId }, { image_id: INF_MIN }];
    }
    const end: PrimaryKeyInput =
      filter.regionId === undefined ? [{ region_id: INF_MAX }, { image_id: INF_MAX }] : [{ region_id: filter.regionId }, { image_id: INF_MAX }];
    const rows = await this.range(table, start, end, n + 1);
    const items = rows.slice(0, n).map((r) => {
      const pk = primaryKeyOf(r);
      return decodeImage(String(pk.get('region_id')), String(pk.get('image_id')), attributesOf(r));
    });
    const after = rows[n];
    if (!after) return { items };
    const pk = primaryKeyOf(after);
    return { items, nextCursor: encodeCursor(listing, [String(pk.get('region_id')), String(pk.get('image_id'))]) };
  }

  // ---- shares ----

  /** The row key column keeps its first name, `account_id`; it holds shareTargetKey (an account id, or `dir:<target>`). */
  private sharePk(regionId: string, imageId: string, target: ShareTarget): PrimaryKeyInput {
    return [{ image_key: imageKey(regionId, imageId) }, { account_id: shareTargetKey(target) }];
  }

  async getShare(regionId: string, imageId: string, target: ShareTarget): Promise<Share | null> {
    const row = await this.getRow(this.tables.shares, this.sharePk(regionId, imageId, target));
    return row ? decodeShare(shareTargetKey(target), attributesOf(row)) : null;
  }

  async listShares(regionId: string, imageId: string): Promise<Share[]> {
    const key = imageKey(regionId, imageId);
    const rows = await this.range(
      this.tables.shares,
      [{ image_key: key }, { account_id: INF_MIN }],
      [{ image_key: key }, { account_id: INF_MAX }],
      Number.MAX_SAFE_INTEGER,
    );
    return rows.map((r) => decodeShare(String(primaryKeyOf(r).get('account_id')), attributesOf(r)));
  }

  async createShare(share: Share): Promise<Share> {
    const table = this.tables.shares;
    // Absent row: every state comparison sees a missing column and passes (passIfMissing).
    // Existing row: passes only when its state is terminal.
    const reusable = combine(
      'OR',
      TERMINAL_STATES.map((s) => compare('state', 'EQUAL', s, true)),
    );
    await this.conditionalPut(
      table,
      this.sharePk(share.regionId, share.imageId, share),
      expect('IGNORE', reusable),
      shareColumns(share, share.version),
      holds(() => this.getShare(share.regionId, share.imageId, share), share),
    );
    return share;
  }

  async updateShare(next: Share, expectedVersion: number): Promise<Share> {
    return this.versionedPut(this.tables.shares, this.sharePk(next.regionId, next.imageId, next), next, expectedVersion, shareColumns, () =>
      this.getShare(next.regionId, next.imageId, next),
    );
  }

  // ---- share requests ----
  //
  // A request has rows in two indexes besides its record: `requests_by_time` (every request) and,
  // while it is open, `requests_open` (once among all open requests, once in its image's scope).
  // Before a write that leaves the request open, its index rows are put; after a write that finishes
  // it, its time row is put again and its open rows are deleted. Every row of a request is so written
  // with it (they expire together), and a crash between the writes leaves only index rows the request
  // does not match: readers check each row against the record and skip such rows, and the reader
  // that finds one that can never match again deletes it.

  private requestIndexRows(request: ShareRequest): BatchRow[] {
    const key = timeKey(request.createdAt, request.requestId);
    const cols = requestIndexColumns(request);
    return [
      put(this.tables.requests_by_time, [{ time_key: key }], cols),
      ...(isOpenRequest(request.status) ? openRowKeys(request.regionId, request.imageId, key).map((pk) => put(this.tables.requests_open, pk, cols)) : []),
    ];
  }

  private openRowDeletes(regionId: string, imageId: string, key: string): BatchRow[] {
    return openRowKeys(regionId, imageId, key).map((primaryKey) => remove(this.tables.requests_open, primaryKey));
  }

  /** Index-row writes that follow the record's (or its refusal), best effort: a row left behind is skipped by every reader, and deleted by the next one. */
  private async tidyIndexRows(rows: readonly BatchRow[]): Promise<void> {
    await this.batchWrite(rows).catch(() => undefined);
  }

  async createRequest(request: ShareRequest): Promise<void> {
    const key = timeKey(request.createdAt, request.requestId);
    // Index rows first: a crash between the writes leaves index rows without a record (skipped when
    // listing), never a request missing from a listing.
    await this.batchWrite(this.requestIndexRows(request));
    const table = this.tables.requests;
    try {
      await this.conditionalPut(
        table,
        [{ request_id: request.requestId }],
        expect('EXPECT_NOT_EXIST'),
        requestColumns(request, request.version),
        holds(() => this.getRequest(request.requestId), request),
        'AlreadyExists',
      );
    } catch (err) {
      if (err instanceof StoreError && err.kind === 'AlreadyExists') {
        const existing = await this.getRequest(request.requestId).catch(() => null);
        if (existing && timeKey(existing.createdAt, existing.requestId) !== key) {
          // The refused duplicate's own rows (another creation time): the stored request keeps its own.
          await this.tidyIndexRows([remove(this.tables.requests_by_time, [{ time_key: key }]), ...this.openRowDeletes(request.regionId, request.imageId, key)]);
        }
      }
      throw err;
    }
  }

  async getRequest(requestId: string): Promise<ShareRequest | null> {
    const row = await this.getRow(this.tables.requests, [{ request_id: requestId }]);
    return row ? decodeRequest(requestId, attributesOf(row)) : null;
  }

  async updateRequest(next: ShareRequest, expectedVersion: number): Promise<ShareRequest> {
    const open = isOpenRequest(next.status);
    if (open) await this.batchWrite(this.requestIndexRows(next));
    const stored = await this.versionedPut(this.tables.requests, [{ request_id: next.requestId }], next, expectedVersion, requestColumns, () =>
      this.getRequest(next.requestId),
    );
    // Finished whatever happens next: its time row is written again with it, its open rows go.
    if (!open) await this.tidyIndexRows([...this.requestIndexRows(next), ...this.openRowDeletes(next.regionId, next.imageId, timeKey(next.createdAt, next.requestId))]);
    return stored;
  }

  async listRequests(filter: RequestFilter, limit: number, cursor?: string): Promise<Page<ShareRequest>> {
    const scope = openScopeOf(filter);
    const narrows = (c: Columns): boolean =>
      (filter.regionId === undefined || c.get('region_id') === filter.regionId) && (filter.imageId === undefined || c.get('image_id') === filter.imageId);
    const load = async (indexRows: Columns[]): Promise<(ShareRequest | null)[]> => {
      const ids = indexRows.map((c) => String(c.get('request_id')));
      const rows = await this.batchGet(this.tables.requests, ids.map((id) => [{ request_id: id }]));
      return rows.map((r, i) => (r ? decodeRequest(ids[i] as string, attributesOf(r)) : null));
    };
    // The index row must be the request's own (same creation time) and the request must match.
    const matches = (req: ShareRequest, key: string): boolean =>
      timeKey(req.createdAt, req.requestId) === key &&
      (filter.status === undefined || req.status === filter.status || (filter.status === 'open' && isOpenRequest(req.status))) &&
      (filter.regionId === undefined || req.regionId === filter.regionId) &&
      (filter.imageId === undefined || req.imageId === filter.imageId);
    const listing = requestsListing(filter);
    if (scope === undefined) {
      return this.listViaTimeIndex({
        index: this.tables.requests_by_time,
        listing,
        limit,
        cursor,
        selective: filter.status !== undefined || filter.regionId !== undefined || filter.imageId !== undefined,
        indexMatches: narrows,
        load,
        matches,
      });
    }
    const now = (this.opts.clock ?? systemClock).now().getTime();
    return this.listViaTimeIndex({
      index: this.tables.requests_open,
      scope: [{ scope }],
      listing,
      limit,
      cursor,
      // Only the scope of all open requests holds rows of other images or regions.
      selective: scope === ALL_OPEN_SCOPE && (filter.regionId !== undefined || filter.imageId !== undefined),
      indexMatches: narrows,
      load,
      matches,
      forget: {
        // Never again open: finished, another request's row (a refused duplicate), or no record long after any write could still bring one.
        stale: (req, key) =>
          req === null ? now - timeOfKey(key) > ORPHAN_INDEX_GRACE_MS : !isOpenRequest(req.status) || timeKey(req.createdAt, req.requestId) !== key,
        remove: (rows) => this.tidyIndexRows(rows.flatMap(({ key, columns: c }) => this.openRowDeletes(String(c.get('region_id')), String(c.get('image_id')), key))),
      },
    });
  }

  // ---- audit ----

  async appendAudit(events: readonly AuditEvent[]): Promise<void> {
    // Puts of unique keys, built once: replaying a batch after a lost response rewrites identical rows.
    // The trail row and the outbox row of an event travel in the same request.
    await this.batchWrite(events.flatMap((e) => [this.auditRow(e, auditKey(e.at, e.eventId)), this.feedRow(feedKey(e.at, e.eventId), e)]));
  }

  private auditRow(e: AuditEvent, eventKey: string): BatchRow {
    return put(this.tables.audit, [{ image_key: imageKey(e.regionId, e.imageId) }, { event_key: eventKey }], auditColumns(e));
  }

  private feedRow(key: string, e: AuditEvent): BatchRow {
    return put(this.tables.audit_by_time, [{ feed_key: key }], auditColumns(e));
  }

  async holdPendingAudit(events: readonly AuditEvent[]): Promise<void> {
    // Each held row keeps the audit key its append used (auditKey gives this process's key back), so
    // the flush writes exactly the row a partly landed append may already have written.
    await this.batchWrite(
      events.map((e) => {
        const where = columns({ image_key: imageKey(e.regionId, e.imageId), event_key: auditKey(e.at, e.eventId) });
        return put(this.tables.pending_audit, [{ event_id: e.eventId }], [...auditColumns(e).filter((c) => !('event_id' in c)), ...where]);
      }),
    );
  }

  async flushPendingAudit(limit: number, now: Date): Promise<number> {
    const held = await this.range(this.tables.pending_audit, [{ event_id: INF_MIN }], [{ event_id: INF_MAX }], clampLimit(limit));
    if (held.length === 0) return 0;
    const moves = held.map((row) => {
      const cols = attributesOf(row);
      const eventId = String(primaryKeyOf(row).get('event_id'));
      const event = decodeAudit(new Map([...cols, ['event_id', eventId]]));
      return [this.auditRow(event, String(cols.get('event_key'))), this.feedRow(feedKey(now.toISOString(), eventId), event)];
    });
    // Trail and outbox first: a crash between the two writes leaves held rows that the next flush rewrites in place.
    await this.batchWrite(moves.flat());
    await this.batchWrite(held.map((row) => remove(this.tables.pending_audit, [{ event_id: String(primaryKeyOf(row).get('event_id')) }])));
    return held.length;
  }

  async listAudit(regionId: string, imageId: string, limit: number, cursor?: string): Promise<Page<AuditEvent>> {
    const n = clampLimit(limit);
    const key = imageKey(regionId, imageId);
    const listing = `audit:${key}`;
    const startKey = cursor === undefined ? INF_MIN : (decodeCursor(listing, cursor, 1)[0] as string);
    const rows = await this.range(this.tables.audit, [{ image_key: key }, { event_key: startKey }], [{ image_key: key }, { event_key: INF_MAX }], n + 1);
    const items = rows.slice(0, n).map((r) => decodeAudit(attributesOf(r)));
    const after = rows[n];
    return after ? { items, nextCursor: encodeCursor(listing, [String(primaryKeyOf(after).get('event_key'))]) } : { items };
  }

  // ---- outbox ----

  async readFeed(from: string | undefined, limit: number): Promise<FeedEntry[]> {
    const rows = await this.range(this.tables.audit_by_time, [{ feed_key: from ?? INF_MIN }], [{ feed_key: INF_MAX }], clampLimit(limit));
    return rows.map((r) => ({ feedKey: String(primaryKeyOf(r).get('feed_key')), event: decodeAudit(attributesOf(r)) }));
  }

  async readDeliveries(sink: SinkName, from: string, to: string, limit?: number): Promise<Delivery[]> {
    if (from >= to) return [];
    const rows = await this.range(this.tables.deliveries, [{ sink }, { feed_key: from }], [{ sink }, { feed_key: to }], limit ?? Number.MAX_SAFE_INTEGER);
    return rows.map((r) => decodeDelivery(sink, String(primaryKeyOf(r).get('feed_key')), attributesOf(r)));
  }

  async writeDeliveries(writes: readonly { readonly next: Delivery; readonly expectedVersion: number }[]): Promise<string[]> {
    const rows = writes.map(({ next, expectedVersion }): BatchRow => ({
      table: this.tables.deliveries,
      type: 'PUT',
      condition: expectVersion(expectedVersion),
      primaryKey: [{ sink: next.sink }, { feed_key: next.feedKey }],
      attributeColumns: deliveryColumns(next, expectedVersion + 1),
    }));
    // A row whose answer was lost and then failed its condition on the resend is reported lost too:
    // either way the stored outcome is a real one, which is all the dispatcher needs.
    const lost = await this.batchWrite(rows, { conditional: true });
    return lost.map((i) => (writes[i] as (typeof writes)[number]).next.feedKey);
  }

  async forgetDeliveries(deliveries: readonly Delivery[]): Promise<void> {
    await this.batchWrite(
      deliveries.map((d): BatchRow => ({
        table: this.tables.deliveries,
        type: 'DELETE',
        condition: expectVersion(d.version),
        primaryKey: [{ sink: d.sink }, { feed_key: d.feedKey }],
      })),
      { conditional: true },
    );
  }

  async listDeliveries(filter: { status: 'retrying' | 'failed'; sink?: SinkName }, limit: number, cursor?: string): Promise<Page<Delivery>> {
    const n = clampLimit(limit);
    const listing = `deliveries:${filter.status}:${filter.sink ?? '*'}`;
    let start: PrimaryKeyInput;
    if (cursor !== undefined) {
      const [sink, key] = decodeCursor(listing, cursor, 2) as [string, string];
      if (filter.sink !== undefined && sink !== filter.sink) throw invalidCursor();
      start = [{ sink }, { feed_key: key }];
    } else {
      start = [{ sink: filter.sink ?? INF_MIN }, { feed_key: INF_MIN }];
    }
    const end: PrimaryKeyInput = [{ sink: filter.sink ?? INF_MAX }, { feed_key: INF_MAX }];
    const items: Delivery[] = [];
    // Delivered rows are forgotten once the catch-up passes them, so most rows match; a call that meets
    // many that do not still stops after MAX_SCAN_PER_PAGE rows, with a short page and a cursor.
    for (let examined = 0; ; ) {
      const rows = await this.range(this.tables.deliveries, start, end, DELIVERY_SCAN_BATCH);
      for (const r of rows) {
        const pk = primaryKeyOf(r);
        const delivery = decodeDelivery(String(pk.get('sink')) as SinkName, String(pk.get('feed_key')), attributesOf(r));
        if (delivery.status !== filter.status) continue;
        if (items.length === n) return { items, nextCursor: encodeCursor(listing, [delivery.sink, delivery.feedKey]) };
        items.push(delivery);
      }
      examined += rows.length;
      const last = rows.at(-1);
      if (rows.length < DELIVERY_SCAN_BATCH || !last) return { items };
      // Just after the last row read ("\0" sorts before every other suffix).
      const resume = [String(primaryKeyOf(last).get('sink')), `${String(primaryKeyOf(last).get('feed_key'))}\u0000`] as const;
      if (examined >= MAX_SCAN_PER_PAGE) return { items, nextCursor: encodeCursor(listing, resume) };
      start = [{ sink: resume[0] }, { feed_key: resume[1] }];
    }
  }

  async getDeliveryCursor(sink: SinkName): Promise<DeliveryCursor | null> {
    const row = await this.getRow(this.tables.delivery_cursors, [{ sink }]);
    return row ? decodeCursorRow(sink, attributesOf(row)) : null;
  }

  async putDeliveryCursor(cursor: DeliveryCursor, expectedVersion: number): Promise<void> {
    const stored: DeliveryCursor = { ...cursor, version: expectedVersion + 1 };
    await this.conditionalPut(
      this.tables.delivery_cursors,
      [{ sink: cursor.sink }],
      expectVersion(expectedVersion),
      cursorColumns(cursor, stored.version),
      holds(() => this.getDeliveryCursor(cursor.sink), stored),
    );
  }

  // ---- idempotency ----

  async getIdempotency(principal: string, key: string, now: Date): Promise<IdempotencyRecord | null> {
    const row = await this.getRow(this.tables.idempotency, [{ principal }, { idem_key: key }]);
    if (!row) return null;
    const cols = attributesOf(row);
    // TTL deletion is lazy: an expired record may still be there.
    const expiresAtMs = toNumber(cols.get('expires_at_ms'));
    if (expiresAtMs === undefined || expiresAtMs <= now.getTime()) return null;
    return decodeIdempotency(principal, key, cols);
  }

  async putIdempotency(record: IdempotencyRecord): Promise<void> {
    const table = this.tables.idempotency;
    const nowMs = Date.parse(record.createdAt);
    // Absent row: the comparison sees a missing column and passes. Present: only if expired.
    const free = compare('expires_at_ms', 'LESS_EQUAL', int(nowMs), true);
    await this.conditionalPut(
      table,
      [{ principal: record.principal }, { idem_key: record.key }],
      expect('IGNORE', free),
      idempotencyColumns(record),
      holds(() => this.getIdempotency(record.principal, record.key, new Date(nowMs)), record),
      'AlreadyExists',
    );
  }

  // ---- reconcile runs ----

  async putRun(run: ReconcileRun): Promise<void> {
    await this.putIndexRow(this.tables.runs_by_time, timeKey(run.startedAt, run.runId), { run_id: run.runId });
    const table = this.tables.runs;
    await withRetry(
      this.retry,
      'PutRow',
      table,
      () => this.client().putRow({ tableName: table, condition: expect('IGNORE'), primaryKey: [{ run_id: run.runId }], attributeColumns: runColumns(run) }),
      { mode: 'idempotent' },
    );
  }

  async getRun(runId: string): Promise<ReconcileRun | null> {
    const row = await this.getRow(this.tables.runs, [{ run_id: runId }]);
    return row ? decodeRun(runId, attributesOf(row)) : null;
  }

  async listRuns(limit: number, cursor?: string): Promise<Page<ReconcileRun>> {
    return this.listViaTimeIndex({
      index: this.tables.runs_by_time,
      listing: 'runs',
      limit,
      cursor,
      selective: false,
      indexMatches: () => true,
      load: async (indexRows) => {
        const ids = indexRows.map((c) => String(c.get('run_id')));
        const rows = await this.batchGet(this.tables.runs, ids.map((id) => [{ run_id: id }]));
        return rows.map((r, i) => (r ? decodeRun(ids[i] as string, attributesOf(r)) : null));
      },
      matches: (run, key) => timeKey(run.startedAt, run.runId) === key,
    });
  }

  // ---- leases ----

  async acquireLease(name: string, holder: string, ttlMs: number, now: Date): Promise<boolean> {
    const nowMs = now.getTime();
    // Absent row: both comparisons see missing columns and pass. Present: ours, or expired.
    const takeable = combine('OR', [compare('holder', 'EQUAL', holder, true), compare('expires_at_ms', 'LESS_EQUAL', int(nowMs), true)]);
    // An UpdateRow, not a PutRow: renewing keeps a follow-up asked of the lease meanwhile. Retrying
    // is safe: after a lost response the row is ours and the "same holder" branch passes.
    return this.updateIf(this.tables.leases, [{ name }], expect('IGNORE', takeable), [
      { PUT: columns({ holder, expires_at_ms: int(nowMs + ttlMs), acquired_at: now.toISOString() }) },
    ]);
  }

  async requestFollowUp(name: string, note: string, now: Date): Promise<boolean> {
    const held = expect('EXPECT_EXIST', compare('expires_at_ms', 'GREATER_THAN', int(now.getTime()), false));
    return this.updateIf(this.tables.leases, [{ name }], held, [{ PUT: columns({ follow_up: note, follow_up_at: now.toISOString() }) }]);
  }

  async releaseLease(name: string, holder: string): Promise<LeaseRelease> {
    const table = this.tables.leases;
    let seen: LeaseRelease = {};
    for (let attempt = 0; attempt < MAX_LEASE_RELEASE_ATTEMPTS; attempt++) {
      const row = await this.getRow(table, [{ name }]);
      // Gone: released by us (a retried delete whose first answer was lost) or taken over and released.
      // The follow-up read before stands: one run too many beats an interval lost.
      if (!row) return seen;
      const attrs = attributesOf(row);
      if (attrs.get('holder') !== holder) return {};
      const note = attrs.get('follow_up');
      const at = attrs.get('follow_up_at');
      seen = typeof note === 'string' && typeof at === 'string' ? { followUp: { note, requestedAt: at } } : {};
      // Deleted only while no new follow-up has arrived since the read: else read again.
      const unchanged = typeof at === 'string' ? compare('follow_up_at', 'EQUAL', at, false) : compare('follow_up_at', 'EQUAL', '', true);
      try {
        await withRetry(
          this.retry,
          'DeleteRow',
          table,
          () =>
            this.client().deleteRow({
              tableName: table,
              condition: expect('EXPECT_EXIST', combine('AND', [compare('holder', 'EQUAL', holder, false), unchanged])),
              primaryKey: [{ name }],
            }),
          { mode: 'idempotent' },
        );
        return seen;
      } catch (err) {
        if (!(err instanceof StoreError && err.kind === 'ConditionFailed')) throw err;
      }
    }
    throw new StoreError('ConditionFailed', `lease ${name} kept changing while it was released`);
  }

  // ---- reconcile findings and the posture ----

  private findingPk(runId: string, key: string | object): PrimaryKeyInput {
    return [{ run_id: runId }, { finding_key: key }];
  }

  async putFindings(runId: string, findings: readonly StoredFinding[]): Promise<void> {
    // Unconditional puts of deterministic keys: a resent batch, or a finding stored again, rewrites its row.
    await this.batchWrite(findings.map((f) => put(this.tables.findings, this.findingPk(runId, findingKey(f)), findingColumns(f))));
  }

  async getFindings(runId: string, subjects: readonly FindingSubject[]): Promise<StoredFinding[]> {
    const keys = [...new Set(subjects.map(findingKey))];
    const rows = await this.batchGet(this.tables.findings, keys.map((key) => this.findingPk(runId, key)));
    return rows.flatMap((row) => (row ? [decodeFinding(attributesOf(row))] : []));
  }

  async imageFindings(runId: string, regionId: string, imageId: string): Promise<StoredFinding[]> {
    // Keys lead with the kind: one short range per kind.
    const perKind = await Promise.all(
      FINDING_KINDS.map((kind) => {
        const prefix = findingKeyPrefix(kind, { regionId, imageId });
        return this.range(this.tables.findings, this.findingPk(runId, prefix), this.findingPk(runId, prefixEnd(prefix)), Number.MAX_SAFE_INTEGER);
      }),
    );
    return perKind.flat().map((row) => decodeFinding(attributesOf(row)));
  }

  async listFindings(runId: string, filter: { committed: number; kind?: FindingKind }, limit: number, cursor?: string): Promise<Page<StoredFinding>> {
    const n = clampLimit(limit);
    const listing = findingsListing(runId, filter.kind);
    const prefix = filter.kind === undefined ? undefined : findingKeyPrefix(filter.kind);
    const from = cursor === undefined ? (prefix ?? INF_MIN) : decodeFindingsCursor(listing, cursor, filter.kind);
    const scan = await this.scanFindings(runId, from, prefix === undefined ? INF_MAX : prefixEnd(prefix), (f) => f.seq < filter.committed, n + 1, false);
    const at = (key: string): string => encodeCursor(listing, [key]);
    const next = scan.kept[n];
    if (next) return { items: scan.kept.slice(0, n), nextCursor: at(findingKey(next)) };
    return scan.resumeAt === undefined ? { items: scan.kept } : { items: scan.kept, nextCursor: at(scan.resumeAt) };
  }

  async getPosture(regionId: string): Promise<PosturePointer | null> {
    const row = await this.getRow(this.tables.posture, [{ region_id: regionId }]);
    return row ? decodePosture(regionId, attributesOf(row)) : null;
  }

  async putPosture(pointer: PosturePointer): Promise<boolean> {
    // Absent row: both comparisons see missing columns and pass. Present: the same run, or one that started earlier.
    const newer = combine('OR', [
      compare('run_id', 'EQUAL', pointer.runId, true),
      compare('started_at_ms', 'LESS_THAN', int(Date.parse(pointer.startedAt)), true),
    ]);
    // Retrying is safe: after a lost response the row names this run and the first branch passes.
    return this.putIf(this.tables.posture, [{ region_id: pointer.regionId }], newer, postureColumns(pointer));
  }

  async listPosture(filter: { regionIds: readonly string[]; kind?: FindingKind }, limit: number, cursor?: string): Promise<Page<StoredFinding>> {
    const n = clampLimit(limit);
    const listing = postureListing(filter.kind);
    const at = cursor === undefined ? undefined : decodePostureCursor(listing, cursor, filter.regionIds, filter.kind);
    const prefix = filter.kind === undefined ? undefined : findingKeyPrefix(filter.kind);
    const items: StoredFinding[] = [];
    for (const regionId of filter.regionIds.slice(at ? filter.regionIds.indexOf(at.regionId) : 0)) {
      // A page that resumes in a region stays with the run it started in.
      const resume = at?.regionId === regionId ? at : undefined;
      const pointer = resume ? { runId: resume.runId, findings: resume.committed } : await this.getPosture(regionId);
      if (!pointer) continue;
      const from = resume?.key ?? prefix ?? INF_MIN;
      const open = (f: StoredFinding): boolean => f.seq < pointer.findings && isOpenFinding(f);
      const scan = await this.scanFindings(pointer.runId, from, prefix === undefined ? INF_MAX : prefixEnd(prefix), open, n + 1 - items.length, true);
      const cursorAt = (key: string): string => encodeCursor(listing, [regionId, pointer.runId, String(pointer.findings), key]);
      for (const f of scan.kept) {
        if (items.length === n) return { items, nextCursor: cursorAt(findingKey(f)) };
        items.push(f);
      }
      if (scan.resumeAt !== undefined) return { items, nextCursor: cursorAt(scan.resumeAt) };
    }
    return { items };
  }

  /**
   * Reads a run's findings in key order from `from` (inclusive) to `end`, keeping those `keep`
   * accepts, until `want` are kept or MAX_SCAN_PER_PAGE rows were examined; then `resumeAt` is the key
   * to go on from (the page may be short, never gapped). A `selective` filter reads ahead in bigger steps.
   */
  private async scanFindings(
    runId: string,
    from: string | object,
    end: string | object,
    keep: (f: StoredFinding) => boolean,
    want: number,
    selective: boolean,
  ): Promise<{ kept: StoredFinding[]; resumeAt?: string }> {
    const kept: StoredFinding[] = [];
    let start = from;
    let examined = 0;
    for (;;) {
      const missing = want - kept.length;
      const batch = Math.min(MAX_SCAN_PER_PAGE - examined, selective ? Math.min(200, Math.max(50, 2 * missing)) : missing);
      const rows = await this.range(this.tables.findings, this.findingPk(runId, start), this.findingPk(runId, end), batch);
      for (const row of rows) {
        const f = decodeFinding(attributesOf(row));
        if (!keep(f)) continue;
        kept.push(f);
        if (kept.length === want) return { kept };
      }
      examined += rows.length;
      if (rows.length < batch) return { kept };
      // Resume just after the last key read ("\0" sorts before every other suffix).
      start = `${String(primaryKeyOf(rows[rows.length - 1]).get('finding_key'))}\u0000`;
      if (examined >= MAX_SCAN_PER_PAGE) return { kept, resumeAt: start };
    }
  }

  // ---- shared helpers ----

  /**
   * A conditional write, retried on Busy/Unavailable. If an attempt failed ambiguously (the write
   * may have been applied) and a later attempt loses its condition, `isOurs()` re-reads the row:
   * when it holds exactly what we wrote, the earlier attempt succeeded.
   */
  private async conditionalWrite(
    operation: string,
    table: string,
    write: (c: StoreClient) => Promise<unknown>,
    isOurs: () => Promise<boolean>,
    conditionFailedAs: 'ConditionFailed' | 'AlreadyExists' = 'ConditionFailed',
  ): Promise<void> {
    try {
      await withRetry(this.retry, operation, table, () => write(this.client()), {
        mode: 'conditional',
        resolve: async () => ((await isOurs()) ? { ours: true, value: undefined } : { ours: false }),
      });
    } catch (err) {
      if (conditionFailedAs === 'AlreadyExists' && err instanceof StoreError && err.kind === 'ConditionFailed') {
        throw new StoreError('AlreadyExists', `${operation} ${table}: the row already exists`, { cause: err });
      }
      throw err;
    }
  }

  /** A conditional PutRow of a whole row, resolved by re-reading when its answer was lost. */
  private conditionalPut(
    table: string,
    primaryKey: PrimaryKeyInput,
    condition: ReturnType<typeof expect>,
    attributeColumns: AttributeColumns,
    isOurs: () => Promise<boolean>,
    conditionFailedAs: 'ConditionFailed' | 'AlreadyExists' = 'ConditionFailed',
  ): Promise<void> {
    return this.conditionalWrite(
      'PutRow',
      table,
      (c) => c.putRow({ tableName: table, condition, primaryKey, attributeColumns }),
      isOurs,
      conditionFailedAs,
    );
  }

  /**
   * An UpdateRow of the columns given when `condition` holds (a lease): false when it does not.
   * Retried, so the condition must pass again for the row a lost answer already wrote.
   */
  private async updateIf(table: string, primaryKey: PrimaryKeyInput, condition: SdkCondition, updateOfAttributeColumns: Record<string, unknown>[]): Promise<boolean> {
    try {
      await withRetry(this.retry, 'UpdateRow', table, () => this.client().updateRow({ tableName: table, condition, primaryKey, updateOfAttributeColumns }), {
        mode: 'idempotent',
      });
      return true;
    } catch (err) {
      if (err instanceof StoreError && err.kind === 'ConditionFailed') return false;
      throw err;
    }
  }

  /**
   * A PutRow that takes a row over when `condition` holds (a posture): false when it does not.
   * Retried, so the condition must pass again for the row a lost answer already wrote.
   */
  private async putIf(table: string, primaryKey: PrimaryKeyInput, condition: SdkColumnCondition, attributeColumns: AttributeColumns): Promise<boolean> {
    try {
      await withRetry(
        this.retry,
        'PutRow',
        table,
        () => this.client().putRow({ tableName: table, condition: expect('IGNORE', condition), primaryKey, attributeColumns }),
        { mode: 'idempotent' },
      );
      return true;
    } catch (err) {
      if (err instanceof StoreError && err.kind === 'ConditionFailed') return false;
      throw err;
    }
  }

  /** PutRow of the whole record with version v+1, conditional on the stored version being v. */
  private async versionedPut<T extends { version: number }>(
    table: string,
    primaryKey: PrimaryKeyInput,
    next: T,
    expectedVersion: number,
    toColumns: (record: T, version: number) => AttributeColumns,
    reread: () => Promise<T | null>,
  ): Promise<T> {
    const stored: T = { ...next, version: expectedVersion + 1 };
    await this.conditionalPut(
      table,
      primaryKey,
      expect('EXPECT_EXIST', compare('version', 'EQUAL', int(expectedVersion), false)),
      toColumns(next, stored.version),
      holds(reread, stored),
    );
    return stored;
  }

  private async putIndexRow(table: string, key: string, cols: Record<string, string>): Promise<void> {
    await withRetry(
      this.retry,
      'PutRow',
      table,
      () => this.client().putRow({ tableName: table, condition: expect('IGNORE'), primaryKey: [{ time_key: key }], attributeColumns: columns(cols) }),
      { mode: 'idempotent' },
    );
  }

  /**
   * BatchWriteRow of puts and deletes (of one or more tables), cut to the service's 200 rows and 4 MB
   * by count and estimated size. Unconditional rows only, unless `conditional`: then a row that fails
   * its condition is left as it is and its position returned, instead of failing the call.
   */
  private async batchWrite(rows: readonly BatchRow[], opts: { conditional?: boolean } = {}): Promise<number[]> {
    const lost: number[] = [];
    let chunk: number[] = [];
    let bytes = 0;
    const send = async (): Promise<void> => {
      const positions = chunk;
      chunk = [];
      bytes = 0;
      for (const j of await this.batchChunk(positions.map((i) => rows[i] as BatchRow), opts.conditional === true)) lost.push(positions[j] as number);
    };
    for (const [i, row] of rows.entries()) {
      const size = estimateBytes(row.primaryKey) + estimateBytes(row.attributeColumns ?? []);
      if (chunk.length > 0 && (chunk.length >= BATCH_WRITE_ROWS || bytes + size > BATCH_WRITE_BYTES)) await send();
      chunk.push(i);
      bytes += size;
    }
    if (chunk.length > 0) await send();
    return lost;
  }

  /** One BatchWriteRow; rows that fail with a retryable per-row error are resent. Returns the positions that lost their condition. */
  private async batchChunk(rows: readonly BatchRow[], conditional: boolean): Promise<number[]> {
    const lost: number[] = [];
    let pending = rows.map((_, i) => i);
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      // The service answers table by table, each table's rows in order: the request lists them the same way.
      const byTable = new Map<string, number[]>();
      for (const i of pending) byTable.set((rows[i] as BatchRow).table, [...(byTable.get((rows[i] as BatchRow).table) ?? []), i]);
      const order = [...byTable.values()].flat();
      const tables = [...byTable].map(([tableName, positions]) => ({ tableName, rows: positions.map((i) => withoutTable(rows[i] as BatchRow)) }));
      const label = [...byTable.keys()].join(',');
      let results: SdkBatchRowResult[];
      try {
        results = (await this.client().batchWriteRow({ tables })).tables;
      } catch (err) {
        const c = classify(err);
        if (!c.retryable || attempt + 1 >= this.retry.attempts) throw toStoreError(err, 'BatchWriteRow', label);
        await sleep(backoffMs(this.retry, attempt));
        continue;
      }
      const failed: number[] = [];
      let fatal: StoreError | undefined;
      results.forEach((r, k) => {
        if (r.isOk) return;
        const c = classify(rowError(r));
        if (c.retryable) failed.push(order[k] as number);
        else if (conditional && c.kind === 'ConditionFailed') lost.push(order[k] as number);
        else fatal ??= toStoreError(rowError(r), 'BatchWriteRow', r.tableName);
      });
      if (fatal) throw fatal;
      if (failed.length > 0 && attempt + 1 >= this.retry.attempts) throw toStoreError(rowError(results.find((r) => !r.isOk)!), 'BatchWriteRow', label);
      if (failed.length > 0) await sleep(backoffMs(this.retry, attempt));
      pending = failed;
    }
    return lost;
  }

  /**
   * Newest-first listing through a time index (`time_key` = inverted time + id, after the `scope` key
   * columns when the index has them). Index rows are filtered cheaply on their own columns, then the
   * records are read in batches and checked (orphan index rows and non-matching records are skipped;
   * with `forget`, rows that are `stale` are removed once the page is read). Returns at most `limit`
   * items; the cursor is the index key of the next matching row, or — when a selective filter has
   * examined MAX_SCAN_PER_PAGE index rows — of the next unexamined row (the page may then be short).
   */
  private async listViaTimeIndex<T>(spec: TimeIndexListing<T>): Promise<Page<T>> {
    const stale: { key: string; columns: Columns }[] = [];
    try {
      return await this.scanTimeIndex(spec, stale);
    } finally {
      if (stale.length > 0) await spec.forget?.remove(stale);
    }
  }

  private async scanTimeIndex<T>(spec: TimeIndexListing<T>, stale: { key: string; columns: Columns }[]): Promise<Page<T>> {
    const n = clampLimit(spec.limit);
    const scope = spec.scope ?? [];
    let start: string | object = spec.cursor === undefined ? INF_MIN : (decodeCursor(spec.listing, spec.cursor, 1)[0] as string);
    const items: T[] = [];
    let examined = 0;
    for (;;) {
      const batchSize = spec.selective ? Math.min(200, Math.max(50, 2 * (n + 1 - items.length))) : n + 1 - items.length;
      const rows = await this.range(spec.index, [...scope, { time_key: start }], [...scope, { time_key: INF_MAX }], batchSize);
      if (rows.length === 0) return { items };
      const keys = rows.map((r) => String(primaryKeyOf(r).get('time_key')));
      const indexCols = rows.map((r) => attributesOf(r));
      const candidates = indexCols.map((c, i) => ({ c, i })).filter(({ c }) => spec.indexMatches(c));
      const loaded = await spec.load(candidates.map(({ c }) => c));
      const byRow = new Map<number, T | null>(candidates.map(({ i }, j) => [i, (loaded[j] as T | null | undefined) ?? null]));
      for (let i = 0; i < rows.length; i += 1) {
        const key = keys[i] as string;
        if (!byRow.has(i)) continue;
        const item = byRow.get(i) ?? null;
        if (item === null || !spec.matches(item, key)) {
          if (spec.forget?.stale(item, key)) stale.push({ key, columns: indexCols[i] as Columns });
          continue;
        }
        if (items.length === n) return { items, nextCursor: encodeCursor(spec.listing, [key]) };
        items.push(item);
      }
      examined += rows.length;
      if (rows.length < batchSize) return { items };
      // Resume just after the last key of this batch ("\0" sorts before every other suffix).
      start = `${keys[keys.length - 1] as string}\u0000`;
      if (examined >= MAX_SCAN_PER_PAGE) return { items, nextCursor: encodeCursor(spec.listing, [start]) };
    }
  }
}

/** What listViaTimeIndex reads, how it filters and checks what it read, and (optionally) which rows it removes. */
interface TimeIndexListing<T> {
  readonly index: string;
  /** The key columns before `time_key`, when the index has them. */
  readonly scope?: PrimaryKeyInput;
  readonly listing: string;
  readonly limit: number;
  readonly cursor: string | undefined;
  readonly selective: boolean;
  readonly indexMatches: (c: Columns) => boolean;
  readonly load: (indexRows: Columns[]) => Promise<(T | null)[]>;
  readonly matches: (item: T, key: string) => boolean;
  /** Of the rows skipped (no record, or one that does not match), those that are `stale` are given to `remove` once the page is read. */
  readonly forget?: {
    readonly stale: (item: T | null, key: string) => boolean;
    readonly remove: (rows: { key: string; columns: Columns }[]) => Promise<void>;
  };
}

/** A row of a BatchWriteRow, with its table; unconditional unless the write says otherwise. */
type BatchRow =
  | {
      readonly table: string;
      readonly type: 'PUT';
      readonly condition: SdkCondition;
      readonly primaryKey: PrimaryKeyInput;
      readonly attributeColumns: AttributeColumns;
    }
  | { readonly table: string; readonly type: 'DELETE'; readonly condition: SdkCondition; readonly primaryKey: PrimaryKeyInput; readonly attributeColumns?: undefined };

/** An unconditional delete: deleting a row again, or one that is not there, changes nothing. */
const remove = (table: string, primaryKey: PrimaryKeyInput): BatchRow => ({ table, type: 'DELETE', condition: expect('IGNORE'), primaryKey });

/** An unconditional put: resending it after a lost answer changes nothing. */
const put = (table: string, primaryKey: PrimaryKeyInput, attributeColumns: AttributeColumns): BatchRow => ({
  table,
  type: 'PUT',
  condition: expect('IGNORE'),
  primaryKey,
  attributeColumns,
});

const withoutTable = ({ table: _table, ...row }: BatchRow) => row;

/** The row holds version `expected`, or (0) does not exist. */
const expectVersion = (expected: number): SdkCondition =>
  expected === 0 ? expect('EXPECT_NOT_EXIST') : expect('EXPECT_EXIST', compare('version', 'EQUAL', int(expected), false));

/** The end of the key range of a prefix that ends in `#` (the next character, `$`, bounds it). */
const prefixEnd = (prefix: string): string => `${prefix.slice(0, -1)}$`;

/** For conditionalWrite's `isOurs`: the row, read again, holds exactly `wanted`. */
function holds<T>(reread: () => Promise<T | null>, wanted: T): () => Promise<boolean> {
  return async () => {
    const stored = await reread();
    return stored !== null && canonical(stored) === canonical(wanted);
  };
}

/** UTF-8 bytes of the names and string values of a key or column list (integers count 8). */
function estimateBytes(cells: Record<string, unknown>[]): number {
  let n = 0;
  for (const cell of cells) {
    for (const [name, value] of Object.entries(cell)) {
      n += Buffer.byteLength(name) + 16 + (typeof value === 'string' ? Buffer.byteLength(value) : 8);
    }
  }
  return n;
}

function rowError(r: SdkBatchRowResult): { code: string; message: string } {
  return { code: r.errorCode ?? 'OTSInternalServerError', message: r.errorMessage ?? '' };
}
