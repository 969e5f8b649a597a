import { errors, OtsError } from '../errors.js';
import type { Operation } from '../operation.js';
import { LIMITS, validateName } from '../rows.js';
import { parseWrite, type WriteKind } from '../writes.js';

const KINDS: Record<string, WriteKind> = { 1: 'PUT', 2: 'UPDATE', 3: 'DELETE', PUT: 'PUT', UPDATE: 'UPDATE', DELETE: 'DELETE' };

class DuplicateRow extends Error {}

function rowError(e: unknown): object {
  if (e instanceof OtsError) return { isOk: false, error: { code: e.code, message: e.message } };
  throw e;
}

export const batchWriteRow: Operation = {
  name: 'BatchWriteRow',
  requestType: 'BatchWriteRowRequest',
  responseType: 'BatchWriteRowResponse',
  tableOf: (req) => req.tables?.[0]?.tableName,
  handle(req, { store, nowMs }) {
    const tables: any[] = req.tables ?? [];
    if (tables.length === 0) throw errors.parameterInvalid('No table is specified in BatchWriteRow.');
    let total = 0;
    let bytes = 0;
    const names = new Set<string>();
    for (const t of tables) {
      validateName('table', t.tableName);
      if (names.has(t.tableName)) throw errors.parameterInvalid(`The table '${t.tableName}' appears more than once in BatchWriteRow.`);
      names.add(t.tableName);
      const rows: any[] = t.rows ?? [];
      if (rows.length === 0) throw errors.parameterInvalid(`No row is specified for table '${t.tableName}'.`);
      total += rows.length;
      for (const r of rows) bytes += r.rowChange?.length ?? 0;
    }
    if (total > LIMITS.maxBatchWriteRows) {
      throw errors.parameterInvalid(`Rows count exceeds the upper limit: ${LIMITS.maxBatchWriteRows}.`);
    }
    if (bytes > LIMITS.maxBatchWriteBytes) {
      throw errors.parameterInvalid(`The total data size of BatchWriteRow request exceeds the limit: ${LIMITS.maxBatchWriteBytes}.`);
    }
    const now = nowMs();
    // Parse every row first; each row is then checked and committed on its own (rows are atomic, the batch is not).
    const plan = tables.map((t) => {
      const table = store.table(t.tableName);
      const seen = new Set<string>();
      return {
        tableName: t.tableName as string,
        rows: (t.rows as any[]).map((r) => {
          try {
            if (!table) throw errors.tableNotExist();
            const kind = KINDS[String(r.type)];
            if (!kind) throw errors.parameterInvalid(`Invalid operation type: ${r.type}.`);
            const w = parseWrite(store, table, { kind, rowBytes: r.rowChange, condition: r.condition, returnContent: r.returnContent }, now);
            if (seen.has(w.pkId)) throw new DuplicateRow();
            seen.add(w.pkId);
            return { run: w.run };
          } catch (e) {
            // A row written twice in one batch fails the whole request, as on the service.
            if (e instanceof DuplicateRow) throw errors.inputInvalid();
            return { failed: rowError(e) };
          }
        }),
      };
    });
    return {
      tables: plan.map((t) => ({
        tableName: t.tableName,
        rows: t.rows.map((r) => {
          if ('failed' in r) return r.failed;
          try {
            return { isOk: true, ...r.run() };
          } catch (e) {
            return rowError(e);
          }
        }),
      })),
    };
  },
};
