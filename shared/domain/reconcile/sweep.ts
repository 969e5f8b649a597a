// One region's sweep, resumable from a cursor. Three phases, each paged:
//   requests  the region's open share requests (store): pending ones past pendingUntil expire;
//             approved ones whose rows are all settled (a call stopped before its request) are finished
//   ecs       every own image in every status, with its share permissions (ECS pages by number) and
//             the resource shares holding it (the region's resource shares read once per invocation,
//             so the directory channel adds a few calls per region, none per image)
//   store     images the store knows that ECS no longer lists (deleted outside, or a drain whose
//             DeleteImage landed before the store update)
// The cursor names the phase, the page and the index inside it. ECS pages by number, so an image
// created or deleted between two invocations can shift a page by one: the next scheduled run covers
// whatever a shift skipped.
import type { EcsImage, ShareRequest } from '../model.js';
import { expireRequest, refreshRequestStatus, settledRequestStatus } from '../transitions.js';
import { errorCode } from '../errors.js';
import { reconcileImage, type ReconcileEnv } from './image.js';
import { carryOver, noteFinding, requestSubject } from './findings.js';
import { ownedKinds } from './policy-checks.js';

export interface RegionCursor {
  readonly phase: 'requests' | 'ecs' | 'store';
  /** ECS page number (phase ecs). */
  readonly pageNumber: number;
  /** Index of the next item inside the page. */
  readonly index: number;
  /** Store page cursor (phases requests and store); absent = first page. */
  readonly storeCursor?: string;
}

export const START_CURSOR: RegionCursor = { phase: 'requests', pageNumber: 1, index: 0 };

export const ECS_PAGE_SIZE = 100;
export const STORE_PAGE_SIZE = 100;

export interface SweepControl {
  /** Images reconciled at once. */
  readonly concurrency: number;
  /** True once the invocation should stop taking new work and hand over a cursor. */
  readonly shouldStop: () => boolean;
}

/** Returns the cursor to resume from, or undefined when the region is done. */
export async function sweepRegion(
  env: ReconcileEnv,
  regionId: string,
  from: RegionCursor,
  control: SweepControl,
): Promise<RegionCursor | undefined> {
  let cursor: RegionCursor = from;
  if (cursor.phase === 'requests') {
    const next = await requestsPhase(env, regionId, cursor, control);
    if (next) return next;
    cursor = { phase: 'ecs', pageNumber: 1, index: 0 };
  }
  if (cursor.phase === 'ecs') {
    const next = await ecsPhase(env, regionId, cursor, control);
    if (next) return next;
    cursor = { phase: 'store', pageNumber: 1, index: 0 };
  }
  return storePhase(env, regionId, cursor, control);
}

async function requestsPhase(env: ReconcileEnv, regionId: string, from: RegionCursor, control: SweepControl): Promise<RegionCursor | undefined> {
  const { store } = env.deps;
  let storeCursor = from.storeCursor;
  for (;;) {
    if (control.shouldStop()) return { phase: 'requests', pageNumber: 1, index: 0, ...(storeCursor ? { storeCursor } : {}) };
    // The region's open requests only: finished ones need nothing, and their history never costs a read here.
    const page = await store.listRequests({ status: 'open', regionId }, STORE_PAGE_SIZE, storeCursor);
    for (const request of page.items) {
      try {
        if (request.status === 'pending_approval') await expireIfDue(env, request);
        else if (request.status === 'approved') await finishIfSettled(env, request);
      } catch (error) {
        await failed(env, { regionId, imageId: request.imageId, target: request.requestId }, error);
      }
    }
    if (!page.nextCursor) return undefined;
    storeCursor = page.nextCursor;
  }
}

async function expireIfDue(env: ReconcileEnv, request: ShareRequest): Promise<void> {
  if (Date.parse(request.pendingUntil) > env.deps.clock.now().getTime()) return;
  const detail = `pending approval past ${request.pendingUntil}, for ${request.accountIds.length} account(s)`;
  await noteFinding(env, { kind: 'expired_request', ...requestSubject(request), detail }, async () =>
    (await expireRequest(env.deps, env.ctx, request)) ? 'request_expired' : 'none',
  );
}

/**
 * An approved request whose call stopped after its rows moved (or never wrote some of them) stays
 * approved although nothing is in flight any more: once past the grace period, its rows decide its
 * final status, and accounts that never got a row count as failed.
 */
async function finishIfSettled(env: ReconcileEnv, request: ShareRequest): Promise<void> {
  const { deps } = env;
  if (deps.clock.now().getTime() - Date.parse(request.updatedAt) <= deps.policy.intentGraceSeconds * 1000) return;
  const rows = await deps.store.listShares(request.regionId, request.imageId);
  const status = settledRequestStatus(request, rows, { rowless: 'failed' });
  if (status === null) return;
  const detail = `approved, every share settled, still recorded as approved (its rows say ${status})`;
  await noteFinding(env, { kind: 'unfinished_request', ...requestSubject(request), detail }, async () => {
    const finished = await refreshRequestStatus(deps, request.requestId, { rowless: 'failed' });
    return finished && finished.status !== 'approved' ? 'request_finished' : 'none';
  });
}

