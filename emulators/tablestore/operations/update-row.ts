import type { Operation } from '../operation.js';
import { requireTable } from '../rows.js';
import { parseWrite } from '../writes.js';

export const updateRow: Operation = {
  name: 'UpdateRow',
  requestType: 'UpdateRowRequest',
  responseType: 'UpdateRowResponse',
  tableOf: (req) => req.tableName,
  handle(req, { store, nowMs }) {
    const table = requireTable(store, req.tableName);
    const write = parseWrite(
      store,
      table,
      { kind: 'UPDATE', rowBytes: req.rowChange, condition: req.condition, returnContent: req.returnContent },
      nowMs(),
    );
    return write.run();
  },
};
