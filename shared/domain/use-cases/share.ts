// Asking for a share: every check a client can fail before the first write, the atomic quota
// reservation, the request and its rows, and the idempotent resume of a retried request.
import { createHash } from 'node:crypto';
import { DirectoryLookupCache } from '../directory.js';
import { ERROR_CATALOG, GovernorError, StoreError, isConditionFailed, isGovernorError, type ErrorCode } from '../errors.js';
import type { AccountId, Share, ShareRequest, ShareTarget } from '../model.js';
import { SHARE_CHANNELS, isTerminal, requestTargets, shareTargetKey, targetFields } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { channelLimit } from '../context.js';
import { checkManagedRegion } from '../policy.js';
import {
  LIVE_STATES,
  PENDING_STATES,
  WRITE_CONCURRENCY,
  applyShares,
  audit,
  closePendingShares,
  countByChannel,
  ensureImageRecord,
  initialState,
  quotaExceeded,
  quotaUsedOf,
  releaseTargets,
  reserveTargets,
  resumeApprovedRequest,
  settlePendingShares,
  shareEvent,
  sharesOfRequest,
} from '../transitions.js';
import { compact, mapLimit, updateRequestRecord } from '../util.js';
import { FieldErrors, checkImageRef, checkTargets, checkText, parseDateTime } from '../validate.js';
import {
  checkDirectoryTargetsAllowed,
  checkEcsImage,
  checkTargetsAllowed,
  conflictError,
  liveOrPendingShares,
  needsApproval,
  requestWithShares,
  resolveExpiry,
} from './checks.js';

export interface ShareInput {
  readonly regionId: string;
  readonly imageId: string;
  /** Account-channel targets; with `directoryTargets`, at least one target in all. */
  readonly accountIds?: readonly AccountId[];
  /** Directory-channel targets: `rd-…`, `fd-…` or member account ids. */
  readonly directoryTargets?: readonly string[];
  readonly reason: string;
  readonly ticket?: string;
  /** ISO-8601 date-time; absent = policy default (or never). */
  readonly expiresAt?: string;
  readonly attestation: { readonly sensitiveDataRemoved: boolean };
}

export type ShareOutcome =
  | { readonly outcome: 'pending'; readonly request: ShareRequest }
  | { readonly outcome: 'applied'; readonly request: ShareRequest; readonly shares: Share[] };

/**
 * The request id a retry with the same idempotency material resumes. The HTTP layer derives
 * `requestKey` from the principal and the Idempotency-Key; hashing keeps ids short and opaque.
 */
export const requestIdFor = (requestKey: string): string => `sr-${createHash('sha256').update(requestKey).digest('hex').slice(0, 32)}`;

const APPROVAL_NOT_REQUIRED = 'approval not required by policy';
const HOUR_MS = 3_600_000;

const sameTargets = (a: readonly ShareTarget[], b: readonly ShareTarget[]): boolean =>
  a.length === b.length && a.map(shareTargetKey).sort().join(',') === b.map(shareTargetKey).sort().join(',');

/** Everything a client can get wrong in the body; returns its targets, account channel first. */
function validateShareInput(deps: DomainDeps, body: ShareInput): ShareTarget[] {
  const errors = new FieldErrors();
  checkImageRef(errors, body.regionId, body.imageId);
  const targets = checkTargets(errors, body);
  checkText(errors, 'reason', body.reason, { required: true });
  checkText(errors, 'ticket', body.ticket, { required: false });
  if (typeof body.attestation !== 'object' || body.attestation === null || typeof body.attestation.sensitiveDataRemoved !== 'boolean') {
    errors.add('/attestation/sensitiveDataRemoved', 'must be a boolean');
  }
  if (body.expiresAt !== undefined) {
    const at = typeof body.expiresAt === 'string' ? parseDateTime(body.expiresAt) : Number.NaN;
    if (Number.isNaN(at)) errors.add('/expiresAt', 'must be an RFC 3339 date-time with a time zone');
    else if (at <= deps.clock.now().getTime()) errors.add('/expiresAt', 'must be in the future');
  }
  errors.throwIfAny();
  return targets;
}

