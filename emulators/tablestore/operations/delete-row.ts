import type { Operation } from '../operation.js';
import { requireTable } from '../rows.js';
import { parseWrite } from '../writes.js';

export const deleteRow: Operation = {
  name: 'DeleteRow',
  requestType: 'DeleteRowRequest',
  responseType: 'DeleteRowResponse',
  tableOf: (req) => req.tableName,
  handle(req, { store, nowMs }) {
    const table = requireTable(store, req.tableName);
    const write = parseWrite(
      store,
      table,
      { kind: 'DELETE', rowBytes: req.primaryKey, condition: req.condition, returnContent: req.returnContent },
      nowMs(),
    );
    return write.run();
  },
};
