// State transitions shared by the use cases (governor.ts) and the reconciler (reconcile/).
// Every transition is a conditional write on the row's version; ECS calls are always bracketed by a
// write-ahead intent (applying / revoking) stored before the call. See README.md in this folder.
import type { AccountId, AuditEvent, ImageRecord, Share, ShareRequest, ShareState } from './model.js';
import type { Ctx, DomainDeps } from './context.js';

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
  /** Accounts ECS still lists (0 once deleted). */
  readonly remaining: number;
}

const notImplemented = (): never => {
  throw new Error('not implemented');
};

/** Appends audit events stamped with ctx (principal, requestId) and the clock. Never throws: logs instead. */
export async function audit(deps: DomainDeps, ctx: Ctx, entries: readonly AuditEntry[]): Promise<void> {
  void deps; void ctx; void entries;
  return notImplemented();
}

/** Gives back `count` quota units of an image (one per share leaving QUOTA_STATES). */
export async function releaseQuota(deps: DomainDeps, regionId: string, imageId: string, count: number): Promise<void> {
  void deps; void regionId; void imageId; void count;
  return notImplemented();
}

/**
 * One conditional share write: moves `share` to `patch.state` if the stored row is still in one of
 * `from`. On a lost race it re-reads; returns the stored share, or null when the row has left `from`.
 */
export async function transitionShare(
  deps: DomainDeps,
  share: Share,
  from: readonly ShareState[],
  patch: Partial<Pick<Share, 'state' | 'lastError' | 'expiresAt'>> & { state: ShareState },
): Promise<Share | null> {
  void deps; void share; void from; void patch;
  return notImplemented();
}

/**
 * approved → applying (intent) → ECS add → active. Accepts shares in `approved` or `applying` (resume).
 * Upstream errors (throttled/unavailable) leave the shares `applying` and are rethrown as-is;
 * definitive ECS refusals resolve each share from ECS truth (active, or failed + quota released)
 * and are rethrown. Updates the owning share requests' status.
 */
export async function applyShares(deps: DomainDeps, ctx: Ctx, shares: readonly Share[]): Promise<ApplyResult> {
  void deps; void ctx; void shares;
  return notImplemented();
}

/**
 * active → revoking (intent, quota released) → ECS remove → revoked (or `finalState`, e.g. expired).
 * Accepts shares in `active` or `revoking` (resume). Upstream errors leave them `revoking` and rethrow.
 */
export async function revokeShares(
  deps: DomainDeps,
  ctx: Ctx,
  shares: readonly Share[],
  opts: { reason: string; finalState?: 'revoked' | 'expired' },
): Promise<Share[]> {
  void deps; void ctx; void shares; void opts;
  return notImplemented();
}

/** Reconciler: ECS lists these `applying` shares → active. */
export async function markApplied(deps: DomainDeps, ctx: Ctx, shares: readonly Share[]): Promise<Share[]> {
  void deps; void ctx; void shares;
  return notImplemented();
}

/** Reconciler/apply: these `applying` (or `approved`) shares are not in ECS and will not be → failed, quota released. */
export async function markApplyFailed(deps: DomainDeps, ctx: Ctx, shares: readonly Share[], error: string): Promise<Share[]> {
  void deps; void ctx; void shares; void error;
  return notImplemented();
}

/** Reconciler: ECS no longer lists these `revoking` shares → revoked (or expired). */
export async function markRevoked(
  deps: DomainDeps,
  ctx: Ctx,
  shares: readonly Share[],
  opts: { reason: string; finalState?: 'revoked' | 'expired' },
): Promise<Share[]> {
  void deps; void ctx; void shares; void opts;
  return notImplemented();
}

/** Pending (pending_approval/approved, never sent to ECS) shares → a terminal state, quota released. */
export async function closePendingShares(
  deps: DomainDeps,
  ctx: Ctx,
  shares: readonly Share[],
  opts: { to: 'revoked' | 'rejected' | 'expired'; action: string; reason?: string },
): Promise<Share[]> {
  void deps; void ctx; void shares; void opts;
  return notImplemented();
}

/** A pending request → cancelled (drain, unshare of all its accounts); its pending shares closed. */
export async function cancelRequest(deps: DomainDeps, ctx: Ctx, request: ShareRequest, reason: string): Promise<ShareRequest | null> {
  void deps; void ctx; void request; void reason;
  return notImplemented();
}

/** A pending request past pendingUntil → expired; its pending shares expired, quota released. */
export async function expireRequest(deps: DomainDeps, ctx: Ctx, request: ShareRequest): Promise<ShareRequest | null> {
  void deps; void ctx; void request;
  return notImplemented();
}

/** Expires every pending request whose pendingUntil has passed (optionally of one image). Returns how many. */
export async function expirePendingRequests(
  deps: DomainDeps,
  ctx: Ctx,
  filter?: { regionId?: string; imageId?: string },
): Promise<number> {
  void deps; void ctx; void filter;
  return notImplemented();
}

/** Active shares past expiresAt → revoked in ECS, final state expired. */
export async function expireShares(deps: DomainDeps, ctx: Ctx, shares: readonly Share[]): Promise<Share[]> {
  void deps; void ctx; void shares;
  return notImplemented();
}

/** Re-derives a request's status from its share rows (applied / partially_applied / failed). */
export async function refreshRequestStatus(deps: DomainDeps, ctx: Ctx, requestId: string): Promise<ShareRequest | null> {
  void deps; void ctx; void requestId;
  return notImplemented();
}

/**
 * Drives a draining image forward: closes pending shares and requests, revokes every share ECS lists
 * (managed or not), and deletes the image only when ECS lists zero shares. Never deletes an image
 * that is not draining.
 */
export async function finishDrain(deps: DomainDeps, ctx: Ctx, image: ImageRecord, opts?: { force?: boolean }): Promise<DrainProgress> {
  void deps; void ctx; void image; void opts;
  return notImplemented();
}

/** Reconciler (unmanagedShares = adopt): records a share found in ECS as active, reserving quota. */
export async function adoptShare(deps: DomainDeps, ctx: Ctx, regionId: string, imageId: string, accountId: AccountId): Promise<Share> {
  void deps; void ctx; void regionId; void imageId; void accountId;
  return notImplemented();
}
