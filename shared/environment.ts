// Every environment variable the functions read, declared once: how its text is parsed, the JSON
// schema the parsed value must satisfy, its default, the hint an error adds, what it means, and what
// s.yaml passes when the deployer sets nothing. loadConfig (shared/config.ts) validates from these,
// `npm run docs` renders the README's configuration table from them, and test/unit/s-yaml.test.ts
// checks s.yaml against them. Adding a variable is one entry here.
import { FOLDER_ID_PATTERN } from './domain/directory.js';
import { DIRECTORY_TARGET_CEILING } from './domain/limits.js';
import { ACCOUNT_ID_PATTERN, ECS_SHARE_LIMIT } from './domain/model.js';
import { REGION_ID_PATTERN } from './http/schemas.js';

type JsonSchema = Record<string, unknown>;

/** A parse that cannot even produce a value to validate (the message follows the variable name). */
export class EnvParseError extends Error {}

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

export interface EnvVariable<T = unknown> {
  /** The text (trimmed, never blank) → the value the schema checks. Default: the trimmed text. */
  readonly parse?: (text: string) => unknown;
  readonly schema: JsonSchema;
  /** Unset (or blank) and no default: the value is undefined. */
  readonly required?: boolean;
  readonly default?: T;
  /** Appended to schema errors as `: expected <hint>`. */
  readonly hint?: string;
  /** The README's "default" cell; derived from `default` when absent. */
  readonly shownDefault?: string;
  readonly meaning: string;
  /**
   * What s.yaml passes when the deployer sets nothing: `${env('NAME', '<deployDefault>')}`. Absent:
   * the default as text, or `' '` (unset) when there is none. `fixed`: s.yaml sets this value itself.
   */
  readonly deployDefault?: string;
  readonly fixed?: string;
}

const define = <T>(v: EnvVariable<T>): EnvVariable<T> => v;

const items = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

const bool = (text: string): boolean | string => {
  const t = text.toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : text;
};

const integer = (text: string): number | string => (/^-?[0-9]+$/.test(text) ? Number(text) : text);

const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });

/** A comma-separated list of unique ids, each matching `pattern`; empty by default. */
const idList = (pattern: string, hint: string) => (meaning: string) =>
  define<string[]>({
    parse: items,
    schema: { type: 'array', items: { type: 'string', pattern }, uniqueItems: true },
    default: [],
    hint,
    meaning,
  });

const accountList = idList(ACCOUNT_ID_PATTERN, 'comma-separated 16-digit account ids');
const folderList = idList(FOLDER_ID_PATTERN, 'comma-separated folder ids such as fd-abc123');

/** `host[:port]` without a scheme: how the Alibaba Cloud SDKs take an endpoint. */
export const HOST_PORT_PATTERN = '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$';

/** An endpoint `host[:port]` without a scheme, as the SDKs take it. */
const endpoint = (shownDefault: string, meaning: string) =>
  define<string | undefined>({
    schema: { type: 'string', pattern: HOST_PORT_PATTERN },
    hint: 'host[:port] without a scheme',
    shownDefault,
    meaning,
  });

export interface TagRule {
  readonly key: string;
  readonly value: string;
}

const tagList = (meaning: string, fallback: TagRule[]) =>
  define<TagRule[]>({
    parse: (text) =>
      items(text).map((pair) => {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new EnvParseError(`must be a comma-separated list of key=value tags (bad entry "${pair}")`);
        return { key: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() };
      }),
    schema: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'value'],
        properties: { key: { type: 'string', minLength: 1, maxLength: 128 }, value: { type: 'string', maxLength: 128 } },
      },
    },
    default: fallback,
    meaning,
  });

const RATES_HINT = 'Action=rate pairs such as *=10,DescribeImageSharePermission=20';

/**
 * Share requests are kept this long after their last change: a year of history for the questions an
 * audit asks of requests ("what was asked, decided, when") with a month's margin; the audit trail
 * itself is kept for good.
 */
export const DEFAULT_REQUEST_RETENTION_DAYS = 400;
/**
 * The retention must outlast the longest a request can stay pending (`PENDING_REQUEST_TTL_HOURS`) by
 * `marginDays`: time for the reconciler to expire a request whose approval window closed, even after
 * an outage, before its row could expire under it. Ten years at most.
 */
