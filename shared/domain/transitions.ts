// State transitions shared by the use cases (governor.ts) and the reconciler (reconcile/).
// Every transition is a conditional write on the row's version; ECS calls are always bracketed by a
// write-ahead intent (applying / revoking) stored before the call. See README.md in this folder.
import { GovernorError, StoreError, errorCode, isConditionFailed, isGovernorError } from './errors.js';
import type { AccountId, AuditEvent, ImageRecord, Share, ShareRequest, ShareState } from './model.js';
import { isTerminal } from './model.js';
import type { Ctx, DomainDeps } from './context.js';
import { shareLimit } from './context.js';
import { MAX_WRITE_ATTEMPTS, compact, mapLimit, updateImageRecord, updateRequestRecord } from './util.js';

/** An audit event before the helper stamps id, time, principal and request id from the context. */
export type AuditEntry = Omit<AuditEvent, 'eventId' | 'at' | 'principal' | 'requestId'>;

export interface ApplyResult {
  /** Shares ECS now lists (state active). */
  readonly active: Share[];
  /** Shares ECS definitively refused (state failed, quota released). */
  readonly failed: Share[];
}

export interface DrainProgress {
  readonly image: ImageRecord;
  readonly status: 'deleted' | 'draining';
  /** Accounts ECS still lists, plus one while the image is public (0 once deleted). */
  readonly remaining: number;
  /** The ECS error that stopped this pass, if any (also stored in image.deletion.lastError). */
  readonly lastError?: string;
}

/** Store writes per share run with this much concurrency (keeps Tablestore latency off the critical path). */
export const WRITE_CONCURRENCY = 10;

/** States a revoke starts from (ECS lists the account, or is being asked to stop listing it). */
export const REVOCABLE_STATES: readonly ShareState[] = ['active', 'revoking'];
/** States in which ECS may list the account (or is about to). */
export const LIVE_STATES: readonly ShareState[] = ['applying', 'active', 'revoking'];
/** States that never reached ECS. */
export const PENDING_STATES: readonly ShareState[] = ['pending_approval', 'approved'];

const nowIso = (deps: DomainDeps): string => deps.clock.now().toISOString();
const imageKey = (s: { regionId: string; imageId: string }): string => `${s.regionId}/${s.imageId}`;
const shareKey = (s: Share): string => `${imageKey(s)}/${s.accountId}`;

function groupByImage(shares: readonly Share[]): Share[][] {
  const groups = new Map<string, Share[]>();
  for (const s of shares) {
    const key = imageKey(s);
    const list = groups.get(key);
    if (list) list.push(s);
    else groups.set(key, [s]);
  }
  return [...groups.values()];
}

/** Upstream (retryable) failures leave intents in place; anything else from ECS is a definitive answer. */
export const isUpstreamFailure = (e: unknown): boolean =>
  !isGovernorError(e) || e.code === 'UpstreamThrottled' || e.code === 'UpstreamUnavailable' || e.code === 'Internal';

// ---------------------------------------------------------------------------------------------
// audit and quota

/** Waits before the 2nd and 3rd append attempts: short, because the caller's response waits too. */
export const AUDIT_RETRY_DELAYS_MS: readonly number[] = [20, 100];

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Appends audit events stamped with ctx (principal, requestId) and the clock. Never throws: the state
 * change has already happened, and failing the caller now would invite a retry of a done action.
 * The append is retried with a short capped backoff; events it still cannot write are held in the
 * store (pending audit, moved into the trail by the reconciler). Logs carry ids and counts only —
 * never an event's text (reason, ticket), which may hold what a client wrote.
 */
export async function audit(deps: DomainDeps, ctx: Ctx, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const at = nowIso(deps);
  const events: AuditEvent[] = entries.map((e) =>
    compact({ ...e, eventId: deps.newId(), at, principal: ctx.principal.id, requestId: ctx.requestId }),
  );
  let error: unknown;
  for (let attempt = 0; attempt <= AUDIT_RETRY_DELAYS_MS.length; attempt++) {
    if (attempt > 0) await pause(AUDIT_RETRY_DELAYS_MS[attempt - 1] as number);
    try {
      await deps.store.appendAudit(events);
      return;
    } catch (e) {
      error = e;
    }
  }
  const what = { count: events.length, eventIds: events.map((e) => e.eventId), error: errorCode(error) };
  try {
    await deps.store.holdPendingAudit(events);
    deps.logger.warn({ msg: 'audit append failed; events held for the reconciler', ...what });
  } catch (e) {
    deps.logger.error({ msg: 'audit append failed and the events could not be held', ...what, holdError: errorCode(e) });
  }
}