export async function requestShare(deps: DomainDeps, ctx: Ctx, body: ShareInput, opts: { requestKey?: string } = {}): Promise<ShareOutcome> {
  const { store, images, policy } = deps;
  // Everything a client can get wrong is checked before the first write.
  const targets = validateShareInput(deps, body);
  const { regionId, imageId } = body;
  checkManagedRegion(policy, regionId);
  checkTargetsAllowed(policy, targets);
  if (body.attestation.sensitiveDataRemoved !== true) {
    throw new GovernorError('AttestationRequired', 'Attest that sensitive data has been removed from the image before sharing it');
  }
  const shareExpiresAt = resolveExpiry(policy, deps.clock.now(), body.expiresAt);
  // The folder rules last among the policy checks: they are the ones that look the targets up.
  await checkDirectoryTargetsAllowed(deps, targets, new DirectoryLookupCache());

  const requestId = opts.requestKey !== undefined ? requestIdFor(opts.requestKey) : `sr-${deps.newId()}`;
  if (opts.requestKey !== undefined) {
    const earlier = await store.getRequest(requestId);
    if (earlier) return resumeRequest(deps, ctx, earlier, targets, body);
  }

  const admit = async (): Promise<void> => {
    const ecsImage = checkEcsImage(policy, imageId, regionId, await images.getImage(regionId, imageId));
    const record = await store.getImage(regionId, imageId);
    if (record && record.lifecycle !== 'active') {
      throw new GovernorError('ImageDeletionPending', `Image ${imageId} is ${record.lifecycle} and accepts no new shares`);
    }
    const taken = await blockingShares(deps, ctx, regionId, imageId, targets);
    if (taken.length > 0) throw conflictError(imageId, taken);
    const requested = countByChannel(targets);
    for (const channel of SHARE_CHANNELS) {
      const limit = channelLimit(policy, channel);
      const used = record ? quotaUsedOf(record, channel) : 0;
      if (requested[channel] > 0 && used + requested[channel] > limit) throw quotaExceeded(imageId, channel, limit, used, requested[channel]);
    }

    // First writes: the record, then the atomic reservations (the real quota check under concurrency).
    if (!record) await ensureImageRecord(deps, regionId, imageId, { imageName: ecsImage.imageName, known: null });
    await reserveTargets(deps, regionId, imageId, targets);
  };
  try {
    await admit();
  } catch (e) {
    // A concurrent call with the same key may have created the request meanwhile (its rows then
    // look taken and its reservation looks like quota in use): continue that request instead.
    const concurrent = opts.requestKey !== undefined && isGovernorError(e) ? await store.getRequest(requestId) : null;
    if (concurrent) return resumeRequest(deps, ctx, concurrent, targets, body);
    throw e;
  }

  const approval = needsApproval(policy, targets);
  const at = deps.clock.now();
  const createdAt = at.toISOString();
  const request: ShareRequest = compact({
    requestId,
    regionId,
    imageId,
    accountIds: targets.filter((t) => t.channel === 'account').map((t) => t.target),
    directoryTargets: targets.filter((t) => t.channel === 'directory').map((t) => t.target),
    status: approval ? 'pending_approval' : 'approved',
    requester: ctx.principal.id,
    reason: body.reason,
    ticket: body.ticket,
    shareExpiresAt,
    attestation: { sensitiveDataRemoved: true },
    pendingUntil: new Date(at.getTime() + policy.pendingRequestTtlHours * HOUR_MS).toISOString(),
    decidedBy: approval ? undefined : ctx.principal.id,
    decidedAt: approval ? undefined : createdAt,
    comment: approval ? undefined : APPROVAL_NOT_REQUIRED,
    createdAt,
    updatedAt: createdAt,
    version: 1,
  });
  try {
    await store.createRequest(request);
  } catch (e) {
    await releaseTargets(deps, regionId, imageId, targets).catch(() => undefined);
    if (e instanceof StoreError && e.kind === 'AlreadyExists' && opts.requestKey !== undefined) {
      // A concurrent retry with the same key won: continue its request instead.
      const winner = await store.getRequest(requestId);
      if (winner) return resumeRequest(deps, ctx, winner, targets, body);
    }
    throw e;
  }

  const created = await createShareRows(deps, ctx, request, targets, { resuming: false, concurrent: opts.requestKey !== undefined });
  await audit(
    deps,
    ctx,
    created.map((s) => shareEvent(s, { action: 'share.requested', after: s.state, reason: body.reason, ticket: body.ticket })),
  );
  if (approval) return { outcome: 'pending', request };

  await audit(
    deps,
    ctx,
    created.map((s) => shareEvent(s, { action: 'share.approved', after: 'approved', detail: APPROVAL_NOT_REQUIRED })),
  );
  await applyShares(deps, ctx, created);
  return appliedOutcome(deps, requestId);
}

