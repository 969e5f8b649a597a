// Environment → validated, frozen Config. Pure: takes the env map, never reads process.env itself.
// The composition root of each function calls loadConfig(process.env) once at cold start; a bad value
// throws ConfigError naming the variable, which fails the instance before it takes traffic.
//
// The variables, their defaults and meanings are documented once, in shared/http/README.md
// ("Environment variables"); test/unit/config.test.ts checks that table lists exactly CONFIG_VARIABLES.
// s.yaml must use exactly these names; values are strings, lists comma-separated; unknown variables
// are ignored because FC sets many of its own.
//
// Credentials are not configuration: the adapters take the function role's STS keys from each
// invocation's context, or ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET / _SECURITY_TOKEN locally.
import Ajv from 'ajv';
import type { ErrorObject } from 'ajv';
import type { Policy } from './domain/policy.js';
import { ACCOUNT_ID_PATTERN, ECS_SHARE_LIMIT } from './domain/model.js';
import { REGION_ID_PATTERN } from './http/schemas.js';

export interface Config {
  readonly policy: Policy;
  readonly ecs: {
    /** host[:port] without scheme; default `ecs.<region>.aliyuncs.com` per region. */
    readonly endpoint?: string;
    readonly protocol: 'https' | 'http';
    readonly connectTimeoutMs: number;
    readonly readTimeoutMs: number;
    /** Requests per second per ECS API and region (token bucket); key `*` is the default. */
    readonly ratePerApi: Readonly<Record<string, number>>;
  };
  readonly tablestore: {
    /** e.g. https://<instance>.<region>.ots.aliyuncs.com */
    readonly endpoint: string;
    readonly instance: string;
    readonly tablePrefix: string;
  };
  readonly auth: {
    readonly issuer: string;
    readonly audience: string;
    /** Inline JWKS JSON, or a URL to fetch it from; exactly one is set. */
    readonly jwks?: { readonly keys: readonly Record<string, unknown>[] };
    readonly jwksUrl?: string;
    readonly rolesClaim: string;
  };
  readonly reconcile: {
    /** FC function name of the reconciler (async fan-out and continuation). */
    readonly functionName: string;
    /** FC endpoint override for async invocations (local runtime); default the regional endpoint. */
    readonly fcEndpoint?: string;
    /** Stop and continue asynchronously when less than this is left of the invocation. */
    readonly timeBudgetMs: number;
    readonly concurrency: number;
  };
  readonly idempotencyTtlHours: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** A configuration mistake; the message names the environment variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** ECS requests per second per API and region when ECS_RATE_PER_API does not say otherwise. */
const DEFAULT_ECS_RATE = 10;

const accountList = { type: 'array', items: { type: 'string', pattern: ACCOUNT_ID_PATTERN }, uniqueItems: true };
const tagList = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['key', 'value'],
    properties: { key: { type: 'string', minLength: 1, maxLength: 128 }, value: { type: 'string', maxLength: 128 } },
  },
};
const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });
const nonEmpty = { type: 'string', minLength: 1, maxLength: 1024 };

