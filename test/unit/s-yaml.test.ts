// s.yaml, checked offline: what `s deploy` would ship must load, be configured completely and
// respect the fc3 component's rules (including the ones its schema does not catch).
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_FUNCTION, buildFunctions, type BuiltFunction } from '../../scripts/build.js';
import { loadProjectSpec, readSpecDocument, referencedEnv, splitHandler, type FunctionSpec } from '../../emulators/fc/spec.js';
import { parseSchedule } from '../../emulators/fc/cron.js';
import { CONFIG_VARIABLES, loadConfig } from '../../shared/config.js';
import { deployedValue } from '../../shared/environment.js';
import { notBundledMessage, UNBUNDLED_BY_ECS } from '../../shared/ecs/bundle.js';
import { shareRoutes } from '../../functions/share/routes.js';
import { unshareRoutes } from '../../functions/unshare/routes.js';
import { describeRoutes } from '../../functions/describe/routes.js';
import { deleteGuardRoutes } from '../../functions/delete-guard/routes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SPEC = join(ROOT, 's.yaml');
const require = createRequire(import.meta.url);

// Placeholder deployer values, shaped like real ones (a JWKS the size of one RSA-2048 key).
const RSA_N = 'x'.repeat(342);
const DEPLOYER_ENV: Record<string, string> = {
  FC_ROLE_ARN: 'acs:ram::1234567890123456:role/image-share-governor',
  REGIONS: 'cn-hangzhou,cn-shanghai',
  OWNER_ACCOUNT_ID: '1234567890123456',
  TABLESTORE_ENDPOINT: 'https://isg-prod.cn-hangzhou.ots.aliyuncs.com',
  TABLESTORE_INSTANCE: 'isg-prod',
  JWT_ISSUER: 'https://idp.example.com/',
  JWT_AUDIENCE: 'image-share-governor',
  JWT_JWKS: JSON.stringify({ keys: [{ kty: 'RSA', kid: 'k1', use: 'sig', alg: 'RS256', e: 'AQAB', n: RSA_N }] }),
};

// Property names the fc3 component knows (its props schema); anything else is silently ignored on deploy.
const FC3_PROPS = new Set([
  'annotations', 'asyncInvokeConfig', 'code', 'concurrencyConfig', 'cpu', 'customContainerConfig', 'customDNS',
  'customRuntimeConfig', 'description', 'diskSize', 'enableLongLiving', 'endpoint', 'environmentVariables',
  'functionName', 'gpuConfig', 'handler', 'instanceIsolationMode', 'instanceLifecycleConfig', 'internetAccess',
  'layers', 'logConfig', 'memorySize', 'nasConfig', 'ossMountConfig', 'provisionConfig', 'region', 'resourceGroupId',
  'role', 'runtime', 'scalingConfig', 'sessionAffinity', 'sessionAffinityConfig', 'supplement', 'tags', 'timeout',
  'instanceConcurrency', 'tracingConfig', 'triggers', 'vpcBinding', 'vpcConfig',
]);
const TRIGGER_KEYS = new Set(['description', 'invocationRole', 'qualifier', 'sourceArn', 'triggerConfig', 'triggerName', 'triggerType']);
const TRIGGER_CONFIG_KEYS: Record<string, Set<string>> = {
  http: new Set(['authConfig', 'authType', 'disableURLInternet', 'methods']),
  timer: new Set(['cronExpression', 'enable', 'payload']),
  eventbridge: new Set(['asyncInvocationType', 'eventRuleFilterPattern', 'eventSinkConfig', 'eventSourceConfig', 'runOptions', 'triggerEnable']),
};
const HTTP_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
const ROUTES: Record<string, readonly { method: string; path: string }[]> = {
  'image-share-share': shareRoutes,
  'image-share-unshare': unshareRoutes,
  'image-share-describe': describeRoutes,
  'image-share-delete-guard': deleteGuardRoutes,
};

