// One drift definition (shared/domain/drift.ts) for describe and the reconciler: for a row in every
// share state, on either channel, with its channel listing the target or not, both classify the image
// identically, and as the definition says — unmanaged unless the row claims the listing (approved,
// applying, active, revoking); missing when an active row's target is not listed.
import { describe, expect, it } from 'vitest';
import { DirectoryLookupCache, serviceShareName } from '../../shared/domain/directory.js';
import { CLAIMING_STATES, driftOf } from '../../shared/domain/drift.js';
import { type Share, type ShareChannel, type ShareState, targetFields } from '../../shared/domain/model.js';
import { reconcileImage } from '../../shared/domain/reconcile/image.js';
import { RECONCILE_PRINCIPAL } from '../../shared/domain/reconcile/run.js';
import { RunTally } from '../../shared/domain/reconcile/tally.js';
import { FOLDERS, REGION, account, alice, domainWorld } from '../support/domain.js';
import { T0 } from '../support/clock.js';

const STATES: ShareState[] = ['pending_approval', 'approved', 'applying', 'active', 'revoking', 'revoked', 'rejected', 'expired', 'failed'];
const A = account(1);
const B = account(2);

/** The target the row is about on each channel, and the one listed without any row. */
const SUBJECTS: Readonly<Record<ShareChannel, { a: string; b: string }>> = {
  account: { a: A, b: B },
  directory: { a: FOLDERS.web, b: FOLDERS.dev },
};

/**
 * One image: a row for A in `state` on `channel`, the channel listing A or not, and B listed with no
 * row at all (the account list; or the service's resource share for A, a share made outside for B).
 */
async function fixture(channel: ShareChannel, state: ShareState, listed: boolean, opts: { isPublic?: boolean } = {}) {
  const w = domainWorld({ reconcileMode: 'report' });
  const image = w.images.addImage({ regionId: REGION, isPublic: opts.isPublic ?? false });
  const { a, b } = SUBJECTS[channel];
  await w.store.createImage({
    regionId: REGION,
    imageId: image.imageId,
    lifecycle: 'active',
    quotaUsed: 0,
    directoryQuotaUsed: 0,
    deletion: { status: 'none' },
    createdAt: T0,
    updatedAt: T0,
    version: 1,
  });
  await w.store.createShare({
    regionId: REGION,
    imageId: image.imageId,
    ...targetFields({ channel, target: a }),
    state,
    origin: 'request',
    requestId: 'sr-x',
    createdAt: T0,
    updatedAt: T0,
    version: 1,
  });
  let outside = '';
  if (channel === 'account') {
    if (listed) w.images.shareOutOfBand(REGION, image.imageId, a);
    w.images.shareOutOfBand(REGION, image.imageId, b);
  } else {
    if (listed) await w.directory.addTargets(REGION, image.imageId, [a]);
    outside = w.directory.addOutOfBandShare({ images: [image.imageId], targets: [b] });
  }

  const described = await w.governor.describeImage(alice, REGION, image.imageId, { live: true });
  const tally = new RunTally();
  await reconcileImage(
    { deps: w.deps, ctx: { principal: RECONCILE_PRINCIPAL, requestId: 'run-d' }, mode: 'report', tally, lookups: new DirectoryLookupCache() },
    REGION,
    image.imageId,
    image,
  );
  const count = (kind: string) => described.drift.filter((d) => d.kind === kind).length;
  return {
    describe: { unmanaged: count('unmanaged'), missing: count('missing'), public: count('public') },
    reconcile: { unmanaged: tally.findings.unmanaged ?? 0, missing: tally.findings.missing ?? 0, public: tally.findings.public ?? 0 },
    drift: described.drift,
    outside,
    serviceShare: w.directory.sharesHolding(REGION, image.imageId).find((id) => id !== outside),
  };
}

