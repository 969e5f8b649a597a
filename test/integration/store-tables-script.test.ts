// `npm run tables:create` end to end: the script, run as a process, against the emulator.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTablestoreEmulator } from '../../emulators/tablestore/index.js';
import { TABLE_SETUP_OPERATIONS } from '../../shared/tablestore/sdk.js';
import { tableDefinitions } from '../../shared/tablestore/tables.js';
import { parseTablesEnv } from '../../scripts/create-tables.js';

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
  it('creates every table once and reports existing ones on a second run', async () => {
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
      out: { instance: emulator.instance, prefix: 'script_', created: names, existing: [] },
    });
    const second = await runScript(env);
    expect(JSON.parse(second.stdout)).toEqual({ instance: emulator.instance, prefix: 'script_', created: [], existing: names });
    // It calls exactly the operations its RAM policy is derived from (deploy/ram-policy-tables.json).
    const calls = (await (await fetch(`${emulator.endpoint}/__emulator/calls`)).json()) as { operation: string }[];
    expect([...new Set(calls.map((c) => c.operation))].sort()).toEqual([...TABLE_SETUP_OPERATIONS].sort());
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

  it('applies defaults and sizes the idempotency TTL from IDEMPOTENCY_TTL_HOURS', () => {
    expect(parseTablesEnv(base)).toEqual({
      endpoint: 'https://inst.cn-hangzhou.ots.aliyuncs.com',
      instance: 'inst',
      prefix: 'isg_',
      idempotencyTtlSeconds: 7 * 24 * 3600,
      credentials: { accessKeyId: 'AK', accessKeySecret: 'SK' },
    });
    expect(parseTablesEnv({ ...base, IDEMPOTENCY_TTL_HOURS: '720', ALIBABA_CLOUD_SECURITY_TOKEN: 'tok' })).toMatchObject({
      idempotencyTtlSeconds: (720 + 24) * 3600,
      credentials: { accessKeyId: 'AK', accessKeySecret: 'SK', securityToken: 'tok' },
    });
  });

  it('rejects invalid values naming the variable', () => {
    expect(() => parseTablesEnv({ ...base, TABLE_PREFIX: 'bad-prefix' })).toThrow(/^TABLE_PREFIX is invalid/);
    expect(() => parseTablesEnv({ ...base, TABLESTORE_ENDPOINT: 'inst.ots.aliyuncs.com' })).toThrow(/^TABLESTORE_ENDPOINT is invalid/);
    expect(() => parseTablesEnv({ ...base, IDEMPOTENCY_TTL_HOURS: '0' })).toThrow(/^IDEMPOTENCY_TTL_HOURS is invalid/);
  });
});
