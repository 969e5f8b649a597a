// Apply: approved → applying (write-ahead intent) → the channel's add → active, and settling intents
// from the channel's truth. The account channel adds accounts through ECS; the directory channel adds
// targets to the service's own resource share of the image, whose id the rows record.
import { GovernorError, errorCode, isGovernorError, isUpstreamFailure } from '../errors.js';
import type { Share, ShareChannel } from '../model.js';
import { isTerminal } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { serviceShareOf } from '../drift.js';
import { audit, shareEvent } from './audit.js';
import { closeShares } from './close.js';
import { refreshRequests } from './request-status.js';
import { groupByImageAndChannel, recordIntentError, sameIncarnation, transitionAll, type TransitionPatch } from './state-machine.js';

export interface ApplyResult {
  /** Shares the channel now lists (state active). */
  readonly active: Share[];
  /** Shares the channel definitively refused (state failed, quota released). */
  readonly failed: Share[];
}

/**
 * approved → applying (intent) → add → active. Accepts shares in `approved` or `applying` (resume).
 * Upstream errors (throttled/unavailable) leave the shares `applying` and are rethrown as-is;
 * definitive refusals resolve each share from the channel's truth (active, or failed + quota released)
 * and are rethrown. Updates the owning share requests' status.
 */
export async function applyShares(deps: DomainDeps, ctx: Ctx, shares: readonly Share[]): Promise<ApplyResult> {
  const active: Share[] = [];
  const failed: Share[] = [];
  for (const group of groupByImageAndChannel(shares)) {
    const result = await applyGroup(deps, ctx, group);
    active.push(...result.active);
    failed.push(...result.failed);
  }
  return { active, failed };
}

/** What one channel has of an image right now: the targets it lists and, on the directory channel, the service's share. */
export interface ChannelTruth {
  readonly listed: ReadonlySet<string>;
  readonly resourceShareId?: string;
}

/** Reads the channel's truth for an image; ECS no longer having the image lists nothing. */
export async function channelTruth(deps: DomainDeps, regionId: string, imageId: string, channel: ShareChannel): Promise<ChannelTruth> {
  try {
    if (channel === 'account') {
      const perms = await deps.images.getSharePermissions(regionId, imageId);
      return { listed: new Set(perms.accounts.map((a) => a.accountId)) };
    }
    const own = serviceShareOf(await deps.directory.imageShares(regionId, imageId));
    return { listed: own.targets, ...(own.resourceShareId ? { resourceShareId: own.resourceShareId } : {}) };
  } catch (e) {
    if (isGovernorError(e, 'ImageNotFound')) return { listed: new Set() };
    throw e;
  }
}

/** The channel's add of the intents' targets; the directory channel answers with the service's share. */
async function addTargets(deps: DomainDeps, intents: readonly Share[]): Promise<TransitionPatch> {
  const { regionId, imageId, channel } = intents[0] as Share;
  const targets = intents.map((s) => s.target);
  if (channel === 'account') {
    await deps.images.addShares(regionId, imageId, targets);
    return {};
  }
  const { resourceShareId } = await deps.directory.addTargets(regionId, imageId, targets);
  return { resourceShareId };
}

/** The channel's removal of targets a service-owned share holds (the account list, or the service's resource share). */
export async function removeTargets(deps: DomainDeps, regionId: string, imageId: string, channel: ShareChannel, targets: readonly string[]): Promise<void> {
  if (targets.length === 0) return;
  if (channel === 'account') await deps.images.removeShares(regionId, imageId, targets);
  else await deps.directory.removeTargets(regionId, imageId, targets);
}

