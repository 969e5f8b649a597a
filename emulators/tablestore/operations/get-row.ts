import { encodeRow } from '../plainbuffer.js';
import type { Operation } from '../operation.js';
import { capacityUnits, consumed, parseReadOptions, parseRowBytes, projectedSize, projectRow, requireTable, validatePk } from '../rows.js';
import type { Value } from '../plainbuffer.js';

export const getRow: Operation = {
  name: 'GetRow',
  requestType: 'GetRowRequest',
  responseType: 'GetRowResponse',
  tableOf: (req) => req.tableName,
  handle(req, { store, nowMs }) {
    const table = requireTable(store, req.tableName);
    const key = parseRowBytes(req.primaryKey, 'primary key');
    const pk = validatePk(table.meta, key.primaryKey, 'read') as Value[];
    const opts = parseReadOptions(req);
    const row = projectRow(table.meta, table.get(pk), opts, nowMs());
    return {
      consumed: consumed(capacityUnits(projectedSize(row)), 0),
      // `row` is required: empty bytes mean "no such row".
      row: row ? encodeRow(row) : Buffer.alloc(0),
    };
  },
};
