// `npm run tables:create`: creates the service's Tablestore tables in a real instance (or the
// emulator), idempotently. Configuration from the environment:
//   TABLESTORE_ENDPOINT   https://<instance>.<region>.ots.aliyuncs.com (or http://127.0.0.1:P)
//   TABLESTORE_INSTANCE   instance name
//   TABLE_PREFIX          optional, default isg_ (must match the functions' TABLE_PREFIX)
//   IDEMPOTENCY_TTL_HOURS optional, default 24: the idempotency table keeps rows at least a day longer
//   ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET / ALIBABA_CLOUD_SECURITY_TOKEN (optional)
import Ajv from 'ajv';
import { pathToFileURL } from 'node:url';
import { createSdkClient } from '../shared/tablestore/sdk.js';
import { DEFAULT_IDEMPOTENCY_TTL_SECONDS, ensureTables } from '../shared/tablestore/tables.js';

const ENV_SCHEMA = {
  type: 'object',
  required: ['TABLESTORE_ENDPOINT', 'TABLESTORE_INSTANCE', 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
  properties: {
    TABLESTORE_ENDPOINT: { type: 'string', pattern: '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$' },
    TABLESTORE_INSTANCE: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9-]{2,15}$' },
    TABLE_PREFIX: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,31}$' },
    IDEMPOTENCY_TTL_HOURS: { type: 'string', pattern: '^[0-9]{1,3}$' },
    ALIBABA_CLOUD_ACCESS_KEY_ID: { type: 'string', minLength: 1 },
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: { type: 'string', minLength: 1 },
    ALIBABA_CLOUD_SECURITY_TOKEN: { type: 'string', minLength: 1 },
  },
} as const;

const HINTS: Record<string, string> = {
  TABLESTORE_ENDPOINT: 'an http(s) URL such as https://myinst.cn-hangzhou.ots.aliyuncs.com',
  TABLESTORE_INSTANCE: '3-16 letters, digits or hyphens, starting with a letter',
  TABLE_PREFIX: 'letters, digits and underscores, not starting with a digit (at most 32)',
  IDEMPOTENCY_TTL_HOURS: 'a whole number of hours, 1..720',
  ALIBABA_CLOUD_ACCESS_KEY_ID: 'an AccessKey id',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'the AccessKey secret',
  ALIBABA_CLOUD_SECURITY_TOKEN: 'an STS token (only with STS credentials)',
};

const validate = new Ajv({ allErrors: false, strict: true }).compile(ENV_SCHEMA);

export interface TablesEnv {
  endpoint: string;
  instance: string;
  prefix: string;
  idempotencyTtlSeconds: number;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
}

/** Pure: the environment map → settings, or an Error naming the variable at fault. */
export function parseTablesEnv(env: Readonly<Record<string, string | undefined>>): TablesEnv {
  const present: Record<string, string> = {};
  for (const key of Object.keys(ENV_SCHEMA.properties)) {
    const v = env[key]?.trim();
    if (v) present[key] = v;
  }
  if (!validate(present)) {
    const e = validate.errors?.[0];
    const name = e?.keyword === 'required' ? String(e.params.missingProperty) : (e?.instancePath.replace(/^\//, '') ?? '');
    throw new Error(`${name} is ${e?.keyword === 'required' ? 'required' : 'invalid'}: expected ${HINTS[name] ?? 'a valid value'}`);
  }
  const hours = present.IDEMPOTENCY_TTL_HOURS === undefined ? 24 : Number(present.IDEMPOTENCY_TTL_HOURS);
  if (hours < 1 || hours > 720) throw new Error(`IDEMPOTENCY_TTL_HOURS is invalid: expected ${HINTS.IDEMPOTENCY_TTL_HOURS}`);
  return {
    endpoint: present.TABLESTORE_ENDPOINT!.replace(/\/$/, ''),
    instance: present.TABLESTORE_INSTANCE!,
    prefix: present.TABLE_PREFIX ?? 'isg_',
    // Rows are removed by TTL only after expiresAt has passed; reads check expiresAt anyway.
    idempotencyTtlSeconds: Math.max(DEFAULT_IDEMPOTENCY_TTL_SECONDS, hours * 3600 + 24 * 3600),
    credentials: {
      accessKeyId: present.ALIBABA_CLOUD_ACCESS_KEY_ID!,
      accessKeySecret: present.ALIBABA_CLOUD_ACCESS_KEY_SECRET!,
      ...(present.ALIBABA_CLOUD_SECURITY_TOKEN ? { securityToken: present.ALIBABA_CLOUD_SECURITY_TOKEN } : {}),
    },
  };
}

async function main(): Promise<number> {
  let settings: TablesEnv;
  try {
    settings = parseTablesEnv(process.env);
  } catch (err) {
    console.error(`tables:create: ${(err as Error).message}`);
    return 2;
  }
  const client = createSdkClient({ endpoint: settings.endpoint, instance: settings.instance, credentials: settings.credentials });
  try {
    const result = await ensureTables(client, settings.prefix, { idempotencyTtlSeconds: settings.idempotencyTtlSeconds });
    console.log(JSON.stringify({ instance: settings.instance, prefix: settings.prefix, created: result.created, existing: result.existing }));
    return 0;
  } catch (err) {
    console.error(`tables:create: ${(err as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