export const REQUEST_RETENTION_LIMITS = { marginDays: 30, maxDays: 3650 } as const;
export const DEFAULT_IDEMPOTENCY_TTL_HOURS = 24;

/** REQUEST_RETENTION_DAYS outlasts PENDING_REQUEST_TTL_HOURS (in whole days) by the margin; ConfigError otherwise. */
export function checkRequestRetention(v: { readonly REQUEST_RETENTION_DAYS: number; readonly PENDING_REQUEST_TTL_HOURS: number }): void {
  const least = Math.ceil(v.PENDING_REQUEST_TTL_HOURS / 24) + REQUEST_RETENTION_LIMITS.marginDays;
  if (v.REQUEST_RETENTION_DAYS < least) {
    throw new ConfigError(
      'REQUEST_RETENTION_DAYS',
      `must be at least ${least}: the ${v.PENDING_REQUEST_TTL_HOURS} hours a request may stay pending (PENDING_REQUEST_TTL_HOURS, in whole days) and ${REQUEST_RETENTION_LIMITS.marginDays} days more, so no request is forgotten while it can still be decided or expired`,
    );
  }
}

/** ECS requests per second per API and region when ECS_RATE_PER_API does not say otherwise. */
export const DEFAULT_ECS_RATE = 10;

const nonEmpty = { type: 'string', minLength: 1, maxLength: 1024 };

/** Every event sink timeout, in milliseconds: long enough for a slow TLS handshake, short enough to bound a catch-up pass. */
export const SINK_TIMEOUT_LIMITS = { min: 100, max: 120_000 } as const;

const sinkTimeout = (fallback: number, what: string) =>
  define<number>({
    parse: integer,
    schema: int(SINK_TIMEOUT_LIMITS.min, SINK_TIMEOUT_LIMITS.max),
    default: fallback,
    meaning: `${what}, ${SINK_TIMEOUT_LIMITS.min}..${SINK_TIMEOUT_LIMITS.max}`,
  });

/** An https URL, or http on loopback (local identity providers and key sets). */
const HTTPS_OR_LOOPBACK_URL = '^(https://[^\\s]+|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]{1,5})?(/[^\\s]*)?)$';
const HTTPS_OR_LOOPBACK_HINT = 'an https URL (http only for loopback)';

