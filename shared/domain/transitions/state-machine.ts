// The share state machine as data: every transition a share row can make, the event that causes it
// and whose calls may cause it. transitionShare is the only way a row changes state, and it refuses
// what this table does not have; the domain README renders the table from this data.
import { GovernorError, errorCode, isConditionFailed } from '../errors.js';
import type { Ctx, DomainDeps } from '../context.js';
import type { Principal, Role, Share, ShareState } from '../model.js';
import { shareTargetKey } from '../model.js';
import { compact, mapLimit, MAX_WRITE_ATTEMPTS } from '../util.js';

/** What happens to a share. A row's next state is a function of its state and the event. */
export type ShareEvent =
  | 'request'
  | 'request_preapproved'
  | 'adopt'
  | 'approve'
  | 'complete_approval'
  | 'start_apply'
  | 'reapply'
  | 'confirm_applied'
  | 'apply_failed'
  | 'record_error'
  | 'conflict'
  | 'withdraw'
  | 'reject'
  | 'expire_request'
  | 'start_revoke'
  | 'confirm_revoked'
  | 'confirm_expired'
  | 'close_missing'
  | 'image_vanished';

/** Whose calls may cause a transition: a role of the HTTP API, or the reconciler. */
export type Actor = Exclude<Role, 'auditor'> | 'system:reconcile';

/** Before its first row a share is `none`: creation events start there. */
export type FromState = ShareState | 'none';

export interface ShareTransition {
  readonly from: FromState;
  readonly event: ShareEvent;
  readonly to: ShareState;
  readonly who: readonly Actor[];
  /** When it happens, for the README. */
  readonly when: string;
}

const ANYONE: readonly Actor[] = ['requester', 'approver', 'admin', 'system:reconcile'];
const ASKERS: readonly Actor[] = ['requester', 'admin'];
const DECIDERS: readonly Actor[] = ['approver', 'admin'];
const RECONCILER: readonly Actor[] = ['system:reconcile'];
/** Unshare, drain, expiry and the reconciler's repairs revoke. */
const REVOKERS: readonly Actor[] = ['requester', 'admin', 'system:reconcile'];

const both = (from: readonly FromState[], rest: Omit<ShareTransition, 'from'>): ShareTransition[] => from.map((f) => ({ from: f, ...rest }));

/**
 * Every transition, in lifecycle order. Calls that find a row stale settle it whatever their own
 * purpose (a share request closes pending rows of an expired request): such events list `ANYONE`.
 */
