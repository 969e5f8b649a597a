// Environment → validated, frozen Config. Pure: takes the env map, never reads process.env itself.
// The composition root of each function calls loadConfig(process.env) once at cold start; a bad value
// throws ConfigError naming the variable, which fails the instance before it takes traffic.
//
// Each variable (parser, schema, default, hint, meaning, s.yaml fallback) is declared once, in
// shared/environment.ts; this module validates with those declarations and adds the rules that relate
// variables to each other. Values are strings, lists comma-separated; blank values count as unset;
// unknown variables are ignored because FC sets many of its own.
//
// Credentials are not configuration: the adapters take the function role's STS keys from each
// invocation's context, or ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET / _SECURITY_TOKEN locally.
import { validatorGroup, validatorsOf, type JsonSchema, type Validate, type ValidationError } from './schema/validators.js';
import type { Policy } from './domain/policy.js';
import {
  CONFIG_VARIABLES,
  ConfigError,
  DEFAULT_ECS_RATE,
  ENVIRONMENT,
  EnvParseError,
  checkRequestRetention,
  type EnvValues,
  type EnvVariable,
  type VariableName,
} from './environment.js';
import { type CheckedEventBridge, type CheckedWebhook, checkEventBridge, checkWebhook } from './events/options.js';

export { CONFIG_VARIABLES, ConfigError } from './environment.js';

export interface Config {
  readonly policy: Policy;
  readonly ecs: {
    /** host[:port] without scheme; default `ecs.<region>.aliyuncs.com` per region. */
    readonly endpoint?: string;
    readonly protocol: 'https' | 'http';
    readonly connectTimeoutMs: number;
    readonly readTimeoutMs: number;
    /** Requests per second per ECS API and region (sliding window, shared/rate-limit.ts); key `*` is the default. */
    readonly ratePerApi: Readonly<Record<string, number>>;
  };
  /** The directory channel's products; protocol and timeouts are the ECS ones. */
  readonly directory: {
    /** host[:port] each; default the public endpoints. */
    readonly endpoints: { readonly resourceSharing?: string; readonly resourceManager?: string; readonly sts?: string };
    /** Read the resource directory as this role (assumed through STS); default as the owner account. */
    readonly readerRoleArn?: string;
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
  readonly console: {
    /** How the console signs people in; absent without CONSOLE_CLIENT_ID. */
    readonly signIn?: {
      /** The OpenID Provider (CONSOLE_ISSUER, else JWT_ISSUER), an https URL (http on loopback). */
      readonly issuer: string;
      readonly clientId: string;
      readonly scopes: readonly string[];
      readonly audienceParameter: 'audience' | 'resource' | 'none';
    };
    /** What the page may call besides its own origin: the issuer's origin and CONSOLE_CONNECT_ORIGINS. */
    readonly connectOrigins: readonly string[];
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
  /** Where audit events are published (each sink optional), checked as the sinks check it. */
  readonly events: {
    readonly webhook?: CheckedWebhook;
    readonly eventbridge?: CheckedEventBridge;
    /** How long a request waits for the delivery of the events it recorded before it answers. */
    readonly afterRequestBudgetMs: number;
  };
  readonly idempotencyTtlHours: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}


type Env = Readonly<Record<string, string | undefined>>;

/** The members a public JWK of each accepted key type cannot do without (RFC 7518 §6, RFC 8037). */
const PUBLIC_KEY_MEMBERS: Record<string, readonly string[]> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] };

const declared = (name: string): EnvVariable => (ENVIRONMENT as Record<string, EnvVariable>)[name] as EnvVariable;

/** The schema of an environment holding these variables, keyed by variable name so an error path is the variable itself. */
export const environmentSchema = (names: readonly VariableName[]): JsonSchema => ({
  type: 'object',
  required: names.filter((name) => declared(name).required),
  properties: Object.fromEntries(names.map((name) => [name, declared(name).schema])),
});

