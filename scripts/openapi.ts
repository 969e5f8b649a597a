// `npm run openapi`: the published contract, generated from the enforced one (the route tables of
// functions/registry.ts and the schemas of shared/http/schemas.ts):
//   - openapi.yaml            OpenAPI 3.0.3, for people and client generators;
//   - deploy/apigateway.yaml  Swagger 2.0 with API Gateway's x-aliyun-apigateway-* extensions, for
//                             its Swagger import (it imports Swagger 2.0 and OpenAPI 3.0, not 3.1).
// test/unit/openapi.test.ts fails when either committed file differs from what this renders.
//
// The schemas are JSON Schema as ajv enforces it. Each target receives only keywords it defines with
// the same meaning; a keyword without such a form stops the generator, naming where it is. The one
// translation: `type: [T, "null"]` becomes `type: T` with `nullable: true` (3.0.3) or the widespread
// `x-nullable: true` convention (2.0 has no null).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { HTTP_FUNCTIONS, type HttpFunctionEntry } from '../functions/registry.js';
import { readSpecDocument } from '../emulators/fc/spec.js';
import { ERROR_CATALOG, type ErrorCode } from '../shared/domain/errors.js';
import { pathParameterNames, type Route } from '../shared/http/routes.js';
import { CSV_EXPORT_ROWS } from '../shared/domain/limits.js';
import { CSV_TYPE, JSON_TYPE, csvColumns, representationsOf } from '../shared/http/representation.js';
import { IDEMPOTENCY_KEY_PATTERN, PATH_PARAMETERS, QUERIES, REQUEST_BODIES, RESPONSE_SCHEMAS, type JsonSchema } from '../shared/http/schemas.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const OPENAPI_FILE = resolve(ROOT, 'openapi.yaml');
export const APIGATEWAY_FILE = resolve(ROOT, 'deploy/apigateway.yaml');

type Dialect = 'openapi-3.0' | 'swagger-2.0';

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Schema keywords that mean in OpenAPI 3.0 and Swagger 2.0 what they mean to ajv. */
const PORTABLE_KEYWORDS = new Set([
  '$ref', 'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'format', 'pattern', 'default', 'description', 'example',
  'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'uniqueItems',
]);
const NULLABLE_KEYWORD: Record<Dialect, string> = { 'openapi-3.0': 'nullable', 'swagger-2.0': 'x-nullable' };
const SCHEMA_REF: Record<Dialect, string> = { 'openapi-3.0': '#/components/schemas/', 'swagger-2.0': '#/definitions/' };
const SOURCE_REF = '#/components/schemas/';

/** One schema of schemas.ts in the target's dialect. */
export function schemaFor(schema: unknown, dialect: Dialect, where: string): JsonSchema {
  if (!isRecord(schema)) throw new Error(`${where}: a schema must be an object`);
  const out: JsonSchema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (!PORTABLE_KEYWORDS.has(keyword)) throw new Error(`${where}: keyword "${keyword}" has no ${dialect} form; express the rule with portable keywords`);
    if (keyword === 'type' && Array.isArray(value)) {
      const types = value.filter((t) => t !== 'null');
      if (types.length !== 1 || value.length !== 2) throw new Error(`${where}: only [type, "null"] unions have a ${dialect} form`);
      out.type = types[0];
      out[NULLABLE_KEYWORD[dialect]] = true;
    } else if (keyword === 'properties') {
      if (!isRecord(value)) throw new Error(`${where}.properties must be an object`);
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, schemaFor(s, dialect, `${where}.${name}`)]));
    } else if (keyword === 'items' || (keyword === 'additionalProperties' && typeof value !== 'boolean')) {
      out[keyword] = schemaFor(value, dialect, `${where}.${keyword}`);
    } else if (keyword === '$ref') {
      if (typeof value !== 'string' || !value.startsWith(SOURCE_REF)) throw new Error(`${where}: $ref must point into ${SOURCE_REF}`);
      out.$ref = SCHEMA_REF[dialect] + value.slice(SOURCE_REF.length);
    } else {
      out[keyword] = value;
    }
  }
  return out;
}

const allSchemas = (dialect: Dialect): Record<string, JsonSchema> =>
  Object.fromEntries(Object.entries({ ...REQUEST_BODIES, ...RESPONSE_SCHEMAS }).map(([name, s]) => [name, schemaFor(s, dialect, name)]));

// ---- what both documents say about a route ----

interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

interface ErrorResponse {
  readonly status: number;
  readonly codes: readonly ErrorCode[];
}

