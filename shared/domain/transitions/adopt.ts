// Adoption: a share found in a channel becomes the service's, counted against that channel's quota.
import { GovernorError, isConditionFailed } from '../errors.js';
import type { Share, ShareTarget } from '../model.js';
import { targetFields } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { compact } from '../util.js';
import { audit, shareEvent } from './audit.js';
import { ensureImageRecord, releaseQuota, reserveQuota } from './quota.js';
import { initialState, nowIso } from './state-machine.js';

/**
 * Reconciler (unmanagedShares = adopt): records a share found in its channel as active, reserving
 * quota. A directory share records the resource share it was found in (`resourceShareId`).
 */
export async function adoptShare(
  deps: DomainDeps,
  ctx: Ctx,
  regionId: string,
  imageId: string,
  found: ShareTarget & { readonly resourceShareId?: string },
): Promise<Share> {
  const state = initialState(ctx, 'adopt');
  await ensureImageRecord(deps, regionId, imageId);
  await reserveQuota(deps, regionId, imageId, 1, found.channel);
  const now = nowIso(deps);
  let stored: Share;
  try {
    stored = await deps.store.createShare(
      compact({
        regionId,
        imageId,
        ...targetFields(found),
        state,
        origin: 'adopted' as const,
        resourceShareId: found.resourceShareId,
        createdAt: now,
        updatedAt: now,
        version: 1,
      }),
    );
  } catch (e) {
    await releaseQuota(deps, regionId, imageId, 1, found.channel);
    if (isConditionFailed(e)) {
      throw new GovernorError('ShareAlreadyExists', `${found.target} already has a share of ${imageId}`, {
        details: found.channel === 'account' ? { accounts: [found.target] } : { directoryTargets: [found.target] },
      });
    }
    throw e;
  }
  await audit(deps, ctx, [
    shareEvent(stored, { action: 'reconcile.adopted', before: 'unmanaged', after: 'active', ...(found.resourceShareId ? { detail: found.resourceShareId } : {}) }),
  ]);
  return stored;
}
