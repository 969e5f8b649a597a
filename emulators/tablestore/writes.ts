// One row write (put, update or delete) from check to commit, shared by the single-row
// operations and BatchWriteRow. Synchronous, so it is atomic per row.
import { errors } from './errors.js';
import { encodeRow, type Row, type Value } from './plainbuffer.js';
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
  returnTypeOf,
  validatePk,
  type ConditionInput,
} from './rows.js';
import { visibleRow, type Store, type Table } from './store.js';

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

/** Parses and validates without touching state; batch operations use it to reject bad input up front. */
export function parseWrite(store: Store, table: Table, input: WriteInput, nowMs: number): { pkId: string; run: () => WriteOutput } {
  const meta = table.meta;
  const what = input.kind === 'DELETE' ? 'primary key' : 'row';
  const row: Row = parseRowBytes(input.rowBytes, what);
  const condition = parseCondition(input.condition);
  const returnType = returnTypeOf(input.returnContent);
  const returnColumns = [...(input.returnContent?.returnColumnNames ?? [])];
  const conditionRead = condition.rowExistence !== 'IGNORE' || condition.columnFilter ? 1 : 0;

  if (input.kind === 'PUT') {
    if (row.deleteMarker) throw errors.parameterInvalid('A row to put must not carry a delete marker.');
    const { pk, cells, size } = preparePut(meta, row, nowMs);
    const autoIncrement = pk.some((v) => v.type === 'AUTO_INCREMENT');
    if (autoIncrement && condition.rowExistence !== 'IGNORE') {
      throw errors.parameterInvalid('A row with an auto-increment primary key can only be written with the IGNORE row existence expectation.');
    }
    return {
      pkId: autoIncrement ? `auto:${Math.random()}` : JSON.stringify(pk, replacer),
      run: () => {
        return commitWith(table, nowMs, () => {
          const key = assignAutoIncrement(table, pk, nowMs);
          return { key, next: buildPutRow(meta, key, cells, nowMs), touched: cells.map((c) => c.name), size };
        });
      },
    };
  }

  if (input.kind === 'UPDATE') {
    if (row.deleteMarker) throw errors.parameterInvalid('A row to update must not carry a delete marker.');
    const { pk, cells, size } = prepareUpdate(meta, row, nowMs);
    return {
      pkId: JSON.stringify(pk, replacer),
      run: () =>
        commitWith(table, nowMs, (current) => {
          const key = pk as Value[];
          const { row: next, touched } = applyUpdate(meta, current.raw(key), key, cells, nowMs);
          return { key, next, touched, size };
        }),
    };
  }

  if (row.cells.length > 0) throw errors.parameterInvalid('DeleteRow takes only a primary key.');
  const pk = validatePk(meta, row.primaryKey, 'write') as Value[];
  if (condition.rowExistence === 'EXPECT_NOT_EXIST') {
    throw errors.parameterInvalid('Invalid condition: EXPECT_NOT_EXIST while deleting a row.');
  }
  return {
    pkId: JSON.stringify(pk, replacer),
    run: () => commitWith(table, nowMs, () => ({ key: pk, next: undefined, touched: [], size: 0 })),
  };

  function commitWith(
    t: Table,
    now: number,
    build: (current: { raw: (key: Value[]) => ReturnType<Table['get']> }) => {
      key: Value[];
      next: ReturnType<Table['get']>;
      touched: string[];
      size: number;
    },
  ): WriteOutput {
    const { key, next, touched, size } = build({ raw: (k) => t.get(k) });
    const current = visibleRow(meta, t.get(key), now);
    checkCondition(meta, condition, current);
    if (next || t.get(key)) store.commitRow(t, key, next);
    const out: WriteOutput = {
      consumed: consumed(conditionRead, input.kind === 'DELETE' ? 1 : capacityUnits(size)),
    };
    const ret = returnRow(meta, key, next, returnType, returnColumns, touched, now);
    if (ret) out.row = encodeRow(ret);
    return out;
  }
}

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

