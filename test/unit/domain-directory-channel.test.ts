// The directory channel in the governance core, over the in-memory store, ECS and directory (the fake
// passes the DirectoryPort contract the real adapter passes on the emulator): requests naming folders,
// the directory and member accounts, the folder rules at any depth, approval, the directory quota under
// concurrency, both channels on one image, unshare across channels, and what a refused or interrupted
// association leaves behind.
import { describe, expect, it } from 'vitest';
import { GovernorError } from '../../shared/domain/errors.js';
import { createGovernor, type ShareInput } from '../../shared/domain/governor.js';
import type { ShareChannel } from '../../shared/domain/model.js';
import type { Policy } from '../../shared/domain/policy.js';
import type { StorePort } from '../../shared/domain/ports.js';
import { DIRECTORY_ID, FOLDERS, IMAGE, REGION, account, admin, alice, bob, domainWorld, failure, member } from '../support/domain.js';

const world = domainWorld;

/** A share of IMAGE naming `directoryTargets` (and `accountIds`, when given). */
const ask = (directoryTargets: string[], over: Partial<ShareInput> = {}): ShareInput => ({
  regionId: REGION,
  imageId: IMAGE,
  directoryTargets,
  reason: 'platform rollout',
  ticket: 'CHG-7',
  attestation: { sensitiveDataRemoved: true },
  ...over,
});

const rowsOf = async (w: ReturnType<typeof world>) => (await w.store.listShares(REGION, IMAGE)).map((s) => `${s.channel}:${s.target}:${s.state}`);

