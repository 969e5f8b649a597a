// Reconciles one image: compares what both channels list (ECS share permissions, the resource shares
// holding the image) with the stored shares, records every difference as a finding (findings.ts) and,
// in enforce mode, repairs it through the domain's state transitions. Report mode reads only. An image
// with no difference costs no store write.
import type { DirectoryHolding, DirectoryLookupCache, DirectoryShare } from '../directory.js';
import { directoryTargetAllowed } from '../directory-policy.js';
import type { EcsImage, FindingAction, ImageRecord, Share } from '../model.js';
import { SHARE_CHANNELS, holdsQuota, isTerminal } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { isGovernorError, isUpstreamFailure } from '../errors.js';
import {
  adoptShare,
  applyShares,
  audit,
  cancelRequest,
  closePendingShares,
  closeShares,
  expireShares,
  finishDrain,
  markApplied,
  markApplyFailed,
  markDeleted,
  markRevoked,
  PENDING_STATES,
  pendingRequestsOf,
  quotaUsedOf,
  revokeDirectory,
  revokeShares,
  settlePendingShares,
  targetEvent,
  transitionShare,
} from '../transitions.js';
import { accountAllowed, imageShareable } from './policy-checks.js';
import { type ChannelListing, type UnmanagedShare, claimingRows, claimsEntry, driftOf, isListed, serviceShareOf } from '../drift.js';
import type { RunTally } from './tally.js';
import { type FindingInput, imageSubject, noteFinding, noteFindings, shareSubject } from './findings.js';
import type { ReconcileMode } from '../model.js';

export interface ReconcileEnv {
  readonly deps: DomainDeps;
  /** Principal `system:reconcile`, requestId = the run id. */
  readonly ctx: Ctx;
  readonly mode: ReconcileMode;
  readonly tally: RunTally;
  /** Resource directory lookups of this invocation: each target and denied account or folder is resolved once. */
  readonly lookups: DirectoryLookupCache;
}

const olderThan = (iso: string, now: Date, ms: number): boolean => now.getTime() - Date.parse(iso) > ms;
const hasPassed = (iso: string | undefined, now: Date): boolean => iso !== undefined && Date.parse(iso) <= now.getTime();

/**
 * `ecs` is the image as ECS lists it, or null when ECS has confirmed it does not exist (any more).
 * `holdings`: the resource shares holding it, when the caller has them (a region sweep reads the whole
 * region at once); otherwise they are read for this image.
 */
export async function reconcileImage(
  env: ReconcileEnv,
  regionId: string,
  imageId: string,
  ecs: EcsImage | null,
  holdings?: readonly DirectoryHolding[],
): Promise<void> {
  const { store, images, directory } = env.deps;
  const record = await store.getImage(regionId, imageId);
  if (ecs === null) {
    if (record) await reconcileVanishedImage(env, record);
    return;
  }

  let permissions;
  try {
    permissions = await images.getSharePermissions(regionId, imageId);
  } catch (error) {
    // Deleted between the listing and this call: handle it as gone once ECS confirms.
    if (isGovernorError(error, 'ImageNotFound')) {
      if (record && (await images.getImage(regionId, imageId)) === null) await reconcileVanishedImage(env, record);
      return;
    }
    throw error;
  }
  const listing: ChannelListing = { permissions, holdings: holdings ?? (await directory.imageShares(regionId, imageId)) };
  const shares = record ? await store.listShares(regionId, imageId) : [];
  await reconcileLiveImage(env, ecs, record, shares, listing);
}

/** Whether the policy allows the share's target today (the directory channel resolves it through the invocation's lookups). */
async function targetAllowed(env: ReconcileEnv, share: Pick<Share, 'channel' | 'target'>): Promise<boolean> {
  const { policy, directory } = env.deps;
  return share.channel === 'account' ? accountAllowed(policy, share.target) : directoryTargetAllowed(policy, directory, share.target, env.lookups);
}

/** What a finding about a share says the share is: the account, or the directory target and how it is held. */
const heldAs = (share: Share): string => (share.channel === 'account' ? 'shared in ECS' : 'held by the service resource share');