const HEADERS = {
  'x-request-id': { description: 'The request id (FC request id)', schema: { type: 'string' } },
  Link: { description: 'CSV only: `<…cursor=…>; rel="next"` when rows remain beyond this answer', schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
  'WWW-Authenticate': { description: 'Bearer challenge', schema: { type: 'string' } },
} as const;
type HeaderName = keyof typeof HEADERS;

/** Headers an error status carries besides x-request-id. */
const ERROR_HEADERS: Readonly<Record<number, HeaderName>> = { 401: 'WWW-Authenticate', 503: 'Retry-After' };

const IDEMPOTENCY_KEY: Parameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'A repeat with the same principal, key and body replays the first response (header idempotent-replayed: true); the same key with another body is 422 IdempotencyKeyReused. ' +
    'A 5xx or a 409 ConcurrentModification is not kept: retry it with the same key.',
  schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
};

function pathParameter(name: string): Parameter {
  const declared = PATH_PARAMETERS[name] as (JsonSchema & { description?: string }) | undefined;
  if (!declared) throw new Error(`path parameter {${name}} is not declared in PATH_PARAMETERS`);
  const { description, ...schema } = declared;
  return { name, in: 'path', required: true, ...(description ? { description } : {}), schema };
}

function parametersOf(route: Route): Parameter[] {
  const out = pathParameterNames(route.path).map(pathParameter);
  if (route.query) {
    const { properties } = QUERIES[route.query] as { properties: Record<string, JsonSchema & { description?: string }> };
    for (const [name, { description, ...schema }] of Object.entries(properties)) {
      out.push({ name, in: 'query', required: false, ...(description ? { description } : {}), schema });
    }
  }
  if (route.method === 'POST') out.push(IDEMPOTENCY_KEY);
  return out;
}

/** The error codes a route can answer, grouped by status: its own and those the HTTP layer adds. */
function errorsOf(route: Route): ErrorResponse[] {
  const codes = new Set<ErrorCode>(['Unauthenticated', 'Forbidden', 'ValidationFailed', 'Internal', 'UpstreamUnavailable']);
  const query = route.query ? (QUERIES[route.query] as { properties: Record<string, unknown> }).properties : {};
  if (pathParameterNames(route.path).includes('regionId') || 'regionId' in query) codes.add('RegionNotManaged');
  if (representationsOf(route).length > 1) codes.add('NotAcceptable');
  if (route.method === 'POST') codes.add('PayloadTooLarge').add('UnsupportedMediaType').add('IdempotencyKeyReused');
  for (const c of route.errors) codes.add(c);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) byStatus.set(ERROR_CATALOG[c].status, [...(byStatus.get(ERROR_CATALOG[c].status) ?? []), c]);
  return [...byStatus.keys()].sort((a, b) => a - b).map((status) => ({ status, codes: byStatus.get(status)!.sort() }));
}

const INFO = {
  title: 'image-share-governor',
  version: '1.0.0',
  description:
    'Governed sharing of ECS custom images: approvals, quotas, expiry, audit, drift reconciliation and guarded deletes. ' +
    'Errors are application/problem+json with type urn:image-share-governor:error:<Code>; every response carries x-request-id.',
};
const BEARER_DESCRIPTION = 'Asymmetrically signed JWT (RS/PS/ES/EdDSA) from the configured issuer; roles in the configured claim (default roles).';

function sortedPaths(functions: readonly HttpFunctionEntry[], operation: (fn: HttpFunctionEntry, route: Route) => Record<string, unknown>): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const fn of functions) for (const route of fn.routes) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(fn, route);
  return Object.fromEntries(Object.keys(paths).sort().map((p) => [p, paths[p]]));
}

const operationBasics = (fn: HttpFunctionEntry, route: Route) => ({
  operationId: route.operationId,
  summary: route.summary,
  tags: [fn.resource],
  'x-fc-function': fn.functionName,
  'x-roles': [...route.roles],
});

/** What a CSV answer of a listing is: a header row with its item schema's properties, then one row per item. */
const csvSchema = (items: string): JsonSchema => ({
  type: 'string',
  description: `RFC 4180 CSV (text/csv; charset=utf-8), header row ${csvColumns(items).join(',')}; one row per ${items}, every page up to the limit (${CSV_EXPORT_ROWS} rows without one); Link names the rest`,
});

// ---- OpenAPI 3.0.3 ----

