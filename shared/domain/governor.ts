// The governance use cases behind the HTTP API v1. Roles are checked by the HTTP route table; this
// core enforces everything else (separation of duties, policy, quota, lifecycle, write-ahead intents).
import { createHash } from 'node:crypto';
import { ERROR_CATALOG, GovernorError, StoreError, isConditionFailed, isGovernorError, type ErrorCode } from './errors.js';
import type {
  AccountId,
  AuditEvent,
  Deletion,
  DeletionStatus,
  EcsImage,
  EcsImageKind,
  EcsImageStatus,
  EcsSharePermissions,
  ImageLifecycle,
  ImageRecord,
  Page,
  ReconcileRun,
  RequestStatus,
  Share,
  ShareRequest,
} from './model.js';
import { isTerminal } from './model.js';
import type { Ctx, DomainDeps, GovernorDeps } from './context.js';
import { resolveDeps, shareLimit } from './context.js';
import type { Policy } from './policy.js';
import { checkManagedRegion, disallowedAccounts, notShareable } from './policy.js';
import {
  LIVE_STATES,
  PENDING_STATES,
  REVOCABLE_STATES,
  WRITE_CONCURRENCY,
  applyShares,
  audit,
  cancelRequest,
  closePendingShares,
  ensureImageRecord,
  expireRequest,
  finishDrain,
  initialState,
  markDeleted,
  pendingRequestsOf,
  rejectRequest,
  releaseQuota,
  resumeApprovedRequest,
  reserveQuota,
  revokeShares,
  settlePendingShares,
  shareEvent,
  sharesOfRequest,
} from './transitions.js';
import { PAGE_SIZE } from './limits.js';
import { driftEntries, driftOf, type Drift } from './drift.js';
import { compact, mapLimit, storeFailure, updateImageRecord, updateRequestRecord } from './util.js';
import {
  FieldErrors,
  checkAccountIds,
  checkImageRef,
  checkText,
  parseDateTime,
} from './validate.js';

export type { Ctx, GovernorDeps } from './context.js';

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

export interface UnshareInput {
  readonly regionId: string;
  readonly imageId: string;
  readonly accountIds: readonly AccountId[];
  readonly reason: string;
}

export interface UnshareOutcome {
  /** The service's shares this call revoked or withdrew, in account order. */
  readonly shares: Share[];
  /** Named accounts that had nothing to remove. */
  readonly notShared: AccountId[];
  /** Named accounts whose ECS share was made outside the service, revoked as well (account order). */
  readonly revokedOutsideService: AccountId[];
  readonly warning: string;
}

export type ShareOutcome =
  | { readonly outcome: 'pending'; readonly request: ShareRequest }
  | { readonly outcome: 'applied'; readonly request: ShareRequest; readonly shares: Share[] };

export type { Drift } from './drift.js';

/** What describe reports about one image: the stored record (if managed) joined with ECS (if live). */
export interface ImageView {
  readonly regionId: string;
  readonly imageId: string;
  readonly imageName?: string;
  /** False when the store has no record (the image was never shared or deleted through the service). */
  readonly managed: boolean;
  /** 'active' for an unmanaged image. */
  readonly lifecycle: ImageLifecycle;
  readonly deletion: Deletion;
  /** What ECS says now; null when live=false or ECS no longer knows the image. */
  readonly ecs: {
    readonly status: EcsImageStatus;
    readonly kind: EcsImageKind;
    readonly isPublic: boolean;
    readonly tags: Readonly<Record<string, string>>;
  } | null;
  readonly createdAt?: string;
  readonly updatedAt?: string;
}

export interface ImageDescription {
  readonly image: ImageView;
  readonly quota: { readonly limit: number; readonly used: number };
  /** Stored shares that are not terminal (pending, approved, applying, active, revoking), account order. */
  readonly shares: Share[];
  readonly drift: Drift[];
  /** ECS says the image is a community image; null when live=false. */
  readonly public: boolean | null;
  readonly pendingRequests: ShareRequest[];
}

