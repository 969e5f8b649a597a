// Row semantics shared by the single-row and batch operations: key validation, conditions,
// applying writes, projecting reads, return content, consumed capacity and the service limits.
// Everything here is synchronous on purpose: a row's read-check-write never yields to another request.
import { errors } from './errors.js';
import { countSingleConditions, decodeFilter, evaluate, type ColumnFilter } from './filters.js';
import {
  decodeRow,
  PlainBufferError,
  valueSize,
  type Cell,
  type PkColumn,
  type PkValue,
  type Row,
  type Value,
} from './plainbuffer.js';
import { toNumber } from './protocol.js';
import {
  oldestVisibleTs,
  visibleRow,
  visibleVersions,
  type Store,
  type StoredCell,
  type StoredRow,
  type Table,
  type TableMeta,
} from './store.js';

export const LIMITS = {
  maxTables: 64,
  maxPkColumns: 4,
  maxPkValueBytes: 1024,
  maxAttributeValueBytes: 2 * 1024 * 1024,
  maxRowBytes: 4 * 1024 * 1024,
  maxColumnsPerWrite: 1024,
  maxBatchWriteRows: 200,
  maxBatchWriteBytes: 4 * 1024 * 1024,
  maxBatchGetRows: 100,
  maxRangeRows: 5000,
  maxRangeBytes: 4 * 1024 * 1024,
  minTimeToLive: 86400,
} as const;

export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

export function validateName(kind: string, name: string): void {
  if (!NAME_PATTERN.test(name)) {
    // names are 1-255 characters of [A-Za-z0-9_], not starting with a digit
    throw errors.parameterInvalid(`Invalid ${kind} name: ${name}.`);
  }
}

export function requireTable(store: Store, name: string | undefined | null): Table {
  const tableName = name ?? '';
  validateName('table', tableName);
  const table = store.table(tableName);
  if (!table) throw errors.tableNotExist();
  return table;
}

export function parseRowBytes(bytes: Uint8Array | undefined | null, what: string): Row {
  if (!bytes || bytes.length === 0) throw errors.parameterInvalid(`The ${what} is empty.`);
  try {
    return decodeRow(bytes);
  } catch (e) {
    if (e instanceof PlainBufferError) throw errors.parameterInvalid(e.complete ? e.message : `Invalid ${what}: ${e.message}`);
    throw e;
  }
}

const VT_NAMES: Record<string, string> = {
  INTEGER: 'VT_INTEGER',
  STRING: 'VT_STRING',
  BINARY: 'VT_BLOB',
  DOUBLE: 'VT_DOUBLE',
  BOOLEAN: 'VT_BOOLEAN',
  INF_MIN: 'VT_INF_MIN',
  INF_MAX: 'VT_INF_MAX',
  AUTO_INCREMENT: 'VT_AUTO_INCREMENT',
};

export type PkMode = 'read' | 'range' | 'put' | 'update' | 'delete';

/** Checks a request's primary key against the table schema (count, names, order, types, sizes). */
export function validatePk(meta: TableMeta, pk: readonly PkColumn[], mode: PkMode): PkValue[] {
  if (pk.length !== meta.primaryKey.length) {
    throw errors.parameterInvalid(`Validate PK size fail. Input: ${pk.length}, Meta: ${meta.primaryKey.length}.`);
  }
  return pk.map((col, i) => {
    const schema = meta.primaryKey[i]!;
    if (col.name !== schema.name) {
      throw errors.parameterInvalid(`Validate PK name fail. Input: ${col.name}, Meta: ${schema.name}.`);
    }
    const v = col.value;
    if (v.type === 'INF_MIN' || v.type === 'INF_MAX') {
      if (mode !== 'range') throw errors.parameterInvalid(`${v.type} is an invalid type for the primary key.`);
      return v;
    }
    if (v.type === 'AUTO_INCREMENT') {
      if (mode === 'read' || mode === 'range') throw errors.parameterInvalid("PKAutoIncr can't be used for read operations.");
      if (mode === 'delete') throw errors.parameterInvalid('Invalid row to delete which with pk auto increment.');
      if (mode !== 'put' || !schema.autoIncrement) {
        throw errors.parameterInvalid(`Primary key column '${col.name}' is not an auto-increment column.`);
      }
      return v;
    }
    if (v.type !== schema.type) {
      throw errors.parameterInvalid(
        `Validate PK type fail. Input: ${VT_NAMES[v.type]}, Meta: ${VT_NAMES[schema.type === 'BINARY' ? 'BINARY' : schema.type]}.`,
      );
    }
    const size = valueSize(v);
    if ((v.type === 'STRING' || v.type === 'BINARY') && size > LIMITS.maxPkValueBytes) {
      throw errors.parameterInvalid(
        `The length of primary key column: ${col.name} exceeds the MaxLength: ${LIMITS.maxPkValueBytes} with CurrentLength: ${size}.`,
      );
    }
    return v;
  });
}

