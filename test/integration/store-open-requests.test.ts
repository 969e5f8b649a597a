// The open-requests index on Tablestore: listings of open requests read only open requests (the
// emulator's call log counts what they read), a crash between a request's write and its index rows'
// leaves rows every reader verifies and the first one removes, and the retention TTL removes a
// request with all of its rows.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTablestoreEmulator, type TablestoreEmulator } from '../../emulators/tablestore/index.js';
import type { RequestFilter, ShareRequest } from '../../shared/domain/model.js';
import { StoreError } from '../../shared/domain/errors.js';
import type { StorePort } from '../../shared/domain/ports.js';
import { createSdkClient, type SdkClient } from '../../shared/tablestore/sdk.js';
import { ORPHAN_INDEX_GRACE_MS, createTablestoreStore } from '../../shared/tablestore/store.js';
import { ensureTables } from '../../shared/tablestore/tables.js';
import { ManualClock } from '../support/clock.js';
import { seedFinishedRequests, tablestoreAdmin, TableStore, type EmulatorCall, type TablestoreAdmin } from '../support/tablestore.js';
import { aRequest, newImageId } from '../contract/store-contract.js';

const PREFIX = 'isg_';
const DAY_MS = 24 * 3600_000;

let emulator: TablestoreEmulator;
let admin: TablestoreAdmin;
let client: SdkClient;
/** The emulator's data clock (cell timestamps, TTL) and the store's clock: one time for both. */
const clock = new ManualClock(new Date());
let store: StorePort;

beforeAll(async () => {
  emulator = await startTablestoreEmulator({ port: 0, now: () => clock.now() });
  admin = tablestoreAdmin(emulator.endpoint);
  const credentials = { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret };
  client = createSdkClient({ endpoint: emulator.endpoint, instance: emulator.instance, credentials });
  await ensureTables(client, PREFIX, { pollMs: 20 });
  // One attempt per call: an injected fault is a crash at that write, not a retried blip.
  store = createTablestoreStore({
    endpoint: emulator.endpoint,
    instance: emulator.instance,
    tablePrefix: PREFIX,
    credentials: () => credentials,
    clock,
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });
});

afterAll(async () => {
  await emulator?.close();
});

beforeEach(async () => {
  await admin.clearFaults();
});

/** The rows of requests_open (scope, time_key), read raw. */
async function openRows(): Promise<string[]> {
  const res = await client.getRange({
    tableName: `${PREFIX}requests_open`,
    direction: 'FORWARD',
    inclusiveStartPrimaryKey: [{ scope: TableStore.INF_MIN }, { time_key: TableStore.INF_MIN }],
    exclusiveEndPrimaryKey: [{ scope: TableStore.INF_MAX }, { time_key: TableStore.INF_MAX }],
    limit: 5000,
    maxVersions: 1,
  });
  return res.rows.map((r) => (r.primaryKey ?? []).map((k) => String(k.value)).join(' '));
}

/** The Tablestore calls (operation on table) `act` makes, from the emulator's log. */
async function callsOf(act: () => Promise<unknown>): Promise<string[]> {
  const before = (await admin.calls()).length;
  await act();
  return (await admin.calls()).slice(before).map((c: EmulatorCall) => `${c.operation} ${c.table ?? ''}`);
}

const ids = (page: { items: readonly ShareRequest[] }): string[] => page.items.map((r) => r.requestId);