async function reconcileLiveImage(
  env: ReconcileEnv,
  ecs: EcsImage,
  record: ImageRecord | null,
  shares: readonly Share[],
  listing: ChannelListing,
): Promise<void> {
  const { deps, ctx, mode, tally } = env;
  const { policy, clock, images } = deps;
  const enforce = mode === 'enforce';
  const { regionId, imageId } = ecs;
  const now = clock.now();
  const graceMs = policy.intentGraceSeconds * 1000;
  // The same differences describe reports, from the same function.
  const drift = driftOf(shares, listing, policy, ecs.isPublic);
  const image = imageSubject(regionId, imageId);
  const subjectOf = (share: Pick<Share, 'channel' | 'target'>) => shareSubject(regionId, imageId, share.target, share.channel);
  let changed = false;

  // Community exposure first: a drain must not delete, and nothing else should wait on, a public image.
  if (drift.public) {
    await noteFinding(env, { kind: 'public', ...image, detail: 'published as a community image, which the policy forbids' }, async () => {
      changed = true;
      await images.unpublish(regionId, imageId);
      await audit(deps, ctx, [{ regionId, imageId, action: 'reconcile.unpublished', before: 'public', after: 'private' }]);
      return 'unpublished';
    });
  }

  // A draining image: the domain's drain revokes every share both channels list (managed or not) and
  // deletes only once neither lists any. It is never reached for an image that is not draining.
  if (record?.lifecycle === 'draining') {
    const since = record.deletion.requestedAt ? ` since ${record.deletion.requestedAt}` : '';
    const detail = `draining${since}; ECS lists ${listing.permissions.accounts.length} account share(s), ${listing.holdings.length} resource share(s) hold it`;
    await noteFinding(env, { kind: 'draining', ...image, detail }, async () => {
      const progress = await finishDrain(deps, ctx, record, { force: record.deletion.force ?? false });
      if (progress.lastError) tally.error({ regionId, imageId, code: progress.lastError, message: `drain: ${progress.remaining} share(s) remain` });
      return progress.status === 'deleted' ? 'image_deleted' : 'drain_progressed';
    });
    return;
  }

  const shareable = record?.lifecycle !== 'deleted' && imageShareable(policy, ecs);
  /** Whether a share may still be (re)applied: the image, the expiry and the policy on its target. */
  const mayApply = async (share: Share): Promise<boolean> => shareable && !hasPassed(share.expiresAt, now) && (await targetAllowed(env, share));

  // Pending rows whose request died without them (a crash between writes) or timed out.
  const pendingRows = shares.filter((s) => PENDING_STATES.includes(s.state));
  let stillPending: readonly Share[] = pendingRows;
  if (enforce && pendingRows.length > 0) {
    stillPending = await settlePendingShares(deps, ctx, pendingRows);
    for (const settled of pendingRows.filter((s) => !stillPending.some((p) => p.channel === s.channel && p.target === s.target))) {
      changed = true;
      const detail = `${settled.state} share of a request that is no longer pending`;
      await noteFinding(env, { kind: 'stale_intent', ...subjectOf(settled), detail }, async () => 'pending_settled');
    }
  }
  // `approved` rows of an approved request never reached their `applying` intent (a crash right after
  // the approval): finish the apply the approver asked for, or fail it when no longer allowed.
  const stuck = stillPending.filter((s) => s.state === 'approved' && olderThan(s.updatedAt, now, graceMs));
  for (const share of stuck) {
    await noteFinding(env, { kind: 'stale_intent', ...subjectOf(share), detail: `approved at ${share.updatedAt}, never applied` }, async () => {
      changed = true;
      return resolveApplying(env, share, listing, await mayApply(share));
    });
  }

  for (const share of shares) {
    const listed = isListed(share, listing);
    const subject = subjectOf(share);
    if (share.state === 'active') {
      if (hasPassed(share.expiresAt, now)) {
        await noteFinding(env, { kind: 'expired_share', ...subject, detail: `expired at ${share.expiresAt}, still active` }, async () => {
          changed = true;
          await expireShares(deps, ctx, [share]);
          return 'share_expired';
        });
      } else if (drift.missing.includes(share)) {
        await noteFinding(env, { kind: 'missing', ...subject, detail: `active in the store, not ${heldAs(share)}` }, async () => {
          changed = true;
          return repairMissing(env, ecs, share, shareable);
        });
      }
    } else if (share.state === 'applying' && olderThan(share.updatedAt, now, graceMs)) {
      await noteFinding(env, { kind: 'stale_intent', ...subject, detail: `applying since ${share.updatedAt}` }, async () => {
        changed = true;
        return resolveApplying(env, share, listing, listed || (await mayApply(share)));
      });
    } else if (share.state === 'revoking' && olderThan(share.updatedAt, now, graceMs)) {
      await noteFinding(env, { kind: 'stale_intent', ...subject, detail: `revoking since ${share.updatedAt}` }, async () => {
        changed = true;
        if (listed) {
          await revokeShares(deps, ctx, [share], { reason: 'reconcile: completing an interrupted revoke' });
          return 'share_revoked';
        }
        await markRevoked(deps, ctx, [share], { reason: 'reconcile: the channel no longer lists the target' });
        return 'intent_revoked';
      });
    }
  }

  // Targets a channel lists that no row claims: shares made outside the service (or left by a failed apply).
  // Recorded per channel; repaired (adopted or revoked) unless the policy only reports them.
  const noteUnmanaged = (found: readonly FindingInput[], repair: (acted: (target: string, action: FindingAction) => void) => Promise<void>) =>
    noteFindings(
      env,
      found,
      policy.unmanagedShares === 'report'
        ? undefined
        : async (acted) => {
            changed = true;
            await repair(acted);
          },
    );
  const accounts = drift.unmanaged.filter((u) => u.channel === 'account');
  if (accounts.length > 0) {
    const sharedAt = new Map(listing.permissions.accounts.map((a) => [a.accountId, a.sharedTime]));
    const found = accounts.map((u) => {
      const since = sharedAt.get(u.target);
      return { kind: 'unmanaged' as const, ...subjectOf(u), detail: `shared in ECS${since ? ` since ${since}` : ''}; no share of the service claims it` };
    });
    await noteUnmanaged(found, (acted) => handleUnmanagedAccounts(env, ecs, accounts, acted));
  }
  const entries = drift.unmanaged.filter((u): u is DirectoryShare & { channel: 'directory' } => u.channel === 'directory');
  if (entries.length > 0) {
    // One finding per target, naming every share that reaches it.
    const found = [...new Set(entries.map((e) => e.target))].map((target) => {
      const through = entries
        .filter((e) => e.target === target)
        .map((e) => (e.owner === 'service' ? `the service resource share ${e.resourceShareId}` : `resource share ${e.resourceShareId} made outside the service`));
      return { kind: 'unmanaged' as const, ...subjectOf({ channel: 'directory', target }), detail: `held by ${through.join(' and ')}; no share of the service claims it` };
    });
    await noteUnmanaged(found, (acted) => handleUnmanagedDirectory(env, ecs, entries, acted));
  }

  // Quota recount per channel, only for an image this run left alone and nobody touched within the
  // grace period (a recount racing an in-flight share would undo its reservation).
  if (!changed && record && record.lifecycle !== 'deleted') {
    const quiet =
      olderThan(record.updatedAt, now, graceMs) &&
      olderThan(record.quotaChangedAt ?? record.updatedAt, now, graceMs) &&
      shares.every((s) => olderThan(s.updatedAt, now, graceMs));
    for (const channel of SHARE_CHANNELS) {
      const held = shares.filter((s) => s.channel === channel && holdsQuota(s.state)).length;
      const used = quotaUsedOf(record, channel);
      if (held === used) continue;
      const detail = `quota counter ${used}, ${held} share(s) hold quota${quiet ? '' : '; changed within the grace period, not corrected'}`;
      await noteFinding(
        env,
        // The image's own finding, one per counter: its channel says which.
        { kind: 'quota_mismatch', ...image, channel, detail },
        quiet
          ? async () => {
              await deps.store.correctQuota(regionId, imageId, used, held, channel);
              await audit(deps, ctx, [
                { regionId, imageId, action: 'reconcile.quota_corrected', before: String(used), after: String(held), detail: `${channel} channel` },
              ]);
              return 'quota_corrected';
            }
          : undefined,
      );
    }
  }
}

