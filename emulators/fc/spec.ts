// s.yaml → the functions the local runtime (and the build) must know about.
//
// Variable substitution renders what `s preview -o json` of @serverless-devs/s 3.1.10 renders, for
// the forms this project uses (test/unit/fc-spec.test.ts runs the pinned `s` on the same files):
//   ${vars.a.b}            a value under the top-level `vars:` map; absent or null is an error
//   ${env('X')}            environment variable X; unset or empty is an error
//   ${env('X', 'dflt')}    environment variable X, or the default when X is unset or empty; an empty
//                          default, or an empty `vars` value, renders as ""
// Several expressions may appear in one string and are concatenated. A string that is exactly one
// expression keeps the value's type (a `vars` map stays a map). Embedding a map in a longer string is
// an error here, where `s` writes "[object Object]". `${file()}`, `${json()}`, `${path()}`,
// `${config()}`, `${this.*}` and `${resources.*}` are not supported and raise an error naming them.
// YAML anchors, aliases and `<<` merges are resolved by the YAML parser before substitution, as in `s`.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';

export type Env = Readonly<Record<string, string | undefined>>;

export interface HttpTriggerSpec {
  readonly kind: 'http';
  readonly name: string;
  readonly authType: 'anonymous' | 'function' | 'jwt';
  readonly methods: readonly string[];
  readonly disableURLInternet: boolean;
  readonly authConfig?: Record<string, unknown>;
}

export interface TimerTriggerSpec {
  readonly kind: 'timer';
  readonly name: string;
  readonly cronExpression: string;
  readonly enable: boolean;
  readonly payload?: string;
}

export interface OtherTriggerSpec {
  readonly kind: 'other';
  readonly name: string;
  readonly type: string;
  readonly config: Record<string, unknown>;
}

export type TriggerSpec = HttpTriggerSpec | TimerTriggerSpec | OtherTriggerSpec;

export interface FunctionSpec {
  /** The resource key in s.yaml (e.g. `share`). */
  readonly resource: string;
  /** FC function name (e.g. `image-share-share`). */
  readonly name: string;
  readonly region: string;
  readonly runtime: string;
  /** Absolute path of the code folder. */
  readonly codeDir: string;
  /** `file.export`, e.g. `index.handler`. */
  readonly handler: string;
  readonly memorySize: number;
  /** Seconds. */
  readonly timeout: number;
  readonly environmentVariables: Readonly<Record<string, string>>;
  readonly initializer?: { readonly handler: string; readonly timeout: number };
  readonly maxAsyncRetryAttempts: number;
  readonly triggers: readonly TriggerSpec[];
  /** The resolved props as written, for checks that want the raw shape. */
  readonly props: Readonly<Record<string, unknown>>;
}

export interface ProjectSpec {
  readonly file: string;
  readonly name: string;
  readonly vars: Readonly<Record<string, unknown>>;
  readonly functions: readonly FunctionSpec[];
}

export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

const EXPRESSION = /\$\{([^}]*)\}/g;
const ENV_CALL = /^env\(\s*(['"])([^'"]+)\1\s*(?:,\s*(['"])([^'"]*)\3\s*)?\)$/;
const VARS_PATH = /^vars((?:\.[A-Za-z0-9_-]+)+)$/;

function evaluate(expression: string, vars: Record<string, unknown>, env: Env, where: string): unknown {
  const expr = expression.trim();
  const envCall = ENV_CALL.exec(expr);
  if (envCall) {
    const name = envCall[2]!;
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (envCall[4] !== undefined) return envCall[4];
    throw new SpecError(`${where}: env('${name}') not found (set ${name} or give a default: env('${name}', '...'))`);
  }
  const varsPath = VARS_PATH.exec(expr);
  if (varsPath) {
    let cursor: unknown = vars;
    for (const key of varsPath[1]!.slice(1).split('.')) {
      cursor = cursor && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[key] : undefined;
    }
    if (cursor === undefined || cursor === null) throw new SpecError(`${where}: \${${expr}} not found`);
    return cursor;
  }
  throw new SpecError(`${where}: unsupported expression \${${expr}} (supported: vars.*, env('X'), env('X', 'default'))`);
}

/** Substitutes every `${...}` in strings, recursively, the way `s` renders props. */
export function substitute(value: unknown, vars: Record<string, unknown>, env: Env, where = '$'): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([^}]*)\}$/.exec(value);
    if (whole) {
      const v = evaluate(whole[1]!, vars, env, where);
      return typeof v === 'string' ? v : substitute(v, vars, env, where);
    }
    return value.replace(EXPRESSION, (_m, expr: string) => {
      const v = evaluate(expr, vars, env, where);
      if (typeof v === 'object') throw new SpecError(`${where}: \${${expr}} is not a scalar and cannot be embedded in a string`);
      return String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, vars, env, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, vars, env, `${where}.${k}`);
    return out;
  }
  return value;
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Parses s.yaml without substitution: the document as written (aliases resolved). */
export function readSpecDocument(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpecError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text, { merge: true });
  } catch (err) {
    throw new SpecError(`${file}: ${(err as Error).message}`);
  }
  if (!isRecord(doc)) throw new SpecError(`${file}: not a YAML mapping`);
  return doc;
}

