/**
 * What the emulators' admin routes share: an answer type, the `{"error": message}` failure, and JSON
 * bodies checked against a schema compiled once, with ajv's findings spelled out for the caller.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';

export interface AdminResponse {
  status: number;
  body?: unknown;
}

export const fail = (status: number, message: string): AdminResponse => ({ status, body: { error: message } });

export type Parsed<T> = { ok: true; body: T } | { ok: false; response: AdminResponse };

export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((error) => `${error.instancePath || '(body)'} ${error.message ?? 'is invalid'}${
      error.keyword === 'additionalProperties' ? `: ${String(error.params['additionalProperty'])}` : ''
    }`)
    .join('; ');
}

/** The body as JSON that satisfies `validate`, or the 400 to answer: `invalid <kind>: <findings>`. */
export function parseJsonBody<T>(raw: Buffer, validate: ValidateFunction, kind: string): Parsed<T> {
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

/** `DELETE /__emulator/faults/{id}`, which every emulator answers alike; undefined for any other route. */
export function removeFaultRoute(method: string, pathname: string, remove: (id: string) => boolean): AdminResponse | undefined {
  const match = /^\/__emulator\/faults\/([^/]+)$/.exec(pathname);
  if (!match || method !== 'DELETE') return undefined;
  const id = pathSegment(match[1]);
  if (id === undefined) return fail(400, `malformed percent-encoding in ${pathname}`);
  return remove(id) ? { status: 204 } : fail(404, 'no such fault');
}
