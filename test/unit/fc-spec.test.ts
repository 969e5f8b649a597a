// s.yaml variable substitution, as the local runtime renders it: checked against what the pinned
// `s` (@serverless-devs/s 3.1.10, a dev dependency) renders for the same files with `s preview -o json`,
// which needs no network and no credentials.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpecError, renderSpec, splitHandler, substitute } from '../../emulators/fc/spec.js';
import { DEPLOYER_ENV } from '../fixtures/deployer-env.js';

describe('substitute', () => {
  const vars = { region: 'cn-hangzhou', nested: { name: 'isg' }, env: { A: '1' } };

  it('renders vars, env() and env() with defaults, also inside longer strings', () => {
    const out = substitute(
      { a: '${vars.region}', b: "${env('X')}", c: "${env('MISSING', 'dflt')}", d: "fc-${vars.nested.name}-${env(\"X\")}", e: "${env('EMPTY', 'used')}", n: 5 },
      vars,
      { X: 'x-value', EMPTY: '' },
    );
    expect(out).toEqual({ a: 'cn-hangzhou', b: 'x-value', c: 'dflt', d: 'fc-isg-x-value', e: 'used', n: 5 });
  });

  it('keeps the type of a value that is one whole expression', () => {
    expect(substitute({ environmentVariables: '${vars.env}' }, vars, {})).toEqual({ environmentVariables: { A: '1' } });
  });

  it('names what is missing or unsupported', () => {
    expect(() => substitute({ role: "${env('FC_ROLE_ARN')}" }, vars, {}, 'props')).toThrow(new SpecError("props.role: env('FC_ROLE_ARN') not found (set FC_ROLE_ARN or give a default: env('FC_ROLE_ARN', '...'))"));
    expect(() => substitute('${vars.nope}', vars, {})).toThrow(/\$\{vars.nope\} not found/);
    expect(() => substitute("${file('./x.yaml')}", vars, {})).toThrow(/unsupported expression/);
    expect(() => substitute('x-${vars.env}', vars, {})).toThrow(/not a scalar/);
    expect(() => substitute('${vars.none}', { none: null }, {})).toThrow(/\$\{vars.none\} not found/);
    expect(() => substitute("${env('EMPTY')}", vars, { EMPTY: '' })).toThrow(/env\('EMPTY'\) not found/);
  });

  it('renders an empty default or an empty vars value as an empty string', () => {
    expect(substitute({ a: "${env('UNSET', '')}", b: '${vars.blank}', c: "x${env('UNSET', '')}y" }, { blank: '' }, { EMPTY: '' })).toEqual({ a: '', b: '', c: 'xy' });
  });
});

describe('renderSpec, cross-checked with `s preview -o json`', () => {
  const ROOT = resolve(import.meta.dirname, '../..');
  const dir = mkdtempSync(join(tmpdir(), 's-preview-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the pinned `s` offline on a copy of `file`, with its own home folder and exactly `env`. */
  function sPreview(file: string, env: Record<string, string>): Promise<unknown> {
    const project = mkdtempSync(join(dir, 'project-'));
    copyFileSync(file, join(project, 's.yaml'));
    return new Promise((done, fail) => {
      execFile(
        join(ROOT, 'node_modules/.bin/s'),
        ['preview', '-o', 'json'],
        { cwd: project, env: { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(dir, 'home-')), ...env }, timeout: 60_000 },
        (err, stdout, stderr) => {
          if (err) return fail(new Error(`s preview failed: ${stderr || stdout}`));
          // `s` prints a warning line first when run as root; the document starts at the first "{" line.
          done(JSON.parse(stdout.slice(stdout.search(/^\{/m))));
        },
      );
    });
  }

  it('runs the pinned Serverless Devs 3 (npx s resolves to @serverless-devs/s 3.1.10)', async () => {
    const out = await new Promise<string>((done, fail) =>
      execFile(join(ROOT, 'node_modules/.bin/s'), ['-v'], { env: { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(dir, 'home-')) } }, (err, stdout) =>
        err ? fail(err) : done(stdout),
      ),
    );
    expect(out).toMatch(/@serverless-devs\/s: 3\.1\.10,/);
  });

  it("renders this project's s.yaml exactly as s does", async () => {
    // A JWKS URL instead of the inline JWKS, and a non-default policy value, on top of the deployer's values.
    const env = { ...DEPLOYER_ENV, JWT_JWKS: '', JWT_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json', RECONCILE_MODE: 'enforce' };
    const file = join(ROOT, 's.yaml');
    expect(renderSpec(file, env)).toEqual(await sPreview(file, env));
  });

  it('renders empty defaults, empty vars, typed values, several expressions in one string and merges as s does', async () => {
    const file = join(dir, 'probe.yaml');
    writeFileSync(
      file,
      `edition: 3.0.0
name: render-probe
access: default
vars:
  region: \${env('PROBE_REGION', 'cn-hangzhou')}
  blank: ''
  count: 5
  enabled: false
  base: &base
    A: \${env('PROBE_SET')}
    B: \${env('PROBE_UNSET', '')}
resources:
  fn:
    component: fc3
    props:
      region: \${vars.region}
      functionName: probe-\${vars.region}-\${vars.count}
      blankVar: \${vars.blank}
      joined: "x\${env('PROBE_UNSET', '')}y\${env('PROBE_EMPTY', 'dflt')}"
      count: \${vars.count}
      enabled: \${vars.enabled}
      spaced: \${ env("PROBE_SET" , "unused") }
      whole: \${vars.base}
      environmentVariables:
        <<: *base
        C: literal
`,
    );
    const env = { PROBE_SET: 'set', PROBE_EMPTY: '' };
    const rendered = renderSpec(file, env);
    expect(rendered).toEqual(await sPreview(file, env));
    expect((rendered as { resources: { fn: { props: Record<string, unknown> } } }).resources.fn.props).toMatchObject({ blankVar: '', joined: 'xydflt', count: 5, enabled: false });
  });
});

describe('splitHandler', () => {
  it('splits at the last dot', () => {
    expect(splitHandler('index.handler')).toEqual({ file: 'index', exportName: 'handler' });
    expect(splitHandler('lib/app.v2.main')).toEqual({ file: 'lib/app.v2', exportName: 'main' });
    expect(() => splitHandler('index')).toThrow(SpecError);
  });
});