export type DeletionOutcome = { readonly status: 'deleted' } | { readonly status: 'draining'; readonly remaining: number };

export interface Governor {
  requestShare(ctx: Ctx, input: ShareInput, opts?: { requestKey?: string }): Promise<ShareOutcome>;
  approve(ctx: Ctx, requestId: string, input: { comment?: string }): Promise<{ request: ShareRequest; shares: Share[] }>;
  reject(ctx: Ctx, requestId: string, input: { comment: string }): Promise<{ request: ShareRequest }>;
  unshare(ctx: Ctx, input: UnshareInput): Promise<UnshareOutcome>;
  describeImage(ctx: Ctx, regionId: string, imageId: string, opts: { live: boolean }): Promise<ImageDescription>;
  listImages(ctx: Ctx, q: { regionId?: string; limit: number; cursor?: string }): Promise<Page<ImageRecord>>;
  listRequests(ctx: Ctx, q: { status?: RequestStatus; limit: number; cursor?: string }): Promise<Page<ShareRequest>>;
  /** RequestNotFound */
  getRequest(ctx: Ctx, requestId: string): Promise<ShareRequest>;
  listEvents(ctx: Ctx, regionId: string, imageId: string, q: { limit: number; cursor?: string }): Promise<Page<AuditEvent>>;
  requestDeletion(
    ctx: Ctx,
    regionId: string,
    imageId: string,
    input: { mode: 'guard' | 'drain'; reason: string; force?: boolean },
  ): Promise<DeletionOutcome>;
  deletionStatus(ctx: Ctx, regionId: string, imageId: string): Promise<{ status: DeletionStatus; remaining: number; lastError?: string }>;
  cancelDeletion(ctx: Ctx, regionId: string, imageId: string): Promise<{ status: 'cancelled'; remaining: number }>;
  listRuns(ctx: Ctx, q: { limit: number; cursor?: string }): Promise<Page<ReconcileRun>>;
  /** RunNotFound */
  getRun(ctx: Ctx, runId: string): Promise<ReconcileRun>;
}

/** The warning every unshare response carries (the seed document's consequence of unsharing). */
export const UNSHARE_WARNING =
  'Instances that these accounts created from the image can no longer re-initialize their system disks.';


/**
 * The request id a retry with the same idempotency material resumes. The HTTP layer derives
 * `requestKey` from the principal and the Idempotency-Key; hashing keeps ids short and opaque.
 */
export const requestIdFor = (requestKey: string): string =>
  `sr-${createHash('sha256').update(requestKey).digest('hex').slice(0, 32)}`;

const APPROVAL_NOT_REQUIRED = 'approval not required by policy';
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

// ---------------------------------------------------------------------------------------------
// policy checks (pure)

/** The `{regionId}/{imageId}` of a path: a well-formed image id in a managed region. */
function checkImagePath(policy: Policy, regionId: string, imageId: string): void {
  const errors = new FieldErrors();
  checkImageRef(errors, regionId, imageId);
  errors.throwIfAny();
  checkManagedRegion(policy, regionId);
}

/** ECS must know the image, policy must let it be shared, and it must be Available. */
function checkEcsImage(policy: Policy, imageId: string, regionId: string, ecsImage: EcsImage | null): EcsImage {
  if (!ecsImage) throw new GovernorError('ImageNotFound', `Image ${imageId} does not exist in ${regionId}`);
  const refused = notShareable(policy, ecsImage);
  if (refused) {
    const { message, ...why } = refused;
    throw new GovernorError('ImageNotShareable', message, { details: { kind: ecsImage.kind, ...why } });
  }
  if (ecsImage.status !== 'Available') {
    throw new GovernorError('ImageNotAvailable', `Image ${imageId} is ${ecsImage.status}; only Available images can be shared`, {
      details: { imageStatus: ecsImage.status },
    });
  }
  return ecsImage;
}

export function needsApproval(policy: Policy, accountIds: readonly AccountId[]): boolean {
  return policy.approvalRequired && !accountIds.every((id) => policy.approvalExemptAccounts.includes(id));
}