// Keyed by variable name so an ajv error path is the variable itself.
const ENV_SCHEMA = {
  type: 'object',
  required: ['REGIONS', 'OWNER_ACCOUNT_ID', 'TABLESTORE_ENDPOINT', 'TABLESTORE_INSTANCE', 'JWT_ISSUER', 'JWT_AUDIENCE'],
  properties: {
    REGIONS: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', pattern: REGION_ID_PATTERN },
    },
    OWNER_ACCOUNT_ID: { type: 'string', pattern: ACCOUNT_ID_PATTERN },
    APPROVAL_REQUIRED: { type: 'boolean' },
    APPROVAL_EXEMPT_ACCOUNTS: accountList,
    ALLOW_ACCOUNTS: accountList,
    DENY_ACCOUNTS: accountList,
    MAX_SHARES_PER_IMAGE: int(1, ECS_SHARE_LIMIT),
    MAX_SHARE_DURATION_DAYS: int(1, 3650),
    DEFAULT_SHARE_DURATION_DAYS: int(1, 3650),
    PENDING_REQUEST_TTL_HOURS: int(1, 8760),
    DENY_IMAGE_TAGS: tagList,
    REQUIRE_IMAGE_TAGS: tagList,
    ALLOW_PUBLIC_IMAGES: { type: 'boolean' },
    RECONCILE_MODE: { enum: ['report', 'enforce'] },
    UNMANAGED_SHARES: { enum: ['report', 'adopt', 'revoke'] },
    INTENT_GRACE_SECONDS: int(0, 86400),
    ECS_ENDPOINT: { type: 'string', pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$' },
    ECS_PROTOCOL: { enum: ['https', 'http'] },
    ECS_CONNECT_TIMEOUT_MS: int(100, 60000),
    ECS_READ_TIMEOUT_MS: int(100, 120000),
    ECS_RATE_PER_API: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^(\\*|[A-Z][A-Za-z]+)$' },
      additionalProperties: { type: 'number', exclusiveMinimum: 0, maximum: 10000 },
    },
    TABLESTORE_ENDPOINT: { type: 'string', pattern: '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$' },
    TABLESTORE_INSTANCE: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9-]{2,15}$' },
    TABLE_PREFIX: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,31}$' },
    JWT_ISSUER: nonEmpty,
    JWT_AUDIENCE: nonEmpty,
    JWT_JWKS: {
      type: 'object',
      required: ['keys'],
      properties: {
        keys: {
          type: 'array',
          minItems: 1,
          items: { type: 'object', required: ['kty'], properties: { kty: { enum: ['RSA', 'EC', 'OKP'] } } },
        },
      },
    },
    JWT_JWKS_URL: { type: 'string', pattern: '^(https://[^\\s]+|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]{1,5})?(/[^\\s]*)?)$' },
    JWT_ROLES_CLAIM: { type: 'string', pattern: '^[A-Za-z0-9_:/.-]{1,128}$' },
    RECONCILE_FUNCTION_NAME: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,63}$' },
    RECONCILE_FC_ENDPOINT: { type: 'string', pattern: '^https?://[^\\s]+$' },
    RECONCILE_TIME_BUDGET_MS: int(1000, 86_400_000),
    RECONCILE_CONCURRENCY: int(1, 32),
    IDEMPOTENCY_TTL_HOURS: int(1, 720),
    LOG_LEVEL: { enum: ['debug', 'info', 'warn', 'error'] },
  },
} as const;

const HINTS: Record<string, string> = {
  OWNER_ACCOUNT_ID: 'a 16-digit account id',
  APPROVAL_EXEMPT_ACCOUNTS: 'comma-separated 16-digit account ids',
  ALLOW_ACCOUNTS: 'comma-separated 16-digit account ids',
  DENY_ACCOUNTS: 'comma-separated 16-digit account ids',
  REGIONS: 'comma-separated region ids such as cn-hangzhou',
  ECS_ENDPOINT: 'host[:port] without a scheme',
  TABLESTORE_ENDPOINT: 'an http(s) URL such as https://inst.cn-hangzhou.ots.aliyuncs.com',
  JWT_JWKS_URL: 'an https URL (http only for loopback)',
  ECS_RATE_PER_API: 'Action=rate pairs such as *=10,DescribeImageSharePermission=20',
};

/** The members a public JWK of each accepted key type cannot do without (RFC 7518 §6, RFC 8037). */
const PUBLIC_KEY_MEMBERS: Record<string, readonly string[]> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] };

// Compiled once, at module load.
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
const validateEnv = ajv.compile(ENV_SCHEMA);

