/**
 * Raw-HTTP helpers for gateway tests: let a real SDK client sign a request against a capturing
 * listener (nothing is delivered), then send that exact request — replayed or tampered with — to an
 * emulator, keeping its signed Host header.
 */
import { type IncomingHttpHeaders, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown>;
}

/** Runs `sign` against a local listener that records the request and answers an empty success. */
export async function captureSignedRequest(sign: (endpoint: string) => Promise<unknown>): Promise<CapturedRequest> {
  let captured: CapturedRequest | undefined;
  const capture = createServer((req, res) => {
    captured = { method: req.method ?? 'POST', path: req.url ?? '/', headers: req.headers };
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"RequestId":"captured"}'));
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  try {
    await sign(`127.0.0.1:${(capture.address() as AddressInfo).port}`);
  } finally {
    capture.closeAllConnections();
    await new Promise<void>((resolve) => capture.close(() => resolve()));
  }
  if (!captured) throw new Error('nothing captured');
  return captured;
}

/** Sends a (possibly altered) captured request to `endpoint` (host:port). */
export function sendCaptured(
  endpoint: string,
  captured: CapturedRequest,
  change: { path?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const [host, port] = endpoint.split(':');
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(captured.headers)) {
    if (value !== undefined && name !== 'connection' && name !== 'content-length') headers[name] = value;
  }
  Object.assign(headers, change.headers ?? {});
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host, port: Number(port), method: captured.method, path: change.path ?? captured.path, headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(change.body ?? '');
  });
}
