// The local FC 3.0 runtime against hand-written bundles: HTTP event and context shape, routing,
// env isolation, initializer, timeouts, timers, and @alicloud/fc2 invocations (signature checked).
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFcRuntime, type FcRuntime } from '../../emulators/fc/runtime.js';
import { fcSignature, fcStringToSign } from '../../emulators/fc/auth.js';

const require = createRequire(import.meta.url);
// The SDK is CommonJS: module.exports is the client class.
const FCClient = require('@alicloud/fc2') as new (accountId: string, cfg: Record<string, unknown>) => {
  version: string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ headers: Record<string, string>; data: unknown }>;
};

const ACCOUNT = '1234567890123456';

function rawRequest(url: string, headers: Record<string, string | string[]>, body: string): Promise<{ status: number; headers: Record<string, unknown>; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const ROLE = { accessKeyId: 'STS.localrole0001', accessKeySecret: 'role-secret', securityToken: 'role-token' };

// An HTTP function that echoes what it received; state proves instances are isolated.
const ECHO = `
let invocations = 0;
let initialized = 0;
exports.routes = [
  { method: 'POST', path: '/v1/echo/{id}' },
  { method: 'GET', path: '/v1/echo/{id}' },
  { method: 'GET', path: '/v1/echo/special' },
  { method: 'GET', path: '/v1/binary' },
  { method: 'GET', path: '/v1/slow' },
  { method: 'GET', path: '/v1/boom' },
  { method: 'GET', path: '/v1/pair/{n}' },
];
exports.initialize = async (context) => { initialized += 1; };
exports.handler = async (event, context) => {
  invocations += 1;
  const e = JSON.parse(event.toString('utf8'));
  if (e.rawPath === '/v1/binary') return { statusCode: 200, headers: { 'content-type': 'image/png' }, isBase64Encoded: true, body: Buffer.from([1, 2, 3]).toString('base64') };
  if (e.rawPath === '/v1/slow') { await new Promise((r) => setTimeout(r, 5000)); return { statusCode: 200, body: 'late' }; }
  if (e.rawPath === '/v1/boom') throw new TypeError('kaboom');
  if (e.rawPath.startsWith('/v1/pair/')) {
    // Each of two requests waits for the other: only two instances at once can answer both.
    const fs = require('node:fs');
    const me = e.rawPath.endsWith('/1') ? 1 : 2;
    fs.writeFileSync(process.env.PAIR_DIR + '/pair-' + me, '');
    while (!fs.existsSync(process.env.PAIR_DIR + '/pair-' + (3 - me))) await new Promise((r) => setTimeout(r, 10));
    return { statusCode: 200, body: process.env.FC_INSTANCE_ID };
  }
  const { logger, ...ctx } = context;
  logger.info('echo', e.rawPath);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'x-extra': 'yes' },
    isBase64Encoded: false,
    body: JSON.stringify({ isBuffer: Buffer.isBuffer(event), event: e, context: ctx, hasLogger: typeof logger.info === 'function',
      env: { MODE: process.env.MODE, FC_FUNCTION_NAME: process.env.FC_FUNCTION_NAME, AK: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID, OTHER: process.env.OTHER_ONLY },
      invocations, initialized, globalMark: globalThis.__mark = (globalThis.__mark ?? process.env.FC_FUNCTION_NAME) }),
  };
};`;

// A function invoked asynchronously and by a timer; fails the first time when asked to.
const WORKER = `
let calls = 0;
exports.handler = async (event, context) => {
  calls += 1;
  const e = JSON.parse(event.toString('utf8'));
  if (e.failFirst && calls === 1) throw new Error('first attempt fails');
  return { calls, got: e, requestId: context.requestId };
};`;

// Its first instance fails to initialize (a marker file tells later instances apart).
const FLAKY_INIT = `
const fs = require('node:fs');
exports.initialize = async () => {
  const marker = process.env.PAIR_DIR + '/init-failed-once';
  if (!fs.existsSync(marker)) { fs.writeFileSync(marker, ''); throw new Error('config missing'); }
};
exports.handler = async () => 'ready';`;

const SPEC = `
edition: 3.0.0
name: fixture
vars:
  region: cn-hangzhou
  shared: &env
    MODE: \${env('FIXTURE_MODE', 'default-mode')}
    PAIR_DIR: \${env('PAIR_DIR')}
resources:
  echo:
    component: fc3
    props:
      region: \${vars.region}
      functionName: fx-echo
      runtime: nodejs20
      code: ./dist/echo
      handler: index.handler
      memorySize: 256
      timeout: 1
      instanceLifecycleConfig:
        initializer: { handler: index.initialize, timeout: 5 }
      environmentVariables: *env
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig: { authType: anonymous, methods: [GET, POST] }
  worker:
    component: fc3
    props:
      region: \${vars.region}
      functionName: fx-worker
      runtime: nodejs20
      code: ./dist/worker
      handler: index.handler
      memorySize: 128
      timeout: 5
      asyncInvokeConfig: { maxAsyncRetryAttempts: 2 }
      environmentVariables:
        OTHER_ONLY: worker-only
      triggers:
        - triggerName: tick
          triggerType: timer
          triggerConfig: { cronExpression: '@every 1h', enable: true, payload: '{"from":"timer"}' }
  flaky:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: fx-flaky-init
      runtime: nodejs20
      code: ./dist/flaky
      handler: index.handler
      timeout: 5
      instanceLifecycleConfig:
        initializer: { handler: index.initialize, timeout: 5 }
      environmentVariables: *env
`;

describe('FC runtime (local FC 3.0)', () => {
  let dir: string;
  let rt: FcRuntime;
  const lines: string[] = [];

  beforeAll(async () => {
    // Prepare
    dir = mkdtempSync(join(tmpdir(), 'fc-runtime-'));
    for (const [name, code] of [['echo', ECHO], ['worker', WORKER], ['flaky', FLAKY_INIT]] as const) {
      mkdirSync(join(dir, 'dist', name), { recursive: true });
      writeFileSync(join(dir, 'dist', name, 'index.js'), code);
      writeFileSync(join(dir, 'dist', name, 'package.json'), '{"type":"commonjs"}');
    }
    writeFileSync(join(dir, 's.yaml'), SPEC);
    rt = await startFcRuntime({
      specFile: join(dir, 's.yaml'),
      specEnv: { FIXTURE_MODE: 'from-env', PAIR_DIR: dir },
      port: 0,
      accountId: ACCOUNT,
      roleCredentials: ROLE,
      timers: 'off',
      asyncRetryDelayMs: 10,
      log: (fn, line) => lines.push(`${fn} ${line}`),
    });
  });

  afterAll(async () => {
    await rt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers the FC 3.0 HTTP event as a Buffer with canonical headers, decoded path and joined repeats', async () => {
    // Act: node:http sends the repeated header as two lines (fetch would join it client-side)
    const res = await rawRequest(`${rt.url}/v1/echo/a%20b?x=1&x=2&y=%C3%A9`, {
      'content-type': 'application/json',
      'x-multi': ['one', 'two'],
      authorization: 'Bearer t',
    }, '{"hello":"world"}');
    const out = res.json as Record<string, any>;
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['x-extra']).toBe('yes');
    expect(res.headers['x-fc-request-id']).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{12}$/);
    expect(out.isBuffer).toBe(true);
    const e = out.event;
    expect(e).toEqual({
      version: 'v1',
      rawPath: '/v1/echo/a%20b',
      body: '{"hello":"world"}',
      isBase64Encoded: false,
      headers: expect.objectContaining({ 'Content-Type': 'application/json', 'X-Multi': 'one,two', Authorization: 'Bearer t' }),
      queryParameters: { x: '1,2', y: 'é' },
      requestContext: {
        accountId: ACCOUNT,
        domainName: expect.any(String),
        domainPrefix: 'fx-echo',
        http: { method: 'POST', path: '/v1/echo/a b', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: expect.any(String) },
        requestId: res.headers['x-fc-request-id'],
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        timeEpoch: expect.stringMatching(/^\d{13}$/),
      },
    });
    expect(out.context).toEqual({
      requestId: res.headers['x-fc-request-id'],
      credentials: ROLE,
      function: { name: 'fx-echo', handler: 'index.handler', memory: 256, timeout: 1 },
      region: 'cn-hangzhou',
      accountId: ACCOUNT,
    });
    expect(out.hasLogger).toBe(true);
    expect(lines.some((l) => l.startsWith('fx-echo ') && l.includes(`${e.requestContext.requestId} [INFO] echo /v1/echo/a%20b`))).toBe(true);
  });

  it('runs each function with its own environment and the initializer once per instance', async () => {
    const res = await fetch(`${rt.url}/v1/echo/env`);
    const out = (await res.json()) as Record<string, any>;
    expect(out.env).toEqual({ MODE: 'from-env', FC_FUNCTION_NAME: 'fx-echo', AK: ROLE.accessKeyId });
    expect(out.initialized).toBe(1);
    expect(out.event.queryParameters).toBeUndefined();
    expect(out.globalMark).toBe('fx-echo');
  });

  it('prefers the literal route over a parameter and answers 404/405 itself', async () => {
    const special = (await (await fetch(`${rt.url}/v1/echo/special`)).json()) as Record<string, any>;
    expect(special.event.rawPath).toBe('/v1/echo/special');
    const missing = await fetch(`${rt.url}/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('RouteNotFound');
    const wrong = await fetch(`${rt.url}/v1/binary`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(((await wrong.json()) as { code: string }).code).toBe('MethodNotAllowed');
  });

  it('base64-encodes binary request bodies and decodes base64 responses', async () => {
    const res = await fetch(`${rt.url}/v1/echo/bin`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0, 255, 7]) });
    const out = (await res.json()) as Record<string, any>;
    expect(out.event.isBase64Encoded).toBe(true);
    expect(out.event.body).toBe(Buffer.from([0, 255, 7]).toString('base64'));
    const bin = await fetch(`${rt.url}/v1/binary`);
    expect(bin.headers.get('content-type')).toBe('image/png');
    expect([...new Uint8Array(await bin.arrayBuffer())]).toEqual([1, 2, 3]);
  });

  it('turns an unhandled error into 502 and a timeout into 502 with a fresh instance afterwards', async () => {
    const boom = await fetch(`${rt.url}/v1/boom`);
    expect(boom.status).toBe(502);
    expect(boom.headers.get('x-fc-error-type')).toBe('UnhandledInvocationError');
    expect(await boom.json()).toEqual({ errorMessage: 'kaboom', errorType: 'TypeError' });
    const slow = await fetch(`${rt.url}/v1/slow`);
    expect(slow.status).toBe(502);
    expect(((await slow.json()) as { errorType: string }).errorType).toBe('FunctionTimeoutError');
    const after = await fetch(`${rt.url}/v1/echo/after`);
    expect(after.status).toBe(200);
  });

  it('scales out to a second instance when two requests overlap', async () => {
    const [a, b] = await Promise.all([fetch(`${rt.url}/v1/pair/1`), fetch(`${rt.url}/v1/pair/2`)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [ia, ib] = [await a.text(), await b.text()];
    expect(ia).toMatch(/^c-[0-9a-f]{12}$/);
    expect(ib).not.toBe(ia);
    const fns = (await (await fetch(`${rt.url}/__emulator/functions`)).json()) as { name: string; instances: number }[];
    expect(fns.find((f) => f.name === 'fx-echo')!.instances).toBeGreaterThanOrEqual(2);
  });

  it('accepts an fc2 async invocation on the FC 3.0 path with a valid signature and retries failures', async () => {
    // Prepare: the client exactly as a function would build it from its context credentials.
    const client = new FCClient(ACCOUNT, { ...ROLE, accessKeyID: ROLE.accessKeyId, region: 'cn-hangzhou', endpoint: rt.url });
    client.version = '2023-03-30';
    // Act
    const res = await client.post('/functions/fx-worker/invocations', '{"failFirst":true,"n":1}', { 'x-fc-invocation-type': 'Async' });
    await rt.drain();
    // Assess
    const requestId = res.headers['x-fc-request-id'];
    const rec = rt.invocations().find((r) => r.requestId === requestId);
    expect(rec).toMatchObject({ functionName: 'fx-worker', trigger: 'async', status: 'succeeded', attempts: 2, payload: '{"failFirst":true,"n":1}' });
  });

  it('answers a sync fc2 invocation with the function result', async () => {
    const client = new FCClient(ACCOUNT, { ...ROLE, accessKeyID: ROLE.accessKeyId, region: 'cn-hangzhou', endpoint: rt.url });
    client.version = '2023-03-30';
    const res = await client.post('/functions/fx-worker/invocations', '{"n":2}');
    expect(res.data).toMatchObject({ got: { n: 2 }, requestId: res.headers['x-fc-request-id'] });
  });

  it('rejects a tampered or unknown-key fc2 request', async () => {
    // Prepare: sign one body, send another.
    const date = new Date().toUTCString();
    const headers: Record<string, string> = {
      date,
      'content-type': 'application/octet-stream',
      'x-fc-account-id': ACCOUNT,
      'x-fc-invocation-type': 'Async',
      'x-fc-security-token': ROLE.securityToken,
    };
    const path = '/2023-03-30/functions/fx-worker/invocations';
    const sig = fcSignature(ROLE.accessKeySecret, fcStringToSign('POST', path, headers));
    const good = await fetch(`${rt.url}${path}`, { method: 'POST', headers: { ...headers, authorization: `FC ${ROLE.accessKeyId}:${sig}` }, body: '{}' });
    expect(good.status).toBe(202);
    // Act: a header that is part of the signature changed in flight
    const tampered = await fetch(`${rt.url}${path}`, { method: 'POST', headers: { ...headers, 'x-fc-invocation-type': 'Sync', authorization: `FC ${ROLE.accessKeyId}:${sig}` }, body: '{}' });
    const unknown = await fetch(`${rt.url}${path}`, { method: 'POST', headers: { ...headers, authorization: `FC STS.nobody:${sig}` }, body: '{}' });
    const wrongSecret = new FCClient(ACCOUNT, { ...ROLE, accessKeyID: ROLE.accessKeyId, accessKeySecret: 'not-the-secret', region: 'cn-hangzhou', endpoint: rt.url });
    wrongSecret.version = '2023-03-30';
    // Assess
    expect(tampered.status).toBe(403);
    expect(await tampered.json()).toEqual({ ErrorCode: 'SignatureNotMatch', ErrorMessage: 'the request signature does not match' });
    expect(unknown.status).toBe(403);
    expect(((await unknown.json()) as { ErrorCode: string }).ErrorCode).toBe('InvalidAccessKeyID');
    await expect(wrongSecret.post('/functions/fx-worker/invocations', '{}', { 'x-fc-invocation-type': 'Async' })).rejects.toMatchObject({ name: 'FCSignatureNotMatchError', code: 'SignatureNotMatch' });
    await rt.drain();
  });

  it('reports a failed initializer and starts a fresh instance for the next invocation', async () => {
    const first = await rt.invoke('fx-flaky-init', '{}');
    expect(first).toEqual({ ok: false, kind: 'init', error: expect.objectContaining({ errorMessage: 'config missing', errorType: 'Error' }) });
    const second = await rt.invoke('fx-flaky-init', '{}');
    expect(second).toEqual({ ok: true, value: { kind: 'string', text: 'ready' } });
  });

  it('fires enabled timers on their own when sped up', async () => {
    // Prepare: a second runtime over the same bundles, every timer every 150 ms
    const fast = await startFcRuntime({
      specFile: join(dir, 's.yaml'),
      specEnv: { PAIR_DIR: dir },
      port: 0,
      accountId: ACCOUNT,
      roleCredentials: ROLE,
      timers: { everyMs: 150 },
      log: () => undefined,
    });
    try {
      // Act: wait for two firings
      const deadline = Date.now() + 10_000;
      while (fast.invocations().filter((r) => r.trigger === 'timer' && r.status === 'succeeded').length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      // Assess
      const fired = fast.invocations().filter((r) => r.trigger === 'timer');
      expect(fired.length).toBeGreaterThanOrEqual(2);
      expect(fired.every((r) => r.functionName === 'fx-worker' && r.triggerName === 'tick')).toBe(true);
    } finally {
      await fast.close();
    }
  });

  it('fires a timer with the FC timer event and its string payload', async () => {
    const rec = await rt.fireTimer('fx-worker', 'tick');
    expect(rec).toMatchObject({ functionName: 'fx-worker', trigger: 'timer', triggerName: 'tick', status: 'succeeded' });
    const event = JSON.parse(rec.payload!) as Record<string, unknown>;
    expect(event).toEqual({ triggerTime: expect.stringMatching(/Z$/), triggerName: 'tick', payload: '{"from":"timer"}' });
  });
});

describe('FC runtime, wired as API Gateway calls event functions', () => {
  // Echoes the event; its trigger demands signed requests, which API Gateway's invocation bypasses.
  const GATEWAY_ECHO = `
exports.routes = [{ method: 'POST', path: '/v1/items/{id}/notes' }];
exports.handler = async (event) => ({ statusCode: 201, headers: { 'content-type': 'application/json' }, isBase64Encoded: false, body: event.toString('utf8') });`;
  const GATEWAY_SPEC = `
edition: 3.0.0
name: gateway-fixture
resources:
  gw:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: fx-gateway
      runtime: nodejs20
      code: ./dist/gw
      handler: index.handler
      timeout: 5
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig: { authType: function, methods: [POST] }
`;
  let dir: string;
  let rt: FcRuntime;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fc-runtime-gw-'));
    mkdirSync(join(dir, 'dist', 'gw'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'gw', 'index.js'), GATEWAY_ECHO);
    writeFileSync(join(dir, 'dist', 'gw', 'package.json'), '{"type":"commonjs"}');
    writeFileSync(join(dir, 's.yaml'), GATEWAY_SPEC);
    rt = await startFcRuntime({ specFile: join(dir, 's.yaml'), port: 0, accountId: ACCOUNT, roleCredentials: ROLE, timers: 'off', httpEventFormat: 'apigateway', log: () => undefined });
  });

  afterAll(async () => {
    await rt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("hands the function API Gateway's event, path parameters from the route, and sends back its response", async () => {
    // Act
    const res = await rawRequest(`${rt.url}/v1/items/a%20b/notes?x=1&x=2`, { 'content-type': 'application/json', 'x-multi': ['one', 'two'] }, '{"note":"hi"}');
    // Assess
    expect(res.status).toBe(201);
    expect(res.json).toEqual({
      path: '/v1/items/a%20b/notes',
      httpMethod: 'POST',
      headers: expect.objectContaining({ 'Content-Type': 'application/json', 'X-Multi': 'one,two' }),
      queryParameters: { x: '1,2' },
      pathParameters: { id: 'a b' },
      body: '{"note":"hi"}',
      isBase64Encoded: false,
    });
  });
});
