// What the service does with a share request whose row the retention TTL removed, on the real
// Tablestore adapter (the emulator's data clock moves with the domain's): the share rows that still
// name it keep working, the request itself is not found, and a pending share whose request is gone
// is closed (its quota released) when an ask for the same account meets it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTablestoreEmulator, type TablestoreEmulator } from '../../emulators/tablestore/index.js';
import { resolveDeps } from '../../shared/domain/context.js';
import { createGovernor, type Governor } from '../../shared/domain/governor.js';
import type { StorePort } from '../../shared/domain/ports.js';
import { createSdkClient } from '../../shared/tablestore/sdk.js';
import { createTablestoreStore } from '../../shared/tablestore/store.js';
import { DEFAULT_RETENTION, ensureTables } from '../../shared/tablestore/tables.js';
import { ManualClock } from '../support/clock.js';
import { IMAGE, REGION, TEST_DIRECTORY, account, alice, bob, byAccount, failure, shareInput } from '../support/domain.js';
import { MemoryDirectory } from '../support/memory-directory.js';
import { MemoryImages } from '../support/memory-images.js';
import { OWNER_ACCOUNT, testPolicy } from '../support/policy.js';

const clock = new ManualClock(new Date());
let emulator: TablestoreEmulator;
let store: StorePort;
let images: MemoryImages;
let governor: Governor;

beforeAll(async () => {
  emulator = await startTablestoreEmulator({ port: 0, now: () => clock.now() });
  const credentials = { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret };
  await ensureTables(createSdkClient({ endpoint: emulator.endpoint, instance: emulator.instance, credentials }), 'isg_', { pollMs: 20 });
  store = createTablestoreStore({ endpoint: emulator.endpoint, instance: emulator.instance, tablePrefix: 'isg_', credentials: () => credentials, clock });
  images = new MemoryImages(OWNER_ACCOUNT);
  images.addImage({ regionId: REGION, imageId: IMAGE, imageName: 'golden' });
  const directory = new MemoryDirectory((regionId, imageId) => images.ownsImage(regionId, imageId));
  directory.setDirectory(TEST_DIRECTORY);
  let n = 0;
  const policy = testPolicy({ maxShareDurationDays: 3650, defaultShareDurationDays: 3650 });
  governor = createGovernor(resolveDeps({ store, images, directory, clock, policy, newId: () => `id${String(n++).padStart(6, '0')}` }));
});

afterAll(async () => {
  await emulator?.close();
});

describe('a share request past its retention', () => {
  it('is not found, while the shares that name it are described, revoked and asked for again as usual', async () => {
    const first = await governor.requestShare(alice, shareInput([1]));
    await governor.approve(bob, first.request.requestId, {});
    const second = await governor.requestShare(alice, shareInput([2]));
    expect(images.sharedWith(REGION, IMAGE)).toEqual([account(1)]);
    expect((await store.getImage(REGION, IMAGE))?.quotaUsed).toBe(2);

    // Nobody decided the second request and no reconciler ran: both rows outlive their retention.
    clock.advanceDays(DEFAULT_RETENTION.requestRetentionDays + 1);
    for (const request of [first.request, second.request]) {
      expect(await store.getRequest(request.requestId)).toBeNull();
      expect((await failure(governor.getRequest(alice, request.requestId))).code).toBe('RequestNotFound');
    }
    expect((await failure(governor.approve(bob, second.request.requestId, {}))).code).toBe('RequestNotFound');
    expect(await governor.listRequests(alice, { status: 'pending_approval', limit: 50 })).toEqual({ items: [] });

    const described = await governor.describeImage(alice, REGION, IMAGE, { live: true });
    expect(described.shares.map((s) => [s.accountId, s.state, s.requestId])).toEqual([
      [account(1), 'active', first.request.requestId],
      [account(2), 'pending_approval', second.request.requestId],
    ]);
    expect([described.pendingRequests, described.drift, described.quota.used]).toEqual([[], [], 2]);

    // A new ask for the second account closes the pending share its vanished request left (its quota
    // released) and reserves afresh.
    const again = await governor.requestShare(alice, shareInput([2]));
    expect(again.outcome).toBe('pending');
    expect((await store.getShare(REGION, IMAGE, byAccount(account(2))))?.requestId).toBe(again.request.requestId);
    expect((await store.getImage(REGION, IMAGE))?.quotaUsed).toBe(2);
    expect((await governor.describeImage(alice, REGION, IMAGE, { live: false })).pendingRequests.map((r) => r.requestId)).toEqual([again.request.requestId]);

    // The active share of the vanished request is revoked like any other.
    const unshared = await governor.unshare(alice, { regionId: REGION, imageId: IMAGE, accountIds: [account(1)], reason: 'offboarding' });
    expect(unshared.shares.map((s) => [s.accountId, s.state])).toEqual([[account(1), 'revoked']]);
    expect(images.sharedWith(REGION, IMAGE)).toEqual([]);
    expect((await store.getImage(REGION, IMAGE))?.quotaUsed).toBe(1);
  });
});
