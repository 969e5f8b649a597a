// The share state machine is data (shared/domain/transitions/state-machine.ts): the one share write
// enforces it, new rows start from it, and the domain README shows it as generated from it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Ctx } from '../../shared/domain/governor.js';
import { systemPrincipal } from '../../shared/domain/context.js';
import { TERMINAL_STATES, type ShareState } from '../../shared/domain/model.js';
import { SHARE_TRANSITIONS, initialState, renderTransitionTable, transitionShare } from '../../shared/domain/transitions.js';
import { END, README, START, withRenderedTable } from '../../scripts/render-transitions.js';
import { IMAGE, REGION, account, alice, bob, byAccount, domainWorld, failure, shareInput } from '../support/domain.js';

const reconciler: Ctx = { principal: systemPrincipal('reconcile'), requestId: 'run-1' };
const auditor: Ctx = { principal: { id: 'carol', roles: ['auditor'] }, requestId: 'http-9' };
const STATES: ShareState[] = ['pending_approval', 'approved', 'applying', 'active', 'revoking', 'revoked', 'rejected', 'expired', 'failed'];

describe('share state machine: the table', () => {
  it('is rendered in the domain README exactly as the data says (regenerate: npx tsx scripts/render-transitions.ts)', () => {
    const readme = readFileSync(README, 'utf8');
    const shown = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END)).trim();
    expect(shown).toBe(renderTransitionTable());
    expect(withRenderedTable(readme)).toBe(readme);
  });

  it('gives each (state, event) at most one next state', () => {
    const keys = SHARE_TRANSITIONS.map((t) => `${t.from}/${t.event}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('reaches every state, and leaves no terminal state (a terminal row only starts over as a new share)', () => {
    expect(new Set(SHARE_TRANSITIONS.map((t) => t.to))).toEqual(new Set(STATES));
    expect(SHARE_TRANSITIONS.filter((t) => (TERMINAL_STATES as readonly string[]).includes(t.from))).toEqual([]);
  });

  it('lets no auditor cause anything, and only the reconciler adopt, re-apply, close a missing share or close the rows of a vanished image', () => {
    expect(SHARE_TRANSITIONS.filter((t) => (t.who as readonly string[]).includes('auditor'))).toEqual([]);
    const reconcilerOnly = [...new Set(SHARE_TRANSITIONS.filter((t) => t.who.length === 1 && t.who[0] === 'system:reconcile').map((t) => t.event))];
    expect(reconcilerOnly.sort()).toEqual(['adopt', 'close_missing', 'confirm_expired', 'image_vanished', 'reapply']);
  });
});

describe('share state machine: enforced by the one share write', () => {
  async function pendingRow() {
    const w = domainWorld();
    await w.governor.requestShare(alice, shareInput([1]));
    const row = (await w.store.getShare(REGION, IMAGE, byAccount(account(1))))!;
    return { ...w, row };
  }

  it('moves a row as the table says', async () => {
    const w = await pendingRow();
    const moved = await transitionShare(w.deps, bob, w.row, 'approve');
    expect([moved?.state, (await w.store.getShare(REGION, IMAGE, byAccount(account(1))))?.state]).toEqual(['approved', 'approved']);
  });

  it("writes nothing for an event the table has no transition for from the row's state", async () => {
    const w = await pendingRow();
    const writes = w.store.calls.length;
    // A pending row cannot be confirmed applied, nor start a revoke: it never reached ECS.
    expect(await transitionShare(w.deps, reconciler, w.row, 'confirm_applied')).toBeNull();
    expect(await transitionShare(w.deps, reconciler, w.row, 'start_revoke')).toBeNull();
    expect(w.store.calls.slice(writes).filter((c) => c.operation === 'updateShare')).toEqual([]);
    expect((await w.store.getShare(REGION, IMAGE, byAccount(account(1))))?.state).toBe('pending_approval');
  });

  it('refuses with Forbidden a principal the table does not name, and writes nothing', async () => {
    const w = await pendingRow();
    const byRequester = await failure(transitionShare(w.deps, alice, w.row, 'approve'));
    const byAuditor = await failure(transitionShare(w.deps, auditor, w.row, 'withdraw'));
    const notReconciler = await failure(transitionShare(w.deps, bob, { ...w.row, state: 'active' }, 'close_missing'));
    expect([byRequester.code, byAuditor.code, notReconciler.code]).toEqual(['Forbidden', 'Forbidden', 'Forbidden']);
    expect(byRequester.message).toBe('alice may not cause the share event approve');
    expect((await w.store.getShare(REGION, IMAGE, byAccount(account(1))))?.state).toBe('pending_approval');
  });

  it('starts new rows from the table: a request, a pre-approved request, an adoption', async () => {
    expect([initialState(alice, 'request'), initialState(alice, 'request_preapproved'), initialState(reconciler, 'adopt')]).toEqual([
      'pending_approval',
      'approved',
      'active',
    ]);
    expect((await failure(Promise.resolve().then(() => initialState(alice, 'adopt')))).code).toBe('Forbidden');
    expect((await failure(Promise.resolve().then(() => initialState(alice, 'approve')))).code).toBe('Internal');
  });
});
