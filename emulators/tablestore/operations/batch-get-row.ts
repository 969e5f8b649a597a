import { errors, OtsError } from '../errors.js';
import { encodeRow, type Value } from '../plainbuffer.js';
import type { Operation } from '../operation.js';
import { capacityUnits, consumed, LIMITS, parseReadOptions, parseRowBytes, projectedSize, projectRow, validateName, validatePk } from '../rows.js';

function rowError(e: unknown): object {
  if (e instanceof OtsError) return { isOk: false, error: { code: e.code, message: e.message } };
  throw e;
}

export const batchGetRow: Operation = {
  name: 'BatchGetRow',
  requestType: 'BatchGetRowRequest',
  responseType: 'BatchGetRowResponse',
  tableOf: (req) => req.tables?.[0]?.tableName,
  tablesOf: (req) => (req.tables ?? []).map((t: { tableName: string }) => t.tableName),
  handle(req, { store, nowMs }) {
    const tables: any[] = req.tables ?? [];
    if (tables.length === 0) throw errors.parameterInvalid('No row specified in the request of BatchGetRow.');
    const total = tables.reduce((n, t) => n + (t.primaryKey?.length ?? 0), 0);
    if (total > LIMITS.maxBatchGetRows) {
      throw errors.parameterInvalid(`Rows count exceeds the upper limit: ${LIMITS.maxBatchGetRows}.`);
    }
    const names = new Set<string>();
    for (const t of tables) {
      validateName('table', t.tableName);
      if (names.has(t.tableName)) throw errors.parameterInvalid(`Duplicated table name: ${t.tableName}.`);
      names.add(t.tableName);
      const keys: Uint8Array[] = t.primaryKey ?? [];
      if (keys.length === 0) throw errors.parameterInvalid('No row specified in the request of BatchGetRow.');
      // The same key twice in one table fails the whole request, as on the service.
      const distinct = new Set(keys.map((k) => Buffer.from(k).toString('base64')));
      if (distinct.size !== keys.length) throw errors.parameterInvalid('Duplicate rows detected in MultiGet.');
    }
    const now = nowMs();
    return {
      tables: tables.map((t) => {
        const table = store.table(t.tableName);
        const opts = parseReadOptions(t);
        const rows = (t.primaryKey as Uint8Array[]).map((bytes) => {
          try {
            if (!table) throw errors.tableNotExist();
            const key = parseRowBytes(bytes, 'primary key');
            const pk = validatePk(table.meta, key.primaryKey, 'read') as Value[];
            const row = projectRow(table.meta, table.get(pk), opts, now);
            return {
              isOk: true,
              consumed: consumed(capacityUnits(projectedSize(row)), 0),
              row: row ? encodeRow(row) : Buffer.alloc(0),
            };
          } catch (e) {
            return rowError(e);
          }
        });
        return { tableName: t.tableName, rows };
      }),
    };
  },
};
