// The build of each function's bundle: our code runs strict, as written; a bundled CommonJS
// package runs in its own mode (the tablestore SDK breaks under strict mode); ES-module packages are
// strict, as Node would run them. The entry loads the bundle with a V8 code cache that a fresh Node
// process accepts, and without one when it is missing or refused.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions, type BuiltFunction } from '../../scripts/build.js';
import { CACHE_FILE, CODE_FILE } from '../../scripts/code-cache.js';

const require = createRequire(import.meta.url);
const PROBE = [{ resource: 'probe', functionName: 'fx-probe' }];

const FILES: Record<string, string> = {
  'functions/probe/index.ts': `
import sloppy from 'sloppy-cjs';
import { esmIsStrict } from 'strict-esm';
function ownIsStrict(this: unknown): boolean {
  return this === undefined;
}
export const handler = () => ({ own: ownIsStrict.call(undefined), sloppy: sloppy(), esm: esmIsStrict() });
`,
  // Like the tablestore SDK: an undeclared loop variable, fine only in sloppy mode.
  'node_modules/sloppy-cjs/package.json': '{"name":"sloppy-cjs","main":"index.js"}',
  'node_modules/sloppy-cjs/index.js': 'module.exports = function () { for (__isgSloppyKey in { a: 1 }) {} return __isgSloppyKey; };',
  'node_modules/strict-esm/package.json': '{"name":"strict-esm","type":"module","main":"index.js"}',
  'node_modules/strict-esm/index.js': 'export function esmIsStrict() { return (function () { return this === undefined; })(); }',
};

describe('buildFunctions', () => {
  let root: string;
  let built: BuiltFunction[];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'build-fixture-'));
    for (const [file, text] of Object.entries(FILES)) {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), text);
    }
    built = await buildFunctions({ root, functions: PROBE });
  }, 60_000);

  afterAll(() => {
    delete (globalThis as Record<string, unknown>).__isgSloppyKey;
    rmSync(root, { recursive: true, force: true });
  });

  it('writes dist/<resource>/index.js, loadable as CommonJS, which loads the bundle beside it with its code cache', () => {
    expect(built).toEqual([
      {
        resource: 'probe',
        functionName: 'fx-probe',
        file: join(root, 'dist/probe/index.js'),
        code: join(root, `dist/probe/${CODE_FILE}`),
        bytes: expect.any(Number),
        codeCache: { bytes: expect.any(Number) },
      },
    ]);
    expect(readFileSync(join(root, 'dist/probe/package.json'), 'utf8')).toBe('{"type":"commonjs"}\n');
  });

  it('writes a code cache that a fresh Node process with default flags accepts for the bundle', () => {
    const check = `const { readFileSync } = require('node:fs'); const { Script } = require('node:vm'); const M = require('node:module');
const [code, cache] = process.argv.slice(1);
const s = new Script(M.wrap(readFileSync(code, 'utf8')), { filename: code, cachedData: readFileSync(cache) });
process.stdout.write(String(s.cachedDataRejected));`;
    const folder = join(root, 'dist/probe');
    const env = { PATH: process.env.PATH ?? '' };
    expect(execFileSync(process.execPath, ['-e', check, join(folder, CODE_FILE), join(folder, CACHE_FILE)], { env, encoding: 'utf8' })).toBe('false');
    // The same cache under other V8 flags is refused: V8 checks, so a mismatched cache can never run.
    expect(execFileSync(process.execPath, ['--max-semi-space-size=16', '-e', check, join(folder, CODE_FILE), join(folder, CACHE_FILE)], { env, encoding: 'utf8' })).toBe('true');
  });

  it('runs the same when the cache is missing or refused: the bundle is compiled from source', () => {
    const run = `process.stdout.write(JSON.stringify(require(process.argv[1]).handler()))`;
    for (const cache of [undefined, 'not a code cache']) {
      const copy = mkdtempSync(join(tmpdir(), 'build-copy-'));
      try {
        cpSync(join(root, 'dist/probe'), copy, { recursive: true });
        if (cache === undefined) rmSync(join(copy, CACHE_FILE));
        else writeFileSync(join(copy, CACHE_FILE), cache);
        const out = execFileSync(process.execPath, ['-e', run, join(copy, 'index.js')], { encoding: 'utf8' });
        expect(JSON.parse(out), String(cache)).toEqual({ own: true, sloppy: 'a', esm: true });
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    }
  });

  it('keeps our code strict while a sloppy CommonJS package keeps working', () => {
    // Act
    const mod = require(built[0]!.file) as { handler: () => unknown };
    // Assess
    expect(mod.handler()).toEqual({ own: true, sloppy: 'a', esm: true });
  });

  it('leaves the previous bundle in place when a build fails', async () => {
    // Prepare
    const before = readFileSync(built[0]!.code, 'utf8');
    writeFileSync(join(root, 'functions/probe/index.ts'), 'export const handler = (;');
    // Act + Assess
    await expect(buildFunctions({ root, functions: PROBE })).rejects.toMatchObject({ errors: [expect.objectContaining({ text: expect.stringContaining('Unexpected') })] });
    expect(readFileSync(built[0]!.code, 'utf8')).toBe(before);
  });
});
