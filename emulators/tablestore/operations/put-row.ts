import type { Operation } from '../operation.js';
import { requireTable } from '../rows.js';
import { parseWrite } from '../writes.js';

export const putRow: Operation = {
  name: 'PutRow',
  requestType: 'PutRowRequest',
  responseType: 'PutRowResponse',
  tableOf: (req) => req.tableName,
  handle(req, { store, nowMs }) {
    const table = requireTable(store, req.tableName);
    const write = parseWrite(store, table, { kind: 'PUT', rowBytes: req.row, condition: req.condition, returnContent: req.returnContent }, nowMs());
    return write.run();
  },
};
