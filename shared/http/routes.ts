// What a route declares: method + path pattern, roles, schemas, documented responses and errors,
// and the one use case it calls. Route tables live beside each function (functions/<name>/routes.ts),
// are listed in functions/registry.ts, and drive both the handler and the published contract.
// Public routes (the console's static files) are the describe function's own, outside that contract.
import type { Config } from '../config.js';
import type { ErrorCode } from '../domain/errors.js';
import type { Role } from '../domain/model.js';
import type { Ctx, Governor } from '../domain/governor.js';
import type { QueryName, RequestBodyName } from './schemas.js';
import type { HttpResponse } from './types.js';

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

/** Where the only routes served without a token live: the console's page, settings and files. */
export const PUBLIC_PATH = '/console';

export interface PublicRouteInput {
  readonly params: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly requestId: string;
  readonly config: Config;
}

/**
 * A route anyone may GET without a token: one of the console's static files. `public: true` marks it,
 * so the published API (openapi.yaml) leaves it out; the handler refuses to be built with one that is
 * not a GET under PUBLIC_PATH, so an API route cannot become public by a slip.
 */
export interface PublicRoute {
  readonly public: true;
  readonly method: 'GET';
  readonly path: string;
  serve(input: PublicRouteInput): Promise<HttpResponse>;
}

/** What a function's route table may hold: API routes, and (the describe function only) public ones. */
export type AnyRoute = Route | PublicRoute;

export const isPublicRoute = (route: AnyRoute): route is PublicRoute => 'public' in route;

/** The route as given, once it is an API route or a public route that keeps to the rules above. */
export function checkedRoute(route: AnyRoute): AnyRoute {
  if (!isPublicRoute(route)) return route;
  const underPublicPath = route.path === PUBLIC_PATH || route.path.startsWith(`${PUBLIC_PATH}/`);
  if (route.public !== true || route.method !== 'GET' || !underPublicPath || route.path.split('/').includes('..') || 'roles' in route) {
    throw new Error(`${route.method} ${route.path} cannot be public: only GET routes under ${PUBLIC_PATH}, marked public: true and without roles, are served without a token`);
  }
  return route;
}
