// The FC 3.0 HTTP handler shared by the share, unshare, describe and delete-guard functions:
// event → route → auth → roles → params/query/body validation → representation (Accept) →
// idempotency → use case → response.
// A public route (the console's static files, GET under /console only) is served right after routing.
// It never throws: every failure becomes a problem document, and every response carries x-request-id.
// Exactly one JSON log line per request (no Authorization header, token or body in it): what the
// domain logs while serving it rides on that line as `notes`, and raises its level. The audit events
// the request recorded are handed to the dispatcher before it answers, for at most the budget.
import { createHash, randomUUID } from 'node:crypto';
import { GovernorError, StoreError, isGovernorError } from '../domain/errors.js';
import type { AuditEvent, IdempotencyRecord, Principal } from '../domain/model.js';
import { checkManagedRegion } from '../domain/policy.js';
import { collectingRecorded } from '../events/recorded.js';
import { collectingDomainLogs } from '../runtime.js';
import type { Runtime } from '../runtime.js';
import { AuthError, createAuthenticator } from './auth.js';
import type { Authenticator } from './auth.js';
import { BadEventError, parseHttpEvent } from './event.js';
import { describeCause, jsonResponse, problemResponse, baseHeaders, toGovernorError } from './problem.js';
import { checkedRoute, isPublicRoute, pathParameterNames } from './routes.js';
import type { AnyRoute, Route, RouteInput } from './routes.js';
import { CSV_TYPE, csvListing, negotiate } from './representation.js';
import { IDEMPOTENCY_KEY_PATTERN, MAX_BODY_BYTES, QUERIES } from './schemas.js';
import { pointerToken, validateBody, validateParam, validateQuery } from './validation.js';
import type { FieldError } from './validation.js';
import type { FcContext, HttpRequest, HttpResponse } from './types.js';

export type FcHttpHandler = (event: unknown, context?: FcContext | null) => Promise<HttpResponse>;

interface CompiledRoute {
  readonly route: AnyRoute;
  readonly segments: readonly string[];
}

const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

const validationFailed = (errors: FieldError[], detail = 'The request is not valid'): GovernorError =>
  new GovernorError('ValidationFailed', detail, { details: { errors } });

function match(compiled: readonly CompiledRoute[], req: HttpRequest): { route: AnyRoute; params: Record<string, string> } | { allow: string[] } | null {
  const allow: string[] = [];
  for (const c of compiled) {
    if (c.segments.length !== req.segments.length) continue;
    const params: Record<string, string> = {};
    const hit = c.segments.every((s, i) => {
      const actual = req.segments[i]!;
      if (s.startsWith('{')) {
        params[s.slice(1, -1)] = actual;
        return actual !== '';
      }
      return s === actual;
    });
    if (!hit) continue;
    if (c.route.method === req.method) return { route: c.route, params };
    if (!allow.includes(c.route.method)) allow.push(c.route.method);
  }
  return allow.length ? { allow } : null;
}

/** Canonical JSON (sorted keys) so a re-sent body with reordered keys is still "the same body". */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** FC puts the request id in the context; the event carries it too (used when a caller passes no context). */
function eventRequestId(event: unknown): string | undefined {
  try {
    const e = (Buffer.isBuffer(event) ? JSON.parse(event.toString('utf8')) : event) as { requestContext?: { requestId?: unknown } } | null;
    const id = e?.requestContext?.requestId;
    return typeof id === 'string' && id !== '' ? id.slice(0, 128) : undefined;
  } catch {
    return undefined;
  }
}

/** The stored response under this request's id; the log line says it was a replay, and of which error. */
function replay(record: IdempotencyRecord, requestId: string, log: Record<string, unknown>): HttpResponse {
  log.idempotentReplay = true;
  if (record.statusCode >= 400) {
    try {
      log.code = (JSON.parse(record.body) as { code?: unknown }).code;
    } catch {
      // a record this service did not write: the status still says enough
    }
  }
  return {
    statusCode: record.statusCode,
    headers: { ...baseHeaders(requestId, record.statusCode >= 400 ? 'application/problem+json' : 'application/json'), 'idempotent-replayed': 'true' },
    body: record.body,
    isBase64Encoded: false,
  };
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The domain names a refused field by its pointer into the use case's input (`/reason`, `/imageId`,
 * `/cursor`); the client is told where in the request it sent it (`/body/reason`, `/path/imageId`,
 * `/query/cursor`), as the schema checks tell it, whichever layer refuses.
 */