export function has(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

// ---------------------------------------------------------------- conditions

export interface ConditionInput {
  rowExistence?: number | string | null;
  columnCondition?: Uint8Array | null;
}

export interface ParsedCondition {
  rowExistence: 'IGNORE' | 'EXPECT_EXIST' | 'EXPECT_NOT_EXIST';
  columnFilter: ColumnFilter | undefined;
}

export function parseCondition(condition: ConditionInput | undefined | null): ParsedCondition {
  if (!condition) throw errors.parameterInvalid('The condition is required.');
  const re = condition.rowExistence;
  const rowExistence =
    re === 0 || re === 'IGNORE'
      ? 'IGNORE'
      : re === 1 || re === 'EXPECT_EXIST'
        ? 'EXPECT_EXIST'
        : re === 2 || re === 'EXPECT_NOT_EXIST'
          ? 'EXPECT_NOT_EXIST'
          : undefined;
  if (!rowExistence) throw errors.parameterInvalid(`Invalid row-existence expectation: ${String(re)}.`);
  const columnFilter = decodeFilter(condition.columnCondition);
  if (columnFilter?.kind === 'pagination') {
    throw errors.parameterInvalid('Invalid type of filter: FT_COLUMN_PAGINATION.');
  }
  if (columnFilter && countSingleConditions(columnFilter) > MAX_COLUMN_CONDITIONS) {
    throw errors.parameterInvalid(`The count of filter exceeds the max:${MAX_COLUMN_CONDITIONS}.`);
  }
  return { rowExistence, columnFilter };
}

const MAX_COLUMN_CONDITIONS = 10;

export function checkCondition(meta: TableMeta, condition: ParsedCondition, current: StoredRow | undefined): void {
  if (condition.rowExistence === 'EXPECT_EXIST' && !current) throw errors.conditionCheckFail();
  if (condition.rowExistence === 'EXPECT_NOT_EXIST' && current) throw errors.conditionCheckFail();
  if (condition.columnFilter) {
    // A column condition on a missing row sees no columns: filter_if_missing decides.
    // Primary-key columns may be compared too.
    const columns = new Map<string, StoredCell[]>(current?.columns ?? []);
    current?.pk.forEach((value, i) => columns.set(meta.primaryKey[i]!.name, [{ value, ts: 0 }]));
    if (!evaluate(condition.columnFilter, columns)) throw errors.conditionCheckFail();
  }
}

// ---------------------------------------------------------------- writes

function checkCells(meta: TableMeta, cells: readonly Cell[], nowMs: number): void {
  if (cells.length > LIMITS.maxColumnsPerWrite) {
    throw errors.parameterInvalid(
      `The number of columns from the request exceeds the limit, limit count: ${LIMITS.maxColumnsPerWrite}, column count: ${cells.length}.`,
    );
  }
  const pkNames = new Set(meta.primaryKey.map((p) => p.name));
  // Writes may only carry versions inside [max(now - deviation, now - TTL), now + deviation).
  const deviationMs = meta.deviationCellVersionInSec * 1000;
  const oldestAllowed = Math.max(nowMs - deviationMs, meta.timeToLive < 0 ? Number.NEGATIVE_INFINITY : nowMs - meta.timeToLive * 1000);
  for (const cell of cells) {
    validateName('column', cell.name);
    if (pkNames.has(cell.name)) throw errors.parameterInvalid(`Duplicated attribute column name with primary key column: ${cell.name}.`);
    const v = cell.value;
    if (v && valueSize(v) > LIMITS.maxAttributeValueBytes) {
      throw errors.parameterInvalid(
        `The length of attribute column: ${cell.name} exceeded the MaxLength:${LIMITS.maxAttributeValueBytes} with Current Length:${valueSize(v)}.`,
      );
    }
    if (v?.type === 'DOUBLE' && Number.isNaN(v.value)) throw errors.parameterInvalid("NaN can't be set to double value.");
    if (v?.type === 'DOUBLE' && !Number.isFinite(v.value)) throw errors.parameterInvalid("Infinity can't be set to double value.");
    if (cell.op === 'PUT' && cell.timestamp !== undefined) {
      if (cell.timestamp < oldestAllowed || cell.timestamp >= nowMs + deviationMs) {
        throw errors.parameterInvalid(`Invalid timestamp. Cell:${cell.name}.`);
      }
    }
  }
}

export function rowSize(pk: readonly PkValue[], meta: TableMeta, cells: readonly Cell[]): number {
  let size = 0;
  pk.forEach((v, i) => (size += Buffer.byteLength(meta.primaryKey[i]?.name ?? '') + valueSize(v)));
  for (const c of cells) size += Buffer.byteLength(c.name) + (c.value ? valueSize(c.value) : 0) + (c.timestamp !== undefined ? 8 : 0);
  return size;
}

function checkRowSize(operation: 'PutRow' | 'UpdateRow', size: number): void {
  if (size > LIMITS.maxRowBytes) {
    throw errors.parameterInvalid(
      `The total data size of ${operation} request exceeds the limit, limit size: ${LIMITS.maxRowBytes}, data size: ${size}.`,
    );
  }
}

function insertVersion(versions: StoredCell[], cell: StoredCell): void {
  const same = versions.findIndex((c) => c.ts === cell.ts);
  if (same >= 0) versions.splice(same, 1);
  let at = 0;
  while (at < versions.length && versions[at]!.ts > cell.ts) at++;
  versions.splice(at, 0, cell);
}

/** Drops versions beyond max_versions and cells already past the TTL, so storage stays bounded. */
function compactColumns(meta: TableMeta, columns: Map<string, StoredCell[]>, nowMs: number): void {
  const oldest = oldestVisibleTs(meta, nowMs);
  for (const [name, versions] of columns) {
    const kept = versions.filter((c) => c.ts > oldest).slice(0, meta.maxVersions);
    if (kept.length === 0) columns.delete(name);
    else columns.set(name, kept);
  }
}

export function assignAutoIncrement(table: Table, pk: PkValue[], nowMs: number): Value[] {
  return pk.map((v): Value => {
    if (v.type !== 'AUTO_INCREMENT') return v as Value;
    // Unique and increasing, like the service's time-based sequence.
    const candidate = BigInt(nowMs) * 1000n;
    table.lastAutoIncrement = candidate > table.lastAutoIncrement ? candidate : table.lastAutoIncrement + 1n;
    return { type: 'INTEGER', value: table.lastAutoIncrement };
  });
}

export function preparePut(meta: TableMeta, row: Row, nowMs: number): { pk: PkValue[]; cells: Cell[]; size: number } {
  if (row.deleteMarker) throw errors.parameterInvalid('Invalid request of put/update row: unexpected RowDeleteMarker in request.');
  const pk = validatePk(meta, row.primaryKey, 'put');
  for (const c of row.cells) {
    if (c.op !== 'PUT') throw errors.parameterInvalid(`OpType cannot be given for column name:${c.name} in PutRow.`);
    if (!c.value) throw errors.parameterInvalid('Invalid request of put row: find cells without values.');
  }
  checkCells(meta, row.cells, nowMs);
  const size = rowSize(pk, meta, row.cells);
  checkRowSize('PutRow', size);
  return { pk, cells: row.cells, size };
}

export function buildPutRow(meta: TableMeta, pk: Value[], cells: readonly Cell[], nowMs: number): StoredRow {
  const columns = new Map<string, StoredCell[]>();
  for (const c of cells) {
    const versions = columns.get(c.name) ?? [];
    insertVersion(versions, { value: c.value!, ts: c.timestamp ?? nowMs });
    columns.set(c.name, versions);
  }
  compactColumns(meta, columns, nowMs);
  return { pk, columns, rowTs: nowMs };
}

export function prepareUpdate(meta: TableMeta, row: Row, nowMs: number): { pk: PkValue[]; cells: Cell[]; size: number } {
  if (row.deleteMarker) throw errors.parameterInvalid('Invalid request of put/update row: unexpected RowDeleteMarker in request.');
  const pk = validatePk(meta, row.primaryKey, 'update');
  if (row.cells.length === 0) throw errors.parameterInvalid('Invalid update row request: missing cells in request.');
  const incremented = new Set<string>();
  for (const c of row.cells) {
    if (c.op === 'PUT' && !c.value) throw errors.parameterInvalid(`Invalid cell: ${c.name}. Reason: missing value.`);
    if (c.op === 'DELETE_ONE_VERSION' || c.op === 'DELETE_ALL_VERSION') {
      if (c.value) throw errors.parameterInvalid('Column value cannot be given when type is DELETE_ONE_VERSION,DELETE_ALL_VERSION.');
    }
    if (c.op === 'DELETE_ONE_VERSION' && c.timestamp === undefined) {
      throw errors.parameterInvalid('Timestamp must be given when type is DELETE_ONE_VERSION.');
    }
    if (c.op === 'DELETE_ALL_VERSION' && c.timestamp !== undefined) {
      throw errors.parameterInvalid('Timestamp cannot be given when type is DELETE_ALL_VERSION.');
    }
    if (c.op === 'INCREMENT') {
      if (!c.value) throw errors.parameterInvalid(`Invalid cell: ${c.name}. Reason: missing value.`);
      if (c.value.type !== 'INTEGER') throw errors.parameterInvalid(`The increment value of column ${c.name} must be an INTEGER.`);
      if (c.timestamp !== undefined) throw errors.parameterInvalid(`Timestamp cannot be given for increment of column ${c.name}.`);
      incremented.add(c.name);
    }
  }
  for (const name of incremented) {
    if (row.cells.filter((o) => o.name === name).length > 1) {
      throw errors.parameterInvalid(`Duplicated attribute column name: ${name} while updating row.`);
    }
  }
  checkCells(meta, row.cells, nowMs);
  const size = rowSize(pk, meta, row.cells);
  checkRowSize('UpdateRow', size);
  return { pk, cells: row.cells, size };
}

export function applyUpdate(
  meta: TableMeta,
  existing: StoredRow | undefined,
  pk: Value[],
  cells: readonly Cell[],
  nowMs: number,
): { row: StoredRow | undefined; touched: string[] } {
  const columns = new Map<string, StoredCell[]>();
  if (existing) for (const [name, versions] of existing.columns) columns.set(name, [...versions]);
  compactColumns(meta, columns, nowMs);
  const touched: string[] = [];
  for (const c of cells) {
    const versions = columns.get(c.name) ?? [];
    switch (c.op) {
      case 'PUT':
        insertVersion(versions, { value: c.value!, ts: c.timestamp ?? nowMs });
        touched.push(c.name);
        break;
      case 'DELETE_ONE_VERSION': {
        const at = versions.findIndex((v) => v.ts === c.timestamp);
        if (at >= 0) versions.splice(at, 1);
        break;
      }
      case 'DELETE_ALL_VERSION':
        versions.length = 0;
        break;
      case 'INCREMENT': {
        const current = visibleVersions(meta, versions, nowMs)[0];
        if (current && current.value.type !== 'INTEGER') {
          throw errors.parameterInvalid(`The type of column ${c.name} to increment is not INTEGER.`);
        }
        const base = current && current.value.type === 'INTEGER' ? current.value.value : 0n;
        const delta = (c.value as { value: bigint }).value;
        insertVersion(versions, { value: { type: 'INTEGER', value: BigInt.asIntN(64, base + delta) }, ts: nowMs });
        touched.push(c.name);
        break;
      }
    }
    if (versions.length === 0) columns.delete(c.name);
    else columns.set(c.name, versions);
  }
  compactColumns(meta, columns, nowMs);
  const rowTs = existing?.rowTs;
  const markerAlive = rowTs !== undefined && rowTs > oldestVisibleTs(meta, nowMs);
  if (columns.size === 0 && !markerAlive) return { row: undefined, touched };
  const row: StoredRow = { pk, columns };
  if (markerAlive) row.rowTs = rowTs;
  return { row, touched };
}

// ---------------------------------------------------------------- reads

export interface ReadOptions {
  columnsToGet: string[];
  maxVersions: number;
  timeRange: { start: number; end: number } | { specific: number } | undefined;
  filter: ColumnFilter | undefined;
}

interface ReadRequestFields {
  columnsToGet?: string[] | null;
  maxVersions?: number | null;
  timeRange?: { startTime?: unknown; endTime?: unknown; specificTime?: unknown } | null;
  filter?: Uint8Array | null;
  startColumn?: string | null;
  endColumn?: string | null;
}

export function parseReadOptions(req: ReadRequestFields): ReadOptions {
  const columnsToGet = [...(req.columnsToGet ?? [])];
  for (const c of columnsToGet) validateName('column', c);
  let timeRange: ReadOptions['timeRange'];
  const tr = req.timeRange;
  const mv = has(req, 'maxVersions') ? req.maxVersions : undefined;
  if (tr) {
    // proto2 optional fields read as their defaults when absent: look at own properties only.
    const specific = has(tr, 'specificTime') ? toNumber(tr.specificTime) : undefined;
    const start = has(tr, 'startTime') ? toNumber(tr.startTime) : undefined;
    const end = has(tr, 'endTime') ? toNumber(tr.endTime) : undefined;
    if (specific !== undefined) {
      if (start !== undefined || end !== undefined) {
        throw errors.parameterInvalid('Specific tiemstamp and time range cannot be given at the same time.');
      }
      if (specific < 0) throw errors.parameterInvalid('Specific timestamp cannot be less than 0.');
      timeRange = { specific };
    } else if (start !== undefined && end !== undefined) {
      if (start < 0 || end < 0) throw errors.parameterInvalid('Timestamp must be in range [0, INT64_MAX/1000).');
      if (end <= start) throw errors.parameterInvalid(`Invalid time range: [${start}, ${end}).`);
      timeRange = { start, end };
    } else if (start !== undefined || end !== undefined) {
      throw errors.parameterInvalid('Start and end time must be given at the same time.');
    }
  }
  if ((mv === undefined || mv === null) && !timeRange) {
    throw errors.parameterInvalid('No version condition is specified while querying row.');
  }
  if (mv !== undefined && mv !== null && mv <= 0) {
    throw errors.parameterInvalid(`Invalid max versions: ${mv}. Reason: Max versions must be positive.`);
  }
  return {
    columnsToGet,
    maxVersions: mv && mv > 0 ? mv : Number.MAX_SAFE_INTEGER,
    timeRange,
    filter: decodeFilter(req.filter),
  };
}

function inTimeRange(ts: number, tr: ReadOptions['timeRange']): boolean {
  if (!tr) return true;
  if ('specific' in tr) return ts === tr.specific;
  return ts >= tr.start && ts < tr.end;
}

function byNameBytes(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** What a read returns for one stored row, or undefined when nothing is visible / the filter rejects it. */
export function projectRow(meta: TableMeta, stored: StoredRow | undefined, opts: ReadOptions, nowMs: number): Row | undefined {
  const row = visibleRow(meta, stored, nowMs);
  if (!row) return undefined;
  const wanted = opts.columnsToGet.length > 0 ? new Set(opts.columnsToGet) : undefined;
  const columns = new Map<string, StoredCell[]>();
  for (const name of [...row.columns.keys()].sort(byNameBytes)) {
    if (wanted && !wanted.has(name)) continue;
    const versions = row.columns.get(name)!.filter((c) => inTimeRange(c.ts, opts.timeRange)).slice(0, opts.maxVersions);
    if (versions.length > 0) columns.set(name, versions);
  }
  // The filter sees only what was read (columns left out of columns_to_get count as missing),
  // plus the primary key, which every read returns.
  if (opts.filter && opts.filter.kind !== 'pagination') {
    const seen = new Map(columns);
    row.pk.forEach((value, i) => seen.set(meta.primaryKey[i]!.name, [{ value, ts: 0 }]));
    if (!evaluate(opts.filter, seen)) return undefined;
  }
  const pkWanted = !wanted || meta.primaryKey.some((p) => wanted.has(p.name));
  if (wanted && columns.size === 0 && !pkWanted) return undefined;
  let names = [...columns.keys()];
  if (opts.filter?.kind === 'pagination') names = names.slice(opts.filter.offset, opts.filter.offset + opts.filter.limit);
  const cells: Cell[] = [];
  for (const name of names) {
    for (const v of columns.get(name)!) cells.push({ name, value: v.value, op: 'PUT', timestamp: v.ts });
  }
  return {
    primaryKey: row.pk.map((value, i) => ({ name: meta.primaryKey[i]!.name, value })),
    cells,
    deleteMarker: false,
  };
}

export function pkRow(meta: TableMeta, pk: readonly PkValue[]): Row {
  return { primaryKey: pk.map((value, i) => ({ name: meta.primaryKey[i]!.name, value })), cells: [], deleteMarker: false };
}

// ---------------------------------------------------------------- return content and capacity

export const RT_NONE = 0;
export const RT_PK = 1;
export const RT_AFTER_MODIFY = 2;

export function returnTypeOf(rc: { returnType?: number | string | null } | null | undefined): number {
  const t = rc?.returnType;
  if (t === 1 || t === 'RT_PK') return RT_PK;
  if (t === 2 || t === 'RT_AFTER_MODIFY') return RT_AFTER_MODIFY;
  return RT_NONE;
}

/** The row a write returns: its key (RT_PK), or key plus the requested/modified columns (RT_AFTER_MODIFY). */
export function returnRow(
  meta: TableMeta,
  pk: Value[],
  row: StoredRow | undefined,
  returnType: number,
  returnColumns: readonly string[],
  touched: readonly string[],
  nowMs: number,
): Row | undefined {
  if (returnType === RT_NONE) return undefined;
  const out = pkRow(meta, pk);
  if (returnType === RT_AFTER_MODIFY) {
    const names = returnColumns.length > 0 ? returnColumns : touched;
    const visible = visibleRow(meta, row, nowMs);
    for (const name of [...new Set(names)]) {
      const latest = visible?.columns.get(name)?.[0];
      if (latest) out.cells.push({ name, value: latest.value, op: 'PUT', timestamp: latest.ts });
    }
  }
  return out;
}

export function capacityUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 4096));
}

export function consumed(read: number, write: number): { capacityUnit: { read: number; write: number } } {
  return { capacityUnit: { read, write } };
}

export function projectedSize(row: Row | undefined): number {
  if (!row) return 0;
  let size = 0;
  for (const p of row.primaryKey) size += Buffer.byteLength(p.name) + valueSize(p.value);
  for (const c of row.cells) size += Buffer.byteLength(c.name) + (c.value ? valueSize(c.value) : 0) + 8;
  return size;
}
