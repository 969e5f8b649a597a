// In-memory state of one emulated instance: tables, rows kept in primary-key order, versions.
// Every mutation goes through commitRow / putTable / dropTable so persistence sees all of it.
import type { PkValue, Value } from './plainbuffer.js';

export type PkType = 'INTEGER' | 'STRING' | 'BINARY';

export interface PkSchema {
  name: string;
  type: PkType;
  autoIncrement: boolean;
}

export interface DefinedColumn {
  name: string;
  /** DefinedColumnType enum number */
  type: number;
}

export interface TableMeta {
  name: string;
  primaryKey: PkSchema[];
  definedColumns: DefinedColumn[];
  /** seconds, -1 = forever */
  timeToLive: number;
  maxVersions: number;
  deviationCellVersionInSec: number;
  allowUpdate: boolean;
  reservedRead: number;
  reservedWrite: number;
  /** seconds since epoch */
  createdAt: number;
  lastIncreaseTime: number;
  lastDecreaseTime?: number;
}

export interface StoredCell {
  value: Value;
  ts: number;
}

export interface StoredRow {
  pk: Value[];
  /** column name → versions, newest first */
  columns: Map<string, StoredCell[]>;
  /** time the row was last written by PutRow: keeps a row without attribute columns alive (TTL-aware) */
  rowTs?: number;
}

export function compareValues(a: PkValue, b: PkValue): number {
  const rank = (v: PkValue) => (v.type === 'INF_MIN' ? -1 : v.type === 'INF_MAX' ? 1 : 0);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== 0 || rb !== 0) return ra - rb;
  if (a.type === 'INTEGER' && b.type === 'INTEGER') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  if (a.type === 'STRING' && b.type === 'STRING') {
    if (a.value === b.value) return 0;
    return Buffer.compare(Buffer.from(a.value, 'utf8'), Buffer.from(b.value, 'utf8'));
  }
  if (a.type === 'BINARY' && b.type === 'BINARY') return Buffer.compare(a.value, b.value);
  if (a.type === 'DOUBLE' && b.type === 'DOUBLE') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  if (a.type === 'BOOLEAN' && b.type === 'BOOLEAN') return Number(a.value) - Number(b.value);
  return 0;
}

export function comparePk(a: readonly PkValue[], b: readonly PkValue[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

export function pkId(pk: readonly Value[]): string {
  return pk
    .map((v) => {
      switch (v.type) {
        case 'INTEGER':
          return `i${v.value}`;
        case 'STRING':
          return `s${JSON.stringify(v.value)}`;
        case 'BINARY':
          return `b${v.value.toString('base64')}`;
        default:
          return `x${JSON.stringify(String(v.value))}`;
      }
    })
    .join('\u0000');
}

export class Table {
  readonly rows = new Map<string, StoredRow>();
  /** rows in ascending primary-key order */
  readonly ordered: StoredRow[] = [];
  lastAutoIncrement = 0n;

  constructor(public meta: TableMeta) {}

  /** index of the first row whose key is >= pk */
  lowerBound(pk: readonly PkValue[]): number {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePk(this.ordered[mid]!.pk, pk) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(pk: readonly Value[]): StoredRow | undefined {
    return this.rows.get(pkId(pk));
  }

  set(row: StoredRow): void {
    const id = pkId(row.pk);
    const existing = this.rows.get(id);
    this.rows.set(id, row);
    const at = this.lowerBound(row.pk);
    if (existing) this.ordered[at] = row;
    else this.ordered.splice(at, 0, row);
  }

  delete(pk: readonly Value[]): void {
    const id = pkId(pk);
    if (!this.rows.has(id)) return;
    this.rows.delete(id);
    const at = this.lowerBound(pk);
    this.ordered.splice(at, 1);
  }
}

/** Receives every committed change; implemented by the write-ahead log. */
export interface ChangeSink {
  tablePut(meta: TableMeta): void;
  tableDrop(name: string): void;
  rowPut(table: string, row: StoredRow): void;
  rowDrop(table: string, pk: Value[]): void;
}

export class Store {
  readonly tables = new Map<string, Table>();
  sink: ChangeSink | undefined;

  constructor(readonly now: () => Date) {}

  nowMs(): number {
    return this.now().getTime();
  }

  table(name: string): Table | undefined {
    return this.tables.get(name);
  }

  putTable(meta: TableMeta, keepRows: boolean): Table {
    const existing = this.tables.get(meta.name);
    if (existing && keepRows) {
      existing.meta = meta;
    } else {
      this.tables.set(meta.name, new Table(meta));
    }
    this.sink?.tablePut(meta);
    return this.tables.get(meta.name)!;
  }

  dropTable(name: string): void {
    this.tables.delete(name);
    this.sink?.tableDrop(name);
  }

  commitRow(table: Table, pk: Value[], row: StoredRow | undefined): void {
    if (row) {
      table.set(row);
      this.sink?.rowPut(table.meta.name, row);
    } else {
      table.delete(pk);
      this.sink?.rowDrop(table.meta.name, pk);
    }
  }

  reset(): void {
    for (const name of [...this.tables.keys()]) this.dropTable(name);
  }
}

// ---------------------------------------------------------------- visibility (TTL, max versions)

export function oldestVisibleTs(meta: TableMeta, nowMs: number): number {
  return meta.timeToLive < 0 ? Number.NEGATIVE_INFINITY : nowMs - meta.timeToLive * 1000;
}

/** Cells a reader may see: within TTL and within the table's max_versions. */
export function visibleVersions(meta: TableMeta, cells: readonly StoredCell[], nowMs: number): StoredCell[] {
  const oldest = oldestVisibleTs(meta, nowMs);
  const out: StoredCell[] = [];
  for (const c of cells) {
    if (out.length >= meta.maxVersions) break;
    if (c.ts > oldest) out.push(c);
  }
  return out;
}

/** The row as currently visible, or undefined when it does not exist (never written or fully expired). */
export function visibleRow(meta: TableMeta, row: StoredRow | undefined, nowMs: number): StoredRow | undefined {
  if (!row) return undefined;
  const columns = new Map<string, StoredCell[]>();
  for (const [name, cells] of row.columns) {
    const v = visibleVersions(meta, cells, nowMs);
    if (v.length > 0) columns.set(name, v);
  }
  if (columns.size === 0 && !(row.rowTs !== undefined && row.rowTs > oldestVisibleTs(meta, nowMs))) return undefined;
  const out: StoredRow = { pk: row.pk, columns };
  if (row.rowTs !== undefined) out.rowTs = row.rowTs;
  return out;
}