describe('directory channel: asking, approving, applying', () => {
  it('a folder share waits for approval, reserving the directory quota only, then applies through the service resource share', async () => {
    // Prepare
    const w = world();
    // Act
    const pending = await w.governor.requestShare(alice, ask([FOLDERS.prod]));
    const afterAsk = await w.store.getImage(REGION, IMAGE);
    const result = await w.governor.approve(bob, pending.request.requestId, { comment: 'ok' });
    // Assess
    expect(pending).toMatchObject({ outcome: 'pending', request: { accountIds: [], directoryTargets: [FOLDERS.prod], status: 'pending_approval' } });
    expect(afterAsk).toMatchObject({ quotaUsed: 0, directoryQuotaUsed: 1 });
    const [resourceShareId] = w.directory.sharesHolding(REGION, IMAGE);
    expect(result.request.status).toBe('applied');
    expect(result.shares).toEqual([
      expect.objectContaining({ channel: 'directory', target: FOLDERS.prod, state: 'active', resourceShareId, requestId: pending.request.requestId }),
    ]);
    expect(result.shares[0]).not.toHaveProperty('accountId');
    expect(w.directory.heldFor(REGION, IMAGE)).toEqual([`service/${FOLDERS.prod}`]);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([]);
    const events = w.store.allEvents().map((e) => [e.action, e.channel, e.target, e.accountId]);
    expect(events).toEqual([
      ['share.requested', 'directory', FOLDERS.prod, undefined],
      ['share.approved', 'directory', FOLDERS.prod, undefined],
      ['share.applied', 'directory', FOLDERS.prod, undefined],
    ]);
  });

  it('keeps both channels apart on one image, a member account shared on both at once', async () => {
    // Prepare
    const w = world({ approvalRequired: false });
    // Act
    const out = await w.governor.requestShare(alice, ask([member(1), FOLDERS.dev], { accountIds: [member(1), account(2)] }));
    const described = await w.governor.describeImage(alice, REGION, IMAGE, { live: true });
    // Assess
    expect(out.outcome).toBe('applied');
    expect(await rowsOf(w)).toEqual([`account:${account(2)}:active`, `account:${member(1)}:active`, `directory:${FOLDERS.dev}:active`, `directory:${member(1)}:active`].sort());
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([member(1), account(2)].sort());
    expect(w.directory.heldFor(REGION, IMAGE)).toEqual([`service/${FOLDERS.dev}`, `service/${member(1)}`].sort());
    expect(described.quota).toEqual({ limit: 50, used: 2 });
    expect(described.directoryQuota).toEqual({ limit: 10, used: 2 });
    expect(described.drift).toEqual([]);
    expect(described.shares.map((s) => [s.channel, s.target, s.accountId])).toEqual([
      ['account', account(2), account(2)],
      ['account', member(1), member(1)],
      // Row-key order: dir:3000… before dir:fd-…
      ['directory', member(1), undefined],
      ['directory', FOLDERS.dev, undefined],
    ]);
  });

  it.each([
    ['neither list', { directoryTargets: [] }, '/accountIds'],
    ['a target of no known shape', { directoryTargets: ['r-root0001'] }, '/directoryTargets/0'],
    ['a target twice', { directoryTargets: [FOLDERS.dev, FOLDERS.dev] }, '/directoryTargets/1'],
    ['51 targets', { directoryTargets: Array.from({ length: 51 }, (_, i) => `fd-x${i}`) }, '/directoryTargets'],
  ])('refuses %s with ValidationFailed and writes nothing', async (_name, over, path) => {
    const w = world();
    const error = await failure(w.governor.requestShare(alice, ask([], over as Partial<ShareInput>)));
    expect([error.code, (error.details.errors as { path: string }[]).map((e) => e.path)]).toEqual(['ValidationFailed', [path]]);
    expect(w.store.calls.filter((c) => !c.operation.startsWith('get') && !c.operation.startsWith('list'))).toEqual([]);
  });

  it('refuses the owner as a member target, and what is not in the directory, before any write', async () => {
    const w = world();
    const owner = await failure(w.governor.requestShare(alice, ask([w.deps.policy.ownerAccountId])));
    const stranger = await failure(w.governor.requestShare(alice, ask([account(7)])));
    const noFolder = await failure(w.governor.requestShare(alice, ask(['fd-nowhere01'])));
    expect([owner.code, owner.details]).toEqual(['CannotShareWithOwner', { accounts: [], directoryTargets: [w.deps.policy.ownerAccountId] }]);
    expect([stranger.code, stranger.status, stranger.details]).toEqual(['UnknownAccount', 422, { directoryTargets: [account(7)] }]);
    expect([noFolder.code, noFolder.status]).toEqual(['UnknownAccount', 422]);
    expect(await w.store.getImage(REGION, IMAGE)).toBeNull();
  });

  it('needs an approver for a folder or the directory even when every account is exempt; an exempt member target applies at once', async () => {
    const w = world({ approvalExemptAccounts: [member(3)], allowDirectoryWideShares: true });
    expect((await w.governor.requestShare(alice, ask([member(3)]))).outcome).toBe('applied');
    expect((await w.governor.requestShare(alice, ask([FOLDERS.web]))).outcome).toBe('pending');
  });

  it('records the refused and the accepted targets of an association that failed, and gives the refused ones their quota back', async () => {
    // Prepare
    const w = world({ approvalRequired: false });
    w.directory.failAssociations(FOLDERS.dev, 'LimitExceeded');
    // Act
    const error = await failure(w.governor.requestShare(alice, ask([FOLDERS.dev, FOLDERS.web])));
    // Assess
    expect(error.code).toBe('ShareQuotaExceeded');
    expect(error.details).toMatchObject({ appliedDirectoryTargets: [FOLDERS.web], failedDirectoryTargets: [FOLDERS.dev] });
    expect(await rowsOf(w)).toEqual([`directory:${FOLDERS.dev}:failed`, `directory:${FOLDERS.web}:active`]);
    expect(w.store.allRequests().map((r) => r.status)).toEqual(['partially_applied']);
    expect(await w.directoryQuotaUsed()).toBe(1);
  });

  it('leaves the applying intents in place when Resource Sharing is unavailable, quota held, for a retry or the reconciler', async () => {
    const w = world({ approvalRequired: false });
    w.directory.failNext('addTargets', new GovernorError('UpstreamUnavailable', 'Resource Sharing is down'));
    const error = await failure(w.governor.requestShare(alice, ask([FOLDERS.dev])));
    expect(error.code).toBe('UpstreamUnavailable');
    expect(w.store.allShares().map((s) => [s.target, s.state, s.lastError])).toEqual([[FOLDERS.dev, 'applying', 'UpstreamUnavailable']]);
    expect(await w.directoryQuotaUsed()).toBe(1);
  });

  it('re-checks the folder rules at approval: a folder denied meanwhile is refused and the request stays pending', async () => {
    const w = world();
    const { request } = await w.governor.requestShare(alice, ask([FOLDERS.web]));
    const strict = createGovernor({ ...w.deps, policy: { ...w.deps.policy, denyFolders: [FOLDERS.prod] } });
    const error = await failure(strict.approve(bob, request.requestId, {}));
    expect([error.code, error.message, error.details['refusals']]).toEqual([
      'AccountNotAllowed',
      `Policy no longer allows sharing with ${FOLDERS.web} (it lies in a denied folder: ${FOLDERS.prod}); reject the request`,
      [{ target: FOLDERS.web, reason: 'denied_folder', because: FOLDERS.prod }],
    ]);
    expect((await w.store.getRequest(request.requestId))?.status).toBe('pending_approval');
    expect(w.directory.heldFor(REGION, IMAGE)).toEqual([]);
  });

  it('replays a retried request with the same key, and refuses the key for another target list', async () => {
    const w = world({ approvalRequired: false });
    const first = await w.governor.requestShare(alice, ask([FOLDERS.dev]), { requestKey: 'alice/k1' });
    const again = await w.governor.requestShare(alice, ask([FOLDERS.dev]), { requestKey: 'alice/k1' });
    const other = await failure(w.governor.requestShare(alice, ask([FOLDERS.web]), { requestKey: 'alice/k1' }));
    expect(again).toEqual(first);
    expect(other.code).toBe('IdempotencyKeyReused');
    expect(await w.directoryQuotaUsed()).toBe(1);
  });
});

