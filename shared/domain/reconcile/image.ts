// Reconciles one image: compares ECS truth (its share permissions) with the stored shares and, in
// enforce mode, repairs every difference through the domain's state transitions. Report mode reads
// only. An image with no difference costs no store write.
import type { AccountId, EcsImage, EcsSharePermissions, ImageRecord, Share } from '../model.js';
import { holdsQuota, isTerminal } from '../model.js';
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
  revokeShares,
  settlePendingShares,
  transitionShare,
} from '../transitions.js';
import { accountAllowed, imageShareable } from './policy-checks.js';
import { claimedAccounts, driftOf } from '../drift.js';
import type { RunTally } from './tally.js';
import type { ReconcileMode } from '../model.js';

export interface ReconcileEnv {
  readonly deps: DomainDeps;
  /** Principal `system:reconcile`, requestId = the run id. */
  readonly ctx: Ctx;
  readonly mode: ReconcileMode;
  readonly tally: RunTally;
}

const olderThan = (iso: string, now: Date, ms: number): boolean => now.getTime() - Date.parse(iso) > ms;
const hasPassed = (iso: string | undefined, now: Date): boolean => iso !== undefined && Date.parse(iso) <= now.getTime();

/**
 * `ecs` is the image as ECS lists it, or null when ECS has confirmed it does not exist (any more).
 */
export async function reconcileImage(env: ReconcileEnv, regionId: string, imageId: string, ecs: EcsImage | null): Promise<void> {
  const { store, images } = env.deps;
  const record = await store.getImage(regionId, imageId);
  if (ecs === null) {
    if (record) await reconcileVanishedImage(env, record);
    return;
  }

  let permissions: EcsSharePermissions;
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
  const shares = record ? await store.listShares(regionId, imageId) : [];
  await reconcileLiveImage(env, ecs, record, shares, permissions);
}