/**
 * Reconciler: moves audit events that appends could not write into the trail, a bounded number per
 * run (the rest wait for the next). Returns how many moved.
 */
export async function recoverPendingAudit(deps: DomainDeps, opts: { pageSize: number; maxPages: number }): Promise<number> {
  let moved = 0;
  for (let page = 0; page < opts.maxPages; page++) {
    const n = await deps.store.flushPendingAudit(opts.pageSize);
    moved += n;
    if (n < opts.pageSize) break;
  }
  return moved;
}

/** Gives back `count` quota units of an image (one per share leaving QUOTA_STATES). */
export async function releaseQuota(deps: DomainDeps, regionId: string, imageId: string, count: number): Promise<void> {
  if (count <= 0) return;
  const limit = shareLimit(deps.policy);
  try {
    await deps.store.adjustQuota(regionId, imageId, -count, limit, deps.clock.now());
  } catch (e) {
    if (!isConditionFailed(e)) throw e;
    // The counter is lower than the shares we hold: it drifted. Release what is there; the
    // reconciler's recount (quota_mismatch) restores the exact value.
    const image = await deps.store.getImage(regionId, imageId);
    deps.logger.warn({ msg: 'quota release below zero', regionId, imageId, count, used: image?.quotaUsed });
    if (image && image.quotaUsed > 0) {
      await deps.store.adjustQuota(regionId, imageId, -Math.min(count, image.quotaUsed), limit, deps.clock.now()).catch(() => undefined);
    }
  }
}

/**
 * Reserves `count` quota units atomically (the store's conditional increment, which also requires
 * lifecycle active). Throws ImageDeletionPending or ShareQuotaExceeded {limit, used, requested}.
 */
export async function reserveQuota(deps: DomainDeps, regionId: string, imageId: string, count: number): Promise<number> {
  const limit = shareLimit(deps.policy);
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    try {
      return await deps.store.adjustQuota(regionId, imageId, count, limit, deps.clock.now());
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
    const image = await deps.store.getImage(regionId, imageId);
    if (!image) throw new GovernorError('ImageNotFound', `Image ${imageId} has no record`);
    if (image.lifecycle !== 'active') {
      throw new GovernorError('ImageDeletionPending', `Image ${imageId} is ${image.lifecycle} and accepts no new shares`);
    }
    if (image.quotaUsed + count > limit) {
      throw new GovernorError('ShareQuotaExceeded', `Image ${imageId} can be shared with at most ${limit} accounts`, {
        details: { limit, used: image.quotaUsed, requested: count },
      });
    }
    // Quota was freed between the failed write and the read: try again.
  }
  throw new GovernorError('ConcurrentModification', 'The image quota kept changing; retry');
}

/** Creates the image record (lifecycle active, no quota used) unless it exists; returns the stored record. */
export async function ensureImageRecord(deps: DomainDeps, regionId: string, imageId: string, imageName?: string): Promise<ImageRecord> {
  const existing = await deps.store.getImage(regionId, imageId);
  if (existing) return existing;
  const now = nowIso(deps);
  const record: ImageRecord = compact({
    regionId,
    imageId,
    imageName,
    lifecycle: 'active',
    quotaUsed: 0,
    deletion: { status: 'none' },
    createdAt: now,
    updatedAt: now,
    version: 1,
  });
  try {
    await deps.store.createImage(record);
  } catch (e) {
    if (!(e instanceof StoreError && e.kind === 'AlreadyExists')) throw e;
  }
  const stored = await deps.store.getImage(regionId, imageId);
  if (!stored) throw new GovernorError('ConcurrentModification', `Image ${imageId} record vanished; retry`);
  return stored;
}

// ---------------------------------------------------------------------------------------------
// share rows

