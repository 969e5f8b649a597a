// Domain records ⇄ Tablestore columns. Integers are INTEGER cells (TableStore.Long), account ids
// and every other identifier are strings, and structured fields are JSON strings. Rows written
// before the directory channel existed lack its columns and read as the account channel (no migration).
import { StoreError } from '../domain/errors.js';
import {
  type AuditEvent,
  type Deletion,
  type Delivery,
  type DeliveryCursor,
  type DeliveryStatus,
  type SinkName,
  type FindingAction,
  type FindingKind,
  type IdempotencyRecord,
  type ImageRecord,
  type PosturePointer,
  type ReconcileRun,
  type Share,
  type ShareChannel,
  type ShareRequest,
  type StoredFinding,
  shareTargetOfKey,
  targetFields,
} from '../domain/model.js';
import { int, toNumber, type AttributeColumns, type ColumnValue } from './sdk.js';

export type Columns = Map<string, unknown>;

/** Builds an attribute list, skipping absent optional values. */
export function columns(entries: Record<string, ColumnValue | undefined>): AttributeColumns {
  const out: AttributeColumns = [];
  for (const [name, value] of Object.entries(entries)) if (value !== undefined) out.push({ [name]: value });
  return out;
}

const corrupt = (table: string, column: string): StoreError =>
  new StoreError('Unavailable', `Stored ${table} row is missing or has a malformed "${column}" column`);

export function reqString(c: Columns, table: string, name: string): string {
  const v = c.get(name);
  if (typeof v !== 'string') throw corrupt(table, name);
  return v;
}

export function optString(c: Columns, name: string): string | undefined {
  const v = c.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function reqNumber(c: Columns, table: string, name: string): number {
  const v = toNumber(c.get(name));
  if (v === undefined) throw corrupt(table, name);
  return v;
}

export function reqJson<T>(c: Columns, table: string, name: string): T {
  try {
    return JSON.parse(reqString(c, table, name)) as T;
  } catch {
    throw corrupt(table, name);
  }
}

/** Adds `key: value` only when value is defined, so decoded records have no undefined-valued keys. */
function withOptional<T extends object>(base: T, optional: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) out[k] = v;
  return out as T;
}

// ---- images ----
/** The counter column of each channel's quota; `dir_quota_used` is absent on rows written before the directory channel (0). */
export const QUOTA_COLUMNS: Readonly<Record<ShareChannel, string>> = { account: 'quota_used', directory: 'dir_quota_used' };

/**
 * Every image column except the quota counters and quota_changed_at (the counters and their timestamp
 * are written only by adjustQuota/correctQuota/create).
 */
export function imageColumns(r: ImageRecord, version: number): Record<string, ColumnValue | undefined> {
  return {
    image_name: r.imageName,
    lifecycle: r.lifecycle,
    deletion: JSON.stringify(r.deletion),
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    version: int(version),
  };
}

export function decodeImage(regionId: string, imageId: string, c: Columns): ImageRecord {
  return withOptional(
    {
      regionId,
      imageId,
      lifecycle: reqString(c, 'images', 'lifecycle') as ImageRecord['lifecycle'],
      quotaUsed: reqNumber(c, 'images', QUOTA_COLUMNS.account),
      directoryQuotaUsed: toNumber(c.get(QUOTA_COLUMNS.directory)) ?? 0,
      deletion: reqJson<Deletion>(c, 'images', 'deletion'),
      createdAt: reqString(c, 'images', 'created_at'),
      updatedAt: reqString(c, 'images', 'updated_at'),
      version: reqNumber(c, 'images', 'version'),
    },
    { imageName: optString(c, 'image_name'), quotaChangedAt: optString(c, 'quota_changed_at') },
  );
}

// ---- shares ----
export function shareColumns(s: Share, version: number): AttributeColumns {
  return columns({
    region_id: s.regionId,
    image_id: s.imageId,
    state: s.state,
    request_id: s.requestId,
    origin: s.origin,
    expires_at: s.expiresAt,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    last_error: s.lastError,
    resource_share_id: s.resourceShareId,
    version: int(version),
  });
}

/** `key` is the row's `account_id` key value: shareTargetKey of the share's channel and target. */
export function decodeShare(key: string, c: Columns): Share {
  return withOptional(
    {
      regionId: reqString(c, 'shares', 'region_id'),
      imageId: reqString(c, 'shares', 'image_id'),
      ...targetFields(shareTargetOfKey(key)),
      state: reqString(c, 'shares', 'state') as Share['state'],
      origin: reqString(c, 'shares', 'origin') as Share['origin'],
      createdAt: reqString(c, 'shares', 'created_at'),
      updatedAt: reqString(c, 'shares', 'updated_at'),
      version: reqNumber(c, 'shares', 'version'),
    },
    {
      requestId: optString(c, 'request_id'),
      expiresAt: optString(c, 'expires_at'),
      lastError: optString(c, 'last_error'),
      resourceShareId: optString(c, 'resource_share_id'),
    },
  );
}