export const ENVIRONMENT = {
  REGIONS: define<string[]>({
    parse: items,
    schema: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: REGION_ID_PATTERN } },
    required: true,
    hint: 'comma-separated region ids such as cn-hangzhou',
    meaning: 'managed regions, e.g. `cn-hangzhou,cn-shanghai`',
  }),
  OWNER_ACCOUNT_ID: define<string>({
    schema: { type: 'string', pattern: ACCOUNT_ID_PATTERN },
    required: true,
    hint: 'a 16-digit account id',
    meaning: 'the 16-digit account that owns the images',
  }),
  APPROVAL_REQUIRED: define<boolean>({ parse: bool, schema: { type: 'boolean' }, default: true, meaning: 'share requests wait for an approver' }),
  APPROVAL_EXEMPT_ACCOUNTS: accountList('target accounts that never need approval'),
  ALLOW_ACCOUNTS: accountList('allowlist of target accounts; empty allows every account not denied'),
  DENY_ACCOUNTS: accountList('denylist of target accounts (an account may not be on both lists)'),
  MAX_SHARES_PER_IMAGE: define<number>({
    parse: integer,
    schema: int(1, ECS_SHARE_LIMIT),
    default: ECS_SHARE_LIMIT,
    meaning: `per-image quota, 1..${ECS_SHARE_LIMIT} (the ECS limit)`,
  }),
  ALLOW_FOLDERS: folderList('directory channel: folders a target must lie in (at any depth); empty allows every folder not denied'),
  DENY_FOLDERS: folderList('directory channel: folders no target may lie in or contain, at any depth (a folder may not be on both lists)'),
  ALLOW_DIRECTORY_WIDE_SHARES: define<boolean>({
    parse: bool,
    schema: { type: 'boolean' },
    default: false,
    meaning: 'directory channel: whether the whole resource directory (`rd-…`) may be a target; otherwise such a target is 403 `AccountNotAllowed`',
  }),
  MAX_DIRECTORY_TARGETS_PER_IMAGE: define<number>({
    parse: integer,
    schema: int(1, DIRECTORY_TARGET_CEILING),
    default: 10,
    meaning: `directory channel: per-image quota of targets, 1..${DIRECTORY_TARGET_CEILING} (each may reach a whole folder of accounts)`,
  }),
  MAX_SHARE_DURATION_DAYS: define<number | undefined>({
    parse: integer,
    schema: int(1, 3650),
    shownDefault: '(unlimited); s.yaml: `365`',
    deployDefault: '365',
    meaning: 'longest share lifetime a request may ask for, 1..3650',
  }),
  DEFAULT_SHARE_DURATION_DAYS: define<number | undefined>({
    parse: integer,
    schema: int(1, 3650),
    shownDefault: '(never expires); s.yaml: `90`',
    deployDefault: '90',
    meaning: 'lifetime of the shares of a request that gives no `expiresAt`, 1..3650, at most the maximum',
  }),
  PENDING_REQUEST_TTL_HOURS: define<number>({
    parse: integer,
    schema: int(1, 8760),
    default: 72,
    meaning: 'a request not decided within this many hours expires and releases its quota, 1..8760',
  }),
  REQUEST_RETENTION_DAYS: define<number>({
    parse: integer,
    schema: int(REQUEST_RETENTION_LIMITS.marginDays + 1, REQUEST_RETENTION_LIMITS.maxDays),
    default: DEFAULT_REQUEST_RETENTION_DAYS,
    meaning:
      `how long a share request is kept after its last change (the TTL of its tables), ${REQUEST_RETENTION_LIMITS.marginDays + 1}..${REQUEST_RETENTION_LIMITS.maxDays}; ` +
      `at least \`PENDING_REQUEST_TTL_HOURS\` and ${REQUEST_RETENTION_LIMITS.marginDays} days more, so no request is forgotten while it can still be decided or expired. ` +
      'The audit trail keeps who asked, who decided and why for good; `npm run tables:create` applies it to the tables',
  }),
  DENY_IMAGE_TAGS: tagList('`key=value` tags that make an image unshareable', [{ key: 'share-policy', value: 'deny' }]),
  REQUIRE_IMAGE_TAGS: tagList('`key=value` tags of which a shareable image needs one (empty: none needed)', []),
  ALLOW_PUBLIC_IMAGES: define<boolean>({
    parse: bool,
    schema: { type: 'boolean' },
    default: false,
    meaning: 'tolerate community (public) images; otherwise the reconciler reports them and withdraws them in enforce mode',
  }),
  RECONCILE_MODE: define<'report' | 'enforce'>({ schema: { enum: ['report', 'enforce'] }, default: 'report', meaning: '`report` or `enforce`' }),
  UNMANAGED_SHARES: define<'report' | 'adopt' | 'revoke'>({
    schema: { enum: ['report', 'adopt', 'revoke'] },
    default: 'report',
    meaning: 'shares found only in ECS: `report`, `adopt` or `revoke` (acted on in enforce mode)',
  }),
  INTENT_GRACE_SECONDS: define<number>({
    parse: integer,
    schema: int(0, 86400),
    default: 300,
    meaning: 'age after which an `applying`/`revoking` intent is repaired from ECS truth, 0..86400',
  }),
  ECS_ENDPOINT: endpoint('`ecs.<region>.aliyuncs.com`', 'ECS endpoint `host[:port]`, no scheme'),
  RESOURCE_SHARING_ENDPOINT: endpoint('`resourcesharing.<region>.aliyuncs.com`', 'Resource Sharing endpoint `host[:port]` (the directory channel), no scheme'),
  RESOURCE_MANAGER_ENDPOINT: endpoint('`resourcemanager.aliyuncs.com`', 'Resource Manager endpoint `host[:port]` (resource directory reads), no scheme'),
  STS_ENDPOINT: endpoint('`sts.aliyuncs.com`', 'STS endpoint `host[:port]` (assuming `DIRECTORY_READER_ROLE_ARN`), no scheme'),
  DIRECTORY_READER_ROLE_ARN: define<string | undefined>({
    schema: { type: 'string', pattern: '^acs:ram::[0-9]{16}:role/[A-Za-z0-9._-]{1,64}$' },
    hint: 'a role ARN acs:ram::<account>:role/<name>',
    shownDefault: '(the owner account)',
    meaning:
      "a role of the resource directory's management account that reads the directory (Resource Manager), assumed through STS; unset: read as the owner account, which works when it is the management account",
  }),
  ECS_PROTOCOL: define<'https' | 'http'>({
    schema: { enum: ['https', 'http'] },
    default: 'https',
    meaning: '`https` or `http`, for ECS and the directory channel products',
  }),
  ECS_CONNECT_TIMEOUT_MS: define<number>({ parse: integer, schema: int(100, 60000), default: 3000, meaning: '100..60000 (ECS and the directory channel products)' }),
  ECS_READ_TIMEOUT_MS: define<number>({ parse: integer, schema: int(100, 120000), default: 10000, meaning: '100..120000 (ECS and the directory channel products)' }),
  ECS_RATE_PER_API: define<Record<string, number> | undefined>({
    parse: (text) => {
      const out: Record<string, number> = {};
      for (const pair of items(text)) {
        const m = /^([^=\s]+)\s*=\s*([0-9]+(?:\.[0-9]+)?)$/.exec(pair);
        if (!m) throw new EnvParseError(`must be ${RATES_HINT} (bad entry "${pair}")`);
        out[m[1]!] = Number(m[2]);
      }
      return out;
    },
    schema: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^(\\*|[A-Z][A-Za-z]+)$' },
      additionalProperties: { type: 'number', exclusiveMinimum: 0, maximum: 10000 },
    },
    hint: RATES_HINT,
    shownDefault: `\`*=${DEFAULT_ECS_RATE}\``,
    deployDefault: `*=${DEFAULT_ECS_RATE}`,
    meaning:
      'requests/s per ECS API and region, e.g. `*=10,DescribeImageSharePermission=20` (an entry for one API keeps `*` for the others). ' +
      "Set it about 20% below the account's ECS quota for that API: the limiter never starts more than that many calls of an API in any second, but network delays can bunch their arrival",
  }),
  TABLESTORE_ENDPOINT: define<string>({
    schema: { type: 'string', pattern: '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$' },
    required: true,
    hint: 'an http(s) URL such as https://inst.cn-hangzhou.ots.aliyuncs.com',
    meaning: 'e.g. `https://isg-prod.cn-hangzhou.ots.aliyuncs.com`',
  }),
  TABLESTORE_INSTANCE: define<string>({
    schema: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9-]{2,15}$' },
    required: true,
    meaning: 'instance name, e.g. `isg-prod`',
  }),
  TABLE_PREFIX: define<string>({ schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,31}$' }, default: 'isg_', meaning: 'table name prefix' }),
  JWT_ISSUER: define<string>({ schema: nonEmpty, required: true, meaning: 'expected `iss`' }),
  JWT_AUDIENCE: define<string>({ schema: nonEmpty, required: true, meaning: 'expected `aud`' }),
  JWT_JWKS: define<{ keys: Record<string, unknown>[] } | undefined>({
    parse: (text) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new EnvParseError('must be valid JSON (a JWKS object {"keys":[...]})');
      }
    },
    schema: {
      type: 'object',
      required: ['keys'],
      properties: {
        keys: { type: 'array', minItems: 1, items: { type: 'object', required: ['kty'], properties: { kty: { enum: ['RSA', 'EC', 'OKP'] } } } },
      },
    },
    shownDefault: 'one of the two required',
    meaning: 'the identity provider\'s public keys, inline: `{"keys":[...]}`, RSA, EC or OKP public keys only',
  }),
  JWT_JWKS_URL: define<string | undefined>({
    schema: { type: 'string', pattern: HTTPS_OR_LOOPBACK_URL },
    hint: HTTPS_OR_LOOPBACK_HINT,
    shownDefault: 'one of the two required',
    meaning: 'the identity provider\'s public keys, by https URL (http only for loopback)',
  }),
  JWT_ROLES_CLAIM: define<string>({
    schema: { type: 'string', pattern: '^[A-Za-z0-9_:/.-]{1,128}$' },
    default: 'roles',
    meaning: 'claim holding the roles (an array, or a space/comma-separated string); a dotted path reaches a nested claim (`realm_access.roles`)',
  }),
  CONSOLE_CLIENT_ID: define<string | undefined>({
    schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,256}$' },
    hint: 'the client id the identity provider gave the console (printable characters, no spaces)',
    meaning:
      "the console's client at the identity provider: a public client (authorization code + PKCE) with the redirect URI `<origin>/console`; unset, the console cannot sign anyone in and says so",
  }),
  CONSOLE_ISSUER: define<string | undefined>({
    schema: { type: 'string', pattern: HTTPS_OR_LOOPBACK_URL },
    hint: HTTPS_OR_LOOPBACK_HINT,
    shownDefault: '`JWT_ISSUER`',
    meaning:
      'the OpenID Provider the console signs in with (discovery at `<issuer>/.well-known/openid-configuration`) when it is not `JWT_ISSUER`, e.g. when access tokens carry another `iss` than the provider (Entra ID v1 tokens)',
  }),
  CONSOLE_SCOPES: define<string[]>({
    parse: (text) => text.split(/[\s,]+/).filter((s) => s !== ''),
    schema: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]{1,256}$' } },
    default: ['openid'],
    hint: 'space- or comma-separated OAuth scopes',
    meaning: 'scopes the console asks for, space- or comma-separated; add the scope your identity provider ties to the API (e.g. `api://image-share-governor/access`)',
  }),
  CONSOLE_AUDIENCE_PARAMETER: define<'audience' | 'resource' | 'none'>({
    schema: { enum: ['audience', 'resource', 'none'] },
    default: 'audience',
    meaning:
      'how the console asks for an access token for `JWT_AUDIENCE`: an `audience` parameter (Auth0, the local provider; providers that do not know it ignore it), `resource` (RFC 8707, ADFS), or `none` (the provider derives it from the scopes)',
  }),
  CONSOLE_CONNECT_ORIGINS: define<string[]>({
    parse: items,
    schema: { type: 'array', uniqueItems: true, items: { type: 'string', pattern: '^(https://[A-Za-z0-9.-]+|http://(127\\.0\\.0\\.1|localhost|\\[::1\\]))(:[0-9]{1,5})?$' } },
    default: [],
    hint: 'comma-separated origins such as https://login.example.com',
    meaning:
      "origins the console's page may call besides its own and the issuer's: an identity provider whose token endpoint lies on another origin (Cognito, Google)",
  }),
  RECONCILE_FUNCTION_NAME: define<string>({
    schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,63}$' },
    default: 'image-share-reconcile',
    fixed: 'image-share-reconcile',
    meaning: "the reconciler's function name (s.yaml sets it to the function it declares)",
  }),
  RECONCILE_FC_ENDPOINT: define<string | undefined>({
    schema: { type: 'string', pattern: '^https?://[^\\s]+$' },
    shownDefault: '(regional)',
    meaning: "FC endpoint, with scheme, for the reconciler's async invocations; blank in a deployment, set by the local runtime to itself",
  }),
  RECONCILE_TIME_BUDGET_MS: define<number>({
    parse: integer,
    schema: int(1000, 86_400_000),
    default: 60000,
    meaning: 'stop and continue asynchronously when this much of the timeout is left, 1000..86400000',
  }),
  RECONCILE_CONCURRENCY: define<number>({ parse: integer, schema: int(1, 32), default: 4, meaning: 'images reconciled in parallel, 1..32' }),
  WEBHOOK_URL: define<string | undefined>({
    schema: { type: 'string', maxLength: 2048 },
    meaning: 'enables the signed webhook sink: an `https` URL (plain `http` only to a loopback host), without a user name or password',
  }),
  WEBHOOK_SECRET: define<string | undefined>({
    schema: { type: 'string', maxLength: 1024 },
    shownDefault: 'required with `WEBHOOK_URL`',
    meaning: 'the HMAC-SHA256 key deliveries are signed with, at least 16 characters (24 or more random bytes recommended); never logged',
  }),
  WEBHOOK_CONNECT_TIMEOUT_MS: sinkTimeout(3000, 'connect (and TLS handshake) timeout of one webhook delivery'),
  WEBHOOK_TIMEOUT_MS: sinkTimeout(10_000, 'one webhook delivery, up to the response headers'),
  EVENTBRIDGE_ENDPOINT: define<string | undefined>({
    schema: { type: 'string', maxLength: 255 },
    hint: 'host[:port] without a scheme',
    meaning: 'enables the EventBridge sink: `<accountId>.eventbridge.<region>.aliyuncs.com`, `host[:port]` without a scheme',
  }),
  EVENTBRIDGE_BUS: define<string | undefined>({
    schema: { type: 'string', maxLength: 255 },
    shownDefault: 'required with `EVENTBRIDGE_ENDPOINT`',
    meaning: 'the custom event bus the events are put on',
  }),
  EVENTBRIDGE_PROTOCOL: define<'https' | 'http'>({
    schema: { enum: ['https', 'http'] },
    default: 'https',
    meaning: '`https`; `http` only to a loopback endpoint (the local emulator)',
  }),
  EVENTBRIDGE_CONNECT_TIMEOUT_MS: sinkTimeout(3000, 'connect timeout of one PutEvents request'),
  EVENTBRIDGE_READ_TIMEOUT_MS: sinkTimeout(10_000, 'read timeout of one PutEvents request'),
  AFTER_REQUEST_BUDGET_MS: define<number>({
    parse: integer,
    schema: int(0, 1000),
    default: 5,
    meaning:
      'how long a request waits, before it answers, for the delivery of the events it recorded; what is not done by then goes on in the background, ' +
      'and the reconciler catches up whatever did not arrive, 0..1000',
  }),
  IDEMPOTENCY_TTL_HOURS: define<number>({
    parse: integer,
    schema: int(1, 720),
    default: DEFAULT_IDEMPOTENCY_TTL_HOURS,
    meaning: 'how long `Idempotency-Key` answers are kept, 1..720 (`npm run tables:create` sizes its table from it)',
  }),
  LOG_LEVEL: define<'debug' | 'info' | 'warn' | 'error'>({
    schema: { enum: ['debug', 'info', 'warn', 'error'] },
    default: 'info',
    meaning: '`debug`, `info`, `warn` or `error`',
  }),
} as const satisfies Record<string, EnvVariable<any>>;