export const SHARE_TRANSITIONS: readonly ShareTransition[] = [
  { from: 'none', event: 'request', to: 'pending_approval', who: ASKERS, when: 'a share request that needs approval writes its rows' },
  { from: 'none', event: 'request_preapproved', to: 'approved', who: ASKERS, when: 'a share request policy approves at once writes its rows' },
  { from: 'none', event: 'adopt', to: 'active', who: RECONCILER, when: 'an unmanaged ECS share is adopted (UNMANAGED_SHARES=adopt)' },
  { from: 'pending_approval', event: 'approve', to: 'approved', who: DECIDERS, when: 'an approver approves the request' },
  {
    from: 'pending_approval',
    event: 'complete_approval',
    to: 'approved',
    who: ANYONE,
    when: 'a row an interruption kept behind its approved request follows it',
  },
  {
    from: 'approved',
    event: 'start_apply',
    to: 'applying',
    who: ANYONE,
    when: 'write-ahead intent, stored before ECS (or Resource Sharing) is asked to add the target',
  },
  { from: 'active', event: 'reapply', to: 'applying', who: RECONCILER, when: 'an active share the channel lost is put back, through the intent' },
  { from: 'applying', event: 'confirm_applied', to: 'active', who: ANYONE, when: 'ECS lists the account (the service\'s resource share holds the target)' },
  ...both(['approved', 'applying'], {
    event: 'apply_failed',
    to: 'failed',
    who: ANYONE,
    when: 'the channel refused the target for good, or does not list it once the intent is stale',
  }),
  { from: 'applying', event: 'record_error', to: 'applying', who: ANYONE, when: 'an intent whose call failed upstream records why and stays' },
  { from: 'revoking', event: 'record_error', to: 'revoking', who: ANYONE, when: 'an intent whose call failed upstream records why and stays' },
  ...both(['pending_approval', 'approved'], {
    event: 'conflict',
    to: 'failed',
    who: ASKERS,
    when: 'another request took a target first: the whole request fails',
  }),
  ...both(['pending_approval', 'approved'], {
    event: 'withdraw',
    to: 'revoked',
    who: ANYONE,
    when: 'unshare, a drain, or a cancelled request withdraws a share that never reached the channel',
  }),
  ...both(['pending_approval', 'approved'], {
    event: 'reject',
    to: 'rejected',
    who: ANYONE,
    when: 'the request was rejected (by an approver; other calls settle rows left behind)',
  }),
  ...both(['pending_approval', 'approved'], {
    event: 'expire_request',
    to: 'expired',
    who: ANYONE,
    when: 'the request was not approved before pendingUntil',
  }),
  {
    from: 'active',
    event: 'start_revoke',
    to: 'revoking',
    who: REVOKERS,
    when: 'write-ahead intent, stored before the channel is asked to remove the target; releases its quota unit',
  },
  { from: 'revoking', event: 'confirm_revoked', to: 'revoked', who: REVOKERS, when: 'the channel no longer lists the target' },
  { from: 'revoking', event: 'confirm_expired', to: 'expired', who: RECONCILER, when: 'the channel no longer lists a target whose share expired' },
  {
    from: 'active',
    event: 'close_missing',
    to: 'revoked',
    who: RECONCILER,
    when: 'an active share the channel lost that policy no longer allows is closed, not put back',
  },
  ...both(['applying', 'active', 'revoking'], { event: 'image_vanished', to: 'revoked', who: RECONCILER, when: 'ECS no longer has the image' }),
];

/** The transition `event` makes from `from`, if the table has one. */
export const transitionOf = (from: FromState, event: ShareEvent): ShareTransition | undefined =>
  SHARE_TRANSITIONS.find((t) => t.from === from && t.event === event);

export function mayCause(principal: Principal, who: readonly Actor[]): boolean {
  return who.includes(principal.id as Actor) || principal.roles.some((r) => who.includes(r as Actor));
}

function checkActor(ctx: Ctx, event: ShareEvent, who: readonly Actor[]): void {
  if (!mayCause(ctx.principal, who)) {
    throw new GovernorError('Forbidden', `${ctx.principal.id} may not cause the share event ${event}`, { details: { event } });
  }
}

/** The state a new share row starts in for a creation event (`request`, `request_preapproved`, `adopt`). */
export function initialState(ctx: Ctx, event: ShareEvent): ShareState {
  const t = transitionOf('none', event);
  if (!t) throw new GovernorError('Internal', `The share event ${event} does not create a share`);
  checkActor(ctx, event, t.who);
  return t.to;
}

/** Store writes per share run with this much concurrency (keeps Tablestore latency off the critical path). */
export const WRITE_CONCURRENCY = 10;

/** States a revoke starts from (the channel lists the target, or is being asked to stop listing it). */
export const REVOCABLE_STATES: readonly ShareState[] = ['active', 'revoking'];
/** States in which the channel may list the target (or is about to). */
export const LIVE_STATES: readonly ShareState[] = ['applying', 'active', 'revoking'];
/** States that never reached the channel. */
export const PENDING_STATES: readonly ShareState[] = ['pending_approval', 'approved'];

export const nowIso = (deps: DomainDeps): string => deps.clock.now().toISOString();
const imageKey = (s: { regionId: string; imageId: string }): string => `${s.regionId}/${s.imageId}`;
export const shareKey = (s: Share): string => `${imageKey(s)}/${shareTargetKey(s)}`;