describe('s.yaml', () => {
  let outDir: string;
  let built: BuiltFunction[];
  let functions: readonly FunctionSpec[];

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 's-yaml-build-'));
    built = await buildFunctions({ root: ROOT, outDir, analyze: true });
    functions = loadProjectSpec(SPEC, DEPLOYER_ENV).functions;
  }, 120_000);

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('declares the five functions, each built from functions/<name> into its code folder', () => {
    expect(functions.map((f) => f.name)).toEqual([
      'image-share-share',
      'image-share-unshare',
      'image-share-describe',
      'image-share-delete-guard',
      'image-share-reconcile',
    ]);
    for (const fn of functions) {
      expect(fn.codeDir).toBe(join(ROOT, 'dist', basename(fn.codeDir)));
      expect(existsSync(join(ROOT, 'functions', basename(fn.codeDir), 'index.ts'))).toBe(true);
    }
    expect(built.map((b) => b.functionName)).toEqual(functions.map((f) => f.name));
  });

  it('ships no part of the tablestore SDK a function never calls (its search-index protocol)', () => {
    for (const b of built) {
      const text = readFileSync(b.file, 'utf8');
      expect(text, b.functionName).toContain('PutRowRequest');
      // The compiled search messages are replaced by a stub that names itself if ever touched.
      expect(text, b.functionName).toContain('The Tablestore search API is not bundled');
      expect(text, b.functionName).not.toContain('SearchIndexSplitsOptions.decode');
    }
  });

  it('ships none of the packages the ECS SDK stack loads for calls we never make, only stubs that name themselves', () => {
    // The stubbed packages and the ones only they pulled in (the proxy agents' dependencies).
    const leftOut = [...Object.keys(UNBUNDLED_BY_ECS), 'agent-base', 'socks', 'ip-address', 'smart-buffer'];
    for (const b of built) {
      const packages = b.packages!.map(([name]) => name);
      expect(packages, b.functionName).toContain('@alicloud/openapi-core');
      expect(packages.filter((name) => leftOut.includes(name)), b.functionName).toEqual([]);
      // xml2js can still be needed for an XML error body: kept, loaded on first use.
      expect(packages, b.functionName).toEqual(expect.arrayContaining(['xml2js', 'xmlbuilder', 'sax']));
      const text = readFileSync(b.file, 'utf8');
      for (const pkg of Object.keys(UNBUNDLED_BY_ECS)) expect(text, `${b.functionName} ${pkg}`).toContain(notBundledMessage(pkg));
    }
  });

  it("puts the console's files beside the describe bundle only, and none of its code in any bundle", () => {
    for (const b of built) {
      expect(existsSync(join(dirname(b.file), 'console')), b.functionName).toBe(b.resource === CONSOLE_FUNCTION);
      const text = readFileSync(b.file, 'utf8');
      // The browser script's own strings: a bundle that had it inlined would carry them.
      for (const mark of ['isg.console.sign-in', 'Approval queue', 'code_challenge_method']) expect(text.includes(mark), `${b.functionName} ${mark}`).toBe(false);
    }
    const describeFn = built.find((b) => b.resource === CONSOLE_FUNCTION)!;
    expect(describeFn.console!.map((a) => a.name)).toEqual(['index.html', expect.stringMatching(/^assets\/console-\w{8}\.js$/), expect.stringMatching(/^assets\/console-\w{8}\.css$/)]);
  });

  it("resolves every handler and initializer to a function exported by the built bundle", () => {
    for (const fn of functions) {
      const { file, exportName } = splitHandler(fn.handler);
      const mod = require(join(outDir, basename(fn.codeDir), `${file}.js`)) as Record<string, unknown>;
      expect(typeof mod[exportName], `${fn.name} ${fn.handler}`).toBe('function');
      expect(fn.initializer, `${fn.name} has an initializer`).toBeDefined();
      const init = splitHandler(fn.initializer!.handler);
      expect(init.file).toBe(file);
      expect(typeof mod[init.exportName], `${fn.name} ${fn.initializer!.handler}`).toBe('function');
    }
  });

  it('gives every function exactly the variables loadConfig reads, as strings, and loadConfig accepts them', () => {
    const deployed = CONFIG_VARIABLES;
    for (const fn of functions) {
      expect(Object.keys(fn.environmentVariables).sort()).toEqual([...deployed].sort());
      expect(Object.keys(fn.environmentVariables).filter((k) => k.startsWith('FC_'))).toEqual([]);
      for (const [k, v] of Object.entries(fn.environmentVariables)) expect(typeof v, k).toBe('string');
      expect(() => loadConfig(fn.environmentVariables)).not.toThrow();
      // FC's limit on user environment variables (names + values).
      const size = Object.entries(fn.environmentVariables).reduce((n, [k, v]) => n + k.length + v.length, 0);
      expect(size).toBeLessThanOrEqual(4096);
    }
    const config = loadConfig(functions[0]!.environmentVariables);
    expect(config.policy.approvalRequired).toBe(true);
    expect(config.reconcile.functionName).toBe('image-share-reconcile');
  });

  it('passes every variable as its declaration says: required ones from the deployer, the rest with their fallback', () => {
    const doc = readSpecDocument(SPEC) as { vars: { environment: Record<string, unknown> } };
    const written = doc.vars.environment;
    expect(Object.keys(written).sort()).toEqual([...CONFIG_VARIABLES].sort());
    for (const name of CONFIG_VARIABLES) expect(written[name], name).toBe(deployedValue(name));
  });

  it('writes every environment value as a string in the file itself, deployer values through ${env()}', () => {
    const doc = readSpecDocument(SPEC) as { resources: Record<string, { props: { environmentVariables: Record<string, unknown> } }> };
    for (const r of Object.values(doc.resources)) {
      for (const [k, v] of Object.entries(r.props.environmentVariables)) expect(typeof v, k).toBe('string');
    }
    const required = [...referencedEnv(SPEC)].filter(([, v]) => !v.hasDefault).map(([k]) => k).sort();
    expect(required).toEqual(Object.keys(DEPLOYER_ENV).filter((k) => k !== 'JWT_JWKS').sort());
  });

  it('uses only property names the fc3 component knows (a typo would be ignored silently)', () => {
    const doc = readSpecDocument(SPEC) as { resources: Record<string, { component: string; props: Record<string, unknown> }> };
    for (const [key, r] of Object.entries(doc.resources)) {
      expect(r.component).toBe('fc3');
      expect(Object.keys(r.props).filter((k) => !FC3_PROPS.has(k)), key).toEqual([]);
      for (const t of r.props.triggers as { triggerType: string; triggerConfig: Record<string, unknown> }[]) {
        expect(Object.keys(t).filter((k) => !TRIGGER_KEYS.has(k)), `${key} trigger`).toEqual([]);
        const known = TRIGGER_CONFIG_KEYS[t.triggerType];
        expect(known, `${key} trigger type ${t.triggerType}`).toBeDefined();
        expect(Object.keys(t.triggerConfig).filter((k) => !known!.has(k)), `${key} ${t.triggerType} triggerConfig`).toEqual([]);
      }
    }
  });

  it('sets runtime, memory and an explicit timeout, and no instanceConcurrency', () => {
    const doc = readSpecDocument(SPEC) as { resources: Record<string, { props: Record<string, unknown> }> };
    for (const [key, r] of Object.entries(doc.resources)) {
      expect(r.props.timeout, key).toEqual(expect.any(Number));
      expect(r.props.instanceConcurrency, key).toBeUndefined();
    }
    for (const fn of functions) {
      expect(fn.runtime).toBe('nodejs20');
      expect(Number.isInteger(fn.memorySize) && fn.memorySize % 64 === 0 && fn.memorySize >= 128 && fn.memorySize <= 32768).toBe(true);
      expect(Number.isInteger(fn.timeout) && fn.timeout >= 1 && fn.timeout <= 86400).toBe(true);
      expect(fn.initializer!.timeout).toBeGreaterThanOrEqual(1);
      expect(fn.props.role).toBe(DEPLOYER_ENV.FC_ROLE_ARN);
      expect(fn.props.logConfig).toBe('auto');
      expect(fn.region).toMatch(/^[a-z]{2}-[a-z0-9-]+$/);
    }
  });

  it('has one HTTP trigger per HTTP function, upper-case methods covering exactly its routes', () => {
    for (const fn of functions) {
      const http = fn.triggers.filter((t) => t.kind === 'http');
      const routes = ROUTES[fn.name];
      if (!routes) {
        expect(http, fn.name).toHaveLength(0);
        continue;
      }
      expect(http, fn.name).toHaveLength(1);
      const t = http[0]!;
      if (t.kind !== 'http') throw new Error('unreachable');
      for (const m of t.methods) expect(HTTP_METHODS).toContain(m);
      expect([...t.methods].sort()).toEqual([...new Set(routes.map((r) => r.method))].sort());
      // The function verifies the JWT itself; FC's trigger auth stays out of the way.
      expect(t.authType).toBe('anonymous');
      expect(typeof t.disableURLInternet).toBe('boolean');
    }
  });

  it('runs the reconciler on an enabled timer with a string JSON payload and on ActionTrail events', () => {
    const reconcile = functions.find((f) => f.name === 'image-share-reconcile')!;
    const doc = readSpecDocument(SPEC) as { resources: { reconcile: { props: { triggers: { triggerType: string; triggerConfig: Record<string, unknown> }[] } } } };
    const rawTimer = doc.resources.reconcile.props.triggers.find((t) => t.triggerType === 'timer')!;
    expect(rawTimer.triggerConfig.enable).toBe(true);
    expect(typeof rawTimer.triggerConfig.payload).toBe('string');
    expect(() => JSON.parse(rawTimer.triggerConfig.payload as string)).not.toThrow();
    const timer = reconcile.triggers.find((t) => t.kind === 'timer')!;
    if (timer.kind !== 'timer') throw new Error('unreachable');
    expect(() => parseSchedule(timer.cronExpression)).not.toThrow();

    const eb = reconcile.triggers.find((t) => t.kind === 'other' && t.type === 'eventbridge');
    if (!eb || eb.kind !== 'other') throw new Error('no eventbridge trigger');
    // The fields the fc3 schema requires of an eventbridge trigger.
    expect(Object.keys(eb.config).sort()).toEqual(['asyncInvocationType', 'eventRuleFilterPattern', 'eventSinkConfig', 'eventSourceConfig', 'runOptions', 'triggerEnable']);
    const pattern = JSON.parse(eb.config.eventRuleFilterPattern as string) as { source: string[]; data: { eventName: string[] } };
    expect(pattern.source).toEqual(['acs.actiontrail']);
    expect(pattern.data.eventName.sort()).toEqual(['DeleteImage', 'ModifyImageSharePermission']);
    expect(reconcile.maxAsyncRetryAttempts).toBeGreaterThanOrEqual(0);
    expect(reconcile.maxAsyncRetryAttempts).toBeLessThanOrEqual(8);
  });
});