/**
 * An active share its channel does not list: put it back if policy still allows it, else close it.
 * The re-apply goes through the `applying` intent like any apply: an unshare or a drain that started
 * since this run read the row wins (the conditional write fails, or the apply sees the drain). A
 * directory share is always put back through the service's own resource share.
 */
async function repairMissing(env: ReconcileEnv, ecs: EcsImage, share: Share, shareable: boolean): Promise<FindingAction> {
  const { deps, ctx } = env;
  if (!shareable || !(await targetAllowed(env, share))) {
    const why = shareable ? 'target no longer allowed by policy' : `image not shareable (${ecs.kind}, ${ecs.status})`;
    const closed = await closeShares(deps, ctx, [share], 'close_missing', { action: 'reconcile.missing_closed', reason: why, lastError: why });
    return closed.length > 0 ? 'share_revoked' : 'none';
  }
  const intent = await transitionShare(deps, ctx, share, 'reapply');
  return intent ? reapply(env, intent) : 'none';
}

/**
 * A stale `applying` (or `approved`) share: the channel's truth decides. Listed → active (recording
 * the resource share that holds a directory target); not listed → re-applied when still allowed, else failed.
 */
async function resolveApplying(env: ReconcileEnv, share: Share, listing: ChannelListing, listedOrAllowed: boolean): Promise<FindingAction> {
  const { deps, ctx } = env;
  if (share.state === 'applying' && isListed(share, listing)) {
    const resourceShareId = share.channel === 'directory' ? serviceShareOf(listing.holdings).resourceShareId : undefined;
    await markApplied(deps, ctx, [share], resourceShareId ? { resourceShareId } : {});
    return 'intent_applied';
  }
  if (!listedOrAllowed) {
    await markApplyFailed(deps, ctx, [share], 'no longer allowed by policy, image not shareable, or expired');
    return 'share_failed';
  }
  return reapply(env, share);
}

