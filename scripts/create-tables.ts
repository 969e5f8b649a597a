// `npm run tables:create`: creates the service's Tablestore tables in a real instance (or the
// emulator) and gives each the TTL the configuration derives, idempotently; then indexes the open
// requests an earlier version stored without their open-index rows. Configuration from the
// environment, read as the functions read it (shared/environment.ts), so the values the deployer
// gives `s deploy` size the tables the same way:
//   TABLESTORE_ENDPOINT, TABLESTORE_INSTANCE, TABLE_PREFIX
//   REQUEST_RETENTION_DAYS, PENDING_REQUEST_TTL_HOURS  the requests tables' TTL (and the relation between them)
//   IDEMPOTENCY_TTL_HOURS                              the idempotency table's TTL
//   ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET / ALIBABA_CLOUD_SECURITY_TOKEN (optional)
import { pathToFileURL } from 'node:url';
import { ConfigError, environmentSchema, readVariables } from '../shared/config.js';
import { checkRequestRetention } from '../shared/environment.js';
import { validatorGroup, validatorsOf } from '../shared/schema/validators.js';
import { indexOpenRequests } from '../shared/tablestore/open-index.js';
import { createSdkClient } from '../shared/tablestore/sdk.js';
import { ensureTables, type Retention } from '../shared/tablestore/tables.js';

const VARIABLES = [
  'TABLESTORE_ENDPOINT',
  'TABLESTORE_INSTANCE',
  'TABLE_PREFIX',
  'REQUEST_RETENTION_DAYS',
  'PENDING_REQUEST_TTL_HOURS',
  'IDEMPOTENCY_TTL_HOURS',
] as const;
const TABLES_ENVIRONMENT = validatorGroup('tables-environment', 'config', { environment: environmentSchema(VARIABLES) });
const CREDENTIALS = ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'] as const;

export interface TablesEnv {
  endpoint: string;
  instance: string;
  prefix: string;
  retention: Retention;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
}

/** Pure: the environment map → settings, or a ConfigError naming the variable at fault. */
export function parseTablesEnv(env: Readonly<Record<string, string | undefined>>): TablesEnv {
  const v = readVariables(env, VARIABLES, validatorsOf(TABLES_ENVIRONMENT).environment);
  checkRequestRetention(v);
  const [accessKeyId, accessKeySecret] = CREDENTIALS.map((name) => {
    const value = env[name]?.trim();
    if (!value) throw new ConfigError(name, 'is required');
    return value;
  }) as [string, string];
  const securityToken = env.ALIBABA_CLOUD_SECURITY_TOKEN?.trim();
  return {
    endpoint: v.TABLESTORE_ENDPOINT.replace(/\/$/, ''),
    instance: v.TABLESTORE_INSTANCE,
    prefix: v.TABLE_PREFIX,
    retention: { requestRetentionDays: v.REQUEST_RETENTION_DAYS, idempotencyTtlHours: v.IDEMPOTENCY_TTL_HOURS },
    credentials: { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) },
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
    const result = await ensureTables(client, settings.prefix, { retention: settings.retention });
    const indexed = await indexOpenRequests(client, settings.prefix);
    console.log(JSON.stringify({ instance: settings.instance, prefix: settings.prefix, ...result, indexed }));
    return 0;
  } catch (err) {
    console.error(`tables:create: ${(err as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
