import type { Operation } from '../operation.js';
import { requireTable } from '../rows.js';
import { describeOptions, describeThroughput } from '../table-options.js';

const TABLE_STATUS_ACTIVE = 1;

export const describeTable: Operation = {
  name: 'DescribeTable',
  requestType: 'DescribeTableRequest',
  responseType: 'DescribeTableResponse',
  tableOf: (req) => req.tableName,
  handle(req, { store }) {
    const { meta } = requireTable(store, req.tableName);
    return {
      tableMeta: {
        tableName: meta.name,
        primaryKey: meta.primaryKey.map((p) => {
          const schema: Record<string, unknown> = { name: p.name, type: p.type === 'INTEGER' ? 1 : p.type === 'STRING' ? 2 : 3 };
          if (p.autoIncrement) schema.option = 1;
          return schema;
        }),
        definedColumn: meta.definedColumns.map((d) => ({ name: d.name, type: d.type })),
      },
      reservedThroughputDetails: describeThroughput(meta),
      tableOptions: describeOptions(meta),
      tableStatus: TABLE_STATUS_ACTIVE,
      streamDetails: { enableStream: false },
      shardSplits: [],
    };
  },
};
