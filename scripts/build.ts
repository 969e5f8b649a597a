// `npm run build`: one small bundle per function of the registry (functions/registry.ts).
//
// Each entry functions/<resource>/index.ts is bundled to dist/<resource>/function.js, which
// dist/<resource>/index.js loads with a V8 code cache (scripts/code-cache.ts) — index.js is the file
// s.yaml's `code: ./dist/<resource>` + `handler: index.handler` makes FC load, and the file `npm start` runs. CommonJS for Node 20, minified, tree-shaken, no source maps unless
// `--sourcemap` (then an external .map beside the bundle, mapped to the TypeScript sources; `s deploy`
// uploads the whole folder, map included).
// Each folder also gets a one-line package.json declaring CommonJS, so the bundle loads the same way
// inside this ESM repository as on FC. The describe function's folder also gets the console's files
// (scripts/build-console.ts), which its bundle reads only when a console page is asked for.
//
// Strictness: our TypeScript is strict, but a bundle has one top-level mode, and the tablestore SDK
// (CommonJS without "use strict") assigns undeclared loop variables, which throws under strict mode.
// So the bundle is built in two steps, the way Node itself would load the code: first our code and
// the ES-module packages (strict by definition), with every CommonJS package left as a require;
// then that output, as one CommonJS module that starts with "use strict", together with the CommonJS
// packages, each in its own wrapper and its own mode.
//
// Cold start: step two leaves out SDK code no function reaches (fc2's upload and websocket packages
// below, the tablestore protocol of operations no function calls and its SQL reader in
// shared/tablestore/bundle.ts, the ECS stack's lodash, moment, ws and proxy agents in
// shared/ecs/bundle.ts), each replaced by a stub that throws, naming itself, if it is ever reached,
// and xml2js goes to a file of its own beside the bundle, loaded on first use; and step one builds the function's JSON-schema
// validators in as ajv standalone code (scripts/precompile-validators.ts), so no schema is compiled
// at cold start. `--unminified` keeps names readable for a CPU profile.
import { build, type BuildOptions as EsbuildOptions, type Metafile, type Plugin } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENTRY, FUNCTIONS, type FunctionEntry } from '../functions/registry.js';
import { buildConsole, type ConsoleAsset } from './build-console.js';
import { CACHE_FILE, CODE_FILE, type CodeCacheOutcome, writeCodeCache } from './code-cache.js';
import { ecsSdkTrimmed, XML2JS_BESIDE, xml2jsBeside } from '../shared/ecs/bundle.js';
import { tablestoreTrimmed } from '../shared/tablestore/bundle.js';
import { precompiledValidators } from './precompile-validators.js';

export interface BuiltFunction {
  readonly resource: string;
  readonly functionName: string;
  /** Absolute path of the function's entry (the loader FC's handler names). */
  readonly file: string;
  /** Absolute path of the bundle the entry loads, and its size. */
  readonly code: string;
  readonly bytes: number;
  /** The V8 code cache beside the bundle: its size, or why there is none. */
  readonly codeCache: CodeCacheOutcome;
  /** Output bytes per package (`--analyze`), largest first. */
  readonly packages?: readonly (readonly [string, number])[];
  /** The console's files beside the bundle (the console function only). */
  readonly console?: readonly ConsoleAsset[];
}

/** The function that serves the console: its files go to `<its code folder>/console/`. */
export const CONSOLE_FUNCTION = 'describe';

export interface BuildOptions {
  /** Repository root (holds functions/). */
  readonly root?: string;
  /** What to build; default the registry. */
  readonly functions?: readonly Pick<FunctionEntry, 'resource' | 'functionName'>[];
  /** Where bundles go, as `<outDir>/<resource>/index.js`; default `<root>/dist`. */
  readonly outDir?: string;
  readonly sourcemap?: boolean;
  /** Collect output bytes per package. */
  readonly analyze?: boolean;
  /** Minify (default). `--unminified` keeps names readable, e.g. for a CPU profile of a cold start. */
  readonly minify?: boolean;
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

/** True when Node would load `file` as an ES module (.mjs, or .js under a `"type": "module"` package.json). */
function isEsModule(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs') || !file.endsWith('.js')) return false;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type === 'module';
  }
  return false;
}

/** Step one: leaves every CommonJS package as a require of its resolved file, for step two to bundle. */
const leaveCommonJsPackages: Plugin = {
  name: 'leave-commonjs-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'leave-commonjs-packages' || isBuiltin(args.path)) return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'leave-commonjs-packages' });
      if (resolved.errors.length > 0 || resolved.external || resolved.namespace !== 'file') return resolved;
      return isEsModule(resolved.path) ? resolved : { path: resolved.path, external: true };
    });
  },
};

/** Bytes in the bundle per package (or per source folder for our own code), largest first. */
function bytesByPackage(metafiles: readonly Metafile[]): [string, number][] {
  const byPackage = new Map<string, number>();
  for (const metafile of metafiles) {
    for (const output of Object.values(metafile.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        if (input.startsWith('step-one:')) continue; // counted input by input in step one's metafile
        const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
        const key = m ? m[1]! : input.split('/').slice(0, 2).join('/');
        byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
      }
    }
  }
  return [...byPackage].sort((a, b) => b[1] - a[1]);
}

