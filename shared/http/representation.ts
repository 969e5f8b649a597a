// The media types a route answers in. Every route answers JSON; a listing route that names the
// schema of its items (`csvItems`) also answers CSV (`Accept: text/csv`), with that schema's
// properties as its columns, in order, so a CSV row and a JSON item always carry the same fields.
// Routes that offer one type answer it whatever Accept says; a route that offers two refuses an
// Accept that allows neither (406 NotAcceptable), and says on every answer that it varies by Accept.
import { GovernorError } from '../domain/errors.js';
import { CSV_EXPORT_ROWS, PAGE_SIZE } from '../domain/limits.js';
import { toCsv } from './csv.js';
import { preferredType } from './negotiate.js';
import { baseHeaders } from './problem.js';
import type { Route, RouteInput } from './routes.js';
import { RESPONSE_SCHEMAS } from './schemas.js';
import type { HttpRequest, HttpResponse } from './types.js';

export const JSON_TYPE = 'application/json';
export const CSV_TYPE = 'text/csv';

/** What a route answers in, its default first. */
export const representationsOf = (route: Route): readonly string[] => (route.csvItems === undefined ? [JSON_TYPE] : [JSON_TYPE, CSV_TYPE]);

/** The type to answer in, and the headers that say the choice depended on Accept. */
export function negotiate(route: Route, accept: string | undefined): { type: string; headers: Record<string, string> } {
  const offered = representationsOf(route);
  if (offered.length === 1) return { type: JSON_TYPE, headers: {} };
  const type = preferredType(accept, offered);
  if (type === undefined) {
    throw new GovernorError('NotAcceptable', `This resource is available as ${offered.join(' or ')}; the Accept header allows neither`, {
      details: { available: offered },
    });
  }
  return { type, headers: { vary: 'accept' } };
}

/** The columns of a CSV listing: the properties of its item schema, in their declared order. */
export function csvColumns(schemaName: string): string[] {
  const schema = RESPONSE_SCHEMAS[schemaName] as { properties?: Record<string, unknown> } | undefined;
  if (!schema?.properties) throw new Error(`CSV items schema ${schemaName} declares no properties`);
  return Object.keys(schema.properties);
}

/**
 * A listing as CSV: from the request's cursor on, page after page, up to `limit` rows when the caller
 * gives one and CSV_EXPORT_ROWS otherwise. When rows remain, `Link: <…cursor=…>; rel="next"` names
 * the request that goes on (the same path and query, the cursor replaced).
 */
export async function csvListing(route: Route, input: RouteInput, req: HttpRequest, requestId: string, headers: Record<string, string>): Promise<HttpResponse> {
  const columns = csvColumns(route.csvItems!);
  const { cursor: first, limit, ...filters } = input.query;
  const wanted = typeof limit === 'number' ? limit : CSV_EXPORT_ROWS;
  const rows: Record<string, unknown>[] = [];
  let cursor = typeof first === 'string' ? first : undefined;
  do {
    const query = { ...filters, limit: Math.min(PAGE_SIZE.max, wanted - rows.length), ...(cursor !== undefined ? { cursor } : {}) };
    const page = (await route.handle({ ...input, query })).body as { items: Record<string, unknown>[]; nextCursor?: string };
    rows.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined && rows.length < wanted);
  const out: Record<string, string> = { ...baseHeaders(requestId, `${CSV_TYPE}; charset=utf-8`), ...headers };
  if (cursor !== undefined) out.link = `<${req.path}?${new URLSearchParams({ ...req.query, cursor }).toString()}>; rel="next"`;
  return { statusCode: 200, headers: out, body: toCsv(columns, rows), isBase64Encoded: false };
}