// ---- share requests ----
export function requestColumns(r: ShareRequest, version: number): AttributeColumns {
  return columns({
    region_id: r.regionId,
    image_id: r.imageId,
    account_ids: JSON.stringify(r.accountIds),
    directory_targets: JSON.stringify(r.directoryTargets),
    status: r.status,
    requester: r.requester,
    reason: r.reason,
    ticket: r.ticket,
    share_expires_at: r.shareExpiresAt,
    attestation: JSON.stringify(r.attestation),
    pending_until: r.pendingUntil,
    decided_by: r.decidedBy,
    decided_at: r.decidedAt,
    comment: r.comment,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    version: int(version),
  });
}

/** What every index row of a request carries (`requests_by_time`, `requests_open`): enough to filter on, and the id to read it by. */
export const requestIndexColumns = (r: Pick<ShareRequest, 'requestId' | 'regionId' | 'imageId'>): AttributeColumns =>
  columns({ request_id: r.requestId, region_id: r.regionId, image_id: r.imageId });

export function decodeRequest(requestId: string, c: Columns): ShareRequest {
  return withOptional(
    {
      requestId,
      regionId: reqString(c, 'requests', 'region_id'),
      imageId: reqString(c, 'requests', 'image_id'),
      accountIds: reqJson<string[]>(c, 'requests', 'account_ids'),
      directoryTargets: c.has('directory_targets') ? reqJson<string[]>(c, 'requests', 'directory_targets') : [],
      status: reqString(c, 'requests', 'status') as ShareRequest['status'],
      requester: reqString(c, 'requests', 'requester'),
      reason: reqString(c, 'requests', 'reason'),
      attestation: reqJson<ShareRequest['attestation']>(c, 'requests', 'attestation'),
      pendingUntil: reqString(c, 'requests', 'pending_until'),
      createdAt: reqString(c, 'requests', 'created_at'),
      updatedAt: reqString(c, 'requests', 'updated_at'),
      version: reqNumber(c, 'requests', 'version'),
    },
    {
      ticket: optString(c, 'ticket'),
      shareExpiresAt: optString(c, 'share_expires_at'),
      decidedBy: optString(c, 'decided_by'),
      decidedAt: optString(c, 'decided_at'),
      comment: optString(c, 'comment'),
    },
  );
}

// ---- audit ----
export function auditColumns(e: AuditEvent): AttributeColumns {
  return columns({
    event_id: e.eventId,
    region_id: e.regionId,
    image_id: e.imageId,
    at: e.at,
    principal: e.principal,
    action: e.action,
    channel: e.channel,
    target: e.target,
    account_id: e.accountId,
    before: e.before,
    after: e.after,
    request_id: e.requestId,
    share_request_id: e.shareRequestId,
    reason: e.reason,
    ticket: e.ticket,
    detail: e.detail,
  });
}

export function decodeAudit(c: Columns): AuditEvent {
  const accountId = optString(c, 'account_id');
  // An event recorded before the directory channel existed names its share by account only.
  const channel = (optString(c, 'channel') as ShareChannel | undefined) ?? (accountId !== undefined ? 'account' : undefined);
  return withOptional(
    {
      eventId: reqString(c, 'audit', 'event_id'),
      regionId: reqString(c, 'audit', 'region_id'),
      imageId: reqString(c, 'audit', 'image_id'),
      at: reqString(c, 'audit', 'at'),
      principal: reqString(c, 'audit', 'principal'),
      action: reqString(c, 'audit', 'action'),
      requestId: reqString(c, 'audit', 'request_id'),
    },
    {
      channel,
      target: optString(c, 'target') ?? (channel === 'account' ? accountId : undefined),
      accountId,
      before: optString(c, 'before'),
      after: optString(c, 'after'),
      shareRequestId: optString(c, 'share_request_id'),
      reason: optString(c, 'reason'),
      ticket: optString(c, 'ticket'),
      detail: optString(c, 'detail'),
    },
  );
}

// ---- idempotency ----
export function idempotencyColumns(r: IdempotencyRecord): AttributeColumns {
  return columns({
    fingerprint: r.fingerprint,
    status_code: int(r.statusCode),
    body: r.body,
    created_at: r.createdAt,
    expires_at: r.expiresAt,
    expires_at_ms: int(Date.parse(r.expiresAt)),
  });
}

export function decodeIdempotency(principal: string, key: string, c: Columns): IdempotencyRecord {
  return {
    principal,
    key,
    fingerprint: reqString(c, 'idempotency', 'fingerprint'),
    statusCode: reqNumber(c, 'idempotency', 'status_code'),
    body: reqString(c, 'idempotency', 'body'),
    createdAt: reqString(c, 'idempotency', 'created_at'),
    expiresAt: reqString(c, 'idempotency', 'expires_at'),
  };
}

// ---- reconcile runs ----
export function runColumns(r: ReconcileRun): AttributeColumns {
  return columns({
    trigger: r.trigger,
    mode: r.mode,
    regions: JSON.stringify(r.regions),
    status: r.status,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    duration_ms: r.durationMs === undefined ? undefined : int(r.durationMs),
    images_scanned: int(r.imagesScanned),
    findings: JSON.stringify(r.findings),
    actions: JSON.stringify(r.actions),
    errors: JSON.stringify(r.errors),
    api_calls: JSON.stringify(r.apiCalls),
    cursor: r.cursor,
    parent_run_id: r.parentRunId,
  });
}

