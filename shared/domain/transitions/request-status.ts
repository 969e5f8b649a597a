// An approved request's final status, derived from its rows alone — whoever moved them.
import type { Share, ShareRequest, ShareState } from '../model.js';
import { requestTargets, shareTargetKey } from '../model.js';
import type { DomainDeps } from '../context.js';
import { updateRequestRecord } from '../util.js';

/** The share rows that belong to one request. */
export async function sharesOfRequest(deps: DomainDeps, request: ShareRequest): Promise<Share[]> {
  const rows = await deps.store.listShares(request.regionId, request.imageId);
  return rows.filter((s) => s.requestId === request.requestId);
}

/** Row states of an approved request that have not reached their outcome yet. */
const UNSETTLED_STATES: readonly ShareState[] = ['pending_approval', 'approved', 'applying'];

/**
 * The status an approved request ends in, from its rows alone — whoever moved them: null while any
 * row is pending or in flight. A share that reached ECS (active, or revoked or expired since) counts
 * as applied, a failed one as failed. A target with no row yet is unsettled, unless `rowless` is
 * 'failed': the reconciler's verdict once the call that should have written the row is past its grace.
 */
export function settledRequestStatus(
  request: ShareRequest,
  rows: readonly Share[],
  opts: { rowless?: 'unsettled' | 'failed' } = {},
): 'applied' | 'partially_applied' | 'failed' | null {
  const own = new Map(rows.filter((s) => s.requestId === request.requestId).map((s) => [shareTargetKey(s), s]));
  const targets = requestTargets(request);
  let failed = 0;
  for (const target of targets) {
    const row = own.get(shareTargetKey(target));
    if (!row) {
      if (opts.rowless !== 'failed') return null;
      failed += 1;
    } else if (UNSETTLED_STATES.includes(row.state)) {
      return null;
    } else if (row.state === 'failed') {
      failed += 1;
    }
  }
  return failed === 0 ? 'applied' : failed === targets.length ? 'failed' : 'partially_applied';
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

const requestIdsOf = (shares: readonly Share[]): string[] => [
  ...new Set(shares.map((s) => s.requestId).filter((id): id is string => id !== undefined)),
];

/** refreshRequestStatus for the request of every row given (each once). */
export async function refreshRequests(deps: DomainDeps, shares: readonly Share[]): Promise<void> {
  for (const id of requestIdsOf(shares)) await refreshRequestStatus(deps, id);
}
