// The `tablestore` SDK (CommonJS, untyped) behind the narrow, typed surface this adapter uses.
// Normalised once here: under esbuild a CJS default import may arrive as `module.exports.default`.
import TableStoreModule from 'tablestore';

/** An int64 as the SDK returns it (int64-buffer's Int64LE). */
export interface SdkInt64 {
  toNumber(): number;
  toString(radix?: number): string;
}

export type PrimaryKeyValue = string | SdkInt64 | Buffer | object;
/** `[{ region_id: 'cn-hangzhou' }, { image_id: 'm-...' }]`, in table key order. */
export type PrimaryKeyInput = Record<string, PrimaryKeyValue>[];
export type ColumnValue = string | number | boolean | SdkInt64 | Buffer;
export type AttributeColumns = Record<string, ColumnValue>[];

export interface SdkRow {
  primaryKey?: { name: string; value: unknown }[];
  attributes?: { columnName: string; columnValue: unknown; timestamp?: unknown }[];
}

export interface SdkBatchRowResult {
  isOk: boolean;
  errorCode: string | null;
  errorMessage: string | null;
  tableName: string;
  primaryKey: { name: string; value: unknown }[] | null;
  attributes: { columnName: string; columnValue: unknown }[] | null;
}

export type SdkCondition = object;
export type SdkColumnCondition = object;

export interface SdkClient {
  createTable(params: Record<string, unknown>): Promise<unknown>;
  describeTable(params: { tableName: string }): Promise<{ tableMeta?: unknown; tableOptions?: { timeToLive?: number } }>;
  updateTable(params: { tableName: string; tableOptions: { timeToLive?: number; maxVersions?: number } }): Promise<unknown>;
  listTable(params: Record<string, never>): Promise<{ tableNames: string[] }>;
  deleteTable(params: { tableName: string }): Promise<unknown>;
  getRow(params: {
    tableName: string;
    primaryKey: PrimaryKeyInput;
    columnsToGet?: string[];
    maxVersions?: number;
  }): Promise<{ row: SdkRow }>;
  putRow(params: {
    tableName: string;
    condition: SdkCondition;
    primaryKey: PrimaryKeyInput;
    attributeColumns: AttributeColumns;
    returnContent?: { returnType: number };
  }): Promise<{ row: SdkRow }>;
  updateRow(params: {
    tableName: string;
    condition: SdkCondition;
    primaryKey: PrimaryKeyInput;
    updateOfAttributeColumns: Record<string, unknown>[];
    returnContent?: { returnType: number; returnColumns?: string[] };
  }): Promise<{ row: SdkRow }>;
  deleteRow(params: { tableName: string; condition: SdkCondition; primaryKey: PrimaryKeyInput }): Promise<{ row: SdkRow }>;
  getRange(params: {
    tableName: string;
    direction: 'FORWARD' | 'BACKWARD';
    inclusiveStartPrimaryKey: PrimaryKeyInput;
    exclusiveEndPrimaryKey: PrimaryKeyInput;
    limit?: number;
    maxVersions?: number;
    columnsToGet?: string[];
  }): Promise<{ rows: SdkRow[]; nextStartPrimaryKey: { name: string; value: unknown }[] | null }>;
  batchGetRow(params: {
    tables: { tableName: string; primaryKey: PrimaryKeyInput[]; maxVersions?: number; columnsToGet?: string[] }[];
  }): Promise<{ tables: SdkBatchRowResult[][] }>;
  batchWriteRow(params: {
    tables: {
      tableName: string;
      rows: { type: 'PUT' | 'UPDATE' | 'DELETE'; condition: SdkCondition; primaryKey: PrimaryKeyInput; attributeColumns?: unknown[] }[];
    }[];
  }): Promise<{ tables: SdkBatchRowResult[] }>;
}