/** Applies an `approved` or `applying` share again; upstream trouble is left for the next run. */
async function reapply(env: ReconcileEnv, share: Share): Promise<FindingAction> {
  const { deps, ctx } = env;
  try {
    const result = await applyShares(deps, ctx, [share]);
    return result.active.length > 0 ? 'share_reapplied' : result.failed.length > 0 ? 'share_failed' : 'none';
  } catch (error) {
    // Upstream trouble left the intent in place for the next run (recorded as this image's error);
    // applyShares already settled a definitive refusal (failed + quota released).
    if (isUpstreamFailure(error)) throw error;
    return 'share_failed';
  }
}

/** Adopts a share found in a channel; false when a share request took the target meanwhile or the quota is full (it stays unmanaged). */
async function adoptFound(env: ReconcileEnv, ecs: EcsImage, found: Parameters<typeof adoptShare>[4]): Promise<boolean> {
  const { deps, ctx, tally } = env;
  try {
    // adoptShare creates the image record on first adoption and reserves quota per target.
    await adoptShare(deps, ctx, ecs.regionId, ecs.imageId, found);
    return true;
  } catch (error) {
    // A share request took the target since this run read the rows: its row owns the share now.
    if (isGovernorError(error, 'ShareAlreadyExists')) return false;
    // Over the policy's quota: the share stays unmanaged (reported each run) for a person to decide.
    if (!isGovernorError(error, 'ShareQuotaExceeded')) throw error;
    tally.error({ regionId: ecs.regionId, imageId: ecs.imageId, code: error.code, message: `cannot adopt ${found.target}: ${error.message}` });
    return false;
  }
}

async function handleUnmanagedAccounts(
  env: ReconcileEnv,
  ecs: EcsImage,
  found: readonly UnmanagedShare[],
  acted: (target: string, action: FindingAction) => void,
): Promise<void> {
  const { deps, ctx } = env;
  const { regionId, imageId } = ecs;
  const accounts = found.map((u) => u.target);
  // Adopting an account the policy forbids would make a violation official: revoke those instead.
  const adopt = deps.policy.unmanagedShares === 'adopt' ? accounts.filter((a) => accountAllowed(deps.policy, a)) : [];
  const revoke = accounts.filter((a) => !adopt.includes(a));
  for (const target of adopt) if (await adoptFound(env, ecs, { channel: 'account', target })) acted(target, 'share_adopted');
  if (revoke.length === 0) return;
  // Look again right before the irreversible call: an account a share request has taken since this
  // run read the rows (its apply found the account already listed) is no longer unmanaged.
  const claimed = new Set(claimingRows(await deps.store.listShares(regionId, imageId)).filter((s) => s.channel === 'account').map((s) => s.target));
  const strays = revoke.filter((accountId) => !claimed.has(accountId));
  if (strays.length === 0) return;
  await deps.images.removeShares(regionId, imageId, strays);
  await audit(
    deps,
    ctx,
    strays.map((target) =>
      targetEvent(regionId, imageId, { channel: 'account', target }, { action: 'reconcile.unmanaged_revoked', before: 'shared', after: 'revoked' }),
    ),
  );
  for (const target of strays) acted(target, 'unmanaged_revoked');
}

/**
 * Directory entries no row claims. A resource share is adopted or revoked as a whole when the service
 * does not own it: the only removal that leaves its other resources and targets alone takes the image
 * out for all of its targets, so a share with one target the policy refuses is revoked, not half
 * adopted (and the service's rows held through it go with it). Targets of the service's own share that
 * no row claims (left by a crash) are decided one by one.
 */
