// s.yaml, checked offline: what `s deploy` would ship must load, be configured completely and
// respect the fc3 component's rules (including the ones its schema does not catch).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_FUNCTION, buildFunctions, type BuiltFunction } from '../../scripts/build.js';
import { loadProjectSpec, readSpecDocument, referencedEnv, splitHandler, type FunctionSpec } from '../../emulators/fc/spec.js';
import { parseSchedule } from '../../emulators/fc/cron.js';
import { CONFIG_VARIABLES, loadConfig } from '../../shared/config.js';
import { deployedValue } from '../../shared/environment.js';
import { LEFT_OUT_MODULES, leftOutMessage, notBundledMessage, UNBUNDLED_BY_ECS, XML2JS_BESIDE } from '../../shared/ecs/bundle.js';
import { ENTRY, FUNCTIONS, HTTP_FUNCTIONS } from '../../functions/registry.js';
import { startFcRuntime } from '../../emulators/fc/runtime.js';
import { DEPLOYER_ENV } from '../fixtures/deployer-env.js';
import { WATCHED_EVENTS } from '../../functions/reconcile/schemas.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SPEC = join(ROOT, 's.yaml');
const require = createRequire(import.meta.url);


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
const ROUTES: Record<string, readonly { method: string; path: string }[]> = Object.fromEntries(HTTP_FUNCTIONS.map((f) => [f.functionName, f.routes]));

