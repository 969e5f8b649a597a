// The validators a bundle carries (ajv's standalone code, generated at build time) answer exactly as
// the ones the source compiles at run time: same verdicts, same errors, on every schema of every
// group, for valid inputs (each schema's example) and a spread of invalid ones.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/registry.js';
import { compileGroup } from '../../shared/schema/compile.js';
import type { Validate, ValidatorGroup } from '../../shared/schema/profiles.js';
import { precompiledValidatorsModule, validatorsUsedBy, type GroupSelection } from '../../scripts/precompile-validators.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Every group any function uses, with all its schemas. */
const GROUPS: ValidatorGroup[] = [...new Map(FUNCTIONS.flatMap(validatorsUsedBy).map((s) => [s.group.name, s.group])).values()];

/** Inputs that exercise a schema: its example, and wrong shapes around it. */
function inputsFor(schema: Record<string, unknown>): unknown[] {
  const example = schema.example;
  const inputs: unknown[] = [undefined, null, 0, '', 'x'.repeat(3000), [], {}, { unexpected: true }, '20', 'true', '2026-13-40T00:00:00Z'];
  if (example !== undefined) {
    inputs.push(example);
    if (example && typeof example === 'object' && !Array.isArray(example)) {
      inputs.push({ ...example, unexpected: 1 });
      for (const key of Object.keys(example)) {
        for (const wrong of [null, 12, 'text', [], {}, ['a', 'a'], '']) inputs.push({ ...example, [key]: wrong });
        const { [key]: _dropped, ...rest } = example as Record<string, unknown>;
        inputs.push(rest);
      }
    }
  }
  return inputs;
}

type Loaded = { compileGroup: (g: ValidatorGroup) => (name: string) => Validate | undefined };

describe('precompiled validators', () => {
  let dir: string;
  let precompiled: Loaded;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'precompiled-'));
    const selections: GroupSelection[] = GROUPS.map((group) => ({ group, names: Object.keys(group.schemas) }));
    const outfile = join(dir, 'validators.cjs');
    // Bundled as a function bundle bundles it, then loaded like one.
    await build({
      stdin: { contents: precompiledValidatorsModule(selections), resolveDir: ROOT, loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      logLevel: 'silent',
    });
    precompiled = createRequire(import.meta.url)(outfile) as Loaded;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('covers the groups of every function', () => {
    expect(GROUPS.map((g) => g.name).sort()).toEqual(['environment', 'http-body', 'http-path', 'http-query', 'reconcile']);
  });

  for (const group of GROUPS) {
    for (const [name, schema] of Object.entries(group.schemas)) {
      it(`${group.name}/${name} answers as the run-time compiled one`, () => {
        const runtime = compileGroup(group)(name)!;
        const standalone = precompiled.compileGroup(group)(name)!;
        expect(standalone).toBeTypeOf('function');
        let accepted = 0;
        for (const input of inputsFor(schema)) {
          // Query and path validators coerce in place: each gets its own copy.
          const a = structuredClone(input);
          const b = structuredClone(input);
          const verdict = runtime(a);
          expect(standalone(b), JSON.stringify(input)).toBe(verdict);
          expect(b).toEqual(a);
          if (verdict) accepted += 1;
          else expect(standalone.errors).toEqual(runtime.errors);
        }
        if (schema.example !== undefined) expect(accepted).toBeGreaterThan(0);
      });
    }
  }

  it('refuses a group that was not built in, and knows only the schemas selected', async () => {
    const only = [{ group: GROUPS[0]!, names: [Object.keys(GROUPS[0]!.schemas)[0]!] }];
    const outfile = join(dir, 'partial.cjs');
    await build({ stdin: { contents: precompiledValidatorsModule(only), resolveDir: ROOT, loader: 'js' }, bundle: true, platform: 'node', format: 'cjs', outfile, logLevel: 'silent' });
    const partial = createRequire(import.meta.url)(outfile) as Loaded;
    expect(() => partial.compileGroup(GROUPS[1]!)).toThrow(/not part of this build/);
    expect(partial.compileGroup(GROUPS[0]!)('no-such-schema')).toBeUndefined();
  });
});
