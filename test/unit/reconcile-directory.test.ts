// The reconciler on the directory channel, over the in-memory store, ECS and directory (each passes the
// contract its real adapter passes on the emulators): unmanaged resource shares reported, adopted or
// revoked by policy, lost and stale directory shares repaired, expiry, the directory quota recount, and
// a region sweep that reads the region's resource shares once whatever the number of images.
import { describe, expect, it } from 'vitest';
import { FOLDERS, member } from '../support/domain.js';
import { LONG_AGO, REGION, harness, seedImage, seedShare, sweep, writesOf, type Harness } from '../fixtures/reconcile/harness.js';

const IMG = 'm-recondir00001';

const rows = (h: Harness) => h.store.allShares().map((s) => `${s.channel}:${s.target}:${s.state}:${s.origin}`);

describe('reconcile: resource shares made outside the service', () => {
  it('report mode reports every target of such a share, unmanaged on the directory channel, and changes nothing', async () => {
    const h = harness({ unmanagedShares: 'adopt' });
    h.images.addImage({ imageId: IMG });
    const console = h.directory.addOutOfBandShare({ images: [IMG], targets: [FOLDERS.dev, member(1)] });
    const seeded = h.store.calls.length;
    const env = await sweep(h, 'report');
    expect(env.tally.findings).toEqual({ unmanaged: 2 });
    expect(env.tally.actions).toEqual({});
    const detail = `held by resource share ${console} made outside the service; no share of the service claims it`;
    expect(env.tally.unsaved().map(({ finding }) => finding)).toEqual([
      { kind: 'unmanaged', regionId: REGION, imageId: IMG, channel: 'directory', target: FOLDERS.dev, detail, action: 'none', at: expect.any(String) },
      { kind: 'unmanaged', regionId: REGION, imageId: IMG, channel: 'directory', target: member(1), detail, action: 'none', at: expect.any(String) },
    ]);
    expect(writesOf(h, seeded)).toEqual([]);
    expect(h.directory.heldFor(REGION, IMG)).toHaveLength(2);
  });

  it('adopt takes over a share whose every target the policy allows: rows record the share, the directory quota counts them', async () => {
    // Prepare
    const h = harness({ unmanagedShares: 'adopt' });
    h.images.addImage({ imageId: IMG });
    const console = h.directory.addOutOfBandShare({ images: [IMG], targets: [FOLDERS.dev, member(1)] });
    // Act
    const env = await sweep(h, 'enforce');
    const again = await sweep(h, 'enforce');
    // Assess
    expect(env.tally.actions).toEqual({ share_adopted: 2 });
    expect(h.store.allShares().map((s) => [s.channel, s.target, s.state, s.origin, s.resourceShareId])).toEqual([
      ['directory', member(1), 'active', 'adopted', console],
      ['directory', FOLDERS.dev, 'active', 'adopted', console],
    ]);
    expect(await h.store.getImage(REGION, IMG)).toMatchObject({ quotaUsed: 0, directoryQuotaUsed: 2 });
    expect(h.store.allEvents().map((e) => [e.action, e.channel, e.target, e.detail])).toEqual([
      ['reconcile.adopted', 'directory', FOLDERS.dev, console],
      ['reconcile.adopted', 'directory', member(1), console],
    ]);
    // Adopted: the next run finds nothing left to do, and the share is still the console's.
    expect(again.tally.findings).toEqual({});
    expect(h.directory.heldFor(REGION, IMG)).toEqual([`${console}/${FOLDERS.dev}`, `${console}/${member(1)}`].sort());
  });

  it('adopt revokes instead a share with one target the policy refuses: the image leaves it, its other images and targets stay', async () => {
    // Prepare
    const h = harness({ unmanagedShares: 'adopt', denyFolders: [FOLDERS.dev] });
    h.images.addImage({ imageId: IMG });
    const other = h.images.addImage().imageId;
    const console = h.directory.addOutOfBandShare({ images: [IMG, other], targets: [FOLDERS.web, FOLDERS.dev] });
    // Act
    const env = await sweep(h, 'enforce');
    // Assess: one share, two targets lost it (each image's sweep decides for its own image)
    expect(env.tally.actions).toMatchObject({ unmanaged_revoked: 4 });
    expect(h.directory.sharesHolding(REGION, IMG)).toEqual([]);
    expect(h.directory.sharesHolding(REGION, other)).toEqual([]);
    expect(h.store.allShares()).toEqual([]);
    expect(h.store.allEvents().filter((e) => e.imageId === IMG).map((e) => [e.action, e.channel, e.target, e.detail])).toEqual([
      ['reconcile.unmanaged_revoked', 'directory', FOLDERS.web, `image removed from resource share ${console} (not managed by the service)`],
      ['reconcile.unmanaged_revoked', 'directory', FOLDERS.dev, `image removed from resource share ${console} (not managed by the service)`],
    ]);
  });

  it('adopt keeps another image of the same share out of the decision: the share is judged per image', async () => {
    const h = harness({ unmanagedShares: 'adopt' });
    h.images.addImage({ imageId: IMG });
    h.directory.addOutOfBandShare({ images: [IMG], targets: [FOLDERS.web] });
    h.directory.addOutOfBandShare({ images: [IMG], targets: [FOLDERS.dev] });
    const env = await sweep(h, 'enforce');
    expect(env.tally.actions).toEqual({ share_adopted: 2 });
  });

  it('revoke takes the image out of every share the service does not own, and revoked adopted rows with it', async () => {
    // Prepare: web was adopted from the console's share earlier; someone added dev to it since
    const h = harness({ unmanagedShares: 'revoke' });
    h.images.addImage({ imageId: IMG });
    const console = h.directory.addOutOfBandShare({ images: [IMG], targets: [FOLDERS.web, FOLDERS.dev] });
    await seedImage(h, IMG, { directoryQuotaUsed: 1 });
    await seedShare(h, IMG, FOLDERS.web, 'active', { channel: 'directory', origin: 'adopted', resourceShareId: console });
    // Act
    const env = await sweep(h, 'enforce');
    // Assess
    expect([env.tally.findings, env.tally.actions]).toEqual([{ unmanaged: 1 }, { unmanaged_revoked: 1 }]);
    expect(h.directory.sharesHolding(REGION, IMG)).toEqual([]);
    // The adopted row lost the image with the share: revoked, and said so in the trail.
    expect(rows(h)).toEqual([`directory:${FOLDERS.web}:revoked:adopted`]);
    expect(h.store.allEvents().map((e) => [e.action, e.target, e.before, e.after])).toEqual([
      ['share.revoked', FOLDERS.web, 'active', 'revoked'],
      ['reconcile.unmanaged_revoked', FOLDERS.dev, 'shared', 'revoked'],
    ]);
    expect(await h.store.getImage(REGION, IMG)).toMatchObject({ directoryQuotaUsed: 0 });
  });

  it('revoke removes a target of the service share that no row claims (left by a crash), keeping the others', async () => {
    const h = harness({ unmanagedShares: 'revoke' });
    h.images.addImage({ imageId: IMG });
    await h.directory.addTargets(REGION, IMG, [FOLDERS.web, FOLDERS.dev]);
    await seedImage(h, IMG, { directoryQuotaUsed: 1 });
    await seedShare(h, IMG, FOLDERS.web, 'active', { channel: 'directory' });
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { unmanaged: 1 }, actions: { unmanaged_revoked: 1 } });
    expect(h.directory.heldFor(REGION, IMG)).toEqual([`service/${FOLDERS.web}`]);
  });
});

