/** What every admin route shares: its answer, JSON bodies validated by schemas compiled once, path segments. */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

// Schema fragments the admin bodies share.
export const ACCOUNT_ID = { type: 'string', pattern: '^[0-9]{16}$' } as const;
export const REGION_ID = { type: 'string', pattern: '^[a-z]{2,}(-[a-z0-9]+)+$', maxLength: 64 } as const;
export const IMAGE_ID = { type: 'string', pattern: '^m-[a-z0-9]{8,40}$' } as const;

export interface AdminResponse {
  status: number;
  body?: unknown;
}

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);

/** Compiled once, at load. */
export const compileSchema = (schema: object): ValidateFunction => ajv.compile(schema);

export const fail = (status: number, message: string): AdminResponse => ({ status, body: { error: message } });

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((error) => `${error.instancePath || '(body)'} ${error.message ?? 'is invalid'}${
      error.keyword === 'additionalProperties' ? `: ${String(error.params['additionalProperty'])}` : ''
    }`)
    .join('; ');
}

export type Parsed<T> = { ok: true; body: T } | { ok: false; response: AdminResponse };

/** The JSON body if `validate` accepts it; `kind` names it in the 400 message. */
export function parseBody<T>(raw: Buffer, validate: ValidateFunction, kind: string): Parsed<T> {
  let value: unknown;
  try {
    value = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, response: fail(400, 'request body is not valid JSON') };
  }
  if (value === undefined) return { ok: false, response: fail(400, 'request body is required') };
  if (!validate(value)) return { ok: false, response: fail(400, `invalid ${kind}: ${describeErrors(validate.errors)}`) };
  return { ok: true, body: value as T };
}

/** A path segment, percent-decoded; undefined when its escapes are malformed. */
export function pathSegment(raw: string | undefined): string | undefined {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    return undefined;
  }
}
