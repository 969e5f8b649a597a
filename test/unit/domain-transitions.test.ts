// The state-transition helpers the reconciler drives (shared/domain/transitions.ts).
import { describe, expect, it } from 'vitest';
import type { Ctx } from '../../shared/domain/governor.js';
import { systemPrincipal } from '../../shared/domain/context.js';
import { GovernorError, StoreError } from '../../shared/domain/errors.js';
import type { Policy } from '../../shared/domain/policy.js';
import {
  AUDIT_RETRY_DELAYS_MS,
  adoptShare,
  audit,
  recoverPendingAudit,
  expireRequest,
  expireShares,
  finishDrain,
  markApplied,
  markApplyFailed,
  markRevoked,
  releaseQuota,
  revokeShares,
  settlePendingShares,
  transitionShare,
} from '../../shared/domain/transitions.js';
import { IMAGE, REGION, account, alice, bob, byAccount, domainWorld, shareInput } from '../support/domain.js';

const reconciler: Ctx = { principal: systemPrincipal('reconcile'), requestId: 'run-1' };

function world(policy: Partial<Policy> = {}) {
  const logged: Record<string, unknown>[] = [];
  const logger = { info: () => {}, warn: (r: Record<string, unknown>) => logged.push(r), error: (r: Record<string, unknown>) => logged.push(r) };
  const w = domainWorld(policy, { logger });
  const share = async (accountId: string) => (await w.store.getShare(REGION, IMAGE, byAccount(accountId)))!;
  return { ...w, share, logged };
}

/** Leaves the shares `applying`, as a crash or an ECS outage after the intent would. */
async function applyingIntents(w: ReturnType<typeof world>, accounts: number[], opts: { landed: boolean }) {
  const { request } = await w.governor.requestShare(alice, shareInput(accounts));
  w.images.failNext('addShares', new GovernorError('UpstreamUnavailable'), 1, { afterEffect: opts.landed });
  await w.governor.approve(bob, request.requestId, {}).catch(() => undefined);
  return request;
}

describe('transitions: settling apply intents (reconciler)', () => {
  it('markApplied moves applying shares to active and completes their request', async () => {
    const w = world();
    const request = await applyingIntents(w, [1, 2], { landed: true });
    const moved = await markApplied(w.deps, reconciler, [await w.share(account(1)), await w.share(account(2))]);
    expect(moved.map((s) => [s.state, s.lastError])).toEqual([
      ['active', undefined],
      ['active', undefined],
    ]);
    expect((await w.store.getRequest(request.requestId))?.status).toBe('applied');
    expect(await w.quotaUsed()).toBe(2);
    const last = w.store.allEvents().slice(-2);
    expect(last.map((e) => [e.action, e.principal, e.requestId])).toEqual([
      ['share.applied', 'system:reconcile', 'run-1'],
      ['share.applied', 'system:reconcile', 'run-1'],
    ]);
  });

  it('markApplyFailed fails intents ECS never applied and releases their quota', async () => {
    const w = world();
    const request = await applyingIntents(w, [1, 2], { landed: false });
    await markApplyFailed(w.deps, reconciler, [await w.share(account(1)), await w.share(account(2))], 'not in ECS after grace');
    expect([(await w.share(account(1))).state, (await w.share(account(1))).lastError]).toEqual(['failed', 'not in ECS after grace']);
    expect((await w.store.getRequest(request.requestId))?.status).toBe('failed');
    expect(await w.quotaUsed()).toBe(0);
  });

  it('only one of two racing transitions from the same state wins', async () => {
    const w = world();
    await applyingIntents(w, [1], { landed: true });
    const intent = await w.share(account(1));
    const [a, b] = await Promise.all([
      transitionShare(w.deps, reconciler, intent, 'confirm_applied'),
      transitionShare(w.deps, reconciler, intent, 'apply_failed', { lastError: 'x' }),
    ]);
    expect([a, b].filter((s) => s !== null)).toHaveLength(1);
    expect((await w.share(account(1))).version).toBe(intent.version + 1);
  });
});