/** Targets of the ask that already hold a live or pending share of the image (stale pending rows settled first). */
async function blockingShares(deps: DomainDeps, ctx: Ctx, regionId: string, imageId: string, targets: readonly ShareTarget[]): Promise<ShareTarget[]> {
  const wanted = new Set(targets.map(shareTargetKey));
  const rows = (await liveOrPendingShares(deps, regionId, imageId)).filter((s) => wanted.has(shareTargetKey(s)));
  const pending = rows.filter((s) => PENDING_STATES.includes(s.state));
  const stillPending = pending.length > 0 ? await settlePendingShares(deps, ctx, pending) : [];
  return [...rows.filter((s) => LIVE_STATES.includes(s.state)), ...stillPending].sort((a, b) => shareTargetKey(a).localeCompare(shareTargetKey(b)));
}

/**
 * Creates the share rows of a new (or resumed) request. A row that lost a race to another request
 * makes the whole request fail cleanly: its rows are closed, all quota released, ShareAlreadyExists.
 * `concurrent`: another call of the same request (same request key) may be running at once.
 */
async function createShareRows(
  deps: DomainDeps,
  ctx: Ctx,
  request: ShareRequest,
  targets: readonly ShareTarget[],
  opts: { resuming: boolean; concurrent: boolean },
): Promise<Share[]> {
  const { store } = deps;
  const state = initialState(ctx, request.status === 'pending_approval' ? 'request' : 'request_preapproved');
  const conflicts: ShareTarget[] = [];
  const written: Share[] = [];
  const created = await mapLimit(targets, WRITE_CONCURRENCY, async (target) => {
    // A resumed request may already own the row (written just before the interruption).
    const existing = opts.resuming ? await store.getShare(request.regionId, request.imageId, target) : null;
    if (existing && existing.requestId === request.requestId && !isTerminal(existing.state)) return existing;
    try {
      const row = await store.createShare(
        compact({
          regionId: request.regionId,
          imageId: request.imageId,
          ...targetFields(target),
          state,
          requestId: request.requestId,
          origin: 'request' as const,
          expiresAt: request.shareExpiresAt,
          createdAt: request.createdAt,
          updatedAt: deps.clock.now().toISOString(),
          version: 1,
        }),
      );
      written.push(row);
      return row;
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
      // A concurrent retry of this same request may have written the row first: that is ours.
      const holder = await store.getShare(request.regionId, request.imageId, target);
      if (holder && holder.requestId === request.requestId && !isTerminal(holder.state)) return holder;
      conflicts.push(target);
      return null;
    }
  });
  const rows = created.filter((s): s is Share => s !== null);
  if (conflicts.length === 0) {
    if (!opts.concurrent) return rows;
    // A concurrent call of this request may have failed it meanwhile and given its quota back.
    const latest = await store.getRequest(request.requestId);
    if (latest?.status !== 'failed') return rows;
    try {
      await replayFailure(deps, latest);
    } finally {
      await closeWrittenRows(deps, ctx, written, false);
    }
    throw conflictError(request.imageId, []);
  }

  const failed = await updateRequestRecord(deps, request, (fresh) =>
    fresh.status === 'pending_approval' || fresh.status === 'approved'
      ? { ...fresh, status: 'failed', comment: 'some targets already hold a share of the image' }
      : null,
  );
  if (failed) {
    // The call that failed the request gives back its whole reservation, once: the units of its
    // pending rows (closing them releases them) and of every target that has no row of it.
    const own = opts.concurrent || opts.resuming ? await sharesOfRequest(deps, request) : rows;
    await closePendingShares(deps, ctx, own, 'conflict', { action: 'share.failed', detail: 'ShareAlreadyExists', lastError: 'ShareAlreadyExists' });
    const owned = new Set(own.map(shareTargetKey));
    const rowless = requestTargets(request).filter((t) => !owned.has(shareTargetKey(t)));
    await releaseTargets(deps, request.regionId, request.imageId, rowless);
  } else {
    // Another call closed the request first. If it failed it, it gave the whole reservation back
    // (rows written here since hold none); if it cancelled, rejected or expired it, the units of
    // targets without a row are still held, and these rows hold them.
    const latest = await store.getRequest(request.requestId);
    await closeWrittenRows(deps, ctx, written, latest?.status !== 'failed');
  }
  throw conflictError(request.imageId, conflicts.sort((a, b) => shareTargetKey(a).localeCompare(shareTargetKey(b))));
}

