// Races between use cases on one image: whatever the interleaving, the store and ECS agree and the
// quota counter equals the quota-holding rows.
import { describe, expect, it } from 'vitest';
import type { Ctx } from '../../shared/domain/governor.js';
import { holdsQuota } from '../../shared/domain/model.js';
import { RECONCILE_PRINCIPAL } from '../../shared/domain/reconcile/run.js';
import { RunTally } from '../../shared/domain/reconcile/tally.js';
import { START_CURSOR, sweepRegion } from '../../shared/domain/reconcile/sweep.js';
import { DirectoryLookupCache } from '../../shared/domain/directory.js';
import { IMAGE, REGION, account, admin, alice, bob, domainWorld as world, shareInput } from '../support/domain.js';

const input = (accounts: number[]) => shareInput(accounts, { reason: 'race' });

const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** The invariants every interleaving must keep once the dust has settled. */
async function expectConsistent(w: ReturnType<typeof world>): Promise<void> {
  const rows = w.store.allShares();
  const listed = new Set(w.images.sharedWith(REGION, IMAGE));
  const record = await w.store.getImage(REGION, IMAGE);
  expect(record?.quotaUsed ?? 0).toBe(rows.filter((s) => holdsQuota(s.state)).length);
  for (const row of rows) {
    if (row.state === 'active') expect(listed.has(row.target)).toBe(true);
    if (row.state !== 'active' && row.state !== 'applying' && row.state !== 'revoking') expect(listed.has(row.target)).toBe(false);
  }
  for (const id of listed) expect(rows.some((s) => s.accountId === id && ['active', 'applying', 'revoking'].includes(s.state))).toBe(true);
}