/** The share expiry to store (ISO), or undefined for never. Throws ExpiryTooLong. */
function resolveExpiry(policy: Policy, now: Date, expiresAt: string | undefined): string | undefined {
  if (expiresAt !== undefined) {
    const at = parseDateTime(expiresAt);
    if (policy.maxShareDurationDays !== undefined) {
      const latest = now.getTime() + policy.maxShareDurationDays * DAY_MS;
      if (at > latest) {
        throw new GovernorError('ExpiryTooLong', `Shares may last at most ${policy.maxShareDurationDays} days`, {
          details: { maxShareDurationDays: policy.maxShareDurationDays, latest: new Date(latest).toISOString() },
        });
      }
    }
    return new Date(at).toISOString();
  }
  if (policy.defaultShareDurationDays === undefined) return undefined;
  return new Date(now.getTime() + policy.defaultShareDurationDays * DAY_MS).toISOString();
}

/** Some accounts already hold a live or pending share of the image (none named when not known). */
function conflictError(imageId: string, accounts: AccountId[]): GovernorError {
  const whom = accounts.length > 0 ? accounts.join(', ') : 'some of these accounts';
  return new GovernorError('ShareAlreadyExists', `Image ${imageId} is already shared, or a share is pending, with ${whom}`, {
    details: { accounts },
  });
}

const sameAccounts = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

const clampLimit = (limit: number): number => Math.max(PAGE_SIZE.min, Math.min(PAGE_SIZE.max, Math.floor(limit) || PAGE_SIZE.min));

// ---------------------------------------------------------------------------------------------

