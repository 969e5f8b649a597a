// Apply: approved → applying (write-ahead intent) → ECS add → active, and settling intents from ECS truth.
import { GovernorError, errorCode, isGovernorError, isUpstreamFailure } from '../errors.js';
import type { AccountId, Share } from '../model.js';
import { isTerminal } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { audit, shareEvent } from './audit.js';
import { closeShares } from './close.js';
import { refreshRequests } from './request-status.js';
import { groupByImage, recordIntentError, sameIncarnation, transitionAll } from './state-machine.js';

export interface ApplyResult {
  /** Shares ECS now lists (state active). */
  readonly active: Share[];
  /** Shares ECS definitively refused (state failed, quota released). */
  readonly failed: Share[];
}

/**
 * approved → applying (intent) → ECS add → active. Accepts shares in `approved` or `applying` (resume).
 * Upstream errors (throttled/unavailable) leave the shares `applying` and are rethrown as-is;
 * definitive ECS refusals resolve each share from ECS truth (active, or failed + quota released)
 * and are rethrown. Updates the owning share requests' status.
 */
export async function applyShares(deps: DomainDeps, ctx: Ctx, shares: readonly Share[]): Promise<ApplyResult> {
  const active: Share[] = [];
  const failed: Share[] = [];
  for (const group of groupByImage(shares)) {
    const result = await applyImageShares(deps, ctx, group);
    active.push(...result.active);
    failed.push(...result.failed);
  }
  return { active, failed };
}

async function applyImageShares(deps: DomainDeps, ctx: Ctx, group: readonly Share[]): Promise<ApplyResult> {
  const first = group[0];
  if (!first) return { active: [], failed: [] };
  const { regionId, imageId } = first;

  // Write-ahead intent: after this write a crash is repaired from ECS truth by the reconciler.
  const resumed = group.filter((s) => s.state === 'applying');
  const { moved } = await transitionAll(
    deps,
    ctx,
    group.filter((s) => s.state === 'approved'),
    'start_apply',
  );
  const intents = [...resumed, ...moved];
  if (intents.length === 0) return { active: [], failed: [] };

  // Last look before touching ECS: a drain that started meanwhile wins over this apply.
  const image = await deps.store.getImage(regionId, imageId);
  if (!image || image.lifecycle !== 'active') {
    const refusal = new GovernorError('ImageDeletionPending', `Image ${imageId} is being deleted and accepts no new shares`);
    await resolveApplyingFromEcs(deps, ctx, intents, refusal.code);
    throw refusal;
  }

  try {
    await deps.images.addShares(
      regionId,
      imageId,
      intents.map((s) => s.accountId),
    );
  } catch (e) {
    if (isUpstreamFailure(e)) {
      // Intents stay `applying`: ECS may or may not have applied them; the next attempt or the
      // reconciler settles them from ECS truth. Record why, best effort.
      await recordIntentError(deps, ctx, intents, e);
      throw e;
    }
    // ECS gave a definitive answer (e.g. quota, unknown account): settle every intent from ECS truth.
    const settled = await resolveApplyingFromEcs(deps, ctx, intents, errorCode(e));
    if (!isGovernorError(e) || settled.active.length + settled.failed.length === 0) throw e;
    // Same code and status; the details say which accounts ECS took and which it refused.
    throw new GovernorError(e.code, e.message, {
      details: {
        ...e.details,
        appliedAccounts: settled.active.map((s) => s.accountId).sort(),
        failedAccounts: settled.failed.map((s) => s.accountId).sort(),
      },
      ...(e.retryAfter !== undefined ? { retryAfter: e.retryAfter } : {}),
      cause: e,
    });
  }
  const applied = await markApplied(deps, ctx, intents);
  if (applied.length < intents.length)
    await withdrawOrphans(
      deps,
      intents.filter((s) => !applied.some((a) => a.accountId === s.accountId)),
    );
  return { active: applied, failed: [] };
}

/**
 * ECS took these accounts, but meanwhile their rows were settled otherwise (e.g. the reconciler
 * failed a stale intent). A row that ended terminal means nobody owns the ECS share: remove it so
 * no phantom share stays behind. A row taken over by a newer share is left alone.
 */
async function withdrawOrphans(deps: DomainDeps, intents: readonly Share[]): Promise<void> {
  const orphans: AccountId[] = [];
  for (const intent of intents) {
    const fresh = await deps.store.getShare(intent.regionId, intent.imageId, intent.accountId);
    if (fresh && sameIncarnation(fresh, intent) && isTerminal(fresh.state)) orphans.push(intent.accountId);
  }
  const first = intents[0];
  if (!first || orphans.length === 0) return;
  deps.logger.warn({ msg: 'withdrawing ECS shares whose rows were settled during the apply', imageId: first.imageId, accounts: orphans });
  await deps.images
    .removeShares(first.regionId, first.imageId, orphans)
    .catch((e: unknown) =>
      deps.logger.error({
        msg: 'could not withdraw orphan shares; the reconciler reports them as unmanaged',
        imageId: first.imageId,
        error: errorCode(e),
      }),
    );
}

/**
 * After a definitive ECS refusal: accounts ECS lists become active, the others failed (quota
 * released). If ECS cannot be read the intents stay `applying` for the reconciler.
 */
export async function resolveApplyingFromEcs(deps: DomainDeps, ctx: Ctx, intents: readonly Share[], error: string): Promise<ApplyResult> {
  const first = intents[0];
  if (!first) return { active: [], failed: [] };
  let listed: Set<AccountId>;
  try {
    const perms = await deps.images.getSharePermissions(first.regionId, first.imageId);
    listed = new Set(perms.accounts.map((a) => a.accountId));
  } catch (e) {
    if (!isGovernorError(e, 'ImageNotFound')) {
      deps.logger.warn({ msg: 'could not read ECS to settle apply intents', imageId: first.imageId, error: errorCode(e) });
      return { active: [], failed: [] };
    }
    listed = new Set();
  }
  const active = await markApplied(
    deps,
    ctx,
    intents.filter((s) => listed.has(s.accountId)),
  );
  const failed = await markApplyFailed(
    deps,
    ctx,
    intents.filter((s) => !listed.has(s.accountId)),
    error,
  );
  return { active, failed };
}

/**
 * Reconciler/apply: ECS lists these `applying` shares → active. Their requests are refreshed even
 * when no row moved here: another call may have moved the last one and stopped before its request.
 */
export async function markApplied(deps: DomainDeps, ctx: Ctx, shares: readonly Share[]): Promise<Share[]> {
  const { moved } = await transitionAll(deps, ctx, shares, 'confirm_applied', { lastError: undefined });
  await audit(
    deps,
    ctx,
    moved.map((s) => shareEvent(s, { action: 'share.applied', before: 'applying', after: 'active' })),
  );
  await refreshRequests(deps, shares);
  return moved;
}

/** Reconciler/apply: these `applying` (or `approved`) shares are not in ECS and will not be → failed, quota released. */
export async function markApplyFailed(deps: DomainDeps, ctx: Ctx, shares: readonly Share[], error: string): Promise<Share[]> {
  return closeShares(deps, ctx, shares, 'apply_failed', { action: 'share.failed', detail: error, lastError: error });
}
