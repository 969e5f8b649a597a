// Column conditions (writes) and column filters (reads): bytes-inside-bytes protobuf, decoded once per request.
import { filterProto } from './protocol.js';
import { errors } from './errors.js';
import { decodeBareValue, PlainBufferError, type Value } from './plainbuffer.js';
import { compareValues, type StoredCell } from './store.js';

const FT_SINGLE_COLUMN_VALUE = 1;
const FT_COMPOSITE_COLUMN_VALUE = 2;
const FT_COLUMN_PAGINATION = 3;

const LO_NOT = 1;
const LO_AND = 2;
const LO_OR = 3;

export type Comparator = 'EQUAL' | 'NOT_EQUAL' | 'GREATER_THAN' | 'GREATER_EQUAL' | 'LESS_THAN' | 'LESS_EQUAL';
const COMPARATORS: Record<number, Comparator> = {
  1: 'EQUAL',
  2: 'NOT_EQUAL',
  3: 'GREATER_THAN',
  4: 'GREATER_EQUAL',
  5: 'LESS_THAN',
  6: 'LESS_EQUAL',
};

export type ColumnFilter =
  | {
      kind: 'single';
      comparator: Comparator;
      column: string;
      value: Value;
      filterIfMissing: boolean;
      latestVersionOnly: boolean;
    }
  | { kind: 'composite'; combinator: 'NOT' | 'AND' | 'OR'; subFilters: ColumnFilter[] }
  | { kind: 'pagination'; offset: number; limit: number };

function decodeFilterMessage(type: number, bytes: Uint8Array, depth: number): ColumnFilter {
  if (depth > 32) throw errors.parameterInvalid('The column condition is nested too deeply.');
  if (type === FT_SINGLE_COLUMN_VALUE) {
    const f = filterProto.SingleColumnValueFilter!.decode(bytes);
    const comparator = COMPARATORS[f.comparator as number];
    if (!comparator) throw errors.parameterInvalid(`Invalid relation operator: ${f.comparator}.`);
    let value: Value;
    try {
      value = decodeBareValue(f.columnValue);
    } catch (e) {
      throw errors.parameterInvalid(`Invalid column value in condition: ${(e as Error).message}`);
    }
    return {
      kind: 'single',
      comparator,
      column: f.columnName,
      value,
      filterIfMissing: Boolean(f.filterIfMissing),
      latestVersionOnly: Boolean(f.latestVersionOnly),
    };
  }
  if (type === FT_COMPOSITE_COLUMN_VALUE) {
    const f = filterProto.CompositeColumnValueFilter!.decode(bytes);
    const combinator = f.combinator === LO_NOT ? 'NOT' : f.combinator === LO_AND ? 'AND' : f.combinator === LO_OR ? 'OR' : undefined;
    if (!combinator) throw errors.parameterInvalid(`Invalid logical operator: ${f.combinator}.`);
    const subFilters = (f.subFilters as Array<{ type: number; filter: Uint8Array }>).map((s) =>
      decodeFilterMessage(s.type, s.filter, depth + 1),
    );
    if (combinator === 'NOT' && subFilters.length !== 1) {
      throw errors.parameterInvalid('Invalid NOT operator: the number of sub-filters must be 1.');
    }
    if (combinator !== 'NOT' && subFilters.length < 2) {
      throw errors.parameterInvalid('Invalid AND/OR operator: the number of sub-filters must be 2.');
    }
    if (subFilters.some((s) => s.kind === 'pagination')) {
      throw errors.parameterInvalid('Invalid type of sub-filter: FT_COLUMN_PAGINATION.');
    }
    return { kind: 'composite', combinator, subFilters };
  }
  if (type === FT_COLUMN_PAGINATION) {
    const f = filterProto.ColumnPaginationFilter!.decode(bytes);
    if (f.offset < 0) throw errors.parameterInvalid('Offset in ColumnPaginationFilter must be greater than or equal to 0.');
    if (f.limit <= 0) throw errors.parameterInvalid('Limit in ColumnPaginationFilter must be greater than 0.');
    return { kind: 'pagination', offset: f.offset, limit: f.limit };
  }
  throw errors.parameterInvalid(`Invalid type of filter: ${type}.`);
}

/** Decodes an encoded filter.proto.Filter (Condition.column_condition, GetRowRequest.filter, ...). */
export function decodeFilter(bytes: Uint8Array | undefined | null): ColumnFilter | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    const f = filterProto.Filter!.decode(bytes);
    return decodeFilterMessage(f.type, f.filter, 0);
  } catch (e) {
    if (e instanceof PlainBufferError) throw errors.parameterInvalid(e.message);
    if ((e as { code?: unknown }).code === 'OTSParameterInvalid' || (e as Error).name === 'OtsError') throw e;
    throw errors.parameterInvalid('Deserialize filter failed.');
  }
}

/** Number of single-column conditions in a filter tree (the service allows at most 10 per write). */
export function countSingleConditions(filter: ColumnFilter): number {
  if (filter.kind === 'single') return 1;
  if (filter.kind === 'composite') return filter.subFilters.reduce((n, s) => n + countSingleConditions(s), 0);
  return 0;
}

function compare(comparator: Comparator, actual: Value, expected: Value): boolean {
  // Values of different types never match; only NOT_EQUAL holds.
  if (actual.type !== expected.type) return comparator === 'NOT_EQUAL';
  const c = compareValues(actual, expected);
  switch (comparator) {
    case 'EQUAL':
      return c === 0;
    case 'NOT_EQUAL':
      return c !== 0;
    case 'GREATER_THAN':
      return c > 0;
    case 'GREATER_EQUAL':
      return c >= 0;
    case 'LESS_THAN':
      return c < 0;
    case 'LESS_EQUAL':
      return c <= 0;
  }
}

/** Evaluates a condition against a row's columns (versions newest first). Pagination filters always pass here. */
export function evaluate(filter: ColumnFilter, columns: ReadonlyMap<string, readonly StoredCell[]>): boolean {
  switch (filter.kind) {
    case 'pagination':
      return true;
    case 'composite':
      if (filter.combinator === 'NOT') return !evaluate(filter.subFilters[0]!, columns);
      if (filter.combinator === 'AND') return filter.subFilters.every((s) => evaluate(s, columns));
      return filter.subFilters.some((s) => evaluate(s, columns));
    case 'single': {
      const cells = columns.get(filter.column);
      if (!cells || cells.length === 0) return !filter.filterIfMissing;
      const candidates = filter.latestVersionOnly ? cells.slice(0, 1) : cells;
      return candidates.some((c) => compare(filter.comparator, c.value, filter.value));
    }
  }
}
