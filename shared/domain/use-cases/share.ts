// Asking for a share: every check a client can fail before the first write, the atomic quota
// reservation, the request and its rows, and the idempotent resume of a retried request.
import { createHash } from 'node:crypto';
import { ERROR_CATALOG, GovernorError, StoreError, isConditionFailed, isGovernorError, type ErrorCode } from '../errors.js';
import type { AccountId, Share, ShareRequest } from '../model.js';
import { isTerminal } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { shareLimit } from '../context.js';
import { checkManagedRegion, disallowedAccounts } from '../policy.js';
import {
  LIVE_STATES,
  PENDING_STATES,
  WRITE_CONCURRENCY,
  applyShares,
  audit,
  closePendingShares,
  ensureImageRecord,
  initialState,
  releaseQuota,
  reserveQuota,
  resumeApprovedRequest,
  settlePendingShares,
  shareEvent,
  sharesOfRequest,
} from '../transitions.js';
import { compact, mapLimit, updateRequestRecord } from '../util.js';
import { FieldErrors, checkAccountIds, checkImageRef, checkText, parseDateTime } from '../validate.js';
import { checkEcsImage, conflictError, liveOrPendingShares, needsApproval, requestWithShares, resolveExpiry } from './checks.js';

export interface ShareInput {
  readonly regionId: string;
  readonly imageId: string;
  readonly accountIds: readonly AccountId[];
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

const sameAccounts = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

function validateShareInput(deps: DomainDeps, body: ShareInput): void {
  const errors = new FieldErrors();
  checkImageRef(errors, body.regionId, body.imageId);
  checkAccountIds(errors, body.accountIds);
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
}

export async function requestShare(deps: DomainDeps, ctx: Ctx, body: ShareInput, opts: { requestKey?: string } = {}): Promise<ShareOutcome> {
  const { store, images, policy } = deps;
  // Everything a client can get wrong is checked before the first write.
  validateShareInput(deps, body);
  const { regionId, imageId } = body;
  const accountIds = [...body.accountIds];
  checkManagedRegion(policy, regionId);
  if (accountIds.includes(policy.ownerAccountId)) {
    throw new GovernorError('CannotShareWithOwner', 'An image cannot be shared with the account that owns it', {
      details: { accounts: [policy.ownerAccountId] },
    });
  }
  const refused = disallowedAccounts(policy, accountIds);
  if (refused.length > 0) {
    throw new GovernorError('AccountNotAllowed', `Policy does not allow sharing with ${refused.join(', ')}`, { details: { accounts: refused } });
  }
  if (body.attestation.sensitiveDataRemoved !== true) {
    throw new GovernorError('AttestationRequired', 'Attest that sensitive data has been removed from the image before sharing it');
  }
  const shareExpiresAt = resolveExpiry(policy, deps.clock.now(), body.expiresAt);

  const requestId = opts.requestKey !== undefined ? requestIdFor(opts.requestKey) : `sr-${deps.newId()}`;
  if (opts.requestKey !== undefined) {
    const earlier = await store.getRequest(requestId);
    if (earlier) return resumeRequest(deps, ctx, earlier, body);
  }

  const admit = async (): Promise<void> => {
    const ecsImage = checkEcsImage(policy, imageId, regionId, await images.getImage(regionId, imageId));
    const record = await store.getImage(regionId, imageId);
    if (record && record.lifecycle !== 'active') {
      throw new GovernorError('ImageDeletionPending', `Image ${imageId} is ${record.lifecycle} and accepts no new shares`);
    }
    const taken = await blockingShares(deps, ctx, regionId, imageId, accountIds);
    if (taken.length > 0) throw conflictError(imageId, taken);
    const limit = shareLimit(policy);
    const used = record?.quotaUsed ?? 0;
    if (used + accountIds.length > limit) {
      throw new GovernorError('ShareQuotaExceeded', `Image ${imageId} can be shared with at most ${limit} accounts`, {
        details: { limit, used, requested: accountIds.length },
      });
    }

    // First writes: the record, then the atomic reservation (the real quota check under concurrency).
    if (!record) await ensureImageRecord(deps, regionId, imageId, ecsImage.imageName);
    await reserveQuota(deps, regionId, imageId, accountIds.length);
  };
  try {
    await admit();
  } catch (e) {
    // A concurrent call with the same key may have created the request meanwhile (its rows then
    // look taken and its reservation looks like quota in use): continue that request instead.
    const concurrent = opts.requestKey !== undefined && isGovernorError(e) ? await store.getRequest(requestId) : null;
    if (concurrent) return resumeRequest(deps, ctx, concurrent, body);
    throw e;
  }

  const approval = needsApproval(policy, accountIds);
  const at = deps.clock.now();
  const createdAt = at.toISOString();
  const request: ShareRequest = compact({
    requestId,
    regionId,
    imageId,
    accountIds,
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
    await releaseQuota(deps, regionId, imageId, accountIds.length).catch(() => undefined);
    if (e instanceof StoreError && e.kind === 'AlreadyExists' && opts.requestKey !== undefined) {
      // A concurrent retry with the same key won: continue its request instead.
      const winner = await store.getRequest(requestId);
      if (winner) return resumeRequest(deps, ctx, winner, body);
    }
    throw e;
  }

  const created = await createShareRows(deps, ctx, request, accountIds, { resuming: false, concurrent: opts.requestKey !== undefined });
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

/** Accounts of the ask that already hold a live or pending share of the image (stale pending rows settled first). */

async function blockingShares(deps: DomainDeps, ctx: Ctx, regionId: string, imageId: string, accountIds: readonly AccountId[]): Promise<AccountId[]> {
  const wanted = new Set(accountIds);
  const rows = (await liveOrPendingShares(deps, regionId, imageId)).filter((s) => wanted.has(s.accountId));
  const pending = rows.filter((s) => PENDING_STATES.includes(s.state));
  const stillPending = pending.length > 0 ? await settlePendingShares(deps, ctx, pending) : [];
  return [...rows.filter((s) => LIVE_STATES.includes(s.state)), ...stillPending].map((s) => s.accountId).sort();
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
  accountIds: readonly AccountId[],
  opts: { resuming: boolean; concurrent: boolean },
): Promise<Share[]> {
  const { store } = deps;
  const state = initialState(ctx, request.status === 'pending_approval' ? 'request' : 'request_preapproved');
  const conflicts: AccountId[] = [];
  const written: Share[] = [];
  const created = await mapLimit(accountIds, WRITE_CONCURRENCY, async (accountId) => {
    // A resumed request may already own the row (written just before the interruption).
    const existing = opts.resuming ? await store.getShare(request.regionId, request.imageId, accountId) : null;
    if (existing && existing.requestId === request.requestId && !isTerminal(existing.state)) return existing;
    try {
      const row = await store.createShare(
        compact({
          regionId: request.regionId,
          imageId: request.imageId,
          accountId,
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
      const holder = await store.getShare(request.regionId, request.imageId, accountId);
      if (holder && holder.requestId === request.requestId && !isTerminal(holder.state)) return holder;
      conflicts.push(accountId);
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
      ? { ...fresh, status: 'failed', comment: 'some accounts already hold a share of the image' }
      : null,
  );
  if (failed) {
    // The call that failed the request gives back its whole reservation, once: the units of its
    // pending rows (closing them releases them) and of every account that has no row of it.
    const own = opts.concurrent || opts.resuming ? await sharesOfRequest(deps, request) : rows;
    await closePendingShares(deps, ctx, own, 'conflict', { action: 'share.failed', detail: 'ShareAlreadyExists', lastError: 'ShareAlreadyExists' });
    const rowless = request.accountIds.filter((id) => !own.some((s) => s.accountId === id)).length;
    await releaseQuota(deps, request.regionId, request.imageId, rowless);
  } else {
    // Another call closed the request first. If it failed it, it gave the whole reservation back
    // (rows written here since hold none); if it cancelled, rejected or expired it, the units of
    // accounts without a row are still held, and these rows hold them.
    const latest = await store.getRequest(request.requestId);
    await closeWrittenRows(deps, ctx, written, latest?.status !== 'failed');
  }
  throw conflictError(request.imageId, conflicts.sort());
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
async function resumeRequest(deps: DomainDeps, ctx: Ctx, request: ShareRequest, body: ShareInput): Promise<ShareOutcome> {
  const { store } = deps;
  if (request.regionId !== body.regionId || request.imageId !== body.imageId || !sameAccounts(request.accountIds, body.accountIds)) {
    throw new GovernorError('IdempotencyKeyReused', 'This Idempotency-Key was used for another share request');
  }
  if (request.status === 'pending_approval' || request.status === 'approved') {
    const rows = await sharesOfRequest(deps, request);
    const missing = request.accountIds.filter((id) => !rows.some((s) => s.accountId === id));
    // Quota for every account was reserved before the request row was written.
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
  throw new GovernorError(code, `Share request ${request.requestId} failed: ${ERROR_CATALOG[code].title}`, {
    details: { shareRequestId: request.requestId, failedAccounts: rows.filter((s) => s.state === 'failed').map((s) => s.accountId) },
  });
}

async function appliedOutcome(deps: DomainDeps, requestId: string): Promise<ShareOutcome> {
  return { outcome: 'applied', ...(await requestWithShares(deps, requestId)) };
}

/** Loads a request an approver may decide on: separation of duties, still pending, not past its TTL. */
