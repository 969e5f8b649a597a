// The Tablestore adapter's failure handling, through the real SDK against the emulator: the SDK's
// error quirk, retries that cannot double-apply, credential rotation, table setup.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTablestoreEmulator } from '../../emulators/tablestore/index.js';
import { GovernorError, StoreError } from '../../shared/domain/errors.js';
import type { StorePort } from '../../shared/domain/ports.js';
import { feedKey } from '../../shared/domain/model.js';
import { toStoreError } from '../../shared/tablestore/errors.js';
import { createSdkClient, TableStore, type AttributeColumns, type PrimaryKeyInput, type SdkClient } from '../../shared/tablestore/sdk.js';
import { createTablestoreStore, type TablestoreStoreOptions } from '../../shared/tablestore/store.js';
import { ensureTables, tableDefinitions, FINDINGS_TTL_SECONDS, OUTBOX_TTL_SECONDS } from '../../shared/tablestore/tables.js';
import { aDelivery, anImage, aRequest, aShare } from '../contract/store-contract.js';

type Emulator = Awaited<ReturnType<typeof startTablestoreEmulator>>;
interface Call {
  operation: string;
  table: string | null;
  status: number;
  code: string | null;
}

const PREFIX = 'err_';
let emulator: Emulator;
let client: SdkClient;
let credentials: { accessKeyId: string; accessKeySecret: string };

async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${emulator.endpoint}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}
const calls = async (): Promise<Call[]> => (await admin('GET', '/__emulator/calls')) as Call[];
async function callsDuring(act: () => Promise<unknown>): Promise<Call[]> {
  const before = (await calls()).length;
  await act();
  return (await calls()).slice(before);
}
const summary = (list: Call[]): string[] => list.map((c) => `${c.operation} ${c.table} ${c.status}${c.code ? ` ${c.code}` : ''}`);

function storeWith(over: Partial<TablestoreStoreOptions> = {}): StorePort {
  return createTablestoreStore({
    endpoint: emulator.endpoint,
    instance: emulator.instance,
    tablePrefix: PREFIX,
    credentials: () => credentials,
    retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    ...over,
  });
}

const LOST_RESPONSE: Partial<TablestoreStoreOptions> = { requestTimeoutMs: 150, retry: { attempts: 3, baseDelayMs: 700, maxDelayMs: 700 } };

async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

