import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ERROR_CATALOG } from '../../shared/domain/errors.js';
import { buildOpenApi, httpFunctions, renderOpenApiYaml } from '../../shared/http/openapi.js';
import { PATH_PARAMETERS, QUERIES, REQUEST_BODIES } from '../../shared/http/schemas.js';
import { validateBody } from '../../shared/http/validation.js';

type Doc = {
  paths: Record<string, Record<string, { operationId: string; requestBody?: { content: Record<string, { schema: { $ref: string } }> }; parameters?: unknown[]; responses: Record<string, unknown>; 'x-roles': string[] }>>;
  components: { schemas: Record<string, unknown>; parameters: Record<string, { schema: unknown }> };
};

const yamlText = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8');
const doc = parse(yamlText) as Doc;

describe('openapi.yaml', () => {
  it('is exactly what the route tables and schemas generate (regenerate with `npx tsx shared/http/openapi.ts`)', async () => {
    expect(yamlText).toBe(await renderOpenApiYaml(await httpFunctions()));
  });

  it('declares every route of the four functions with its method, and nothing else', async () => {
    const fromRoutes = (await httpFunctions()).flatMap((f) => f.routes.map((r) => `${r.method} ${r.path} ${r.operationId} ${r.roles.join(',')}`)).sort();
    const fromYaml = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => `${m.toUpperCase()} ${path} ${op.operationId} ${op['x-roles'].join(',')}`))
      .sort();
    expect(fromYaml).toEqual(fromRoutes);
    expect(fromYaml).toHaveLength(14);
  });

  it('embeds for each route the very body schema the function validates with', async () => {
    for (const f of await httpFunctions()) {
      for (const route of f.routes) {
        const op = doc.paths[route.path]![route.method.toLowerCase()]!;
        if (!route.body) {
          expect(op.requestBody).toBeUndefined();
          continue;
        }
        const ref = op.requestBody!.content['application/json']!.schema.$ref;
        expect(ref).toBe(`#/components/schemas/${route.body}`);
        expect(doc.components.schemas[route.body]).toEqual(REQUEST_BODIES[route.body]);
      }
    }
  });

  it('embeds the path parameter and query schemas the functions validate with', async () => {
    for (const [name, schema] of Object.entries(PATH_PARAMETERS)) {
      const { description, example, ...rest } = schema as Record<string, unknown>;
      void description;
      void example;
      expect(doc.components.parameters[name]!.schema).toEqual(rest);
    }
    for (const f of await httpFunctions()) {
      for (const route of f.routes.filter((r) => r.query)) {
        const params = (doc.paths[route.path]![route.method.toLowerCase()]!.parameters ?? []) as { in?: string; name: string; schema: Record<string, unknown> }[];
        const query = Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema]));
        const props = (QUERIES[route.query!] as { properties: Record<string, Record<string, unknown>> }).properties;
        expect(Object.keys(query).sort()).toEqual(Object.keys(props).sort());
        for (const [k, s] of Object.entries(props)) {
          const { description, ...rest } = s;
          void description;
          expect(query[k]).toEqual(rest);
        }
      }
    }
  });

  it("documents every route's declared error codes with the catalog's statuses", async () => {
    for (const f of await httpFunctions()) {
      for (const route of f.routes) {
        const responses = doc.paths[route.path]![route.method.toLowerCase()]!.responses as Record<string, { description: string }>;
        for (const code of [...route.errors, 'Unauthenticated', 'Forbidden', 'ValidationFailed'] as const) {
          expect(responses[String(ERROR_CATALOG[code].status)]?.description.split(', ')).toContain(code);
        }
        for (const status of Object.keys(route.responses)) expect(responses[status]).toBeDefined();
      }
    }
  });

  it('carries an example for each request body that the validator accepts', () => {
    for (const [name, schema] of Object.entries(REQUEST_BODIES)) {
      expect(validateBody(name as keyof typeof REQUEST_BODIES, structuredClone(schema.example))).toEqual({ ok: true, value: schema.example });
    }
  });

  it('is OpenAPI 3.1 with bearer JWT security and resolvable references', () => {
    const built = buildOpenApi([]) as { openapi: string; security: unknown; components: { securitySchemes: unknown } };
    expect(built.openapi).toBe('3.1.0');
    expect(built.security).toEqual([{ bearer: [] }]);
    expect(built.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    });
    const refs = [...yamlText.matchAll(/\$ref: "?#\/components\/([a-zA-Z]+)\/([A-Za-z-]+)"?/g)];
    expect(refs.length).toBeGreaterThan(50);
    for (const [, kind, name] of refs) expect((doc.components as Record<string, Record<string, unknown>>)[kind!]?.[name!], `${kind}/${name}`).toBeDefined();
  });
});
