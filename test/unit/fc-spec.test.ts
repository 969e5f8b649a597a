// s.yaml variable substitution, as the local runtime (and `s`) renders props.
import { describe, expect, it } from 'vitest';
import { SpecError, splitHandler, substitute } from '../../emulators/fc/spec.js';

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
    expect(() => substitute("${env('UNSET', '')}", vars, {})).toThrow(/renders to an empty string/);
  });
});

describe('splitHandler', () => {
  it('splits at the last dot', () => {
    expect(splitHandler('index.handler')).toEqual({ file: 'index', exportName: 'handler' });
    expect(splitHandler('lib/app.v2.main')).toEqual({ file: 'lib/app.v2', exportName: 'main' });
    expect(() => splitHandler('index')).toThrow(SpecError);
  });
});