/** The Tablestore operations (RAM actions `ots:<Operation>`) the store calls: its client type offers no other. */
export const STORE_OPERATIONS = ['GetRow', 'PutRow', 'UpdateRow', 'DeleteRow', 'GetRange', 'BatchGetRow', 'BatchWriteRow'] as const;
/** The ones `npm run tables:create` calls on every table (ensureTables). */
export const TABLE_SETUP_OPERATIONS = ['CreateTable', 'DescribeTable', 'UpdateTable', 'GetRow'] as const;
/** The SDK client narrowed to the given operations' methods (`GetRow` → `getRow`). */
export type ClientFor<Operations extends readonly string[]> = Pick<SdkClient, Uncapitalize<Operations[number]> & keyof SdkClient>;
export type StoreClient = ClientFor<typeof STORE_OPERATIONS>;
export type TableSetupClient = ClientFor<typeof TABLE_SETUP_OPERATIONS>;

export interface SdkClientConfig {
  accessKeyId: string;
  secretAccessKey: string;
  stsToken?: string;
  endpoint: string;
  instancename: string;
  maxRetries: number;
  httpOptions?: { timeout?: number; maxSockets?: number };
}

export interface TableStoreSdk {
  Client: new (config: SdkClientConfig) => SdkClient;
  Condition: new (expectation: number, columnCondition?: SdkColumnCondition | null) => SdkCondition;
  SingleColumnCondition: new (
    name: string,
    value: ColumnValue,
    comparator: number,
    passIfMissing?: boolean,
    latestVersionOnly?: boolean,
  ) => SdkColumnCondition;
  CompositeCondition: new (combinator: number) => SdkColumnCondition & { addSubCondition(c: SdkColumnCondition): void };
  RowExistenceExpectation: { IGNORE: number; EXPECT_EXIST: number; EXPECT_NOT_EXIST: number };
  ComparatorType: {
    EQUAL: number;
    NOT_EQUAL: number;
    GREATER_THAN: number;
    GREATER_EQUAL: number;
    LESS_THAN: number;
    LESS_EQUAL: number;
  };
  LogicalOperator: { NOT: number; AND: number; OR: number };
  ReturnType: { NONE: number; Primarykey: number; AfterModify: number };
  PrimaryKeyType: { INTEGER: number; STRING: number; BINARY: number };
  Long: { fromNumber(n: number): SdkInt64; fromString(s: string): SdkInt64 };
  INF_MIN: object;
  INF_MAX: object;
}

const loaded = TableStoreModule as TableStoreSdk & { default?: TableStoreSdk };
export const TableStore: TableStoreSdk = loaded.default ?? loaded;

/** Integers are stored as INTEGER only when wrapped; a bare JS number would become a DOUBLE. */
export const int = (n: number): SdkInt64 => TableStore.Long.fromNumber(n);

/** Reads an INTEGER (Int64LE) or a DOUBLE cell as a JS number. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value && typeof (value as SdkInt64).toNumber === 'function') return (value as SdkInt64).toNumber();
  if (typeof value === 'string' && value !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** The row's attribute columns as a plain map (maxVersions 1: one cell per column). */
export function attributesOf(row: { attributes?: { columnName: string; columnValue: unknown }[] | null } | undefined): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (const cell of row?.attributes ?? []) map.set(cell.columnName, cell.columnValue);
  return map;
}

export function primaryKeyOf(row: { primaryKey?: { name: string; value: unknown }[] | null } | undefined): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (const cell of row?.primaryKey ?? []) map.set(cell.name, cell.value);
  return map;
}

export const rowExists = (row: SdkRow | undefined): boolean => (row?.primaryKey?.length ?? 0) > 0;

/** A raw SDK client (for ensureTables and tools); the store builds its own and rotates it. */
export function createSdkClient(opts: {
  endpoint: string;
  instance: string;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  /** The SDK's own retries (process-global inside the SDK); default 0. */
  maxRetries?: number;
  requestTimeoutMs?: number;
}): SdkClient {
  return new TableStore.Client({
    accessKeyId: opts.credentials.accessKeyId,
    secretAccessKey: opts.credentials.accessKeySecret,
    ...(opts.credentials.securityToken ? { stsToken: opts.credentials.securityToken } : {}),
    endpoint: opts.endpoint,
    instancename: opts.instance,
    maxRetries: opts.maxRetries ?? 0,
    httpOptions: { timeout: opts.requestTimeoutMs ?? 10_000 },
  });
}