export async function buildFunctions(opts: BuildOptions = {}): Promise<BuiltFunction[]> {
  const root = resolve(opts.root ?? defaultRoot);
  const selected = (opts.functions ?? FUNCTIONS).filter((f) => !opts.only || opts.only.includes(f.resource));
  const built: BuiltFunction[] = [];
  let xml2jsFile: Promise<Uint8Array> | undefined;
  for (const fn of selected) {
    const name = fn.resource;
    const entry = join(root, 'functions', name, `${ENTRY.file}.ts`);
    if (!existsSync(entry)) throw new Error(`${fn.resource}: entry ${relative(root, entry)} does not exist`);
    const outFolder = join(resolve(opts.outDir ?? join(root, 'dist')), name);
    const entryFile = join(outFolder, `${ENTRY.file}.js`);
    const outfile = join(outFolder, CODE_FILE);
    const common: EsbuildOptions = {
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: opts.minify ?? true,
      treeShaking: true,
      legalComments: 'none',
      logLevel: 'silent',
      absWorkingDir: root,
      metafile: opts.analyze === true,
    };
    const stepOne = await build({
      ...common,
      entryPoints: [entry],
      outfile: join(outFolder, 'step-one.js'),
      write: false,
      sourcemap: opts.sourcemap ? 'inline' : false,
      plugins: [precompiledValidators(root, fn), leaveCommonJsPackages, trimFc2(root)],
      tsconfigRaw: { compilerOptions: { alwaysStrict: true } },
    });
    const ownCode = stepOne.outputFiles[0]!.text;
    const stepTwo = await build({
      ...common,
      // No directive here: the entry only re-exports; "use strict" stays inside our module's wrapper.
      stdin: { contents: 'module.exports = require("step-one:own-code");', resolveDir: root, loader: 'js', sourcefile: `${name}-entry.js` },
      outfile,
      write: false,
      sourcemap: opts.sourcemap ? 'external' : false,
      plugins: [
        {
          name: 'step-one-output',
          setup(b) {
            b.onResolve({ filter: /^step-one:own-code$/ }, () => ({ path: 'own-code', namespace: 'step-one' }));
            b.onLoad({ filter: /.*/, namespace: 'step-one' }, () => ({ contents: ownCode, loader: 'js', resolveDir: root }));
          },
        },
        trimFc2(root),
        tablestoreTrimmed(),
        ecsSdkTrimmed({ xml2jsBeside: true }),
      ],
    });
    // xml2js sits beside a bundle that requires it, loaded the first time an XML error body needs it.
    const needsXml2js = stepTwo.outputFiles.some((o) => o.text.includes(`require("./${XML2JS_BESIDE}")`));
    const xml2js = needsXml2js ? await (xml2jsFile ??= xml2jsBeside(root)) : undefined;
    // Replaced only once the new bundle is built: a failed build leaves the previous one in place.
    rmSync(outFolder, { recursive: true, force: true });
    mkdirSync(outFolder, { recursive: true });
    for (const output of stepTwo.outputFiles) writeFileSync(output.path, output.contents);
    if (xml2js) writeFileSync(join(outFolder, XML2JS_BESIDE), xml2js);
    writeFileSync(join(outFolder, 'package.json'), '{"type":"commonjs"}\n');
    const codeCache = writeCodeCache(outFolder, basename(entryFile));
    const consoleAssets = fn.resource === CONSOLE_FUNCTION ? await buildConsole({ root, outDir: join(outFolder, 'console') }) : undefined;
    const packages = opts.analyze ? bytesByPackage([stepOne.metafile!, stepTwo.metafile!]) : undefined;
    built.push({
      resource: fn.resource,
      functionName: fn.functionName,
      file: entryFile,
      code: outfile,
      bytes: statSync(outfile).size,
      codeCache,
      ...(packages ? { packages } : {}),
      ...(consoleAssets ? { console: consoleAssets } : {}),
    });
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
      minify: !args.includes('--unminified'),
      ...(outIdx >= 0 && args[outIdx + 1] ? { outDir: args[outIdx + 1] } : {}),
    });
    for (const b of built) {
      console.log(`${b.functionName.padEnd(28)} ${relative(process.cwd(), b.code).padEnd(32)} ${formatBytes(b.bytes).padStart(10)}`);
      if ('bytes' in b.codeCache) console.log(`    ${formatBytes(b.codeCache.bytes).padStart(10)}  V8 code cache (${CACHE_FILE})`);
      else console.warn(`    no V8 code cache: ${b.codeCache.refused}`);
      for (const [name, bytes] of b.packages?.slice(0, 12) ?? []) console.log(`    ${formatBytes(bytes).padStart(10)}  ${name}`);
      for (const a of b.console ?? []) console.log(`    console/${a.name.padEnd(30)} ${formatBytes(a.bytes).padStart(10)}  (${formatBytes(a.gzipBytes)} gzipped)`);
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
