// ajv validators compiled once, at module load. Bodies are validated as sent (no coercion, no
// defaults, never removeAdditional); query and path values are strings on the wire, so their
// validator coerces types ("20" → 20, "false" → false) and nothing else.
import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { PATH_PARAMETERS, QUERIES, REQUEST_BODIES } from './schemas.js';
import type { JsonSchema, QueryName, RequestBodyName } from './schemas.js';

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes, useDefaults: false, removeAdditional: false, allowUnionTypes: true });
  addFormats(ajv, ['date-time']);
  ajv.addVocabulary(['example']);
  return ajv;
}

const bodyAjv = makeAjv(false);
const stringAjv = makeAjv(true);

const compileAll = <K extends string>(ajv: Ajv, schemas: Record<K, JsonSchema>): Record<K, ValidateFunction> =>
  Object.fromEntries(Object.entries(schemas).map(([k, s]) => [k, ajv.compile(s as object)])) as Record<K, ValidateFunction>;

const bodyValidators = compileAll(bodyAjv, REQUEST_BODIES as Record<RequestBodyName, JsonSchema>);
const queryValidators = compileAll(stringAjv, QUERIES as Record<QueryName, JsonSchema>);
const paramValidators = compileAll(stringAjv, PATH_PARAMETERS as Record<string, JsonSchema>);

function toFieldErrors(location: string, errors: readonly ErrorObject[] | null | undefined): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors ?? []) {
    let path = location + e.instancePath;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      path += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
      message = 'is not allowed';
    } else if (e.keyword === 'required') {
      path += `/${(e.params as { missingProperty: string }).missingProperty}`;
      message = 'is required';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    if (!out.some((f) => f.path === path && f.message === message)) out.push({ path, message });
  }
  return out;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export function validateBody(name: RequestBodyName, body: unknown): Validated<Record<string, unknown>> {
  const v = bodyValidators[name];
  return v(body) ? { ok: true, value: body as Record<string, unknown> } : { ok: false, errors: toFieldErrors('body', v.errors) };
}

export function validateQuery(name: QueryName, query: Readonly<Record<string, string>>): Validated<Record<string, unknown>> {
  const copy: Record<string, unknown> = { ...query };
  const v = queryValidators[name];
  return v(copy) ? { ok: true, value: copy } : { ok: false, errors: toFieldErrors('query', v.errors) };
}

/** Validates one path parameter; the name must be one of PATH_PARAMETERS. */
export function validateParam(name: string, value: string): FieldError[] {
  const v = paramValidators[name];
  if (!v) throw new Error(`no schema for path parameter ${name}`);
  return v(value) ? [] : toFieldErrors(`path/${name}`, v.errors);
}
