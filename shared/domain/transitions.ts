// State transitions shared by the use cases (use-cases/) and the reconciler (reconcile/). Every share
// row moves through the state machine's one conditional write (transitions/state-machine.ts, the
// table the README renders); ECS calls are always bracketed by a write-ahead intent (applying /
// revoking) stored before the call. See README.md in this folder.
export { AUDIT_RETRY_DELAYS_MS, audit, recoverPendingAudit, shareEvent, targetEvent, type AuditEntry } from './transitions/audit.js';
export { countByChannel, ensureImageRecord, quotaExceeded, quotaUsedOf, releaseQuota, releaseTargets, reserveQuota, reserveTargets } from './transitions/quota.js';
export { refreshRequestStatus, settledRequestStatus, sharesOfRequest } from './transitions/request-status.js';
export { closePendingShares, closeShares } from './transitions/close.js';
export { applyShares, channelTruth, markApplied, markApplyFailed, removeTargets, type ApplyResult } from './transitions/apply.js';
export { expireShares, markRevoked, revokeDirectory, revokeShares, type RemovedFromShare } from './transitions/revoke.js';
export {
  cancelRequest,
  expireRequest,
  pendingRequestsOf,
  rejectRequest,
  resumeApprovedRequest,
  settlePendingShares,
} from './transitions/requests.js';
export { finishDrain, markDeleted, remainingShares, type DrainProgress } from './transitions/drain.js';
export { adoptShare } from './transitions/adopt.js';
export {
  LIVE_STATES,
  PENDING_STATES,
  REVOCABLE_STATES,
  SHARE_TRANSITIONS,
  WRITE_CONCURRENCY,
  groupByImageAndChannel,
  initialState,
  renderTransitionTable,
  transitionShare,
  type ShareEvent,
  type ShareTransition,
} from './transitions/state-machine.js';