describe('directory channel: the folder rules', () => {
  /** The policy's answer for one target: null when allowed, else the refusal. */
  async function verdict(policy: Partial<Policy>, target: string): Promise<unknown> {
    const w = world(policy);
    try {
      await w.governor.requestShare(alice, ask([target]));
      return null;
    } catch (e) {
      if (!(e instanceof GovernorError)) throw e;
      return e.code === 'AccountNotAllowed' ? (e.details['refusals'] as unknown[])[0] : e.code;
    }
  }

  it.each([
    ['the directory, by default', {}, DIRECTORY_ID, { target: DIRECTORY_ID, reason: 'directory_wide' }],
    ['the directory, when directory-wide shares are allowed', { allowDirectoryWideShares: true }, DIRECTORY_ID, null],
    ['a nested folder inside an allowed one', { allowFolders: [FOLDERS.prod] }, FOLDERS.web, null],
    ['a member inside an allowed folder at depth', { allowFolders: [FOLDERS.prod] }, member(1), null],
    ['a folder outside the allowed ones', { allowFolders: [FOLDERS.prod] }, FOLDERS.dev, { target: FOLDERS.dev, reason: 'outside_allowed_folders' }],
    ['a member in the root while folders are allowed', { allowFolders: [FOLDERS.prod] }, member(4), { target: member(4), reason: 'outside_allowed_folders' }],
    ['a parent of the allowed folder', { allowFolders: [FOLDERS.web] }, FOLDERS.prod, { target: FOLDERS.prod, reason: 'outside_allowed_folders' }],
    ['a folder inside a denied one', { denyFolders: [FOLDERS.prod] }, FOLDERS.web, { target: FOLDERS.web, reason: 'denied_folder', because: FOLDERS.prod }],
    ['a member two levels below a denied folder', { denyFolders: [FOLDERS.prod] }, member(2), { target: member(2), reason: 'denied_folder', because: FOLDERS.prod }],
    ['a folder that contains a denied one', { denyFolders: [FOLDERS.web] }, FOLDERS.prod, { target: FOLDERS.prod, reason: 'contains_denied_folder', because: FOLDERS.web }],
    [
      'the directory while a folder is denied',
      { allowDirectoryWideShares: true, denyFolders: [FOLDERS.dev] },
      DIRECTORY_ID,
      { target: DIRECTORY_ID, reason: 'contains_denied_folder', because: FOLDERS.dev },
    ],
    [
      'a folder two levels above a denied account',
      { denyAccounts: [member(2)] },
      FOLDERS.prod,
      { target: FOLDERS.prod, reason: 'contains_denied_account', because: member(2) },
    ],
    [
      'the directory while an account in it is denied',
      { allowDirectoryWideShares: true, denyAccounts: [member(3)] },
      DIRECTORY_ID,
      { target: DIRECTORY_ID, reason: 'contains_denied_account', because: member(3) },
    ],
    ['a folder beside a denied account', { denyAccounts: [member(2)] }, FOLDERS.dev, null],
    ['a folder while the denied account is in no directory', { denyAccounts: [account(9)] }, FOLDERS.prod, null],
    ['a denied member account', { denyAccounts: [member(3)] }, member(3), { target: member(3), reason: 'account_not_allowed' }],
    ['a member not on the account allowlist', { allowAccounts: [member(1)] }, member(3), { target: member(3), reason: 'account_not_allowed' }],
    ['a folder while an account allowlist is set', { allowAccounts: [member(1)] }, FOLDERS.dev, null],
  ] as [string, Partial<Policy>, string, unknown][])('%s', async (_name, policy, target, expected) => {
    expect(await verdict(policy, target)).toEqual(expected);
  });

  it('names every refused target with its reason in one 403, and looks each target and denied id up once', async () => {
    // Prepare
    const w = world({ denyFolders: [FOLDERS.web], denyAccounts: [member(3)] });
    // Act
    const error = await failure(w.governor.requestShare(alice, ask([FOLDERS.prod, FOLDERS.dev, DIRECTORY_ID, member(4)])));
    // Assess
    expect([error.code, error.status]).toEqual(['AccountNotAllowed', 403]);
    expect(error.details).toEqual({
      directoryTargets: [FOLDERS.prod, FOLDERS.dev, DIRECTORY_ID],
      refusals: [
        { target: FOLDERS.prod, reason: 'contains_denied_folder', because: FOLDERS.web },
        { target: FOLDERS.dev, reason: 'contains_denied_account', because: member(3) },
        { target: DIRECTORY_ID, reason: 'directory_wide' },
      ],
    });
    const keys = w.directory.callsOf('lookup').map((c) => c.targets![0]);
    expect([...keys].sort()).toEqual(
      [`folder:${FOLDERS.prod}`, `folder:${FOLDERS.dev}`, 'directory', `account:${member(4)}`, `folder:${FOLDERS.web}`, `account:${member(3)}`].sort(),
    );
    expect(await w.store.getImage(REGION, IMAGE)).toBeNull();
  });
});

