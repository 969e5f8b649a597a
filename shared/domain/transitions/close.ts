// Closing rows into a terminal state: one quota unit given back per row that held one, one audit
// event per row, the owning requests refreshed. Every close goes through here.
import type { Share } from '../model.js';
import { holdsQuota } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { audit, shareEvent } from './audit.js';
import { releaseQuota } from './quota.js';
import { refreshRequests } from './request-status.js';
import { groupByImageAndChannel, transitionAll, type ShareEvent } from './state-machine.js';

export interface CloseOptions {
  /** The audit action recorded per closed row. */
  readonly action: string;
  readonly reason?: string;
  readonly detail?: string;
  readonly lastError?: string;
  /** false for rows written after their request already gave its reservation back: nothing to release. */
  readonly holdsQuota?: boolean;
}

/**
 * Moves rows as `event` says (into a terminal state), gives back one quota unit per moved row whose
 * former state held one, audits each and refreshes their requests. Only the caller whose write moved
 * a row releases its unit, so concurrent closers release it once.
 */
export async function closeShares(deps: DomainDeps, ctx: Ctx, shares: readonly Share[], event: ShareEvent, close: CloseOptions): Promise<Share[]> {
  const { moved, before } = await transitionAll(deps, ctx, shares, event, { lastError: close.lastError });
  if (close.holdsQuota !== false) {
    for (const group of groupByImageAndChannel(moved.filter((s) => holdsQuota(before(s) ?? s.state)))) {
      const g = group[0] as Share;
      await releaseQuota(deps, g.regionId, g.imageId, group.length, g.channel);
    }
  }
  await audit(
    deps,
    ctx,
    moved.map((s) => shareEvent(s, { action: close.action, before: before(s), after: s.state, reason: close.reason, detail: close.detail })),
  );
  // A closed pending or in-flight row may have been its approved request's last unsettled one.
  await refreshRequests(deps, shares);
  return moved;
}

/** How a share that never reached ECS closes: withdrawn, rejected, expired with its request, or failed by a conflict. */
export type PendingCloseEvent = Extract<ShareEvent, 'withdraw' | 'reject' | 'expire_request' | 'conflict'>;

/**
 * Pending (pending_approval/approved, never sent to ECS) shares → a terminal state, quota released;
 * `holdsQuota: false` for rows written after their request already gave its reservation back.
 */
export async function closePendingShares(
  deps: DomainDeps,
  ctx: Ctx,
  shares: readonly Share[],
  event: PendingCloseEvent,
  close: CloseOptions,
): Promise<Share[]> {
  return closeShares(deps, ctx, shares, event, close);
}