const sameIncarnation = (a: Share, b: Share): boolean => a.createdAt === b.createdAt && a.requestId === b.requestId;

/**
 * One conditional share write: moves `share` to `patch.state` if the stored row is still in one of
 * `from` (and is still the same share, not a newer one for the same account). On a lost race it
 * re-reads; returns the stored share, or null when the row has left `from`.
 */
export async function transitionShare(
  deps: DomainDeps,
  share: Share,
  from: readonly ShareState[],
  patch: Partial<Pick<Share, 'state' | 'lastError' | 'expiresAt'>> & { state: ShareState },
): Promise<Share | null> {
  return (await moveShare(deps, share, from, patch))?.stored ?? null;
}

/** transitionShare, also telling which state the row actually left (it may differ after a re-read). */
async function moveShare(
  deps: DomainDeps,
  share: Share,
  from: readonly ShareState[],
  patch: Partial<Pick<Share, 'state' | 'lastError' | 'expiresAt'>> & { state: ShareState },
): Promise<{ stored: Share; left: ShareState } | null> {
  let current = share;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    if (!from.includes(current.state)) return null;
    const next: Share = compact({ ...current, ...patch, updatedAt: nowIso(deps) });
    try {
      return { stored: await deps.store.updateShare(next, current.version), left: current.state };
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
    const fresh = await deps.store.getShare(share.regionId, share.imageId, share.accountId);
    if (!fresh || !sameIncarnation(fresh, share)) return null;
    current = fresh;
  }
  throw new GovernorError('ConcurrentModification', `Share of ${share.imageId} with ${share.accountId} kept changing; retry`);
}

/** transitionShare over many rows; `before` tells the state each moved row left. */
async function transitionAll(
  deps: DomainDeps,
  shares: readonly Share[],
  from: readonly ShareState[],
  patch: Partial<Pick<Share, 'state' | 'lastError' | 'expiresAt'>> & { state: ShareState },
): Promise<{ moved: Share[]; before: (s: Share) => ShareState | undefined }> {
  const left = new Map<string, ShareState>();
  const results = await mapLimit(shares, WRITE_CONCURRENCY, async (s) => {
    const result = await moveShare(deps, s, from, patch);
    if (result) left.set(shareKey(s), result.left);
    return result?.stored ?? null;
  });
  return { moved: results.filter((s): s is Share => s !== null), before: (s) => left.get(shareKey(s)) };
}

/** The audit entry of one share's transition: the share names the image, account and request. */
export const shareEvent = (s: Share, fields: Omit<AuditEntry, 'regionId' | 'imageId' | 'accountId' | 'shareRequestId'>): AuditEntry => ({
  regionId: s.regionId,
  imageId: s.imageId,
  accountId: s.accountId,
  shareRequestId: s.requestId,
  ...fields,
});

/**
 * Moves quota-holding rows out of `from` into a terminal state, gives back one quota unit per row
 * moved (unless the rows hold none) and audits each. Only the caller whose write moved a row releases
 * its unit, so concurrent closers release it once.
 */
async function closeShares(
  deps: DomainDeps,
  ctx: Ctx,
  shares: readonly Share[],
  from: readonly ShareState[],
  close: { to: ShareState; action: string; reason?: string; detail?: string; lastError?: string; holdsQuota?: boolean },
): Promise<Share[]> {
  const { moved, before } = await transitionAll(deps, shares, from, { state: close.to, lastError: close.lastError });
  if (close.holdsQuota !== false) {
    for (const group of groupByImage(moved)) {
      const g = group[0] as Share;
      await releaseQuota(deps, g.regionId, g.imageId, group.length);
    }
  }
  await audit(
    deps,
    ctx,
    moved.map((s) => shareEvent(s, { action: close.action, before: before(s), after: close.to, reason: close.reason, detail: close.detail })),
  );
  // A closed pending or in-flight row may have been its approved request's last unsettled one.
  await refreshRequests(deps, shares);
  return moved;
}

/** Records on intents that stay in place why their ECS call failed. Best effort: the intent is what matters. */
async function noteIntentError(deps: DomainDeps, intents: readonly Share[], state: 'applying' | 'revoking', error: unknown): Promise<void> {
  await mapLimit(intents, WRITE_CONCURRENCY, (s) => transitionShare(deps, s, [state], { state, lastError: errorCode(error) }).catch(() => null));
}