describe('directory channel: quota', () => {
  it('lets exactly the directory limit of 60 concurrent single-target requests through, and never touches the account quota', async () => {
    // Prepare: 60 distinct folders would need 60 folders; distinct member targets do the same
    const w = world({ approvalRequired: false, maxDirectoryTargetsPerImage: 3 });
    const folders = [FOLDERS.prod, FOLDERS.web, FOLDERS.dev, member(1), member(2), member(3), member(4)];
    // Act
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => w.governor.requestShare({ ...alice, requestId: `http-${i}` }, ask([folders[i % folders.length]!]))),
    );
    // Assess
    const codes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as GovernorError).code));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(3);
    // The rest find the quota full, or their target taken by a request that got through.
    expect(codes.filter((c) => c !== 'ok' && c !== 'ShareQuotaExceeded' && c !== 'ShareAlreadyExists')).toEqual([]);
    expect(await w.store.getImage(REGION, IMAGE)).toMatchObject({ quotaUsed: 0, directoryQuotaUsed: 3 });
    expect(w.store.allShares().filter((s) => s.state === 'active')).toHaveLength(3);
    expect(w.directory.heldFor(REGION, IMAGE)).toHaveLength(3);
  });

  it('answers the directory quota in its own words, and a full directory quota leaves account shares possible', async () => {
    const w = world({ approvalRequired: false, maxDirectoryTargetsPerImage: 1 });
    await w.governor.requestShare(alice, ask([FOLDERS.dev]));
    const error = await failure(w.governor.requestShare(alice, ask([FOLDERS.web], { accountIds: [account(1)] })));
    expect([error.code, error.message, error.details]).toEqual([
      'ShareQuotaExceeded',
      `Image ${IMAGE} can be shared with at most 1 directory targets`,
      { limit: 1, used: 1, requested: 1, channel: 'directory' },
    ]);
    // Neither counter moved: the refusal came before the first reservation.
    expect(await w.store.getImage(REGION, IMAGE)).toMatchObject({ quotaUsed: 0, directoryQuotaUsed: 1 });
    expect((await w.governor.requestShare(alice, { ...ask([]), directoryTargets: [], accountIds: [account(1)] })).outcome).toBe('applied');
  });

  it('gives the account reservation back when the directory reservation then loses a race', async () => {
    // Prepare: another request takes the last directory unit right after this one reserved its accounts
    const w = world({ approvalRequired: false, maxDirectoryTargetsPerImage: 1 });
    const racing: StorePort = new Proxy(w.store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (name !== 'adjustQuota') return value.bind(target);
        return async (regionId: string, imageId: string, delta: number, limit: number, now: Date, channel: ShareChannel) => {
          const used = await target.adjustQuota(regionId, imageId, delta, limit, now, channel);
          if (channel === 'account' && delta > 0) await target.adjustQuota(regionId, imageId, 1, 1, now, 'directory');
          return used;
        };
      },
    });
    const governor = createGovernor({ ...w.deps, store: racing });
    // Act
    const error = await failure(governor.requestShare(alice, ask([FOLDERS.dev], { accountIds: [account(1)] })));
    // Assess: refused without a request, and only the racing unit is held
    expect([error.code, error.details]).toEqual(['ShareQuotaExceeded', { limit: 1, used: 1, requested: 1, channel: 'directory' }]);
    expect(await w.store.getImage(REGION, IMAGE)).toMatchObject({ quotaUsed: 0, directoryQuotaUsed: 1 });
    expect(w.store.allRequests()).toEqual([]);
  });
});