describe('transitions: revoking', () => {
  it('revokeShares resumes a revoking intent without releasing quota twice', async () => {
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, shareInput([1, 2]));
    w.images.failNext('removeShares', new GovernorError('UpstreamThrottled'));
    await expect(revokeShares(w.deps, reconciler, [await w.share(account(1))], { reason: 'policy' })).rejects.toMatchObject({ code: 'UpstreamThrottled' });
    expect([(await w.share(account(1))).state, await w.quotaUsed()]).toEqual(['revoking', 1]);
    const done = await revokeShares(w.deps, reconciler, [await w.share(account(1))], { reason: 'policy' });
    expect(done.map((s) => s.state)).toEqual(['revoked']);
    expect(await w.quotaUsed()).toBe(1);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(2)]);
  });

  it('markRevoked closes a revoking intent ECS already honoured, without an ECS call', async () => {
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, shareInput([1]));
    w.images.failNext('removeShares', new GovernorError('UpstreamUnavailable'), 1, { afterEffect: true });
    await revokeShares(w.deps, reconciler, [await w.share(account(1))], { reason: 'x' }).catch(() => undefined);
    const calls = w.images.calls.length;
    await markRevoked(w.deps, reconciler, [await w.share(account(1))], { reason: 'ECS no longer lists it' });
    expect((await w.share(account(1))).state).toBe('revoked');
    expect(w.images.calls.length).toBe(calls);
    expect(await w.quotaUsed()).toBe(0);
  });

  it('expireShares removes expired shares from ECS and ends them as expired', async () => {
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, shareInput([1]));
    const [expired] = await expireShares(w.deps, reconciler, [await w.share(account(1))]);
    expect(expired?.state).toBe('expired');
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([]);
    expect(await w.quotaUsed()).toBe(0);
    expect(w.store.allEvents().at(-1)).toMatchObject({ action: 'share.expired', before: 'active', after: 'expired', reason: 'share expired' });
  });
});

describe('transitions: pending requests', () => {
  it('expireRequest expires only requests past their TTL and releases their quota', async () => {
    const w = world({ pendingRequestTtlHours: 10 });
    const old = (await w.governor.requestShare(alice, shareInput([1, 2]))).request;
    w.clock.advanceHours(5);
    const recent = (await w.governor.requestShare(alice, shareInput([3]))).request;
    w.clock.advanceHours(5);
    expect(await expireRequest(w.deps, reconciler, old)).toMatchObject({ requestId: old.requestId, status: 'expired' });
    expect(await expireRequest(w.deps, reconciler, recent)).toBeNull();
    expect((await w.store.getRequest(old.requestId))?.status).toBe('expired');
    expect((await w.store.getRequest(recent.requestId))?.status).toBe('pending_approval');
    expect(w.store.allShares().map((s) => s.state)).toEqual(['expired', 'expired', 'pending_approval']);
    expect(await w.quotaUsed()).toBe(1);
  });

  it('settlePendingShares closes pending rows whose request was already closed', async () => {
    const w = world();
    const { request } = await w.governor.requestShare(alice, shareInput([1]));
    // A crash after the request row changed and before its shares did.
    await w.store.updateRequest({ ...request, status: 'cancelled' }, request.version);
    const still = await settlePendingShares(w.deps, reconciler, [await w.share(account(1))]);
    expect(still).toEqual([]);
    expect((await w.share(account(1))).state).toBe('revoked');
    expect(await w.quotaUsed()).toBe(0);
  });
});

