// HTTP front of the emulator: `POST /<Operation>` with protobuf bodies, request authentication
// exactly as the service checks it, signed responses, fault injection, and the admin routes.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../common/http.js';
import { handleAdmin, type AdminDeps } from './admin.js';
import { errors, OtsError } from './errors.js';
import type { FaultRegistry } from './faults.js';
import type { Pacing } from './pacing.js';
import type { Operation, OperationContext } from './operation.js';
import { OPERATIONS } from './registry.js';
import { encodeError, encodeMessage, messageType } from './protocol.js';
import type { Store } from './store.js';

export const API_VERSION = '2015-12-31';
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const MAX_CALLS = 10_000;

export interface CallRecord {
  operation: string;
  table: string | null;
  status: number;
  code: string | null;
}

export interface ServerDeps {
  store: Store;
  faults: FaultRegistry;
  calls: CallRecord[];
  instance: string;
  accessKeyId: string;
  accessKeySecret: string;
  now: () => Date;
  requestClock: () => Date;
  pacing: Pacing;
  reset: () => void;
}

function hmacSha1(secret: string, text: string): string {
  return createHmac('sha1', secret).update(text, 'utf8').digest('base64');
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The string the SDK signs: "/<Op>\nPOST\n\n" + sorted "name:value" of every x-ots-* header but the signature, + "\n". */
export function requestStringToSign(path: string, method: string, headers: Record<string, string>): string {
  const canonical = Object.keys(headers)
    .map((k) => k.toLowerCase())
    .filter((k) => k.startsWith('x-ots-') && k !== 'x-ots-signature')
    .sort()
    .map((k) => `${k}:${headers[k]}`)
    .join('\n');
  return `${path}\n${method}\n\n${canonical}\n`;
}

/** Response signature as the official Python SDK verifies it: sorted x-ots-* headers, "\n", then the path. */
export function responseStringToSign(path: string, headers: Record<string, string>): string {
  const canonical = Object.keys(headers)
    .filter((k) => k.startsWith('x-ots-') && k !== 'x-ots-signature')
    .sort()
    .map((k) => `${k}:${headers[k]!.trim()}`)
    .join('\n');
  return `${canonical}\n${path}`;
}

function serviceDate(now: Date): string {
  // The service sends whole seconds with a literal .000Z (the Python SDK parses exactly that form).
  return `${now.toISOString().slice(0, 19)}.000Z`;
}

function sameText(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function authenticate(deps: ServerDeps, req: IncomingMessage, path: string, body: Buffer): void {
  const xots: Record<string, string> = {};
  for (const name of Object.keys(req.headers)) {
    if (name.startsWith('x-ots-')) xots[name] = headerValue(req, name) ?? '';
  }
  // Messages and statuses follow the service's own error-message tests.
  if (xots['x-ots-apiversion'] === undefined) throw errors.authFailed("Missing header: 'x-ots-apiversion'.");
  if (xots['x-ots-apiversion'] !== API_VERSION) throw errors.authFailed(`Unsupported API version: '${xots['x-ots-apiversion']}'.`);
  const required = ['x-ots-date', 'x-ots-contentmd5', 'x-ots-signature', 'x-ots-accesskeyid', 'x-ots-instancename'];
  for (const h of required) if (xots[h] === undefined) throw errors.missingHeader(h);
  const sentDate = xots['x-ots-date']!;
  const date = Date.parse(sentDate);
  if (Number.isNaN(date)) throw errors.parameterInvalid(`Invalid date format: ${sentDate}.`);
  if (xots['x-ots-accesskeyid'] !== deps.accessKeyId) throw errors.authFailed('The AccessKeyID does not exist.');
  if (xots['x-ots-instancename'] !== deps.instance) throw errors.authFailed('The instance is not found.');
  const expected = hmacSha1(deps.accessKeySecret, requestStringToSign(path, 'POST', xots));
  if (!sameText(expected, xots['x-ots-signature']!)) throw errors.authFailed('Signature mismatch.');
  if (Math.abs(deps.requestClock().getTime() - date) > MAX_CLOCK_SKEW_MS) {
    throw errors.authFailed(`Mismatch between system time and x-ots-date: ${sentDate}.`);
  }
  const md5 = createHash('md5').update(body).digest('base64');
  if (!sameText(md5, xots['x-ots-contentmd5']!)) {
    throw errors.authFailed('Mismatch between MD5 value of request body and x-ots-contentmd5 in header.');
  }
}

function sendProtocol(deps: ServerDeps, res: ServerResponse, path: string, status: number, body: Buffer): void {
  const headers: Record<string, string> = {
    'x-ots-contentmd5': createHash('md5').update(body).digest('base64'),
    'x-ots-contenttype': 'protocol buffer',
    'x-ots-date': serviceDate(deps.requestClock()),
    'x-ots-requestid': randomUUID(),
  };
  const signature = hmacSha1(deps.accessKeySecret, responseStringToSign(path, headers));
  res.writeHead(status, {
    ...headers,
    authorization: `OTS ${deps.accessKeyId}:${signature}`,
    'content-type': 'application/x-protobuf',
    'content-length': String(body.length),
  });
  res.end(body);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function decodeRequest(op: Operation, body: Buffer): any {
  try {
    return messageType(op.requestType).decode(body);
  } catch {
    throw errors.parameterInvalid('Failed to parse the ProtoBuf message.');
  }
}

export function createRequestHandler(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const ctx: OperationContext = { store: deps.store, nowMs: () => deps.now().getTime() };
  const admin: AdminDeps = deps;

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/__emulator/')) {
      handleAdmin(admin, req, res, path).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'internal error' }));
      });
      return;
    }
    const opName = path.replace(/^\/+/, '');
    let table: string | null = null;
    const record = (status: number, code: string | null) => {
      deps.calls.push({ operation: opName, table, status, code });
      // bounded, so a long-running local stack does not grow without limit
      if (deps.calls.length > MAX_CALLS) deps.calls.splice(0, deps.calls.length - MAX_CALLS);
    };

    void (async () => {
      let received: { body: Buffer; tooLarge: boolean };
      try {
        received = await readBody(req, MAX_BODY_BYTES);
      } catch {
        // the client went away mid-request: nobody to answer
        res.destroy();
        return;
      }
      try {
        const { body, tooLarge } = received;
        if (req.method !== 'POST') throw errors.methodNotAllowed();
        if (tooLarge) throw errors.bodyTooLarge();
        authenticate(deps, req, path, body);
        const op = Object.prototype.hasOwnProperty.call(OPERATIONS, opName) ? OPERATIONS[opName] : undefined;
        if (!op) throw errors.unsupportedOperation(opName);
        const request = decodeRequest(op, body);
        table = op.tableOf(request) ?? null;
        const fault = deps.faults.draw(op.name, op.tablesOf?.(request) ?? (table ? [table] : []));
        if (fault.latencyMs > 0) await sleep(fault.latencyMs);
        if (fault.error) throw fault.error;
        // From here to the reply nothing awaits: each row's check and write happen in one turn.
        deps.pacing.admit(op, request, table);
        const response = op.handle(request, ctx);
        deps.pacing.settled(op, table);
        const out = encodeMessage(op.responseType, response);
        record(200, null);
        sendProtocol(deps, res, path, 200, out);
      } catch (e) {
        const err = e instanceof OtsError ? e : errors.internal();
        if (!(e instanceof OtsError)) process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'tablestore emulator failure', error: String((e as Error)?.stack ?? e) })}\n`);
        record(err.status, err.code);
        if (!res.headersSent) sendProtocol(deps, res, path, err.status, encodeError(err.code, err.message));
        else res.end();
      }
    })();
  };
}
