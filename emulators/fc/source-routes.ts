// Route tables read from the sources (functions/<name>/routes.ts), for bundles that do not export
// one. Keyed by FC function name through s.yaml's `code: ./dist/<name>`. Needs a TypeScript loader
// (tsx), which `npm start` and `npm run emulator:fc` run under.
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RouteDecl } from './instance.js';
import { declaredFunctions } from './spec.js';

const isRouteTable = (v: unknown): v is RouteDecl[] =>
  Array.isArray(v) && v.length > 0 && v.every((r) => r && typeof r.method === 'string' && typeof r.path === 'string');

export async function routeTablesFromSource(specFile: string): Promise<Record<string, RouteDecl[]>> {
  const root = dirname(resolve(specFile));
  const out: Record<string, RouteDecl[]> = {};
  for (const fn of declaredFunctions(specFile)) {
    const file = join(root, 'functions', basename(fn.codeDir), 'routes.ts');
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const table = Object.values(mod).find(isRouteTable);
    if (table) out[fn.functionName] = table.map((r) => ({ method: r.method, path: r.path }));
  }
  return out;
}
