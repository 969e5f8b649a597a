// The event an HTTP-served function receives, built from a Node request: FC 3.0's HTTP trigger event,
// or the event API Gateway hands an event function; and the handler's answer written back (the same
// {statusCode, headers, body, isBase64Encoded} object in both wirings).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface FcHttpEvent {
  version: 'v1';
  rawPath: string;
  body: string;
  isBase64Encoded: boolean;
  headers: Record<string, string>;
  queryParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    time: string;
    timeEpoch: string;
  };
}

/** FC request ids look like `1-64f6cd87-15d9c4b0-8f3c5a1e2b7d`. */
export function newRequestId(now = Date.now()): string {
  return `1-${Math.floor(now / 1000).toString(16)}-${randomBytes(4).toString('hex')}-${randomBytes(6).toString('hex')}`;
}

/** `content-type` → `Content-Type`, `x-request-id` → `X-Request-Id`: the case FC delivers. */
export function canonicalHeaderName(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : p))
    .join('-');
}

const TEXTUAL = /^(text\/|application\/(json|[a-z0-9.+-]+\+json|x-www-form-urlencoded|xml|[a-z0-9.+-]+\+xml|javascript|problem\+json))/i;

/** Text bodies travel as UTF-8 strings; anything else (or unknown) as base64, like FC. */
export function isTextual(contentType: string | undefined, body: Buffer): boolean {
  if (body.length === 0) return true;
  if (!contentType) return false;
  return TEXTUAL.test(contentType.trim());
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** How a request reaches an HTTP-served function: through its HTTP trigger, or from API Gateway as an event function. */
export type HttpEventFormat = 'http-trigger' | 'apigateway';

/** The request's headers (canonical case, repeats joined with commas), query (decoded, repeats joined) and raw path. */
function requestParts(req: IncomingMessage): { rawPath: string; headers: Record<string, string>; query: Record<string, string> } {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const headers: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = canonicalHeaderName(raw[i]!);
    headers[name] = name in headers ? `${headers[name]},${raw[i + 1]!}` : raw[i + 1]!;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(q >= 0 ? rawUrl.slice(q + 1) : '')) query[k] = k in query ? `${query[k]},${v}` : v;
  return { rawPath: q >= 0 ? rawUrl.slice(0, q) : rawUrl, headers, query };
}

/** The body as FC and API Gateway carry it: UTF-8 text for textual types, else base64. */
function bodyParts(req: IncomingMessage, body: Buffer): { body: string; isBase64Encoded: boolean } {
  const textual = isTextual(req.headers['content-type'], body);
  return { body: textual ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !textual };
}

/** The event API Gateway hands an FC event function (its documented JSON event). */
export interface ApiGatewayEvent {
  path: string;
  httpMethod: string;
  headers: Record<string, string>;
  queryParameters: Record<string, string>;
  pathParameters: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

export function buildApiGatewayEvent(req: IncomingMessage, body: Buffer, pathParameters: Record<string, string>): ApiGatewayEvent {
  const { rawPath, headers, query } = requestParts(req);
  return { path: rawPath, httpMethod: (req.method ?? 'GET').toUpperCase(), headers, queryParameters: query, pathParameters, ...bodyParts(req, body) };
}

export function buildHttpEvent(
  req: IncomingMessage,
  body: Buffer,
  opts: { requestId: string; accountId: string; region: string; domainPrefix: string; now?: number },
): FcHttpEvent {
  const now = opts.now ?? Date.now();
  const { rawPath, headers, query } = requestParts(req);
  const hostHeader = req.headers.host ?? '127.0.0.1';
  return {
    version: 'v1',
    rawPath,
    ...bodyParts(req, body),
    headers,
    ...(Object.keys(query).length > 0 ? { queryParameters: query } : {}),
    requestContext: {
      accountId: opts.accountId,
      domainName: hostHeader,
      domainPrefix: opts.domainPrefix,
      http: {
        method: (req.method ?? 'GET').toUpperCase(),
        path: safeDecode(rawPath),
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: opts.requestId,
      time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timeEpoch: String(now),
    },
  };
}

export type HandlerValue =
  | { kind: 'empty' }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'string'; text: string }
  | { kind: 'json'; text: string };

/**
 * Writes what an HTTP-triggered handler returned. `{statusCode, headers, body, isBase64Encoded}`
 * is used as is; any other value is sent as a 200 body (objects as JSON), which is what FC does
 * with a bare return value.
 */
export function writeHandlerResponse(res: ServerResponse, value: HandlerValue, requestId: string): void {
  res.setHeader('x-fc-request-id', requestId);
  if (value.kind === 'empty') {
    res.statusCode = 200;
    res.end();
    return;
  }
  if (value.kind === 'bytes') {
    res.statusCode = 200;
    res.setHeader('content-type', 'application/octet-stream');
    res.end(Buffer.from(value.bytes));
    return;
  }
  if (value.kind === 'string') {
    res.statusCode = 200;
    res.end(value.text);
    return;
  }
  const parsed = JSON.parse(value.text) as unknown;
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'statusCode' in parsed) {
    const r = parsed as { statusCode: unknown; headers?: Record<string, unknown>; body?: unknown; isBase64Encoded?: unknown };
    const status = Number(r.statusCode);
    res.statusCode = Number.isInteger(status) && status >= 100 && status <= 599 ? status : 502;
    for (const [k, v] of Object.entries(r.headers ?? {})) {
      if (v === undefined || v === null) continue;
      res.setHeader(k, Array.isArray(v) ? v.map(String) : String(v));
    }
    const body = r.body;
    if (body === undefined || body === null) res.end();
    else if (typeof body === 'string') res.end(r.isBase64Encoded === true ? Buffer.from(body, 'base64') : body);
    else {
      if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    }
    return;
  }
  res.statusCode = 200;
  res.setHeader('content-type', 'application/json');
  res.end(value.text);
}

/** FC's answer when the function failed (unhandled error, timeout, crash) on an HTTP trigger. */
export function writeFunctionError(res: ServerResponse, requestId: string, errorType: string, error: { errorMessage: string; errorType: string }): void {
  res.statusCode = 502;
  res.setHeader('x-fc-request-id', requestId);
  res.setHeader('x-fc-error-type', errorType);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ errorMessage: error.errorMessage, errorType: error.errorType }));
}