export function createGovernor(input: GovernorDeps): Governor {
  const deps: DomainDeps = resolveDeps(input);
  const { store, images, clock, policy } = deps;
  const now = (): Date => clock.now();

  /** Every use case leaves through here: store outcomes become the one error taxonomy. */
  const boundary = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof StoreError) {
        if (e.kind === 'ConditionFailed') throw new GovernorError('ConcurrentModification', undefined, { cause: e });
        const mapped = storeFailure(e);
        if (mapped !== e) throw mapped;
        deps.logger.error({ msg: 'unexpected store outcome', kind: e.kind, error: e.message });
        throw new GovernorError('Internal', undefined, { cause: e });
      }
      throw e;
    }
  };

  const getRequestOrThrow = async (requestId: string): Promise<ShareRequest> => {
    const request = typeof requestId === 'string' && requestId.length > 0 ? await store.getRequest(requestId) : null;
    if (!request) throw new GovernorError('RequestNotFound', `No share request ${requestId}`);
    return request;
  };

  const liveOrPendingShares = async (regionId: string, imageId: string): Promise<Share[]> =>
    (await store.listShares(regionId, imageId)).filter((s) => !isTerminal(s.state));

  // ---- share -------------------------------------------------------------------------------

  function validateShareInput(body: ShareInput): void {
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
      else if (at <= now().getTime()) errors.add('/expiresAt', 'must be in the future');
    }
    errors.throwIfAny();
  }

  async function requestShare(ctx: Ctx, body: ShareInput, opts: { requestKey?: string } = {}): Promise<ShareOutcome> {
    // Everything a client can get wrong is checked before the first write.
    validateShareInput(body);
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
    const shareExpiresAt = resolveExpiry(policy, now(), body.expiresAt);

    const requestId = opts.requestKey !== undefined ? requestIdFor(opts.requestKey) : `sr-${deps.newId()}`;
    if (opts.requestKey !== undefined) {
      const earlier = await store.getRequest(requestId);
      if (earlier) return resumeRequest(ctx, earlier, body);
    }

    const admit = async (): Promise<void> => {
      const ecsImage = checkEcsImage(policy, imageId, regionId, await images.getImage(regionId, imageId));
      const record = await store.getImage(regionId, imageId);
      if (record && record.lifecycle !== 'active') {
        throw new GovernorError('ImageDeletionPending', `Image ${imageId} is ${record.lifecycle} and accepts no new shares`);
      }
      const taken = await blockingShares(ctx, regionId, imageId, accountIds);
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
      if (concurrent) return resumeRequest(ctx, concurrent, body);
      throw e;
    }

    const approval = needsApproval(policy, accountIds);
    const at = now();
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
        if (winner) return resumeRequest(ctx, winner, body);
      }
      throw e;
    }

    const created = await createShareRows(ctx, request, accountIds, { resuming: false, concurrent: opts.requestKey !== undefined });
    await audit(deps, ctx, created.map((s) => shareEvent(s, { action: 'share.requested', after: s.state, reason: body.reason, ticket: body.ticket })));
    if (approval) return { outcome: 'pending', request };

    await audit(deps, ctx, created.map((s) => shareEvent(s, { action: 'share.approved', after: 'approved', detail: APPROVAL_NOT_REQUIRED })));
    await applyShares(deps, ctx, created);
    return appliedOutcome(requestId);
  }

  /** Accounts of the ask that already hold a live or pending share of the image (stale pending rows settled first). */
  async function blockingShares(ctx: Ctx, regionId: string, imageId: string, accountIds: readonly AccountId[]): Promise<AccountId[]> {
    const wanted = new Set(accountIds);
    const rows = (await liveOrPendingShares(regionId, imageId)).filter((s) => wanted.has(s.accountId));
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
    ctx: Ctx,
    request: ShareRequest,
    accountIds: readonly AccountId[],
    opts: { resuming: boolean; concurrent: boolean },
  ): Promise<Share[]> {
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
            updatedAt: now().toISOString(),
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
        await replayFailure(latest);
      } finally {
        await closeWrittenRows(ctx, written, false);
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
      await closeWrittenRows(ctx, written, latest?.status !== 'failed');
    }
    throw conflictError(request.imageId, conflicts.sort());
  }

  /**
   * Closes rows this call wrote for a request that another call has closed meanwhile. (Should that
   * call have closed one of them first with `holdsQuota` false here, the counter over-counts by one
   * until the reconciler's recount; it never under-counts.)
   */
  async function closeWrittenRows(ctx: Ctx, rows: readonly Share[], holdsQuota: boolean): Promise<void> {
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
  async function resumeRequest(ctx: Ctx, request: ShareRequest, body: ShareInput): Promise<ShareOutcome> {
    if (request.regionId !== body.regionId || request.imageId !== body.imageId || !sameAccounts(request.accountIds, body.accountIds)) {
      throw new GovernorError('IdempotencyKeyReused', 'This Idempotency-Key was used for another share request');
    }
    if (request.status === 'pending_approval' || request.status === 'approved') {
      const rows = await sharesOfRequest(deps, request);
      const missing = request.accountIds.filter((id) => !rows.some((s) => s.accountId === id));
      // Quota for every account was reserved before the request row was written.
      if (missing.length > 0) await createShareRows(ctx, request, missing, { resuming: true, concurrent: true });
    }
    if (request.status === 'pending_approval') return { outcome: 'pending', request: (await store.getRequest(request.requestId)) ?? request };
    if (request.status === 'approved') {
      await resumeApprovedRequest(deps, ctx, request, { event: 'complete_approval' });
      return appliedOutcome(request.requestId);
    }
    if (request.status === 'failed') await replayFailure(request);
    if (request.status === 'applied' || request.status === 'partially_applied') return appliedOutcome(request.requestId);
    return { outcome: 'pending', request };
  }

  /** A retried request that failed for good answers with the error it failed with. */
  async function replayFailure(request: ShareRequest): Promise<void> {
    const rows = await sharesOfRequest(deps, request);
    const code = rows.map((s) => s.lastError).find((c): c is ErrorCode => c !== undefined && c in ERROR_CATALOG);
    if (code === undefined || ERROR_CATALOG[code].status >= 500) return;
    throw new GovernorError(code, `Share request ${request.requestId} failed: ${ERROR_CATALOG[code].title}`, {
      details: { shareRequestId: request.requestId, failedAccounts: rows.filter((s) => s.state === 'failed').map((s) => s.accountId) },
    });
  }

  async function appliedOutcome(requestId: string): Promise<ShareOutcome> {
    const request = await getRequestOrThrow(requestId);
    return { outcome: 'applied', request, shares: await sharesOfRequest(deps, request) };
  }

  // ---- approve / reject ----------------------------------------------------------------------

  /** Loads a request an approver may decide on: separation of duties, still pending, not past its TTL. */
  async function decidable(ctx: Ctx, requestId: string): Promise<ShareRequest> {
    const request = await getRequestOrThrow(requestId);
    if (request.requester === ctx.principal.id) {
      throw new GovernorError('SelfApprovalForbidden', 'The requester of a share request cannot decide on it');
    }
    if (request.status === 'pending_approval' && Date.parse(request.pendingUntil) <= now().getTime()) {
      await expireRequest(deps, ctx, request);
      throw new GovernorError('RequestNotPending', `Share request ${requestId} expired at ${request.pendingUntil}`, {
        details: { requestStatus: 'expired' },
      });
    }
    return request;
  }

  const notPending = (request: ShareRequest): GovernorError =>
    new GovernorError('RequestNotPending', `Share request ${request.requestId} is ${request.status}`, { details: { requestStatus: request.status } });

  async function approve(ctx: Ctx, requestId: string, body: { comment?: string }): Promise<{ request: ShareRequest; shares: Share[] }> {
    const errors = new FieldErrors();
    checkText(errors, 'comment', body.comment, { required: false });
    errors.throwIfAny();
    const request = await decidable(ctx, requestId);

    // A retried approval of a request whose apply was interrupted finishes the apply.
    if (request.status === 'approved') {
      await resumeApprovedRequest(deps, ctx, request, { event: 'approve' });
      return decidedOutcome(requestId);
    }
    if (request.status !== 'pending_approval') throw notPending(request);

    const image = await store.getImage(request.regionId, request.imageId);
    if (!image || image.lifecycle !== 'active') {
      await cancelRequest(deps, ctx, request, 'image is being deleted');
      throw new GovernorError('ImageDeletionPending', `Image ${request.imageId} is being deleted; the request was cancelled`);
    }
    await recheckBeforeApproval(request);

    const decidedAt = now().toISOString();
    const approved = await updateRequestRecord(deps, request, (fresh) =>
      fresh.status !== 'pending_approval'
        ? null
        : compact({ ...fresh, status: 'approved' as const, decidedBy: ctx.principal.id, decidedAt, comment: body.comment }),
    );
    if (!approved) throw notPending((await store.getRequest(requestId)) ?? request);

    await resumeApprovedRequest(deps, ctx, approved, compact({ event: 'approve' as const, comment: body.comment }));
    return decidedOutcome(requestId);
  }

  /**
   * Policy and the image may have changed while the request waited. Refuse the approval (the request
   * stays pending for a reject or its expiry) rather than apply what would be refused today.
   */
  async function recheckBeforeApproval(request: ShareRequest): Promise<void> {
    checkManagedRegion(policy, request.regionId);
    const refused = disallowedAccounts(policy, request.accountIds);
    if (refused.length > 0) {
      throw new GovernorError('AccountNotAllowed', `Policy no longer allows sharing with ${refused.join(', ')}; reject the request`, {
        details: { accounts: refused },
      });
    }
    checkEcsImage(policy, request.imageId, request.regionId, await images.getImage(request.regionId, request.imageId));
  }

  async function decidedOutcome(requestId: string): Promise<{ request: ShareRequest; shares: Share[] }> {
    const request = await getRequestOrThrow(requestId);
    return { request, shares: await sharesOfRequest(deps, request) };
  }

  async function reject(ctx: Ctx, requestId: string, body: { comment: string }): Promise<{ request: ShareRequest }> {
    const errors = new FieldErrors();
    checkText(errors, 'comment', body.comment, { required: true });
    errors.throwIfAny();
    const request = await decidable(ctx, requestId);
    if (request.status !== 'pending_approval') throw notPending(request);
    const rejected = await rejectRequest(deps, ctx, request, body.comment);
    if (!rejected) throw notPending((await store.getRequest(requestId)) ?? request);
    return { request: rejected };
  }

  // ---- unshare -------------------------------------------------------------------------------

  async function unshare(ctx: Ctx, body: UnshareInput): Promise<UnshareOutcome> {
    const errors = new FieldErrors();
    checkImageRef(errors, body.regionId, body.imageId);
    checkAccountIds(errors, body.accountIds);
    checkText(errors, 'reason', body.reason, { required: true });
    errors.throwIfAny();
    const { regionId, imageId, reason } = body;
    checkManagedRegion(policy, regionId);

    const wanted = new Set(body.accountIds);
    const rows = (await liveOrPendingShares(regionId, imageId)).filter((s) => wanted.has(s.accountId));
    const inFlight = rows.filter((s) => s.state === 'applying').map((s) => s.accountId);
    if (inFlight.length > 0) {
      // Removing while the add may still land could leave a share ECS keeps: let the apply finish first.
      throw new GovernorError('ConcurrentModification', `Shares with ${inFlight.join(', ')} are being applied; retry shortly`, {
        details: { accounts: inFlight },
      });
    }
    let perms: EcsSharePermissions;
    try {
      perms = await images.getSharePermissions(regionId, imageId);
    } catch (e) {
      if (!isGovernorError(e, 'ImageNotFound')) throw e;
      if (rows.length === 0 && !(await store.getImage(regionId, imageId))) throw e;
      perms = { accounts: [], isPublic: false };
    }
    // ECS shares of named accounts that no live row will remove: made outside the service, or
    // shared outside while the service only holds a pending ask for the account.
    const revocable = rows.filter((s) => REVOCABLE_STATES.includes(s.state));
    const strays = perms.accounts.map((a) => a.accountId).filter((id) => wanted.has(id) && !revocable.some((s) => s.accountId === id));

    // Pending asks for these accounts are withdrawn; a request left without pending shares is cancelled.
    const pending = rows.filter((s) => PENDING_STATES.includes(s.state));
    const closed = await closePendingShares(deps, ctx, pending, 'withdraw', { action: 'request.cancelled', reason });
    for (const id of new Set(closed.map((s) => s.requestId).filter((x): x is string => x !== undefined))) {
      const request = await store.getRequest(id);
      if (request && request.status === 'pending_approval') {
        const left = (await sharesOfRequest(deps, request)).filter((s) => PENDING_STATES.includes(s.state));
        if (left.length === 0) await cancelRequest(deps, ctx, request, reason);
      }
    }

    const revoked = await revokeShares(deps, ctx, revocable, { reason });
    if (strays.length > 0) {
      await images.removeShares(regionId, imageId, strays);
      await audit(
        deps,
        ctx,
        strays.map((accountId) => ({ regionId, imageId, action: 'share.revoked', accountId, reason, detail: 'share not managed by the service' })),
      );
    }
    // A row another writer moved between our read and our write (an approval applying a pending ask,
    // the reconciler re-applying a share ECS lost) was neither withdrawn nor revoked here. If it is
    // still live, say so instead of reporting success: a retry revokes it.
    const handled = new Set([...closed, ...revoked].map((s) => s.accountId));
    const lost: AccountId[] = [];
    for (const row of [...pending, ...revocable]) {
      if (handled.has(row.accountId)) continue;
      const fresh = await store.getShare(regionId, imageId, row.accountId);
      if (fresh && !isTerminal(fresh.state)) lost.push(row.accountId);
    }
    if (lost.length > 0) {
      throw new GovernorError('ConcurrentModification', `Shares with ${lost.sort().join(', ')} were being applied meanwhile; retry`, {
        details: { accounts: lost },
      });
    }
    const done = new Set([...closed, ...revoked].map((s) => s.accountId).concat(strays));
    const notShared = body.accountIds.filter((id) => !done.has(id));
    const shares = [...closed, ...revoked].sort((a, b) => a.accountId.localeCompare(b.accountId));
    return { shares, notShared, revokedOutsideService: [...strays].sort(), warning: UNSHARE_WARNING };
  }

  // ---- describe ------------------------------------------------------------------------------

  async function describeImage(ctx: Ctx, regionId: string, imageId: string, opts: { live: boolean }): Promise<ImageDescription> {
    void ctx;
    checkImagePath(policy, regionId, imageId);

    const [record, rows, pendingRequests] = await Promise.all([
      store.getImage(regionId, imageId),
      store.listShares(regionId, imageId),
      pendingRequestsOf(deps, regionId, imageId),
    ]);
    let ecsImage: EcsImage | null = null;
    let perms: EcsSharePermissions | null = null;
    if (opts.live) {
      ecsImage = await images.getImage(regionId, imageId);
      if (ecsImage) {
        try {
          perms = await images.getSharePermissions(regionId, imageId);
        } catch (e) {
          if (!isGovernorError(e, 'ImageNotFound')) throw e;
          ecsImage = null;
        }
      }
    }
    if (!record && !ecsImage) throw new GovernorError('ImageNotFound', `Image ${imageId} is not known in ${regionId}`);

    const shares = rows.filter((s) => !isTerminal(s.state));
    const drift = perms ? driftEntries(driftOf(rows, perms, policy, ecsImage?.isPublic)) : [];
    const image: ImageView = compact({
      regionId,
      imageId,
      imageName: ecsImage?.imageName ?? record?.imageName,
      managed: record !== null,
      lifecycle: record?.lifecycle ?? 'active',
      deletion: record?.deletion ?? { status: 'none' },
      ecs: ecsImage ? { status: ecsImage.status, kind: ecsImage.kind, isPublic: perms?.isPublic ?? ecsImage.isPublic, tags: ecsImage.tags } : null,
      createdAt: record?.createdAt,
      updatedAt: record?.updatedAt,
    });
    return {
      image,
      quota: { limit: shareLimit(policy), used: record?.quotaUsed ?? 0 },
      shares,
      drift,
      public: perms ? perms.isPublic : opts.live && ecsImage ? ecsImage.isPublic : null,
      pendingRequests,
    };
  }

  // ---- deletion ------------------------------------------------------------------------------

  async function requestDeletion(
    ctx: Ctx,
    regionId: string,
    imageId: string,
    body: { mode: 'guard' | 'drain'; reason: string; force?: boolean },
  ): Promise<DeletionOutcome> {
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
    const requestedAt = now().toISOString();
    const deletion = (mode: 'guard' | 'drain', status: DeletionStatus): Deletion =>
      compact({ status, mode, reason: body.reason, requestedBy: ctx.principal.id, requestedAt, force });

    if (body.mode === 'guard') {
      let perms: EcsSharePermissions;
      try {
        perms = await images.getSharePermissions(regionId, imageId);
      } catch (e) {
        if (!isGovernorError(e, 'ImageNotFound') || !record) throw e;
        await markDeleted(deps, ctx, record, 'image no longer exists in ECS');
        return { status: 'deleted' };
      }
      const stored = record ? await liveOrPendingShares(regionId, imageId) : [];
      const shared = [...new Set([...perms.accounts.map((a) => a.accountId), ...stored.map((s) => s.accountId)])].sort();
      if (shared.length > 0 || perms.isPublic) {
        throw new GovernorError('ImageStillShared', `Image ${imageId} is still shared; unshare it or use mode drain`, {
          details: { shares: shared, ...(perms.isPublic ? { public: true } : {}) },
        });
      }
      await images.deleteImage(regionId, imageId, { force });
      record = await ensureImageRecord(deps, regionId, imageId);
      let before: string | undefined;
      const moved = await updateImageRecord(deps, record, (f) => {
        if (f.lifecycle === 'deleted') return null;
        before = f.lifecycle;
        return { ...f, lifecycle: 'deleted', deletion: { ...deletion('guard', 'deleted'), remaining: 0, completedAt: now().toISOString() } };
      });
      if (moved) await audit(deps, ctx, [{ regionId, imageId, action: 'image.deleted', before, after: 'deleted', reason: body.reason, detail: 'guard' }]);
      return { status: 'deleted' };
    }

    record = record ?? (await ensureImageRecord(deps, regionId, imageId));
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

  async function liveCount(regionId: string, imageId: string): Promise<number> {
    return (await store.listShares(regionId, imageId)).filter((s) => LIVE_STATES.includes(s.state)).length;
  }

  async function deletionStatus(ctx: Ctx, regionId: string, imageId: string): Promise<{ status: DeletionStatus; remaining: number; lastError?: string }> {
    void ctx;
    checkImagePath(policy, regionId, imageId);
    const record = await store.getImage(regionId, imageId);
    if (!record) return { status: 'none', remaining: 0 };
    const { status, lastError } = record.deletion;
    const remaining =
      status === 'deleted' ? 0 : status === 'draining' && record.deletion.remaining !== undefined ? record.deletion.remaining : await liveCount(regionId, imageId);
    return compact({ status, remaining, lastError });
  }

  async function cancelDeletion(ctx: Ctx, regionId: string, imageId: string): Promise<{ status: 'cancelled'; remaining: number }> {
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
        : { ...f, lifecycle: 'active', deletion: compact({ ...f.deletion, status: 'cancelled', lastError: undefined, completedAt: now().toISOString() }) },
    );
    if (!cancelled) throw new GovernorError('DeletionNotInProgress', `No drain is in progress for image ${imageId}`);
    await audit(deps, ctx, [{ regionId, imageId, action: 'image.drain_cancelled', before: 'draining', after: 'active' }]);
    return { status: 'cancelled', remaining: await liveCount(regionId, imageId) };
  }

  // ---- listings ------------------------------------------------------------------------------

  return {
    requestShare: (ctx, body, opts) => boundary(() => requestShare(ctx, body, opts)),
    approve: (ctx, requestId, body) => boundary(() => approve(ctx, requestId, body)),
    reject: (ctx, requestId, body) => boundary(() => reject(ctx, requestId, body)),
    unshare: (ctx, body) => boundary(() => unshare(ctx, body)),
    describeImage: (ctx, regionId, imageId, opts) => boundary(() => describeImage(ctx, regionId, imageId, opts)),
    listImages: (_ctx, q) =>
      boundary(async () => {
        if (q.regionId !== undefined) checkManagedRegion(policy, q.regionId);
        return store.listImages(compact({ regionId: q.regionId }), clampLimit(q.limit), q.cursor);
      }),
    listRequests: (_ctx, q) => boundary(() => store.listRequests(compact({ status: q.status }), clampLimit(q.limit), q.cursor)),
    getRequest: (_ctx, requestId) => boundary(() => getRequestOrThrow(requestId)),
    listEvents: (_ctx, regionId, imageId, q) =>
      boundary(async () => {
        checkImagePath(policy, regionId, imageId);
        return store.listAudit(regionId, imageId, clampLimit(q.limit), q.cursor);
      }),
    requestDeletion: (ctx, regionId, imageId, body) => boundary(() => requestDeletion(ctx, regionId, imageId, body)),
    deletionStatus: (ctx, regionId, imageId) => boundary(() => deletionStatus(ctx, regionId, imageId)),
    cancelDeletion: (ctx, regionId, imageId) => boundary(() => cancelDeletion(ctx, regionId, imageId)),
    listRuns: (_ctx, q) => boundary(() => store.listRuns(clampLimit(q.limit), q.cursor)),
    getRun: (_ctx, runId) =>
      boundary(async () => {
        const run = typeof runId === 'string' && runId.length > 0 ? await store.getRun(runId) : null;
        if (!run) throw new GovernorError('RunNotFound', `No reconcile run ${runId}`);
        return run;
      }),
  };
}