export function buildOpenApi(functions: readonly HttpFunctionEntry[] = HTTP_FUNCTIONS): Record<string, unknown> {
  const dialect = 'openapi-3.0';
  const problem = { 'application/problem+json': { schema: { $ref: `${SCHEMA_REF[dialect]}Problem` } } };
  const headerRef = (name: HeaderName) => ({ [name]: { $ref: `#/components/headers/${name}` } });
  const parameter = (p: Parameter) =>
    p.in === 'path' ? { $ref: `#/components/parameters/${p.name}` } : p === IDEMPOTENCY_KEY ? { $ref: '#/components/parameters/IdempotencyKey' } : inline(p);
  const inline = ({ schema: { example, ...schema }, ...p }: Parameter) => ({
    ...p,
    ...(example !== undefined ? { example } : {}),
    schema: schemaFor(schema, dialect, `parameter ${p.name}`),
  });
  const operation = (fn: HttpFunctionEntry, route: Route) => {
    const parameters = parametersOf(route).map(parameter);
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      const content: Record<string, unknown> = { [JSON_TYPE]: { schema: { $ref: `${SCHEMA_REF[dialect]}${r.schema}` } } };
      if (route.csvItems !== undefined) content[CSV_TYPE] = { schema: csvSchema(route.csvItems) };
      responses[status] = {
        description: r.description,
        headers: { ...headerRef('x-request-id'), ...(route.csvItems !== undefined ? headerRef('Link') : {}) },
        content,
      };
    }
    for (const e of errorsOf(route)) {
      const extra = ERROR_HEADERS[e.status];
      responses[String(e.status)] = { description: e.codes.join(', '), ...(extra ? { headers: headerRef(extra) } : {}), content: problem };
    }
    return {
      ...operationBasics(fn, route),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `${SCHEMA_REF[dialect]}${route.body}` } } } } } : {}),
      responses,
    };
  };
  const sharedParameters: Record<string, unknown> = Object.fromEntries(Object.keys(PATH_PARAMETERS).map((name) => [name, inline(pathParameter(name))]));
  sharedParameters.IdempotencyKey = inline(IDEMPOTENCY_KEY);
  return {
    openapi: '3.0.3',
    info: INFO,
    tags: functions.map((f) => ({ name: f.resource, description: `Served by the ${f.functionName} function` })),
    security: [{ bearer: [] }],
    paths: sortedPaths(functions, operation),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: BEARER_DESCRIPTION } },
      parameters: sharedParameters,
      headers: HEADERS,
      schemas: allSchemas(dialect),
    },
  };
}

// ---- Swagger 2.0 for API Gateway ----

/** Where each function's HTTP trigger is and how long it may take: filled in from a deployment. */
export interface GatewayBackends {
  /** The region the functions run in (FC_REGION_ID). */
  readonly regionId: string;
  /** resource → HTTP trigger URL. */
  readonly triggerUrls: Readonly<Record<string, string>>;
}

/** The environment variable that carries a function's trigger URL, e.g. SHARE_TRIGGER_URL, DELETE_GUARD_TRIGGER_URL. */
export const triggerUrlVariable = (resource: string): string => `${resource.toUpperCase().replace(/-/g, '_')}_TRIGGER_URL`;
export const REGION_VARIABLE = 'FC_REGION_ID';

/** The committed file names the deployment values as `${VARIABLE}` placeholders (envsubst or `npm run apigateway` fill them). */
export const PLACEHOLDER_BACKENDS: GatewayBackends = {
  regionId: `\${${REGION_VARIABLE}}`,
  triggerUrls: Object.fromEntries(HTTP_FUNCTIONS.map((f) => [f.resource, `\${${triggerUrlVariable(f.resource)}}`])),
};

/** Swagger 2.0 parameters carry their schema keywords inline; `example` becomes `x-example`. */
function swaggerParameter({ schema, ...p }: Parameter): Record<string, unknown> {
  const { example, ...rest } = schemaFor(schema, 'swagger-2.0', `parameter ${p.name}`);
  const type = rest.type ?? (Array.isArray(rest.enum) && rest.enum.every((v) => typeof v === 'string') ? 'string' : undefined);
  if (type === undefined) throw new Error(`parameter ${p.name}: Swagger 2.0 needs a type`);
  return { ...p, ...rest, type, ...(example !== undefined ? { 'x-example': example } : {}) };
}

/** Each function's timeout in s.yaml, in ms: API Gateway should wait as long as the function may run. */
function backendTimeoutsMs(): Record<string, number> {
  const doc = readSpecDocument(resolve(ROOT, 's.yaml')) as { resources?: Record<string, { props?: { timeout?: unknown } }> };
  const out: Record<string, number> = {};
  for (const fn of HTTP_FUNCTIONS) {
    const timeout = doc.resources?.[fn.resource]?.props?.timeout;
    if (typeof timeout !== 'number') throw new Error(`s.yaml: resources.${fn.resource}.props.timeout must be a number of seconds`);
    out[fn.resource] = timeout * 1000;
  }
  return out;
}

