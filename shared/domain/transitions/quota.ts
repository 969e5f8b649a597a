// The per-image quota counter and the image record it lives on.
import { GovernorError, StoreError, isConditionFailed } from '../errors.js';
import type { ImageRecord } from '../model.js';
import type { DomainDeps } from '../context.js';
import { shareLimit } from '../context.js';
import { MAX_WRITE_ATTEMPTS, compact } from '../util.js';
import { nowIso } from './state-machine.js';

/** Gives back `count` quota units of an image (one per share leaving QUOTA_STATES). */
export async function releaseQuota(deps: DomainDeps, regionId: string, imageId: string, count: number): Promise<void> {
  if (count <= 0) return;
  const limit = shareLimit(deps.policy);
  try {
    await deps.store.adjustQuota(regionId, imageId, -count, limit, deps.clock.now());
  } catch (e) {
    if (!isConditionFailed(e)) throw e;
    // The counter is lower than the shares we hold: it drifted. Release what is there; the
    // reconciler's recount (quota_mismatch) restores the exact value.
    const image = await deps.store.getImage(regionId, imageId);
    deps.logger.warn({ msg: 'quota release below zero', regionId, imageId, count, used: image?.quotaUsed });
    if (image && image.quotaUsed > 0) {
      await deps.store.adjustQuota(regionId, imageId, -Math.min(count, image.quotaUsed), limit, deps.clock.now()).catch(() => undefined);
    }
  }
}

/**
 * Reserves `count` quota units atomically (the store's conditional increment, which also requires
 * lifecycle active). Throws ImageDeletionPending or ShareQuotaExceeded {limit, used, requested}.
 */
export async function reserveQuota(deps: DomainDeps, regionId: string, imageId: string, count: number): Promise<number> {
  const limit = shareLimit(deps.policy);
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    try {
      return await deps.store.adjustQuota(regionId, imageId, count, limit, deps.clock.now());
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
    const image = await deps.store.getImage(regionId, imageId);
    if (!image) throw new GovernorError('ImageNotFound', `Image ${imageId} has no record`);
    if (image.lifecycle !== 'active') {
      throw new GovernorError('ImageDeletionPending', `Image ${imageId} is ${image.lifecycle} and accepts no new shares`);
    }
    if (image.quotaUsed + count > limit) {
      throw new GovernorError('ShareQuotaExceeded', `Image ${imageId} can be shared with at most ${limit} accounts`, {
        details: { limit, used: image.quotaUsed, requested: count },
      });
    }
    // Quota was freed between the failed write and the read: try again.
  }
  throw new GovernorError('ConcurrentModification', 'The image quota kept changing; retry');
}

/** Creates the image record (lifecycle active, no quota used) unless it exists; returns the stored record. */
export async function ensureImageRecord(deps: DomainDeps, regionId: string, imageId: string, imageName?: string): Promise<ImageRecord> {
  const existing = await deps.store.getImage(regionId, imageId);
  if (existing) return existing;
  const now = nowIso(deps);
  const record: ImageRecord = compact({
    regionId,
    imageId,
    imageName,
    lifecycle: 'active',
    quotaUsed: 0,
    deletion: { status: 'none' },
    createdAt: now,
    updatedAt: now,
    version: 1,
  });
  try {
    await deps.store.createImage(record);
  } catch (e) {
    if (!(e instanceof StoreError && e.kind === 'AlreadyExists')) throw e;
  }
  const stored = await deps.store.getImage(regionId, imageId);
  if (!stored) throw new GovernorError('ConcurrentModification', `Image ${imageId} record vanished; retry`);
  return stored;
}
