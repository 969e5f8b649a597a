// Deleting an image: guard (refuse while shared) or drain (revoke everything, then delete), its
// status, and cancelling a drain.
import { type DirectoryHolding, directorySharesOf, grantsAccess, holdsImage } from '../directory.js';
import { GovernorError, isGovernorError } from '../errors.js';
import type { Deletion, DeletionStatus, EcsSharePermissions, Share } from '../model.js';
import { shareTargetKey, targetFields } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { checkManagedRegion } from '../policy.js';
import { LIVE_STATES, audit, ensureImageRecord, finishDrain, markDeleted } from '../transitions.js';
import { compact, updateImageRecord } from '../util.js';
import { FieldErrors, checkImageRef, checkText } from '../validate.js';
import { checkImagePath, liveOrPendingShares } from './checks.js';

export type DeletionOutcome = { readonly status: 'deleted' } | { readonly status: 'draining'; readonly remaining: number };

export async function requestDeletion(
  deps: DomainDeps,
  ctx: Ctx,
  regionId: string,
  imageId: string,
  body: { mode: 'guard' | 'drain'; reason: string; force?: boolean },
): Promise<DeletionOutcome> {
  const { store, images, policy } = deps;
  const errors = new FieldErrors();
  checkImageRef(errors, regionId, imageId);
  if (body.mode !== 'guard' && body.mode !== 'drain') errors.add('/mode', 'must be guard or drain');
  checkText(errors, 'reason', body.reason, { required: true });
  if (body.force !== undefined && typeof body.force !== 'boolean') errors.add('/force', 'must be a boolean');
  errors.throwIfAny();
  checkManagedRegion(policy, regionId);
  const force = body.force ?? false;

  let record = await store.getImage(regionId, imageId);
  if (record?.lifecycle === 'deleted') return { status: 'deleted' };
  if (!record) {
    const ecsImage = await images.getImage(regionId, imageId);
    if (!ecsImage) throw new GovernorError('ImageNotFound', `Image ${imageId} does not exist in ${regionId}`);
  }
  const requestedAt = deps.clock.now().toISOString();
  const deletion = (mode: 'guard' | 'drain', status: DeletionStatus): Deletion =>
    compact({ status, mode, reason: body.reason, requestedBy: ctx.principal.id, requestedAt, force });

  if (body.mode === 'guard') {
    let perms: EcsSharePermissions;
    let holdings: DirectoryHolding[];
    try {
      [perms, holdings] = await Promise.all([images.getSharePermissions(regionId, imageId), deps.directory.imageShares(regionId, imageId)]);
    } catch (e) {
      if (!isGovernorError(e, 'ImageNotFound') || !record) throw e;
      await markDeleted(deps, ctx, record, 'image no longer exists in ECS');
      return { status: 'deleted' };
    }
    const stored = record ? await liveOrPendingShares(deps, regionId, imageId) : [];
    const blocking = stillShared(perms, holdings, stored);
    if (blocking.targets.length > 0 || blocking.resourceShares.length > 0 || perms.isPublic) {
      const named = blocking.targets.map((t) => `${t.channel} ${t.target}`).join(', ');
      throw new GovernorError('ImageStillShared', `Image ${imageId} is still shared${named ? ` (${named})` : ''}; unshare it or use mode drain`, {
        details: {
          shares: blocking.targets.filter((t) => t.channel === 'account').map((t) => t.target),
          targets: blocking.targets,
          ...(blocking.resourceShares.length > 0 ? { resourceShares: blocking.resourceShares } : {}),
          ...(perms.isPublic ? { public: true } : {}),
        },
      });
    }
    await images.deleteImage(regionId, imageId, { force });
    record = await ensureImageRecord(deps, regionId, imageId, { known: record });
    let before: string | undefined;
    const moved = await updateImageRecord(deps, record, (f) => {
      if (f.lifecycle === 'deleted') return null;
      before = f.lifecycle;
      return { ...f, lifecycle: 'deleted', deletion: { ...deletion('guard', 'deleted'), remaining: 0, completedAt: deps.clock.now().toISOString() } };
    });
    if (moved)
      await audit(deps, ctx, [{ regionId, imageId, action: 'image.deleted', before, after: 'deleted', reason: body.reason, detail: 'guard' }]);
    return { status: 'deleted' };
  }

  record = record ?? (await ensureImageRecord(deps, regionId, imageId, { known: null }));
  if (record.lifecycle === 'active') {
    const before = record.lifecycle;
    const draining = await updateImageRecord(deps, record, (f) =>
      f.lifecycle !== 'active' ? null : { ...f, lifecycle: 'draining', deletion: deletion('drain', 'draining') },
    );
    if (draining) {
      record = draining;
      await audit(deps, ctx, [{ regionId, imageId, action: 'image.drain_started', before, after: 'draining', reason: body.reason }]);
    } else {
      record = (await store.getImage(regionId, imageId)) ?? record;
    }
  }
  const progress = await finishDrain(deps, ctx, record, { force: force || record.deletion.force === true });
  return progress.status === 'deleted' ? { status: 'deleted' } : { status: 'draining', remaining: progress.remaining };
}