async function ecsPhase(env: ReconcileEnv, regionId: string, from: RegionCursor, control: SweepControl): Promise<RegionCursor | undefined> {
  let pageNumber = from.pageNumber;
  let index = from.index;
  // Every resource share of the region, keyed by image: an image in none holds nothing on that channel.
  const holdings = await env.deps.directory.regionShares(regionId);
  for (;;) {
    const page = await env.deps.images.listOwnImages(regionId, { pageNumber, pageSize: ECS_PAGE_SIZE });
    const next = await forEachBounded(page.images, index, control, async (image) => {
      env.tally.imagesScanned += 1;
      await guarded(env, regionId, image.imageId, () => reconcileImage(env, regionId, image.imageId, image, holdings.get(image.imageId) ?? []));
    });
    if (next < page.images.length) return { phase: 'ecs', pageNumber, index: next };
    if (page.nextPageNumber === undefined || page.images.length === 0) return undefined;
    pageNumber = page.nextPageNumber;
    index = 0;
    if (control.shouldStop()) return { phase: 'ecs', pageNumber, index: 0 };
  }
}

async function storePhase(env: ReconcileEnv, regionId: string, from: RegionCursor, control: SweepControl): Promise<RegionCursor | undefined> {
  const { store, images } = env.deps;
  // Re-listing ids is cheap (one DescribeImages per 100 images) and keeps the cursor small.
  const listed = await listOwnImageIds(env, regionId);
  let storeCursor = from.storeCursor;
  let index = from.index;
  for (;;) {
    const page = await store.listImages({ regionId }, STORE_PAGE_SIZE, storeCursor);
    // A deleted image that holds no quota has nothing left to close: skipped without an ECS call.
    // One that still holds quota (an apply that stopped after its intent) is closed below.
    const next = await forEachBounded(page.items, index, control, async (record) => {
      if (listed.has(record.imageId) || (record.lifecycle === 'deleted' && record.quotaUsed === 0)) return;
      env.tally.imagesScanned += 1;
      await guarded(env, regionId, record.imageId, async () => {
        // Confirm absence image by image: the listing may predate an image created since.
        const ecs = await images.getImage(regionId, record.imageId);
        const own = ecs && ownedKinds.includes(ecs.kind) ? ecs : null;
        await reconcileImage(env, regionId, record.imageId, own);
      });
    });
    if (next < page.items.length) {
      return { phase: 'store', pageNumber: 1, index: next, ...(storeCursor ? { storeCursor } : {}) };
    }
    if (!page.nextCursor) return undefined;
    storeCursor = page.nextCursor;
    index = 0;
    if (control.shouldStop()) return { phase: 'store', pageNumber: 1, index: 0, storeCursor };
  }
}

async function listOwnImageIds(env: ReconcileEnv, regionId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let pageNumber: number | undefined = 1;
  while (pageNumber !== undefined) {
    const page: { images: EcsImage[]; nextPageNumber?: number } = await env.deps.images.listOwnImages(regionId, {
      pageNumber,
      pageSize: ECS_PAGE_SIZE,
    });
    for (const image of page.images) ids.add(image.imageId);
    pageNumber = page.images.length === 0 ? undefined : page.nextPageNumber;
  }
  return ids;
}

/** One image's failure is recorded and the sweep goes on. */
async function guarded(env: ReconcileEnv, regionId: string, imageId: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    await failed(env, { regionId, imageId }, error);
  }
}

/** What the sweep could not check is recorded as an error, and keeps the findings the posture holds for it. */
async function failed(env: ReconcileEnv, on: { regionId: string; imageId: string; target?: string }, error: unknown): Promise<void> {
  recordError(env, on.regionId, on.imageId, error);
  try {
    await carryOver(env, on, errorCode(error));
  } catch (carryError) {
    env.deps.logger.warn({ msg: 'reconcile.carry_over_failed', ...on, runId: env.ctx.requestId, code: errorCode(carryError) });
  }
}

export function recordError(env: ReconcileEnv, regionId: string | undefined, imageId: string | undefined, error: unknown): void {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  env.tally.error({ ...(regionId ? { regionId } : {}), ...(imageId ? { imageId } : {}), code, message });
  env.deps.logger.warn({ msg: 'reconcile.image_failed', regionId, imageId, code, message, runId: env.ctx.requestId });
}

/**
 * Runs `work` over items[from..] with at most `concurrency` in flight, in order. Stops scheduling
 * once `shouldStop()`; everything scheduled finishes. Returns the index of the first item not run.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  from: number,
  control: SweepControl,
  work: (item: T) => Promise<void>,
): Promise<number> {
  let next = from;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && next < items.length) {
      if (control.shouldStop()) {
        stopped = true;
        return;
      }
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  const workers = Math.max(1, Math.min(control.concurrency, items.length - from));
  await Promise.all(Array.from({ length: workers }, worker));
  return next;
}