describe('governor races', () => {
  it.each(Array.from({ length: 24 }, (_, k) => k))('approve vs unshare of the same accounts, unshare after %i ticks', async (k) => {
    const w = world();
    const { request } = await w.governor.requestShare(alice, input([1, 2]));
    const approving = w.governor.approve(bob, request.requestId, {}).catch((e: { code?: string }) => e.code);
    await ticks(k);
    const unsharing = w.governor
      .unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(1), account(2)], reason: 'changed mind' })
      .catch((e: { code?: string }) => e.code);
    const [approved, unshared] = await Promise.all([approving, unsharing]);
    expect(['ConcurrentModification', undefined]).toContain(typeof unshared === 'string' ? unshared : undefined);
    expect(typeof approved === 'string' ? approved : 'ok').toMatch(/^(ok|RequestNotPending)$/);
    await expectConsistent(w);
    // A successful unshare means the accounts are no longer shared, whoever won.
    if (typeof unshared !== 'string') expect(w.images.sharedWith(REGION, IMAGE)).toEqual([]);
  });

  it.each(Array.from({ length: 24 }, (_, k) => k))('share requests vs drain, drain after %i ticks', async (k) => {
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, input([0]));
    const requests = Array.from({ length: 4 }, (_, i) =>
      w.governor.requestShare({ ...alice, requestId: `r${i}` }, input([i + 1])).catch((e: { code?: string }) => e.code),
    );
    await ticks(k);
    const drained = await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' }).catch((e: { code?: string }) => e.code);
    const outcomes = await Promise.all(requests);
    for (const o of outcomes) if (typeof o === 'string') expect(['ImageDeletionPending']).toContain(o);
    expect(typeof drained === 'string' ? drained : drained?.status).toMatch(/^(deleted|draining)$/);
    // A later pass (what the reconciler does) finishes the drain once in-flight applies settled.
    const finished = await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' });
    expect(finished).toEqual({ status: 'deleted' });
    expect(w.images.isDeleted(REGION, IMAGE)).toBe(true);
    expect(w.store.allShares().filter((s) => holdsQuota(s.state) || s.state === 'revoking')).toEqual([]);
    expect((await w.store.getImage(REGION, IMAGE))?.quotaUsed).toBe(0);
  });

  it.each(Array.from({ length: 24 }, (_, k) => k))('drain vs cancel, cancel after %i ticks', async (k) => {
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, input([1, 2]));
    const draining = w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' }).catch((e: { code?: string }) => e.code);
    await ticks(k);
    const cancelling = w.governor.cancelDeletion(admin, REGION, IMAGE).catch((e: { code?: string }) => e.code);
    const [drained, cancelled] = await Promise.all([draining, cancelling]);
    const record = await w.store.getImage(REGION, IMAGE);
    // The record never contradicts ECS, and a drain reported as deleted really deleted the image.
    expect(record?.lifecycle === 'deleted').toBe(w.images.isDeleted(REGION, IMAGE));
    if (typeof drained !== 'string' && drained?.status === 'deleted') expect(w.images.isDeleted(REGION, IMAGE)).toBe(true);
    if (typeof cancelled !== 'string') expect(['active', 'deleted']).toContain(record?.lifecycle);
    else expect(cancelled).toBe('DeletionNotInProgress');
    await expectConsistent(w);
  });

  it.each(Array.from({ length: 16 }, (_, k) => k))('two drains at once, the second after %i ticks', async (k) => {
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, input([1, 2, 3]));
    const first = w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' });
    await ticks(k);
    const second = w.governor.requestDeletion({ ...admin, requestId: 'http-req-10' }, REGION, IMAGE, { mode: 'drain', reason: 'retire' });
    const results = await Promise.allSettled([first, second]);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toMatch(/^(ConcurrentModification|ImageStillShared)$/);
    const finished = await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' });
    expect(finished).toEqual({ status: 'deleted' });
    expect(w.images.callsOf('deleteImage').filter((c) => c.error === undefined)).toHaveLength(1);
    expect(w.store.allEvents().filter((e) => e.action === 'image.deleted')).toHaveLength(1);
    await expectConsistent(w);
  });

  it.each(Array.from({ length: 24 }, (_, k) => [k % 2 === 1, Math.floor(k / 2)] as const))(
    'two concurrent calls with the same request key make one request (approval off: %s, second after %i ticks)',
    async (auto, k) => {
    const w = world({ approvalRequired: !auto });
    const body = input([1, 2, 3]);
    const first = w.governor.requestShare(alice, body, { requestKey: 'alice:same' });
    await ticks(k);
    const results = await Promise.allSettled([first, w.governor.requestShare(alice, body, { requestKey: 'alice:same' })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(w.store.allRequests()).toHaveLength(1);
    expect(w.store.allRequests()[0]?.status).toBe(auto ? 'applied' : 'pending_approval');
    expect(w.store.allShares().map((s) => s.state)).toEqual(Array.from({ length: 3 }, () => (auto ? 'active' : 'pending_approval')));
    expect((await w.store.getImage(REGION, IMAGE))?.quotaUsed).toBe(3);
    await expectConsistent(w);
    },
  );

  it.each(Array.from({ length: 60 }, (_, k) => k))(
    'two calls with one request key while another request takes one of its accounts release the quota once (interleaving %i)',
    async (k) => {
      // Prepare
      const w = world();
      const carol: Ctx = { principal: { id: 'carol', roles: ['requester'] }, requestId: 'http-req-3' };
      // Act
      const first = w.governor.requestShare(alice, input([1, 2, 3, 4, 5]), { requestKey: 'alice:same' }).catch((e: { code?: string }) => e.code);
      await ticks(k % 30);
      const other = w.governor.requestShare(carol, input([3])).catch((e: { code?: string }) => e.code);
      await ticks(Math.floor(k / 4));
      const retry = w.governor.requestShare(alice, input([1, 2, 3, 4, 5]), { requestKey: 'alice:same' }).catch((e: { code?: string }) => e.code);
      const outcomes = await Promise.all([first, retry, other]);
      // Assess: whoever wins, every quota unit is counted exactly once.
      for (const o of outcomes) if (typeof o === 'string') expect(o).toBe('ShareAlreadyExists');
      await expectConsistent(w);
    },
  );

  it.each(Array.from({ length: 48 }, (_, k) => k))(
    'an enforce sweep racing approve, unshare, share, drain and cancel keeps the quota exact (interleaving %i)',
    async (k) => {
      // Prepare: an applied request, a pending one, and two accounts shared outside the service.
      const w = world({ unmanagedShares: k % 2 ? 'adopt' : 'revoke', intentGraceSeconds: 0 });
      const { store, images, clock, deps } = w;
      const applied = (await w.governor.requestShare(alice, input([1, 2]))).request;
      await w.governor.approve(bob, applied.requestId, {});
      const pending = (await w.governor.requestShare(alice, input([3, 4]))).request;
      images.shareOutOfBand(REGION, IMAGE, account(5));
      images.shareOutOfBand(REGION, IMAGE, account(3));
      clock.advance(1000);
      const sweep = () =>
        sweepRegion({ deps, ctx: { principal: RECONCILE_PRINCIPAL, requestId: 'run' }, mode: 'enforce', tally: new RunTally(), lookups: new DirectoryLookupCache() }, REGION, START_CURSOR, {
          concurrency: 1,
          shouldStop: () => false,
        });
      // Act
      const running = sweep();
      await ticks(k % 24);
      const settle = (p: Promise<unknown>) => p.catch((e: { code?: string }) => e.code);
      await Promise.all([
        running,
        settle(w.governor.approve(bob, pending.requestId, {})),
        settle(w.governor.unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(1), account(5)], reason: 'x' })),
        settle(w.governor.requestShare(alice, input([6]))),
        settle(ticks(Math.floor(k / 3)).then(() => w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' }))),
        settle(ticks(Math.floor(k / 2)).then(() => w.governor.cancelDeletion(admin, REGION, IMAGE))),
      ]);
      clock.advance(1000);
      await sweep();
      // Assess: the counter equals the quota-holding rows; an active row is listed unless the image is gone.
      const record = await store.getImage(REGION, IMAGE);
      expect(record?.quotaUsed).toBe(store.allShares().filter((s) => holdsQuota(s.state)).length);
      if (images.isDeleted(REGION, IMAGE)) {
        expect(record?.lifecycle).toBe('deleted');
      } else {
        const listed = new Set(images.sharedWith(REGION, IMAGE));
        for (const row of store.allShares()) if (row.state === 'active') expect(listed.has(row.target)).toBe(true);
      }
      if (record?.lifecycle === 'draining') {
        clock.advance(1000);
        await sweep();
        expect(images.isDeleted(REGION, IMAGE)).toBe(true);
      }
    },
  );

  it.each(Array.from({ length: 24 }, (_, k) => k))(
    'an unshare racing the sweep that re-applies the same missing share wins (unshare after %i ticks)',
    async (k) => {
      // Prepare: an active share ECS lost (removed outside the service).
      const { store, images, clock, deps, governor } = world({ intentGraceSeconds: 0 });
      const { request } = await governor.requestShare(alice, input([1]));
      await governor.approve(bob, request.requestId, {});
      await images.removeShares(REGION, IMAGE, [account(1)]);
      clock.advance(1000);
      const env = { deps, ctx: { principal: RECONCILE_PRINCIPAL, requestId: 'run' }, mode: 'enforce' as const, tally: new RunTally(), lookups: new DirectoryLookupCache() };
      // Act
      const sweeping = sweepRegion(env, REGION, START_CURSOR, { concurrency: 1, shouldStop: () => false });
      await ticks(k);
      const unshared = await governor
        .unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(1)], reason: 'offboarded' })
        .catch((e: { code?: string }) => e.code);
      await sweeping;
      // Assess: a successful unshare is never undone by the repair.
      if (typeof unshared !== 'string') expect(images.sharedWith(REGION, IMAGE)).toEqual([]);
      else expect(unshared).toBe('ConcurrentModification');
      const record = await store.getImage(REGION, IMAGE);
      expect(record?.quotaUsed).toBe(store.allShares().filter((s) => holdsQuota(s.state)).length);
    },
  );
});