describe('TablestoreStore open-requests index: cost', () => {
  it('reads the same calls of the same tables for the approval queue, an image\'s pending requests and a region\'s open ones, with 2,100 finished requests stored or none', async () => {
    await admin.reset();
    await ensureTables(client, PREFIX, { pollMs: 20 });
    const imageId = newImageId();
    const t0 = Date.parse('2026-06-01T00:00:00.000Z');
    const at = (i: number): string => new Date(t0 + i * 1000).toISOString();
    const pending = [0, 1, 2].map((i) => aRequest({ imageId, requestId: `req-open-${i}`, createdAt: at(5000 + i), updatedAt: at(5000 + i) }));
    const approved = aRequest({ imageId, requestId: 'req-open-approved', status: 'approved', createdAt: at(5003), updatedAt: at(5003) });
    for (const r of [...pending, approved]) await store.createRequest(r);
    const reads: [string, RequestFilter, number][] = [
      ['queue', { status: 'pending_approval' }, 50],
      ['image', { status: 'pending_approval', regionId: 'cn-hangzhou', imageId }, 100],
      ['region', { status: 'open', regionId: 'cn-hangzhou' }, 100],
    ];
    const measure = async (): Promise<Record<string, { calls: string[]; ids: string[] }>> => {
      const out: Record<string, { calls: string[]; ids: string[] }> = {};
      for (const [name, filter, limit] of reads) {
        let page: { items: readonly ShareRequest[] } = { items: [] };
        out[name] = { calls: await callsOf(async () => (page = await store.listRequests(filter, limit))), ids: [] };
        out[name].ids = ids(page);
      }
      return out;
    };
    const alone = await measure();

    // Finished history of the same image and region, older and newer than the open requests, some of
    // it finished through the store's own writes (its open rows deleted on the way).
    const history = Array.from({ length: 2100 }, (_, i) =>
      aRequest({ imageId, requestId: `req-done-${String(i).padStart(5, '0')}`, status: i % 2 ? 'applied' : 'rejected', createdAt: at(i * 3), updatedAt: at(i * 3) }),
    );
    await seedFinishedRequests(client, PREFIX, history.slice(0, 2050));
    for (const r of history.slice(2050)) {
      await store.createRequest({ ...r, status: 'pending_approval' });
      await store.updateRequest(r, 1);
    }
    const withHistory = await measure();

    expect(withHistory).toEqual(alone);
    expect(alone).toEqual({
      queue: { calls: [`GetRange ${PREFIX}requests_open`, `BatchGetRow ${PREFIX}requests`], ids: ['req-open-2', 'req-open-1', 'req-open-0'] },
      image: { calls: [`GetRange ${PREFIX}requests_open`, `BatchGetRow ${PREFIX}requests`], ids: ['req-open-2', 'req-open-1', 'req-open-0'] },
      region: { calls: [`GetRange ${PREFIX}requests_open`, `BatchGetRow ${PREFIX}requests`], ids: ['req-open-approved', 'req-open-2', 'req-open-1', 'req-open-0'] },
    });
    // Every request is still listed by the time index, which the open listings never read.
    const every = await store.listRequests({ imageId }, 1000);
    expect(every.items).toHaveLength(1000);
    expect(every.nextCursor).toBeDefined();
  });
});

