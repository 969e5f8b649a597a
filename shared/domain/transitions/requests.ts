// Share requests: the request row is the lock; closing, expiring, settling leftovers, resuming an approval.
import type { Share, ShareRequest } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { compact, updateRequestRecord } from '../util.js';
import { applyShares, type ApplyResult } from './apply.js';
import { audit, shareEvent } from './audit.js';
import { closePendingShares, type PendingCloseEvent } from './close.js';
import { refreshRequestStatus, sharesOfRequest } from './request-status.js';
import { nowIso, PENDING_STATES, sameIncarnation, transitionAll, transitionShare } from './state-machine.js';

/**
 * Moves a pending request to a closed status (the request row is the lock: whoever moves it out of
 * pending_approval owns its shares), then closes its pending shares. Null when it was no longer pending.
 */
async function closeRequest(
  deps: DomainDeps,
  ctx: Ctx,
  request: ShareRequest,
  close: { status: 'cancelled' | 'expired' | 'rejected'; event: PendingCloseEvent; action: string; reason?: string; comment?: string },
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
  await closePendingShares(deps, ctx, shares, close.event, { action: close.action, reason: close.reason ?? close.comment });
  return updated;
}

/** A pending request → cancelled (drain, unshare of all its accounts); its pending shares closed (revoked). */
export async function cancelRequest(deps: DomainDeps, ctx: Ctx, request: ShareRequest, reason: string): Promise<ShareRequest | null> {
  return closeRequest(deps, ctx, request, { status: 'cancelled', event: 'withdraw', action: 'request.cancelled', reason });
}

/** A pending request → rejected by an approver; its pending shares rejected, quota released. */
export async function rejectRequest(deps: DomainDeps, ctx: Ctx, request: ShareRequest, comment: string): Promise<ShareRequest | null> {
  return closeRequest(deps, ctx, request, { status: 'rejected', event: 'reject', action: 'share.rejected', comment });
}

/** A pending request past pendingUntil → expired; its pending shares expired, quota released. Null if not due. */
export async function expireRequest(deps: DomainDeps, ctx: Ctx, request: ShareRequest): Promise<ShareRequest | null> {
  if (Date.parse(request.pendingUntil) > deps.clock.now().getTime()) return null;
  return closeRequest(deps, ctx, request, {
    status: 'expired',
    event: 'expire_request',
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
      const fresh = await deps.store.getShare(share.regionId, share.imageId, share);
      if (fresh && sameIncarnation(fresh, share) && PENDING_STATES.includes(fresh.state)) stillPending.push(fresh);
      continue;
    }
    const status = request?.status;
    if (request && status === 'approved' && share.state === 'pending_approval') {
      // The approval was recorded, but an interruption kept this row from following it.
      const moved = await transitionShare(deps, ctx, share, 'complete_approval');
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
      const current = moved ?? (await deps.store.getShare(share.regionId, share.imageId, share));
      if (current && sameIncarnation(current, share) && PENDING_STATES.includes(current.state)) stillPending.push(current);
    } else if (status === 'pending_approval' || status === 'approved') {
      stillPending.push(share);
    } else if (status === 'rejected') {
      await closePendingShares(deps, ctx, [share], 'reject', { action: 'share.rejected' });
    } else if (status === 'expired') {
      await closePendingShares(deps, ctx, [share], 'expire_request', { action: 'request.expired' });
    } else {
      // cancelled, failed, or the request row is gone: the share can never be applied.
      await closePendingShares(deps, ctx, [share], 'withdraw', { action: 'request.cancelled', detail: `request ${status ?? 'missing'}` });
    }
  }
  return stillPending;
}

/**
 * Finishes an `approved` request: rows still `pending_approval` (a crash right after the decision)
 * move to `approved` — as the approver's own `approve`, or as `complete_approval` when another call
 * (a retried share request) finishes it — then every row not yet in ECS is applied. What approve runs
 * after deciding, and what a retried approve or share call runs.
 */
export async function resumeApprovedRequest(
  deps: DomainDeps,
  ctx: Ctx,
  request: ShareRequest,
  decision: { event: 'approve' | 'complete_approval'; comment?: string },
): Promise<ApplyResult> {
  if (request.status !== 'approved') return { active: [], failed: [] };
  const rows = await sharesOfRequest(deps, request);
  const { moved } = await transitionAll(
    deps,
    ctx,
    rows.filter((s) => s.state === 'pending_approval'),
    decision.event,
  );
  await audit(
    deps,
    ctx,
    moved.map((s) =>
      shareEvent(s, {
        action: 'share.approved',
        before: 'pending_approval',
        after: 'approved',
        reason: request.reason,
        ticket: request.ticket,
        detail: decision.comment,
      }),
    ),
  );
  const result = await applyShares(deps, ctx, [...rows.filter((s) => s.state === 'approved' || s.state === 'applying'), ...moved]);
  // What applyShares settled, it refreshed the request for. Nothing may have been left to apply (a
  // call that stopped after its rows moved): then settle the request here.
  if (result.active.length + result.failed.length === 0) await refreshRequestStatus(deps, request.requestId);
  return result;
}
