// The one mapper from errors to application/problem+json. 4xx bodies carry the message and the
// error's details; 5xx bodies are generic (the cause goes to the log line, never to the client).
import { ERROR_CATALOG, GovernorError, StoreError } from '../domain/errors.js';
import type { ErrorCode } from '../domain/errors.js';
import type { HttpResponse } from './types.js';

const PROBLEM_TYPE_PREFIX = 'urn:image-share-governor:error:';
const RESERVED = new Set(['type', 'title', 'status', 'code', 'detail', 'requestId']);

/** Headers every response carries. */
export function baseHeaders(requestId: string, contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'x-request-id': requestId,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
}

export function jsonResponse(status: number, body: unknown, requestId: string, extra: Record<string, string> = {}): HttpResponse {
  return {
    statusCode: status,
    headers: { ...baseHeaders(requestId, 'application/json'), ...extra },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** Turns anything thrown into a GovernorError; StoreErrors that escaped the domain become retryable outcomes. */
export function toGovernorError(err: unknown): GovernorError {
  if (err instanceof GovernorError) return err;
  if (err instanceof StoreError) {
    switch (err.kind) {
      case 'ConditionFailed':
      case 'AlreadyExists':
        return new GovernorError('ConcurrentModification', undefined, { cause: err });
      case 'NotFound':
        return new GovernorError('NotFound', undefined, { cause: err });
      case 'Busy':
      case 'Unavailable':
        return new GovernorError('UpstreamUnavailable', undefined, { cause: err, retryAfter: 1 });
    }
  }
  return new GovernorError('Internal', undefined, { cause: err });
}

export function problemResponse(err: GovernorError, requestId: string): HttpResponse {
  const code: ErrorCode = err.code;
  const status = err.status;
  const body: Record<string, unknown> = {
    type: PROBLEM_TYPE_PREFIX + code,
    title: ERROR_CATALOG[code].title,
    status,
    code,
  };
  if (status < 500) {
    body.detail = err.message;
    for (const [k, v] of Object.entries(err.details)) if (!RESERVED.has(k)) body[k] = v;
  }
  body.requestId = requestId;
  const headers = baseHeaders(requestId, 'application/problem+json');
  if (status === 503) headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfter ?? 1)));
  else if (err.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfter)));
  return { statusCode: status, headers, body: JSON.stringify(body), isBase64Encoded: false };
}

/** A short, secret-free description of a cause for the log line. */
export function describeCause(err: unknown): Record<string, unknown> {
  const chain: Record<string, unknown>[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 3 && cur; i++) {
    if (cur instanceof Error) {
      const code = (cur as { code?: unknown }).code;
      chain.push({ name: cur.name, message: cur.message.slice(0, 500), ...(typeof code === 'string' ? { code } : {}) });
      cur = cur.cause;
    } else {
      chain.push({ value: String(cur).slice(0, 200) });
      cur = undefined;
    }
  }
  return { cause: chain };
}
