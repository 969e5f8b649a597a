// Test helper: a Tablestore emulator on a free port, a real `tablestore` SDK client configured for it,
// and typed access to the emulator's admin routes.
import { createRequire } from 'node:module';
import { startTablestoreEmulator, type TablestoreEmulator, type TablestoreEmulatorOptions } from '../../emulators/tablestore/index.js';
import type { FaultSpec } from '../../emulators/tablestore/faults.js';
import type { CallRecord as EmulatorCall } from '../../emulators/tablestore/server.js';
import { isOpenRequest, type ShareRequest } from '../../shared/domain/model.js';
import type { StorePort } from '../../shared/domain/ports.js';
import { requestColumns, requestIndexColumns } from '../../shared/tablestore/codec.js';
import { timeKey } from '../../shared/tablestore/keys.js';
import type { SdkClient } from '../../shared/tablestore/sdk.js';
import type { TablestoreStoreOptions } from '../../shared/tablestore/store.js';
import { tableNames } from '../../shared/tablestore/tables.js';

const require = createRequire(import.meta.url);

/** The `tablestore` SDK module and its objects: CommonJS without type declarations. */
export type TableStoreSdk = any;

export const TableStore: TableStoreSdk = require('tablestore');

export type { FaultSpec } from '../../emulators/tablestore/faults.js';
export type { CallRecord as EmulatorCall } from '../../emulators/tablestore/server.js';

export interface TablestoreAdmin {
  addFault(spec: FaultSpec): Promise<string>;
  clearFaults(): Promise<void>;
  state(): Promise<{ tables: Array<{ name: string; rows: number }> }>;
  calls(): Promise<EmulatorCall[]>;
  reset(): Promise<void>;
}

export interface StartedTablestore {
  emulator: TablestoreEmulator;
  /** a real TableStore.Client pointed at the emulator */
  client: TableStoreSdk;
  admin: TablestoreAdmin;
  TableStore: TableStoreSdk;
  close(): Promise<void>;
}

async function adminCall(endpoint: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${endpoint}/__emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`emulator admin ${method} ${path} failed: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export function tablestoreAdmin(endpoint: string): TablestoreAdmin {
  return {
    addFault: async (spec) => ((await adminCall(endpoint, 'POST', 'faults', spec)) as { id: string }).id,
    clearFaults: async () => void (await adminCall(endpoint, 'DELETE', 'faults')),
    state: async () => (await adminCall(endpoint, 'GET', 'state')) as { tables: Array<{ name: string; rows: number }> },
    calls: async () => (await adminCall(endpoint, 'GET', 'calls')) as EmulatorCall[],
    reset: async () => void (await adminCall(endpoint, 'POST', 'reset')),
  };
}

/** Builds a client for an emulator. The SDK's `maxRetries` is process-global: every client sets it. */
export function tablestoreClient(emulator: TablestoreEmulator, maxRetries = 1): TableStoreSdk {
  return new TableStore.Client({
    accessKeyId: emulator.accessKeyId,
    secretAccessKey: emulator.accessKeySecret,
    endpoint: emulator.endpoint,
    instancename: emulator.instance,
    maxRetries,
  });
}

export async function startTablestore(
  opts: TablestoreEmulatorOptions & { maxRetries?: number } = {},
): Promise<StartedTablestore> {
  const { maxRetries, ...emulatorOpts } = opts;
  const emulator = await startTablestoreEmulator({ port: 0, ...emulatorOpts });
  return {
    emulator,
    client: tablestoreClient(emulator, maxRetries ?? 1),
    admin: tablestoreAdmin(emulator.endpoint),
    TableStore,
    close: () => emulator.close(),
  };
}

/** The adapter's entry points, from the sources or from a bundle built like a function's. */
export interface StoreFactories {
  createTablestoreStore(opts: TablestoreStoreOptions): StorePort;
  createSdkClient(opts: { endpoint: string; instance: string; credentials: { accessKeyId: string; accessKeySecret: string } }): SdkClient;
  ensureTables(client: SdkClient, prefix: string, opts?: { pollMs?: number }): Promise<unknown>;
}

/** A Tablestore-backed StorePort on a fresh emulator (tables created), with the emulator's data clock. */
export async function storeOnEmulator(
  factories: StoreFactories,
): Promise<{ store: StorePort; clock: { set(d: Date): void }; close(): Promise<void> }> {
  let now = new Date();
  const emulator = await startTablestoreEmulator({ port: 0, now: () => now });
  const credentials = { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret };
  const client = factories.createSdkClient({ endpoint: emulator.endpoint, instance: emulator.instance, credentials });
  await factories.ensureTables(client, 'isg_', { pollMs: 20 });
  const store = factories.createTablestoreStore({
    endpoint: emulator.endpoint,
    instance: emulator.instance,
    tablePrefix: 'isg_',
    credentials: () => credentials,
  });
  return {
    store,
    clock: {
      set(d: Date) {
        now = d;
      },
    },
    close: () => emulator.close(),
  };
}

/**
 * Stores finished requests the way the store leaves them (the record and its time-index row; a
 * finished request has no open-index rows), 100 requests per BatchWriteRow: history seeded in
 * seconds for tests and benches, as `createRequest` and a finishing `updateRequest` would leave it.
 */
export async function seedFinishedRequests(client: SdkClient, prefix: string, requests: readonly ShareRequest[]): Promise<void> {
  const tables = tableNames(prefix);
  const ignore = new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
  for (let i = 0; i < requests.length; i += 100) {
    const chunk = requests.slice(i, i + 100);
    if (chunk.some((r) => isOpenRequest(r.status))) throw new Error('seedFinishedRequests: only finished requests have no open-index rows');
    const { tables: results } = await client.batchWriteRow({
      tables: [
        { tableName: tables.requests, rows: chunk.map((r) => ({ type: 'PUT' as const, condition: ignore, primaryKey: [{ request_id: r.requestId }], attributeColumns: requestColumns(r, r.version) })) },
        {
          tableName: tables.requests_by_time,
          rows: chunk.map((r) => ({ type: 'PUT' as const, condition: ignore, primaryKey: [{ time_key: timeKey(r.createdAt, r.requestId) }], attributeColumns: requestIndexColumns(r) })),
        },
      ],
    });
    const failed = results.find((r) => !r.isOk);
    if (failed) throw new Error(`seedFinishedRequests: ${failed.tableName} ${failed.errorCode ?? ''}`);
  }
}
