// What a route declares: method + path pattern, roles, schemas, documented responses and errors,
// and the one use case it calls. Route tables live beside each function (functions/<name>/routes.ts),
// are listed in functions/registry.ts, and drive both the handler and the published contract.
import type { ErrorCode } from '../domain/errors.js';
import type { Role } from '../domain/model.js';
import type { Ctx, Governor } from '../domain/governor.js';
import type { QueryName, RequestBodyName } from './schemas.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface RouteInput {
  readonly ctx: Ctx;
  readonly governor: Governor;
  readonly params: Readonly<Record<string, string>>;
  /** Validated query, typed by its schema (defaults are applied by the route, not the validator). */
  readonly query: Readonly<Record<string, unknown>>;
  /** Validated body ({} for routes without one). */
  readonly body: Readonly<Record<string, unknown>>;
  /** hash(principal, Idempotency-Key) when the caller sent one: lets a use case resume a retried request. */
  readonly requestKey?: string;
}

export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
}

export interface Route {
  readonly operationId: string;
  readonly summary: string;
  readonly method: HttpMethod;
  /** e.g. `/v1/images/{regionId}/{imageId}/share-requests`; parameters are named in PATH_PARAMETERS. */
  readonly path: string;
  readonly roles: readonly Role[];
  readonly query?: QueryName;
  readonly body?: RequestBodyName;
  /** Success statuses → response schema name (RESPONSE_SCHEMAS) and description. */
  readonly responses: Readonly<Record<number, { readonly schema: string; readonly description: string }>>;
  /**
   * A listing that also answers CSV (`Accept: text/csv`): the response schema of its items, whose
   * properties are the columns (shared/http/representation.ts).
   */
  readonly csvItems?: string;
  /** Error codes this route can answer besides the generic ones (401, 403, 400, 404 region, 5xx). */
  readonly errors: readonly ErrorCode[];
  handle(input: RouteInput): Promise<RouteResult>;
}

export const ALL_ROLES: readonly Role[] = ['requester', 'approver', 'admin', 'auditor'];

export const pathParameterNames = (path: string): string[] => [...path.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1]!);

/** Reads the page limit a validated query carries, or the default. */
export const pageLimit = (q: Readonly<Record<string, unknown>>, fallback: number): number => (typeof q.limit === 'number' ? q.limit : fallback);
export const optionalString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
