// Adoption: a share found in ECS becomes the service's, counted against the quota.
import { GovernorError, isConditionFailed } from '../errors.js';
import type { AccountId, Share } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { audit } from './audit.js';
import { ensureImageRecord, releaseQuota, reserveQuota } from './quota.js';
import { initialState, nowIso } from './state-machine.js';

/** Reconciler (unmanagedShares = adopt): records a share found in ECS as active, reserving quota. */
export async function adoptShare(deps: DomainDeps, ctx: Ctx, regionId: string, imageId: string, accountId: AccountId): Promise<Share> {
  const state = initialState(ctx, 'adopt');
  await ensureImageRecord(deps, regionId, imageId);
  await reserveQuota(deps, regionId, imageId, 1);
  const now = nowIso(deps);
  let stored: Share;
  try {
    stored = await deps.store.createShare({
      regionId,
      imageId,
      accountId,
      state,
      origin: 'adopted',
      createdAt: now,
      updatedAt: now,
      version: 1,
    });
  } catch (e) {
    await releaseQuota(deps, regionId, imageId, 1);
    if (isConditionFailed(e))
      throw new GovernorError('ShareAlreadyExists', `${accountId} already has a share of ${imageId}`, { details: { accounts: [accountId] } });
    throw e;
  }
  await audit(deps, ctx, [{ regionId, imageId, action: 'reconcile.adopted', accountId, before: 'unmanaged', after: 'active' }]);
  return stored;
}