export function decodeRun(runId: string, c: Columns): ReconcileRun {
  const duration = toNumber(c.get('duration_ms'));
  return withOptional(
    {
      runId,
      trigger: reqString(c, 'runs', 'trigger') as ReconcileRun['trigger'],
      mode: reqString(c, 'runs', 'mode') as ReconcileRun['mode'],
      regions: reqJson<string[]>(c, 'runs', 'regions'),
      status: reqString(c, 'runs', 'status') as ReconcileRun['status'],
      startedAt: reqString(c, 'runs', 'started_at'),
      imagesScanned: reqNumber(c, 'runs', 'images_scanned'),
      findings: reqJson<ReconcileRun['findings']>(c, 'runs', 'findings'),
      actions: reqJson<ReconcileRun['actions']>(c, 'runs', 'actions'),
      errors: reqJson<ReconcileRun['errors']>(c, 'runs', 'errors'),
      apiCalls: reqJson<ReconcileRun['apiCalls']>(c, 'runs', 'api_calls'),
    },
    {
      finishedAt: optString(c, 'finished_at'),
      durationMs: duration,
      cursor: optString(c, 'cursor'),
      parentRunId: optString(c, 'parent_run_id'),
    },
  );
}

// ---- deliveries and their cursors ----
export function deliveryColumns(d: Delivery, version: number): AttributeColumns {
  return columns({
    event_id: d.eventId,
    type: d.type,
    subject: d.subject,
    status: d.status,
    attempts: int(d.attempts),
    next_attempt_at: d.nextAttemptAt,
    last_reason: d.lastReason,
    updated_at: d.updatedAt,
    version: int(version),
  });
}

export function decodeDelivery(sink: SinkName, feedKey: string, c: Columns): Delivery {
  return withOptional(
    {
      sink,
      feedKey,
      eventId: reqString(c, 'deliveries', 'event_id'),
      type: reqString(c, 'deliveries', 'type'),
      subject: reqString(c, 'deliveries', 'subject'),
      status: reqString(c, 'deliveries', 'status') as DeliveryStatus,
      attempts: reqNumber(c, 'deliveries', 'attempts'),
      updatedAt: reqString(c, 'deliveries', 'updated_at'),
      version: reqNumber(c, 'deliveries', 'version'),
    },
    { nextAttemptAt: optString(c, 'next_attempt_at'), lastReason: optString(c, 'last_reason') },
  );
}

export function cursorColumns(cursor: DeliveryCursor, version: number): AttributeColumns {
  return columns({ feed_key: cursor.feedKey, updated_at: cursor.updatedAt, version: int(version) });
}

export function decodeCursorRow(sink: SinkName, c: Columns): DeliveryCursor {
  return {
    sink,
    feedKey: reqString(c, 'delivery_cursors', 'feed_key'),
    updatedAt: reqString(c, 'delivery_cursors', 'updated_at'),
    version: reqNumber(c, 'delivery_cursors', 'version'),
  };
}

// ---- reconcile findings and the posture ----
export function findingColumns(f: StoredFinding): AttributeColumns {
  return columns({
    kind: f.kind,
    region_id: f.regionId,
    image_id: f.imageId,
    channel: f.channel,
    target: f.target,
    account_id: f.accountId,
    detail: f.detail,
    action: f.action,
    at: f.at,
    seq: int(f.seq),
  });
}

export function decodeFinding(c: Columns): StoredFinding {
  const accountId = optString(c, 'account_id');
  return {
    kind: reqString(c, 'findings', 'kind') as FindingKind,
    regionId: reqString(c, 'findings', 'region_id'),
    imageId: reqString(c, 'findings', 'image_id'),
    channel: reqString(c, 'findings', 'channel') as ShareChannel,
    target: reqString(c, 'findings', 'target'),
    ...(accountId !== undefined ? { accountId } : {}),
    detail: reqString(c, 'findings', 'detail'),
    action: reqString(c, 'findings', 'action') as FindingAction,
    at: reqString(c, 'findings', 'at'),
    seq: reqNumber(c, 'findings', 'seq'),
  };
}

export function postureColumns(p: PosturePointer): AttributeColumns {
  return columns({
    run_id: p.runId,
    started_at: p.startedAt,
    // The "newer run wins" condition compares this integer.
    started_at_ms: int(Date.parse(p.startedAt)),
    completed_at: p.completedAt,
    findings: int(p.findings),
    open: int(p.open),
  });
}

export function decodePosture(regionId: string, c: Columns): PosturePointer {
  return {
    regionId,
    runId: reqString(c, 'posture', 'run_id'),
    startedAt: reqString(c, 'posture', 'started_at'),
    completedAt: reqString(c, 'posture', 'completed_at'),
    findings: reqNumber(c, 'posture', 'findings'),
    open: reqNumber(c, 'posture', 'open'),
  };
}

/** Key-order-independent JSON, for "is the stored row the one we wrote?" checks. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
