import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../shared/config.js';
import { generatedPart } from '../../scripts/docs.js';

const JWKS = JSON.stringify({ keys: [{ kty: 'RSA', n: 'abc', e: 'AQAB', kid: 'k1' }] });
const REQUIRED = {
  REGIONS: 'cn-hangzhou',
  OWNER_ACCOUNT_ID: '1000000000000001',
  TABLESTORE_ENDPOINT: 'https://isg.cn-hangzhou.ots.aliyuncs.com',
  TABLESTORE_INSTANCE: 'isg',
  JWT_ISSUER: 'https://idp.example/',
  JWT_AUDIENCE: 'isg',
  JWT_JWKS: JWKS,
};

const failure = (env: Record<string, string | undefined>): ConfigError => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('loadConfig accepted the environment');
};

describe('loadConfig', () => {
  it('applies every default to a minimal environment', () => {
    expect(loadConfig(REQUIRED)).toEqual({
      policy: {
        regions: ['cn-hangzhou'],
        ownerAccountId: '1000000000000001',
        approvalRequired: true,
        approvalExemptAccounts: [],
        allowAccounts: [],
        denyAccounts: [],
        maxSharesPerImage: 50,
        allowFolders: [],
        denyFolders: [],
        allowDirectoryWideShares: false,
        maxDirectoryTargetsPerImage: 10,
        pendingRequestTtlHours: 72,
        denyImageTags: [{ key: 'share-policy', value: 'deny' }],
        requireImageTags: [],
        allowPublicImages: false,
        reconcileMode: 'report',
        unmanagedShares: 'report',
        intentGraceSeconds: 300,
      },
      ecs: { protocol: 'https', connectTimeoutMs: 3000, readTimeoutMs: 10000, ratePerApi: { '*': 10 } },
      directory: { endpoints: {} },
      tablestore: { endpoint: 'https://isg.cn-hangzhou.ots.aliyuncs.com', instance: 'isg', tablePrefix: 'isg_' },
      auth: { issuer: 'https://idp.example/', audience: 'isg', jwks: JSON.parse(JWKS), rolesClaim: 'roles' },
      console: { connectOrigins: [] },
      reconcile: { functionName: 'image-share-reconcile', timeBudgetMs: 60000, concurrency: 4 },
      events: { afterRequestBudgetMs: 5 },
      idempotencyTtlHours: 24,
      logLevel: 'info',
    });
  });

  it('reads every variable when set', () => {
    const config = loadConfig({
      ...REQUIRED,
      REGIONS: ' cn-hangzhou , cn-shanghai ,',
      APPROVAL_REQUIRED: 'FALSE',
      APPROVAL_EXEMPT_ACCOUNTS: '2000000000000001',
      ALLOW_ACCOUNTS: '2000000000000001,2000000000000002',
      DENY_ACCOUNTS: '3000000000000001',
      MAX_SHARES_PER_IMAGE: '10',
      ALLOW_FOLDERS: 'fd-prod0001, fd-web00001',
      DENY_FOLDERS: 'fd-dev00001',
      ALLOW_DIRECTORY_WIDE_SHARES: 'true',
      MAX_DIRECTORY_TARGETS_PER_IMAGE: '5',
      MAX_SHARE_DURATION_DAYS: '90',
      DEFAULT_SHARE_DURATION_DAYS: '30',
      PENDING_REQUEST_TTL_HOURS: '24',
      DENY_IMAGE_TAGS: 'share-policy=deny,classification=secret',
      REQUIRE_IMAGE_TAGS: 'shareable=yes',
      ALLOW_PUBLIC_IMAGES: 'true',
      RECONCILE_MODE: 'enforce',
      UNMANAGED_SHARES: 'adopt',
      INTENT_GRACE_SECONDS: '60',
      ECS_ENDPOINT: '127.0.0.1:9001',
      RESOURCE_SHARING_ENDPOINT: '127.0.0.1:9004',
      RESOURCE_MANAGER_ENDPOINT: 'resourcemanager.example',
      STS_ENDPOINT: 'sts.example:8443',
      DIRECTORY_READER_ROLE_ARN: 'acs:ram::1000000000000009:role/isg-directory-reader',
      ECS_PROTOCOL: 'http',
      ECS_CONNECT_TIMEOUT_MS: '1000',
      ECS_READ_TIMEOUT_MS: '2000',
      ECS_RATE_PER_API: '*=10, DescribeImageSharePermission=20,ModifyImageSharePermission=2.5',
      TABLESTORE_ENDPOINT: 'http://127.0.0.1:9002/',
      TABLE_PREFIX: 'test_',
      JWT_JWKS: undefined,
      JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      JWT_ROLES_CLAIM: 'groups',
      CONSOLE_CLIENT_ID: 'isg-console',
      CONSOLE_ISSUER: 'https://login.example.com/tenant/v2.0',
      CONSOLE_SCOPES: 'openid api://isg/access',
      CONSOLE_AUDIENCE_PARAMETER: 'none',
      CONSOLE_CONNECT_ORIGINS: 'https://tokens.example.com,https://login.example.com',
      RECONCILE_FUNCTION_NAME: 'my-reconcile',
      RECONCILE_FC_ENDPOINT: 'http://127.0.0.1:9003',
      RECONCILE_TIME_BUDGET_MS: '30000',
      RECONCILE_CONCURRENCY: '8',
      WEBHOOK_URL: 'https://hooks.example.com/isg?team=platform',
      WEBHOOK_SECRET: 'whsec-0123456789abcdef',
      WEBHOOK_CONNECT_TIMEOUT_MS: '1500',
      WEBHOOK_TIMEOUT_MS: '4000',
      EVENTBRIDGE_ENDPOINT: '1000000000000001.eventbridge.cn-hangzhou.aliyuncs.com',
      EVENTBRIDGE_BUS: 'isg-events',
      EVENTBRIDGE_PROTOCOL: 'https',
      EVENTBRIDGE_CONNECT_TIMEOUT_MS: '2000',
      EVENTBRIDGE_READ_TIMEOUT_MS: '6000',
      AFTER_REQUEST_BUDGET_MS: '0',
      IDEMPOTENCY_TTL_HOURS: '48',
      LOG_LEVEL: 'debug',
      FC_FUNCTION_NAME: 'ignored',
      PATH: '/usr/bin',
    });
    expect(config).toEqual({
      policy: {
        regions: ['cn-hangzhou', 'cn-shanghai'],
        ownerAccountId: '1000000000000001',
        approvalRequired: false,
        approvalExemptAccounts: ['2000000000000001'],
        allowAccounts: ['2000000000000001', '2000000000000002'],
        denyAccounts: ['3000000000000001'],
        maxSharesPerImage: 10,
        allowFolders: ['fd-prod0001', 'fd-web00001'],
        denyFolders: ['fd-dev00001'],
        allowDirectoryWideShares: true,
        maxDirectoryTargetsPerImage: 5,
        maxShareDurationDays: 90,
        defaultShareDurationDays: 30,
        pendingRequestTtlHours: 24,
        denyImageTags: [
          { key: 'share-policy', value: 'deny' },
          { key: 'classification', value: 'secret' },
        ],
        requireImageTags: [{ key: 'shareable', value: 'yes' }],
        allowPublicImages: true,
        reconcileMode: 'enforce',
        unmanagedShares: 'adopt',
        intentGraceSeconds: 60,
      },
      ecs: {
        endpoint: '127.0.0.1:9001',
        protocol: 'http',
        connectTimeoutMs: 1000,
        readTimeoutMs: 2000,
        ratePerApi: { '*': 10, DescribeImageSharePermission: 20, ModifyImageSharePermission: 2.5 },
      },
      directory: {
        endpoints: { resourceSharing: '127.0.0.1:9004', resourceManager: 'resourcemanager.example', sts: 'sts.example:8443' },
        readerRoleArn: 'acs:ram::1000000000000009:role/isg-directory-reader',
      },
      tablestore: { endpoint: 'http://127.0.0.1:9002', instance: 'isg', tablePrefix: 'test_' },
      auth: { issuer: 'https://idp.example/', audience: 'isg', jwksUrl: 'https://idp.example/.well-known/jwks.json', rolesClaim: 'groups' },
      console: {
        signIn: { issuer: 'https://login.example.com/tenant/v2.0', clientId: 'isg-console', scopes: ['openid', 'api://isg/access'], audienceParameter: 'none' },
        connectOrigins: ['https://login.example.com', 'https://tokens.example.com'],
      },
      reconcile: { functionName: 'my-reconcile', fcEndpoint: 'http://127.0.0.1:9003', timeBudgetMs: 30000, concurrency: 8 },
      events: {
        webhook: {
          url: 'https://hooks.example.com/isg?team=platform',
          secret: 'whsec-0123456789abcdef',
          connectTimeoutMs: 1500,
          timeoutMs: 4000,
          target: 'https://hooks.example.com',
        },
        eventbridge: {
          endpoint: '1000000000000001.eventbridge.cn-hangzhou.aliyuncs.com',
          bus: 'isg-events',
          protocol: 'https',
          connectTimeoutMs: 2000,
          readTimeoutMs: 6000,
          target: 'bus isg-events at 1000000000000001.eventbridge.cn-hangzhou.aliyuncs.com',
        },
        afterRequestBudgetMs: 0,
      },
      idempotencyTtlHours: 48,
      logLevel: 'debug',
    });
  });

  it('freezes the whole configuration', () => {
    const config = loadConfig({ ...REQUIRED, DENY_ACCOUNTS: '3000000000000001' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.policy)).toBe(true);
    expect(Object.isFrozen(config.policy.denyAccounts)).toBe(true);
    expect(Object.isFrozen(config.policy.denyImageTags[0])).toBe(true);
    expect(Object.isFrozen(config.auth.jwks!.keys[0])).toBe(true);
    expect(() => {
      (config.policy.denyAccounts as string[]).push('4000000000000001');
    }).toThrow(TypeError);
  });

  it('keeps the default ECS rate for the APIs an ECS_RATE_PER_API entry does not name', () => {
    expect(loadConfig({ ...REQUIRED, ECS_RATE_PER_API: 'DescribeImageSharePermission=20' }).ecs.ratePerApi).toEqual({ '*': 10, DescribeImageSharePermission: 20 });
    expect(loadConfig({ ...REQUIRED, ECS_RATE_PER_API: '*=3' }).ecs.ratePerApi).toEqual({ '*': 3 });
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ ...REQUIRED, MAX_SHARES_PER_IMAGE: '  ', LOG_LEVEL: '' }).policy.maxSharesPerImage).toBe(50);
  });

  it.each(['REGIONS', 'OWNER_ACCOUNT_ID', 'TABLESTORE_ENDPOINT', 'TABLESTORE_INSTANCE', 'JWT_ISSUER', 'JWT_AUDIENCE'])('requires %s', (name) => {
    const e = failure({ ...REQUIRED, [name]: undefined });
    expect([e.variable, e.message]).toEqual([name, `${name} is required`]);
  });

  // [variable, bad value, message]
  const BAD: [string, string, string][] = [
    ['REGIONS', 'Hangzhou', 'REGIONS must match pattern "^[a-z]{2,}-[a-z0-9-]+$" (item 0): expected comma-separated region ids such as cn-hangzhou'],
    ['REGIONS', 'cn-hangzhou,cn-hangzhou', 'REGIONS must NOT have duplicate items (items ## 1 and 0 are identical): expected comma-separated region ids such as cn-hangzhou'],
    ['OWNER_ACCOUNT_ID', '12345', 'OWNER_ACCOUNT_ID must match pattern "^[0-9]{16}$": expected a 16-digit account id'],
    ['APPROVAL_REQUIRED', 'yes', 'APPROVAL_REQUIRED must be boolean'],
    ['APPROVAL_EXEMPT_ACCOUNTS', '2000000000000001,abc', 'APPROVAL_EXEMPT_ACCOUNTS must match pattern "^[0-9]{16}$" (item 1): expected comma-separated 16-digit account ids'],
    ['ALLOW_ACCOUNTS', '200000000000000', 'ALLOW_ACCOUNTS must match pattern "^[0-9]{16}$" (item 0): expected comma-separated 16-digit account ids'],
    ['DENY_ACCOUNTS', 'x', 'DENY_ACCOUNTS must match pattern "^[0-9]{16}$" (item 0): expected comma-separated 16-digit account ids'],
    ['MAX_SHARES_PER_IMAGE', '51', 'MAX_SHARES_PER_IMAGE must be <= 50'],
    ['MAX_SHARES_PER_IMAGE', '0', 'MAX_SHARES_PER_IMAGE must be >= 1'],
    ['MAX_SHARES_PER_IMAGE', '5.5', 'MAX_SHARES_PER_IMAGE must be integer'],
    ['ALLOW_FOLDERS', 'fd-prod0001,prod', 'ALLOW_FOLDERS must match pattern "^fd-[A-Za-z0-9]{1,32}$" (item 1): expected comma-separated folder ids such as fd-abc123'],
    ['DENY_FOLDERS', 'r-root0001', 'DENY_FOLDERS must match pattern "^fd-[A-Za-z0-9]{1,32}$" (item 0): expected comma-separated folder ids such as fd-abc123'],
    ['DENY_FOLDERS', 'fd-dev00001,fd-dev00001', 'DENY_FOLDERS must NOT have duplicate items (items ## 1 and 0 are identical): expected comma-separated folder ids such as fd-abc123'],
    ['ALLOW_DIRECTORY_WIDE_SHARES', 'yes', 'ALLOW_DIRECTORY_WIDE_SHARES must be boolean'],
    ['MAX_DIRECTORY_TARGETS_PER_IMAGE', '0', 'MAX_DIRECTORY_TARGETS_PER_IMAGE must be >= 1'],
    ['MAX_DIRECTORY_TARGETS_PER_IMAGE', '51', 'MAX_DIRECTORY_TARGETS_PER_IMAGE must be <= 50'],
    ['RESOURCE_SHARING_ENDPOINT', 'http://127.0.0.1:9004', 'RESOURCE_SHARING_ENDPOINT must match pattern "^[A-Za-z0-9.-]+(:[0-9]{1,5})?$": expected host[:port] without a scheme'],
    ['STS_ENDPOINT', 'sts.aliyuncs.com/', 'STS_ENDPOINT must match pattern "^[A-Za-z0-9.-]+(:[0-9]{1,5})?$": expected host[:port] without a scheme'],
    ['DIRECTORY_READER_ROLE_ARN', 'isg-directory-reader', 'DIRECTORY_READER_ROLE_ARN must match pattern "^acs:ram::[0-9]{16}:role/[A-Za-z0-9._-]{1,64}$": expected a role ARN acs:ram::<account>:role/<name>'],
    ['MAX_SHARE_DURATION_DAYS', '0', 'MAX_SHARE_DURATION_DAYS must be >= 1'],
    ['DEFAULT_SHARE_DURATION_DAYS', 'ten', 'DEFAULT_SHARE_DURATION_DAYS must be integer'],
    ['PENDING_REQUEST_TTL_HOURS', '0', 'PENDING_REQUEST_TTL_HOURS must be >= 1'],
    ['REQUEST_RETENTION_DAYS', '30', 'REQUEST_RETENTION_DAYS must be >= 31'],
    ['REQUEST_RETENTION_DAYS', '3651', 'REQUEST_RETENTION_DAYS must be <= 3650'],
    ['DENY_IMAGE_TAGS', 'share-policy', 'DENY_IMAGE_TAGS must be a comma-separated list of key=value tags (bad entry "share-policy")'],
    ['REQUIRE_IMAGE_TAGS', '=yes', 'REQUIRE_IMAGE_TAGS must be a comma-separated list of key=value tags (bad entry "=yes")'],
    ['ALLOW_PUBLIC_IMAGES', '1', 'ALLOW_PUBLIC_IMAGES must be boolean'],
    ['RECONCILE_MODE', 'fix', 'RECONCILE_MODE must be one of report, enforce'],
    ['UNMANAGED_SHARES', 'delete', 'UNMANAGED_SHARES must be one of report, adopt, revoke'],
    ['INTENT_GRACE_SECONDS', '-1', 'INTENT_GRACE_SECONDS must be >= 0'],
    ['ECS_ENDPOINT', 'https://ecs.aliyuncs.com', 'ECS_ENDPOINT must match pattern "^[A-Za-z0-9.-]+(:[0-9]{1,5})?$": expected host[:port] without a scheme'],
    ['ECS_PROTOCOL', 'ftp', 'ECS_PROTOCOL must be one of https, http'],
    ['ECS_CONNECT_TIMEOUT_MS', '10', 'ECS_CONNECT_TIMEOUT_MS must be >= 100'],
    ['ECS_READ_TIMEOUT_MS', '999999', 'ECS_READ_TIMEOUT_MS must be <= 120000'],
    ['ECS_RATE_PER_API', '*=fast', 'ECS_RATE_PER_API must be Action=rate pairs such as *=10,DescribeImageSharePermission=20 (bad entry "*=fast")'],
    ['ECS_RATE_PER_API', 'describe=5', 'ECS_RATE_PER_API must match pattern "^(\\*|[A-Z][A-Za-z]+)$": expected Action=rate pairs such as *=10,DescribeImageSharePermission=20'],
    ['ECS_RATE_PER_API', '*=0', 'ECS_RATE_PER_API must be > 0 (item *): expected Action=rate pairs such as *=10,DescribeImageSharePermission=20'],
    ['TABLESTORE_ENDPOINT', 'isg.ots.aliyuncs.com', 'TABLESTORE_ENDPOINT must match pattern "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$": expected an http(s) URL such as https://inst.cn-hangzhou.ots.aliyuncs.com'],
    ['TABLESTORE_INSTANCE', 'a', 'TABLESTORE_INSTANCE must match pattern "^[A-Za-z][A-Za-z0-9-]{2,15}$"'],
    ['TABLE_PREFIX', 'bad-prefix', 'TABLE_PREFIX must match pattern "^[A-Za-z_][A-Za-z0-9_]{0,31}$"'],
    ['JWT_JWKS', '{keys:', 'JWT_JWKS must be valid JSON (a JWKS object {"keys":[...]})'],
    ['JWT_JWKS', '{"keys":[]}', 'JWT_JWKS must NOT have fewer than 1 items (item keys)'],
    ['JWT_JWKS', '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}', 'JWT_JWKS must be one of RSA, EC, OKP (item keys/0/kty)'],
    ['JWT_JWKS', '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"secret"}]}', 'JWT_JWKS must contain public keys only (key 0 has a private member)'],
    ['JWT_JWKS', '{"keys":[{"kty":"RSA","n":"abc","e":"AQAB"},{"kty":"RSA","e":"AQAB"}]}', 'JWT_JWKS key 1 (kty RSA) lacks its public member "n"'],
    ['JWT_JWKS', '{"keys":[{"kty":"EC","crv":"P-256","x":"a"}]}', 'JWT_JWKS key 0 (kty EC) lacks its public member "y"'],
    ['JWT_JWKS', '{"keys":[{"kty":"OKP","x":"a"}]}', 'JWT_JWKS key 0 (kty OKP) lacks its public member "crv"'],
    ['JWT_ROLES_CLAIM', 'has space', 'JWT_ROLES_CLAIM must match pattern "^[A-Za-z0-9_:/.-]{1,128}$"'],
    ['RECONCILE_FUNCTION_NAME', '1-bad', 'RECONCILE_FUNCTION_NAME must match pattern "^[A-Za-z_][A-Za-z0-9_-]{0,63}$"'],
    ['RECONCILE_FC_ENDPOINT', '127.0.0.1:9000', 'RECONCILE_FC_ENDPOINT must match pattern "^https?://[^\\s]+$"'],
    ['RECONCILE_TIME_BUDGET_MS', '10', 'RECONCILE_TIME_BUDGET_MS must be >= 1000'],
    ['RECONCILE_CONCURRENCY', '64', 'RECONCILE_CONCURRENCY must be <= 32'],
    ['WEBHOOK_CONNECT_TIMEOUT_MS', '99', 'WEBHOOK_CONNECT_TIMEOUT_MS must be >= 100'],
    ['WEBHOOK_TIMEOUT_MS', '120001', 'WEBHOOK_TIMEOUT_MS must be <= 120000'],
    ['EVENTBRIDGE_PROTOCOL', 'ws', 'EVENTBRIDGE_PROTOCOL must be one of https, http'],
    ['EVENTBRIDGE_READ_TIMEOUT_MS', 'soon', 'EVENTBRIDGE_READ_TIMEOUT_MS must be integer'],
    ['AFTER_REQUEST_BUDGET_MS', '1001', 'AFTER_REQUEST_BUDGET_MS must be <= 1000'],
    ['IDEMPOTENCY_TTL_HOURS', '0', 'IDEMPOTENCY_TTL_HOURS must be >= 1'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL must be one of debug, info, warn, error'],
    ['CONSOLE_CLIENT_ID', 'has space', 'CONSOLE_CLIENT_ID must match pattern "^[\\x21-\\x7e]{1,256}$": expected the client id the identity provider gave the console (printable characters, no spaces)'],
    ['CONSOLE_ISSUER', 'http://idp.example/', 'CONSOLE_ISSUER must match pattern "^(https://[^\\s]+|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]{1,5})?(/[^\\s]*)?)$": expected an https URL (http only for loopback)'],
    ['CONSOLE_SCOPES', 'openid "api"', 'CONSOLE_SCOPES must match pattern "^[\\x21\\x23-\\x5b\\x5d-\\x7e]{1,256}$" (item 1): expected space- or comma-separated OAuth scopes'],
    ['CONSOLE_AUDIENCE_PARAMETER', 'aud', 'CONSOLE_AUDIENCE_PARAMETER must be one of audience, resource, none'],
    ['CONSOLE_CONNECT_ORIGINS', 'https://tokens.example.com/path', 'CONSOLE_CONNECT_ORIGINS must match pattern "^(https://[A-Za-z0-9.-]+|http://(127\\.0\\.0\\.1|localhost|\\[::1\\]))(:[0-9]{1,5})?$" (item 0): expected comma-separated origins such as https://login.example.com'],
  ];

  it.each(BAD)('refuses %s=%j naming the variable', (name, value, message) => {
    const e = failure({ ...REQUIRED, [name]: value });
    expect(e).toBeInstanceOf(ConfigError);
    expect([e.variable, e.message]).toEqual([name, message]);
  });

  it('refuses a plain-http JWKS URL except on loopback', () => {
    const e = failure({ ...REQUIRED, JWT_JWKS: undefined, JWT_JWKS_URL: 'http://idp.example/jwks.json' });
    expect(e.variable).toBe('JWT_JWKS_URL');
    expect(loadConfig({ ...REQUIRED, JWT_JWKS: undefined, JWT_JWKS_URL: 'http://127.0.0.1:8080/jwks.json' }).auth.jwksUrl).toBe('http://127.0.0.1:8080/jwks.json');
  });

  it('needs exactly one of JWT_JWKS and JWT_JWKS_URL', () => {
    expect(failure({ ...REQUIRED, JWT_JWKS: undefined }).message).toBe('JWT_JWKS or JWT_JWKS_URL is required');
    expect(failure({ ...REQUIRED, JWT_JWKS_URL: 'https://idp.example/jwks' }).message).toBe(
      'JWT_JWKS and JWT_JWKS_URL are mutually exclusive; set exactly one',
    );
  });

  it('keeps the default share duration within the maximum', () => {
    const e = failure({ ...REQUIRED, MAX_SHARE_DURATION_DAYS: '30', DEFAULT_SHARE_DURATION_DAYS: '31' });
    expect([e.variable, e.message]).toEqual(['DEFAULT_SHARE_DURATION_DAYS', 'DEFAULT_SHARE_DURATION_DAYS must not exceed MAX_SHARE_DURATION_DAYS']);
  });

  it('keeps requests longer than one can stay pending, by a month: the default fits the longest pending time', () => {
    const e = failure({ ...REQUIRED, REQUEST_RETENTION_DAYS: '32' });
    expect([e.variable, e.message]).toEqual([
      'REQUEST_RETENTION_DAYS',
      'REQUEST_RETENTION_DAYS must be at least 33: the 72 hours a request may stay pending (PENDING_REQUEST_TTL_HOURS, in whole days) and 30 days more, so no request is forgotten while it can still be decided or expired',
    ]);
    expect(() => loadConfig({ ...REQUIRED, REQUEST_RETENTION_DAYS: '33' })).not.toThrow();
    expect(failure({ ...REQUIRED, PENDING_REQUEST_TTL_HOURS: '8760', REQUEST_RETENTION_DAYS: '394' }).message).toMatch(/^REQUEST_RETENTION_DAYS must be at least 395:/);
    expect(failure({ ...REQUIRED, PENDING_REQUEST_TTL_HOURS: '8737', REQUEST_RETENTION_DAYS: '394' }).message).toMatch(/^REQUEST_RETENTION_DAYS must be at least 395:/);
    expect(() => loadConfig({ ...REQUIRED, PENDING_REQUEST_TTL_HOURS: '8760' })).not.toThrow();
  });

  it('refuses an account on both the allow and deny lists, and the owner as a target', () => {
    expect(failure({ ...REQUIRED, ALLOW_ACCOUNTS: '2000000000000001', DENY_ACCOUNTS: '2000000000000001' }).variable).toBe('ALLOW_ACCOUNTS');
    expect(failure({ ...REQUIRED, ALLOW_ACCOUNTS: REQUIRED.OWNER_ACCOUNT_ID }).variable).toBe('ALLOW_ACCOUNTS');
    expect(failure({ ...REQUIRED, APPROVAL_EXEMPT_ACCOUNTS: REQUIRED.OWNER_ACCOUNT_ID }).variable).toBe('APPROVAL_EXEMPT_ACCOUNTS');
  });

  it('refuses a folder on both the allow and deny lists', () => {
    const e = failure({ ...REQUIRED, ALLOW_FOLDERS: 'fd-prod0001,fd-web00001', DENY_FOLDERS: 'fd-web00001' });
    expect([e.variable, e.message]).toEqual(['ALLOW_FOLDERS', 'ALLOW_FOLDERS and DENY_FOLDERS both list fd-web00001; a folder can be on one list only']);
  });

  describe('event sinks', () => {
    const WEBHOOK = { WEBHOOK_URL: 'https://hooks.example.com/isg', WEBHOOK_SECRET: 'whsec-0123456789abcdef' };
    const EVENTBRIDGE = { EVENTBRIDGE_ENDPOINT: '1000000000000001.eventbridge.cn-hangzhou.aliyuncs.com', EVENTBRIDGE_BUS: 'isg-events' };

    // [variables, refused variable, message]
    const REFUSED: [Record<string, string>, string, string][] = [
      [{ WEBHOOK_URL: WEBHOOK.WEBHOOK_URL }, 'WEBHOOK_SECRET', 'WEBHOOK_SECRET is required with WEBHOOK_URL'],
      [{ ...WEBHOOK, WEBHOOK_SECRET: 'short-secret' }, 'WEBHOOK_SECRET', 'WEBHOOK_SECRET must be at least 16 characters (24 or more random bytes recommended)'],
      [{ ...WEBHOOK, WEBHOOK_URL: 'http://hooks.example.com/isg' }, 'WEBHOOK_URL', 'WEBHOOK_URL must use https (plain http only to a loopback host), got http://hooks.example.com'],
      [{ ...WEBHOOK, WEBHOOK_URL: 'https://bot:pw@hooks.example.com/' }, 'WEBHOOK_URL', 'WEBHOOK_URL must not carry a user name or password; the signature authenticates the sender'],
      [{ ...WEBHOOK, WEBHOOK_URL: 'hooks.example.com/isg' }, 'WEBHOOK_URL', 'WEBHOOK_URL must be an absolute https URL'],
      [{ EVENTBRIDGE_ENDPOINT: EVENTBRIDGE.EVENTBRIDGE_ENDPOINT }, 'EVENTBRIDGE_BUS', 'EVENTBRIDGE_BUS is required with EVENTBRIDGE_ENDPOINT'],
      [{ ...EVENTBRIDGE, EVENTBRIDGE_ENDPOINT: 'https://eventbridge.example' }, 'EVENTBRIDGE_ENDPOINT', 'EVENTBRIDGE_ENDPOINT must be host[:port] without a scheme, e.g. 1234567890123456.eventbridge.cn-hangzhou.aliyuncs.com'],
      [{ ...EVENTBRIDGE, EVENTBRIDGE_BUS: 'no_underscores' }, 'EVENTBRIDGE_BUS', 'EVENTBRIDGE_BUS must be an event bus name: 1 to 127 letters, digits and hyphens, starting with a letter or digit'],
      [
        { ...EVENTBRIDGE, EVENTBRIDGE_PROTOCOL: 'http' },
        'EVENTBRIDGE_PROTOCOL',
        `EVENTBRIDGE_PROTOCOL must be https (http only to a loopback endpoint), got http for ${EVENTBRIDGE.EVENTBRIDGE_ENDPOINT}`,
      ],
    ];

    it.each(REFUSED)('refuses %j naming %s', (variables, name, message) => {
      const e = failure({ ...REQUIRED, ...variables });
      expect([e.variable, e.message]).toEqual([name, message]);
    });

    it('enables a sink only with its address, takes plain http to loopback, and never puts the secret in a message', () => {
      expect(loadConfig({ ...REQUIRED, WEBHOOK_SECRET: WEBHOOK.WEBHOOK_SECRET, EVENTBRIDGE_BUS: 'isg-events' }).events).toEqual({ afterRequestBudgetMs: 5 });
      const local = loadConfig({ ...REQUIRED, ...WEBHOOK, WEBHOOK_URL: 'http://127.0.0.1:8080/hook', EVENTBRIDGE_ENDPOINT: '127.0.0.1:8103', EVENTBRIDGE_BUS: 'b', EVENTBRIDGE_PROTOCOL: 'http' });
      expect([local.events.webhook?.target, local.events.eventbridge?.target]).toEqual(['http://127.0.0.1:8080', 'bus b at 127.0.0.1:8103']);
      const messages = REFUSED.map(([variables]) => failure({ ...REQUIRED, ...variables }).message);
      expect(messages.filter((m) => m.includes(WEBHOOK.WEBHOOK_SECRET) || m.includes('short-secret'))).toEqual([]);
    });
  });

  it('signs the console in with JWT_ISSUER unless CONSOLE_ISSUER says otherwise, which it must when JWT_ISSUER is no URL', () => {
    // Prepare + Act
    const config = loadConfig({ ...REQUIRED, CONSOLE_CLIENT_ID: 'isg-console' });
    // Assess
    expect(config.console).toEqual({
      signIn: { issuer: 'https://idp.example/', clientId: 'isg-console', scopes: ['openid'], audienceParameter: 'audience' },
      connectOrigins: ['https://idp.example'],
    });
    const e = failure({ ...REQUIRED, JWT_ISSUER: 'isg-issuer', CONSOLE_CLIENT_ID: 'isg-console' });
    expect([e.variable, e.message]).toEqual([
      'CONSOLE_ISSUER',
      'CONSOLE_ISSUER is required when CONSOLE_CLIENT_ID is set and JWT_ISSUER is not an https URL (the console discovers its sign-in endpoints from the issuer)',
    ]);
    expect(loadConfig({ ...REQUIRED, JWT_ISSUER: 'isg-issuer' }).console).toEqual({ connectOrigins: [] });
  });

  it('is documented: the README table lists exactly the variables loadConfig reads', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = generatedPart(readme, 'environment');
    const documented = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('lists exactly the documented variables', () => {
    expect([...CONFIG_VARIABLES].sort()).toEqual(
      [
        'REGIONS', 'OWNER_ACCOUNT_ID', 'APPROVAL_REQUIRED', 'APPROVAL_EXEMPT_ACCOUNTS', 'ALLOW_ACCOUNTS', 'DENY_ACCOUNTS',
        'MAX_SHARES_PER_IMAGE', 'ALLOW_FOLDERS', 'DENY_FOLDERS', 'ALLOW_DIRECTORY_WIDE_SHARES', 'MAX_DIRECTORY_TARGETS_PER_IMAGE',
        'RESOURCE_SHARING_ENDPOINT', 'RESOURCE_MANAGER_ENDPOINT', 'STS_ENDPOINT', 'DIRECTORY_READER_ROLE_ARN',
        'MAX_SHARE_DURATION_DAYS', 'DEFAULT_SHARE_DURATION_DAYS', 'PENDING_REQUEST_TTL_HOURS', 'REQUEST_RETENTION_DAYS',
        'DENY_IMAGE_TAGS', 'REQUIRE_IMAGE_TAGS', 'ALLOW_PUBLIC_IMAGES', 'RECONCILE_MODE', 'UNMANAGED_SHARES',
        'INTENT_GRACE_SECONDS', 'ECS_ENDPOINT', 'ECS_PROTOCOL', 'ECS_CONNECT_TIMEOUT_MS', 'ECS_READ_TIMEOUT_MS',
        'ECS_RATE_PER_API', 'TABLESTORE_ENDPOINT', 'TABLESTORE_INSTANCE', 'TABLE_PREFIX', 'JWT_ISSUER', 'JWT_AUDIENCE',
        'JWT_JWKS', 'JWT_JWKS_URL', 'JWT_ROLES_CLAIM', 'RECONCILE_FUNCTION_NAME', 'RECONCILE_FC_ENDPOINT',
        'RECONCILE_TIME_BUDGET_MS', 'RECONCILE_CONCURRENCY', 'WEBHOOK_URL', 'WEBHOOK_SECRET', 'WEBHOOK_CONNECT_TIMEOUT_MS',
        'WEBHOOK_TIMEOUT_MS', 'EVENTBRIDGE_ENDPOINT', 'EVENTBRIDGE_BUS', 'EVENTBRIDGE_PROTOCOL', 'EVENTBRIDGE_CONNECT_TIMEOUT_MS',
        'EVENTBRIDGE_READ_TIMEOUT_MS', 'AFTER_REQUEST_BUDGET_MS', 'IDEMPOTENCY_TTL_HOURS', 'LOG_LEVEL', 'CONSOLE_CLIENT_ID', 'CONSOLE_ISSUER',
        'CONSOLE_SCOPES', 'CONSOLE_AUDIENCE_PARAMETER', 'CONSOLE_CONNECT_ORIGINS',
      ].sort(),
    );
  });
});
