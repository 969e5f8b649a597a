// The allow-list of emulated operations: the only paths the server dispatches.
import type { Operation } from './operation.js';
import { batchGetRow } from './operations/batch-get-row.js';
import { batchWriteRow } from './operations/batch-write-row.js';
import { createTable } from './operations/create-table.js';
import { deleteRow } from './operations/delete-row.js';
import { deleteTable } from './operations/delete-table.js';
import { describeTable } from './operations/describe-table.js';
import { getRange } from './operations/get-range.js';
import { getRow } from './operations/get-row.js';
import { listTable } from './operations/list-table.js';
import { putRow } from './operations/put-row.js';
import { updateRow } from './operations/update-row.js';
import { updateTable } from './operations/update-table.js';

export const OPERATIONS: Readonly<Record<string, Operation>> = Object.freeze(
  Object.fromEntries(
    [createTable, listTable, describeTable, updateTable, deleteTable, putRow, getRow, updateRow, deleteRow, getRange, batchGetRow, batchWriteRow].map(
      (op) => [op.name, op],
    ),
  ),
);

export const OPERATION_NAMES = Object.keys(OPERATIONS);
