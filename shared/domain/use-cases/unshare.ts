// Stopping a share, on either channel: no approval; pending asks withdrawn, live shares revoked
// through their intents, shares made outside the service removed too and named.
import { type DirectoryHolding, directorySharesOf, grantsAccess } from '../directory.js';
import { GovernorError, isGovernorError } from '../errors.js';
import type { AccountId, EcsSharePermissions, Share, ShareTarget } from '../model.js';
import { isTerminal, shareTargetKey } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { claimsEntry } from '../drift.js';
import { checkManagedRegion } from '../policy.js';
import {
  PENDING_STATES,
  REVOCABLE_STATES,
  audit,
  cancelRequest,
  closePendingShares,
  revokeDirectory,
  revokeShares,
  sharesOfRequest,
  targetEvent,
  type RemovedFromShare,
} from '../transitions.js';
import { FieldErrors, checkImageRef, checkTargets, checkText } from '../validate.js';
import { liveOrPendingShares, targetDetails } from './checks.js';

export interface UnshareInput {
  readonly regionId: string;
  readonly imageId: string;
  /** Account-channel targets; with `directoryTargets`, at least one target in all. */
  readonly accountIds?: readonly AccountId[];
  readonly directoryTargets?: readonly string[];
  readonly reason: string;
}

export interface UnshareOutcome {
  /** The service's shares this call revoked or withdrew, both channels, in row order (accounts, then directory targets). */
  readonly shares: Share[];
  /** Named accounts that had nothing to remove. */
  readonly notShared: AccountId[];
  /** Named accounts whose ECS share was made outside the service, revoked as well (account order). */
  readonly revokedOutsideService: AccountId[];
  /** The directory channel's results. */
  readonly directory: {
    /** Named directory targets that had nothing to remove. */
    readonly notShared: string[];
    /** Named targets the service's own resource share held without a row of the service, removed as well. */
    readonly revokedOutsideService: string[];
    /**
     * Resource shares the service does not own that held the image for a named target: the image was
     * taken out of each (its other resources and targets untouched), so every target listed lost it.
     */
    readonly removedFromShares: RemovedFromShare[];
  };
  readonly warning: string;
}

/** The warning every unshare response carries: what unsharing costs the instances those accounts already run. */
export const UNSHARE_WARNING = 'Instances that these accounts created from the image can no longer re-initialize their system disks.';
/** Added when the image left a resource share the service does not own: the loss reaches beyond the named targets. */
export const REMOVED_FROM_SHARE_WARNING =
  'The image was taken out of resource shares the service does not own: every target of those shares lost it (directory.removedFromShares).';

