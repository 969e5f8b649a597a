import { errors } from '../errors.js';
import type { Operation } from '../operation.js';
import { has, LIMITS, validateName } from '../rows.js';
import type { PkSchema, PkType, TableMeta } from '../store.js';
import { parseTableOptions, parseThroughput } from '../table-options.js';

const PK_TYPES: Record<string, PkType> = { 1: 'INTEGER', 2: 'STRING', 3: 'BINARY', INTEGER: 'INTEGER', STRING: 'STRING', BINARY: 'BINARY' };
const DEFINED_TYPES = new Set([1, 2, 3, 4, 7]);

export const createTable: Operation = {
  name: 'CreateTable',
  requestType: 'CreateTableRequest',
  changesTables: true,
  responseType: 'CreateTableResponse',
  tableOf: (req) => req.tableMeta?.tableName,
  handle(req, { store, nowMs }) {
    const tm = req.tableMeta;
    const name: string = tm.tableName;
    validateName('table', name);
    const pks: Array<{ name: string; type: number | string; option?: number | string }> = tm.primaryKey ?? [];
    if (pks.length < 1 || pks.length > LIMITS.maxPkColumns) {
      throw errors.parameterInvalid(`The number of primary key columns must be in range: [1, ${LIMITS.maxPkColumns}].`);
    }
    const seen = new Set<string>();
    const primaryKey: PkSchema[] = pks.map((p, i) => {
      validateName('primary key column', p.name);
      if (seen.has(p.name)) throw errors.parameterInvalid(`Duplicated primary key name: '${p.name}'.`);
      seen.add(p.name);
      const type = PK_TYPES[String(p.type)];
      if (!type) throw errors.parameterInvalid('Invalid column type, only STRING,INTEGER,BINARY is allowed.');
      const autoIncrement = has(p, 'option') && (p.option === 1 || p.option === 'AUTO_INCREMENT');
      if (autoIncrement && type !== 'INTEGER') throw errors.parameterInvalid('AUTO_INCREMENT primary key must be integer.');
      if (autoIncrement && i === 0) throw errors.parameterInvalid(`First primary key can't be auto increment, table: ${name}.`);
      return { name: p.name, type, autoIncrement };
    });
    if (primaryKey.filter((p) => p.autoIncrement).length > 1) {
      throw errors.parameterInvalid('AUTO_INCREMENT primary key count must <= 1.');
    }
    const definedColumns = ((tm.definedColumn ?? []) as Array<{ name: string; type: number }>).map((d) => {
      validateName('defined column', d.name);
      if (seen.has(d.name)) throw errors.parameterInvalid(`Duplicated defined column name: ${d.name}.`);
      seen.add(d.name);
      if (!DEFINED_TYPES.has(Number(d.type))) throw errors.parameterInvalid(`Invalid column type: ${d.type}.`);
      return { name: d.name, type: Number(d.type) };
    });
    if ((req.indexMetas ?? []).length > 0) {
      throw errors.parameterInvalid('Secondary indexes are not supported by this emulator.');
    }
    if ((req.partitions ?? []).length > 0) {
      throw errors.parameterInvalid('Pre-split partitions are not supported by this emulator.');
    }
    if (store.table(name)) throw errors.tableAlreadyExist();
    if (store.tables.size >= LIMITS.maxTables) {
      throw errors.quotaExhausted('Number of tables exceeded the quota.');
    }
    const throughput = parseThroughput(req.reservedThroughput, true);
    const options = parseTableOptions(req.tableOptions, undefined);
    const nowSec = Math.floor(nowMs() / 1000);
    const meta: TableMeta = {
      name,
      primaryKey,
      definedColumns,
      ...options,
      reservedRead: throughput.read ?? 0,
      reservedWrite: throughput.write ?? 0,
      createdAt: nowSec,
      lastIncreaseTime: nowSec,
    };
    store.putTable(meta, false);
    return {};
  },
};