describe('transitions: adoption, drain and quota', () => {
  it('adoptShare records an unmanaged ECS share as active and reserves quota once', async () => {
    const w = world();
    w.images.shareOutOfBand(REGION, IMAGE, account(9));
    const adopted = await adoptShare(w.deps, reconciler, REGION, IMAGE, byAccount(account(9)));
    expect(adopted).toMatchObject({ accountId: account(9), state: 'active', origin: 'adopted' });
    expect(await w.quotaUsed()).toBe(1);
    await expect(adoptShare(w.deps, reconciler, REGION, IMAGE, byAccount(account(9)))).rejects.toMatchObject({ code: 'ShareAlreadyExists' });
    expect(await w.quotaUsed()).toBe(1);
  });

  it('finishDrain refuses an image that is not draining and leaves ECS alone', async () => {
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, shareInput([1]));
    const record = (await w.store.getImage(REGION, IMAGE))!;
    await expect(finishDrain(w.deps, reconciler, record)).rejects.toMatchObject({ code: 'DeletionNotInProgress' });
    expect(w.images.callsOf('removeShares')).toEqual([]);
    expect(w.images.callsOf('deleteImage')).toEqual([]);
  });

  it('releaseQuota never drives the counter below zero', async () => {
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, shareInput([1]));
    await releaseQuota(w.deps, REGION, IMAGE, 3, 'account');
    expect(await w.quotaUsed()).toBe(0);
    expect(w.logged).toEqual([{ msg: 'quota release below zero', regionId: REGION, imageId: IMAGE, channel: 'account', count: 3, used: 1 }]);
  });

  const reported = { regionId: REGION, imageId: IMAGE, action: 'reconcile.reported', reason: 'secret plans', ticket: 'CHG-9' };
  const stamped = { ...reported, eventId: 'id000000', at: '2026-03-01T10:00:00.000Z', principal: 'system:reconcile', requestId: 'run-1' };

  it('audit retries a refused append and writes the events once it is accepted, logging nothing', async () => {
    const w = world();
    w.store.failNext('appendAudit', new StoreError('Busy'), AUDIT_RETRY_DELAYS_MS.length);
    await audit(w.deps, reconciler, [reported]);
    expect(w.store.allEvents()).toEqual([stamped]);
    expect(w.logged).toEqual([]);
  });

  it('audit holds the events for the reconciler when every attempt is refused, and logs only ids and counts', async () => {
    const w = world();
    w.store.failNext('appendAudit', new StoreError('Busy'), AUDIT_RETRY_DELAYS_MS.length + 1);
    await audit(w.deps, reconciler, [reported]);
    expect(w.store.allEvents()).toEqual([]);
    expect(w.store.heldEvents()).toEqual([stamped]);
    expect(w.logged).toEqual([{ msg: 'audit append failed; events held for the reconciler', count: 1, eventIds: ['id000000'], error: 'StoreBusy' }]);
  });

  it('audit logs ids and counts only, never the text, when the events cannot even be held', async () => {
    const w = world();
    w.store.failNext('appendAudit', new StoreError('Unavailable'), AUDIT_RETRY_DELAYS_MS.length + 1);
    w.store.failNext('holdPendingAudit', new StoreError('Unavailable'));
    await audit(w.deps, reconciler, [reported]);
    expect(w.logged).toEqual([
      {
        msg: 'audit append failed and the events could not be held',
        count: 1,
        eventIds: ['id000000'],
        error: 'StoreUnavailable',
        holdError: 'StoreUnavailable',
      },
    ]);
  });

  it('audit tells onAudited of the events an append wrote, once, and never of events it held', async () => {
    const w = world();
    const told: unknown[][] = [];
    const deps = { ...w.deps, onAudited: (events: readonly unknown[]) => told.push([...events]) };
    w.store.failNext('appendAudit', new StoreError('Busy'), 1);
    await audit(deps, reconciler, [reported]);
    w.store.failNext('appendAudit', new StoreError('Busy'), AUDIT_RETRY_DELAYS_MS.length + 1);
    await audit(deps, reconciler, [reported]);
    expect(told).toEqual([[stamped]]);
    expect(w.store.heldEvents().map((e) => e.eventId)).toEqual(['id000001']);
  });

  it('recoverPendingAudit moves held events into the trail page by page, bounded per run', async () => {
    const w = world();
    w.store.failNext('appendAudit', new StoreError('Busy'), AUDIT_RETRY_DELAYS_MS.length + 1);
    await audit(w.deps, reconciler, [reported, reported, reported]);
    expect(await recoverPendingAudit(w.deps, { pageSize: 1, maxPages: 2 })).toBe(2);
    expect(await recoverPendingAudit(w.deps, { pageSize: 1, maxPages: 2 })).toBe(1);
    expect(w.store.allEvents().map((e) => e.eventId).sort()).toEqual(['id000000', 'id000001', 'id000002']);
    expect(w.store.heldEvents()).toEqual([]);
  });
});
