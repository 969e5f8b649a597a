// The per-image quota counters (one per channel) and the image record they live on.
import { GovernorError, StoreError, isConditionFailed } from '../errors.js';
import type { ImageRecord, ShareChannel, ShareTarget } from '../model.js';
import { SHARE_CHANNELS } from '../model.js';
import type { DomainDeps } from '../context.js';
import { channelLimit } from '../context.js';
import { MAX_WRITE_ATTEMPTS, compact } from '../util.js';
import { nowIso } from './state-machine.js';

/** The value of a channel's counter on an image record. */
export const quotaUsedOf = (image: Pick<ImageRecord, 'quotaUsed' | 'directoryQuotaUsed'>, channel: ShareChannel): number =>
  channel === 'account' ? image.quotaUsed : image.directoryQuotaUsed;

/** The quota error of a channel: the account channel counts accounts, the directory channel directory targets. */
export function quotaExceeded(imageId: string, channel: ShareChannel, limit: number, used: number, requested: number): GovernorError {
  const what = channel === 'account' ? 'accounts' : 'directory targets';
  return new GovernorError('ShareQuotaExceeded', `Image ${imageId} can be shared with at most ${limit} ${what}`, {
    details: { limit, used, requested, channel },
  });
}

/** Gives back `count` units of a channel's quota of an image (one per share leaving QUOTA_STATES). */
export async function releaseQuota(deps: DomainDeps, regionId: string, imageId: string, count: number, channel: ShareChannel): Promise<void> {
  if (count <= 0) return;
  const limit = channelLimit(deps.policy, channel);
  try {
    await deps.store.adjustQuota(regionId, imageId, -count, limit, deps.clock.now(), channel);
  } catch (e) {
    if (!isConditionFailed(e)) throw e;
    // The counter is lower than the shares we hold: it drifted. Release what is there; the
    // reconciler's recount (quota_mismatch) restores the exact value.
    const image = await deps.store.getImage(regionId, imageId);
    const used = image ? quotaUsedOf(image, channel) : undefined;
    deps.logger.warn({ msg: 'quota release below zero', regionId, imageId, channel, count, used });
    if (used !== undefined && used > 0) {
      await deps.store.adjustQuota(regionId, imageId, -Math.min(count, used), limit, deps.clock.now(), channel).catch(() => undefined);
    }
  }
}

/**
 * Reserves `count` units of a channel's quota atomically (the store's conditional increment, which
 * also requires lifecycle active). Throws ImageDeletionPending or ShareQuotaExceeded {limit, used, requested, channel}.
 */
export async function reserveQuota(deps: DomainDeps, regionId: string, imageId: string, count: number, channel: ShareChannel): Promise<number> {
  const limit = channelLimit(deps.policy, channel);
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    try {
      return await deps.store.adjustQuota(regionId, imageId, count, limit, deps.clock.now(), channel);
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
    const image = await deps.store.getImage(regionId, imageId);
    if (!image) throw new GovernorError('ImageNotFound', `Image ${imageId} has no record`);
    if (image.lifecycle !== 'active') {
      throw new GovernorError('ImageDeletionPending', `Image ${imageId} is ${image.lifecycle} and accepts no new shares`);
    }
    const used = quotaUsedOf(image, channel);
    if (used + count > limit) throw quotaExceeded(imageId, channel, limit, used, count);
    // Quota was freed between the failed write and the read: try again.
  }
  throw new GovernorError('ConcurrentModification', 'The image quota kept changing; retry');
}

/** How many of `targets` are on each channel. */
export const countByChannel = (targets: readonly ShareTarget[]): Record<ShareChannel, number> => ({
  account: targets.filter((t) => t.channel === 'account').length,
  directory: targets.filter((t) => t.channel === 'directory').length,
});

/**
 * Reserves one unit per target on its channel's counter, both or neither: a refusal of the second
 * gives the first back before it propagates.
 */
export async function reserveTargets(deps: DomainDeps, regionId: string, imageId: string, targets: readonly ShareTarget[]): Promise<void> {
  const counts = countByChannel(targets);
  const reserved: ShareChannel[] = [];
  try {
    for (const channel of SHARE_CHANNELS) {
      if (counts[channel] === 0) continue;
      await reserveQuota(deps, regionId, imageId, counts[channel], channel);
      reserved.push(channel);
    }
  } catch (e) {
    for (const channel of reserved) await releaseQuota(deps, regionId, imageId, counts[channel], channel).catch(() => undefined);
    throw e;
  }
}

/** Gives back one unit per target on its channel's counter. */
export async function releaseTargets(deps: DomainDeps, regionId: string, imageId: string, targets: readonly ShareTarget[]): Promise<void> {
  const counts = countByChannel(targets);
  for (const channel of SHARE_CHANNELS) await releaseQuota(deps, regionId, imageId, counts[channel], channel);
}

/** Creates the image record (lifecycle active, no quota used) unless it exists; returns the stored record. */
export async function ensureImageRecord(
  deps: DomainDeps,
  regionId: string,
  imageId: string,
  opts: { imageName?: string; known?: ImageRecord | null } = {},
): Promise<ImageRecord> {
  // `known`: what the caller read of the record a moment ago (null: none), so it is not read again.
  const existing = opts.known !== undefined ? opts.known : await deps.store.getImage(regionId, imageId);
  if (existing) return existing;
  const now = nowIso(deps);
  const record: ImageRecord = compact({
    regionId,
    imageId,
    imageName: opts.imageName,
    lifecycle: 'active',
    quotaUsed: 0,
    directoryQuotaUsed: 0,
    deletion: { status: 'none' },
    createdAt: now,
    updatedAt: now,
    version: 1,
  });
  try {
    await deps.store.createImage(record);
    // Stored as written: no need to read it back.
    return record;
  } catch (e) {
    if (!(e instanceof StoreError && e.kind === 'AlreadyExists')) throw e;
  }
  // Another call created it first: theirs is the record.
  const stored = await deps.store.getImage(regionId, imageId);
  if (!stored) throw new GovernorError('ConcurrentModification', `Image ${imageId} record vanished; retry`);
  return stored;
}