function locatedInRequest(route: Route, err: unknown): unknown {
  if (!isGovernorError(err, 'ValidationFailed') || !Array.isArray(err.details.errors)) return err;
  const params = pathParameterNames(route.path);
  const queryFields = route.query ? Object.keys(QUERIES[route.query].properties) : [];
  const locate = (pointer: string): string => {
    const field = (pointer.split('/')[1] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
    if (params.includes(field)) return `/path${pointer}`;
    if (queryFields.includes(field)) return `/query${pointer}`;
    return route.body ? `/body${pointer}` : pointer;
  };
  const errors = (err.details.errors as FieldError[]).map((e) => ({ ...e, path: locate(e.path) }));
  const first = (err.details.errors as FieldError[])[0];
  const detail = first && err.message.startsWith(`${first.path}: `) ? `${locate(first.path)}${err.message.slice(first.path.length)}` : err.message;
  return new GovernorError('ValidationFailed', detail, { details: { ...err.details, errors }, cause: err });
}

function parseJsonBody(req: HttpRequest, hasSchema: boolean): unknown {
  if (req.body.length > MAX_BODY_BYTES) {
    throw new GovernorError('PayloadTooLarge', `The body is ${req.body.length} bytes; at most ${MAX_BODY_BYTES} are accepted`, {
      details: { limit: MAX_BODY_BYTES },
    });
  }
  let text: string;
  try {
    text = strictUtf8.decode(req.body);
  } catch {
    // Replacing the bad bytes with U+FFFD would store something the client never sent.
    throw validationFailed([{ path: '/body', message: 'must be UTF-8' }], 'The body is not valid UTF-8');
  }
  if (!hasSchema) {
    if (text.trim() !== '') throw validationFailed([{ path: '/body', message: 'must be empty' }]);
    return {};
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== '' && type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw new GovernorError('UnsupportedMediaType', `Content-Type ${type} is not accepted; send application/json`);
  }
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw validationFailed([{ path: '/body', message: 'must be valid JSON' }], 'The body is not valid JSON');
  }
}

export interface HttpHandlerOptions {
  /** Builds (once) the per-instance runtime; a throw becomes a 500 for this request and is retried on the next. */
  readonly runtime: () => Runtime;
  /** Where the request's log line goes when there is no runtime (hence no logger) to write it: default stderr. */
  readonly fallbackLog?: (line: string) => void;
}

const writeToStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function createHttpHandler(routes: readonly AnyRoute[], opts: HttpHandlerOptions): FcHttpHandler {
  const compiled: CompiledRoute[] = routes.map(checkedRoute).map((route) => ({ route, segments: route.path.split('/').slice(1) }));
  const fallbackLog = opts.fallbackLog ?? writeToStderr;
  const authenticators = new WeakMap<Runtime, Authenticator>();
  const authenticatorFor = (rt: Runtime): Authenticator => {
    let a = authenticators.get(rt);
    if (!a) authenticators.set(rt, (a = createAuthenticator(rt.config.auth)));
    return a;
  };

  return async function handler(event, maybeContext) {
    const started = performance.now();
    const context: FcContext = maybeContext ?? {};
    const requestId = context.requestId || eventRequestId(event) || randomUUID();
    const log: Record<string, unknown> = { msg: 'request', requestId };
    let runtime: Runtime | undefined;
    let response: HttpResponse;
    let cause: unknown;
    const notes: Record<string, unknown>[] = [];
    const recorded: AuditEvent[] = [];
    try {
      const rt = (runtime = opts.runtime());
      rt.credentials.update(context.credentials);
      response = await collectingDomainLogs(notes, () => collectingRecorded(recorded, () => serve(rt, event, requestId, log)));
    } catch (err) {
      const ge = err instanceof BadEventError ? new GovernorError('ValidationFailed', 'The event is not an HTTP request') : toGovernorError(err);
      if (ge.status >= 500) cause = err;
      if (err instanceof AuthError) log.authFailure = err.reason;
      response = problemResponse(ge, requestId);
      if (ge.code === 'Unauthenticated') {
        response.headers['www-authenticate'] =
          err instanceof AuthError && err.reason !== 'missing' ? 'Bearer realm="image-share-governor", error="invalid_token"' : 'Bearer realm="image-share-governor"';
      }
      if (ge.code === 'MethodNotAllowed') response.headers.allow = String(ge.details.allow ?? '');
      log.code = ge.code;
    }
    // Whatever the outcome, the events the request recorded go out now; the response waits at most the budget.
    if (runtime && recorded.length > 0) {
      log.events = recorded.length;
      await runtime.events.afterRequest(recorded);
    }
    log.status = response.statusCode;
    log.latencyMs = Math.round((performance.now() - started) * 10) / 10;
    log.outcome = response.statusCode < 400 ? 'ok' : response.statusCode < 500 ? 'rejected' : 'failed';
    if (notes.length) log.notes = notes;
    try {
      if (runtime) {
        const level = response.statusCode >= 500 || notes.some((n) => n.level === 'error') ? 'error' : notes.some((n) => n.level === 'warn') ? 'warn' : 'info';
        runtime.logger[level](response.statusCode >= 500 ? { ...log, ...describeCause(cause) } : log);
      } else {
        fallbackLog(JSON.stringify({ level: 'error', time: new Date().toISOString(), ...log, ...describeCause(cause) }));
      }
    } catch {
      // logging must never turn a response into a crash
    }
    return response;
  };

  async function serve(rt: Runtime, event: unknown, requestId: string, log: Record<string, unknown>): Promise<HttpResponse> {
    const req = parseHttpEvent(event);
    log.method = req.method;
    const found = match(compiled, req);
    if (!found) throw new GovernorError('NotFound', `No route for ${req.method} ${req.path}`);
    if ('allow' in found) {
      throw new GovernorError('MethodNotAllowed', `${req.method} is not allowed; use ${found.allow.join(', ')}`, { details: { allow: found.allow.join(', ') } });
    }
    const { route, params } = found;
    log.route = `${route.method} ${route.path}`;
    // The only way past authentication: a public route, which checkedRoute keeps to the console's GETs.
    if (isPublicRoute(route)) return route.serve({ params, headers: req.headers, requestId, config: rt.config });

    const principal: Principal = await authenticatorFor(rt).authenticate(req.headers.authorization);
    log.principal = principal.id;
    if (!principal.roles.some((r) => route.roles.includes(r))) {
      throw new GovernorError('Forbidden', `This operation needs one of the roles: ${route.roles.join(', ')}`);
    }

    const paramErrors = pathParameterNames(route.path).flatMap((n) => validateParam(n, params[n]!));
    if (paramErrors.length) throw validationFailed(paramErrors);

    let query: Record<string, unknown> = {};
    if (route.query) {
      const q = validateQuery(route.query, req.query);
      if (!q.ok) throw validationFailed(q.errors);
      query = q.value;
    } else if (Object.keys(req.query).length) {
      throw validationFailed(Object.keys(req.query).map((k) => ({ path: `/query/${pointerToken(k.toWellFormed())}`, message: 'is not allowed' })));
    }
    // A region, in the path or as a filter, must be one this service manages (checked once, here).
    const regionId = params.regionId ?? (typeof query.regionId === 'string' ? query.regionId : undefined);
    if (regionId !== undefined) checkManagedRegion(rt.config.policy, regionId);

    const raw = req.method === 'GET' ? {} : parseJsonBody(req, route.body !== undefined);
    let body: Record<string, unknown> = {};
    if (route.body) {
      const b = validateBody(route.body, raw);
      if (!b.ok) throw validationFailed(b.errors);
      body = b.value;
    }

    const representation = negotiate(route, req.headers.accept);
    const input: RouteInput = { ctx: { principal, requestId }, governor: rt.governor, params, query, body };
    const useCase = async (requestKey?: string): Promise<HttpResponse> => {
      try {
        if (representation.type === CSV_TYPE) return await csvListing(route, input, req, requestId, representation.headers);
        const result = await route.handle({ ...input, ...(requestKey !== undefined ? { requestKey } : {}) });
        return jsonResponse(result.status, result.body, requestId, representation.headers);
      } catch (err) {
        throw locatedInRequest(route, err);
      }
    };
    const key = req.method === 'POST' ? req.headers['idempotency-key'] : undefined;
    if (key === undefined) return useCase();

    if (!IDEMPOTENCY_KEY.test(key)) {
      throw validationFailed([{ path: '/header/idempotency-key', message: `must match pattern "${IDEMPOTENCY_KEY_PATTERN}"` }]);
    }
    const fingerprint = sha256(`${req.method} ${req.path}\n${canonical(body)}`);
    const now = rt.clock.now();
    const previous = await rt.store.getIdempotency(principal.id, key, now);
    if (previous) {
      if (previous.fingerprint !== fingerprint) {
        throw new GovernorError('IdempotencyKeyReused', 'This Idempotency-Key was already used with a different request');
      }
      return replay(previous, requestId, log);
    }

    const requestKey = sha256(`${principal.id}\n${key}`).slice(0, 40);
    let response: HttpResponse;
    try {
      response = await useCase(requestKey);
    } catch (err) {
      const ge = toGovernorError(err);
      // A 5xx or a ConcurrentModification asks the client to retry: stored, it would answer every
      // retry with this key "retry" until the record expires. Only final outcomes are kept.
      if (ge.status >= 500 || ge.code === 'ConcurrentModification') throw err;
      response = problemResponse(ge, requestId);
      log.code = ge.code;
    }
    try {
      const expires = new Date(now.getTime() + rt.config.idempotencyTtlHours * 3_600_000);
      await rt.store.putIdempotency({
        principal: principal.id,
        key,
        fingerprint,
        statusCode: response.statusCode,
        body: response.body,
        createdAt: now.toISOString(),
        expiresAt: expires.toISOString(),
      });
    } catch (err) {
      // A concurrent twin stored its outcome first: answer with that one, so both callers see the same.
      if (err instanceof StoreError && err.kind === 'AlreadyExists') {
        const winner = await rt.store.getIdempotency(principal.id, key, now).catch(() => null);
        if (winner && winner.fingerprint === fingerprint) {
          return replay(winner, requestId, log);
        }
      }
      // Otherwise the outcome stands; a lost record only means a retry runs the (idempotent) use case again.
      log.idempotencyRecord = 'not-stored';
      log.idempotencyError = err instanceof Error ? err.name : 'unknown';
    }
    return response;
  }
}
