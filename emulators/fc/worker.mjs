// One function instance of the local FC runtime. Runs in its own worker thread with its own
// process.env (the function's environmentVariables plus FC's own variables) and its own module
// state, loads the deployed bundle once, runs the initializer once, then serves one invocation at a
// time, as an FC 3.0 built-in runtime instance does. Plain JavaScript so it runs without a loader.
import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const { codeFile, handlerExport, initializerExport, functionMeta } = workerData;

function makeLogger(requestId) {
  const line = (level) => (...args) => {
    const text = args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' ');
    process.stdout.write(`${new Date().toISOString()} ${requestId} [${level}] ${text}\n`);
  };
  return { debug: line('DEBUG'), info: line('INFO'), log: line('INFO'), warn: line('WARN'), error: line('ERROR') };
}

function safeJson(v) {
  if (v instanceof Error) return v.stack ?? v.message;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function makeContext(c) {
  return {
    requestId: c.requestId,
    credentials: { ...c.credentials },
    function: { ...functionMeta },
    region: c.region,
    accountId: c.accountId,
    logger: makeLogger(c.requestId),
  };
}

function serializeError(err) {
  if (err instanceof Error) return { errorMessage: err.message, errorType: err.name || 'Error', stackTrace: (err.stack ?? '').split('\n').slice(1).map((s) => s.trim()) };
  return { errorMessage: String(err), errorType: 'Error', stackTrace: [] };
}

/** Sends the return value across the thread boundary without losing Buffers. */
function serializeValue(v) {
  if (v === undefined || v === null) return { kind: 'empty' };
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { kind: 'bytes', bytes: new Uint8Array(v) };
  if (typeof v === 'string') return { kind: 'string', text: v };
  return { kind: 'json', text: JSON.stringify(v) };
}

/** FC also accepts callback-style handlers `(event, context, callback)`. */
function call(fn, args) {
  if (fn.length > args.length) {
    return new Promise((resolve, reject) => {
      const maybe = fn(...args, (err, value) => (err ? reject(err) : resolve(value)));
      if (maybe && typeof maybe.then === 'function') maybe.then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => fn(...args));
}

/** A route table is any exported array of { method, path } (e.g. `routes`). */
function findRoutes(mod) {
  const candidates = [mod.routes, ...Object.values(mod)];
  for (const c of candidates) {
    if (Array.isArray(c) && c.length > 0 && c.every((r) => r && typeof r.method === 'string' && typeof r.path === 'string')) {
      return c.map((r) => ({ method: r.method, path: r.path }));
    }
  }
  return undefined;
}

let mod;
async function load() {
  try {
    mod = createRequire(import.meta.url)(codeFile);
  } catch (err) {
    if (err && (err.code === 'ERR_REQUIRE_ESM' || err.code === 'ERR_REQUIRE_ASYNC_MODULE')) mod = await import(pathToFileURL(codeFile).href);
    else throw err;
  }
  if (typeof mod[handlerExport] !== 'function') throw new Error(`${codeFile} does not export a function named "${handlerExport}"`);
  if (initializerExport && typeof mod[initializerExport] !== 'function') throw new Error(`${codeFile} does not export the initializer "${initializerExport}"`);
}

parentPort.on('message', async (msg) => {
  if (msg.type === 'load') {
    try {
      await load();
      parentPort.postMessage({ type: 'loaded', routes: findRoutes(mod) });
    } catch (err) {
      parentPort.postMessage({ type: 'loaded', error: serializeError(err) });
    }
    return;
  }
  if (msg.type === 'initialize') {
    try {
      await call(mod[initializerExport], [makeContext(msg.context)]);
      parentPort.postMessage({ type: 'initialized', id: msg.id });
    } catch (err) {
      parentPort.postMessage({ type: 'initialized', id: msg.id, error: serializeError(err) });
    }
    return;
  }
  if (msg.type === 'invoke') {
    try {
      const value = await call(mod[handlerExport], [Buffer.from(msg.event), makeContext(msg.context)]);
      parentPort.postMessage({ type: 'result', id: msg.id, value: serializeValue(value) });
    } catch (err) {
      parentPort.postMessage({ type: 'result', id: msg.id, error: serializeError(err) });
    }
  }
});