function toTrigger(raw: unknown, where: string): TriggerSpec {
  if (!isRecord(raw) || typeof raw.triggerName !== 'string' || typeof raw.triggerType !== 'string' || !isRecord(raw.triggerConfig)) {
    throw new SpecError(`${where}: a trigger needs triggerName, triggerType and triggerConfig`);
  }
  const c = raw.triggerConfig;
  if (raw.triggerType === 'http') {
    if (!Array.isArray(c.methods) || typeof c.authType !== 'string') throw new SpecError(`${where}: http trigger needs authType and methods`);
    if (!['anonymous', 'function', 'jwt'].includes(c.authType)) throw new SpecError(`${where}: unknown authType ${c.authType}`);
    return {
      kind: 'http',
      name: raw.triggerName,
      authType: c.authType as HttpTriggerSpec['authType'],
      methods: c.methods.map(String),
      disableURLInternet: c.disableURLInternet === true,
      ...(isRecord(c.authConfig) ? { authConfig: c.authConfig } : {}),
    };
  }
  if (raw.triggerType === 'timer') {
    if (typeof c.cronExpression !== 'string') throw new SpecError(`${where}: timer trigger needs cronExpression`);
    return {
      kind: 'timer',
      name: raw.triggerName,
      cronExpression: c.cronExpression,
      enable: c.enable === true,
      ...(typeof c.payload === 'string' ? { payload: c.payload } : {}),
    };
  }
  return { kind: 'other', name: raw.triggerName, type: raw.triggerType, config: c };
}

function toFunction(resource: string, props: Record<string, unknown>, baseDir: string): FunctionSpec {
  const where = `resources.${resource}.props`;
  const str = (k: string): string => {
    const v = props[k];
    if (typeof v !== 'string' || v === '') throw new SpecError(`${where}.${k} must be a non-empty string`);
    return v;
  };
  const code = props.code;
  const codePath = typeof code === 'string' ? code : isRecord(code) && typeof code.src === 'string' ? code.src : undefined;
  if (!codePath) throw new SpecError(`${where}.code must be a folder path`);
  const env: Record<string, string> = {};
  const rawEnv = props.environmentVariables ?? {};
  if (!isRecord(rawEnv)) throw new SpecError(`${where}.environmentVariables must be a map`);
  for (const [k, v] of Object.entries(rawEnv)) {
    if (typeof v !== 'string') throw new SpecError(`${where}.environmentVariables.${k} must be a string (got ${typeof v})`);
    env[k] = v;
  }
  const lifecycle = props.instanceLifecycleConfig;
  const init = isRecord(lifecycle) && isRecord(lifecycle.initializer) ? lifecycle.initializer : undefined;
  const asyncCfg = isRecord(props.asyncInvokeConfig) ? props.asyncInvokeConfig : {};
  const triggers = Array.isArray(props.triggers) ? props.triggers : [];
  return {
    resource,
    name: str('functionName'),
    region: str('region'),
    runtime: str('runtime'),
    codeDir: resolve(baseDir, codePath),
    handler: str('handler'),
    // The fc3 component's defaults when a prop is absent.
    memorySize: typeof props.memorySize === 'number' ? props.memorySize : 512,
    timeout: typeof props.timeout === 'number' ? props.timeout : 3,
    environmentVariables: env,
    ...(init && typeof init.handler === 'string'
      ? { initializer: { handler: init.handler, timeout: typeof init.timeout === 'number' ? init.timeout : 3 } }
      : {}),
    maxAsyncRetryAttempts: typeof asyncCfg.maxAsyncRetryAttempts === 'number' ? asyncCfg.maxAsyncRetryAttempts : 3,
    triggers: triggers.map((t, i) => toTrigger(t, `${where}.triggers[${i}]`)),
    props,
  };
}

/**
 * s.yaml with every `${...}` substituted: what `s preview -o json` prints. `env` is the environment
 * `${env()}` reads (pass process.env to behave like `s`, or a map in tests).
 */
export function renderSpec(file: string, env: Env): Record<string, unknown> {
  const doc = readSpecDocument(file);
  const vars = isRecord(doc.vars) ? (substitute(doc.vars, {}, env, 'vars') as Record<string, unknown>) : undefined;
  if (!isRecord(doc.resources)) throw new SpecError(`${file}: no resources`);
  const resources = Object.fromEntries(Object.entries(doc.resources).map(([key, r]) => [key, substitute(r, vars ?? {}, env, `resources.${key}`)]));
  return { ...doc, ...(vars ? { vars } : {}), resources };
}

/** Loads s.yaml and resolves every fc3 resource, rendered as `s` renders it (renderSpec). */
export function loadProjectSpec(file: string, env: Env): ProjectSpec {
  const doc = renderSpec(file, env) as { name?: unknown; vars?: Record<string, unknown>; resources: Record<string, unknown> };
  const functions: FunctionSpec[] = [];
  for (const [key, resource] of Object.entries(doc.resources)) {
    if (!isRecord(resource) || resource.component !== 'fc3') continue;
    if (!isRecord(resource.props)) throw new SpecError(`resources.${key}.props must be a map`);
    functions.push(toFunction(key, resource.props, dirname(resolve(file))));
  }
  return { file: resolve(file), name: typeof doc.name === 'string' ? doc.name : '', vars: doc.vars ?? {}, functions };
}

/** Every `${env('X')}` name the document's values read (comments aside), with whether it has a default. */
export function referencedEnv(file: string): Map<string, { hasDefault: boolean }> {
  const out = new Map<string, { hasDefault: boolean }>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(EXPRESSION)) {
        const call = ENV_CALL.exec(m[1]!.trim());
        if (!call) continue;
        const prev = out.get(call[2]!);
        out.set(call[2]!, { hasDefault: (prev?.hasDefault ?? true) && call[4] !== undefined });
      }
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (isRecord(v)) Object.values(v).forEach(visit);
  };
  visit(readSpecDocument(file));
  return out;
}

/** `index.handler` → { file: 'index', exportName: 'handler' } (the file part may contain dots/slashes). */
export function splitHandler(handler: string): { file: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1) throw new SpecError(`handler "${handler}" must look like file.export`);
  return { file: handler.slice(0, dot), exportName: handler.slice(dot + 1) };
}
