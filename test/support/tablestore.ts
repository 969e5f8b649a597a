// Test helper: a Tablestore emulator on a free port, a real `tablestore` SDK client configured for it,
// and typed access to the emulator's admin routes.
import { createRequire } from 'node:module';
import { startTablestoreEmulator, type TablestoreEmulator, type TablestoreEmulatorOptions } from '../../emulators/tablestore/index.js';

const require = createRequire(import.meta.url);

/** The `tablestore` SDK module and its objects: CommonJS without type declarations. */
export type TableStoreSdk = any;

export const TableStore: TableStoreSdk = require('tablestore');

export interface FaultSpec {
  operation?: string;
  code?: string;
  status?: number;
  message?: string;
  probability?: number;
  count?: number;
  latencyMs?: number;
}

export interface EmulatorCall {
  operation: string;
  table: string | null;
  status: number;
  code: string | null;
}

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
