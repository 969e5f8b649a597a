import { errors } from '../errors.js';
import type { Operation } from '../operation.js';
import { requireTable } from '../rows.js';
import { describeOptions, describeThroughput, parseTableOptions, parseThroughput } from '../table-options.js';

export const updateTable: Operation = {
  name: 'UpdateTable',
  requestType: 'UpdateTableRequest',
  changesTables: true,
  responseType: 'UpdateTableResponse',
  tableOf: (req) => req.tableName,
  handle(req, { store, nowMs }) {
    const table = requireTable(store, req.tableName);
    if (!req.reservedThroughput && !req.tableOptions && !req.streamSpec) {
      throw errors.parameterInvalid('No parameter is specified in table options.');
    }
    const options = parseTableOptions(req.tableOptions, table.meta);
    const throughput = parseThroughput(req.reservedThroughput, false);
    const nowSec = Math.floor(nowMs() / 1000);
    const meta = { ...table.meta, ...options };
    if (throughput.read !== undefined || throughput.write !== undefined) {
      const read = throughput.read ?? meta.reservedRead;
      const write = throughput.write ?? meta.reservedWrite;
      if (read > meta.reservedRead || write > meta.reservedWrite) meta.lastIncreaseTime = nowSec;
      if (read < meta.reservedRead || write < meta.reservedWrite) meta.lastDecreaseTime = nowSec;
      meta.reservedRead = read;
      meta.reservedWrite = write;
    }
    store.putTable(meta, true);
    return { reservedThroughputDetails: describeThroughput(meta), tableOptions: describeOptions(meta) };
  },
};
