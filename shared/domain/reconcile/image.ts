// Reconciles one image: compares ECS truth (its share permissions) with the stored shares, records
// every difference as a finding (findings.ts) and, in enforce mode, repairs it through the domain's
// state transitions. Report mode reads only. An image with no difference costs no store write.
import type { AccountId, EcsImage, EcsSharePermissions, FindingAction, ImageRecord, Share } from '../model.js';
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
import { imageSubject, noteFinding, noteFindings, shareSubject } from './findings.js';
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
  const image = imageSubject(regionId, imageId);
  const shareOf = (accountId: AccountId) => shareSubject(regionId, imageId, accountId);
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

  // A draining image: the domain's drain revokes every share ECS lists (managed or not) and deletes
  // only once ECS lists none. It is never reached for an image that is not draining.
  if (record?.lifecycle === 'draining') {
    const since = record.deletion.requestedAt ? ` since ${record.deletion.requestedAt}` : '';
    await noteFinding(env, { kind: 'draining', ...image, detail: `draining${since}; ECS lists ${inEcs.size} account share(s)` }, async () => {
      const progress = await finishDrain(deps, ctx, record, { force: record.deletion.force ?? false });
      if (progress.lastError) tally.error({ regionId, imageId, code: progress.lastError, message: `drain: ${progress.remaining} share(s) remain` });
      return progress.status === 'deleted' ? 'image_deleted' : 'drain_progressed';
    });
    return;
  }

  const shareable = record?.lifecycle !== 'deleted' && imageShareable(policy, ecs);

  // Pending rows whose request died without them (a crash between writes) or timed out.
  const pendingRows = shares.filter((s) => PENDING_STATES.includes(s.state));
  let stillPending: readonly Share[] = pendingRows;
  if (enforce && pendingRows.length > 0) {
    stillPending = await settlePendingShares(deps, ctx, pendingRows);
    for (const settled of pendingRows.filter((s) => !stillPending.some((p) => p.accountId === s.accountId))) {
      changed = true;
      const detail = `${settled.state} share of a request that is no longer pending`;
      await noteFinding(env, { kind: 'stale_intent', ...shareOf(settled.accountId), detail }, async () => 'pending_settled');
    }
  }
  // `approved` rows of an approved request never reached their `applying` intent (a crash right after
  // the approval): finish the apply the approver asked for, or fail it when no longer allowed.
  const stuck = stillPending.filter((s) => s.state === 'approved' && olderThan(s.updatedAt, now, graceMs));
  for (const share of stuck) {
    const allowed = shareable && !hasPassed(share.expiresAt, now) && accountAllowed(policy, share.accountId);
    await noteFinding(env, { kind: 'stale_intent', ...shareOf(share.accountId), detail: `approved at ${share.updatedAt}, never applied` }, async () => {
      changed = true;
      return resolveApplying(env, share, false, allowed);
    });
  }

  for (const share of shares) {
    const listed = inEcs.has(share.accountId);
    const expired = hasPassed(share.expiresAt, now);
    const subject = shareOf(share.accountId);
    if (share.state === 'active') {
      if (expired) {
        await noteFinding(env, { kind: 'expired_share', ...subject, detail: `expired at ${share.expiresAt}, still active` }, async () => {
          changed = true;
          await expireShares(deps, ctx, [share]);
          return 'share_expired';
        });
      } else if (drift.missing.includes(share)) {
        await noteFinding(env, { kind: 'missing', ...subject, detail: 'active in the store, not shared in ECS' }, async () => {
          changed = true;
          return repairMissing(env, ecs, share, shareable);
        });
      }
    } else if (share.state === 'applying' && olderThan(share.updatedAt, now, graceMs)) {
      const allowed = shareable && !expired && accountAllowed(policy, share.accountId);
      await noteFinding(env, { kind: 'stale_intent', ...subject, detail: `applying since ${share.updatedAt}` }, async () => {
        changed = true;
        return resolveApplying(env, share, listed, allowed);
      });
    } else if (share.state === 'revoking' && olderThan(share.updatedAt, now, graceMs)) {
      await noteFinding(env, { kind: 'stale_intent', ...subject, detail: `revoking since ${share.updatedAt}` }, async () => {
        changed = true;
        if (listed) {
          await revokeShares(deps, ctx, [share], { reason: 'reconcile: completing an interrupted revoke' });
          return 'share_revoked';
        }
        await markRevoked(deps, ctx, [share], { reason: 'reconcile: ECS no longer lists the account' });
        return 'intent_revoked';
      });
    }
  }

  // Accounts ECS lists that no row claims: shares made outside the service (or left by a failed apply).
  if (drift.unmanaged.length > 0) {
    const sharedAt = new Map(permissions.accounts.map((a) => [a.accountId, a.sharedTime]));
    const found = drift.unmanaged.map((accountId) => {
      const since = sharedAt.get(accountId);
      return { kind: 'unmanaged' as const, ...shareOf(accountId), detail: `shared in ECS${since ? ` since ${since}` : ''}; no share of the service claims it` };
    });
    await noteFindings(
      env,
      found,
      policy.unmanagedShares === 'report'
        ? undefined
        : async (acted) => {
            changed = true;
            await handleUnmanaged(env, ecs, drift.unmanaged, acted);
          },
    );
  }

  // Quota recount, only for an image this run left alone and nobody touched within the grace period
  // (a recount racing an in-flight share would undo its reservation).
  if (!changed && record && record.lifecycle !== 'deleted') {
    const held = shares.filter((s) => holdsQuota(s.state)).length;
    if (held !== record.quotaUsed) {
      const quiet =
        olderThan(record.updatedAt, now, graceMs) &&
        olderThan(record.quotaChangedAt ?? record.updatedAt, now, graceMs) &&
        shares.every((s) => olderThan(s.updatedAt, now, graceMs));
      const detail = `quota counter ${record.quotaUsed}, ${held} share(s) hold quota${quiet ? '' : '; changed within the grace period, not corrected'}`;
      await noteFinding(
        env,
        { kind: 'quota_mismatch', ...image, detail },
        quiet
          ? async () => {
              await deps.store.correctQuota(regionId, imageId, record.quotaUsed, held);
              await audit(deps, ctx, [{ regionId, imageId, action: 'reconcile.quota_corrected', before: String(record.quotaUsed), after: String(held) }]);
              return 'quota_corrected';
            }
          : undefined,
      );
    }
  }
}