describe('s.yaml', () => {
  // A copy of the project as deployed: s.yaml beside the dist/ the build writes.
  let project: string;
  let outDir: string;
  let built: BuiltFunction[];
  let functions: readonly FunctionSpec[];

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 's-yaml-build-'));
    outDir = join(project, 'dist');
    built = await buildFunctions({ root: ROOT, outDir, analyze: true });
    copyFileSync(SPEC, join(project, 's.yaml'));
    functions = loadProjectSpec(SPEC, DEPLOYER_ENV).functions;
  }, 120_000);

  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('declares exactly the functions of the registry, each from the bundle the build writes for it', () => {
    expect(functions.map((f) => [f.resource, f.name])).toEqual(FUNCTIONS.map((f) => [f.resource, f.functionName]));
    for (const fn of functions) {
      expect(fn.codeDir).toBe(join(ROOT, 'dist', fn.resource));
      expect(fn.handler).toBe(ENTRY.handler);
      expect(fn.initializer?.handler).toBe(ENTRY.initializer);
      expect(existsSync(join(ROOT, 'functions', fn.resource, `${ENTRY.file}.ts`))).toBe(true);
    }
    expect(built.map((b) => [b.functionName, b.file])).toEqual(FUNCTIONS.map((f) => [f.functionName, join(outDir, f.resource, `${ENTRY.file}.js`)]));
  });

  it.each(['http-trigger', 'apigateway'] as const)(
    'is served by the local FC runtime (%s events) with the route tables of the registry (and its public routes), HTTP functions only',
    async (httpEventFormat) => {
      // Act: the runtime learns each HTTP function's routes from its bundle, as npm start does
      const rt = await startFcRuntime({
        specFile: join(project, 's.yaml'),
        specEnv: DEPLOYER_ENV,
        port: 0,
        accountId: DEPLOYER_ENV.OWNER_ACCOUNT_ID!,
        roleCredentials: { accessKeyId: 'STS.registry', accessKeySecret: 'secret', securityToken: 'token' },
        timers: 'off',
        httpEventFormat,
        log: () => undefined,
      });
      try {
        const served = (await (await fetch(`${rt.url}/__emulator/functions`)).json()) as { name: string; routes: { method: string; path: string }[] }[];
        // A request without a token reaches the function, which parses the event and refuses it.
        const res = await fetch(`${rt.url}/v1/reconcile-runs?limit=5`);
        // Assess
        expect(served.map((f) => [f.name, f.routes])).toEqual(
          FUNCTIONS.map((f) => [f.functionName, [...(f.routes ?? []), ...(f.publicRoutes ?? [])].map(({ method, path }) => ({ method, path }))]),
        );
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(((await res.json()) as { code: string }).code).toBe('Unauthenticated');
      } finally {
        await rt.close();
      }
    },
    60_000,
  );

  it('ships no part of the tablestore SDK a function never calls (its search-index protocol)', () => {
    for (const b of built) {
      const text = readFileSync(b.code, 'utf8');
      expect(text, b.functionName).toContain('PutRowRequest');
      // The compiled search messages are replaced by a stub that names itself if ever touched.
      expect(text, b.functionName).toContain('The Tablestore search API is not bundled');
      expect(text, b.functionName).not.toContain('SearchIndexSplitsOptions.decode');
    }
  });

  it("carries its validators precompiled: ajv's run-time helpers only, no schema compiler", () => {
    for (const b of built) {
      const bytes = new Map(b.packages!);
      expect(bytes.get(`precompiled-validators:validators:${b.resource}`), b.functionName).toBeGreaterThan(0);
      // ajv's compiler is some 100 kB; what standalone code requires of ajv is a few hundred bytes.
      expect(bytes.get('ajv') ?? 0, b.functionName).toBeLessThan(2_000);
      expect(bytes.has('fast-uri'), b.functionName).toBe(false);
    }
  });

  it('ships none of the packages the ECS SDK stack loads for calls we never make, only stubs that name themselves', () => {
    // The stubbed packages, and the ones only the left-out WebSocket client pulled in (ws, the proxy agents, theirs).
    const leftOut = [
      ...Object.keys(UNBUNDLED_BY_ECS),
      ...['ws', 'https-proxy-agent', 'http-proxy-agent', 'socks-proxy-agent', 'agent-base', 'socks', 'ip-address', 'smart-buffer'],
    ];
    for (const b of built) {
      const packages = b.packages!.map(([name]) => name);
      expect(packages, b.functionName).toContain('@alicloud/openapi-core');
      expect(packages.filter((name) => leftOut.includes(name)), b.functionName).toEqual([]);
      // xml2js can still be needed for an XML error body: kept beside the bundle, loaded on first use.
      expect(packages.filter((name) => ['xml2js', 'xmlbuilder', 'sax'].includes(name)), b.functionName).toEqual([]);
      const text = readFileSync(b.code, 'utf8');
      expect(text, b.functionName).toContain(`require("./${XML2JS_BESIDE}")`);
      expect(readFileSync(join(dirname(b.file), XML2JS_BESIDE), 'utf8'), b.functionName).toContain('Unclosed root tag');
      for (const pkg of Object.keys(UNBUNDLED_BY_ECS)) expect(text, `${b.functionName} ${pkg}`).toContain(notBundledMessage(pkg));
      for (const file of Object.keys(LEFT_OUT_MODULES)) expect(text, `${b.functionName} ${file}`).toContain(leftOutMessage(file));
    }
  });

  it("puts the console's files beside the describe bundle only, and none of its code in any bundle", () => {
    for (const b of built) {
      expect(existsSync(join(dirname(b.file), 'console')), b.functionName).toBe(b.resource === CONSOLE_FUNCTION);
      const text = readFileSync(b.code, 'utf8');
      // The browser script's own strings: a bundle that had it inlined would carry them.
      for (const mark of ['isg.console.sign-in', 'Approval queue', 'code_challenge_method']) expect(text.includes(mark), `${b.functionName} ${mark}`).toBe(false);
    }
    const describeFn = built.find((b) => b.resource === CONSOLE_FUNCTION)!;
    expect(describeFn.console!.map((a) => a.name)).toEqual(['index.html', expect.stringMatching(/^assets\/console-\w{8}\.js$/), expect.stringMatching(/^assets\/console-\w{8}\.css$/)]);
  });

  it('loads no Alibaba Cloud RPC SDK at cold start: openapi-core, and with it HTTPS and TLS, wait for the first call', () => {
    const env = { PATH: process.env.PATH ?? '', ...functions[0]!.environmentVariables, TABLESTORE_ENDPOINT: 'http://127.0.0.1:9', RECONCILE_FC_ENDPOINT: 'http://127.0.0.1:9' };
    for (const b of built) {
      const probe = `const m = require(${JSON.stringify(b.file)}); Promise.resolve(m.initialize({ credentials: {} })).then(() =>
        process.stdout.write(JSON.stringify(process.moduleLoadList.filter((x) => /^NativeModule (https|tls|zlib)$/.test(x)))));`;
      const loaded = JSON.parse(execFileSync(process.execPath, ['-e', probe], { env, encoding: 'utf8' })) as string[];
      expect(loaded, b.functionName).toEqual([]);
    }
  });

  it('loads no event sink at cold start either, even with both configured: each waits for its first delivery', () => {
    const env = {
      PATH: process.env.PATH ?? '',
      ...functions[0]!.environmentVariables,
      TABLESTORE_ENDPOINT: 'http://127.0.0.1:9',
      RECONCILE_FC_ENDPOINT: 'http://127.0.0.1:9',
      WEBHOOK_URL: 'https://hooks.example.com/isg',
      WEBHOOK_SECRET: 'whsec-0123456789abcdef',
      EVENTBRIDGE_ENDPOINT: '1234567890123456.eventbridge.cn-hangzhou.aliyuncs.com',
      EVENTBRIDGE_BUS: 'isg-events',
    };
    for (const b of built) {
      const probe = `const m = require(${JSON.stringify(b.file)}); Promise.resolve(m.initialize({ credentials: {} })).then(() =>
        process.stdout.write(JSON.stringify(process.moduleLoadList.filter((x) => /^NativeModule (https|tls|zlib)$/.test(x)))));`;
      const loaded = JSON.parse(execFileSync(process.execPath, ['-e', probe], { env, encoding: 'utf8' })) as string[];
      expect(loaded, b.functionName).toEqual([]);
    }
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
    const pattern = JSON.parse(eb.config.eventRuleFilterPattern as string) as { source: string[]; data: { serviceName: string[]; eventName: string[] } };
    expect(pattern.source).toEqual(['acs.actiontrail']);
    // Exactly the events the handler watches, of exactly their products.
    expect(pattern.data.serviceName.sort()).toEqual(Object.keys(WATCHED_EVENTS).sort());
    expect(pattern.data.eventName.sort()).toEqual(Object.values(WATCHED_EVENTS).flat().sort());
    expect(reconcile.maxAsyncRetryAttempts).toBeGreaterThanOrEqual(0);
    expect(reconcile.maxAsyncRetryAttempts).toBeLessThanOrEqual(8);
  });
});
