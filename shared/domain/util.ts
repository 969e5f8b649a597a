// Small helpers of the domain core: conditional-write retry loops and bounded concurrency.
import { GovernorError, StoreError, isConditionFailed } from './errors.js';
import type { ImageRecord, ShareRequest } from './model.js';
import type { DomainDeps } from './context.js';

/** How often a conditional write re-reads and re-evaluates before giving up with ConcurrentModification. */
export const MAX_WRITE_ATTEMPTS = 8;

/**
 * Runs `fn` over `items` with at most `limit` in flight; results in input order. After a failure no
 * new item starts, and the first error is thrown only once the calls in flight have settled, so no
 * write keeps running behind the caller's back.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (e) {
        if (!failed) firstError = e;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw firstError;
  return results;
}

/** Drops keys whose value is undefined, so optional fields stay absent in stored rows. */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}

/**
 * Versioned read-modify-write: `mutate` sees the freshest row and returns the next one, or null to
 * stop (the change no longer applies). A lost condition re-reads and re-evaluates. Returns the stored
 * row, or null when stopped or the row is gone.
 */
async function updateVersioned<T extends { readonly version: number; readonly updatedAt: string }>(
  deps: DomainDeps,
  current: T,
  mutate: (fresh: T) => T | null,
  io: { write: (next: T, expectedVersion: number) => Promise<T>; reread: () => Promise<T | null>; what: string },
): Promise<T | null> {
  let fresh = current;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const next = mutate(fresh);
    if (next === null) return null;
    try {
      return await io.write(compact({ ...next, updatedAt: deps.clock.now().toISOString() }), fresh.version);
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
    const reread = await io.reread();
    if (!reread) return null;
    fresh = reread;
  }
  throw new GovernorError('ConcurrentModification', `The ${io.what} kept changing; retry`);
}

/** Versioned read-modify-write of an image record (see updateVersioned). */
export const updateImageRecord = (
  deps: DomainDeps,
  current: ImageRecord,
  mutate: (fresh: ImageRecord) => ImageRecord | null,
): Promise<ImageRecord | null> =>
  updateVersioned(deps, current, mutate, {
    write: (next, expected) => deps.store.updateImage(next, expected),
    reread: () => deps.store.getImage(current.regionId, current.imageId),
    what: 'image record',
  });

/** Versioned read-modify-write of a share request (see updateVersioned). */
export const updateRequestRecord = (
  deps: DomainDeps,
  current: ShareRequest,
  mutate: (fresh: ShareRequest) => ShareRequest | null,
): Promise<ShareRequest | null> =>
  updateVersioned(deps, current, mutate, {
    write: (next, expected) => deps.store.updateRequest(next, expected),
    reread: () => deps.store.getRequest(current.requestId),
    what: 'share request',
  });

/** Store outages reach the caller as a 503, never as a StoreError. */
export function storeFailure(e: unknown): unknown {
  if (e instanceof StoreError && (e.kind === 'Busy' || e.kind === 'Unavailable')) {
    return new GovernorError('UpstreamUnavailable', 'The state store is unavailable; retry later', { cause: e, retryAfter: 1 });
  }
  return e;
}
