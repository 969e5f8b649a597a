// Revoke: active → revoking (write-ahead intent, quota released) → the channel's removal → revoked or
// expired. The account channel removes accounts through ECS. The directory channel removes targets
// from the service's own resource share, and takes the image out of a share the service does not own
// (an adopted one, or one made outside it) — which ends the image's access for every target of that
// share, never touching its other resources or targets: every row claiming that share is revoked with it.
import { type DirectoryShare, directorySharesOf } from '../directory.js';
import { isGovernorError } from '../errors.js';
import type { Share, ShareState } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { claimsEntry } from '../drift.js';
import { audit, shareEvent, targetEvent } from './audit.js';
import { removeTargets } from './apply.js';
import { releaseQuota } from './quota.js';
import { REVOCABLE_STATES, groupByImageAndChannel, recordIntentError, shareKey, transitionAll } from './state-machine.js';

export interface RevokeOptions {
  readonly reason: string;
  readonly finalState?: 'revoked' | 'expired';
}

/** A resource share the service does not own that the image was taken out of, and every target that lost the image with it. */
export interface RemovedFromShare {
  readonly resourceShareId: string;
  readonly resourceShareName: string;
  readonly targets: readonly string[];
}

/**
 * active → revoking (intent, quota released) → removal → revoked (or `finalState`, e.g. expired).
 * Accepts shares in `active` or `revoking` (resume). Upstream errors leave them `revoking` and rethrow.
 * Returns the shares in their final state (on the directory channel, also the rows that lost the image
 * with a share the service does not own).
 */
export async function revokeShares(deps: DomainDeps, ctx: Ctx, shares: readonly Share[], opts: RevokeOptions): Promise<Share[]> {
  const out: Share[] = [];
  for (const group of groupByImageAndChannel(shares)) {
    const { regionId, imageId, channel } = group[0] as Share;
    if (channel === 'account') out.push(...(await revokeAccounts(deps, ctx, group, opts)));
    else out.push(...(await revokeDirectory(deps, ctx, regionId, imageId, { rows: group }, opts)).revoked);
  }
  return out;
}

/** Writes the intents (quota released with them) and returns them with the state each left. */
async function startRevoke(deps: DomainDeps, ctx: Ctx, rows: readonly Share[]): Promise<{ intents: Share[]; before: Map<string, ShareState> }> {
  const resumed = rows.filter((s) => s.state === 'revoking');
  const { moved } = await transitionAll(
    deps,
    ctx,
    rows.filter((s) => s.state === 'active'),
    'start_revoke',
  );
  const first = rows[0];
  // `revoking` is outside QUOTA_STATES: the unit is released with the intent (revoking only moves forward).
  if (first) await releaseQuota(deps, first.regionId, first.imageId, moved.length, first.channel);
  const intents = [...resumed, ...moved];
  return { intents, before: new Map<string, ShareState>(intents.map((s) => [shareKey(s), moved.includes(s) ? 'active' : 'revoking'])) };
}

async function revokeAccounts(deps: DomainDeps, ctx: Ctx, group: readonly Share[], opts: RevokeOptions): Promise<Share[]> {
  const { intents, before } = await startRevoke(deps, ctx, group);
  const first = intents[0];
  if (!first) return [];
  try {
    await removeTargets(
      deps,
      first.regionId,
      first.imageId,
      'account',
      intents.map((s) => s.target),
    );
  } catch (e) {
    // An image ECS no longer has is shared with nobody: the removal is complete.
    if (!isGovernorError(e, 'ImageNotFound')) {
      await recordIntentError(deps, ctx, intents, e);
      throw e;
    }
  }
  return finishRevoke(deps, ctx, intents, before, opts);
}

/**
 * Every directory-channel removal of one image goes through here. `rows`: the service's rows to
 * revoke; `outside`: what else to remove — targets the service's share holds that no row claims, and
 * shares the service does not own to take the image out of. The image is read once to see which
 * share each row is held through; rows held through a share that is being cut are revoked too.
 */
