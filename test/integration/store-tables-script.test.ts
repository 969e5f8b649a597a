// `npm run tables:create` end to end: the script, run as a process, against the emulator.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTablestoreEmulator } from '../../emulators/tablestore/index.js';
import { openRowKeys, timeKey } from '../../shared/tablestore/keys.js';
import { OPEN_INDEX_BACKFILL } from '../../shared/tablestore/open-index.js';
import { TABLE_SETUP_OPERATIONS, TableStore, createSdkClient } from '../../shared/tablestore/sdk.js';
import { createTablestoreStore } from '../../shared/tablestore/store.js';
import { tableDefinitions } from '../../shared/tablestore/tables.js';
import { parseTablesEnv } from '../../scripts/create-tables.js';
import { aRequest } from '../contract/store-contract.js';

type Emulator = Awaited<ReturnType<typeof startTablestoreEmulator>>;
let emulator: Emulator;

function runScript(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/create-tables.ts'],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  emulator = await startTablestoreEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator?.close();
});

describe('scripts/create-tables', () => {
  it('creates every table once, reports existing ones on a second run, applies a changed retention and indexes open requests stored without their index rows', async () => {
    const env = {
      TABLESTORE_ENDPOINT: emulator.endpoint,
      TABLESTORE_INSTANCE: emulator.instance,
      TABLE_PREFIX: 'script_',
      ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.accessKeySecret,
    };
    const names = tableDefinitions().map((d) => `script_${d.name}`);
    const first = await runScript(env);
    expect({ code: first.code, out: JSON.parse(first.stdout) }).toEqual({
      code: 0,
      out: { instance: emulator.instance, prefix: 'script_', created: names, existing: [], updated: [], indexed: 0 },
    });
    const second = await runScript(env);
    expect(JSON.parse(second.stdout)).toEqual({ instance: emulator.instance, prefix: 'script_', created: [], existing: names, updated: [], indexed: 0 });

    // A pending request as a version before the open index stored it: its record and time row only.
    const credentials = { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret };
    const store = createTablestoreStore({ endpoint: emulator.endpoint, instance: emulator.instance, tablePrefix: 'script_', credentials: () => credentials });
    const pending = aRequest();
    const finished = aRequest({ status: 'applied' });
    for (const r of [pending, finished]) await store.createRequest(r);
    const client = createSdkClient({ endpoint: emulator.endpoint, instance: emulator.instance, credentials });
    for (const primaryKey of openRowKeys(pending.regionId, pending.imageId, timeKey(pending.createdAt, pending.requestId))) {
      await client.deleteRow({ tableName: 'script_requests_open', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null), primaryKey });
    }
    expect(await store.listRequests({ status: 'pending_approval' }, 10)).toEqual({ items: [] });

    const third = await runScript({ ...env, REQUEST_RETENTION_DAYS: '500' });
    const days = (n: number): number => n * 24 * 3600;
    expect(JSON.parse(third.stdout)).toEqual({
      instance: emulator.instance,
      prefix: 'script_',
      created: [],
      existing: names,
      updated: ['requests', 'requests_by_time', 'requests_open'].map((t) => ({ table: `script_${t}`, timeToLive: { from: days(400), to: days(500) } })),
      indexed: 1,
    });
    expect(await store.listRequests({ status: 'pending_approval' }, 10)).toEqual({ items: [pending] });
    expect(await store.listRequests({ status: 'pending_approval', regionId: pending.regionId, imageId: pending.imageId }, 10)).toEqual({ items: [pending] });
    const described = await client.describeTable({ tableName: 'script_requests' });
    expect(described.tableOptions?.timeToLive).toBe(days(500));

    // It calls exactly the operations its RAM policy is derived from (deploy/ram-policy-tables.json); the store's calls come from the test.
    const calls = (await (await fetch(`${emulator.endpoint}/__emulator/calls`)).json()) as { operation: string; table: string | null }[];
    const scriptOperations = new Set<string>([...TABLE_SETUP_OPERATIONS, ...OPEN_INDEX_BACKFILL.map((step) => step.operation)]);
    expect([...new Set(calls.map((c) => c.operation).filter((op) => scriptOperations.has(op)))].sort()).toEqual([...scriptOperations].sort());
  });

  it('names the missing variable and exits 2 without calling the service', async () => {
    const result = await runScript({ TABLESTORE_ENDPOINT: emulator.endpoint, TABLESTORE_INSTANCE: 'local' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID is required');
  });

  it('exits 1 with the service error code when the credentials are refused', async () => {
    const result = await runScript({
      TABLESTORE_ENDPOINT: emulator.endpoint,
      TABLESTORE_INSTANCE: emulator.instance,
      ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-the-secret',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('OTSAuthFailed');
    expect(result.stderr).not.toContain('not-the-secret');
  });
});

describe('parseTablesEnv', () => {
  const base = {
    TABLESTORE_ENDPOINT: 'https://inst.cn-hangzhou.ots.aliyuncs.com/',
    TABLESTORE_INSTANCE: 'inst',
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'AK',
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'SK',
  };

  it('reads the variables as the functions do, defaults applied', () => {
    expect(parseTablesEnv(base)).toEqual({
      endpoint: 'https://inst.cn-hangzhou.ots.aliyuncs.com',
      instance: 'inst',
      prefix: 'isg_',
      retention: { requestRetentionDays: 400, idempotencyTtlHours: 24 },
      credentials: { accessKeyId: 'AK', accessKeySecret: 'SK' },
    });
    expect(
      parseTablesEnv({ ...base, IDEMPOTENCY_TTL_HOURS: '720', REQUEST_RETENTION_DAYS: '3650', ALIBABA_CLOUD_SECURITY_TOKEN: 'tok' }),
    ).toMatchObject({
      retention: { requestRetentionDays: 3650, idempotencyTtlHours: 720 },
      credentials: { accessKeyId: 'AK', accessKeySecret: 'SK', securityToken: 'tok' },
    });
  });

  it('rejects invalid values naming the variable, as loadConfig names them', () => {
    expect(() => parseTablesEnv({ ...base, TABLE_PREFIX: 'bad-prefix' })).toThrow(/^TABLE_PREFIX must match pattern/);
    expect(() => parseTablesEnv({ ...base, TABLESTORE_ENDPOINT: 'inst.ots.aliyuncs.com' })).toThrow(/^TABLESTORE_ENDPOINT must match pattern/);
    expect(() => parseTablesEnv({ ...base, IDEMPOTENCY_TTL_HOURS: '0' })).toThrow(/^IDEMPOTENCY_TTL_HOURS must be >= 1/);
    expect(() => parseTablesEnv({ ...base, REQUEST_RETENTION_DAYS: 'forever' })).toThrow(/^REQUEST_RETENTION_DAYS must be integer/);
    expect(() => parseTablesEnv({ ...base, ALIBABA_CLOUD_ACCESS_KEY_SECRET: ' ' })).toThrow(/^ALIBABA_CLOUD_ACCESS_KEY_SECRET is required$/);
  });

  it('refuses a retention that a pending request could outlive', () => {
    expect(() => parseTablesEnv({ ...base, PENDING_REQUEST_TTL_HOURS: '8760', REQUEST_RETENTION_DAYS: '394' })).toThrow(/^REQUEST_RETENTION_DAYS must be at least 395/);
    expect(parseTablesEnv({ ...base, PENDING_REQUEST_TTL_HOURS: '8760', REQUEST_RETENTION_DAYS: '395' }).retention.requestRetentionDays).toBe(395);
  });
});