describe('drift: describe and the reconciler classify the same state the same way', () => {
  const cases = (['account', 'directory'] as const).flatMap((channel) =>
    STATES.flatMap((state) => [true, false].map((listed) => [channel, state, listed] as const)),
  );
  it.each(cases)('%s channel, a %s row, listed: %s', async (channel, state, listed) => {
    const { describe: d, reconcile: r, drift, outside, serviceShare } = await fixture(channel, state, listed);
    const { a, b } = SUBJECTS[channel];
    const unmanagedA = listed && !CLAIMING_STATES.includes(state);
    const missingA = !listed && state === 'active';
    expect(d).toEqual(r);
    // B (listed, no row) is always unmanaged; A as the definition says.
    if (channel === 'account') {
      expect(drift).toEqual([
        ...[...(unmanagedA ? [a] : []), b].sort().map((accountId) => ({ kind: 'unmanaged', channel, target: accountId, accountId })),
        ...(missingA ? [{ kind: 'missing', channel, target: a, accountId: a }] : []),
      ]);
    } else {
      const unmanaged = [
        ...(unmanagedA ? [{ kind: 'unmanaged', channel, target: a, resourceShareId: serviceShare }] : []),
        { kind: 'unmanaged', channel, target: b, resourceShareId: outside },
      ];
      expect(drift).toEqual([
        ...unmanaged.sort((x, y) => String(x.resourceShareId).localeCompare(String(y.resourceShareId))),
        ...(missingA ? [{ kind: 'missing', channel, target: a }] : []),
      ]);
    }
  });

  it('reports a community image as public in both', async () => {
    const { describe: d, reconcile: r, drift } = await fixture('account', 'active', true, { isPublic: true });
    expect(d).toEqual({ unmanaged: 1, missing: 0, public: 1 });
    expect(r).toEqual(d);
    expect(drift.at(-1)).toEqual({ kind: 'public', channel: 'account', target: 'all' });
  });

  const row = (channel: ShareChannel, target: string, state: ShareState, over: Partial<Share> = {}): Share => ({
    regionId: REGION,
    imageId: 'm-x',
    ...targetFields({ channel, target }),
    state,
    origin: 'request' as const,
    createdAt: T0,
    updatedAt: T0,
    version: 1,
    ...over,
  });
  const holding = (resourceShareId: string, owner: 'service' | 'other', targets: string[], name = owner === 'service' ? serviceShareName('m-x') : 'console-1') => ({
    resourceShareId,
    resourceShareName: name,
    owner,
    status: 'associated' as const,
    targets: targets.map((target) => ({ target, status: 'associated' as const })),
  });

  it('driftOf: a pending_approval row does not claim a listing; approved, applying, active and revoking do', () => {
    const report = driftOf(
      [row('account', account(1), 'pending_approval'), row('account', account(2), 'approved'), row('account', account(3), 'revoking'), row('account', account(4), 'active')],
      { permissions: { accounts: [1, 2, 3, 5].map((n) => ({ accountId: account(n) })), isPublic: false }, holdings: [] },
      { allowPublicImages: false },
    );
    expect(report).toEqual({
      unmanaged: [account(1), account(5)].map((target) => ({ channel: 'account', target })),
      missing: [row('account', account(4), 'active')],
      public: false,
    });
  });

  it('driftOf: a directory row claims its target in the service share, or in the very share it was adopted from', () => {
    const applied = row('directory', FOLDERS.web, 'active', { resourceShareId: 'rs-old' });
    const adopted = row('directory', FOLDERS.dev, 'active', { origin: 'adopted', resourceShareId: 'rs-console' });
    const lost = row('directory', FOLDERS.prod, 'active', { origin: 'adopted', resourceShareId: 'rs-gone' });
    const report = driftOf(
      [applied, adopted, lost],
      {
        permissions: { accounts: [], isPublic: false },
        // The service share was re-created since the row recorded its id; the adopted share also reaches web.
        holdings: [holding('rs-new', 'service', [FOLDERS.web]), holding('rs-console', 'other', [FOLDERS.dev, FOLDERS.web])],
      },
      { allowPublicImages: false },
    );
    expect(report.unmanaged).toEqual([
      { channel: 'directory', target: FOLDERS.web, resourceShareId: 'rs-console', resourceShareName: 'console-1', owner: 'other', status: 'associated' },
    ]);
    expect(report.missing).toEqual([lost]);
  });

  it('driftOf: a Failed association grants nothing: not unmanaged, and an active row on it is missing', () => {
    const failedTarget = { ...holding('rs-new', 'service', []), targets: [{ target: FOLDERS.web, status: 'failed' as const }] };
    const report = driftOf([row('directory', FOLDERS.web, 'active')], { permissions: { accounts: [], isPublic: false }, holdings: [failedTarget] }, { allowPublicImages: false });
    expect(report).toEqual({ unmanaged: [], missing: [row('directory', FOLDERS.web, 'active')], public: false });
  });
});