export function buildApiGateway(backends: GatewayBackends = PLACEHOLDER_BACKENDS, functions: readonly HttpFunctionEntry[] = HTTP_FUNCTIONS): Record<string, unknown> {
  const dialect = 'swagger-2.0';
  const timeouts = backendTimeoutsMs();
  const header = (name: HeaderName) => {
    const { description, schema } = HEADERS[name];
    return { [name]: { description, ...schema } };
  };
  const operation = (fn: HttpFunctionEntry, route: Route) => {
    const triggerUrl = backends.triggerUrls[fn.resource];
    if (!triggerUrl) throw new Error(`no HTTP trigger URL for ${fn.resource}`);
    const parameters = parametersOf(route).map(swaggerParameter);
    if (route.body) parameters.push({ name: 'body', in: 'body', required: true, schema: { $ref: `${SCHEMA_REF[dialect]}${route.body}` } });
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      responses[status] = {
        description: route.csvItems === undefined ? r.description : `${r.description}. ${CSV_TYPE}: ${csvSchema(route.csvItems).description}`,
        headers: { ...header('x-request-id'), ...(route.csvItems !== undefined ? header('Link') : {}) },
        schema: { $ref: `${SCHEMA_REF[dialect]}${r.schema}` },
      };
    }
    for (const e of errorsOf(route)) {
      const extra = ERROR_HEADERS[e.status];
      responses[String(e.status)] = {
        description: e.codes.join(', '),
        headers: { ...header('x-request-id'), ...(extra ? header(extra) : {}) },
        schema: { $ref: `${SCHEMA_REF[dialect]}Problem` },
      };
    }
    return {
      ...operationBasics(fn, route),
      ...(route.body ? { consumes: ['application/json'] } : {}),
      produces: [...representationsOf(route), 'application/problem+json'],
      parameters,
      responses,
      // The function verifies the JWT (issuer, audience, signature, roles): the gateway lets every caller through.
      'x-aliyun-apigateway-auth-type': 'ANONYMOUS',
      // Headers (Authorization, Idempotency-Key), query and body reach the function as sent; it validates them.
      'x-aliyun-apigateway-paramater-handling': 'PASSTHROUGH',
      'x-aliyun-apigateway-request-config': { requestProtocol: 'HTTPS' },
      'x-aliyun-apigateway-backend': {
        type: 'FC',
        fcType: 'HttpTrigger',
        fcVersion: '3.0',
        fcRegionId: backends.regionId,
        fcBaseUrl: triggerUrl,
        // API Gateway writes path parameters as [name].
        path: route.path.replace(/\{([A-Za-z]+)\}/g, '[$1]'),
        method: route.method,
        timeout: timeouts[fn.resource],
      },
    };
  };
  return {
    swagger: '2.0',
    info: INFO,
    basePath: '/',
    schemes: ['https'],
    tags: functions.map((f) => ({ name: f.resource, description: `Served by the ${f.functionName} function` })),
    securityDefinitions: { bearer: { type: 'apiKey', in: 'header', name: 'Authorization', description: `Bearer <JWT>. ${BEARER_DESCRIPTION}` } },
    security: [{ bearer: [] }],
    paths: sortedPaths(functions, operation),
    definitions: allSchemas(dialect),
  };
}

// ---- files ----

const banner = (what: string): string => `# Generated from the route tables and shared/http/schemas.ts by \`npm run openapi\`; do not edit.\n${what}`;
const toYaml = (doc: unknown): string => stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });

export const renderOpenApiYaml = (): string => banner('') + toYaml(buildOpenApi());
export const renderApiGatewayYaml = (): string =>
  banner(
    `# Swagger 2.0 for API Gateway's Swagger import. \${...} are the deployment's values: fill them with\n` +
      '# `npm run apigateway` (or envsubst); deploy/README.md explains each extension.\n',
  ) + toYaml(buildApiGateway());

/** The generated files, path → text. */
export const GENERATED_FILES: Readonly<Record<string, () => string>> = { [OPENAPI_FILE]: renderOpenApiYaml, [APIGATEWAY_FILE]: renderApiGatewayYaml };

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [file, render] of Object.entries(GENERATED_FILES)) {
    const text = render();
    const before = (() => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    })();
    if (before !== text) writeFileSync(file, text);
    process.stdout.write(`${before === text ? 'current' : 'wrote  '} ${file}\n`);
  }
}
