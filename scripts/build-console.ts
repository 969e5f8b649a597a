// The console's files, built beside the describe function's bundle (dist/describe/console/): its
// page, one script and one style sheet, each asset named after a hash of its content so it can be
// cached for good. The browser script is its own esbuild bundle: nothing of it reaches a function
// bundle. Which roles may call which operation is read from the route tables here, at build time,
// so the page offers exactly what the API allows.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { HTTP_FUNCTIONS } from '../functions/registry.js';

export interface ConsoleAsset {
  /** Path under the console folder, e.g. `assets/console-3FZ7K2QX.js`. */
  readonly name: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** operationId → the roles allowed to call it, for every API route of every function. */
export const operationRoles = (): Record<string, readonly string[]> =>
  Object.fromEntries(HTTP_FUNCTIONS.flatMap((fn) => fn.routes.map((r) => [r.operationId, r.roles] as const)));

export async function buildConsole(opts: { root: string; outDir: string }): Promise<ConsoleAsset[]> {
  const root = resolve(opts.root);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [
      { in: 'console/src/main.ts', out: 'console' },
      { in: 'console/console.css', out: 'console' },
    ],
    entryNames: '[name]-[hash]',
    outdir: join(opts.outDir, 'assets'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome100', 'firefox100', 'safari16'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    write: false,
    define: { __OPERATION_ROLES__: JSON.stringify(operationRoles()) },
  });
  const script = result.outputFiles.find((f) => f.path.endsWith('.js'))!;
  const style = result.outputFiles.find((f) => f.path.endsWith('.css'))!;
  const page = readFileSync(join(root, 'console/index.html'), 'utf8')
    .replace('%SCRIPT%', `console/assets/${basename(script.path)}`)
    .replace('%STYLE%', `console/assets/${basename(style.path)}`);
  rmSync(opts.outDir, { recursive: true, force: true });
  mkdirSync(join(opts.outDir, 'assets'), { recursive: true });
  const files: [string, Uint8Array][] = [
    ['index.html', Buffer.from(page)],
    [`assets/${basename(script.path)}`, script.contents],
    [`assets/${basename(style.path)}`, style.contents],
  ];
  for (const [name, contents] of files) writeFileSync(join(opts.outDir, name), contents);
  return files.map(([name, contents]) => ({ name, bytes: contents.length, gzipBytes: gzipSync(contents).length }));
}
