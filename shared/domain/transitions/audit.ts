// The audit trail: events stamped from the acting context, appended so that they are neither lost
// nor leaked when the store refuses them.
import { errorCode } from '../errors.js';
import type { AuditEvent, Share, ShareTarget } from '../model.js';
import { targetFields } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { compact } from '../util.js';
import { nowIso } from './state-machine.js';

/** An audit event before the helper stamps id, time, principal and request id from the context. */
export type AuditEntry = Omit<AuditEvent, 'eventId' | 'at' | 'principal' | 'requestId'>;

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
    } catch (e) {
      error = e;
      continue;
    }
    deps.onAudited(events);
    return;
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
 * Reconciler: moves audit events that appends could not write into the trail and the outbox, a
 * bounded number per run (the rest wait for the next). Returns how many moved.
 */
export async function recoverPendingAudit(deps: DomainDeps, opts: { pageSize: number; maxPages: number }): Promise<number> {
  let moved = 0;
  for (let page = 0; page < opts.maxPages; page++) {
    const n = await deps.store.flushPendingAudit(opts.pageSize, deps.clock.now());
    moved += n;
    if (n < opts.pageSize) break;
  }
  return moved;
}

type TargetlessEntry = Omit<AuditEntry, 'regionId' | 'imageId' | 'channel' | 'target' | 'accountId' | 'shareRequestId'>;

/** The audit entry of one share's transition: the share names the image, channel, target and request. */
export const shareEvent = (s: Share, fields: TargetlessEntry): AuditEntry => ({
  regionId: s.regionId,
  imageId: s.imageId,
  ...targetFields(s),
  shareRequestId: s.requestId,
  ...fields,
});

/** The audit entry of an event about a target the service holds no row for (a share made outside it). */
export const targetEvent = (regionId: string, imageId: string, target: ShareTarget, fields: TargetlessEntry): AuditEntry => ({
  regionId,
  imageId,
  ...targetFields(target),
  ...fields,
});
