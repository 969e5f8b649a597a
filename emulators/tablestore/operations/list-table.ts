import type { Operation } from '../operation.js';

export const listTable: Operation = {
  name: 'ListTable',
  requestType: 'ListTableRequest',
  responseType: 'ListTableResponse',
  tableOf: () => undefined,
  handle(_req, { store }) {
    return { tableNames: [...store.tables.keys()].sort() };
  },
};
