// OpenAPI 3.1 document of HTTP API v1, built from the route tables and shared/http/schemas.ts, so the
// published contract is the enforced one. openapi.yaml at the repository root is this output;
// test/unit/openapi.test.ts fails when they differ. Regenerate: `npx tsx shared/http/openapi.ts`.
import { ERROR_CATALOG } from '../domain/errors.js';
import type { ErrorCode } from '../domain/errors.js';
import { pathParameterNames } from './routes.js';
import type { Route } from './routes.js';
import { PATH_PARAMETERS, QUERIES, REQUEST_BODIES, RESPONSE_SCHEMAS, IDEMPOTENCY_KEY_PATTERN } from './schemas.js';

export interface FunctionRoutes {
  /** FC function name suffix, e.g. `share` (deployed as image-share-share). */
  readonly name: string;
  readonly routes: readonly Route[];
}

const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

/** Error responses of a route, grouped by status; each lists the codes it can carry. */
function errorResponses(route: Route): Record<string, unknown> {
  const codes = new Set<ErrorCode>(['Unauthenticated', 'Forbidden', 'ValidationFailed', 'Internal']);
  if (pathParameterNames(route.path).includes('regionId') || route.query === 'ListImagesQuery') codes.add('RegionNotManaged');
  if (route.method === 'POST') codes.add('PayloadTooLarge').add('UnsupportedMediaType').add('IdempotencyKeyReused');
  codes.add('UpstreamUnavailable');
  for (const c of route.errors) codes.add(c);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) byStatus.set(ERROR_CATALOG[c].status, [...(byStatus.get(ERROR_CATALOG[c].status) ?? []), c]);
  const out: Record<string, unknown> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const list = byStatus.get(status)!.sort();
    out[String(status)] = {
      description: list.join(', '),
      ...(status === 503 ? { headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } } : {}),
      ...(status === 401 ? { headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } } } : {}),
      content: problemContent,
    };
  }
  return out;
}

function operation(fn: string, route: Route): Record<string, unknown> {
  const parameters: unknown[] = pathParameterNames(route.path).map((n) => ({ $ref: `#/components/parameters/${n}` }));
  if (route.query) {
    const q = QUERIES[route.query] as { properties: Record<string, Record<string, unknown>> };
    for (const [name, schema] of Object.entries(q.properties)) {
      const { description, ...rest } = schema;
      parameters.push({ name, in: 'query', required: false, ...(description ? { description } : {}), schema: rest });
    }
  }
  if (route.method === 'POST') parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(route.responses)) {
    responses[status] = {
      description: r.description,
      headers: { 'x-request-id': { $ref: '#/components/headers/x-request-id' } },
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${r.schema}` } } },
    };
  }
  Object.assign(responses, errorResponses(route));
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [fn],
    'x-fc-function': fn,
    'x-roles': [...route.roles],
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${route.body}` } } } } }
      : {}),
    responses,
  };
}

export function buildOpenApi(functions: readonly FunctionRoutes[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const fn of functions) {
    for (const route of fn.routes) {
      (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(fn.name, route);
    }
  }
  const sortedPaths = Object.fromEntries(Object.keys(paths).sort().map((p) => [p, paths[p]]));
  const parameters: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(PATH_PARAMETERS)) {
    const { description, example, ...rest } = schema as { description?: string; example?: unknown };
    parameters[name] = { name, in: 'path', required: true, description, ...(example !== undefined ? { example } : {}), schema: rest };
  }
  parameters.IdempotencyKey = {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'A repeat with the same principal, key and body replays the first response (header idempotent-replayed: true); the same key with another body is 422 IdempotencyKeyReused. ' +
      'A 5xx or a 409 ConcurrentModification is not kept: retry it with the same key.',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'image-share-governor',
      version: '1.0.0',
      description:
        'Governed sharing of ECS custom images: approvals, quotas, expiry, audit, drift reconciliation and guarded deletes. ' +
        'Errors are application/problem+json with type urn:image-share-governor:error:<Code>; every response carries x-request-id.',
    },
    tags: functions.map((f) => ({ name: f.name, description: `Served by the ${f.name} function` })),
    security: [{ bearer: [] }],
    paths: sortedPaths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Asymmetrically signed JWT (RS/PS/ES/EdDSA) from the configured issuer; roles in the configured claim (default roles).',
        },
      },
      parameters,
      headers: {
        'x-request-id': { description: 'The request id (FC request id)', schema: { type: 'string' } },
        'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
        'WWW-Authenticate': { description: 'Bearer challenge', schema: { type: 'string' } },
      },
      schemas: { ...REQUEST_BODIES, ...RESPONSE_SCHEMAS },
    },
  };
}

/** The YAML text of openapi.yaml. */
export async function renderOpenApiYaml(functions: readonly FunctionRoutes[]): Promise<string> {
  const { stringify } = await import('yaml');
  return `# Generated from the route tables and shared/http/schemas.ts by \`npx tsx shared/http/openapi.ts\`; do not edit.\n${stringify(buildOpenApi(functions), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** The four HTTP functions, loaded on demand (shared code does not import functions at load). */
export async function httpFunctions(): Promise<FunctionRoutes[]> {
  const [share, unshare, describe, deleteGuard] = await Promise.all([
    import('../../functions/share/routes.js'),
    import('../../functions/unshare/routes.js'),
    import('../../functions/describe/routes.js'),
    import('../../functions/delete-guard/routes.js'),
  ]);
  return [
    { name: 'share', routes: share.shareRoutes },
    { name: 'unshare', routes: unshare.unshareRoutes },
    { name: 'describe', routes: describe.describeRoutes },
    { name: 'delete-guard', routes: deleteGuard.deleteGuardRoutes },
  ];
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { writeFileSync } = await import('node:fs');
  const target = new URL('../../openapi.yaml', import.meta.url);
  writeFileSync(target, await renderOpenApiYaml(await httpFunctions()));
  process.stdout.write(`wrote ${target.pathname}\n`);
}
