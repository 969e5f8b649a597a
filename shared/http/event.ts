// FC 3.0 HTTP event → HttpRequest. FC gives the event as a Buffer of JSON; header names arrive in
// canonical case, repeats comma-joined; `rawPath` is URL-encoded while requestContext.http.path is
// decoded, so segments are split on the raw form first and decoded one by one.
import type { FcHttpEvent, HttpRequest } from './types.js';

export class BadEventError extends Error {
  override name = 'BadEventError';
}

function toEvent(event: unknown): FcHttpEvent {
  const parsed: unknown =
    Buffer.isBuffer(event) || event instanceof Uint8Array ? JSON.parse(Buffer.from(event).toString('utf8')) : typeof event === 'string' ? JSON.parse(event) : event;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadEventError('event is not an HTTP trigger event');
  return parsed as FcHttpEvent;
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
  let e: FcHttpEvent;
  try {
    e = toEvent(event);
  } catch (err) {
    if (err instanceof BadEventError) throw err;
    throw new BadEventError('event is not JSON');
  }
  const method = String(e.requestContext?.http?.method ?? '').toUpperCase();
  const path = typeof e.rawPath === 'string' && e.rawPath !== '' ? e.rawPath : encodeURI(e.requestContext?.http?.path ?? '');
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
    query: stringMap(e.queryParameters, false),
    body,
  };
}