function groupBy(shares: readonly Share[], key: (s: Share) => string): Share[][] {
  const groups = new Map<string, Share[]>();
  for (const s of shares) {
    const k = key(s);
    const list = groups.get(k);
    if (list) list.push(s);
    else groups.set(k, [s]);
  }
  return [...groups.values()];
}

export const groupByImage = (shares: readonly Share[]): Share[][] => groupBy(shares, imageKey);
/** One group per image and channel: what one call of one channel's port can apply or revoke. */
export const groupByImageAndChannel = (shares: readonly Share[]): Share[][] => groupBy(shares, (s) => `${imageKey(s)}/${s.channel}`);

/** The same share, not a newer one for the same account (rows are reused once terminal). */
export const sameIncarnation = (a: Share, b: Share): boolean => a.createdAt === b.createdAt && a.requestId === b.requestId;

/** What a transition may change besides the state. */
export type TransitionPatch = Partial<Pick<Share, 'lastError' | 'resourceShareId'>>;

/**
 * The one conditional share write: moves `share` as `event` says, if the stored row is still in a state
 * `event` leaves (and is still the same share). On a lost race it re-reads and re-evaluates. Returns the
 * stored share and the state it left, or null when the row is in no state `event` leaves. Throws
 * Forbidden when the acting principal may not cause `event`.
 */
export async function moveShare(
  deps: DomainDeps,
  ctx: Ctx,
  share: Share,
  event: ShareEvent,
  patch: TransitionPatch = {},
): Promise<{ stored: Share; left: ShareState } | null> {
  let current = share;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const t = transitionOf(current.state, event);
    if (!t) return null;
    checkActor(ctx, event, t.who);
    const next: Share = compact({ ...current, ...patch, state: t.to, updatedAt: nowIso(deps) });
    try {
      return { stored: await deps.store.updateShare(next, current.version), left: current.state };
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
    const fresh = await deps.store.getShare(share.regionId, share.imageId, share);
    if (!fresh || !sameIncarnation(fresh, share)) return null;
    current = fresh;
  }
  throw new GovernorError('ConcurrentModification', `Share of ${share.imageId} with ${share.target} kept changing; retry`);
}

/** moveShare, returning the stored share only. */
export async function transitionShare(
  deps: DomainDeps,
  ctx: Ctx,
  share: Share,
  event: ShareEvent,
  patch: TransitionPatch = {},
): Promise<Share | null> {
  return (await moveShare(deps, ctx, share, event, patch))?.stored ?? null;
}

/** transitionShare over many rows; `before` tells the state each moved row left. */
export async function transitionAll(
  deps: DomainDeps,
  ctx: Ctx,
  shares: readonly Share[],
  event: ShareEvent,
  patch: TransitionPatch = {},
): Promise<{ moved: Share[]; before: (s: Share) => ShareState | undefined }> {
  const left = new Map<string, ShareState>();
  const results = await mapLimit(shares, WRITE_CONCURRENCY, async (s) => {
    const result = await moveShare(deps, ctx, s, event, patch);
    if (result) left.set(shareKey(s), result.left);
    return result?.stored ?? null;
  });
  return { moved: results.filter((s): s is Share => s !== null), before: (s) => left.get(shareKey(s)) };
}

/** Records on intents that stay in place why their ECS call failed. Best effort: the intent is what matters. */
export async function recordIntentError(deps: DomainDeps, ctx: Ctx, intents: readonly Share[], error: unknown): Promise<void> {
  await mapLimit(intents, WRITE_CONCURRENCY, (s) => transitionShare(deps, ctx, s, 'record_error', { lastError: errorCode(error) }).catch(() => null));
}

/** The table as the domain README shows it (scripts/render-docs.ts writes it there; a test compares). */
export function renderTransitionTable(): string {
  const lines = ['| from | event | to | caused by | when |', '|---|---|---|---|---|'];
  for (const t of SHARE_TRANSITIONS) lines.push(`| \`${t.from}\` | \`${t.event}\` | \`${t.to}\` | ${t.who.join(', ')} | ${t.when} |`);
  return lines.join('\n');
}