async function applyGroup(deps: DomainDeps, ctx: Ctx, group: readonly Share[]): Promise<ApplyResult> {
  const first = group[0];
  if (!first) return { active: [], failed: [] };
  const { regionId, imageId } = first;

  // Write-ahead intent: after this write a crash is repaired from the channel's truth by the reconciler.
  const resumed = group.filter((s) => s.state === 'applying');
  const { moved } = await transitionAll(
    deps,
    ctx,
    group.filter((s) => s.state === 'approved'),
    'start_apply',
  );
  const intents = [...resumed, ...moved];
  if (intents.length === 0) return { active: [], failed: [] };

  // Last look before touching the channel: a drain that started meanwhile wins over this apply.
  const image = await deps.store.getImage(regionId, imageId);
  if (!image || image.lifecycle !== 'active') {
    const refusal = new GovernorError('ImageDeletionPending', `Image ${imageId} is being deleted and accepts no new shares`);
    await resolveApplyingFromTruth(deps, ctx, intents, refusal.code);
    throw refusal;
  }

  let patch: TransitionPatch;
  try {
    patch = await addTargets(deps, intents);
  } catch (e) {
    if (isUpstreamFailure(e)) {
      // Intents stay `applying`: the channel may or may not have taken them; the next attempt or
      // the reconciler settles them from its truth. Record why, best effort.
      await recordIntentError(deps, ctx, intents, e);
      throw e;
    }
    // A definitive answer (e.g. quota, unknown account or target): settle every intent from the truth.
    const settled = await resolveApplyingFromTruth(deps, ctx, intents, errorCode(e));
    if (!isGovernorError(e) || settled.active.length + settled.failed.length === 0) throw e;
    // Same code and status; the details say which targets the channel took and which it refused.
    const targetsOf = (rows: readonly Share[]) => rows.map((s) => s.target).sort();
    const which =
      first.channel === 'account'
        ? { appliedAccounts: targetsOf(settled.active), failedAccounts: targetsOf(settled.failed) }
        : { appliedDirectoryTargets: targetsOf(settled.active), failedDirectoryTargets: targetsOf(settled.failed) };
    throw new GovernorError(e.code, e.message, {
      details: { ...e.details, ...which },
      ...(e.retryAfter !== undefined ? { retryAfter: e.retryAfter } : {}),
      cause: e,
    });
  }
  const applied = await markApplied(deps, ctx, intents, patch);
  if (applied.length < intents.length) {
    await withdrawOrphans(
      deps,
      intents.filter((s) => !applied.some((a) => a.target === s.target)),
    );
  }
  return { active: applied, failed: [] };
}

/**
 * The channel took these targets, but meanwhile their rows were settled otherwise (e.g. the reconciler
 * failed a stale intent). A row that ended terminal means nobody owns that share: remove it so no
 * phantom share stays behind. A row taken over by a newer share is left alone.
 */
async function withdrawOrphans(deps: DomainDeps, intents: readonly Share[]): Promise<void> {
  const orphans: string[] = [];
  for (const intent of intents) {
    const fresh = await deps.store.getShare(intent.regionId, intent.imageId, intent);
    if (fresh && sameIncarnation(fresh, intent) && isTerminal(fresh.state)) orphans.push(intent.target);
  }
  const first = intents[0];
  if (!first || orphans.length === 0) return;
  deps.logger.warn({ msg: 'withdrawing shares whose rows were settled during the apply', imageId: first.imageId, channel: first.channel, targets: orphans });
  await removeTargets(deps, first.regionId, first.imageId, first.channel, orphans).catch((e: unknown) =>
    deps.logger.error({
      msg: 'could not withdraw orphan shares; the reconciler reports them as unmanaged',
      imageId: first.imageId,
      error: errorCode(e),
    }),
  );
}

/**
 * After a definitive refusal: targets the channel lists become active, the others failed (quota
 * released). If the channel cannot be read the intents stay `applying` for the reconciler.
 */
export async function resolveApplyingFromTruth(deps: DomainDeps, ctx: Ctx, intents: readonly Share[], error: string): Promise<ApplyResult> {
  const active: Share[] = [];
  const failed: Share[] = [];
  for (const group of groupByImageAndChannel(intents)) {
    const { regionId, imageId, channel } = group[0] as Share;
    let truth: ChannelTruth;
    try {
      truth = await channelTruth(deps, regionId, imageId, channel);
    } catch (e) {
      deps.logger.warn({ msg: 'could not read the channel to settle apply intents', imageId, channel, error: errorCode(e) });
      continue;
    }
    const patch = truth.resourceShareId ? { resourceShareId: truth.resourceShareId } : {};
    active.push(...(await markApplied(deps, ctx, group.filter((s) => truth.listed.has(s.target)), patch)));
    failed.push(...(await markApplyFailed(deps, ctx, group.filter((s) => !truth.listed.has(s.target)), error)));
  }
  return { active, failed };
}

/**
 * Reconciler/apply: the channel lists these `applying` shares → active (recording the resource share
 * the directory channel holds them in). Their requests are refreshed even when no row moved here:
 * another call may have moved the last one and stopped before its request.
 */
export async function markApplied(deps: DomainDeps, ctx: Ctx, shares: readonly Share[], patch: TransitionPatch = {}): Promise<Share[]> {
  const { moved } = await transitionAll(deps, ctx, shares, 'confirm_applied', { lastError: undefined, ...patch });
  await audit(
    deps,
    ctx,
    moved.map((s) => shareEvent(s, { action: 'share.applied', before: 'applying', after: 'active', ...(s.resourceShareId ? { detail: s.resourceShareId } : {}) })),
  );
  await refreshRequests(deps, shares);
  return moved;
}

/** Reconciler/apply: these `applying` (or `approved`) shares are not listed and will not be → failed, quota released. */
export async function markApplyFailed(deps: DomainDeps, ctx: Ctx, shares: readonly Share[], error: string): Promise<Share[]> {
  return closeShares(deps, ctx, shares, 'apply_failed', { action: 'share.failed', detail: error, lastError: error });
}
