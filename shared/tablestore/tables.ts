// Every table the service uses, in one place, and an idempotent `ensureTables`.
// Names are `<prefix><name>`; all primary-key columns are STRING; one version per cell.
import { DEFAULT_IDEMPOTENCY_TTL_HOURS, DEFAULT_REQUEST_RETENTION_DAYS } from '../environment.js';
import type { ClientFor, TableSetupClient } from './sdk.js';
import { classify, sleep } from './errors.js';

export interface TableDefinition {
  /** Logical name; the physical name is the prefix plus this. */
  readonly name: TableName;
  readonly primaryKey: readonly string[];
  /** Seconds; -1 keeps data forever. */
  readonly timeToLive: number;
  readonly purpose: string;
}

export type TableName =
  | 'images'
  | 'shares'
  | 'requests'
  | 'requests_by_time'
  | 'requests_open'
  | 'audit'
  | 'pending_audit'
  | 'idempotency'
  | 'runs'
  | 'runs_by_time'
  | 'leases'
  | 'findings'
  | 'posture'
  | 'audit_by_time'
  | 'deliveries'
  | 'delivery_cursors';

const DAY_SECONDS = 24 * 3600;

/** How long a run's findings are kept: a year of evidence and a month's margin (the run's counts stay). */
export const FINDINGS_TTL_SECONDS = 400 * DAY_SECONDS;
/** The outbox and its deliveries: far longer than a catch-up trails (minutes, hours while a sink is down), short enough not to keep a second copy of the audit forever. */
export const OUTBOX_TTL_SECONDS = 30 * DAY_SECONDS;

/** The configured lifetimes the tables' TTLs derive from (REQUEST_RETENTION_DAYS, IDEMPOTENCY_TTL_HOURS). */
export interface Retention {
  readonly requestRetentionDays: number;
  readonly idempotencyTtlHours: number;
}

export const DEFAULT_RETENTION: Retention = { requestRetentionDays: DEFAULT_REQUEST_RETENTION_DAYS, idempotencyTtlHours: DEFAULT_IDEMPOTENCY_TTL_HOURS };

/**
 * The idempotency table keeps a row one day past its record's life, no longer: a record is dead once
 * `expires_at` passes (reads check it), and the day covers the gap between the function's clock
 * (`expires_at`) and the service's (a TTL counts from the cell's write time). One day is also
 * Tablestore's smallest TTL.
 */
export const idempotencyTtlSeconds = (hours: number): number => hours * 3600 + DAY_SECONDS;

export function tableDefinitions(retention: Retention = DEFAULT_RETENTION): readonly TableDefinition[] {
  // A request and its index rows are rewritten together (shared/tablestore/README.md), so they expire together.
  const requestTtl = retention.requestRetentionDays * DAY_SECONDS;
  return [
    { name: 'images', primaryKey: ['region_id', 'image_id'], timeToLive: -1, purpose: 'image lifecycle (versioned) and quota counter' },
    { name: 'shares', primaryKey: ['image_key', 'account_id'], timeToLive: -1, purpose: 'one row per (region/image, channel and target)' },
    { name: 'requests', primaryKey: ['request_id'], timeToLive: requestTtl, purpose: 'share requests (versioned), kept REQUEST_RETENTION_DAYS after their last change' },
    { name: 'requests_by_time', primaryKey: ['time_key'], timeToLive: requestTtl, purpose: 'newest-first index of requests' },
    {
      name: 'requests_open',
      primaryKey: ['scope', 'time_key'],
      timeToLive: requestTtl,
      purpose: 'newest-first index of the open requests only: all of them, and per image',
    },
    { name: 'audit', primaryKey: ['image_key', 'event_key'], timeToLive: -1, purpose: 'append-only audit, newest first per image' },
    {
      name: 'pending_audit',
      primaryKey: ['event_id'],
      timeToLive: -1,
      purpose: 'audit events an append could not write, held (in no listing) until the reconciler moves them into audit',
    },
    {
      name: 'idempotency',
      primaryKey: ['principal', 'idem_key'],
      timeToLive: idempotencyTtlSeconds(retention.idempotencyTtlHours),
      purpose: 'replayable responses; TTL-deleted, expiresAt checked on read',
    },
    { name: 'runs', primaryKey: ['run_id'], timeToLive: -1, purpose: 'reconcile run reports' },
    { name: 'runs_by_time', primaryKey: ['time_key'], timeToLive: -1, purpose: 'newest-first index of runs' },
    { name: 'leases', primaryKey: ['name'], timeToLive: -1, purpose: 'named leases (reconciler singleton)' },
    {
      name: 'findings',
      primaryKey: ['run_id', 'finding_key'],
      timeToLive: FINDINGS_TTL_SECONDS,
      purpose: 'what each reconcile run found, one row per run and finding (kind, image, channel, target)',
    },
    { name: 'posture', primaryKey: ['region_id'], timeToLive: -1, purpose: 'per region, the run whose open findings are its compliance posture' },
    {
      name: 'audit_by_time',
      primaryKey: ['feed_key'],
      timeToLive: OUTBOX_TTL_SECONDS,
      purpose: 'the outbox: every audit event in the order it became visible, written with its audit row',
    },
    {
      name: 'deliveries',
      primaryKey: ['sink', 'feed_key'],
      timeToLive: OUTBOX_TTL_SECONDS,
      purpose: 'what became of each event at each sink (versioned); delivered rows are removed once the cursor passes them',
    },
    { name: 'delivery_cursors', primaryKey: ['sink'], timeToLive: -1, purpose: "each sink's catch-up cursor into the outbox (versioned)" },
  ];
}