/**
 * An active share ECS does not list: put it back if policy still allows it, else close it. The
 * re-apply goes through the `applying` intent like any apply: an unshare or a drain that started
 * since this run read the row wins (the conditional write fails, or the apply sees the drain).
 */
async function repairMissing(env: ReconcileEnv, ecs: EcsImage, share: Share, shareable: boolean): Promise<FindingAction> {
  const { deps, ctx } = env;
  if (!shareable || !accountAllowed(deps.policy, share.accountId)) {
    const why = shareable ? 'account no longer allowed by policy' : `image not shareable (${ecs.kind}, ${ecs.status})`;
    const closed = await closeShares(deps, ctx, [share], 'close_missing', { action: 'reconcile.missing_closed', reason: why, lastError: why });
    return closed.length > 0 ? 'share_revoked' : 'none';
  }
  const intent = await transitionShare(deps, ctx, share, 'reapply');
  return intent ? reapply(env, intent) : 'none';
}

/** A stale `applying` intent: ECS truth decides. Not listed → re-apply when still allowed, else fail. */
async function resolveApplying(env: ReconcileEnv, share: Share, listed: boolean, stillAllowed: boolean): Promise<FindingAction> {
  const { deps, ctx } = env;
  if (listed) {
    await markApplied(deps, ctx, [share]);
    return 'intent_applied';
  }
  if (!stillAllowed) {
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

async function handleUnmanaged(
  env: ReconcileEnv,
  ecs: EcsImage,
  accounts: readonly AccountId[],
  acted: (accountId: AccountId, action: FindingAction) => void,
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
        acted(accountId, 'share_adopted');
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
  for (const accountId of strays) acted(accountId, 'unmanaged_revoked');
}

/**
 * ECS confirmed the image is gone. A draining image finished its drain (the crash fell between
 * DeleteImage and the store update); any other image was deleted outside the service. Either way:
 * lifecycle deleted, live shares revoked, pending requests cancelled, quota 0.
 */
async function reconcileVanishedImage(env: ReconcileEnv, record: ImageRecord): Promise<void> {
  const { deps, ctx } = env;
  const { store } = deps;
  const { regionId, imageId } = record;
  const shares = await store.listShares(regionId, imageId);
  const live = shares.filter((s) => !isTerminal(s.state));
  if (record.lifecycle === 'deleted' && live.length === 0 && record.quotaUsed === 0) return;

  const draining = record.lifecycle === 'draining';
  const detail = draining ? 'draining; ECS no longer has the image' : `ECS no longer has the image; the store holds ${live.length} live share(s)`;
  await noteFinding(env, { kind: draining ? 'draining' : 'deleted_outside', ...imageSubject(regionId, imageId), detail }, async () => {
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
    return 'image_marked_deleted';
  });
}