/** The names loadConfig reads; s.yaml and the docs list exactly these. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ENV_SCHEMA.properties);

const blank = (v: string | undefined): v is undefined => v === undefined || v.trim() === '';

function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function bool(v: string): boolean | string {
  const t = v.trim().toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : v;
}

function integer(v: string): number | string {
  return /^\s*-?[0-9]+\s*$/.test(v) ? Number(v) : v;
}

function tags(name: string, v: string): { key: string; value: string }[] {
  return list(v).map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(name, `must be a comma-separated list of key=value tags (bad entry "${pair}")`);
    return { key: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() };
  });
}

function rates(name: string, v: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of list(v)) {
    const m = /^([^=\s]+)\s*=\s*([0-9]+(?:\.[0-9]+)?)$/.exec(pair);
    if (!m) throw new ConfigError(name, `must be ${HINTS[name]} (bad entry "${pair}")`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

function json(name: string, v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    throw new ConfigError(name, 'must be valid JSON (a JWKS object {"keys":[...]})');
  }
}

const PARSERS: Record<string, (name: string, v: string) => unknown> = {
  REGIONS: (_, v) => list(v),
  APPROVAL_REQUIRED: (_, v) => bool(v),
  ALLOW_PUBLIC_IMAGES: (_, v) => bool(v),
  APPROVAL_EXEMPT_ACCOUNTS: (_, v) => list(v),
  ALLOW_ACCOUNTS: (_, v) => list(v),
  DENY_ACCOUNTS: (_, v) => list(v),
  DENY_IMAGE_TAGS: tags,
  REQUIRE_IMAGE_TAGS: tags,
  ECS_RATE_PER_API: rates,
  JWT_JWKS: json,
  MAX_SHARES_PER_IMAGE: (_, v) => integer(v),
  MAX_SHARE_DURATION_DAYS: (_, v) => integer(v),
  DEFAULT_SHARE_DURATION_DAYS: (_, v) => integer(v),
  PENDING_REQUEST_TTL_HOURS: (_, v) => integer(v),
  INTENT_GRACE_SECONDS: (_, v) => integer(v),
  ECS_CONNECT_TIMEOUT_MS: (_, v) => integer(v),
  ECS_READ_TIMEOUT_MS: (_, v) => integer(v),
  RECONCILE_TIME_BUDGET_MS: (_, v) => integer(v),
  RECONCILE_CONCURRENCY: (_, v) => integer(v),
  IDEMPOTENCY_TTL_HOURS: (_, v) => integer(v),
};

function describeAjvError(e: ErrorObject): ConfigError {
  if (e.keyword === 'required') {
    const name = String((e.params as { missingProperty: string }).missingProperty);
    return new ConfigError(name, 'is required');
  }
  const name = e.instancePath.split('/')[1] ?? '(unknown)';
  const hint = HINTS[name];
  const where = e.instancePath.split('/').length > 2 ? ` (item ${e.instancePath.split('/').slice(2).join('/')})` : '';
  const message =
    e.keyword === 'enum' ? `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : (e.message ?? 'is invalid');
  return new ConfigError(name, `${message}${where}${hint ? `: expected ${hint}` : ''}`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** Reads, validates and freezes the configuration. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env): Config {
  const raw: Record<string, unknown> = {};
  for (const name of CONFIG_VARIABLES) {
    const v = env[name];
    if (blank(v)) continue;
    const parse = PARSERS[name];
    raw[name] = parse ? parse(name, v) : v.trim();
  }
  if (!validateEnv(raw)) throw describeAjvError(validateEnv.errors![0]!);
  const r = raw as Record<string, any>; // validated above

  // Public keys only: a private member in an environment variable would leak the signing key.
  const privateKey = (r.JWT_JWKS?.keys as Record<string, unknown>[] | undefined)?.findIndex((k) => ['d', 'p', 'q', 'k'].some((m) => m in k)) ?? -1;
  if (privateKey >= 0) throw new ConfigError('JWT_JWKS', `must contain public keys only (key ${privateKey} has a private member)`);
  // A key without its public members would only fail at the first request, as a 401 for everyone.
  (r.JWT_JWKS?.keys as Record<string, unknown>[] | undefined)?.forEach((key, i) => {
    const lacking = PUBLIC_KEY_MEMBERS[String(key.kty)]?.find((m) => typeof key[m] !== 'string' || key[m] === '');
    if (lacking) throw new ConfigError('JWT_JWKS', `key ${i} (kty ${String(key.kty)}) lacks its public member "${lacking}"`);
  });
  if (r.JWT_JWKS === undefined && r.JWT_JWKS_URL === undefined) throw new ConfigError('JWT_JWKS', 'or JWT_JWKS_URL is required');
  if (r.JWT_JWKS !== undefined && r.JWT_JWKS_URL !== undefined) throw new ConfigError('JWT_JWKS', 'and JWT_JWKS_URL are mutually exclusive; set exactly one');
  if (r.DEFAULT_SHARE_DURATION_DAYS !== undefined && r.MAX_SHARE_DURATION_DAYS !== undefined && r.DEFAULT_SHARE_DURATION_DAYS > r.MAX_SHARE_DURATION_DAYS) {
    throw new ConfigError('DEFAULT_SHARE_DURATION_DAYS', 'must not exceed MAX_SHARE_DURATION_DAYS');
  }
  const allow: string[] = r.ALLOW_ACCOUNTS ?? [];
  const deny: string[] = r.DENY_ACCOUNTS ?? [];
  const both = allow.find((a) => deny.includes(a));
  if (both) throw new ConfigError('ALLOW_ACCOUNTS', `and DENY_ACCOUNTS both list ${both}; an account can be on one list only`);
  for (const name of ['APPROVAL_EXEMPT_ACCOUNTS', 'ALLOW_ACCOUNTS'] as const) {
    if ((r[name] as string[] | undefined)?.includes(r.OWNER_ACCOUNT_ID)) {
      throw new ConfigError(name, 'must not contain OWNER_ACCOUNT_ID (an image is never shared with its owner)');
    }
  }

  const policy: Policy = {
    regions: r.REGIONS,
    ownerAccountId: r.OWNER_ACCOUNT_ID,
    approvalRequired: r.APPROVAL_REQUIRED ?? true,
    approvalExemptAccounts: r.APPROVAL_EXEMPT_ACCOUNTS ?? [],
    allowAccounts: allow,
    denyAccounts: deny,
    maxSharesPerImage: r.MAX_SHARES_PER_IMAGE ?? ECS_SHARE_LIMIT,
    ...(r.MAX_SHARE_DURATION_DAYS !== undefined ? { maxShareDurationDays: r.MAX_SHARE_DURATION_DAYS } : {}),
    ...(r.DEFAULT_SHARE_DURATION_DAYS !== undefined ? { defaultShareDurationDays: r.DEFAULT_SHARE_DURATION_DAYS } : {}),
    pendingRequestTtlHours: r.PENDING_REQUEST_TTL_HOURS ?? 72,
    denyImageTags: r.DENY_IMAGE_TAGS ?? [{ key: 'share-policy', value: 'deny' }],
    requireImageTags: r.REQUIRE_IMAGE_TAGS ?? [],
    allowPublicImages: r.ALLOW_PUBLIC_IMAGES ?? false,
    reconcileMode: r.RECONCILE_MODE ?? 'report',
    unmanagedShares: r.UNMANAGED_SHARES ?? 'report',
    intentGraceSeconds: r.INTENT_GRACE_SECONDS ?? 300,
  };

  const config: Config = {
    policy,
    ecs: {
      ...(r.ECS_ENDPOINT !== undefined ? { endpoint: r.ECS_ENDPOINT } : {}),
      protocol: r.ECS_PROTOCOL ?? 'https',
      connectTimeoutMs: r.ECS_CONNECT_TIMEOUT_MS ?? 3000,
      readTimeoutMs: r.ECS_READ_TIMEOUT_MS ?? 10000,
      // An entry for one API keeps the default for the others; `*=N` replaces the default.
      ratePerApi: { '*': DEFAULT_ECS_RATE, ...r.ECS_RATE_PER_API },
    },
    tablestore: {
      endpoint: String(r.TABLESTORE_ENDPOINT).replace(/\/$/, ''),
      instance: r.TABLESTORE_INSTANCE,
      tablePrefix: r.TABLE_PREFIX ?? 'isg_',
    },
    auth: {
      issuer: r.JWT_ISSUER,
      audience: r.JWT_AUDIENCE,
      ...(r.JWT_JWKS !== undefined ? { jwks: r.JWT_JWKS } : {}),
      ...(r.JWT_JWKS_URL !== undefined ? { jwksUrl: r.JWT_JWKS_URL } : {}),
      rolesClaim: r.JWT_ROLES_CLAIM ?? 'roles',
    },
    reconcile: {
      functionName: r.RECONCILE_FUNCTION_NAME ?? 'image-share-reconcile',
      ...(r.RECONCILE_FC_ENDPOINT !== undefined ? { fcEndpoint: r.RECONCILE_FC_ENDPOINT } : {}),
      timeBudgetMs: r.RECONCILE_TIME_BUDGET_MS ?? 60000,
      concurrency: r.RECONCILE_CONCURRENCY ?? 4,
    },
    idempotencyTtlHours: r.IDEMPOTENCY_TTL_HOURS ?? 24,
    logLevel: r.LOG_LEVEL ?? 'info',
  };
  return deepFreeze(config);
}