export type TableNames = Readonly<Record<TableName, string>>;

export function tableNames(prefix: string): TableNames {
  const names = {} as Record<TableName, string>;
  for (const def of tableDefinitions()) names[def.name] = `${prefix}${def.name}`;
  return names;
}

const TABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

export function assertValidPrefix(prefix: string): void {
  if (prefix !== '' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) {
    throw new Error(`Table prefix "${prefix}" must match [A-Za-z_][A-Za-z0-9_]* (Tablestore table names)`);
  }
}

/** The service's tables the instance does not list (none once `ensureTables` has run); a local health check. */
export async function missingTables(client: ClientFor<readonly ['ListTable']>, prefix: string): Promise<string[]> {
  const { tableNames: listed } = await client.listTable({});
  return Object.values(tableNames(prefix)).filter((name) => !listed.includes(name));
}

export interface EnsureTablesResult {
  readonly created: readonly string[];
  /** Tables that were there already (those whose TTL changed among them). */
  readonly existing: readonly string[];
  /** Existing tables whose TTL was set to the definition's, with the value it replaced (seconds, -1 forever). */
  readonly updated: readonly { readonly table: string; readonly timeToLive: { readonly from: number; readonly to: number } }[];
}

/**
 * Creates every missing table, gives every existing one the TTL its definition derives (UpdateTable
 * when it differs), and waits until each one serves reads. Safe to run again and concurrently: an
 * existing table (OTSObjectAlreadyExist) counts as done, and a TTL already right is left alone. A
 * shorter TTL hides older rows at once: that is what lowering a retention means.
 */
export async function ensureTables(
  client: TableSetupClient,
  prefix: string,
  opts: { retention?: Retention; readyTimeoutMs?: number; pollMs?: number } = {},
): Promise<EnsureTablesResult> {
  assertValidPrefix(prefix);
  const definitions = tableDefinitions(opts.retention);
  const created: string[] = [];
  const existing: string[] = [];
  const updated: EnsureTablesResult['updated'][number][] = [];
  for (const def of definitions) {
    const tableName = `${prefix}${def.name}`;
    if (!TABLE_NAME_PATTERN.test(tableName)) throw new Error(`Invalid table name ${tableName}`);
    const made = await tableOperation('CreateTable', tableName, () =>
      client
        .createTable({
          tableMeta: { tableName, primaryKey: def.primaryKey.map((name) => ({ name, type: 'STRING' })) },
          reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
          tableOptions: { timeToLive: def.timeToLive, maxVersions: 1 },
        })
        .then(
          () => true,
          (err: unknown) => {
            if (classify(err).kind === 'AlreadyExists') return false;
            throw err;
          },
        ),
    );
    if (made) {
      created.push(tableName);
      continue;
    }
    existing.push(tableName);
    const { tableOptions } = await tableOperation('DescribeTable', tableName, () => client.describeTable({ tableName }));
    const from = tableOptions?.timeToLive ?? -1;
    if (from !== def.timeToLive) {
      await tableOperation('UpdateTable', tableName, () => client.updateTable({ tableName, tableOptions: { timeToLive: def.timeToLive } }));
      updated.push({ table: tableName, timeToLive: { from, to: def.timeToLive } });
    }
  }
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (const def of definitions) {
    await waitUntilReadable(client, `${prefix}${def.name}`, def, deadline, opts.pollMs ?? 500);
  }
  return { created, existing, updated };
}

/** One table operation, retried with backoff while throttled (table operations are limited to about 10/s per instance). */
async function tableOperation<T>(operation: string, tableName: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (err) {
      const c = classify(err);
      if (!c.retryable || attempt >= 5) throw new Error(`${operation} ${tableName} failed: ${c.code}`, { cause: err });
      await sleep(200 * 2 ** attempt);
    }
  }
}

async function waitUntilReadable(
  client: TableSetupClient,
  tableName: string,
  def: TableDefinition,
  deadline: number,
  pollMs: number,
): Promise<void> {
  const probeKey = def.primaryKey.map((name) => ({ [name]: '__probe__' }));
  for (;;) {
    try {
      await client.getRow({ tableName, primaryKey: probeKey, maxVersions: 1 });
      return;
    } catch (err) {
      const c = classify(err);
      const notYet = c.kind === 'Busy' || c.kind === 'NotFound' || c.retryable;
      if (!notYet || Date.now() > deadline) throw new Error(`Table ${tableName} did not become ready: ${c.code}`, { cause: err });
      await sleep(pollMs);
    }
  }
}

