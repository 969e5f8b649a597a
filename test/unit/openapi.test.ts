// The published contract: openapi.yaml (OpenAPI 3.0.3) and deploy/apigateway.yaml (Swagger 2.0 for
// API Gateway) are what the route tables and schemas generate, valid for their version, and say what
// the functions enforce.
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HTTP_FUNCTIONS } from '../../functions/registry.js';
import { readSpecDocument } from '../../emulators/fc/spec.js';
import { APIGATEWAY_FILE, GENERATED_FILES, OPENAPI_FILE, PLACEHOLDER_BACKENDS, buildApiGateway, schemaFor } from '../../scripts/openapi.js';
import { ERROR_CATALOG } from '../../shared/domain/errors.js';
import { PATH_PARAMETERS, QUERIES, REQUEST_BODIES } from '../../shared/http/schemas.js';
import { validateBody } from '../../shared/http/validation.js';

interface Operation {
  operationId: string;
  parameters?: Record<string, unknown>[];
  requestBody?: { content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, { description: string; schema?: unknown }>;
  'x-roles': string[];
  [extension: string]: unknown;
}
type Paths = Record<string, Record<string, Operation>>;
interface OpenApiDoc {
  openapi: string;
  paths: Paths;
  components: { schemas: Record<string, unknown>; parameters: Record<string, { schema: unknown }> };
}
interface SwaggerDoc {
  swagger: string;
  paths: Paths;
  definitions: Record<string, unknown>;
}

const text = (file: string): string => readFileSync(file, 'utf8');
const openapi = parse(text(OPENAPI_FILE)) as OpenApiDoc;
const gateway = parse(text(APIGATEWAY_FILE)) as SwaggerDoc;
const ROUTES = HTTP_FUNCTIONS.flatMap((f) => f.routes.map((route) => ({ fn: f, route })));
const operationsOf = (paths: Paths) =>
  Object.entries(paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId} ${op['x-roles'].join(',')}`)).sort();

describe('generated contract files', () => {
  it.each(Object.keys(GENERATED_FILES))('%s is what the route tables and schemas generate (regenerate with `npm run openapi`)', (file) => {
    expect(text(file)).toBe(GENERATED_FILES[file]!());
  });

  it('openapi.yaml is valid OpenAPI 3.0.3 and deploy/apigateway.yaml valid Swagger 2.0 (swagger-parser)', async () => {
    // Act: validate() checks each document against its version's official schema, then resolves every $ref
    const [a, b] = await Promise.all([SwaggerParser.validate(structuredClone(openapi) as never), SwaggerParser.validate(structuredClone(gateway) as never)]);
    // Assess
    expect((a as { openapi?: string }).openapi).toBe('3.0.3');
    expect((b as { swagger?: string }).swagger).toBe('2.0');
  });

  it('the validator refuses what API Gateway refused: a 3.1 union type labelled 3.0.3', async () => {
    const doc = structuredClone(openapi) as unknown as { components: { schemas: { DeletionState: { properties: { lastError: unknown } } } } };
    doc.components.schemas.DeletionState.properties.lastError = { type: ['string', 'null'] };
    await expect(SwaggerParser.validate(doc as never)).rejects.toThrow(/lastError\/type must be string/);
  });

  it('both declare every route of the registry with its method and roles, and nothing else', () => {
    const fromRoutes = ROUTES.map(({ route: r }) => `${r.method} ${r.path} ${r.operationId} ${r.roles.join(',')}`).sort();
    expect(operationsOf(openapi.paths)).toEqual(fromRoutes);
    expect(operationsOf(gateway.paths)).toEqual(fromRoutes);
    expect(fromRoutes).toHaveLength(17);
  });

  it('embeds for each route the very body schema the function validates with', () => {
    for (const { route } of ROUTES) {
      const op3 = openapi.paths[route.path]![route.method.toLowerCase()]!;
      const op2 = gateway.paths[route.path]![route.method.toLowerCase()]!;
      const body2 = op2.parameters?.find((p) => p.in === 'body');
      if (!route.body) {
        expect(op3.requestBody).toBeUndefined();
        expect(body2).toBeUndefined();
        continue;
      }
      expect(op3.requestBody!.content['application/json']!.schema.$ref).toBe(`#/components/schemas/${route.body}`);
      expect(body2).toEqual({ name: 'body', in: 'body', required: true, schema: { $ref: `#/definitions/${route.body}` } });
      expect(openapi.components.schemas[route.body]).toEqual(REQUEST_BODIES[route.body]);
      expect(gateway.definitions[route.body]).toEqual(REQUEST_BODIES[route.body]);
    }
  });

  it('embeds the path parameter and query schemas the functions validate with', () => {
    for (const [name, schema] of Object.entries(PATH_PARAMETERS)) {
      const { description, example, ...rest } = schema as Record<string, unknown>;
      expect(openapi.components.parameters[name]).toEqual({ name, in: 'path', required: true, description, example, schema: rest });
    }
    for (const { route } of ROUTES.filter(({ route: r }) => r.query)) {
      const props = (QUERIES[route.query!] as { properties: Record<string, Record<string, unknown>> }).properties;
      const params3 = (openapi.paths[route.path]![route.method.toLowerCase()]!.parameters ?? []).filter((p) => p.in === 'query');
      const params2 = (gateway.paths[route.path]![route.method.toLowerCase()]!.parameters ?? []).filter((p) => p.in === 'query');
      expect(params3.map((p) => p.name).sort()).toEqual(Object.keys(props).sort());
      expect(params2.map((p) => p.name).sort()).toEqual(Object.keys(props).sort());
      for (const [k, { description, example, ...rest }] of Object.entries(props)) {
        expect(params3.find((p) => p.name === k)).toEqual({ name: k, in: 'query', required: false, ...(description ? { description } : {}), ...(example ? { example } : {}), schema: rest });
        // Swagger 2.0 parameters carry the keywords inline; a bare enum of strings is a string.
        expect(params2.find((p) => p.name === k)).toEqual({
          name: k,
          in: 'query',
          required: false,
          ...(description ? { description } : {}),
          ...(example ? { 'x-example': example } : {}),
          type: 'string',
          ...rest,
        });
      }
    }
  });

  it("documents every route's declared error codes with the catalog's statuses, as problem+json", () => {
    for (const { route } of ROUTES) {
      for (const doc of [openapi, gateway]) {
        const responses = doc.paths[route.path]![route.method.toLowerCase()]!.responses;
        for (const code of [...route.errors, 'Unauthenticated', 'Forbidden', 'ValidationFailed'] as const) {
          expect(responses[String(ERROR_CATALOG[code].status)]?.description.split(', ')).toContain(code);
        }
        for (const status of Object.keys(route.responses)) expect(responses[status]).toBeDefined();
      }
      const unauthenticated = gateway.paths[route.path]![route.method.toLowerCase()]!.responses['401']!;
      expect(unauthenticated.schema).toEqual({ $ref: '#/definitions/Problem' });
    }
  });

  it('carries an example for each request body that the validator accepts', () => {
    for (const [name, schema] of Object.entries(REQUEST_BODIES)) {
      expect(validateBody(name as keyof typeof REQUEST_BODIES, structuredClone(schema.example))).toEqual({ ok: true, value: schema.example });
    }
  });
});

