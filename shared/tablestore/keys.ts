// Key shapes and opaque cursors. Time-ordered keys invert the timestamp so that a forward range
// scan returns the newest rows first.
import { GovernorError } from '../domain/errors.js';
import { findingKeyPrefix, isOpenRequest, type FindingKind, type RequestFilter } from '../domain/model.js';

/** Larger than any millisecond timestamp until the year 2286; keeps inverted keys 13 digits. */
const INVERSION_BASE = 9_999_999_999_999;

export function invertedTime(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`Not an ISO timestamp: ${iso}`);
  return String(INVERSION_BASE - ms).padStart(13, '0');
}

/** `<inverted ms>#<id>`: newest first, ties broken by id. */
export const timeKey = (iso: string, id: string): string => `${invertedTime(iso)}#${id}`;

/** The epoch milliseconds a timeKey was made from. */
export const timeOfKey = (key: string): number => INVERSION_BASE - Number(key.slice(0, 13));

/** Counts audit appends in this process; inverted into the audit key so later appends list first. */
let auditAppends = 0;
/** Keys already given out, so appending the same event again (a retry) rewrites its row. */
const auditKeys = new Map<string, string>();
const REMEMBERED_AUDIT_KEYS = 10_000;

/**
 * `<inverted ms>#<inverted append counter>#<event id>`: the events of one action often share a
 * millisecond, and the trail must still read newest first (e.g. "applied" above "approved").
 * The counter orders appends made by one process; equal instants from different processes have no
 * order to keep. An event appended again by this process gets its first key back.
 */
export function auditKey(iso: string, eventId: string): string {
  const event = `${iso}#${eventId}`;
  const known = auditKeys.get(event);
  if (known !== undefined) return known;
  auditAppends += 1;
  const key = `${invertedTime(iso)}#${String(Number.MAX_SAFE_INTEGER - auditAppends).padStart(16, '0')}#${eventId}`;
  auditKeys.set(event, key);
  if (auditKeys.size > REMEMBERED_AUDIT_KEYS) auditKeys.delete(auditKeys.keys().next().value as string);
  return key;
}

export const imageKey = (regionId: string, imageId: string): string => `${regionId}/${imageId}`;

/** The open-requests index (`requests_open`) holds each open request twice: in the scope of all of them, and in its image's. */
export const ALL_OPEN_SCOPE = 'all';
export const imageOpenScope = (regionId: string, imageId: string): string => `image:${imageKey(regionId, imageId)}`;

/** The keys of a request's two rows in `requests_open` (its time key in each scope). */
export const openRowKeys = (regionId: string, imageId: string, key: string): Record<string, string>[][] =>
  [ALL_OPEN_SCOPE, imageOpenScope(regionId, imageId)].map((scope): Record<string, string>[] => [{ scope }, { time_key: key }]);

/**
 * The open-index scope a request listing reads: an open status (or `open`) reads open requests only,
 * one image's when the filter names it; undefined for every other listing (the time index).
 */
export function openScopeOf(filter: RequestFilter): string | undefined {
  if (filter.status === undefined || (filter.status !== 'open' && !isOpenRequest(filter.status))) return undefined;
  return filter.regionId !== undefined && filter.imageId !== undefined ? imageOpenScope(filter.regionId, filter.imageId) : ALL_OPEN_SCOPE;
}

/** The tag of a request listing's cursors: they continue only the index and scope that issued them. */
export const requestsListing = (filter: RequestFilter): string => {
  const scope = openScopeOf(filter);
  return scope === undefined ? 'requests' : `requests:open:${scope}`;
};

/** Tablestore's bound on one STRING primary-key value: 1 KB of UTF-8, not 1024 UTF-16 code units. */
export const MAX_KEY_VALUE_BYTES = 1024;

/** A value Tablestore accepts as a STRING key as it stands: well-formed UTF-16 (nothing silently replaced) within the byte bound. */
export const isStorableKeyValue = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.isWellFormed() && Buffer.byteLength(v, 'utf8') <= MAX_KEY_VALUE_BYTES;

/**
 * A cursor is the primary key of the next row to return, tagged with the listing it belongs to,
 * as base64url JSON. It is opaque to callers; a cursor from another listing or a tampered one is a
 * client mistake (400), never a store failure: every key value is checked against what Tablestore
 * itself would refuse before it reaches a range read.
 */
export function encodeCursor(listing: string, key: readonly string[]): string {
  return Buffer.from(JSON.stringify({ l: listing, k: key }), 'utf8').toString('base64url');
}

export function decodeCursor(listing: string, cursor: string, keyLength: number): string[] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { l?: unknown; k?: unknown };
    if (parsed.l === listing && Array.isArray(parsed.k) && parsed.k.length === keyLength && parsed.k.every(isStorableKeyValue)) {
      return parsed.k as string[];
    }
  } catch {
    // fall through
  }
  throw invalidCursor();
}

export const invalidCursor = (): GovernorError =>
  new GovernorError('ValidationFailed', 'The cursor is not valid for this listing', {
    details: { errors: [{ path: '/cursor', message: 'is not a cursor returned by this listing' }] },
  });

/** The listing a run's findings cursor belongs to: the run, and the kind filter if any. */
export const findingsListing = (runId: string, kind?: FindingKind): string => `findings:${runId}${kind === undefined ? '' : `:${kind}`}`;

/** The findingKey a findings cursor resumes at; under a kind filter it must be one of that kind's keys. */
export function decodeFindingsCursor(listing: string, cursor: string, kind?: FindingKind): string {
  const [key] = decodeCursor(listing, cursor, 1) as [string];
  if (kind !== undefined && !key.startsWith(findingKeyPrefix(kind))) throw invalidCursor();
  return key;
}

/** The posture listing's cursor tag: the kind filter (the regions are checked against the cursor's). */
export const postureListing = (kind?: FindingKind): string => `posture${kind === undefined ? '' : `:${kind}`}`;

/** Where a posture page resumes: a region of the listing, the run its page was read from, that run's count, a findingKey. */
export function decodePostureCursor(
  listing: string,
  cursor: string,
  regionIds: readonly string[],
  kind?: FindingKind,
): { regionId: string; runId: string; committed: number; key: string } {
  const [regionId, runId, committed, key] = decodeCursor(listing, cursor, 4) as [string, string, string, string];
  if (!regionIds.includes(regionId) || !/^[0-9]{1,15}$/.test(committed) || (kind !== undefined && !key.startsWith(findingKeyPrefix(kind)))) throw invalidCursor();
  return { regionId, runId, committed: Number(committed), key };
}
