// `npm run build`: one small bundle per function declared in s.yaml.
//
// For every fc3 resource, `code: ./dist/<name>` + `handler: <file>.<export>` means the entry
// functions/<name>/<file>.ts is bundled to dist/<name>/<file>.js — the exact file FC loads, and the
// exact file `npm start` runs. CommonJS for Node 20, minified, tree-shaken, no source maps unless
// `--sourcemap` (then external, not uploaded by default because s deploys the whole folder).
// Each folder also gets a one-line package.json declaring CommonJS, so the bundle loads the same way
// inside this ESM repository as on FC.
import { build, type Plugin } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { declaredFunctions, splitHandler } from '../emulators/fc/spec.js';

export interface BuiltFunction {
  readonly resource: string;
  readonly functionName: string;
  /** Absolute path of the bundle. */
  readonly file: string;
  readonly bytes: number;
  /** Output bytes per package (`--analyze`), largest first. */
  readonly packages?: readonly (readonly [string, number])[];
}

export interface BuildOptions {
  /** Repository root (holds s.yaml and functions/). */
  readonly root?: string;
  /** Where bundles go; default: the `code` folders s.yaml declares. A different dir keeps the layout `<outDir>/<name>/`. */
  readonly outDir?: string;
  readonly sourcemap?: boolean;
  /** Collect output bytes per package. */
  readonly analyze?: boolean;
  /** Only these resources (default: all). */
  readonly only?: readonly string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const defaultRoot = resolve(here, '..');

// @alicloud/fc2 picks lib/ or es5/ at runtime and eagerly requires ali-oss, axios and ws, which it only
// uses for code upload, layers and websockets — none of which a function calls. Point it at lib/ and
// replace those three with a stub that fails loudly if ever reached: several MB less to load.
const UNUSED_BY_FC2 = new Set(['ali-oss', 'axios', 'ws']);
const trimFc2 = (root: string): Plugin => ({
  name: 'trim-fc2',
  setup(b) {
    b.onResolve({ filter: /^@alicloud\/fc2$/ }, () => ({
      path: join(root, 'node_modules/@alicloud/fc2/lib/client.js'),
    }));
    b.onResolve({ filter: /^(ali-oss|axios|ws)$/ }, (args) =>
      args.importer.includes('/@alicloud/fc2/') && UNUSED_BY_FC2.has(args.path)
        ? { path: args.path, namespace: 'unused-by-fc2' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'unused-by-fc2' }, (args) => ({
      contents: `module.exports = function unused() { throw new Error(${JSON.stringify(`${args.path} is not bundled`)}); };`,
      loader: 'js',
    }));
  },
});

export async function buildFunctions(opts: BuildOptions = {}): Promise<BuiltFunction[]> {
  const root = resolve(opts.root ?? defaultRoot);
  const declared = declaredFunctions(join(root, 's.yaml')).filter((f) => !opts.only || opts.only.includes(f.resource));
  const built: BuiltFunction[] = [];
  for (const fn of declared) {
    const name = basename(fn.codeDir);
    const { file } = splitHandler(fn.handler);
    const entry = join(root, 'functions', name, `${file}.ts`);
    if (!existsSync(entry)) throw new Error(`${fn.resource}: entry ${relative(root, entry)} does not exist (s.yaml code ${relative(root, fn.codeDir)}, handler ${fn.handler})`);
    const outFolder = opts.outDir ? join(resolve(opts.outDir), name) : fn.codeDir;
    rmSync(outFolder, { recursive: true, force: true });
    mkdirSync(outFolder, { recursive: true });
    const outfile = join(outFolder, `${file}.js`);
    const result = await build({
      metafile: opts.analyze === true,
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      treeShaking: true,
      sourcemap: opts.sourcemap ? 'external' : false,
      legalComments: 'none',
      logLevel: 'silent',
      absWorkingDir: root,
      plugins: [trimFc2(root)],
      // tsconfig's `strict` would make esbuild put "use strict" at the top of the bundle, which also
      // turns the bundled CommonJS SDKs strict; the tablestore SDK assigns an undeclared loop
      // variable and throws under strict mode. Keep each module's own mode, as Node would.
      tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
    });
    writeFileSync(join(outFolder, 'package.json'), '{"type":"commonjs"}\n');
    let packages: [string, number][] | undefined;
    if (result.metafile) {
      const byPackage = new Map<string, number>();
      for (const output of Object.values(result.metafile.outputs)) {
        for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
          const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
          const key = m ? m[1]! : input.split('/').slice(0, 2).join('/');
          byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
        }
      }
      packages = [...byPackage].sort((a, b) => b[1] - a[1]);
    }
    built.push({ resource: fn.resource, functionName: fn.functionName, file: outfile, bytes: statSync(outfile).size, ...(packages ? { packages } : {}) });
  }
  return built;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MB` : `${(n / 1024).toFixed(1)} kB`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out-dir');
  const started = Date.now();
  try {
    const built = await buildFunctions({
      sourcemap: args.includes('--sourcemap'),
      analyze: args.includes('--analyze'),
      ...(outIdx >= 0 && args[outIdx + 1] ? { outDir: args[outIdx + 1] } : {}),
    });
    for (const b of built) {
      console.log(`${b.functionName.padEnd(28)} ${relative(process.cwd(), b.file).padEnd(32)} ${formatBytes(b.bytes).padStart(10)}`);
      for (const [name, bytes] of b.packages?.slice(0, 12) ?? []) console.log(`    ${formatBytes(bytes).padStart(10)}  ${name}`);
    }
    console.log(`built ${built.length} functions in ${Date.now() - started} ms`);
  } catch (err) {
    const e = err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] };
    if (e.errors?.length) {
      for (const m of e.errors) console.error(`error: ${m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : ''}${m.text}`);
    } else {
      console.error(`error: ${(err as Error).message}`);
    }
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