async function handleUnmanagedDirectory(
  env: ReconcileEnv,
  ecs: EcsImage,
  entries: readonly DirectoryShare[],
  acted: (target: string, action: FindingAction) => void,
): Promise<void> {
  const { deps, ctx } = env;
  const { regionId, imageId } = ecs;
  const adopting = deps.policy.unmanagedShares === 'adopt';
  const allowed = new Map<string, boolean>();
  if (adopting) {
    for (const entry of entries) allowed.set(entry.target, await directoryTargetAllowed(deps.policy, deps.directory, entry.target, env.lookups));
  }
  const adopt: DirectoryShare[] = [];
  const orphans: DirectoryShare[] = [];
  const shareIds = new Set<string>();
  for (const entry of entries) {
    const whole = entries.filter((e) => e.resourceShareId === entry.resourceShareId);
    const keep = adopting && (entry.owner === 'service' ? allowed.get(entry.target) === true : whole.every((e) => allowed.get(e.target) === true));
    if (keep) adopt.push(entry);
    else if (entry.owner === 'service') orphans.push(entry);
    else shareIds.add(entry.resourceShareId);
  }
  for (const entry of adopt) {
    if (await adoptFound(env, ecs, { channel: 'directory', target: entry.target, resourceShareId: entry.resourceShareId })) acted(entry.target, 'share_adopted');
  }
  if (orphans.length === 0 && shareIds.size === 0) return;
  // Look again right before the irreversible call: a target a share request has taken since this run
  // read the rows is no longer unmanaged.
  const rows = claimingRows(await deps.store.listShares(regionId, imageId));
  const strays = orphans.filter((entry) => !rows.some((row) => claimsEntry(row, entry))).map((entry) => entry.target);
  if (strays.length === 0 && shareIds.size === 0) return;
  await revokeDirectory(
    deps,
    ctx,
    regionId,
    imageId,
    { rows: [], outside: { ...(strays.length > 0 ? { serviceTargets: strays } : {}), shareIds: [...shareIds] }, outsideAction: 'reconcile.unmanaged_revoked' },
    { reason: `reconcile: UNMANAGED_SHARES=${deps.policy.unmanagedShares}` },
  );
  for (const target of new Set([...strays, ...entries.filter((e) => shareIds.has(e.resourceShareId)).map((e) => e.target)])) acted(target, 'unmanaged_revoked');
}

/**
 * ECS confirmed the image is gone. A draining image finished its drain (the crash fell between
 * DeleteImage and the store update); any other image was deleted outside the service. Either way:
 * lifecycle deleted, live shares revoked, pending requests cancelled, both counters 0.
 */
async function reconcileVanishedImage(env: ReconcileEnv, record: ImageRecord): Promise<void> {
  const { deps, ctx } = env;
  const { store } = deps;
  const { regionId, imageId } = record;
  const shares = await store.listShares(regionId, imageId);
  const live = shares.filter((s) => !isTerminal(s.state));
  if (record.lifecycle === 'deleted' && live.length === 0 && record.quotaUsed === 0 && record.directoryQuotaUsed === 0) return;

  const draining = record.lifecycle === 'draining';
  const detail = draining ? 'draining; ECS no longer has the image' : `ECS no longer has the image; the store holds ${live.length} live share(s)`;
  await noteFinding(env, { kind: draining ? 'draining' : 'deleted_outside', ...imageSubject(regionId, imageId), detail }, async () => {
    for (const request of await pendingRequestsOf(deps, regionId, imageId)) {
      await cancelRequest(deps, ctx, request, 'image deleted');
    }
    const pending = live.filter((s) => PENDING_STATES.includes(s.state));
    await closePendingShares(deps, ctx, pending, 'withdraw', { action: 'request.cancelled', reason: 'image deleted' });
    // Shares either channel had (or was being asked to have) end with the image.
    const sent = live.filter((s) => !pending.includes(s));
    await closeShares(deps, ctx, sent, 'image_vanished', { action: 'share.revoked', reason: 'image deleted', lastError: 'image deleted' });
    // Whatever the counters still hold beyond the rows (drift) goes too: a deleted image holds no quota.
    const current = await store.getImage(regionId, imageId);
    for (const channel of SHARE_CHANNELS) {
      const used = current ? quotaUsedOf(current, channel) : 0;
      if (used !== 0) await store.correctQuota(regionId, imageId, used, 0, channel);
    }
    if ((current ?? record).lifecycle !== 'deleted') {
      await markDeleted(deps, ctx, current ?? record, draining ? 'image no longer exists in ECS' : 'deleted outside the service');
    }
    return 'image_marked_deleted';
  });
}
