/**
 * The HTTP plumbing every emulator shares: the server front (admin routes for loopback callers, the
 * API for everything else, a crash answered 500 and written to stderr), listening on a port and naming
 * the endpoint, closing despite SDK keep-alive connections, and reading a bounded body.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdminResponse } from './admin.js';

export interface EmulatorFront {
  /** Names the emulator in the line an unexpected failure writes to stderr. */
  readonly service: string;
  /** `/__emulator/...` for a loopback caller, with the whole body. */
  admin(method: string, pathname: string, body: Buffer): AdminResponse;
  /** Every other request; `url` is undefined when the request target does not parse. */
  api(request: IncomingMessage, response: ServerResponse, url: URL | undefined): Promise<void>;
}

const MAX_ADMIN_BODY_BYTES = 1024 * 1024;

async function serveAdmin(front: EmulatorFront, request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
  const send = (status: number, body?: unknown) => {
    if (body === undefined) response.writeHead(status).end();
    else response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (!isLoopback(request.socket.remoteAddress)) {
    send(403, { error: 'admin routes answer loopback callers only' });
    return;
  }
  const { body, tooLarge } = await readBody(request, MAX_ADMIN_BODY_BYTES);
  if (tooLarge) {
    send(400, { error: 'request body too large' });
    return;
  }
  const result = front.admin(request.method ?? 'GET', pathname, body);
  send(result.status, result.body);
}

export function createEmulatorServer(front: EmulatorFront): Server {
  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    let url: URL | undefined;
    try {
      url = new URL(request.url ?? '/', 'http://emulator.local');
    } catch {
      // A request target the URL parser refuses (e.g. `http://[`): no such API, not a crash.
      url = undefined;
    }
    if (url && (url.pathname === '/__emulator' || url.pathname.startsWith('/__emulator/'))) await serveAdmin(front, request, response, url.pathname);
    else await front.api(request, response, url);
  };
  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      process.stderr.write(`${JSON.stringify({ level: 'error', msg: `${front.service} emulator failure`, error: String(error) })}\n`);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'internal emulator error' }));
    });
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

/** Admin routes answer these callers only: 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4 === '::1' || v4.startsWith('127.');
}

/** Listens on `host:port` (port 0 picks a free one); resolves with `host:port` as clients should dial it. */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `${shownHost}:${bound}`;
}

/** A close() for the emulator's handle: idempotent, and not held open by clients' idle keep-alive connections. */
export function closer(server: Server): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
    return closing;
  };
}

/** The whole body, or `tooLarge` (having read and dropped the rest, so the answer can still be sent). */
export async function readBody(request: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) tooLarge = true;
    else chunks.push(buffer);
  }
  return { body: Buffer.concat(chunks), tooLarge };
}