/** A target something still shares the image with: the channel says so, or a row of the service does. */
interface BlockingTarget {
  readonly channel: Share['channel'];
  readonly target: string;
  readonly accountId?: string;
  readonly resourceShareId?: string;
}

/**
 * What keeps an image shared, on both channels: accounts ECS lists and (resource share, target) pairs
 * that grant access, plus the non-terminal rows of the store, each target once (account channel first);
 * and every resource share holding the image, with or without targets (ECS refuses to delete it then).
 */
function stillShared(perms: EcsSharePermissions, holdings: readonly DirectoryHolding[], rows: readonly Share[]): { targets: BlockingTarget[]; resourceShares: string[] } {
  const seen = new Map<string, BlockingTarget>();
  const add = (t: BlockingTarget) => {
    const key = `${shareTargetKey(t)}/${t.resourceShareId ?? ''}`;
    if (!seen.has(key)) seen.set(key, t);
  };
  for (const a of perms.accounts) add(targetFields({ channel: 'account', target: a.accountId }));
  for (const entry of directorySharesOf(holdings).filter((e) => grantsAccess(e.status))) {
    add({ channel: 'directory', target: entry.target, resourceShareId: entry.resourceShareId });
  }
  for (const row of rows) {
    const known = [...seen.values()].some((t) => t.channel === row.channel && t.target === row.target);
    if (!known) add(row.channel === 'account' ? targetFields(row) : { channel: 'directory', target: row.target, ...(row.resourceShareId ? { resourceShareId: row.resourceShareId } : {}) });
  }
  const targets = [...seen.values()].sort((a, b) => shareTargetKey(a).localeCompare(shareTargetKey(b)));
  return { targets, resourceShares: holdsImage(holdings) ? holdings.filter((h) => grantsAccess(h.status)).map((h) => h.resourceShareId) : [] };
}

async function liveCount(deps: DomainDeps, regionId: string, imageId: string): Promise<number> {
  const { store } = deps;
  return (await store.listShares(regionId, imageId)).filter((s) => LIVE_STATES.includes(s.state)).length;
}

export async function deletionStatus(
  deps: DomainDeps,
  regionId: string,
  imageId: string,
): Promise<{ status: DeletionStatus; remaining: number; lastError?: string }> {
  const { store, policy } = deps;
  checkImagePath(policy, regionId, imageId);
  const record = await store.getImage(regionId, imageId);
  if (!record) return { status: 'none', remaining: 0 };
  const { status, lastError } = record.deletion;
  const remaining =
    status === 'deleted'
      ? 0
      : status === 'draining' && record.deletion.remaining !== undefined
        ? record.deletion.remaining
        : await liveCount(deps, regionId, imageId);
  return compact({ status, remaining, lastError });
}

export async function cancelDeletion(
  deps: DomainDeps,
  ctx: Ctx,
  regionId: string,
  imageId: string,
): Promise<{ status: 'cancelled'; remaining: number }> {
  const { store, policy } = deps;
  checkImagePath(policy, regionId, imageId);
  const record = await store.getImage(regionId, imageId);
  if (!record || record.lifecycle !== 'draining') {
    throw new GovernorError('DeletionNotInProgress', `No drain is in progress for image ${imageId}`, {
      details: { deletionStatus: record?.deletion.status ?? 'none' },
    });
  }
  const cancelled = await updateImageRecord(deps, record, (f) =>
    f.lifecycle !== 'draining'
      ? null
      : {
          ...f,
          lifecycle: 'active',
          deletion: compact({ ...f.deletion, status: 'cancelled', lastError: undefined, completedAt: deps.clock.now().toISOString() }),
        },
  );
  if (!cancelled) throw new GovernorError('DeletionNotInProgress', `No drain is in progress for image ${imageId}`);
  await audit(deps, ctx, [{ regionId, imageId, action: 'image.drain_cancelled', before: 'draining', after: 'active' }]);
  return { status: 'cancelled', remaining: await liveCount(deps, regionId, imageId) };
}
