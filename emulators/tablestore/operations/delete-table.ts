import type { Operation } from '../operation.js';
import { requireTable } from '../rows.js';

export const deleteTable: Operation = {
  name: 'DeleteTable',
  requestType: 'DeleteTableRequest',
  changesTables: true,
  responseType: 'DeleteTableResponse',
  tableOf: (req) => req.tableName,
  handle(req, { store }) {
    const table = requireTable(store, req.tableName);
    store.dropTable(table.meta.name);
    return {};
  },
};
