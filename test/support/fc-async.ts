// A tiny stand-in for FC 3.0's InvokeFunction endpoint, for tests of the reconciler's fan-out and
// continuation: it checks the request the way FC does (fc2's `FC <AK>:<signature>` over method,
// Content-MD5, Content-Type, Date, x-fc-* headers and the path; the body's MD5), records every
// invocation, answers 202, and then dispatches the payload to a handler as FC would, asynchronously.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FcInvocation {
  readonly functionName: string;
  readonly invocationType: string;
  readonly accessKeyId: string;
  readonly securityToken?: string;
  readonly payload: unknown;
  readonly requestId: string;
}

export interface FcAsyncServer {
  /** `http://127.0.0.1:P`, the form fc2 wants (scheme included). */
  readonly endpoint: string;
  readonly invocations: FcInvocation[];
  /** Requests refused, with the reason (signature, MD5, path...). */
  readonly rejected: { reason: string; path: string }[];
  /** Resolves once every dispatched invocation, and any it triggered, has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface FcAsyncOptions {
  /** AccessKey id → secret accepted by the endpoint. */
  readonly accessKeys: Readonly<Record<string, string>>;
  /** Runs one async invocation (the function under test). Errors are recorded, not rethrown. */
  readonly dispatch?: (invocation: FcInvocation) => Promise<unknown>;
  /** Per-invocation outcome log. */
  readonly onDispatched?: (invocation: FcInvocation, outcome: { error?: unknown }) => void;
}

const INVOKE_PATH = /^\/2023-03-30\/functions\/([^/]+)\/invocations$/;

function stringToSign(req: IncomingMessage, path: string): string {
  const header = (name: string): string => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(',') : (v ?? '');
  };
  const fcHeaders = Object.keys(req.headers)
    .map((k) => k.toLowerCase())
    .filter((k) => k.startsWith('x-fc-'))
    .sort()
    .map((k) => `${k}:${header(k)}\n`)
    .join('');
  return `${req.method}\n${header('content-md5')}\n${header('content-type')}\n${header('date')}\n${fcHeaders}${path}`;
}

export async function startFcAsync(options: FcAsyncOptions): Promise<FcAsyncServer> {
  const invocations: FcInvocation[] = [];
  const rejected: { reason: string; path: string }[] = [];
  const inFlight = new Set<Promise<void>>();

  const fail = (res: ServerResponse, status: number, code: string, message: string, path: string): void => {
    rejected.push({ reason: `${code}: ${message}`, path });
    res.writeHead(status, { 'content-type': 'application/json', 'x-fc-request-id': randomUUID() });
    res.end(JSON.stringify({ ErrorCode: code, ErrorMessage: message }));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '').split('?')[0] ?? '';
      const match = INVOKE_PATH.exec(path);
      if (req.method !== 'POST' || !match) return fail(res, 404, 'PathNotSupported', `no route for ${req.method} ${path}`, path);

      const auth = /^FC ([^:]+):(.+)$/.exec(String(req.headers.authorization ?? ''));
      const secret = auth ? options.accessKeys[auth[1] as string] : undefined;
      if (!auth || secret === undefined) return fail(res, 403, 'InvalidAccessKeyID', 'unknown or missing AccessKey', path);
      const expected = createHmac('sha256', secret).update(stringToSign(req, path), 'utf8').digest('base64');
      const given = Buffer.from(auth[2] as string);
      if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
        return fail(res, 403, 'SignatureNotMatch', 'signature does not match', path);
      }
      const dateMs = Date.parse(String(req.headers.date ?? ''));
      if (!Number.isFinite(dateMs) || Math.abs(Date.now() - dateMs) > 15 * 60_000) {
        return fail(res, 403, 'RequestTimeTooSkewed', 'Date header missing or skewed', path);
      }
      // fc2 sends base64(hex(md5(body))).
      const md5 = Buffer.from(createHash('md5').update(body).digest('hex'), 'utf8').toString('base64');
      if (body.length > 0 && req.headers['content-md5'] !== md5) return fail(res, 400, 'InvalidArgument', 'Content-MD5 mismatch', path);
      if (body.length > 128 * 1024) return fail(res, 413, 'EntityTooLarge', 'async payload over 128 KB', path);
      const invocationType = String(req.headers['x-fc-invocation-type'] ?? 'Sync');
      if (invocationType !== 'Async') return fail(res, 400, 'InvalidArgument', 'only Async invocations are served here', path);

      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch {
        payload = body.toString('utf8');
      }
      const token = req.headers['x-fc-security-token'];
      const invocation: FcInvocation = {
        functionName: decodeURIComponent(match[1] as string),
        invocationType,
        accessKeyId: auth[1] as string,
        ...(typeof token === 'string' ? { securityToken: token } : {}),
        payload,
        requestId: randomUUID(),
      };
      invocations.push(invocation);
      // FC answers an accepted async invocation with 202 and an empty body.
      res.writeHead(202, { 'x-fc-request-id': invocation.requestId });
      res.end('');

      if (options.dispatch) {
        const dispatch = options.dispatch;
        const run: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
          .then(() => dispatch(invocation))
          .then(
            () => options.onDispatched?.(invocation, {}),
            (error: unknown) => options.onDispatched?.(invocation, { error }),
          )
          .finally(() => inFlight.delete(run));
        inFlight.add(run);
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    rejected,
    async idle() {
      // Dispatched invocations may dispatch more (continuations): wait until none is left.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