async function reconcileLiveImage(
  env: ReconcileEnv,
  ecs: EcsImage,
  record: ImageRecord | null,
  shares: readonly Share[],
  permissions: EcsSharePermissions,
): Promise<void> {
  const { deps, ctx, mode, tally } = env;
  const { policy, clock, images } = deps;
  const enforce = mode === 'enforce';
  const { regionId, imageId } = ecs;
  const now = clock.now();
  const graceMs = policy.intentGraceSeconds * 1000;
  const inEcs = new Set(permissions.accounts.map((a) => a.accountId));
  // The same differences describe reports, from the same function.
  const drift = driftOf(shares, permissions, policy, ecs.isPublic);
  let changed = false;

  // Community exposure first: a drain must not delete, and nothing else should wait on, a public image.
  if (drift.public) {
    tally.finding('public');
    if (enforce) {
      await images.unpublish(regionId, imageId);
      await audit(deps, ctx, [{ regionId, imageId, action: 'reconcile.unpublished', before: 'public', after: 'private' }]);
      tally.action('unpublished');
      changed = true;
    }
  }

  // A draining image: the domain's drain revokes every share ECS lists (managed or not) and deletes
  // only once ECS lists none. It is never reached for an image that is not draining.
  if (record?.lifecycle === 'draining') {
    tally.finding('draining');
    if (enforce) {
      const progress = await finishDrain(deps, ctx, record, { force: record.deletion.force ?? false });
      tally.action(progress.status === 'deleted' ? 'image_deleted' : 'drain_progressed');
      if (progress.lastError) tally.error({ regionId, imageId, code: progress.lastError, message: `drain: ${progress.remaining} share(s) remain` });
    }
    return;
  }

  const shareable = record?.lifecycle !== 'deleted' && imageShareable(policy, ecs);

  // Pending rows whose request died without them (a crash between writes) or timed out.
  const pendingRows = shares.filter((s) => PENDING_STATES.includes(s.state));
  let stillPending: readonly Share[] = pendingRows;
  if (enforce && pendingRows.length > 0) {
    stillPending = await settlePendingShares(deps, ctx, pendingRows);
    const settled = pendingRows.length - stillPending.length;
    if (settled > 0) {
      tally.finding('stale_intent', settled);
      tally.action('pending_settled', settled);
      changed = true;
    }
  }
  // `approved` rows of an approved request never reached their `applying` intent (a crash right after
  // the approval): finish the apply the approver asked for, or fail it when no longer allowed.
  const stuck = stillPending.filter((s) => s.state === 'approved' && olderThan(s.updatedAt, now, graceMs));
  for (const share of stuck) {
    tally.finding('stale_intent');
    if (!enforce) continue;
    await resolveApplying(env, share, false, shareable && !hasPassed(share.expiresAt, now) && accountAllowed(policy, share.accountId));
    changed = true;
  }

  for (const share of shares) {
    const listed = inEcs.has(share.accountId);
    const expired = hasPassed(share.expiresAt, now);
    if (share.state === 'active') {
      if (expired) {
        tally.finding('expired_share');
        if (enforce) {
          await expireShares(deps, ctx, [share]);
          tally.action('share_expired');
          changed = true;
        }
      } else if (drift.missing.includes(share)) {
        tally.finding('missing');
        if (enforce) {
          await repairMissing(env, ecs, share, shareable);
          changed = true;
        }
      }
    } else if (share.state === 'applying' && olderThan(share.updatedAt, now, graceMs)) {
      tally.finding('stale_intent');
      if (enforce) {
        await resolveApplying(env, share, listed, shareable && !expired && accountAllowed(policy, share.accountId));
        changed = true;
      }
    } else if (share.state === 'revoking' && olderThan(share.updatedAt, now, graceMs)) {
      tally.finding('stale_intent');
      if (enforce) {
        if (listed) {
          await revokeShares(deps, ctx, [share], { reason: 'reconcile: completing an interrupted revoke' });
          tally.action('share_revoked');
        } else {
          await markRevoked(deps, ctx, [share], { reason: 'reconcile: ECS no longer lists the account' });
          tally.action('intent_revoked');
        }
        changed = true;
      }
    }
  }

  // Accounts ECS lists that no row claims: shares made outside the service (or left by a failed apply).
  if (drift.unmanaged.length > 0) {
    tally.finding('unmanaged', drift.unmanaged.length);
    if (enforce && policy.unmanagedShares !== 'report') {
      await handleUnmanaged(env, ecs, drift.unmanaged);
      changed = true;
    }
  }

  // Quota recount, only for an image this run left alone and nobody touched within the grace period
  // (a recount racing an in-flight share would undo its reservation).
  if (!changed && record && record.lifecycle !== 'deleted') {
    const held = shares.filter((s) => holdsQuota(s.state)).length;
    if (held !== record.quotaUsed) {
      tally.finding('quota_mismatch');
      const quiet =
        olderThan(record.updatedAt, now, graceMs) &&
        olderThan(record.quotaChangedAt ?? record.updatedAt, now, graceMs) &&
        shares.every((s) => olderThan(s.updatedAt, now, graceMs));
      if (enforce && quiet) {
        await deps.store.correctQuota(regionId, imageId, record.quotaUsed, held);
        await audit(deps, ctx, [
          { regionId, imageId, action: 'reconcile.quota_corrected', before: String(record.quotaUsed), after: String(held) },
        ]);
        tally.action('quota_corrected');
      }
    }
  }
}

/**
 * An active share ECS does not list: put it back if policy still allows it, else close it. The
 * re-apply goes through the `applying` intent like any apply: an unshare or a drain that started
 * since this run read the row wins (the conditional write fails, or the apply sees the drain).
 */
async function repairMissing(env: ReconcileEnv, ecs: EcsImage, share: Share, shareable: boolean): Promise<void> {
  const { deps, ctx, tally } = env;
  if (!shareable || !accountAllowed(deps.policy, share.accountId)) {
    const why = shareable ? 'account no longer allowed by policy' : `image not shareable (${ecs.kind}, ${ecs.status})`;
    const closed = await closeShares(deps, ctx, [share], 'close_missing', { action: 'reconcile.missing_closed', reason: why, lastError: why });
    tally.action('share_revoked', closed.length);
    return;
  }
  const intent = await transitionShare(deps, ctx, share, 'reapply');
  if (intent) await reapply(env, intent);
}

/** A stale `applying` intent: ECS truth decides. Not listed → re-apply when still allowed, else fail. */
async function resolveApplying(env: ReconcileEnv, share: Share, listed: boolean, stillAllowed: boolean): Promise<void> {
  const { deps, ctx, tally } = env;
  if (listed) {
    await markApplied(deps, ctx, [share]);
    tally.action('intent_applied');
    return;
  }
  if (!stillAllowed) {
    await markApplyFailed(deps, ctx, [share], 'no longer allowed by policy, image not shareable, or expired');
    tally.action('share_failed');
    return;
  }
  await reapply(env, share);
}

