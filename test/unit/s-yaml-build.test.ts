// The build of each function's bundle: our code runs strict, as written; a bundled CommonJS
// package runs in its own mode (the tablestore SDK breaks under strict mode); ES-module packages are
// strict, as Node would run them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions, type BuiltFunction } from '../../scripts/build.js';

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

  it('writes dist/<resource>/index.js, loadable as CommonJS', () => {
    expect(built).toEqual([{ resource: 'probe', functionName: 'fx-probe', file: join(root, 'dist/probe/index.js'), bytes: expect.any(Number) }]);
    expect(readFileSync(join(root, 'dist/probe/package.json'), 'utf8')).toBe('{"type":"commonjs"}\n');
  });

  it('keeps our code strict while a sloppy CommonJS package keeps working', () => {
    // Act
    const mod = require(built[0]!.file) as { handler: () => unknown };
    // Assess
    expect(mod.handler()).toEqual({ own: true, sloppy: 'a', esm: true });
  });

  it('leaves the previous bundle in place when a build fails', async () => {
    // Prepare
    const before = readFileSync(built[0]!.file, 'utf8');
    writeFileSync(join(root, 'functions/probe/index.ts'), 'export const handler = (;');
    // Act + Assess
    await expect(buildFunctions({ root, functions: PROBE })).rejects.toMatchObject({ errors: [expect.objectContaining({ text: expect.stringContaining('Unexpected') })] });
    expect(readFileSync(built[0]!.file, 'utf8')).toBe(before);
  });
});