beforeAll(async () => {
  emulator = await startTablestoreEmulator({ port: 0 });
  credentials = { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret };
  client = createSdkClient({ endpoint: emulator.endpoint, instance: emulator.instance, credentials });
  await ensureTables(client, PREFIX, { pollMs: 20 });
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(async () => {
  await admin('DELETE', '/__emulator/faults');
});

describe('Tablestore SDK error quirk', () => {
  it('reports the HTTP status as err.code and the OTS code only in the message; toStoreError maps it', async () => {
    const image = anImage();
    const put = () =>
      client.putRow({
        tableName: `${PREFIX}images`,
        condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null),
        primaryKey: [{ region_id: image.regionId }, { image_id: image.imageId }],
        attributeColumns: [{ lifecycle: 'active' }],
      });
    await put();
    const second = await settle(put());
    expect(second.ok).toBe(false);
    const err = (second as { error: { code: unknown; message: string } }).error;
    expect(err.code).toBe(403);
    expect(err.message).toContain('OTSConditionCheckFail');
    expect(toStoreError(err, 'PutRow').kind).toBe('ConditionFailed');

    const missing = await settle(client.getRow({ tableName: 'no_such_table', primaryKey: [{ k: 'x' }] }));
    expect(toStoreError((missing as { error: unknown }).error, 'GetRow').kind).toBe('NotFound');

    const dup = await settle(
      client.createTable({
        tableMeta: { tableName: `${PREFIX}images`, primaryKey: [{ name: 'region_id', type: 'STRING' }] },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
      }),
    );
    expect(toStoreError((dup as { error: unknown }).error, 'CreateTable').kind).toBe('AlreadyExists');
  });

  it.each([
    { code: 'OTSServerBusy', status: 503, kind: 'Busy', retried: true },
    { code: 'OTSRowOperationConflict', status: 409, kind: 'Busy', retried: true },
    { code: 'OTSPartitionUnavailable', status: 503, kind: 'Busy', retried: true },
    { code: 'OTSTableNotReady', status: 404, kind: 'Busy', retried: true },
    { code: 'OTSNotEnoughCapacityUnit', status: 403, kind: 'Busy', retried: true },
    { code: 'OTSInternalServerError', status: 500, kind: 'Unavailable', retried: true },
    { code: 'OTSTimeout', status: 503, kind: 'Unavailable', retried: true },
    { code: 'OTSObjectNotExist', status: 404, kind: 'NotFound', retried: false },
    { code: 'OTSParameterInvalid', status: 400, kind: 'Unavailable', retried: false },
    { code: 'OTSAuthFailed', status: 403, kind: 'Unavailable', retried: false },
  ])('maps $code ($status) from the SDK to $kind, retried: $retried', async ({ code, status, kind, retried }) => {
    const store = storeWith({ retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    await admin('POST', '/__emulator/faults', { operation: 'GetRow', code, status, count: 2 });
    let result: Awaited<ReturnType<typeof settle>> | undefined;
    const during = await callsDuring(async () => {
      result = await settle(store.getImage('cn-hangzhou', 'm-faultmapping'));
    });
    const error = (result as { error: StoreError }).error;
    expect({ name: error.name, kind: error.kind, calls: during.length, message: error.message }).toEqual({
      name: 'StoreError',
      kind,
      calls: retried ? 2 : 1,
      message: `GetRow ${PREFIX}images: ${code} (HTTP ${status})`,
    });
  });

  it('maps a refused connection to Unavailable', async () => {
    const store = storeWith({ endpoint: 'http://127.0.0.1:9', retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    const result = await settle(store.getImage('cn-hangzhou', 'm-abcdefgh'));
    expect(result.ok).toBe(false);
    expect((result as { error: StoreError }).error).toBeInstanceOf(StoreError);
    expect((result as { error: StoreError }).error.kind).toBe('Unavailable');
  });
});

describe('TablestoreStore retries', () => {
  it('retries a conditional create refused with OTSServerBusy, then succeeds', async () => {
    const store = storeWith();
    const image = anImage();
    await admin('POST', '/__emulator/faults', { operation: 'PutRow', code: 'OTSServerBusy', status: 503, count: 2 });
    const during = await callsDuring(() => store.createImage(image));
    expect(summary(during)).toEqual([
      `PutRow ${PREFIX}images 503 OTSServerBusy`,
      `PutRow ${PREFIX}images 503 OTSServerBusy`,
      `PutRow ${PREFIX}images 200`,
    ]);
    expect(await store.getImage(image.regionId, image.imageId)).toEqual(image);
  });

  it('surfaces Busy when the store stays busy, after a bounded number of attempts', async () => {
    const store = storeWith();
    await admin('POST', '/__emulator/faults', { operation: 'PutRow', code: 'OTSServerBusy', status: 503, count: 100 });
    let result: Awaited<ReturnType<typeof settle>> | undefined;
    const during = await callsDuring(async () => {
      result = await settle(store.createImage(anImage()));
    });
    expect(result?.ok).toBe(false);
    const error = (result as { error: StoreError }).error;
    expect(error).toBeInstanceOf(StoreError);
    expect(error.kind).toBe('Busy');
    expect(error.message).toContain('OTSServerBusy');
    expect(during).toHaveLength(4);
  });

  it('retries reads on 5xx', async () => {
    const store = storeWith();
    const image = anImage();
    await store.createImage(image);
    await admin('POST', '/__emulator/faults', { operation: 'GetRow', code: 'OTSInternalServerError', status: 500, count: 2 });
    expect(await store.getImage(image.regionId, image.imageId)).toEqual(image);
  });

  it('retries a quota increment refused before execution', async () => {
    const store = storeWith();
    const image = anImage();
    await store.createImage(image);
    await admin('POST', '/__emulator/faults', { operation: 'UpdateRow', code: 'OTSServerBusy', status: 503, count: 1 });
    expect(await store.adjustQuota(image.regionId, image.imageId, 1, 50, new Date(), 'account')).toBe(1);
  });

  it('does not blindly retry a quota increment after an ambiguous failure', async () => {
    const store = storeWith();
    const image = anImage();
    await store.createImage(image);
    await admin('POST', '/__emulator/faults', { operation: 'UpdateRow', code: 'OTSInternalServerError', status: 500, count: 1 });
    let result: Awaited<ReturnType<typeof settle>> | undefined;
    const during = await callsDuring(async () => {
      result = await settle(store.adjustQuota(image.regionId, image.imageId, 1, 50, new Date(), 'account'));
    });
    expect((result as { error: StoreError }).error.kind).toBe('Unavailable');
    expect(summary(during)).toEqual([`UpdateRow ${PREFIX}images 500 OTSInternalServerError`]);
    expect((await store.getImage(image.regionId, image.imageId))?.quotaUsed).toBe(0);
  });

  it('never sends a quota increment twice after a lost response, although the first one landed', async () => {
    const store = storeWith(LOST_RESPONSE);
    const image = anImage();
    await storeWith().createImage(image);
    await admin('POST', '/__emulator/faults', { operation: 'UpdateRow', latencyMs: 300, count: 1 });
    const before = (await calls()).length;
    const result = await settle(store.adjustQuota(image.regionId, image.imageId, 1, 50, new Date(), 'account'));
    await new Promise((resolve) => setTimeout(resolve, 400)); // the held increment lands meanwhile
    expect((result as { error: StoreError }).error.kind).toBe('Unavailable');
    expect(summary((await calls()).slice(before))).toEqual([`UpdateRow ${PREFIX}images 200`]);
    expect((await storeWith().getImage(image.regionId, image.imageId))?.quotaUsed).toBe(1);
  });

  it('retries a lease acquisition whose response was lost and still holds the lease', async () => {
    const store = storeWith(LOST_RESPONSE);
    const now = new Date('2026-03-01T10:00:00.000Z');
    await admin('POST', '/__emulator/faults', { operation: 'UpdateRow', latencyMs: 300, count: 1 });
    const during = await callsDuring(async () => {
      expect(await store.acquireLease('lost-response-lease', 'worker-a', 60_000, now)).toBe(true);
    });
    expect(summary(during)).toEqual([`UpdateRow ${PREFIX}leases 200`, `UpdateRow ${PREFIX}leases 200`]);
    expect(await storeWith().acquireLease('lost-response-lease', 'worker-b', 60_000, now)).toBe(false);
  });

  it('keeps the follow-up of a lease whose release answer was lost', async () => {
    const store = storeWith(LOST_RESPONSE);
    const now = new Date();
    expect(await store.acquireLease('lost-release-lease', 'worker-a', 60_000, now)).toBe(true);
    expect(await store.requestFollowUp('lost-release-lease', 'sweep again', now)).toBe(true);
    await admin('POST', '/__emulator/faults', { operation: 'DeleteRow', latencyMs: 300, count: 1 });
    // The first delete lands but its answer is lost; the retry finds the row gone.
    expect(await store.releaseLease('lost-release-lease', 'worker-a')).toEqual({ followUp: { note: 'sweep again', requestedAt: now.toISOString() } });
    expect(await storeWith().acquireLease('lost-release-lease', 'worker-b', 60_000, now)).toBe(true);
  });

  it('retries a versioned update after a 5xx that was not applied', async () => {
    const store = storeWith();
    const share = aShare();
    await store.createShare(share);
    await admin('POST', '/__emulator/faults', { operation: 'PutRow', code: 'OTSInternalServerError', status: 500, count: 1 });
    const during = await callsDuring(async () => {
      expect(await store.updateShare({ ...share, state: 'approved' }, 1)).toEqual({ ...share, state: 'approved', version: 2 });
    });
    expect(summary(during)).toEqual([`PutRow ${PREFIX}shares 500 OTSInternalServerError`, `PutRow ${PREFIX}shares 200`]);
  });

  it('retries an audit batch refused as busy', async () => {
    const store = storeWith();
    const events = [{ eventId: 'evt-busy-1', regionId: 'cn-hangzhou', imageId: 'm-busyaudit1', at: '2026-01-01T00:00:00.000Z', principal: 'alice', action: 'share.requested', requestId: 'http-1' }];
    await admin('POST', '/__emulator/faults', { operation: 'BatchWriteRow', code: 'OTSServerBusy', status: 503, count: 1 });
    await store.appendAudit(events);
    expect(await store.listAudit('cn-hangzhou', 'm-busyaudit1', 10)).toEqual({ items: events });
  });

  it('resolves a conditional create whose response was lost by re-reading the row', async () => {
    // The first PutRow is held 300 ms by the emulator, the client gives up after 150 ms, and the
    // retry waits (350-700 ms) until the held write has landed: the retry then fails its condition
    // on our own row, which the store recognises, by re-reading, as success.
    const store = storeWith(LOST_RESPONSE);
    await admin('POST', '/__emulator/faults', { operation: 'PutRow', latencyMs: 300, count: 1 });
    const image = anImage();
    const during = await callsDuring(() => store.createImage(image));
    expect(summary(during)).toEqual([
      `PutRow ${PREFIX}images 200`,
      `PutRow ${PREFIX}images 403 OTSConditionCheckFail`,
      `GetRow ${PREFIX}images 200`,
    ]);
    expect(await store.getImage(image.regionId, image.imageId)).toEqual(image);
    // A genuine conflict is still reported.
    const request = aRequest();
    await storeWith().createRequest(request);
    const again = await settle(storeWith().createRequest({ ...request, reason: 'someone else' }));
    expect((again as { error: StoreError }).error.kind).toBe('AlreadyExists');
  });

  it('resolves a versioned update whose response was lost, and reports a real conflict', async () => {
    const store = storeWith(LOST_RESPONSE);
    const share = aShare();
    await storeWith().createShare(share);
    await admin('POST', '/__emulator/faults', { operation: 'PutRow', latencyMs: 300, count: 1 });
    const next = { ...share, state: 'approved' as const };
    const during = await callsDuring(async () => {
      expect(await store.updateShare(next, 1)).toEqual({ ...next, version: 2 });
    });
    expect(summary(during)).toEqual([
      `PutRow ${PREFIX}shares 200`,
      `PutRow ${PREFIX}shares 403 OTSConditionCheckFail`,
      `GetRow ${PREFIX}shares 200`,
    ]);
    const stale = await settle(storeWith().updateShare({ ...share, state: 'rejected' }, 1));
    expect((stale as { error: StoreError }).error.kind).toBe('ConditionFailed');
  });
});

describe('TablestoreStore credentials and cursors', () => {
  it('rebuilds its client when the credentials change', async () => {
    let current = { accessKeyId: credentials.accessKeyId, accessKeySecret: 'wrong-secret' };
    const store = storeWith({ credentials: () => current });
    const image = anImage();
    const denied = await settle(store.getImage(image.regionId, image.imageId));
    expect((denied as { error: StoreError }).error.kind).toBe('Unavailable');
    expect((denied as { error: StoreError }).error.message).toContain('OTSAuthFailed');
    current = { ...credentials };
    expect(await store.getImage(image.regionId, image.imageId)).toBeNull();
  });

  it('turns a missing credential into Unavailable', async () => {
    const store = storeWith({
      credentials: () => {
        throw new Error('no role');
      },
    });
    const result = await settle(store.getImage('cn-hangzhou', 'm-abcdefgh'));
    expect((result as { error: StoreError }).error.kind).toBe('Unavailable');
  });

  it('refuses a cursor it did not issue, or one from another listing', async () => {
    const store = storeWith();
    for (let i = 0; i < 3; i += 1) await store.createImage(anImage({ regionId: 'cn-qingdao' }));
    const page = await store.listImages({ regionId: 'cn-qingdao' }, 2);
    expect(page.nextCursor).toBeDefined();
    const forged = await settle(store.listImages({}, 2, 'not-a-cursor'));
    expect((forged as { error: GovernorError }).error).toBeInstanceOf(GovernorError);
    expect((forged as { error: GovernorError }).error.code).toBe('ValidationFailed');
    const foreign = await settle(store.listAudit('cn-qingdao', 'm-abcdefgh', 2, page.nextCursor));
    expect((foreign as { error: GovernorError }).error.code).toBe('ValidationFailed');
    const otherRegion = await settle(store.listImages({ regionId: 'cn-beijing' }, 2, page.nextCursor));
    expect((otherRegion as { error: GovernorError }).error.code).toBe('ValidationFailed');
  });

  it('refuses a hand-edited cursor whose key lies outside the listed region, as a client mistake', async () => {
    const store = storeWith();
    const edited = Buffer.from(JSON.stringify({ l: 'images:cn-qingdao', k: ['cn-zhangjiakou', 'm-abcdefgh'] })).toString('base64url');
    const result = await settle(store.listImages({ regionId: 'cn-qingdao' }, 2, edited));
    expect((result as { error: GovernorError }).error).toBeInstanceOf(GovernorError);
    expect((result as { error: GovernorError }).error.code).toBe('ValidationFailed');
  });
});

describe('TablestoreStore rows written before the directory channel', () => {
  // Exactly the columns the service wrote before shares had a channel: no migration, they read as the account channel.
  const put = (table: string, primaryKey: PrimaryKeyInput, attributeColumns: AttributeColumns) =>
    client.putRow({
      tableName: `${PREFIX}${table}`,
      condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
      primaryKey,
      attributeColumns,
    });
  const long = (n: number) => TableStore.Long.fromNumber(n);

  it('read shares, requests, images and audit events as the account channel, and the directory counter from zero', async () => {
    const store = storeWith();
    const imageId = `m-old${Date.now().toString(36)}`;
    const at = '2026-01-05T10:00:00.000Z';
    await put('images', [{ region_id: 'cn-hangzhou' }, { image_id: imageId }], [
      { lifecycle: 'active' },
      { quota_used: long(1) },
      { deletion: '{"status":"none"}' },
      { created_at: at },
      { updated_at: at },
      { version: long(1) },
    ]);
    await put('shares', [{ image_key: `cn-hangzhou/${imageId}` }, { account_id: '2000000000000001' }], [
      { region_id: 'cn-hangzhou' },
      { image_id: imageId },
      { state: 'active' },
      { request_id: 'sr-old' },
      { origin: 'request' },
      { created_at: at },
      { updated_at: at },
      { version: long(3) },
    ]);
    await put('requests', [{ request_id: 'sr-old' }], [
      { region_id: 'cn-hangzhou' },
      { image_id: imageId },
      { account_ids: '["2000000000000001"]' },
      { status: 'applied' },
      { requester: 'alice' },
      { reason: 'rollout' },
      { attestation: '{"sensitiveDataRemoved":true}' },
      { pending_until: at },
      { created_at: at },
      { updated_at: at },
      { version: long(2) },
    ]);
    await store.appendAudit([]);
    await put('audit', [{ image_key: `cn-hangzhou/${imageId}` }, { event_key: '0000000000001#0000000000000001#evt-old' }], [
      { event_id: 'evt-old' },
      { region_id: 'cn-hangzhou' },
      { image_id: imageId },
      { at },
      { principal: 'alice' },
      { action: 'share.applied' },
      { account_id: '2000000000000001' },
      { request_id: 'http-1' },
    ]);

    expect(await store.listShares('cn-hangzhou', imageId)).toEqual([
      {
        regionId: 'cn-hangzhou',
        imageId,
        channel: 'account',
        target: '2000000000000001',
        accountId: '2000000000000001',
        state: 'active',
        requestId: 'sr-old',
        origin: 'request',
        createdAt: at,
        updatedAt: at,
        version: 3,
      },
    ]);
    expect(await store.getShare('cn-hangzhou', imageId, { channel: 'directory', target: '2000000000000001' })).toBeNull();
    expect(await store.getRequest('sr-old')).toMatchObject({ accountIds: ['2000000000000001'], directoryTargets: [] });
    expect((await store.listAudit('cn-hangzhou', imageId, 10)).items).toEqual([
      expect.objectContaining({ eventId: 'evt-old', channel: 'account', target: '2000000000000001', accountId: '2000000000000001' }),
    ]);
    expect(await store.getImage('cn-hangzhou', imageId)).toMatchObject({ quotaUsed: 1, directoryQuotaUsed: 0 });
    // The directory counter starts from zero on such a record: a release finds nothing, a reservation and a recount work.
    expect((await settle(store.adjustQuota('cn-hangzhou', imageId, -1, 10, new Date(), 'directory'))).ok).toBe(false);
    expect(await store.adjustQuota('cn-hangzhou', imageId, 2, 10, new Date(), 'directory')).toBe(2);
    await put('images', [{ region_id: 'cn-hangzhou' }, { image_id: `${imageId}b` }], [
      { lifecycle: 'active' },
      { quota_used: long(0) },
      { deletion: '{"status":"none"}' },
      { created_at: at },
      { updated_at: at },
      { version: long(1) },
    ]);
    await store.correctQuota('cn-hangzhou', `${imageId}b`, 0, 3, 'directory');
    expect(await store.getImage('cn-hangzhou', `${imageId}b`)).toMatchObject({ quotaUsed: 0, directoryQuotaUsed: 3 });
  });
});

describe('TablestoreStore time indexes', () => {
  it('skips index rows whose request is missing or was created at another time', async () => {
    const store = storeWith();
    const request = aRequest();
    await store.createRequest(request);
    const putIndex = (timeKey: string, requestId: string) =>
      client.putRow({
        tableName: `${PREFIX}requests_by_time`,
        condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
        primaryKey: [{ time_key: timeKey }],
        attributeColumns: [{ request_id: requestId }, { region_id: request.regionId }, { image_id: request.imageId }],
      });
    await putIndex(`0000000000001#${request.requestId}`, request.requestId);
    await putIndex('0000000000002#req-missing', 'req-missing');
    expect(await store.listRequests({ imageId: request.imageId }, 10)).toEqual({ items: [request] });
  });
});

describe('TablestoreStore large pages', () => {
  it('splits big audit appends under the request size limit and follows server pages cut by size', async () => {
    const store = storeWith();
    const imageId = `m-bigaudit${Date.now().toString(36)}`;
    const detail = 'x'.repeat(300 * 1024);
    const events = Array.from({ length: 16 }, (_, i) => ({
      eventId: `evt-big-${String(i).padStart(2, '0')}`,
      regionId: 'cn-hangzhou',
      imageId,
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      principal: 'alice',
      action: 'share.requested',
      requestId: 'http-1',
      detail,
    }));
    const appendCalls = await callsDuring(() => store.appendAudit(events));
    // 32 rows of 300 KB (each event in the trail and in the outbox), at most 3 MB a request: 10 + 10 + 10 + 2.
    expect(summary(appendCalls)).toEqual(Array.from({ length: 4 }, () => `BatchWriteRow ${PREFIX}audit 200`));
    const feed = (await store.readFeed(undefined, 1000)).filter((entry) => entry.event.imageId === imageId);
    expect(feed.map((entry) => entry.event)).toEqual(events);
    let page: Awaited<ReturnType<StorePort['listAudit']>> | undefined;
    const listCalls = await callsDuring(async () => {
      page = await store.listAudit('cn-hangzhou', imageId, 16);
    });
    expect(page?.items.map((e) => e.eventId)).toEqual(events.map((e) => e.eventId).reverse());
    expect(page?.nextCursor).toBeUndefined();
    expect(listCalls.length).toBeGreaterThanOrEqual(2);
    expect(listCalls.every((c) => c.operation === 'GetRange' && c.status === 200)).toBe(true);
  });
});

describe('TablestoreStore delivery listing', () => {
  it('stops a scan through many rows of another status with a short page and a cursor, and the cursor reads on', async () => {
    // Prepare: 2,100 retrying deliveries, then one dead letter after them
    const store = storeWith();
    const row = (i: number, status: 'retrying' | 'failed') => ({
      next: aDelivery({ sink: 'eventbridge', feedKey: feedKey(new Date(Date.UTC(2026, 1, 1, 0, 0, 0, i)).toISOString(), `evt-scan-${i}`), eventId: `evt-scan-${i}`, status }),
      expectedVersion: 0,
    });
    await store.writeDeliveries(Array.from({ length: 2100 }, (_, i) => row(i, 'retrying')));
    await store.writeDeliveries([row(2100, 'failed')]);

    // Act
    const first = await store.listDeliveries({ status: 'failed', sink: 'eventbridge' }, 10);
    const second = await store.listDeliveries({ status: 'failed', sink: 'eventbridge' }, 10, first.nextCursor);

    // Assess
    expect(first.items).toEqual([]);
    expect(first.nextCursor).toBeDefined();
    expect(second.items.map((d) => d.eventId)).toEqual(['evt-scan-2100']);
    expect(second.nextCursor).toBeUndefined();
  });
});

describe('TablestoreStore stored representation', () => {
  it('stores integers as INTEGER cells, account ids as strings and lists as JSON', async () => {
    const store = storeWith();
    const request = aRequest({ accountIds: ['0012345678901234'] });
    await store.createRequest(request);
    const image = anImage({ quotaUsed: 4 });
    await store.createImage(image);
    const raw = await client.getRow({ tableName: `${PREFIX}requests`, primaryKey: [{ request_id: request.requestId }] });
    const cols = new Map((raw.row.attributes ?? []).map((a) => [a.columnName, a.columnValue]));
    expect(cols.get('account_ids')).toBe('["0012345678901234"]');
    expect(typeof cols.get('version')).toBe('object');
    expect((cols.get('version') as { toNumber(): number }).toNumber()).toBe(1);
    const rawImage = await client.getRow({ tableName: `${PREFIX}images`, primaryKey: [{ region_id: image.regionId }, { image_id: image.imageId }] });
    const quota = (rawImage.row.attributes ?? []).find((a) => a.columnName === 'quota_used')?.columnValue as { toNumber(): number };
    expect(quota.toNumber()).toBe(4);
  });
});

describe('ensureTables', () => {
  it('is idempotent, also when run concurrently', async () => {
    const names = tableDefinitions().map((d) => `${PREFIX}${d.name}`);
    const again = await ensureTables(client, PREFIX, { pollMs: 20 });
    expect(again).toEqual({ created: [], existing: names, updated: [] });
    const fresh = await Promise.all([ensureTables(client, 'par_', { pollMs: 20 }), ensureTables(client, 'par_', { pollMs: 20 })]);
    const created = [...fresh[0].created, ...fresh[1].created].sort();
    expect(created).toEqual(tableDefinitions().map((d) => `par_${d.name}`).sort());
  });

  it('creates single-version tables, with a TTL only on requests, idempotency, findings and the outbox', async () => {
    const days = (n: number): number => n * 24 * 3600;
    const ttls: Record<string, number> = {
      // REQUEST_RETENTION_DAYS (400) for the requests and their indexes; IDEMPOTENCY_TTL_HOURS (24) and a day.
      requests: days(400),
      requests_by_time: days(400),
      requests_open: days(400),
      idempotency: days(2),
      findings: FINDINGS_TTL_SECONDS,
      audit_by_time: OUTBOX_TTL_SECONDS,
      deliveries: OUTBOX_TTL_SECONDS,
    };
    for (const def of tableDefinitions()) {
      const described = (await client.describeTable({ tableName: `${PREFIX}${def.name}` })) as {
        tableOptions?: { timeToLive?: number; maxVersions?: number };
      };
      expect({ table: def.name, ttl: described.tableOptions?.timeToLive, maxVersions: described.tableOptions?.maxVersions }).toEqual({
        table: def.name,
        ttl: ttls[def.name] ?? -1,
        maxVersions: 1,
      });
    }
  });

  it('gives an existing table the TTL its definition derives, and leaves one that has it alone', async () => {
    const days = (n: number): number => n * 24 * 3600;
    // A requests table as a version without retention made it: kept forever.
    await client.createTable({
      tableMeta: { tableName: 'old_requests', primaryKey: [{ name: 'request_id', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const first = await ensureTables(client, 'old_', { pollMs: 20 });
    expect(first.existing).toEqual(['old_requests']);
    expect(first.updated).toEqual([{ table: 'old_requests', timeToLive: { from: -1, to: days(400) } }]);
    expect((await ensureTables(client, 'old_', { pollMs: 20 })).updated).toEqual([]);
    const longer = await ensureTables(client, 'old_', { pollMs: 20, retention: { requestRetentionDays: 730, idempotencyTtlHours: 72 } });
    expect(longer.updated).toEqual([
      ...['old_requests', 'old_requests_by_time', 'old_requests_open'].map((table) => ({ table, timeToLive: { from: days(400), to: days(730) } })),
      { table: 'old_idempotency', timeToLive: { from: days(2), to: days(4) } },
    ]);
    const described = await client.describeTable({ tableName: 'old_requests_open' });
    expect(described.tableOptions?.timeToLive).toBe(days(730));
  });

  it('refuses a prefix that cannot form a table name', async () => {
    await expect(ensureTables(client, 'bad-prefix')).rejects.toThrow(/prefix/);
  });
});