export const ENVIRONMENT_SCHEMA = validatorGroup('environment', 'config', { environment: environmentSchema(CONFIG_VARIABLES) });
const validators = validatorsOf(ENVIRONMENT_SCHEMA);

const blank = (v: string | undefined): v is undefined => v === undefined || v.trim() === '';

function describeSchemaError(e: ValidationError): ConfigError {
  if (e.keyword === 'required') {
    const name = String((e.params as { missingProperty: string }).missingProperty);
    return new ConfigError(name, 'is required');
  }
  const name = e.instancePath.split('/')[1] ?? '(unknown)';
  const hint = (ENVIRONMENT as Record<string, EnvVariable | undefined>)[name]?.hint;
  const where = e.instancePath.split('/').length > 2 ? ` (item ${e.instancePath.split('/').slice(2).join('/')})` : '';
  const message =
    e.keyword === 'enum' ? `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : (e.message ?? 'is invalid');
  return new ConfigError(name, `${message}${where}${hint ? `: expected ${hint}` : ''}`);
}

/**
 * The variables named, parsed and validated (`validate` checks their environmentSchema), defaults
 * applied. Throws ConfigError naming the first bad one. A script that reads a few of the functions'
 * variables reads them through this, so it sees them exactly as the functions do.
 */
export function readVariables<K extends VariableName>(env: Env, names: readonly K[], validate: Validate): Pick<EnvValues, K> {
  const raw: Record<string, unknown> = {};
  for (const name of names) {
    const text = env[name];
    if (blank(text)) continue;
    const { parse } = declared(name);
    try {
      raw[name] = parse ? parse(text.trim()) : text.trim();
    } catch (e) {
      if (e instanceof EnvParseError) throw new ConfigError(name, e.message);
      throw e;
    }
  }
  if (!validate(raw)) throw describeSchemaError(validate.errors![0]!);
  for (const name of names) {
    const fallback = declared(name).default;
    if (raw[name] === undefined && fallback !== undefined) raw[name] = structuredClone(fallback);
  }
  return raw as Pick<EnvValues, K>;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** The console's sign-in, once CONSOLE_CLIENT_ID is set: discovery needs an issuer that is a URL. */
function consoleSignIn(v: EnvValues): Config['console']['signIn'] {
  if (v.CONSOLE_CLIENT_ID === undefined) return undefined;
  const issuer = v.CONSOLE_ISSUER ?? v.JWT_ISSUER;
  if (v.CONSOLE_ISSUER === undefined && !new RegExp(declared('CONSOLE_ISSUER').schema.pattern as string).test(issuer)) {
    throw new ConfigError('CONSOLE_ISSUER', 'is required when CONSOLE_CLIENT_ID is set and JWT_ISSUER is not an https URL (the console discovers its sign-in endpoints from the issuer)');
  }
  return { issuer, clientId: v.CONSOLE_CLIENT_ID, scopes: v.CONSOLE_SCOPES, audienceParameter: v.CONSOLE_AUDIENCE_PARAMETER };
}

/** Reads, validates and freezes the configuration. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env): Config {
  const v: EnvValues = readVariables(env, CONFIG_VARIABLES, validators.environment);

  // Public keys only: a private member in an environment variable would leak the signing key.
  const keys = v.JWT_JWKS?.keys;
  const privateKey = keys?.findIndex((k) => ['d', 'p', 'q', 'k'].some((m) => m in k)) ?? -1;
  if (privateKey >= 0) throw new ConfigError('JWT_JWKS', `must contain public keys only (key ${privateKey} has a private member)`);
  // A key without its public members would only fail at the first request, as a 401 for everyone.
  keys?.forEach((key, i) => {
    const lacking = PUBLIC_KEY_MEMBERS[String(key.kty)]?.find((m) => typeof key[m] !== 'string' || key[m] === '');
    if (lacking) throw new ConfigError('JWT_JWKS', `key ${i} (kty ${String(key.kty)}) lacks its public member "${lacking}"`);
  });
  if (v.JWT_JWKS === undefined && v.JWT_JWKS_URL === undefined) throw new ConfigError('JWT_JWKS', 'or JWT_JWKS_URL is required');
  if (v.JWT_JWKS !== undefined && v.JWT_JWKS_URL !== undefined) throw new ConfigError('JWT_JWKS', 'and JWT_JWKS_URL are mutually exclusive; set exactly one');
  checkRequestRetention(v);
  if (v.DEFAULT_SHARE_DURATION_DAYS !== undefined && v.MAX_SHARE_DURATION_DAYS !== undefined && v.DEFAULT_SHARE_DURATION_DAYS > v.MAX_SHARE_DURATION_DAYS) {
    throw new ConfigError('DEFAULT_SHARE_DURATION_DAYS', 'must not exceed MAX_SHARE_DURATION_DAYS');
  }
  const both = v.ALLOW_ACCOUNTS.find((a) => v.DENY_ACCOUNTS.includes(a));
  if (both) throw new ConfigError('ALLOW_ACCOUNTS', `and DENY_ACCOUNTS both list ${both}; an account can be on one list only`);
  const bothFolders = v.ALLOW_FOLDERS.find((f) => v.DENY_FOLDERS.includes(f));
  if (bothFolders) throw new ConfigError('ALLOW_FOLDERS', `and DENY_FOLDERS both list ${bothFolders}; a folder can be on one list only`);
  for (const name of ['APPROVAL_EXEMPT_ACCOUNTS', 'ALLOW_ACCOUNTS'] as const) {
    if (v[name].includes(v.OWNER_ACCOUNT_ID)) {
      throw new ConfigError(name, 'must not contain OWNER_ACCOUNT_ID (an image is never shared with its owner)');
    }
  }

  if (v.WEBHOOK_URL !== undefined && v.WEBHOOK_SECRET === undefined) throw new ConfigError('WEBHOOK_SECRET', 'is required with WEBHOOK_URL');
  if (v.EVENTBRIDGE_ENDPOINT !== undefined && v.EVENTBRIDGE_BUS === undefined) throw new ConfigError('EVENTBRIDGE_BUS', 'is required with EVENTBRIDGE_ENDPOINT');
  const webhook =
    v.WEBHOOK_URL !== undefined && v.WEBHOOK_SECRET !== undefined
      ? checkWebhook({ url: v.WEBHOOK_URL, secret: v.WEBHOOK_SECRET, connectTimeoutMs: v.WEBHOOK_CONNECT_TIMEOUT_MS, timeoutMs: v.WEBHOOK_TIMEOUT_MS })
      : undefined;
  const eventbridge =
    v.EVENTBRIDGE_ENDPOINT !== undefined && v.EVENTBRIDGE_BUS !== undefined
      ? checkEventBridge({
          endpoint: v.EVENTBRIDGE_ENDPOINT,
          bus: v.EVENTBRIDGE_BUS,
          protocol: v.EVENTBRIDGE_PROTOCOL,
          connectTimeoutMs: v.EVENTBRIDGE_CONNECT_TIMEOUT_MS,
          readTimeoutMs: v.EVENTBRIDGE_READ_TIMEOUT_MS,
        })
      : undefined;
  const signIn = consoleSignIn(v);

  const policy: Policy = {
    regions: v.REGIONS,
    ownerAccountId: v.OWNER_ACCOUNT_ID,
    approvalRequired: v.APPROVAL_REQUIRED,
    approvalExemptAccounts: v.APPROVAL_EXEMPT_ACCOUNTS,
    allowAccounts: v.ALLOW_ACCOUNTS,
    denyAccounts: v.DENY_ACCOUNTS,
    maxSharesPerImage: v.MAX_SHARES_PER_IMAGE,
    allowFolders: v.ALLOW_FOLDERS,
    denyFolders: v.DENY_FOLDERS,
    allowDirectoryWideShares: v.ALLOW_DIRECTORY_WIDE_SHARES,
    maxDirectoryTargetsPerImage: v.MAX_DIRECTORY_TARGETS_PER_IMAGE,
    ...(v.MAX_SHARE_DURATION_DAYS !== undefined ? { maxShareDurationDays: v.MAX_SHARE_DURATION_DAYS } : {}),
    ...(v.DEFAULT_SHARE_DURATION_DAYS !== undefined ? { defaultShareDurationDays: v.DEFAULT_SHARE_DURATION_DAYS } : {}),
    pendingRequestTtlHours: v.PENDING_REQUEST_TTL_HOURS,
    denyImageTags: v.DENY_IMAGE_TAGS,
    requireImageTags: v.REQUIRE_IMAGE_TAGS,
    allowPublicImages: v.ALLOW_PUBLIC_IMAGES,
    reconcileMode: v.RECONCILE_MODE,
    unmanagedShares: v.UNMANAGED_SHARES,
    intentGraceSeconds: v.INTENT_GRACE_SECONDS,
  };

  const config: Config = {
    policy,
    ecs: {
      ...(v.ECS_ENDPOINT !== undefined ? { endpoint: v.ECS_ENDPOINT } : {}),
      protocol: v.ECS_PROTOCOL,
      connectTimeoutMs: v.ECS_CONNECT_TIMEOUT_MS,
      readTimeoutMs: v.ECS_READ_TIMEOUT_MS,
      // An entry for one API keeps the default for the others; `*=N` replaces the default.
      ratePerApi: { '*': DEFAULT_ECS_RATE, ...v.ECS_RATE_PER_API },
    },
    directory: {
      endpoints: {
        ...(v.RESOURCE_SHARING_ENDPOINT !== undefined ? { resourceSharing: v.RESOURCE_SHARING_ENDPOINT } : {}),
        ...(v.RESOURCE_MANAGER_ENDPOINT !== undefined ? { resourceManager: v.RESOURCE_MANAGER_ENDPOINT } : {}),
        ...(v.STS_ENDPOINT !== undefined ? { sts: v.STS_ENDPOINT } : {}),
      },
      ...(v.DIRECTORY_READER_ROLE_ARN !== undefined ? { readerRoleArn: v.DIRECTORY_READER_ROLE_ARN } : {}),
    },
    tablestore: {
      endpoint: v.TABLESTORE_ENDPOINT.replace(/\/$/, ''),
      instance: v.TABLESTORE_INSTANCE,
      tablePrefix: v.TABLE_PREFIX,
    },
    auth: {
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
      ...(v.JWT_JWKS !== undefined ? { jwks: v.JWT_JWKS } : {}),
      ...(v.JWT_JWKS_URL !== undefined ? { jwksUrl: v.JWT_JWKS_URL } : {}),
      rolesClaim: v.JWT_ROLES_CLAIM,
    },
    console: {
      ...(signIn ? { signIn } : {}),
      connectOrigins: [...new Set([...(signIn ? [new URL(signIn.issuer).origin] : []), ...v.CONSOLE_CONNECT_ORIGINS])],
    },
    reconcile: {
      functionName: v.RECONCILE_FUNCTION_NAME,
      ...(v.RECONCILE_FC_ENDPOINT !== undefined ? { fcEndpoint: v.RECONCILE_FC_ENDPOINT } : {}),
      timeBudgetMs: v.RECONCILE_TIME_BUDGET_MS,
      concurrency: v.RECONCILE_CONCURRENCY,
    },
    events: { ...(webhook ? { webhook } : {}), ...(eventbridge ? { eventbridge } : {}), afterRequestBudgetMs: v.AFTER_REQUEST_BUDGET_MS },
    idempotencyTtlHours: v.IDEMPOTENCY_TTL_HOURS,
    logLevel: v.LOG_LEVEL,
  };
  return deepFreeze(config);
}