export async function revokeDirectory(
  deps: DomainDeps,
  ctx: Ctx,
  regionId: string,
  imageId: string,
  plan: {
    rows: readonly Share[];
    /** `serviceTargets` (even empty) also deletes the service's share once it holds no target. */
    outside?: { serviceTargets?: readonly string[]; shareIds?: readonly string[] };
    /** The audit action of each target that loses the image without a row of its own (default `share.revoked`). */
    outsideAction?: string;
  },
  opts: RevokeOptions,
): Promise<{ revoked: Share[]; removedFromShares: RemovedFromShare[] }> {
  let entries: DirectoryShare[];
  try {
    entries = directorySharesOf(await deps.directory.imageShares(regionId, imageId));
  } catch (e) {
    if (!isGovernorError(e, 'ImageNotFound')) throw e;
    entries = [];
  }
  const heldThroughOther = (row: Share) => entries.filter((e) => e.owner === 'other' && claimsEntry(row, e)).map((e) => e.resourceShareId);
  const cut = new Set([...(plan.outside?.shareIds ?? []), ...plan.rows.flatMap(heldThroughOther)]);
  let rows = plan.rows.filter((s) => REVOCABLE_STATES.includes(s.state));
  if (cut.size > 0) {
    // The service's other rows held through a share being cut lose the image with it.
    const siblings = (await deps.store.listShares(regionId, imageId)).filter(
      (s) => REVOCABLE_STATES.includes(s.state) && heldThroughOther(s).some((id) => cut.has(id)) && !rows.some((r) => r.target === s.target && r.channel === s.channel),
    );
    rows = [...rows, ...siblings];
  }
  const { intents, before } = await startRevoke(deps, ctx, rows);
  const throughService = intents.filter((s) => s.origin === 'request' || entries.some((e) => e.owner === 'service' && claimsEntry(s, e))).map((s) => s.target);
  try {
    const fromServiceShare = [...new Set([...throughService, ...(plan.outside?.serviceTargets ?? [])])];
    // An explicit (even empty) list of service targets asks for the share to be deleted once it holds no target.
    if (fromServiceShare.length > 0 || plan.outside?.serviceTargets !== undefined) await deps.directory.removeTargets(regionId, imageId, fromServiceShare);
    for (const resourceShareId of cut) await deps.directory.removeImageFromShare(regionId, resourceShareId, imageId);
  } catch (e) {
    if (!isGovernorError(e, 'ImageNotFound')) {
      await recordIntentError(deps, ctx, intents, e);
      throw e;
    }
  }
  const revoked = await finishRevoke(deps, ctx, intents, before, opts);

  // Who lost the image outside the service's rows: said in the trail, target by target.
  const removedFromShares: RemovedFromShare[] = [...cut].map((resourceShareId) => {
    const held = entries.filter((e) => e.resourceShareId === resourceShareId);
    return { resourceShareId, resourceShareName: held[0]?.resourceShareName ?? '', targets: held.map((e) => e.target) };
  });
  const unowned = [
    ...(plan.outside?.serviceTargets ?? []).map((target) => ({ target, detail: 'target of the service resource share that no share row claimed' })),
    ...removedFromShares.flatMap((share) =>
      share.targets
        .filter((target) => !intents.some((s) => s.target === target))
        .map((target) => ({ target, detail: `image removed from resource share ${share.resourceShareId} (not managed by the service)` })),
    ),
  ];
  await audit(
    deps,
    ctx,
    unowned.map(({ target, detail }) =>
      targetEvent(regionId, imageId, { channel: 'directory', target }, { action: plan.outsideAction ?? 'share.revoked', before: 'shared', after: 'revoked', reason: opts.reason, detail }),
    ),
  );
  return { revoked, removedFromShares };
}

async function finishRevoke(
  deps: DomainDeps,
  ctx: Ctx,
  intents: readonly Share[],
  before: ReadonlyMap<string, ShareState>,
  opts: RevokeOptions,
): Promise<Share[]> {
  const finalState = opts.finalState ?? 'revoked';
  const { moved } = await transitionAll(deps, ctx, intents, finalState === 'expired' ? 'confirm_expired' : 'confirm_revoked', {
    lastError: undefined,
  });
  const action = finalState === 'expired' ? 'share.expired' : 'share.revoked';
  await audit(
    deps,
    ctx,
    moved.map((s) => shareEvent(s, { action, before: before.get(shareKey(s)) ?? 'revoking', after: finalState, reason: opts.reason })),
  );
  return moved;
}

/** Reconciler: the channel no longer lists these `revoking` shares → revoked (or expired). */
export async function markRevoked(deps: DomainDeps, ctx: Ctx, shares: readonly Share[], opts: RevokeOptions): Promise<Share[]> {
  return finishRevoke(deps, ctx, shares, new Map(), opts);
}

/** Active shares past expiresAt → revoked through their channel, final state expired. */
export async function expireShares(deps: DomainDeps, ctx: Ctx, shares: readonly Share[]): Promise<Share[]> {
  return revokeShares(deps, ctx, shares, { reason: 'share expired', finalState: 'expired' });
}