describe('deploy/apigateway.yaml API Gateway extensions', () => {
  const timeouts = (readSpecDocument(new URL('../../s.yaml', import.meta.url).pathname) as { resources: Record<string, { props: { timeout: number } }> }).resources;

  it('lets every caller through to an FC 3.0 HTTP-trigger backend of the function that serves the route', () => {
    for (const { fn, route } of ROUTES) {
      const op = gateway.paths[route.path]![route.method.toLowerCase()]!;
      expect(op['x-aliyun-apigateway-auth-type']).toBe('ANONYMOUS');
      expect(op['x-aliyun-apigateway-paramater-handling']).toBe('PASSTHROUGH');
      expect(op['x-aliyun-apigateway-request-config']).toEqual({ requestProtocol: 'HTTPS' });
      expect(op['x-aliyun-apigateway-backend']).toEqual({
        type: 'FC',
        fcType: 'HttpTrigger',
        fcVersion: '3.0',
        fcRegionId: '${FC_REGION_ID}',
        fcBaseUrl: PLACEHOLDER_BACKENDS.triggerUrls[fn.resource],
        path: route.path.replaceAll('{', '[').replaceAll('}', ']'),
        method: route.method,
        timeout: timeouts[fn.resource]!.props.timeout * 1000,
      });
    }
    expect(PLACEHOLDER_BACKENDS.triggerUrls).toEqual({
      share: '${SHARE_TRIGGER_URL}',
      unshare: '${UNSHARE_TRIGGER_URL}',
      describe: '${DESCRIBE_TRIGGER_URL}',
      'delete-guard': '${DELETE_GUARD_TRIGGER_URL}',
    });
  });

  it('refuses to build without a trigger URL for a function', () => {
    expect(() => buildApiGateway({ regionId: 'cn-hangzhou', triggerUrls: { share: 'https://a.example' } })).toThrow('no HTTP trigger URL for unshare');
  });
});

describe('schemaFor', () => {
  it('writes a nullable type as nullable (3.0) or x-nullable (2.0) and moves references', () => {
    const schema = { type: 'object', properties: { a: { type: ['string', 'null'] }, b: { $ref: '#/components/schemas/Share' } } };
    expect(schemaFor(schema, 'openapi-3.0', 'x')).toEqual({ type: 'object', properties: { a: { type: 'string', nullable: true }, b: { $ref: '#/components/schemas/Share' } } });
    expect(schemaFor(schema, 'swagger-2.0', 'x')).toEqual({ type: 'object', properties: { a: { type: 'string', 'x-nullable': true }, b: { $ref: '#/definitions/Share' } } });
  });

  it('refuses keywords and unions a target cannot express, naming where', () => {
    expect(() => schemaFor({ properties: { kind: { const: 'a' } } }, 'swagger-2.0', 'Task')).toThrow('Task.kind: keyword "const" has no swagger-2.0 form');
    expect(() => schemaFor({ oneOf: [{ type: 'string' }] }, 'openapi-3.0', 'Body')).toThrow('Body: keyword "oneOf" has no openapi-3.0 form');
    expect(() => schemaFor({ type: ['string', 'integer'] }, 'openapi-3.0', 'Id')).toThrow('Id: only [type, "null"] unions');
    expect(() => schemaFor({ examples: ['a'] }, 'openapi-3.0', 'Name')).toThrow('keyword "examples"');
  });
});
