// A request always reaches its final status (applied, partially_applied, failed) from its rows'
// states, whoever moved them: the call that moved them, a retry, or the reconciler — including after
// a crash between the last row write and the request write, reproduced here deterministically.
import { describe, expect, it } from 'vitest';
import { createGovernor } from '../../shared/domain/governor.js';
import { resolveDeps } from '../../shared/domain/context.js';
import { type Share, type ShareRequest, type ShareState, targetFields } from '../../shared/domain/model.js';
import type { StorePort } from '../../shared/domain/ports.js';
import { RECONCILE_PRINCIPAL } from '../../shared/domain/reconcile/run.js';
import { START_CURSOR, sweepRegion } from '../../shared/domain/reconcile/sweep.js';
import { RunTally } from '../../shared/domain/reconcile/tally.js';
import type { ReconcileMode } from '../../shared/domain/model.js';
import { settledRequestStatus } from '../../shared/domain/transitions.js';
import { DirectoryLookupCache } from '../../shared/domain/directory.js';
import { IMAGE, REGION, account, alice, bob, domainWorld, shareInput } from '../support/domain.js';
import type { MemoryStore } from '../support/memory-store.js';

const FINAL = new Set(['applied', 'partially_applied', 'failed']);

/**
 * The store as a process sees it until it is killed: the first write that would give a request its
 * final status never happens, and nothing after it runs (the call fails there).
 */
function crashingBeforeFinalStatus(store: MemoryStore): StorePort {
  let armed = true;
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (name !== 'updateRequest') return value.bind(target);
      return async (next: ShareRequest, expectedVersion: number) => {
        if (armed && FINAL.has(next.status)) {
          armed = false;
          throw new Error('killed: the request write never happened');
        }
        return target.updateRequest(next, expectedVersion);
      };
    },
  });
}

/** A world whose governor dies at that point once; `governor` afterwards is a fresh instance over the same state. */
function crashWorld(policy: Parameters<typeof domainWorld>[0] = {}) {
  const w = domainWorld(policy);
  const crashing = createGovernor(resolveDeps({ ...w.deps, store: crashingBeforeFinalStatus(w.store) }));
  const sweep = async (mode: ReconcileMode = 'enforce') => {
    const tally = new RunTally();
    await sweepRegion({ deps: w.deps, ctx: { principal: RECONCILE_PRINCIPAL, requestId: 'run-1' }, mode, tally, lookups: new DirectoryLookupCache() }, REGION, START_CURSOR, {
      concurrency: 1,
      shouldStop: () => false,
    });
    return tally;
  };
  const rowStates = async () => (await w.store.listShares(REGION, IMAGE)).map((s) => `${s.target.slice(-1)}:${s.state}`);
  return { ...w, crashing, sweep, rowStates };
}

describe('settledRequestStatus: the final status is a function of the rows', () => {
  const request = { requestId: 'sr-1', accountIds: [account(1), account(2)], directoryTargets: [] } as unknown as ShareRequest;
  const row = (n: number, state: ShareState, requestId = 'sr-1') => ({ ...targetFields({ channel: 'account', target: account(n) }), state, requestId }) as unknown as Share;

  it.each([
    [['active', 'active'], 'applied'],
    [['active', 'failed'], 'partially_applied'],
    [['failed', 'failed'], 'failed'],
    // Shares that reached ECS and were revoked or expired since still were applied.
    [['revoked', 'expired'], 'applied'],
    [['active', 'applying'], null],
    [['active', 'approved'], null],
    [['pending_approval', 'active'], null],
  ] as [ShareState[], string | null][])('%j → %s', (states, expected) => {
    expect(
      settledRequestStatus(
        request,
        states.map((s, i) => row(i + 1, s)),
      ),
    ).toBe(expected);
  });

  it('ignores rows of other requests and treats an account without a row as unsettled, or failed when told', () => {
    const rows = [row(1, 'active'), row(2, 'active', 'sr-other')];
    expect(settledRequestStatus(request, rows)).toBeNull();
    expect(settledRequestStatus(request, rows, { rowless: 'failed' })).toBe('partially_applied');
    expect(settledRequestStatus(request, [], { rowless: 'failed' })).toBe('failed');
  });

  it('counts the directory targets of a request as its accounts, each by its own channel', () => {
    const both = { ...request, accountIds: [account(1)], directoryTargets: ['fd-prod0001', account(1)] } as unknown as ShareRequest;
    const onDirectory = (target: string, state: ShareState) => ({ ...targetFields({ channel: 'directory', target }), state, requestId: 'sr-1' }) as unknown as Share;
    // The member account's account-channel row does not settle its directory-channel share.
    expect(settledRequestStatus(both, [row(1, 'active'), onDirectory('fd-prod0001', 'active')])).toBeNull();
    expect(settledRequestStatus(both, [row(1, 'active'), onDirectory('fd-prod0001', 'failed'), onDirectory(account(1), 'active')])).toBe('partially_applied');
    expect(settledRequestStatus(both, [row(1, 'active'), onDirectory('fd-prod0001', 'revoked'), onDirectory(account(1), 'active')])).toBe('applied');
  });
});