describe('reconcile: directory shares the service keeps', () => {
  it('puts back an active share the service resource share lost, through the intent, recording the share', async () => {
    const h = harness();
    h.images.addImage({ imageId: IMG });
    await seedImage(h, IMG, { directoryQuotaUsed: 1 });
    await seedShare(h, IMG, FOLDERS.dev, 'active', { channel: 'directory', resourceShareId: 'rs-deleted' });
    const report = await sweep(h, 'report');
    const env = await sweep(h, 'enforce');
    expect(report.tally.findings).toEqual({ missing: 1 });
    expect(env.tally).toMatchObject({ findings: { missing: 1 }, actions: { share_reapplied: 1 } });
    const [resourceShareId] = h.directory.sharesHolding(REGION, IMG);
    expect(h.store.allShares().map((s) => [s.target, s.state, s.resourceShareId])).toEqual([[FOLDERS.dev, 'active', resourceShareId]]);
    expect(h.directory.heldFor(REGION, IMG)).toEqual([`service/${FOLDERS.dev}`]);
  });

  it('closes a lost share instead when the folder is denied now, giving its directory unit back', async () => {
    const h = harness({ denyFolders: [FOLDERS.prod] });
    h.images.addImage({ imageId: IMG });
    await seedImage(h, IMG, { directoryQuotaUsed: 1 });
    await seedShare(h, IMG, FOLDERS.web, 'active', { channel: 'directory' });
    const env = await sweep(h, 'enforce');
    expect(env.tally.actions).toEqual({ share_revoked: 1 });
    expect(rows(h)).toEqual([`directory:${FOLDERS.web}:revoked:request`]);
    expect(h.directory.heldFor(REGION, IMG)).toEqual([]);
    expect(await h.store.getImage(REGION, IMG)).toMatchObject({ directoryQuotaUsed: 0 });
  });

  it('settles a stale applying intent from the service share: held → active with its share, not held → applied again', async () => {
    const h = harness();
    h.images.addImage({ imageId: IMG });
    const { resourceShareId } = await h.directory.addTargets(REGION, IMG, [FOLDERS.web]);
    await seedImage(h, IMG, { directoryQuotaUsed: 2 });
    await seedShare(h, IMG, FOLDERS.web, 'applying', { channel: 'directory' });
    await seedShare(h, IMG, FOLDERS.dev, 'applying', { channel: 'directory' });
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { stale_intent: 2 }, actions: { intent_applied: 1, share_reapplied: 1 } });
    expect(h.store.allShares().map((s) => [s.target, s.state, s.resourceShareId])).toEqual([
      [FOLDERS.dev, 'active', resourceShareId],
      [FOLDERS.web, 'active', resourceShareId],
    ]);
  });

  it('completes a stale revoking intent: still held → removed, gone → revoked', async () => {
    const h = harness();
    h.images.addImage({ imageId: IMG });
    await h.directory.addTargets(REGION, IMG, [FOLDERS.web, FOLDERS.prod]);
    await seedImage(h, IMG, { directoryQuotaUsed: 1 });
    await seedShare(h, IMG, FOLDERS.web, 'revoking', { channel: 'directory' });
    await seedShare(h, IMG, FOLDERS.dev, 'revoking', { channel: 'directory' });
    await seedShare(h, IMG, FOLDERS.prod, 'active', { channel: 'directory' });
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { stale_intent: 2 }, actions: { share_revoked: 1, intent_revoked: 1 } });
    expect(h.directory.heldFor(REGION, IMG)).toEqual([`service/${FOLDERS.prod}`]);
    expect(rows(h)).toEqual([`directory:${FOLDERS.dev}:revoked:request`, `directory:${FOLDERS.prod}:active:request`, `directory:${FOLDERS.web}:revoked:request`]);
  });

  it('expires a directory share past its expiry through the service share', async () => {
    const h = harness();
    h.images.addImage({ imageId: IMG });
    await h.directory.addTargets(REGION, IMG, [FOLDERS.dev]);
    await seedImage(h, IMG, { directoryQuotaUsed: 1 });
    await seedShare(h, IMG, FOLDERS.dev, 'active', { channel: 'directory', expiresAt: LONG_AGO });
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { expired_share: 1 }, actions: { share_expired: 1 } });
    expect(rows(h)).toEqual([`directory:${FOLDERS.dev}:expired:request`]);
    expect(h.directory.sharesHolding(REGION, IMG)).toEqual([]);
  });

  it('recounts the directory counter on its own, from its own rows', async () => {
    const h = harness();
    h.images.addImage({ imageId: IMG });
    await h.directory.addTargets(REGION, IMG, [FOLDERS.dev]);
    await seedImage(h, IMG, { quotaUsed: 0, directoryQuotaUsed: 4 });
    await seedShare(h, IMG, FOLDERS.dev, 'active', { channel: 'directory' });
    const env = await sweep(h, 'enforce');
    expect(env.tally).toMatchObject({ findings: { quota_mismatch: 1 }, actions: { quota_corrected: 1 } });
    expect(await h.store.getImage(REGION, IMG)).toMatchObject({ quotaUsed: 0, directoryQuotaUsed: 1 });
    expect(h.store.allEvents().map((e) => [e.action, e.before, e.after, e.detail])).toEqual([['reconcile.quota_corrected', '4', '1', 'directory channel']]);
  });
});

describe('reconcile: what a region sweep reads of the directory channel', () => {
  it('reads the region\'s resource shares once, and no image on its own, whatever the number of images', async () => {
    for (const count of [3, 300]) {
      // Prepare
      const h = harness();
      for (let i = 0; i < count; i++) h.images.addImage({ imageId: `m-sweep${String(i).padStart(8, '0')}` });
      h.directory.addOutOfBandShare({ images: ['m-sweep00000001'], targets: [FOLDERS.dev] });
      // Act
      const env = await sweep(h, 'report');
      // Assess
      expect(env.tally.findings).toEqual({ unmanaged: 1 });
      expect([h.directory.callsOf('regionShares').length, h.directory.callsOf('imageShares').length]).toEqual([1, 0]);
      expect(h.images.callsOf('getSharePermissions')).toHaveLength(count);
    }
  });
});
