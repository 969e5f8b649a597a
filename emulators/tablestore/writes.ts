// One row write (put, update or delete) from check to commit, shared by the single-row
// operations and BatchWriteRow. Synchronous, so it is atomic per row.
import { errors } from './errors.js';
import { encodeRow, type PkValue, type Row, type Value } from './plainbuffer.js';
import {
  applyUpdate,
  assignAutoIncrement,
  buildPutRow,
  capacityUnits,
  checkCondition,
  consumed,
  parseCondition,
  parseRowBytes,
  prepareUpdate,
  preparePut,
  returnRow,
  requireTable,
  returnTypeOf,
  validatePk,
  type ConditionInput,
  type ParsedCondition,
} from './rows.js';
import type { Operation } from './operation.js';
import { visibleRow, type Store, type StoredRow, type Table } from './store.js';

export type WriteKind = 'PUT' | 'UPDATE' | 'DELETE';

export interface WriteInput {
  kind: WriteKind;
  rowBytes: Uint8Array | null | undefined;
  condition: ConditionInput | null | undefined;
  returnContent: { returnType?: number | string | null; returnColumnNames?: string[] | null } | null | undefined;
}

export interface WriteOutput {
  consumed: { capacityUnit: { read: number; write: number } };
  row?: Buffer;
}

export interface ParsedWrite {
  pkId: string;
  /** which checks the write carries (rows repeated in one batch may carry none) */
  conditional: { rowExistence: boolean; columnCondition: boolean };
  run: () => WriteOutput;
}

/** A validated write: which row it addresses and how it changes the stored row. */
interface Mutation {
  /** identifies the addressed row within a batch (duplicates are refused) */
  pkId: string;
  /** the row's key; resolves AUTO_INCREMENT placeholders when called */
  key: () => Value[];
  next: (stored: StoredRow | undefined, key: Value[]) => { row: StoredRow | undefined; touched: string[] };
  size: number;
}

let autoIncrementWrites = 0;

function keyId(pk: readonly PkValue[]): string {
  return JSON.stringify(pk, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function mutationOf(table: Table, kind: WriteKind, row: Row, condition: ParsedCondition, nowMs: number): Mutation {
  const meta = table.meta;
  if (kind === 'PUT') {
    const { pk, cells, size } = preparePut(meta, row, nowMs);
    const autoIncrement = pk.some((v) => v.type === 'AUTO_INCREMENT');
    if (autoIncrement && condition.rowExistence !== 'IGNORE') {
      throw errors.parameterInvalid(`Invalid expect: ${condition.rowExistence} when modify row with pk auto increment.`);
    }
    return {
      pkId: autoIncrement ? `auto-increment#${++autoIncrementWrites}` : keyId(pk),
      key: () => assignAutoIncrement(table, pk, nowMs),
      next: (_stored, key) => ({ row: buildPutRow(meta, key, cells, nowMs), touched: cells.map((c) => c.name) }),
      size,
    };
  }
  if (kind === 'UPDATE') {
    const { pk, cells, size } = prepareUpdate(meta, row, nowMs);
    return {
      pkId: keyId(pk),
      key: () => pk as Value[],
      next: (stored, key) => applyUpdate(meta, stored, key, cells, nowMs),
      size,
    };
  }
  if (row.cells.length > 0) throw errors.parameterInvalid('Invalid delete row request: unexpected cells in request.');
  if (!row.deleteMarker) throw errors.parameterInvalid('Invalid request of delete row: missing RowDeleteMarker in request.');
  const pk = validatePk(meta, row.primaryKey, 'delete') as Value[];
  if (condition.rowExistence === 'EXPECT_NOT_EXIST') {
    throw errors.parameterInvalid('Invalid condition: EXPECT_NOT_EXIST while deleting row.');
  }
  return { pkId: keyId(pk), key: () => pk, next: () => ({ row: undefined, touched: [] }), size: 0 };
}

/**
 * Parses and validates a write without touching state (batches reject bad rows up front), and returns
 * `run`, which checks the condition and commits in one synchronous step.
 */
export function parseWrite(store: Store, table: Table, input: WriteInput, nowMs: number): ParsedWrite {
  const meta = table.meta;
  const row: Row = parseRowBytes(input.rowBytes, input.kind === 'DELETE' ? 'primary key' : 'row');
  const condition = parseCondition(input.condition);
  const mutation = mutationOf(table, input.kind, row, condition, nowMs);
  const returnType = returnTypeOf(input.returnContent);
  const returnColumns = [...(input.returnContent?.returnColumnNames ?? [])];
  const conditionRead = condition.rowExistence !== 'IGNORE' || condition.columnFilter ? 1 : 0;

  const run = (): WriteOutput => {
    const key = mutation.key();
    const stored = table.get(key);
    checkCondition(meta, condition, visibleRow(meta, stored, nowMs));
    const { row: next, touched } = mutation.next(stored, key);
    if (next || stored) store.commitRow(table, key, next);
    const out: WriteOutput = {
      consumed: consumed(conditionRead, input.kind === 'DELETE' ? 1 : capacityUnits(mutation.size)),
    };
    const ret = returnRow(meta, key, next, returnType, returnColumns, touched, nowMs);
    if (ret) out.row = encodeRow(ret);
    return out;
  };
  return { pkId: mutation.pkId, conditional: { rowExistence: condition.rowExistence !== 'IGNORE', columnCondition: Boolean(condition.columnFilter) }, run };
}

/**
 * The single-row write operations (PutRow, UpdateRow, DeleteRow) differ only in their name, write
 * kind and which request field holds the row; each operation file declares itself with this.
 */
export function singleRowWrite(name: 'PutRow' | 'UpdateRow' | 'DeleteRow', kind: WriteKind, rowField: 'row' | 'rowChange' | 'primaryKey'): Operation {
  return {
    name,
    requestType: `${name}Request`,
    responseType: `${name}Response`,
    tableOf: (req) => req.tableName,
    handle(req, { store, nowMs }) {
      const table = requireTable(store, req.tableName);
      const input: WriteInput = { kind, rowBytes: req[rowField], condition: req.condition, returnContent: req.returnContent };
      return parseWrite(store, table, input, nowMs()).run();
    },
  };
}
