// The request's validators (shared/schema: compiled once; precompiled in a bundle). Bodies are
// validated as sent (no coercion, no defaults, never removeAdditional); query and path values are
// strings on the wire, so their validators coerce types ("20" → 20, "false" → false) and nothing else.
// Every error names its field by a JSON pointer into the request: /body/..., /query/..., /path/...,
// /header/....
import { validatorGroup, validatorsOf, type ValidationError } from '../schema/validators.js';
import { NOT_BLANK_MESSAGE, NOT_BLANK_PATTERN, WELL_FORMED_MESSAGE } from '../domain/limits.js';
import type { FieldError } from '../domain/validate.js';
import { PATH_PARAMETERS, QUERIES, REQUEST_BODIES } from './schemas.js';
import type { QueryName, RequestBodyName } from './schemas.js';

export type { FieldError } from '../domain/validate.js';

/** One reference token of a JSON pointer (RFC 6901): `~` and `/` escaped. */
export const pointerToken = (name: string): string => name.replace(/~/g, '~0').replace(/\//g, '~1');

/** The groups a function with routes validates with; a bundle carries the schemas its routes name. */
export const BODY_SCHEMAS = validatorGroup('http-body', 'body', REQUEST_BODIES);
export const QUERY_SCHEMAS = validatorGroup('http-query', 'string', QUERIES);
export const PATH_SCHEMAS = validatorGroup('http-path', 'string', PATH_PARAMETERS);

const bodyValidators = validatorsOf(BODY_SCHEMAS);
const queryValidators = validatorsOf(QUERY_SCHEMAS);
const paramValidators = validatorsOf(PATH_SCHEMAS);

/** ajv's errors as field errors; `root` is the pointer of the validated value (ajv's instancePath, already escaped, continues it). */
function toFieldErrors(root: string, errors: readonly ValidationError[] | null | undefined): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors ?? []) {
    let path = root + e.instancePath;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      path += `/${pointerToken((e.params as { additionalProperty: string }).additionalProperty)}`;
      message = 'is not allowed';
    } else if (e.keyword === 'required') {
      path += `/${pointerToken((e.params as { missingProperty: string }).missingProperty)}`;
      message = 'is required';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (e.keyword === 'pattern' && (e.params as { pattern: string }).pattern === NOT_BLANK_PATTERN) {
      // The same words as the domain's own text check.
      message = NOT_BLANK_MESSAGE;
    }
    if (!out.some((f) => f.path === path && f.message === message)) out.push({ path, message });
  }
  return out;
}

/**
 * Every string of a JSON value, property names included, that is not well-formed UTF-16 (a lone
 * surrogate, e.g. from the escape `\\ud800`). Checked before any schema, on every body and query.
 */
export function illFormedText(value: unknown, pointer: string): FieldError[] {
  if (typeof value === 'string') return value.isWellFormed() ? [] : [{ path: pointer, message: WELL_FORMED_MESSAGE }];
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : value !== null && typeof value === 'object'
      ? Object.entries(value)
      : [];
  return entries.flatMap(([name, v]) => {
    const path = `${pointer}/${pointerToken(name.toWellFormed())}`;
    const ownName: FieldError[] = name.isWellFormed() ? [] : [{ path, message: `property name ${WELL_FORMED_MESSAGE}` }];
    return [...ownName, ...illFormedText(v, path)];
  });
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export function validateBody(name: RequestBodyName, body: unknown): Validated<Record<string, unknown>> {
  const illFormed = illFormedText(body, '/body');
  if (illFormed.length > 0) return { ok: false, errors: illFormed };
  const v = bodyValidators[name];
  return v(body) ? { ok: true, value: body as Record<string, unknown> } : { ok: false, errors: toFieldErrors('/body', v.errors) };
}

export function validateQuery(name: QueryName, query: Readonly<Record<string, string>>): Validated<Record<string, unknown>> {
  const illFormed = illFormedText(query, '/query');
  if (illFormed.length > 0) return { ok: false, errors: illFormed };
  const copy: Record<string, unknown> = { ...query };
  const v = queryValidators[name];
  return v(copy) ? { ok: true, value: copy } : { ok: false, errors: toFieldErrors('/query', v.errors) };
}

/** Validates one path parameter; the name must be one of PATH_PARAMETERS. */
export function validateParam(name: string, value: string): FieldError[] {
  const v = Object.hasOwn(PATH_PARAMETERS, name) ? paramValidators[name] : undefined;
  if (!v) throw new Error(`no schema for path parameter ${name}`);
  return v(value) ? [] : toFieldErrors(`/path/${pointerToken(name)}`, v.errors);
}