describe('directory channel: unshare', () => {
  it('removes a target from the service share and lists the directory results apart', async () => {
    // Prepare
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, ask([FOLDERS.dev, FOLDERS.web], { accountIds: [account(1)] }));
    // Act
    const out = await w.governor.unshare(alice, { regionId: REGION, imageId: IMAGE, directoryTargets: [FOLDERS.dev, FOLDERS.prod], accountIds: [account(5)], reason: 'done' });
    // Assess
    expect(out.shares.map((s) => [s.channel, s.target, s.state])).toEqual([['directory', FOLDERS.dev, 'revoked']]);
    expect([out.notShared, out.revokedOutsideService]).toEqual([[account(5)], []]);
    expect(out.directory).toEqual({ notShared: [FOLDERS.prod], revokedOutsideService: [], removedFromShares: [] });
    expect(w.directory.heldFor(REGION, IMAGE)).toEqual([`service/${FOLDERS.web}`]);
    expect(w.images.sharedWith(REGION, IMAGE)).toEqual([account(1)]);
    expect(await w.directoryQuotaUsed()).toBe(1);
  });

  it('takes the image out of a share the service does not own, names every target that lost it, and revokes the rows held through it', async () => {
    // Prepare: the console shared IMAGE and another image with dev and web; the service adopted web from it
    const w = world({ reconcileMode: 'enforce', unmanagedShares: 'adopt' });
    const other = w.images.addImage({ regionId: REGION }).imageId;
    const console = w.directory.addOutOfBandShare({ images: [IMAGE, other], targets: [FOLDERS.dev, FOLDERS.web] });
    const { adoptShare } = await import('../../shared/domain/transitions.js');
    const reconciler = { principal: { id: 'system:reconcile', roles: [] }, requestId: 'run-1' };
    await adoptShare(w.deps, reconciler, REGION, IMAGE, { channel: 'directory', target: FOLDERS.web, resourceShareId: console });
    // Act
    const out = await w.governor.unshare(admin, { regionId: REGION, imageId: IMAGE, directoryTargets: [FOLDERS.dev], reason: 'no longer' });
    // Assess
    expect(out.shares.map((s) => [s.target, s.state, s.origin])).toEqual([[FOLDERS.web, 'revoked', 'adopted']]);
    expect(out.directory.removedFromShares).toEqual([{ resourceShareId: console, resourceShareName: expect.any(String), targets: [FOLDERS.dev, FOLDERS.web] }]);
    expect(out.directory.notShared).toEqual([]);
    expect(out.warning).toMatch(/every target of those shares lost it/);
    expect(w.directory.heldFor(REGION, IMAGE)).toEqual([]);
    // The share keeps its other image and every target.
    expect(w.directory.heldFor(REGION, other)).toEqual([`${console}/${FOLDERS.dev}`, `${console}/${FOLDERS.web}`]);
    const trail = w.store.allEvents().filter((e) => e.action === 'share.revoked').map((e) => [e.target, e.detail ?? null]);
    expect(trail).toEqual(
      expect.arrayContaining([
        [FOLDERS.web, null],
        [FOLDERS.dev, `image removed from resource share ${console} (not managed by the service)`],
      ]),
    );
    expect(await w.directoryQuotaUsed()).toBe(0);
  });

  it('refuses while a named directory share is being applied, before any change', async () => {
    const w = world({ approvalRequired: false });
    w.directory.failNext('addTargets', new GovernorError('UpstreamUnavailable'));
    await failure(w.governor.requestShare(alice, ask([FOLDERS.dev])));
    const error = await failure(w.governor.unshare(alice, { regionId: REGION, imageId: IMAGE, directoryTargets: [FOLDERS.dev], reason: 'stop' }));
    expect([error.code, error.details]).toEqual(['ConcurrentModification', { accounts: [], directoryTargets: [FOLDERS.dev] }]);
  });
});