/**
 * Closes rows this call wrote for a request that another call has closed meanwhile. (Should that
 * call have closed one of them first with `holdsQuota` false here, the counter over-counts by one
 * until the reconciler's recount; it never under-counts.)
 */
async function closeWrittenRows(deps: DomainDeps, ctx: Ctx, rows: readonly Share[], holdsQuota: boolean): Promise<void> {
  await closePendingShares(deps, ctx, rows, 'conflict', {
    action: 'share.failed',
    detail: 'ShareAlreadyExists',
    lastError: 'ShareAlreadyExists',
    holdsQuota,
  });
}

/**
 * A retry with the same requestKey: continue where the first attempt stopped (missing share rows,
 * intents left `applying` by an ECS outage) without reserving quota again.
 */
async function resumeRequest(deps: DomainDeps, ctx: Ctx, request: ShareRequest, targets: readonly ShareTarget[], body: ShareInput): Promise<ShareOutcome> {
  const { store } = deps;
  if (request.regionId !== body.regionId || request.imageId !== body.imageId || !sameTargets(requestTargets(request), targets)) {
    throw new GovernorError('IdempotencyKeyReused', 'This Idempotency-Key was used for another share request');
  }
  if (request.status === 'pending_approval' || request.status === 'approved') {
    const rows = new Set((await sharesOfRequest(deps, request)).map(shareTargetKey));
    const missing = requestTargets(request).filter((t) => !rows.has(shareTargetKey(t)));
    // Quota for every target was reserved before the request row was written.
    if (missing.length > 0) await createShareRows(deps, ctx, request, missing, { resuming: true, concurrent: true });
  }
  if (request.status === 'pending_approval') return { outcome: 'pending', request: (await store.getRequest(request.requestId)) ?? request };
  if (request.status === 'approved') {
    await resumeApprovedRequest(deps, ctx, request, { event: 'complete_approval' });
    return appliedOutcome(deps, request.requestId);
  }
  if (request.status === 'failed') await replayFailure(deps, request);
  if (request.status === 'applied' || request.status === 'partially_applied') return appliedOutcome(deps, request.requestId);
  return { outcome: 'pending', request };
}

/** A retried request that failed for good answers with the error it failed with. */

async function replayFailure(deps: DomainDeps, request: ShareRequest): Promise<void> {
  const rows = await sharesOfRequest(deps, request);
  const code = rows.map((s) => s.lastError).find((c): c is ErrorCode => c !== undefined && c in ERROR_CATALOG);
  if (code === undefined || ERROR_CATALOG[code].status >= 500) return;
  const failed = rows.filter((s) => s.state === 'failed');
  throw new GovernorError(code, `Share request ${request.requestId} failed: ${ERROR_CATALOG[code].title}`, {
    details: {
      shareRequestId: request.requestId,
      failedAccounts: failed.filter((s) => s.channel === 'account').map((s) => s.target),
      ...(request.directoryTargets.length > 0 ? { failedDirectoryTargets: failed.filter((s) => s.channel === 'directory').map((s) => s.target) } : {}),
    },
  });
}

async function appliedOutcome(deps: DomainDeps, requestId: string): Promise<ShareOutcome> {
  return { outcome: 'applied', ...(await requestWithShares(deps, requestId)) };
}