const requestIdsOf = (shares: readonly Share[]): string[] =>
  [...new Set(shares.map((s) => s.requestId).filter((id): id is string => id !== undefined))];

// ---------------------------------------------------------------------------------------------
// apply (approved → applying → active)

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
  const { moved } = await transitionAll(deps, group.filter((s) => s.state === 'approved'), ['approved'], { state: 'applying' });
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
    await deps.images.addShares(regionId, imageId, intents.map((s) => s.accountId));
  } catch (e) {
    if (isUpstreamFailure(e)) {
      // Intents stay `applying`: ECS may or may not have applied them; the next attempt or the
      // reconciler settles them from ECS truth. Record why, best effort.
      await noteIntentError(deps, intents, 'applying', e);
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
  if (applied.length < intents.length) await withdrawOrphans(deps, intents.filter((s) => !applied.some((a) => a.accountId === s.accountId)));
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
  await deps.images.removeShares(first.regionId, first.imageId, orphans).catch((e: unknown) =>
    deps.logger.error({ msg: 'could not withdraw orphan shares; the reconciler reports them as unmanaged', imageId: first.imageId, error: errorCode(e) }),
  );
}

/**
 * After a definitive ECS refusal: accounts ECS lists become active, the others failed (quota
 * released). If ECS cannot be read the intents stay `applying` for the reconciler.
 */
async function resolveApplyingFromEcs(deps: DomainDeps, ctx: Ctx, intents: readonly Share[], error: string): Promise<ApplyResult> {
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
  const active = await markApplied(deps, ctx, intents.filter((s) => listed.has(s.accountId)));
  const failed = await markApplyFailed(deps, ctx, intents.filter((s) => !listed.has(s.accountId)), error);
  return { active, failed };
}

/**
 * Reconciler/apply: ECS lists these `applying` shares → active. Their requests are refreshed even
 * when no row moved here: another call may have moved the last one and stopped before its request.
 */
export async function markApplied(deps: DomainDeps, ctx: Ctx, shares: readonly Share[]): Promise<Share[]> {
  const { moved } = await transitionAll(deps, shares, ['applying'], { state: 'active', lastError: undefined });
  await audit(deps, ctx, moved.map((s) => shareEvent(s, { action: 'share.applied', before: 'applying', after: 'active' })));
  await refreshRequests(deps, shares);
  return moved;
}

/** Reconciler/apply: these `applying` (or `approved`) shares are not in ECS and will not be → failed, quota released. */
export async function markApplyFailed(deps: DomainDeps, ctx: Ctx, shares: readonly Share[], error: string): Promise<Share[]> {
  return closeShares(deps, ctx, shares, ['approved', 'applying'], { to: 'failed', action: 'share.failed', detail: error, lastError: error });
}

// ---------------------------------------------------------------------------------------------
// revoke (active → revoking → revoked)

/**
 * active → revoking (intent, quota released) → ECS remove → revoked (or `finalState`, e.g. expired).
 * Accepts shares in `active` or `revoking` (resume). Upstream errors leave them `revoking` and rethrow.
 * Returns the shares in their final state.
 */
export async function revokeShares(
  deps: DomainDeps,
  ctx: Ctx,
  shares: readonly Share[],
  opts: { reason: string; finalState?: 'revoked' | 'expired' },
): Promise<Share[]> {
  const out: Share[] = [];
  for (const group of groupByImage(shares)) out.push(...(await revokeImageShares(deps, ctx, group, opts)));
  return out;
}

async function revokeImageShares(
  deps: DomainDeps,
  ctx: Ctx,
  group: readonly Share[],
  opts: { reason: string; finalState?: 'revoked' | 'expired' },
): Promise<Share[]> {
  const first = group[0];
  if (!first) return [];
  const resumed = group.filter((s) => s.state === 'revoking');
  const { moved } = await transitionAll(deps, group.filter((s) => s.state === 'active'), ['active'], { state: 'revoking' });
  // `revoking` is outside QUOTA_STATES: the unit is released with the intent (revoking only moves forward).
  await releaseQuota(deps, first.regionId, first.imageId, moved.length);
  const intents = [...resumed, ...moved];
  if (intents.length === 0) return [];
  const before = new Map<string, ShareState>(intents.map((s) => [shareKey(s), moved.includes(s) ? 'active' : 'revoking']));

  try {
    await deps.images.removeShares(first.regionId, first.imageId, intents.map((s) => s.accountId));
  } catch (e) {
    // An image ECS no longer has is shared with nobody: the removal is complete.
    if (!isGovernorError(e, 'ImageNotFound')) {
      await noteIntentError(deps, intents, 'revoking', e);
      throw e;
    }
  }
  return finishRevoke(deps, ctx, intents, before, opts);
}

async function finishRevoke(
  deps: DomainDeps,
  ctx: Ctx,
  intents: readonly Share[],
  before: ReadonlyMap<string, ShareState>,
  opts: { reason: string; finalState?: 'revoked' | 'expired' },
): Promise<Share[]> {
  const finalState = opts.finalState ?? 'revoked';
  const { moved } = await transitionAll(deps, intents, ['revoking'], { state: finalState, lastError: undefined });
  const action = finalState === 'expired' ? 'share.expired' : 'share.revoked';
  await audit(deps, ctx, moved.map((s) => shareEvent(s, { action, before: before.get(shareKey(s)) ?? 'revoking', after: finalState, reason: opts.reason })));
  return moved;
}

/** Reconciler: ECS no longer lists these `revoking` shares → revoked (or expired). */
export async function markRevoked(
  deps: DomainDeps,
  ctx: Ctx,
  shares: readonly Share[],
  opts: { reason: string; finalState?: 'revoked' | 'expired' },
): Promise<Share[]> {
  return finishRevoke(deps, ctx, shares, new Map(), opts);
}

/** Active shares past expiresAt → revoked in ECS, final state expired. */
export async function expireShares(deps: DomainDeps, ctx: Ctx, shares: readonly Share[]): Promise<Share[]> {
  return revokeShares(deps, ctx, shares, { reason: 'share expired', finalState: 'expired' });
}

// ---------------------------------------------------------------------------------------------
// pending shares and requests

/**
 * Pending (pending_approval/approved, never sent to ECS) shares → a terminal state, quota released;
 * `holdsQuota: false` for rows written after their request already gave its reservation back.
 */
export async function closePendingShares(
  deps: DomainDeps,
  ctx: Ctx,
  shares: readonly Share[],
  opts: { to: 'revoked' | 'rejected' | 'expired' | 'failed'; action: string; reason?: string; detail?: string; lastError?: string; holdsQuota?: boolean },
): Promise<Share[]> {
  return closeShares(deps, ctx, shares, PENDING_STATES, opts);
}

/** The share rows that belong to one request. */
export async function sharesOfRequest(deps: DomainDeps, request: ShareRequest): Promise<Share[]> {
  const rows = await deps.store.listShares(request.regionId, request.imageId);
  return rows.filter((s) => s.requestId === request.requestId);
}

/**
 * Moves a pending request to a closed status (the request row is the lock: whoever moves it out of
 * pending_approval owns its shares), then closes its pending shares. Null when it was no longer pending.
 */
async function closeRequest(
  deps: DomainDeps,
  ctx: Ctx,
  request: ShareRequest,
  close: { status: 'cancelled' | 'expired' | 'rejected'; shareState: 'revoked' | 'expired' | 'rejected'; action: string; reason?: string; comment?: string },
): Promise<ShareRequest | null> {
  const now = nowIso(deps);
  const updated = await updateRequestRecord(deps, request, (fresh) =>
    fresh.status !== 'pending_approval'
      ? null
      : compact({
          ...fresh,
          status: close.status,
          decidedBy: close.status === 'rejected' ? ctx.principal.id : fresh.decidedBy,
          decidedAt: close.status === 'rejected' ? now : fresh.decidedAt,
          comment: close.comment ?? fresh.comment,
        }),
  );
  if (!updated) return null;
  const shares = await sharesOfRequest(deps, updated);
  await closePendingShares(deps, ctx, shares, { to: close.shareState, action: close.action, reason: close.reason ?? close.comment });
  return updated;
}

/** A pending request → cancelled (drain, unshare of all its accounts); its pending shares closed (revoked). */
export async function cancelRequest(deps: DomainDeps, ctx: Ctx, request: ShareRequest, reason: string): Promise<ShareRequest | null> {
  return closeRequest(deps, ctx, request, { status: 'cancelled', shareState: 'revoked', action: 'request.cancelled', reason });
}

/** A pending request → rejected by an approver; its pending shares rejected, quota released. */
export async function rejectRequest(deps: DomainDeps, ctx: Ctx, request: ShareRequest, comment: string): Promise<ShareRequest | null> {
  return closeRequest(deps, ctx, request, { status: 'rejected', shareState: 'rejected', action: 'share.rejected', comment });
}

/** A pending request past pendingUntil → expired; its pending shares expired, quota released. Null if not due. */
export async function expireRequest(deps: DomainDeps, ctx: Ctx, request: ShareRequest): Promise<ShareRequest | null> {
  if (Date.parse(request.pendingUntil) > deps.clock.now().getTime()) return null;
  return closeRequest(deps, ctx, request, {
    status: 'expired',
    shareState: 'expired',
    action: 'request.expired',
    reason: 'not approved in time',
  });
}

/** Every pending request of one image (all pages). */
export async function pendingRequestsOf(deps: DomainDeps, regionId: string, imageId: string): Promise<ShareRequest[]> {
  const out: ShareRequest[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.listRequests({ status: 'pending_approval', regionId, imageId }, 100, cursor);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/**
 * Settles pending shares whose request is no longer pending (a crash between the request write and
 * the share writes) or has passed pendingUntil; a `pending_approval` row of an approved request
 * becomes `approved` (the reconciler applies it once it is older than the grace period). Returns the
 * shares that remain pending and owned by a live request. The reconciler calls it per image; the
 * share path calls it on blocking rows.
 */
export async function settlePendingShares(deps: DomainDeps, ctx: Ctx, shares: readonly Share[]): Promise<Share[]> {
  const stillPending: Share[] = [];
  const requests = new Map<string, ShareRequest | null>();
  for (const share of shares) {
    if (!PENDING_STATES.includes(share.state)) continue;
    const id = share.requestId;
    if (id === undefined) {
      stillPending.push(share);
      continue;
    }
    if (!requests.has(id)) requests.set(id, await deps.store.getRequest(id));
    let request = requests.get(id) ?? null;
    if (request && request.status === 'pending_approval' && Date.parse(request.pendingUntil) <= deps.clock.now().getTime()) {
      request = (await expireRequest(deps, ctx, request)) ?? (await deps.store.getRequest(id));
      requests.set(id, request);
      const fresh = await deps.store.getShare(share.regionId, share.imageId, share.accountId);
      if (fresh && sameIncarnation(fresh, share) && PENDING_STATES.includes(fresh.state)) stillPending.push(fresh);
      continue;
    }
    const status = request?.status;
    if (request && status === 'approved' && share.state === 'pending_approval') {
      // The approval was recorded, but an interruption kept this row from following it.
      const moved = await transitionShare(deps, share, ['pending_approval'], { state: 'approved' });
      if (moved) {
        await audit(deps, ctx, [
          shareEvent(moved, {
            action: 'share.approved',
            before: 'pending_approval',
            after: 'approved',
            reason: request.reason,
            ticket: request.ticket,
            // The decision is the approver's; this event only records its completion.
            detail: `completing the approval by ${request.decidedBy ?? 'an approver'}`,
          }),
        ]);
      }
      const current = moved ?? (await deps.store.getShare(share.regionId, share.imageId, share.accountId));
      if (current && sameIncarnation(current, share) && PENDING_STATES.includes(current.state)) stillPending.push(current);
    } else if (status === 'pending_approval' || status === 'approved') {
      stillPending.push(share);
    } else if (status === 'rejected') {
      await closePendingShares(deps, ctx, [share], { to: 'rejected', action: 'share.rejected' });
    } else if (status === 'expired') {
      await closePendingShares(deps, ctx, [share], { to: 'expired', action: 'request.expired' });
    } else {
      // cancelled, failed, or the request row is gone: the share can never be applied.
      await closePendingShares(deps, ctx, [share], { to: 'revoked', action: 'request.cancelled', detail: `request ${status ?? 'missing'}` });
    }
  }
  return stillPending;
}

/**
 * Finishes an `approved` request: rows still `pending_approval` (a crash right after the decision)
 * move to `approved`, then every row not yet in ECS is applied. What approve runs after deciding,
 * what a retried approve or share call runs, and what the reconciler can run for such a request.
 */
export async function resumeApprovedRequest(deps: DomainDeps, ctx: Ctx, request: ShareRequest, comment?: string): Promise<ApplyResult> {
  if (request.status !== 'approved') return { active: [], failed: [] };
  const rows = await sharesOfRequest(deps, request);
  const pending = rows.filter((s) => s.state === 'pending_approval');
  const moved = (await mapLimit(pending, WRITE_CONCURRENCY, (s) => transitionShare(deps, s, ['pending_approval'], { state: 'approved' }))).filter(
    (s): s is Share => s !== null,
  );
  await audit(
    deps,
    ctx,
    moved.map((s) =>
      shareEvent(s, { action: 'share.approved', before: 'pending_approval', after: 'approved', reason: request.reason, ticket: request.ticket, detail: comment }),
    ),
  );
  const result = await applyShares(deps, ctx, [...rows.filter((s) => s.state === 'approved' || s.state === 'applying'), ...moved]);
  // Nothing may have been left to apply (a call that stopped after its rows moved): settle the request.
  await refreshRequestStatus(deps, request.requestId);
  return result;
}

/** Row states of an approved request that have not reached their outcome yet. */
const UNSETTLED_STATES: readonly ShareState[] = ['pending_approval', 'approved', 'applying'];

/**
 * The status an approved request ends in, from its rows alone — whoever moved them: null while any
 * row is pending or in flight. A share that reached ECS (active, or revoked or expired since) counts
 * as applied, a failed one as failed. An account with no row yet is unsettled, unless `rowless` is
 * 'failed': the reconciler's verdict once the call that should have written the row is past its grace.
 */
export function settledRequestStatus(
  request: ShareRequest,
  rows: readonly Share[],
  opts: { rowless?: 'unsettled' | 'failed' } = {},
): 'applied' | 'partially_applied' | 'failed' | null {
  const own = new Map(rows.filter((s) => s.requestId === request.requestId).map((s) => [s.accountId, s]));
  let failed = 0;
  for (const accountId of request.accountIds) {
    const row = own.get(accountId);
    if (!row) {
      if (opts.rowless !== 'failed') return null;
      failed += 1;
    } else if (UNSETTLED_STATES.includes(row.state)) {
      return null;
    } else if (row.state === 'failed') {
      failed += 1;
    }
  }
  return failed === 0 ? 'applied' : failed === request.accountIds.length ? 'failed' : 'partially_applied';
}

/** Moves an `approved` request to the status its rows say (settledRequestStatus), if they are all settled. */
export async function refreshRequestStatus(
  deps: DomainDeps,
  requestId: string,
  opts: { rowless?: 'unsettled' | 'failed' } = {},
): Promise<ShareRequest | null> {
  const request = await deps.store.getRequest(requestId);
  if (!request || request.status !== 'approved') return request;
  const status = settledRequestStatus(request, await sharesOfRequest(deps, request), opts);
  if (status === null) return request;
  const moved = await updateRequestRecord(deps, request, (fresh) => (fresh.status === 'approved' ? { ...fresh, status } : null));
  return moved ?? (await deps.store.getRequest(requestId));
}

async function refreshRequests(deps: DomainDeps, shares: readonly Share[]): Promise<void> {
  for (const id of requestIdsOf(shares)) await refreshRequestStatus(deps, id);
}

// ---------------------------------------------------------------------------------------------
// drain and delete

/**
 * Drives a draining image forward: closes pending shares and requests, revokes every share ECS lists
 * (managed or not, and a community publication), and deletes the image only when ECS lists zero
 * shares. Never deletes an image that is not draining (DeletionNotInProgress). Upstream errors are
 * recorded in deletion.lastError and reported as progress; a refused DeleteImage (e.g. ImageInUse)
 * is recorded as deletion status failed (the image stays draining) and rethrown.
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
  await closePendingShares(deps, ctx, rows.filter((s) => PENDING_STATES.includes(s.state)), {
    to: 'revoked',
    action: 'request.cancelled',
    reason: 'image is being deleted',
  });

  // An apply in flight finishes on its own (the next pass revokes it); one that stopped after its
  // intent never would, and would keep its account listed forever: settle it from ECS truth.
  const graceMs = deps.policy.intentGraceSeconds * 1000;
  const stopped = rows.filter((s) => s.state === 'applying' && deps.clock.now().getTime() - Date.parse(s.updatedAt) > graceMs);
  const inFlight = rows.filter((s) => s.state === 'applying' && !stopped.includes(s));

  let perms;
  try {
    const settled = await resolveApplyingFromEcs(deps, ctx, stopped, 'ImageDeletionPending');
    await revokeShares(deps, ctx, [...rows.filter((s) => REVOCABLE_STATES.includes(s.state)), ...settled.active], { reason });
    perms = await deps.images.getSharePermissions(regionId, imageId);
    const applying = new Set(inFlight.map((s) => s.accountId));
    const strays = perms.accounts.map((a) => a.accountId).filter((id) => !applying.has(id));
    if (strays.length > 0 || perms.isPublic) {
      if (strays.length > 0) await deps.images.removeShares(regionId, imageId, strays);
      if (perms.isPublic) await deps.images.unpublish(regionId, imageId);
      await audit(deps, ctx, [
        ...strays.map((accountId) => ({ regionId, imageId, action: 'share.revoked', accountId, reason, detail: 'share not managed by the service' })),
        ...(perms.isPublic ? [{ regionId, imageId, action: 'image.unpublished', reason }] : []),
      ]);
      perms = await deps.images.getSharePermissions(regionId, imageId);
    }
  } catch (e) {
    if (isGovernorError(e, 'ImageNotFound')) return markDeleted(deps, ctx, image, 'image no longer exists in ECS');
    if (!isUpstreamFailure(e)) throw e;
    const live = (await deps.store.listShares(regionId, imageId)).filter((s) => LIVE_STATES.includes(s.state)).length;
    const stored = await recordDrainProgress(deps, image, live, errorCode(e));
    return { image: stored, status: 'draining', remaining: live, lastError: errorCode(e) };
  }

  const remaining = perms.accounts.length + (perms.isPublic ? 1 : 0);
  if (remaining > 0) {
    const stored = await recordDrainProgress(deps, image, remaining, undefined);
    return { image: stored, status: 'draining', remaining };
  }

  // Last look before the irreversible call: a cancel that landed meanwhile wins.
  const latest = await deps.store.getImage(regionId, imageId);
  if (latest?.lifecycle === 'deleted') return { image: latest, status: 'deleted', remaining: 0 };
  if (!latest || latest.lifecycle !== 'draining') {
    throw new GovernorError('DeletionNotInProgress', `The drain of image ${imageId} was cancelled`, { details: { deletionStatus: latest?.deletion.status ?? 'none' } });
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

// ---------------------------------------------------------------------------------------------
// adoption

/** Reconciler (unmanagedShares = adopt): records a share found in ECS as active, reserving quota. */
export async function adoptShare(deps: DomainDeps, ctx: Ctx, regionId: string, imageId: string, accountId: AccountId): Promise<Share> {
  await ensureImageRecord(deps, regionId, imageId);
  await reserveQuota(deps, regionId, imageId, 1);
  const now = nowIso(deps);
  let stored: Share;
  try {
    stored = await deps.store.createShare({
      regionId,
      imageId,
      accountId,
      state: 'active',
      origin: 'adopted',
      createdAt: now,
      updatedAt: now,
      version: 1,
    });
  } catch (e) {
    await releaseQuota(deps, regionId, imageId, 1);
    if (isConditionFailed(e)) throw new GovernorError('ShareAlreadyExists', `${accountId} already has a share of ${imageId}`, { details: { accounts: [accountId] } });
    throw e;
  }
  await audit(deps, ctx, [{ regionId, imageId, action: 'reconcile.adopted', accountId, before: 'unmanaged', after: 'active' }]);
  return stored;
}
