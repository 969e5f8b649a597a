// Drain and delete: revoke everything either channel lists, delete only once neither lists anything.
import { type DirectoryHolding, directorySharesOf, grantsAccess, holdsImage } from '../directory.js';
import { GovernorError, errorCode, isGovernorError, isUpstreamFailure } from '../errors.js';
import type { EcsSharePermissions, ImageRecord, Share } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { claimsEntry } from '../drift.js';
import { compact, updateImageRecord } from '../util.js';
import { resolveApplyingFromTruth } from './apply.js';
import { audit, targetEvent } from './audit.js';
import { closePendingShares } from './close.js';
import { cancelRequest, pendingRequestsOf } from './requests.js';
import { revokeDirectory, revokeShares } from './revoke.js';
import { LIVE_STATES, nowIso, PENDING_STATES, REVOCABLE_STATES } from './state-machine.js';

export interface DrainProgress {
  readonly image: ImageRecord;
  readonly status: 'deleted' | 'draining';
  /** Accounts ECS still lists, plus one while the image is public, plus every resource-share target (or targetless share) still holding it (0 once deleted). */
  readonly remaining: number;
  /** The error that stopped this pass, if any (also stored in image.deletion.lastError). */
  readonly lastError?: string;
}

/** What still shares the image: accounts, a community publication, directory targets and resource shares holding it without targets. */
export function remainingShares(perms: EcsSharePermissions, holdings: readonly DirectoryHolding[]): number {
  const targets = directorySharesOf(holdings).filter((entry) => grantsAccess(entry.status)).length;
  const targetless = holdings.filter((h) => grantsAccess(h.status) && !h.targets.some((t) => grantsAccess(t.status))).length;
  return perms.accounts.length + (perms.isPublic ? 1 : 0) + targets + targetless;
}

/**
 * Drives a draining image forward: closes pending shares and requests, revokes every share either
 * channel lists (managed or not, a community publication, every resource share holding the image),
 * and deletes the image only when ECS lists no account share and no resource share holds it. Never
 * deletes an image that is not draining (DeletionNotInProgress). Upstream errors are recorded in
 * deletion.lastError and reported as progress; a refused DeleteImage (e.g. ImageInUse) is recorded as
 * deletion status failed (the image stays draining) and rethrown.
 */
export async function finishDrain(deps: DomainDeps, ctx: Ctx, image: ImageRecord, opts: { force?: boolean } = {}): Promise<DrainProgress> {
  const { regionId, imageId } = image;
  if (image.lifecycle === 'deleted') return { image, status: 'deleted', remaining: 0 };
  if (image.lifecycle !== 'draining') {
    throw new GovernorError('DeletionNotInProgress', `Image ${imageId} is not draining; refusing to delete it`);
  }
  const reason = image.deletion.reason ?? 'image is being deleted';

  for (const request of await pendingRequestsOf(deps, regionId, imageId)) {
    await cancelRequest(deps, ctx, request, 'image is being deleted');
  }
  const rows = await deps.store.listShares(regionId, imageId);
  await closePendingShares(
    deps,
    ctx,
    rows.filter((s) => PENDING_STATES.includes(s.state)),
    'withdraw',
    {
      action: 'request.cancelled',
      reason: 'image is being deleted',
    },
  );

  // An apply in flight finishes on its own (the next pass revokes it); one that stopped after its
  // intent never would, and would keep its target listed forever: settle it from the channel's truth.
  const graceMs = deps.policy.intentGraceSeconds * 1000;
  const stopped = rows.filter((s) => s.state === 'applying' && deps.clock.now().getTime() - Date.parse(s.updatedAt) > graceMs);
  const inFlight = rows.filter((s) => s.state === 'applying' && !stopped.includes(s));

  let perms: EcsSharePermissions;
  let holdings: DirectoryHolding[];
  try {
    const settled = await resolveApplyingFromTruth(deps, ctx, stopped, 'ImageDeletionPending');
    const revocable = [...rows.filter((s) => REVOCABLE_STATES.includes(s.state)), ...settled.active];
    await revokeShares(
      deps,
      ctx,
      revocable.filter((s) => s.channel === 'account'),
      { reason },
    );
    perms = await deps.images.getSharePermissions(regionId, imageId);
    const applying = new Set(inFlight.filter((s) => s.channel === 'account').map((s) => s.target));
    const strays = perms.accounts.map((a) => a.accountId).filter((id) => !applying.has(id));
    if (strays.length > 0 || perms.isPublic) {
      if (strays.length > 0) await deps.images.removeShares(regionId, imageId, strays);
      if (perms.isPublic) await deps.images.unpublish(regionId, imageId);
      await audit(deps, ctx, [
        ...strays.map((accountId) =>
          targetEvent(regionId, imageId, { channel: 'account', target: accountId }, { action: 'share.revoked', reason, detail: 'share not managed by the service' }),
        ),
        ...(perms.isPublic ? [{ regionId, imageId, action: 'image.unpublished', reason }] : []),
      ]);
      perms = await deps.images.getSharePermissions(regionId, imageId);
    }
    holdings = await drainDirectory(deps, ctx, image, revocable.filter((s) => s.channel === 'directory'), inFlight, reason);
  } catch (e) {
    if (isGovernorError(e, 'ImageNotFound')) return markDeleted(deps, ctx, image, 'image no longer exists in ECS');
    if (!isUpstreamFailure(e)) throw e;
    const live = (await deps.store.listShares(regionId, imageId)).filter((s) => LIVE_STATES.includes(s.state)).length;
    const stored = await recordDrainProgress(deps, image, live, errorCode(e));
    return { image: stored, status: 'draining', remaining: live, lastError: errorCode(e) };
  }

  const remaining = remainingShares(perms, holdings);
  if (remaining > 0 || holdsImage(holdings)) {
    const stored = await recordDrainProgress(deps, image, remaining, undefined);
    return { image: stored, status: 'draining', remaining };
  }

  // Last look before the irreversible call: a cancel that landed meanwhile wins.
  const latest = await deps.store.getImage(regionId, imageId);
  if (latest?.lifecycle === 'deleted') return { image: latest, status: 'deleted', remaining: 0 };
  if (!latest || latest.lifecycle !== 'draining') {
    throw new GovernorError('DeletionNotInProgress', `The drain of image ${imageId} was cancelled`, {
      details: { deletionStatus: latest?.deletion.status ?? 'none' },
    });
  }
  try {
    await deps.images.deleteImage(regionId, imageId, { force: opts.force ?? image.deletion.force ?? false });
  } catch (e) {
    if (isGovernorError(e, 'ImageNotFound')) return markDeleted(deps, ctx, image, 'image no longer exists in ECS');
    const code = errorCode(e);
    if (isUpstreamFailure(e) || isGovernorError(e, 'ImageStillShared')) {
      // ImageStillShared: a share landed after the read; the next pass revokes it.
      const stored = await recordDrainProgress(deps, image, isGovernorError(e, 'ImageStillShared') ? 1 : 0, code);
      return { image: stored, status: 'draining', remaining: stored.deletion.remaining ?? 0, lastError: code };
    }
    const fresh = (await deps.store.getImage(regionId, imageId)) ?? image;
    // A repeated pass that fails the same way writes nothing new.
    if (fresh.deletion.status !== 'failed' || fresh.deletion.lastError !== code) {
      await updateImageRecord(deps, fresh, (f) =>
        f.lifecycle !== 'draining' ? null : { ...f, deletion: compact({ ...f.deletion, status: 'failed', remaining: 0, lastError: code }) },
      );
      await audit(deps, ctx, [{ regionId, imageId, action: 'image.delete_failed', reason, detail: code }]);
    }
    throw e;
  }
  return markDeleted(deps, ctx, image, undefined);
}

