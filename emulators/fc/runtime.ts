// The local Function Compute 3.0 runtime: every function s.yaml declares, from the bundles s.yaml
// points at, on one local origin.
//   - HTTP triggers: requests are dispatched by the route table each bundle exports (an exported array
//     of {method, path}); the handler gets the FC 3.0 HTTP event as a Buffer and FC's context.
//   - Timer triggers fire on their cronExpression (or faster / never, see `timers`).
//   - The FC API's invocation endpoint accepts @alicloud/fc2 calls (signature verified), sync or
//     `x-fc-invocation-type: Async` (202, run in the background with asyncInvokeConfig retries).
//   - Admin routes under /__emulator/ list invocations and fire timers or events on demand.
//   - GET /healthz (no auth) answers what the `health` option reports: 200 when every check passes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthFailure, verifyAcs3, verifyFcRequest, verifyJwtTrigger, type AccessKey, type JwtAuthConfig } from './auth.js';
import { nextFire, parseSchedule } from './cron.js';
import { buildApiGatewayEvent, buildHttpEvent, newRequestId, writeFunctionError, writeHandlerResponse, type HandlerValue, type HttpEventFormat } from './http-event.js';
import { FunctionPool, type InvocationContext, type InvokeOutcome, type RouteDecl } from './instance.js';
import { loadProjectSpec, type Env, type FunctionSpec, type HttpTriggerSpec, type TimerTriggerSpec } from './spec.js';

export type TimerMode = 'cron' | 'off' | { readonly everyMs: number };

export interface FcRuntimeOptions {
  /** Path of s.yaml. */
  readonly specFile: string;
  /** What `${env('X')}` in s.yaml reads (default process.env). */
  readonly specEnv?: Env;
  /** Values added to (or replacing) s.yaml's environmentVariables locally; a function form gets the runtime URL once it listens. */
  readonly envOverrides?: Readonly<Record<string, string>> | ((runtime: { url: string }) => Readonly<Record<string, string>>);
  readonly port?: number;
  readonly host?: string;
  /** The account the functions run in (`context.accountId`, `x-fc-account-id`). */
  readonly accountId: string;
  /** The function role's keys: `context.credentials` and the ALIBABA_CLOUD_* variables. */
  readonly roleCredentials: AccessKey;
  /** Further keys the FC API and `function` auth triggers accept (the role's keys always are). */
  readonly accessKeys?: readonly AccessKey[];
  /** `cron` (default): as declared; `off`: never; `{everyMs}`: every enabled timer at that period. */
  readonly timers?: TimerMode;
  /** Instances per function at most (default 8). */
  readonly maxInstances?: number;
  /** Delay before the first async retry, doubled each time (default 1000 ms). */
  readonly asyncRetryDelayMs?: number;
  /** Where function output goes (default: stderr, prefixed with the function name). */
  readonly log?: (functionName: string, line: string) => void;
  /** Route tables for bundles that export none, by function name. */
  readonly routes?: Readonly<Record<string, readonly RouteDecl[]>>;
  /**
   * `http-trigger` (default): HTTP requests reach the functions through their HTTP triggers, with the
   * FC 3.0 HTTP event. `apigateway`: as API Gateway calls event functions, with its JSON event; the
   * triggers' authType does not apply (API Gateway invokes the function, not the trigger URL).
   */
  readonly httpEventFormat?: HttpEventFormat;
  /** What GET /healthz checks besides the runtime itself (e.g. the services the functions use), by name. */
  readonly health?: () => Promise<Readonly<Record<string, HealthCheck>>>;
}

export interface HealthCheck {
  readonly ok: boolean;
  /** Why a check failed (or what it saw). */
  readonly detail?: string;
}

export interface InvocationRecord {
  readonly requestId: string;
  readonly functionName: string;
  readonly trigger: 'http' | 'sync' | 'async' | 'timer' | 'eventbridge';
  readonly triggerName?: string;
  readonly startedAt: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  attempts: number;
  durationMs?: number;
  error?: string;
  /** The event, for async/timer/eventbridge invocations (UTF-8). */
  readonly payload?: string;
}