describe('a crash after the rows moved and before the request was updated', () => {
  async function crashedApproval() {
    const w = crashWorld();
    const { request } = await w.governor.requestShare(alice, shareInput([1, 2]));
    await expect(w.crashing.approve(bob, request.requestId, {})).rejects.toThrow('killed');
    return { ...w, request };
  }

  it('leaves ECS and every row right but the request approved (the window, reproduced)', async () => {
    const w = await crashedApproval();
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(1), account(2)]);
    expect(await w.rowStates()).toEqual(['1:active', '2:active']);
    expect((await w.store.getRequest(w.request.requestId))?.status).toBe('approved');
  });

  it('is finished by the next reconcile run once past the grace period, though no row moves in it', async () => {
    const w = await crashedApproval();
    // Within the grace period the call may still be running: nothing is decided for it.
    expect((await w.sweep()).findings.unfinished_request).toBeUndefined();
    w.clock.advance(301_000);
    const report = await w.sweep('report');
    expect((await w.store.getRequest(w.request.requestId))?.status).toBe('approved');
    const tally = await w.sweep();
    expect([report.findings.unfinished_request, tally.findings.unfinished_request, tally.actions.request_finished]).toEqual([1, 1, 1]);
    expect((await w.store.getRequest(w.request.requestId))?.status).toBe('applied');
    expect((await w.sweep()).findings.unfinished_request).toBeUndefined();
  });

  it('is finished by the client retrying the approval, which answers applied', async () => {
    const w = await crashedApproval();
    const retried = await w.governor.approve(bob, w.request.requestId, {});
    expect(retried.request.status).toBe('applied');
    expect(retried.shares.map((s) => s.state)).toEqual(['active', 'active']);
    expect(w.images.callsOf('addShares')).toHaveLength(1);
  });

  it('is finished by a retried share call with the same key when no approval was needed', async () => {
    const w = crashWorld({ approvalRequired: false });
    await expect(w.crashing.requestShare(alice, shareInput([1]), { requestKey: 'key-1' })).rejects.toThrow('killed');
    expect(await w.rowStates()).toEqual(['1:active']);
    const retried = await w.governor.requestShare(alice, shareInput([1]), { requestKey: 'key-1' });
    expect(retried.outcome).toBe('applied');
    expect(retried.request.status).toBe('applied');
  });
});

describe('every path that settles the last unsettled row finishes the request', () => {
  it('an unshare that withdraws the last approved row of an approved request', async () => {
    const w = crashWorld();
    const { request } = await w.governor.requestShare(alice, shareInput([1, 2]));
    // The approval stops after the decision: both rows still `approved`, nothing in ECS.
    w.store.failNext('updateShare');
    await w.governor.approve(bob, request.requestId, {}).catch(() => undefined);
    expect((await w.store.getRequest(request.requestId))?.status).toBe('approved');
    await w.governor.unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(1), account(2)], reason: 'not needed' });
    expect(await w.rowStates()).toEqual(['1:revoked', '2:revoked']);
    expect((await w.store.getRequest(request.requestId))?.status).toBe('applied');
  });

  it('the reconciler, for an approved request some of whose rows were never written: those accounts failed', async () => {
    const w = crashWorld({ approvalRequired: false });
    // The request row is written, then the call dies writing its share rows: account 1 gets none.
    w.store.failNext('createShare', new Error('killed') as never);
    await expect(w.governor.requestShare(alice, shareInput([1, 2]), { requestKey: 'key-2' })).rejects.toThrow('killed');
    const [request] = w.store.allRequests();
    expect([request?.status, await w.rowStates()]).toEqual(['approved', ['2:approved']]);
    w.clock.advance(301_000);
    // The first run applies the stale approved row; the next one finishes the request from its rows.
    await w.sweep();
    expect([(await w.store.getRequest(request!.requestId))?.status, await w.rowStates()]).toEqual(['approved', ['2:active']]);
    const tally = await w.sweep();
    expect(tally.actions.request_finished).toBe(1);
    expect((await w.store.getRequest(request!.requestId))?.status).toBe('partially_applied');
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(2)]);
  });
});
