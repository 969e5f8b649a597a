// One drift definition (shared/domain/drift.ts) for describe and the reconciler: for a row in every
// share state, with ECS listing its account or not, both classify the image identically, and as the
// definition says — unmanaged unless the row claims the listing (approved, applying, active,
// revoking); missing when an active row's account is not listed.
import { describe, expect, it } from 'vitest';
import { CLAIMING_STATES, driftOf } from '../../shared/domain/drift.js';
import type { ShareState } from '../../shared/domain/model.js';
import { reconcileImage } from '../../shared/domain/reconcile/image.js';
import { RECONCILE_PRINCIPAL } from '../../shared/domain/reconcile/run.js';
import { RunTally } from '../../shared/domain/reconcile/tally.js';
import { REGION, account, alice, domainWorld } from '../support/domain.js';
import { T0 } from '../support/clock.js';

const STATES: ShareState[] = ['pending_approval', 'approved', 'applying', 'active', 'revoking', 'revoked', 'rejected', 'expired', 'failed'];
const A = account(1);
const B = account(2);

/** One image: a row for A in `state`, ECS listing A or not, and B listed with no row at all. */
async function fixture(state: ShareState, listed: boolean, opts: { isPublic?: boolean } = {}) {
  const w = domainWorld({ reconcileMode: 'report' });
  const image = w.images.addImage({ regionId: REGION, isPublic: opts.isPublic ?? false });
  await w.store.createImage({
    regionId: REGION,
    imageId: image.imageId,
    lifecycle: 'active',
    quotaUsed: 0,
    deletion: { status: 'none' },
    createdAt: T0,
    updatedAt: T0,
    version: 1,
  });
  await w.store.createShare({
    regionId: REGION,
    imageId: image.imageId,
    accountId: A,
    state,
    origin: 'request',
    requestId: 'sr-x',
    createdAt: T0,
    updatedAt: T0,
    version: 1,
  });
  if (listed) w.images.shareOutOfBand(REGION, image.imageId, A);
  w.images.shareOutOfBand(REGION, image.imageId, B);

  const described = await w.governor.describeImage(alice, REGION, image.imageId, { live: true });
  const tally = new RunTally();
  await reconcileImage(
    { deps: w.deps, ctx: { principal: RECONCILE_PRINCIPAL, requestId: 'run-d' }, mode: 'report', tally },
    REGION,
    image.imageId,
    image,
  );
  const count = (kind: string) => described.drift.filter((d) => d.kind === kind).length;
  return {
    describe: { unmanaged: count('unmanaged'), missing: count('missing'), public: count('public') },
    reconcile: { unmanaged: tally.findings.unmanaged ?? 0, missing: tally.findings.missing ?? 0, public: tally.findings.public ?? 0 },
    drift: described.drift,
  };
}

describe('drift: describe and the reconciler classify the same ECS state the same way', () => {
  it.each(STATES.flatMap((state) => [true, false].map((listed) => [state, listed] as const)))(
    'a %s row, ECS listing the account: %s',
    async (state, listed) => {
      const { describe: d, reconcile: r, drift } = await fixture(state, listed);
      const unmanagedA = listed && !CLAIMING_STATES.includes(state);
      const missingA = !listed && state === 'active';
      expect(d).toEqual(r);
      // B (listed, no row) is always unmanaged; A as the definition says.
      expect(drift).toEqual([
        ...[...(unmanagedA ? [A] : []), B].sort().map((accountId) => ({ kind: 'unmanaged', accountId })),
        ...(missingA ? [{ kind: 'missing', accountId: A }] : []),
      ]);
    },
  );

  it('reports a community image as public in both', async () => {
    const { describe: d, reconcile: r } = await fixture('active', true, { isPublic: true });
    expect(d).toEqual({ unmanaged: 1, missing: 0, public: 1 });
    expect(r).toEqual(d);
  });

  it('driftOf: a pending_approval row does not claim a listing; approved, applying, active and revoking do', () => {
    const row = (accountId: string, state: ShareState) => ({
      regionId: REGION,
      imageId: 'm-x',
      accountId,
      state,
      origin: 'request' as const,
      createdAt: T0,
      updatedAt: T0,
      version: 1,
    });
    const report = driftOf(
      [row(account(1), 'pending_approval'), row(account(2), 'approved'), row(account(3), 'revoking'), row(account(4), 'active')],
      { accounts: [1, 2, 3, 5].map((n) => ({ accountId: account(n) })), isPublic: false },
      { allowPublicImages: false },
    );
    expect(report).toEqual({ unmanaged: [account(1), account(5)], missing: [row(account(4), 'active')], public: false });
  });
});