export interface FcRuntime {
  readonly url: string;
  readonly functions: readonly FunctionSpec[];
  /** Every invocation so far, oldest first. */
  invocations(): readonly InvocationRecord[];
  /** Invokes a function synchronously with a raw event, as the FC API would. */
  invoke(functionName: string, event: Buffer | string): Promise<InvokeOutcome>;
  /** Fires a timer trigger now; resolves when the invocation (with retries) has finished. */
  fireTimer(functionName: string, triggerName: string): Promise<InvocationRecord>;
  /** Resolves once no async invocation is queued or running. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

interface CompiledRoute {
  readonly pool: FunctionPool;
  readonly trigger: HttpTriggerSpec;
  readonly method: string;
  readonly segments: readonly string[];
  readonly literals: number;
}

const MAX_ASYNC_PAYLOAD = 128 * 1024;
const MAX_SYNC_PAYLOAD = 32 * 1024 * 1024;
const MAX_URL = 4096;
/** Invocation records kept for /__emulator/invocations (oldest dropped first). */
const MAX_RECORDS = 10_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, 'EntityTooLarge', `the payload exceeds ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** FC API errors, in the shape @alicloud/fc2 reads (`ErrorCode`, `ErrorMessage`). */
function sendFcError(res: ServerResponse, requestId: string, status: number, code: string, message: string): void {
  sendJson(res, status, { ErrorCode: code, ErrorMessage: message }, { 'x-fc-request-id': requestId });
}

function compileSegments(path: string): { segments: string[]; literals: number } {
  const segments = path.split('/').map((s) => (s.startsWith(':') ? `{${s.slice(1)}}` : s));
  return { segments, literals: segments.filter((s) => !s.startsWith('{')).length };
}

function timerEvent(trigger: TimerTriggerSpec, at: number): string {
  return JSON.stringify({
    triggerTime: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    triggerName: trigger.name,
    payload: trigger.payload ?? '',
  });
}

export async function startFcRuntime(opts: FcRuntimeOptions): Promise<FcRuntime> {
  const project = loadProjectSpec(opts.specFile, opts.specEnv ?? process.env);
  const log = opts.log ?? ((fn: string, line: string) => process.stderr.write(`[${fn}] ${line}\n`));
  const keys: AccessKey[] = [opts.roleCredentials, ...(opts.accessKeys ?? [])];
  const records: InvocationRecord[] = [];
  const remember = (r: InvocationRecord): void => {
    records.push(r);
    if (records.length > MAX_RECORDS) records.splice(0, records.length - MAX_RECORDS);
  };
  const inflight = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  const pools = new Map<string, FunctionPool>();
  let closing = false;
  let url = '';

  const context = (fn: FunctionSpec, requestId: string): InvocationContext => ({
    requestId,
    credentials: { ...opts.roleCredentials },
    region: fn.region,
    accountId: opts.accountId,
  });

  // Requests that arrive while the route tables are still being learned wait for them.
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const server = createServer((req, res) => {
    ready.then(() => handle(req, res)).catch((err: unknown) => {
      const requestId = newRequestId();
      if (err instanceof HttpError) sendFcError(res, requestId, err.status, err.code, err.message);
      else {
        log('fc-runtime', `internal error: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) sendFcError(res, requestId, 500, 'InternalServerError', 'the local runtime failed; see its log');
        else res.end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 9000, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;

  const overrides = typeof opts.envOverrides === 'function' ? opts.envOverrides({ url }) : opts.envOverrides ?? {};
  for (const fn of project.functions) {
    const env: Record<string, string> = {
      ...fn.environmentVariables,
      ...overrides,
      FC_ACCOUNT_ID: opts.accountId,
      FC_FUNCTION_NAME: fn.name,
      FC_FUNCTION_HANDLER: fn.handler,
      FC_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      FC_REGION: fn.region,
      ALIBABA_CLOUD_ACCESS_KEY_ID: opts.roleCredentials.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: opts.roleCredentials.accessKeySecret,
      ...(opts.roleCredentials.securityToken ? { ALIBABA_CLOUD_SECURITY_TOKEN: opts.roleCredentials.securityToken } : {}),
    };
    pools.set(
      fn.name,
      new FunctionPool({
        spec: fn,
        env,
        maxInstances: opts.maxInstances ?? 8,
        log,
        initContext: () => context(fn, newRequestId()),
      }),
    );
  }

  // Learn every HTTP function's route table from its bundle before taking traffic.
  const routes: CompiledRoute[] = [];
  try {
    await Promise.all(
      [...pools.values()]
        .filter((p) => p.spec.triggers.some((t) => t.kind === 'http'))
        .map(async (pool) => {
          await pool.warm().catch((e: Error) => {
            throw new Error(`${pool.spec.name}: the first instance failed to start: ${e.message}`, { cause: e });
          });
          const table = pool.routes ?? opts.routes?.[pool.spec.name];
          if (!table) throw new Error(`${pool.spec.name}: the bundle exports no route table ({method, path}[]) and none was configured`);
          const trigger = pool.spec.triggers.find((t): t is HttpTriggerSpec => t.kind === 'http')!;
          for (const r of table) routes.push({ pool, trigger, method: r.method.toUpperCase(), ...compileSegments(r.path) });
        }),
    );
  } catch (err) {
    closing = true;
    markReady();
    server.closeAllConnections();
    await Promise.all([...pools.values()].map((p) => p.close()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
  routes.sort((a, b) => b.literals - a.literals);
  markReady();

  function track<T>(p: Promise<T>): Promise<T> {
    inflight.add(p);
    void p.finally(() => inflight.delete(p)).catch(() => undefined);
    return p;
  }

  async function runAsync(fn: FunctionSpec, event: Buffer, trigger: InvocationRecord['trigger'], triggerName?: string, requestId = newRequestId()): Promise<InvocationRecord> {
    const record: InvocationRecord = {
      requestId,
      functionName: fn.name,
      trigger,
      ...(triggerName ? { triggerName } : {}),
      startedAt: new Date().toISOString(),
      status: 'queued',
      attempts: 0,
      payload: event.toString('utf8'),
    };
    remember(record);
    const pool = pools.get(fn.name)!;
    const started = Date.now();
    for (let attempt = 0; attempt <= fn.maxAsyncRetryAttempts && !closing; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, (opts.asyncRetryDelayMs ?? 1000) * 2 ** (attempt - 1)));
      if (closing) break;
      record.status = 'running';
      record.attempts = attempt + 1;
      const out = await pool.invoke(event, context(fn, requestId));
      if (out.ok) {
        record.status = 'succeeded';
        delete record.error;
        break;
      }
      record.status = 'failed';
      record.error = `${out.error.errorType}: ${out.error.errorMessage}`;
      log(fn.name, `${requestId} async attempt ${attempt + 1} failed: ${record.error}`);
    }
    if (record.status !== 'succeeded') record.status = 'failed';
    record.durationMs = Date.now() - started;
    return record;
  }

  function scheduleTimers(): void {
    const mode = opts.timers ?? 'cron';
    if (mode === 'off') return;
    const anchor = Date.now();
    for (const fn of project.functions) {
      for (const t of fn.triggers) {
        if (t.kind !== 'timer' || !t.enable) continue;
        const schedule = typeof mode === 'object' ? { kind: 'every' as const, intervalMs: mode.everyMs } : parseSchedule(t.cronExpression);
        const arm = (after: number): void => {
          const at = nextFire(schedule, after, anchor);
          if (at === undefined || closing) return;
          // setTimeout caps at ~24.8 days: wake up early and re-check.
          const delay = Math.min(at - Date.now(), 2 ** 31 - 1);
          const handle = setTimeout(() => {
            timers.delete(handle);
            if (Date.now() < at) return arm(after);
            void track(runAsync(fn, Buffer.from(timerEvent(t, at)), 'timer', t.name));
            arm(at);
          }, Math.max(0, delay));
          handle.unref?.();
          timers.add(handle);
        };
        arm(anchor);
      }
    }
  }

  async function handleInvocation(req: IncomingMessage, res: ServerResponse, path: string, functionName: string): Promise<void> {
    const requestId = newRequestId();
    if (req.method !== 'POST') return sendFcError(res, requestId, 405, 'MethodNotAllowed', 'invocations are POST');
    const async = String(req.headers['x-fc-invocation-type'] ?? '').toLowerCase() === 'async';
    const body = await readBody(req, async ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD);
    try {
      verifyFcRequest({ method: 'POST', path, headers: req.headers, body }, { accountId: opts.accountId, keys });
    } catch (err) {
      if (err instanceof AuthFailure) return sendFcError(res, requestId, err.status, err.code, err.message);
      throw err;
    }
    const pool = pools.get(functionName);
    if (!pool) return sendFcError(res, requestId, 404, 'FunctionNotFound', `function ${functionName} does not exist`);
    if (async) {
      void track(runAsync(pool.spec, body, 'async', undefined, requestId));
      res.writeHead(202, { 'x-fc-request-id': requestId });
      res.end();
      return;
    }
    const record: InvocationRecord = { requestId, functionName, trigger: 'sync', startedAt: new Date().toISOString(), status: 'running', attempts: 1 };
    remember(record);
    const started = Date.now();
    const out = await pool.invoke(body, context(pool.spec, requestId));
    record.durationMs = Date.now() - started;
    record.status = out.ok ? 'succeeded' : 'failed';
    if (!out.ok) {
      record.error = `${out.error.errorType}: ${out.error.errorMessage}`;
      return sendJson(res, 200, out.error, { 'x-fc-request-id': requestId, 'x-fc-error-type': out.kind === 'unhandled' ? 'UnhandledInvocationError' : 'FunctionExecutionError' });
    }
    writeInvocationResult(res, out.value, requestId);
  }

  function writeInvocationResult(res: ServerResponse, value: HandlerValue, requestId: string): void {
    const headers = { 'x-fc-request-id': requestId };
    if (value.kind === 'empty') res.writeHead(200, headers).end();
    else if (value.kind === 'bytes') res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream' }).end(Buffer.from(value.bytes));
    else if (value.kind === 'string') res.writeHead(200, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end(value.text);
    else res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(value.text);
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const remote = req.socket.remoteAddress ?? '';
    if (!['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(remote)) return sendJson(res, 403, { message: 'admin routes are loopback only' });
    if (req.method === 'GET' && path === '/__emulator/invocations') return sendJson(res, 200, records);
    if (req.method === 'GET' && path === '/__emulator/functions') {
      return sendJson(
        res,
        200,
        [...pools.values()].map((p) => ({ name: p.spec.name, instances: p.size, coldStarts: p.coldStarts, routes: p.routes ?? opts.routes?.[p.spec.name] ?? [], triggers: p.spec.triggers.map((t) => ({ name: t.name, kind: t.kind === 'other' ? t.type : t.kind })) })),
      );
    }
    const m = /^\/__emulator\/(timers|events)\/([^/]+)\/([^/]+)$/.exec(path);
    if (req.method === 'POST' && m) {
      const pool = pools.get(decodeURIComponent(m[2]!));
      const trigger = pool?.spec.triggers.find((t) => t.name === decodeURIComponent(m[3]!));
      if (!pool || !trigger) return sendJson(res, 404, { message: `no trigger ${m[3]} on function ${m[2]}` });
      const body = await readBody(req, MAX_ASYNC_PAYLOAD);
      if (m[1] === 'timers') {
        if (trigger.kind !== 'timer') return sendJson(res, 400, { message: `${trigger.name} is not a timer trigger` });
        const record = await runAsync(pool.spec, Buffer.from(timerEvent(trigger, Date.now())), 'timer', trigger.name);
        return sendJson(res, 200, record);
      }
      if (trigger.kind !== 'other' || trigger.type !== 'eventbridge') return sendJson(res, 400, { message: `${trigger.name} is not an eventbridge trigger` });
      try {
        JSON.parse(body.toString('utf8'));
      } catch {
        return sendJson(res, 400, { message: 'the body must be a JSON CloudEvent' });
      }
      const record = await runAsync(pool.spec, body, 'eventbridge', trigger.name);
      return sendJson(res, 200, record);
    }
    return sendJson(res, 404, { message: `no admin route ${req.method} ${path}` });
  }

  async function handleTrigger(req: IncomingMessage, res: ServerResponse, rawPath: string, query: URLSearchParams): Promise<void> {
    const requestId = newRequestId();
    const method = (req.method ?? 'GET').toUpperCase();
    const segments = rawPath.split('/').map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
    const problem = (status: number, code: string, detail: string, extra: Record<string, string> = {}): void =>
      sendJson(res, status, { type: `urn:fc-local:error:${code}`, title: code, status, code, detail, requestId }, { 'content-type': 'application/problem+json', 'x-fc-request-id': requestId, ...extra });
    const matching = routes.filter((r) => r.segments.length === segments.length && r.segments.every((s, i) => s.startsWith('{') ? segments[i] !== '' : s === segments[i]));
    if (matching.length === 0) return problem(404, 'RouteNotFound', `no function serves ${rawPath}`);
    const route = matching.find((r) => r.method === method);
    if (!route || !route.trigger.methods.includes(method)) {
      const allow = [...new Set(matching.filter((r) => r.trigger.methods.includes(r.method)).map((r) => r.method))].join(', ');
      return problem(405, 'MethodNotAllowed', `${method} is not allowed on ${rawPath}`, { allow });
    }
    const body = await readBody(req, MAX_SYNC_PAYLOAD);
    const trigger = route.trigger;
    const viaGateway = opts.httpEventFormat === 'apigateway';
    let extraHeaders: Record<string, string> = {};
    try {
      if (viaGateway) {
        // API Gateway invokes the function itself: the trigger's authentication is not on this path.
      } else if (trigger.authType === 'jwt') {
        extraHeaders = await verifyJwtTrigger((trigger.authConfig ?? {}) as unknown as JwtAuthConfig, { path: segments.join('/'), headers: req.headers, query });
      } else if (trigger.authType === 'function') {
        verifyAcs3({ method, rawPath, query, headers: req.headers, body }, keys);
      }
    } catch (err) {
      if (err instanceof AuthFailure) return problem(err.status, err.code, err.message);
      throw err;
    }
    // A claim passed as a header replaces whatever the caller sent under that name: never trust both.
    const passed = new Set(Object.keys(extraHeaders).map((k) => k.toLowerCase()));
    if (passed.size > 0) {
      const kept: string[] = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        if (!passed.has(req.rawHeaders[i]!.toLowerCase())) kept.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
      }
      req.rawHeaders.splice(0, req.rawHeaders.length, ...kept, ...Object.entries(extraHeaders).flat());
    }
    const fn = route.pool.spec;
    const event = viaGateway
      ? buildApiGatewayEvent(req, body, Object.fromEntries(route.segments.flatMap((seg, i) => (seg.startsWith('{') ? [[seg.slice(1, -1), segments[i]!]] : []))))
      : buildHttpEvent(req, body, { requestId, accountId: opts.accountId, region: fn.region, domainPrefix: fn.name });
    const record: InvocationRecord = { requestId, functionName: fn.name, trigger: 'http', triggerName: trigger.name, startedAt: new Date().toISOString(), status: 'running', attempts: 1 };
    remember(record);
    const started = Date.now();
    const out = await route.pool.invoke(Buffer.from(JSON.stringify(event)), context(fn, requestId));
    record.durationMs = Date.now() - started;
    record.status = out.ok ? 'succeeded' : 'failed';
    if (!out.ok) {
      record.error = `${out.error.errorType}: ${out.error.errorMessage}`;
      log(fn.name, `${requestId} ${record.error}`);
      return writeFunctionError(res, requestId, out.kind === 'unhandled' ? 'UnhandledInvocationError' : 'FunctionExecutionError', out.error);
    }
    try {
      writeHandlerResponse(res, out.value, requestId);
    } catch (err) {
      record.status = 'failed';
      return writeFunctionError(res, requestId, 'InvalidResponse', { errorMessage: `the handler's response could not be sent: ${(err as Error).message}`, errorType: 'InvalidResponse' });
    }
  }

  /** 200 when the functions are loaded and every configured check passes, else 503; never cached. */
  async function handleHealth(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET') return sendJson(res, 405, { message: 'GET /healthz only' }, { allow: 'GET' });
    let checks: Record<string, HealthCheck> = { functions: { ok: !closing, detail: `${pools.size} functions loaded` } };
    try {
      checks = { ...checks, ...(await opts.health?.()) };
    } catch (err) {
      checks.health = { ok: false, detail: (err as Error).message };
    }
    const ok = Object.values(checks).every((c) => c.ok);
    sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', checks }, { 'cache-control': 'no-store' });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    if (rawUrl.length > MAX_URL) throw new HttpError(414, 'URITooLong', 'path and query exceed 4 KB');
    const u = new URL(rawUrl, 'http://local');
    const q = rawUrl.indexOf('?');
    const rawPath = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
    let path: string;
    try {
      path = decodeURIComponent(u.pathname);
    } catch {
      throw new HttpError(400, 'InvalidArgument', 'the path is not valid percent-encoding');
    }
    if (path.startsWith('/__emulator/')) return handleAdmin(req, res, path);
    if (path === '/healthz') return handleHealth(req, res);
    const fc3 = /^\/2023-03-30\/functions\/([^/]+)\/invocations$/.exec(path);
    if (fc3) return handleInvocation(req, res, path, fc3[1]!);
    // FC 2.0 path: the service part is ignored (FC 3.0 functions have none).
    const fc2 = /^\/2016-08-15\/services\/[^/]+\/functions\/([^/]+)\/invocations$/.exec(path);
    if (fc2) return handleInvocation(req, res, path, fc2[1]!);
    return handleTrigger(req, res, rawPath, u.searchParams);
  }

  scheduleTimers();

  return {
    url,
    functions: project.functions,
    invocations: () => records.map((r) => ({ ...r })),
    async invoke(functionName, event) {
      const pool = pools.get(functionName);
      if (!pool) throw new Error(`function ${functionName} does not exist`);
      return pool.invoke(Buffer.from(event), context(pool.spec, newRequestId()));
    },
    async fireTimer(functionName, triggerName) {
      const pool = pools.get(functionName);
      const t = pool?.spec.triggers.find((x): x is TimerTriggerSpec => x.kind === 'timer' && x.name === triggerName);
      if (!pool || !t) throw new Error(`no timer ${triggerName} on ${functionName}`);
      return track(runAsync(pool.spec, Buffer.from(timerEvent(t, Date.now())), 'timer', t.name));
    },
    async drain() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
    async close() {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...pools.values()].map((p) => p.close()));
      await Promise.allSettled([...inflight]);
    },
  };
}
