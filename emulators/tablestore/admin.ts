// Admin routes (unsigned, loopback only): faults, state, call log, reset. Inputs are ajv-validated.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { isLoopback } from '../common/http.js';
import type { FaultRegistry, FaultSpec } from './faults.js';
import { OPERATION_NAMES } from './registry.js';
import type { CallRecord } from './server.js';
import { visibleRow, type Store } from './store.js';

const require = createRequire(import.meta.url);
// ajv is CommonJS; normalise its export once here.
const AjvModule = require('ajv') as { default?: new (o: object) => AjvInstance } & (new (o: object) => AjvInstance);
const AjvCtor = (AjvModule.default ?? AjvModule) as new (o: object) => AjvInstance;

interface ValidateFn {
  (data: unknown): boolean;
  errors?: Array<{ instancePath: string; message?: string }> | null;
}
interface AjvInstance {
  compile(schema: object): ValidateFn;
}

const ajv = new AjvCtor({ allErrors: true, strict: true, strictRequired: false });

const validateFault = ajv.compile({
  type: 'object',
  additionalProperties: false,
  properties: {
    operation: { type: 'string', enum: OPERATION_NAMES },
    table: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,254}$' },
    code: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9.]{0,99}$' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    message: { type: 'string', maxLength: 1000 },
    probability: { type: 'number', minimum: 0, maximum: 1 },
    count: { type: 'integer', minimum: 1 },
    latencyMs: { type: 'integer', minimum: 0, maximum: 600000 },
  },
  anyOf: [{ required: ['code'] }, { required: ['latencyMs'] }],
});

const validateEmpty = ajv.compile({ type: 'object', additionalProperties: false, properties: {} });

export interface AdminDeps {
  store: Store;
  faults: FaultRegistry;
  calls: CallRecord[];
  now: () => Date;
  reset: () => void;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) return { ok: false, message: 'request body too large' };
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, message: 'request body is not valid JSON' };
  }
}

function describeErrors(v: ValidateFn): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}`).join('; ');
}

export async function handleAdmin(deps: AdminDeps, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (!isLoopback(req.socket.remoteAddress)) {
    sendJson(res, 403, { message: 'admin routes are only available from the loopback interface' });
    return;
  }
  const route = `${req.method} ${path}`;
  switch (route) {
    case 'POST /__emulator/faults': {
      const body = await readJson(req);
      if (!body.ok) return sendJson(res, 400, { message: body.message });
      if (!validateFault(body.value)) return sendJson(res, 400, { message: `invalid fault: ${describeErrors(validateFault)}` });
      const id = deps.faults.add(body.value as FaultSpec);
      return sendJson(res, 201, { id });
    }
    case 'DELETE /__emulator/faults':
      await readJson(req);
      deps.faults.clear();
      return sendJson(res, 200, {});
    case 'GET /__emulator/state': {
      await readJson(req);
      const nowMs = deps.now().getTime();
      const tables = [...deps.store.tables.values()]
        .sort((a, b) => (a.meta.name < b.meta.name ? -1 : 1))
        .map((t) => ({ name: t.meta.name, rows: t.ordered.filter((r) => visibleRow(t.meta, r, nowMs)).length }));
      return sendJson(res, 200, { tables });
    }
    case 'GET /__emulator/calls':
      await readJson(req);
      return sendJson(res, 200, deps.calls);
    case 'POST /__emulator/reset': {
      const body = await readJson(req);
      if (!body.ok) return sendJson(res, 400, { message: body.message });
      if (!validateEmpty(body.value)) return sendJson(res, 400, { message: `invalid reset: ${describeErrors(validateEmpty)}` });
      deps.reset();
      return sendJson(res, 200, {});
    }
    default:
      await readJson(req);
      return sendJson(res, 404, { message: `no admin route ${route}` });
  }
}