/**
 * The directory channel of a drain: the service's rows revoked, every other target of the service's
 * share removed (the share is deleted once it holds none, so it no longer holds the image) except
 * those an apply in flight is adding, and the image taken out of every share the service does not
 * own. Returns the holdings as read afterwards: the truth the delete decision needs.
 */
async function drainDirectory(
  deps: DomainDeps,
  ctx: Ctx,
  image: ImageRecord,
  rows: readonly Share[],
  inFlight: readonly Share[],
  reason: string,
): Promise<DirectoryHolding[]> {
  const { regionId, imageId } = image;
  const before = await deps.directory.imageShares(regionId, imageId);
  const entries = directorySharesOf(before);
  const service = before.filter((h) => h.owner === 'service');
  if (rows.length === 0 && entries.length === 0 && !holdsImage(before)) return before;
  const adding = (target: string) => inFlight.some((s) => s.channel === 'directory' && entries.some((e) => e.target === target && claimsEntry(s, e)));
  const serviceTargets = service.flatMap((h) => h.targets.map((t) => t.target)).filter((target) => !adding(target) && !rows.some((s) => s.target === target));
  await revokeDirectory(
    deps,
    ctx,
    regionId,
    imageId,
    {
      rows,
      outside: {
        // Given even when empty while the service's share exists: a share left without targets still holds the image.
        ...(service.length > 0 ? { serviceTargets } : {}),
        shareIds: before.filter((h) => h.owner === 'other').map((h) => h.resourceShareId),
      },
    },
    { reason },
  );
  return deps.directory.imageShares(regionId, imageId);
}

async function recordDrainProgress(deps: DomainDeps, image: ImageRecord, remaining: number, lastError: string | undefined): Promise<ImageRecord> {
  const fresh = (await deps.store.getImage(image.regionId, image.imageId)) ?? image;
  if (fresh.deletion.remaining === remaining && fresh.deletion.lastError === lastError && fresh.deletion.status === 'draining') return fresh;
  const stored = await updateImageRecord(deps, fresh, (f) =>
    f.lifecycle !== 'draining' ? null : { ...f, deletion: compact({ ...f.deletion, status: 'draining', remaining, lastError }) },
  );
  return stored ?? fresh;
}

/**
 * Records that ECS no longer has the image. ECS truth wins: the record becomes deleted even if a
 * cancel raced the DeleteImage call.
 */
export async function markDeleted(deps: DomainDeps, ctx: Ctx, image: ImageRecord, detail: string | undefined): Promise<DrainProgress> {
  const fresh = (await deps.store.getImage(image.regionId, image.imageId)) ?? image;
  const now = nowIso(deps);
  let before: string | undefined;
  const moved = await updateImageRecord(deps, fresh, (f) => {
    if (f.lifecycle === 'deleted') return null;
    before = f.lifecycle;
    return {
      ...f,
      lifecycle: 'deleted',
      deletion: compact({ ...f.deletion, status: 'deleted', remaining: 0, lastError: undefined, completedAt: now }),
    };
  });
  // Only the caller whose write moved the record reports it: concurrent passes audit once.
  if (moved) {
    await audit(deps, ctx, [
      { regionId: image.regionId, imageId: image.imageId, action: 'image.deleted', before, after: 'deleted', reason: moved.deletion.reason, detail },
    ]);
  }
  const stored = moved ?? (await deps.store.getImage(image.regionId, image.imageId)) ?? fresh;
  return { image: stored, status: 'deleted', remaining: 0 };
}
