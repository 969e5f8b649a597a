// The event FC hands the handler → HttpRequest. Two wirings deliver a request:
//   - an HTTP trigger (or API Gateway forwarding to it): the FC 3.0 HTTP event. Header names arrive
//     in canonical case, repeats comma-joined; `rawPath` is URL-encoded while requestContext.http.path
//     is decoded, so segments are split on the raw form first and decoded one by one;
//   - API Gateway calling the function as an event function: its own JSON event, `path`,
//     `httpMethod`, `headers`, `queryParameters`, `pathParameters`, `body`, `isBase64Encoded`.
// FC gives either as a Buffer of JSON. The route table matches the path, so pathParameters are not
// read; the answer is the same response object for both.
import type { ApiGatewayEvent, FcHttpEvent, HttpRequest } from './types.js';

export class BadEventError extends Error {
  override name = 'BadEventError';
}

/** Either event shape, as parsed JSON: every member optional until checked. */
type RawEvent = Omit<FcHttpEvent, 'isBase64Encoded'> & ApiGatewayEvent;

function toEvent(event: unknown): RawEvent {
  const parsed: unknown =
    Buffer.isBuffer(event) || event instanceof Uint8Array ? JSON.parse(Buffer.from(event).toString('utf8')) : typeof event === 'string' ? JSON.parse(event) : event;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadEventError('event is not an HTTP trigger event');
  return parsed as RawEvent;
}

/** The parts both event shapes carry, in the HTTP trigger's terms. */
interface Envelope {
  readonly method: string;
  /** Percent-encoded path. */
  readonly path: string;
  readonly headers: unknown;
  readonly query: unknown;
  readonly body: unknown;
  readonly isBase64Encoded: boolean;
}

/** API Gateway's event function event has `httpMethod` and `path`; an HTTP trigger event has neither. */
const isApiGatewayEvent = (e: RawEvent): boolean => typeof e.httpMethod === 'string' && typeof e.path === 'string' && e.rawPath === undefined;

function envelope(e: RawEvent): Envelope {
  if (isApiGatewayEvent(e)) {
    return {
      method: e.httpMethod!,
      path: e.path!,
      headers: e.headers,
      query: e.queryParameters,
      body: e.body,
      isBase64Encoded: e.isBase64Encoded === true || e.isBase64Encoded === 'true',
    };
  }
  return {
    method: String(e.requestContext?.http?.method ?? ''),
    path: typeof e.rawPath === 'string' && e.rawPath !== '' ? e.rawPath : encodeURI(e.requestContext?.http?.path ?? ''),
    headers: e.headers,
    query: e.queryParameters,
    body: e.body,
    isBase64Encoded: e.isBase64Encoded === true,
  };
}

function stringMap(input: unknown, lowerKeys: boolean): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!input || typeof input !== 'object') return out;
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    const key = lowerKeys ? k.toLowerCase() : k;
    const value = Array.isArray(v) ? v.map(String).join(',') : v === undefined || v === null ? '' : String(v);
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return out;
}

/** Splits and decodes a path; a malformed escape throws (the caller answers 404). */
function pathSegments(rawPath: string): string[] {
  const trimmed = rawPath.split('?')[0] ?? '';
  return trimmed
    .split('/')
    .slice(1)
    .map((s) => decodeURIComponent(s));
}

export function parseHttpEvent(event: unknown): HttpRequest {
  let e: Envelope;
  try {
    e = envelope(toEvent(event));
  } catch (err) {
    if (err instanceof BadEventError) throw err;
    throw new BadEventError('event is not JSON');
  }
  const method = e.method.toUpperCase();
  const path = e.path;
  if (!method || !path.startsWith('/')) throw new BadEventError('event has no method or path');
  let segments: string[];
  try {
    segments = pathSegments(path);
  } catch {
    segments = ['\u0000malformed'];
  }
  const raw = typeof e.body === 'string' ? e.body : '';
  // A text body is UTF-8 on the wire, so it cannot hold a lone surrogate; one in the event would be
  // replaced with U+FFFD on the way to bytes, silently changing what the client sent.
  if (!e.isBase64Encoded && !raw.isWellFormed()) throw new BadEventError('event body is not well-formed text');
  const body = e.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  return {
    method,
    segments,
    path: path.split('?')[0] ?? path,
    headers: stringMap(e.headers, true),
    query: stringMap(e.query, false),
    body,
  };
}
