import { errors } from '../errors.js';
import { encodeRow, encodeRows, type Row } from '../plainbuffer.js';
import type { Operation } from '../operation.js';
import {
  capacityUnits,
  consumed,
  has,
  LIMITS,
  parseReadOptions,
  parseRowBytes,
  pkRow,
  projectedSize,
  projectRow,
  requireTable,
  validatePk,
} from '../rows.js';
import { comparePk } from '../store.js';

export const getRange: Operation = {
  name: 'GetRange',
  requestType: 'GetRangeRequest',
  responseType: 'GetRangeResponse',
  tableOf: (req) => req.tableName,
  handle(req, { store, nowMs }) {
    const table = requireTable(store, req.tableName);
    const meta = table.meta;
    const start = validatePk(meta, parseRowBytes(req.inclusiveStartPrimaryKey, 'inclusive start primary key').primaryKey, 'range');
    const end = validatePk(meta, parseRowBytes(req.exclusiveEndPrimaryKey, 'exclusive end primary key').primaryKey, 'range');
    const backward = req.direction === 1 || req.direction === 'BACKWARD';
    const order = comparePk(start, end);
    if (!backward && order > 0) throw errors.parameterInvalid('Begin key must less than end key in FORWARD.');
    if (backward && order < 0) throw errors.parameterInvalid('Begin key must more than end key in BACKWARD.');
    let limit: number = LIMITS.maxRangeRows;
    if (has(req, 'limit') && req.limit !== null) {
      if (!(req.limit > 0)) throw errors.parameterInvalid('The limit must be greater than 0.');
      limit = Math.min(req.limit, LIMITS.maxRangeRows);
    }
    const opts = parseReadOptions(req);
    const now = nowMs();

    const rows: Row[] = [];
    let bytes = 0;
    let next: Row | undefined;
    const ordered = table.ordered;
    let i: number;
    if (backward) {
      i = table.lowerBound(start);
      if (i >= ordered.length || comparePk(ordered[i]!.pk, start) > 0) i -= 1;
    } else {
      i = table.lowerBound(start);
    }
    const inRange = (idx: number) =>
      idx >= 0 && idx < ordered.length && (backward ? comparePk(ordered[idx]!.pk, end) > 0 : comparePk(ordered[idx]!.pk, end) < 0);
    for (; inRange(i); i += backward ? -1 : 1) {
      const stored = ordered[i]!;
      if (rows.length >= limit) {
        next = pkRow(meta, stored.pk);
        break;
      }
      const projected = projectRow(meta, stored, opts, now);
      if (!projected) continue;
      const size = projectedSize(projected);
      if (rows.length > 0 && bytes + size > LIMITS.maxRangeBytes) {
        next = pkRow(meta, stored.pk);
        break;
      }
      rows.push(projected);
      bytes += size;
    }
    const response: Record<string, unknown> = {
      consumed: consumed(capacityUnits(bytes), 0),
      rows: encodeRows(rows),
    };
    if (next) response.nextStartPrimaryKey = encodeRow(next);
    return response;
  },
};