describe('TablestoreStore open-requests index: a crash between the writes', () => {
  it('a request finished while its open rows could not be deleted is listed nowhere open, and the first reader deletes the rows', async () => {
    const request = aRequest({ imageId: newImageId() });
    await store.createRequest(request);
    const before = await openRows();
    // The write after the record's: the time row again and the open rows' deletes, in one BatchWriteRow.
    await admin.addFault({ operation: 'BatchWriteRow', table: `${PREFIX}requests_open`, code: 'OTSInternalServerError', count: 1 });
    const rejected = await store.updateRequest({ ...request, status: 'rejected' }, 1);
    expect(await store.getRequest(request.requestId)).toEqual(rejected);
    expect((await openRows()).filter((r) => r.includes(request.requestId))).toHaveLength(2);

    expect(await store.listRequests({ status: 'pending_approval', regionId: request.regionId, imageId: request.imageId }, 10)).toEqual({ items: [] });
    expect((await openRows()).filter((r) => r.includes(request.requestId))).toEqual([]);
    expect(ids(await store.listRequests({ status: 'pending_approval' }, 100))).not.toContain(request.requestId);
    expect(before.filter((r) => r.includes(request.requestId))).toHaveLength(2);
  });

  it('a row put back by a write that then lost its condition (an approval racing a rejection) is skipped and deleted', async () => {
    const request = aRequest({ imageId: newImageId() });
    await store.createRequest(request);
    await store.updateRequest({ ...request, status: 'rejected' }, 1);
    // The approver read version 1: its index rows land, its versioned write is refused.
    const lost = await store.updateRequest({ ...request, status: 'approved' }, 1).catch((e: unknown) => e);
    expect((lost as StoreError).kind).toBe('ConditionFailed');
    expect((await openRows()).filter((r) => r.includes(request.requestId))).toHaveLength(2);
    expect(ids(await store.listRequests({ status: 'open' }, 100))).not.toContain(request.requestId);
    expect((await openRows()).filter((r) => r.includes(request.requestId))).toEqual([]);
  });

  it('an approval whose record write failed leaves the request pending, listed once, its rows kept', async () => {
    const request = aRequest({ imageId: newImageId() });
    await store.createRequest(request);
    await admin.addFault({ operation: 'PutRow', table: `${PREFIX}requests`, code: 'OTSParameterInvalid', count: 1 });
    expect(await store.updateRequest({ ...request, status: 'approved' }, 1).catch((e: unknown) => (e as StoreError).kind)).toBe('Unavailable');
    const ofImage = { regionId: request.regionId, imageId: request.imageId };
    expect(await store.listRequests({ status: 'pending_approval', ...ofImage }, 10)).toEqual({ items: [request] });
    expect(await store.listRequests({ status: 'approved', ...ofImage }, 10)).toEqual({ items: [] });
    expect((await openRows()).filter((r) => r.includes(request.requestId))).toHaveLength(2);
  });

  it('rows whose request was never written are skipped, kept while the write could still come, and deleted after the grace', async () => {
    const request = aRequest({ imageId: newImageId(), createdAt: clock.now().toISOString() });
    await admin.addFault({ operation: 'PutRow', table: `${PREFIX}requests`, code: 'OTSParameterInvalid', count: 1 });
    expect(await store.createRequest(request).catch((e: unknown) => (e as StoreError).kind)).toBe('Unavailable');
    expect(await store.getRequest(request.requestId)).toBeNull();
    const ofImage = { status: 'pending_approval' as const, regionId: request.regionId, imageId: request.imageId };
    expect(await store.listRequests(ofImage, 10)).toEqual({ items: [] });
    clock.advance(ORPHAN_INDEX_GRACE_MS - 60_000);
    expect(await store.listRequests(ofImage, 10)).toEqual({ items: [] });
    expect((await openRows()).filter((r) => r.includes(request.requestId))).toHaveLength(2);
    clock.advance(120_000);
    expect(await store.listRequests(ofImage, 10)).toEqual({ items: [] });
    expect((await openRows()).filter((r) => r.includes(request.requestId))).toEqual([]);
  });

  it('a refused duplicate (the same id, another creation time) takes its own rows away and leaves the stored request\'s', async () => {
    const request = aRequest({ imageId: newImageId() });
    await store.createRequest(request);
    const duplicate = { ...request, createdAt: new Date(Date.parse(request.createdAt) + 5000).toISOString() };
    expect(await store.createRequest(duplicate).catch((e: unknown) => (e as StoreError).kind)).toBe('AlreadyExists');
    expect((await openRows()).filter((r) => r.includes(request.requestId))).toHaveLength(2);
    expect(await store.listRequests({ status: 'pending_approval', regionId: request.regionId, imageId: request.imageId }, 10)).toEqual({ items: [request] });
    // The time index (its selective listing pages through the history an earlier test stored).
    const listed: ShareRequest[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listRequests({ imageId: request.imageId }, 10, cursor);
      listed.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(listed).toEqual([request]);
  });
});

describe('TablestoreStore request retention', () => {
  it('removes a request with every row of it REQUEST_RETENTION_DAYS after its last write, not after its creation', async () => {
    const imageId = newImageId();
    const created = clock.now().toISOString();
    const request = aRequest({ imageId, createdAt: created, updatedAt: created });
    const forgotten = aRequest({ imageId, createdAt: created, updatedAt: created });
    await store.createRequest(request);
    await store.createRequest(forgotten);
    clock.advanceDays(300);
    const rejected = await store.updateRequest({ ...request, status: 'rejected', updatedAt: clock.now().toISOString() }, 1);

    // 401 days after creation: the request written 101 days ago stays, listed as before; the other is gone.
    clock.advanceDays(101);
    expect(await store.getRequest(request.requestId)).toEqual(rejected);
    expect(await store.getRequest(forgotten.requestId)).toBeNull();
    expect(await store.listRequests({ imageId }, 10)).toEqual({ items: [rejected] });
    expect(await store.listRequests({ status: 'open', regionId: 'cn-hangzhou', imageId }, 10)).toEqual({ items: [] });
    expect((await openRows()).filter((r) => r.includes(forgotten.requestId))).toEqual([]);

    clock.advanceDays(300);
    expect(await store.getRequest(request.requestId)).toBeNull();
    expect(await store.listRequests({ imageId }, 10)).toEqual({ items: [] });
  });
});