/** Applies an `approved` or `applying` share again; upstream trouble is left for the next run. */
async function reapply(env: ReconcileEnv, share: Share): Promise<void> {
  const { deps, ctx, tally } = env;
  try {
    const result = await applyShares(deps, ctx, [share]);
    tally.action('share_reapplied', result.active.length);
    tally.action('share_failed', result.failed.length);
  } catch (error) {
    // Upstream trouble left the intent in place for the next run (recorded as this image's error);
    // applyShares already settled a definitive refusal (failed + quota released): count it.
    if (isUpstreamFailure(error)) throw error;
    tally.action('share_failed');
  }
}

async function handleUnmanaged(
  env: ReconcileEnv,
  ecs: EcsImage,
  accounts: readonly AccountId[],
): Promise<void> {
  const { deps, ctx, tally } = env;
  const { regionId, imageId } = ecs;
  // Adopting an account the policy forbids would make a violation official: revoke those instead.
  const adopt = deps.policy.unmanagedShares === 'adopt' ? accounts.filter((a) => accountAllowed(deps.policy, a)) : [];
  const revoke = accounts.filter((a) => !adopt.includes(a));

  if (adopt.length > 0) {
    // adoptShare creates the image record on first adoption and reserves quota per account.
    for (const accountId of adopt) {
      try {
        await adoptShare(deps, ctx, regionId, imageId, accountId);
        tally.action('share_adopted');
      } catch (error) {
        // A share request took the account since this run read the rows: its row owns the share now.
        if (isGovernorError(error, 'ShareAlreadyExists')) continue;
        // Over the policy's quota: the share stays unmanaged (reported each run) for a person to decide.
        if (!isGovernorError(error, 'ShareQuotaExceeded')) throw error;
        tally.error({ regionId, imageId, code: error.code, message: `cannot adopt ${accountId}: ${error.message}` });
      }
    }
  }
  if (revoke.length === 0) return;
  // Look again right before the irreversible call: an account a share request has taken since this
  // run read the rows (its apply found the account already listed) is no longer unmanaged.
  const claimed = claimedAccounts(await deps.store.listShares(regionId, imageId));
  const strays = revoke.filter((accountId) => !claimed.has(accountId));
  if (strays.length === 0) return;
  await deps.images.removeShares(regionId, imageId, strays);
  await audit(
    deps,
    ctx,
    strays.map((accountId) => ({ regionId, imageId, accountId, action: 'reconcile.unmanaged_revoked', before: 'shared', after: 'revoked' })),
  );
  tally.action('unmanaged_revoked', strays.length);
}

/**
 * ECS confirmed the image is gone. A draining image finished its drain (the crash fell between
 * DeleteImage and the store update); any other image was deleted outside the service. Either way:
 * lifecycle deleted, live shares revoked, pending requests cancelled, quota 0.
 */
async function reconcileVanishedImage(env: ReconcileEnv, record: ImageRecord): Promise<void> {
  const { deps, ctx, mode, tally } = env;
  const { store } = deps;
  const { regionId, imageId } = record;
  const shares = await store.listShares(regionId, imageId);
  const live = shares.filter((s) => !isTerminal(s.state));
  if (record.lifecycle === 'deleted' && live.length === 0 && record.quotaUsed === 0) return;

  const draining = record.lifecycle === 'draining';
  tally.finding(draining ? 'draining' : 'deleted_outside');
  if (mode !== 'enforce') return;

  for (const request of await pendingRequestsOf(deps, regionId, imageId)) {
    await cancelRequest(deps, ctx, request, 'image deleted');
  }
  const pending = live.filter((s) => PENDING_STATES.includes(s.state));
  await closePendingShares(deps, ctx, pending, 'withdraw', { action: 'request.cancelled', reason: 'image deleted' });
  // Shares ECS had (or was being asked to have) end with the image.
  const sent = live.filter((s) => !pending.includes(s));
  await closeShares(deps, ctx, sent, 'image_vanished', { action: 'share.revoked', reason: 'image deleted', lastError: 'image deleted' });
  // Whatever the counter still holds beyond the rows (drift) goes too: a deleted image holds no quota.
  const current = await store.getImage(regionId, imageId);
  if (current && current.quotaUsed !== 0) await store.correctQuota(regionId, imageId, current.quotaUsed, 0);
  if ((current ?? record).lifecycle !== 'deleted') {
    await markDeleted(deps, ctx, current ?? record, draining ? 'image no longer exists in ECS' : 'deleted outside the service');
  }
  tally.action('image_marked_deleted');
}