export type VariableName = keyof typeof ENVIRONMENT;

/** Each variable's parsed value, defaults applied. */
export type EnvValues = {
  readonly [K in VariableName]: (typeof ENVIRONMENT)[K] extends EnvVariable<infer T> ? T : never;
};

/** The names loadConfig reads; s.yaml and the docs list exactly these. */
export const CONFIG_VARIABLES = Object.keys(ENVIRONMENT) as readonly VariableName[];

const variable = (name: VariableName): EnvVariable => ENVIRONMENT[name] as EnvVariable;

/** A default as it is written in an environment variable; undefined when there is none (or it is empty). */
function defaultAsText(v: EnvVariable): string | undefined {
  const d = v.default;
  if (d === undefined || (Array.isArray(d) && d.length === 0)) return undefined;
  if (!Array.isArray(d)) return String(d);
  return d.map((item) => (typeof item === 'object' && item !== null ? `${(item as TagRule).key}=${(item as TagRule).value}` : String(item))).join(',');
}

/** The README's "default" cell of one variable. */
export function shownDefault(name: VariableName): string {
  const v = variable(name);
  if (v.shownDefault !== undefined) return v.shownDefault;
  if (v.required) return 'required';
  const text = defaultAsText(v);
  return text === undefined ? '' : `\`${text}\``;
}

/** What s.yaml must pass for a variable: `${env('NAME')}` when required, else with its fallback. */
export function deployedValue(name: VariableName): string {
  const v = variable(name);
  if (v.fixed !== undefined) return v.fixed;
  if (v.required) return `\${env('${name}')}`;
  // A single space is "not set" to loadConfig; `s` refuses an expression that renders empty.
  return `\${env('${name}', '${v.deployDefault ?? defaultAsText(v) ?? ' '}')}`;
}

/** The README's configuration table (`npm run docs` writes it; a test keeps it current). */
export function renderEnvironmentTable(): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  const rows = CONFIG_VARIABLES.map((name) => `| \`${name}\` | ${cell(shownDefault(name))} | ${cell(variable(name).meaning)} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
