// Stopping a share: no approval; pending asks withdrawn, live shares revoked through their intents,
// shares made outside the service removed too and named.
import { GovernorError, isGovernorError } from '../errors.js';
import type { AccountId, EcsSharePermissions, Share } from '../model.js';
import { isTerminal } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { checkManagedRegion } from '../policy.js';
import { PENDING_STATES, REVOCABLE_STATES, audit, cancelRequest, closePendingShares, revokeShares, sharesOfRequest } from '../transitions.js';
import { FieldErrors, checkAccountIds, checkImageRef, checkText } from '../validate.js';
import { liveOrPendingShares } from './checks.js';

export interface UnshareInput {
  readonly regionId: string;
  readonly imageId: string;
  readonly accountIds: readonly AccountId[];
  readonly reason: string;
}

export interface UnshareOutcome {
  /** The service's shares this call revoked or withdrew, in account order. */
  readonly shares: Share[];
  /** Named accounts that had nothing to remove. */
  readonly notShared: AccountId[];
  /** Named accounts whose ECS share was made outside the service, revoked as well (account order). */
  readonly revokedOutsideService: AccountId[];
  readonly warning: string;
}

/** The warning every unshare response carries: what unsharing costs the instances those accounts already run. */
export const UNSHARE_WARNING = 'Instances that these accounts created from the image can no longer re-initialize their system disks.';

export async function unshare(deps: DomainDeps, ctx: Ctx, body: UnshareInput): Promise<UnshareOutcome> {
  const { store, images, policy } = deps;
  const errors = new FieldErrors();
  checkImageRef(errors, body.regionId, body.imageId);
  checkAccountIds(errors, body.accountIds);
  checkText(errors, 'reason', body.reason, { required: true });
  errors.throwIfAny();
  const { regionId, imageId, reason } = body;
  checkManagedRegion(policy, regionId);

  const wanted = new Set(body.accountIds);
  const rows = (await liveOrPendingShares(deps, regionId, imageId)).filter((s) => wanted.has(s.accountId));
  const inFlight = rows.filter((s) => s.state === 'applying').map((s) => s.accountId);
  if (inFlight.length > 0) {
    // Removing while the add may still land could leave a share ECS keeps: let the apply finish first.
    throw new GovernorError('ConcurrentModification', `Shares with ${inFlight.join(', ')} are being applied; retry shortly`, {
      details: { accounts: inFlight },
    });
  }
  let perms: EcsSharePermissions;
  try {
    perms = await images.getSharePermissions(regionId, imageId);
  } catch (e) {
    if (!isGovernorError(e, 'ImageNotFound')) throw e;
    if (rows.length === 0 && !(await store.getImage(regionId, imageId))) throw e;
    perms = { accounts: [], isPublic: false };
  }
  // ECS shares of named accounts that no live row will remove: made outside the service, or
  // shared outside while the service only holds a pending ask for the account.
  const revocable = rows.filter((s) => REVOCABLE_STATES.includes(s.state));
  const strays = perms.accounts.map((a) => a.accountId).filter((id) => wanted.has(id) && !revocable.some((s) => s.accountId === id));

  // Pending asks for these accounts are withdrawn; a request left without pending shares is cancelled.
  const pending = rows.filter((s) => PENDING_STATES.includes(s.state));
  const closed = await closePendingShares(deps, ctx, pending, 'withdraw', { action: 'request.cancelled', reason });
  for (const id of new Set(closed.map((s) => s.requestId).filter((x): x is string => x !== undefined))) {
    const request = await store.getRequest(id);
    if (request && request.status === 'pending_approval') {
      const left = (await sharesOfRequest(deps, request)).filter((s) => PENDING_STATES.includes(s.state));
      if (left.length === 0) await cancelRequest(deps, ctx, request, reason);
    }
  }

  const revoked = await revokeShares(deps, ctx, revocable, { reason });
  if (strays.length > 0) {
    await images.removeShares(regionId, imageId, strays);
    await audit(
      deps,
      ctx,
      strays.map((accountId) => ({ regionId, imageId, action: 'share.revoked', accountId, reason, detail: 'share not managed by the service' })),
    );
  }
  // A row another writer moved between our read and our write (an approval applying a pending ask,
  // the reconciler re-applying a share ECS lost) was neither withdrawn nor revoked here. If it is
  // still live, say so instead of reporting success: a retry revokes it.
  const handled = new Set([...closed, ...revoked].map((s) => s.accountId));
  const lost: AccountId[] = [];
  for (const row of [...pending, ...revocable]) {
    if (handled.has(row.accountId)) continue;
    const fresh = await store.getShare(regionId, imageId, row.accountId);
    if (fresh && !isTerminal(fresh.state)) lost.push(row.accountId);
  }
  if (lost.length > 0) {
    throw new GovernorError('ConcurrentModification', `Shares with ${lost.sort().join(', ')} were being applied meanwhile; retry`, {
      details: { accounts: lost },
    });
  }
  const done = new Set([...closed, ...revoked].map((s) => s.accountId).concat(strays));
  const notShared = body.accountIds.filter((id) => !done.has(id));
  const shares = [...closed, ...revoked].sort((a, b) => a.accountId.localeCompare(b.accountId));
  return { shares, notShared, revokedOutsideService: [...strays].sort(), warning: UNSHARE_WARNING };
}
