import { errors, OtsError } from '../errors.js';
import type { Operation } from '../operation.js';
import { LIMITS, validateName } from '../rows.js';
import { parseWrite, type ParsedWrite, type WriteKind } from '../writes.js';

const KINDS: Record<string, WriteKind> = { 1: 'PUT', 2: 'UPDATE', 3: 'DELETE', PUT: 'PUT', UPDATE: 'UPDATE', DELETE: 'DELETE' };

function rowError(e: unknown): object {
  if (e instanceof OtsError) return { isOk: false, error: { code: e.code, message: e.message } };
  throw e;
}

export const batchWriteRow: Operation = {
  name: 'BatchWriteRow',
  requestType: 'BatchWriteRowRequest',
  responseType: 'BatchWriteRowResponse',
  tableOf: (req) => req.tables?.[0]?.tableName,
  tablesOf: (req) => (req.tables ?? []).map((t: { tableName: string }) => t.tableName),
  handle(req, { store, nowMs }) {
    const tables: any[] = req.tables ?? [];
    if (tables.length === 0) throw errors.parameterInvalid('No row is specified in BatchWriteRow.');
    let total = 0;
    let bytes = 0;
    const names = new Set<string>();
    for (const t of tables) {
      validateName('table', t.tableName);
      if (names.has(t.tableName)) throw errors.parameterInvalid(`Duplicated table name: ${t.tableName}.`);
      names.add(t.tableName);
      const rows: any[] = t.rows ?? [];
      if (rows.length === 0) throw errors.parameterInvalid(`No operation is specified for table: ${t.tableName}.`);
      total += rows.length;
      for (const r of rows) bytes += r.rowChange?.length ?? 0;
    }
    if (total > LIMITS.maxBatchWriteRows) {
      throw errors.parameterInvalid(`Rows count exceeds the upper limit: ${LIMITS.maxBatchWriteRows}.`);
    }
    if (bytes > LIMITS.maxBatchWriteBytes) {
      throw errors.parameterInvalid(
        `The total data size of BatchWriteRow request exceeds the limit, limit size: ${LIMITS.maxBatchWriteBytes}, data size: ${bytes}.`,
      );
    }
    const now = nowMs();
    // Parse every row first; each row is then checked and committed on its own, in request order
    // (rows are atomic, the batch is not).
    const plan = tables.map((t) => {
      const table = store.table(t.tableName);
      return {
        tableName: t.tableName as string,
        rows: (t.rows as any[]).map((r): { write: ParsedWrite } | { failed: object } => {
          try {
            if (!table) throw errors.tableNotExist();
            const kind = KINDS[String(r.type)];
            if (!kind) throw errors.parameterInvalid('The modify type is invalid.');
            return {
              write: parseWrite(store, table, { kind, rowBytes: r.rowChange, condition: r.condition, returnContent: r.returnContent }, now),
            };
          } catch (e) {
            return { failed: rowError(e) };
          }
        }),
      };
    });
    // A row may repeat within a table only when no repetition carries a check.
    for (const t of plan) {
      const byRow = new Map<string, ParsedWrite[]>();
      for (const r of t.rows) if ('write' in r) byRow.set(r.write.pkId, [...(byRow.get(r.write.pkId) ?? []), r.write]);
      for (const writes of byRow.values()) {
        if (writes.length < 2) continue;
        if (writes.some((w) => w.conditional.rowExistence)) {
          throw errors.parameterInvalid('Repeated rows do not support row exist expectation check in BatchModify.');
        }
        if (writes.some((w) => w.conditional.columnCondition)) {
          throw errors.parameterInvalid('Repeated rows do not support row condition check in BatchModify.');
        }
      }
    }
    return {
      tables: plan.map((t) => ({
        tableName: t.tableName,
        rows: t.rows.map((r) => {
          if ('failed' in r) return r.failed;
          try {
            return { isOk: true, ...r.write.run() };
          } catch (e) {
            return rowError(e);
          }
        }),
      })),
    };
  },
};