export async function unshare(deps: DomainDeps, ctx: Ctx, body: UnshareInput): Promise<UnshareOutcome> {
  const { store, images, directory, policy } = deps;
  const errors = new FieldErrors();
  checkImageRef(errors, body.regionId, body.imageId);
  const targets = checkTargets(errors, body);
  checkText(errors, 'reason', body.reason, { required: true });
  errors.throwIfAny();
  const { regionId, imageId, reason } = body;
  checkManagedRegion(policy, regionId);

  const wanted = new Set(targets.map(shareTargetKey));
  const named = (channel: ShareTarget['channel']) => targets.filter((t) => t.channel === channel).map((t) => t.target);
  const rows = (await liveOrPendingShares(deps, regionId, imageId)).filter((s) => wanted.has(shareTargetKey(s)));
  const inFlight = rows.filter((s) => s.state === 'applying');
  if (inFlight.length > 0) {
    // Removing while the add may still land could leave a share the channel keeps: let the apply finish first.
    throw new GovernorError('ConcurrentModification', `Shares with ${inFlight.map((s) => s.target).join(', ')} are being applied; retry shortly`, {
      details: targetDetails(inFlight),
    });
  }
  let perms: EcsSharePermissions = { accounts: [], isPublic: false };
  let holdings: DirectoryHolding[] = [];
  try {
    if (named('account').length > 0) perms = await images.getSharePermissions(regionId, imageId);
    if (named('directory').length > 0) holdings = await directory.imageShares(regionId, imageId);
  } catch (e) {
    if (!isGovernorError(e, 'ImageNotFound')) throw e;
    if (rows.length === 0 && !(await store.getImage(regionId, imageId))) throw e;
  }
  // Listings of named targets that no live row will remove: made outside the service, or shared
  // outside while the service only holds a pending ask for the target.
  const revocable = rows.filter((s) => REVOCABLE_STATES.includes(s.state));
  const wantedAccounts = new Set(named('account'));
  const strays = perms.accounts
    .map((a) => a.accountId)
    .filter((id) => wantedAccounts.has(id) && !revocable.some((s) => s.channel === 'account' && s.target === id));
  const wantedDirectory = new Set(named('directory'));
  const unclaimed = directorySharesOf(holdings).filter(
    (entry) => grantsAccess(entry.status) && wantedDirectory.has(entry.target) && !revocable.some((s) => claimsEntry(s, entry)),
  );
  const serviceStrays = [...new Set(unclaimed.filter((e) => e.owner === 'service').map((e) => e.target))];
  const outsideShares = [...new Set(unclaimed.filter((e) => e.owner === 'other').map((e) => e.resourceShareId))];

  // Pending asks for these targets are withdrawn; a request left without pending shares is cancelled.
  const pending = rows.filter((s) => PENDING_STATES.includes(s.state));
  const closed = await closePendingShares(deps, ctx, pending, 'withdraw', { action: 'request.cancelled', reason });
  for (const id of new Set(closed.map((s) => s.requestId).filter((x): x is string => x !== undefined))) {
    const request = await store.getRequest(id);
    if (request && request.status === 'pending_approval') {
      const left = (await sharesOfRequest(deps, request)).filter((s) => PENDING_STATES.includes(s.state));
      if (left.length === 0) await cancelRequest(deps, ctx, request, reason);
    }
  }

  const revoked = await revokeShares(
    deps,
    ctx,
    revocable.filter((s) => s.channel === 'account'),
    { reason },
  );
  let removedFromShares: RemovedFromShare[] = [];
  const directoryRows = revocable.filter((s) => s.channel === 'directory');
  if (directoryRows.length > 0 || serviceStrays.length > 0 || outsideShares.length > 0) {
    const outcome = await revokeDirectory(
      deps,
      ctx,
      regionId,
      imageId,
      { rows: directoryRows, outside: { ...(serviceStrays.length > 0 ? { serviceTargets: serviceStrays } : {}), shareIds: outsideShares } },
      { reason },
    );
    revoked.push(...outcome.revoked);
    removedFromShares = outcome.removedFromShares;
  }
  if (strays.length > 0) {
    await images.removeShares(regionId, imageId, strays);
    await audit(
      deps,
      ctx,
      strays.map((target) =>
        targetEvent(regionId, imageId, { channel: 'account', target }, { action: 'share.revoked', reason, detail: 'share not managed by the service' }),
      ),
    );
  }
  // A row another writer moved between our read and our write (an approval applying a pending ask,
  // the reconciler re-applying a share its channel lost) was neither withdrawn nor revoked here. If
  // it is still live, say so instead of reporting success: a retry revokes it.
  const handled = new Set([...closed, ...revoked].map(shareTargetKey));
  const lost: Share[] = [];
  for (const row of [...pending, ...revocable]) {
    if (handled.has(shareTargetKey(row))) continue;
    const fresh = await store.getShare(regionId, imageId, row);
    if (fresh && !isTerminal(fresh.state)) lost.push(row);
  }
  if (lost.length > 0) {
    const whom = lost.map((s) => s.target).sort();
    throw new GovernorError('ConcurrentModification', `Shares with ${whom.join(', ')} were being applied meanwhile; retry`, { details: targetDetails(lost) });
  }
  const lostWithShares = new Set(removedFromShares.flatMap((share) => share.targets));
  const done = new Set([
    ...[...closed, ...revoked].map(shareTargetKey),
    ...strays,
    ...[...serviceStrays, ...lostWithShares].map((target) => shareTargetKey({ channel: 'directory', target })),
  ]);
  const notDone = (channel: ShareTarget['channel']) => targets.filter((t) => t.channel === channel && !done.has(shareTargetKey(t))).map((t) => t.target);
  const shares = [...closed, ...revoked].sort((a, b) => shareTargetKey(a).localeCompare(shareTargetKey(b)));
  return {
    shares,
    notShared: notDone('account'),
    revokedOutsideService: [...strays].sort(),
    directory: { notShared: notDone('directory'), revokedOutsideService: serviceStrays.sort(), removedFromShares },
    warning: removedFromShares.length > 0 ? `${UNSHARE_WARNING} ${REMOVED_FROM_SHARE_WARNING}` : UNSHARE_WARNING,
  };
}