describe('directory channel: guard and drain', () => {
  it('guard refuses while only a resource share holds the image, naming its channel, target and share', async () => {
    const w = world();
    const console = w.directory.addOutOfBandShare({ images: [IMAGE], targets: [FOLDERS.dev] });
    const error = await failure(w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'guard', reason: 'retire' }));
    expect([error.code, error.details]).toEqual([
      'ImageStillShared',
      { shares: [], targets: [{ channel: 'directory', target: FOLDERS.dev, resourceShareId: console }], resourceShares: [console] },
    ]);
    expect(w.images.isDeleted(REGION, IMAGE)).toBe(false);
  });

  it('guard refuses while a share holds the image with no target at all', async () => {
    const w = world();
    const empty = w.directory.addOutOfBandShare({ images: [IMAGE], targets: [] });
    const error = await failure(w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'guard', reason: 'retire' }));
    expect([error.code, error.details]).toEqual(['ImageStillShared', { shares: [], targets: [], resourceShares: [empty] }]);
  });

  it('drain revokes both channels, takes the image out of every other share, and deletes once neither lists anything', async () => {
    // Prepare
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, ask([FOLDERS.dev], { accountIds: [account(1)] }));
    const other = w.images.addImage({ regionId: REGION }).imageId;
    const console = w.directory.addOutOfBandShare({ images: [IMAGE, other], targets: [FOLDERS.web] });
    w.images.shareOutOfBand(REGION, IMAGE, account(8));
    // Act
    const out = await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' });
    // Assess
    expect(out).toEqual({ status: 'deleted' });
    expect(w.images.isDeleted(REGION, IMAGE)).toBe(true);
    expect(w.directory.sharesHolding(REGION, IMAGE)).toEqual([]);
    expect(w.directory.heldFor(REGION, other)).toEqual([`${console}/${FOLDERS.web}`]);
    expect(await rowsOf(w)).toEqual([`account:${account(1)}:revoked`, `directory:${FOLDERS.dev}:revoked`]);
    expect(await w.store.getImage(REGION, IMAGE)).toMatchObject({ lifecycle: 'deleted', quotaUsed: 0, directoryQuotaUsed: 0 });
  });

  it('drain waits while Resource Sharing is unavailable and does not delete', async () => {
    const w = world({ approvalRequired: false });
    await w.governor.requestShare(alice, ask([FOLDERS.dev]));
    w.directory.failNext('removeTargets', new GovernorError('UpstreamUnavailable'));
    const out = await w.governor.requestDeletion(admin, REGION, IMAGE, { mode: 'drain', reason: 'retire' });
    expect(out).toEqual({ status: 'draining', remaining: 1 });
    expect(w.images.isDeleted(REGION, IMAGE)).toBe(false);
    expect((await w.governor.deletionStatus(admin, REGION, IMAGE)).lastError).toBe('UpstreamUnavailable');
  });
});
