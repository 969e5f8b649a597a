// Admin routes, fault injection and per-row atomicity of the Tablestore emulator.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isLoopback } from '../../emulators/common/http.js';
import { startTablestore, type StartedTablestore } from '../support/tablestore.js';

let ts: StartedTablestore;
let TS: any;
let client: any;
let randomValue = 0.5;
const long = (n: number) => TS.Long.fromNumber(n);
const ignore = () => new TS.Condition(TS.RowExistenceExpectation.IGNORE, null);

async function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: { code: number; message: string }) => `${e.code} ${/OTS[A-Za-z]+/.exec(e.message)?.[0] ?? e.message}`,
  );
}

async function adminRaw(method: string, path: string, body?: string) {
  const res = await fetch(`${ts.emulator.endpoint}/__emulator/${path}`, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
  return { status: res.status, body: (await res.json()) as unknown };
}

beforeAll(async () => {
  ts = await startTablestore({ maxRetries: 0, random: () => randomValue });
  TS = ts.TableStore;
  client = ts.client;
});

afterAll(async () => {
  await ts.close();
});

beforeEach(async () => {
  randomValue = 0.5;
  await ts.admin.reset();
  await client.createTable({
    tableMeta: { tableName: 'shares', primaryKey: [{ name: 'id', type: 'STRING' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
});

describe('Tablestore emulator: faults', () => {
  it('injects a counted OTSServerBusy on one operation only, then recovers', async () => {
    const id = await ts.admin.addFault({ operation: 'PutRow', code: 'OTSServerBusy', count: 1 });
    const put = () => client.putRow({ tableName: 'shares', condition: ignore(), primaryKey: [{ id: 'a' }], attributeColumns: [{ v: 1 }] });

    const first = await outcome(put());
    const read = await outcome(client.getRow({ tableName: 'shares', primaryKey: [{ id: 'a' }] }));
    const second = await outcome(put());

    expect(id).toMatch(/^fault-\d+$/);
    expect({ first, read, second }).toEqual({ first: '503 OTSServerBusy', read: 'ok', second: 'ok' });
    expect(await ts.admin.calls()).toEqual([
      { operation: 'CreateTable', table: 'shares', status: 200, code: null },
      { operation: 'PutRow', table: 'shares', status: 503, code: 'OTSServerBusy' },
      { operation: 'GetRow', table: 'shares', status: 200, code: null },
      { operation: 'PutRow', table: 'shares', status: 200, code: null },
    ]);
  });

  it('injects a fault on one table only, in single-row and batch requests alike', async () => {
    await client.createTable({
      tableMeta: { tableName: 'audit', primaryKey: [{ name: 'id', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    await ts.admin.addFault({ table: 'audit', code: 'OTSServerBusy' });
    const row = (id: string) => ({ type: 'PUT', condition: ignore(), primaryKey: [{ id }], attributeColumns: [{ v: 1 }] });
    const batch = (...tables: string[]) => client.batchWriteRow({ tables: tables.map((tableName) => ({ tableName, rows: [row('b')] })) });

    const results = {
      auditPut: await outcome(client.putRow({ tableName: 'audit', condition: ignore(), primaryKey: [{ id: 'a' }], attributeColumns: [{ v: 1 }] })),
      sharesPut: await outcome(client.putRow({ tableName: 'shares', condition: ignore(), primaryKey: [{ id: 'a' }], attributeColumns: [{ v: 1 }] })),
      sharesBatch: await outcome(batch('shares')),
      mixedBatch: await outcome(batch('shares', 'audit')),
    };

    expect(results).toEqual({ auditPut: '503 OTSServerBusy', sharesPut: 'ok', sharesBatch: 'ok', mixedBatch: '503 OTSServerBusy' });
    expect((await ts.admin.state()).tables).toEqual([
      { name: 'audit', rows: 0 },
      { name: 'shares', rows: 2 },
    ]);
  });

  it('fires by probability against the injected random source, with any code and status', async () => {
    await ts.admin.addFault({ operation: 'UpdateRow', code: 'OTSRowOperationConflict', probability: 0.4 });
    const update = () =>
      client.updateRow({ tableName: 'shares', condition: ignore(), primaryKey: [{ id: 'a' }], updateOfAttributeColumns: [{ PUT: [{ v: 1 }] }] });

    randomValue = 0.5;
    const skipped = await outcome(update());
    randomValue = 0.1;
    const fired = await outcome(update());
    await ts.admin.clearFaults();
    const cleared = await outcome(update());
    await ts.admin.addFault({ code: 'OTSPartitionUnavailable', status: 503, count: 1 });
    const anyOperation = await outcome(client.listTable({}));

    expect({ skipped, fired, cleared, anyOperation }).toEqual({
      skipped: 'ok',
      fired: '409 OTSRowOperationConflict',
      cleared: 'ok',
      anyOperation: '503 OTSPartitionUnavailable',
    });
  });

  it('adds latency without failing the call', async () => {
    await ts.admin.addFault({ operation: 'GetRow', latencyMs: 150, count: 1 });

    const started = Date.now();
    const res = await client.getRow({ tableName: 'shares', primaryKey: [{ id: 'none' }] });
    const elapsed = Date.now() - started;

    expect(res.row).toEqual({});
    expect(elapsed).toBeGreaterThanOrEqual(140);
  });

  it('validates admin input and answers 400 with a message', async () => {
    const cases = {
      unknownOperation: await adminRaw('POST', 'faults', JSON.stringify({ operation: 'Nope', code: 'OTSServerBusy' })),
      extraField: await adminRaw('POST', 'faults', JSON.stringify({ code: 'OTSServerBusy', action: 'PutRow' })),
      nothingToDo: await adminRaw('POST', 'faults', JSON.stringify({ operation: 'PutRow' })),
      badProbability: await adminRaw('POST', 'faults', JSON.stringify({ code: 'OTSServerBusy', probability: 2 })),
      notJson: await adminRaw('POST', 'faults', '{nope'),
      resetWithBody: await adminRaw('POST', 'reset', JSON.stringify({ everything: true })),
      unknownRoute: await adminRaw('GET', 'nothing'),
    };

    const statuses = Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, v.status]));
    expect(statuses).toEqual({
      unknownOperation: 400,
      extraField: 400,
      nothingToDo: 400,
      badProbability: 400,
      notJson: 400,
      resetWithBody: 400,
      unknownRoute: 404,
    });
    for (const v of Object.values(cases)) expect(v.body).toEqual({ message: expect.any(String) });
    expect((cases.extraField.body as { message: string }).message).toContain('additional properties');
  });
});

describe('Tablestore emulator: admin access', () => {
  it('serves admin routes to loopback clients only', () => {
    const addresses = ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.0.0.53', '10.0.0.5', '::ffff:192.168.1.2', '::2', undefined];

    const verdicts = addresses.map((a) => isLoopback(a));

    expect(verdicts).toEqual([true, true, true, true, false, false, false, false]);
  });
});

describe('Tablestore emulator: admin state and reset', () => {
  it('reports tables with row counts, and reset empties tables, faults and calls', async () => {
    for (const id of ['a', 'b', 'c']) {
      await client.putRow({ tableName: 'shares', condition: ignore(), primaryKey: [{ id }], attributeColumns: [{ v: 1 }] });
    }
    await ts.admin.addFault({ operation: 'ListTable', code: 'OTSServerBusy' });

    const before = await ts.admin.state();
    await ts.admin.reset();
    const after = await ts.admin.state();
    const calls = await ts.admin.calls();
    const list = await outcome(client.listTable({}));

    expect(before).toEqual({ tables: [{ name: 'shares', rows: 3 }] });
    expect(after).toEqual({ tables: [] });
    expect(calls).toEqual([]);
    expect(list).toBe('ok');
  });
});

describe('Tablestore emulator: atomic conditional writes', () => {
  it('lets exactly one of many concurrent EXPECT_NOT_EXIST puts on one row win', async () => {
    const attempts = Array.from({ length: 25 }, (_, i) =>
      outcome(
        client.putRow({
          tableName: 'shares',
          condition: new TS.Condition(TS.RowExistenceExpectation.EXPECT_NOT_EXIST, null),
          primaryKey: [{ id: 'contended' }],
          attributeColumns: [{ writer: long(i) }],
        }),
      ),
    );

    const results = await Promise.all(attempts);

    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r === '403 OTSConditionCheckFail')).toHaveLength(24);
  });

  it('lets exactly one of many concurrent compare-and-set updates on a version column win', async () => {
    await client.putRow({ tableName: 'shares', condition: ignore(), primaryKey: [{ id: 'quota' }], attributeColumns: [{ version: long(1) }, { used: long(0) }] });

    const attempts = Array.from({ length: 20 }, () =>
      outcome(
        client.updateRow({
          tableName: 'shares',
          condition: new TS.Condition(
            TS.RowExistenceExpectation.EXPECT_EXIST,
            new TS.SingleColumnCondition('version', long(1), TS.ComparatorType.EQUAL, false),
          ),
          primaryKey: [{ id: 'quota' }],
          updateOfAttributeColumns: [{ PUT: [{ version: long(2) }] }, { INCREMENT: [{ used: long(1) }] }],
        }),
      ),
    );
    const results = await Promise.all(attempts);
    const row = await client.getRow({ tableName: 'shares', primaryKey: [{ id: 'quota' }] });

    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(row.row.attributes.map((a: any) => [a.columnName, Number(a.columnValue.toString())])).toEqual([
      ['used', 1],
      ['version', 2],
    ]);
  });
});

describe('Tablestore emulator: opt-in pacing', () => {
  it('limits table operations per second and keeps a new table not ready for a while', async () => {
    let clock = Date.now();
    const paced = await startTablestore({ maxRetries: 0, now: () => new Date(clock), pacing: { tableOperationsPerSecond: 2, tableReadyAfterMs: 5000 } });
    const create = (name: string) =>
      outcome(
        paced.client.createTable({
          tableMeta: { tableName: name, primaryKey: [{ name: 'id', type: 'STRING' }] },
          reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
          tableOptions: { timeToLive: -1, maxVersions: 1 },
        }),
      );
    const put = () =>
      outcome(paced.client.putRow({ tableName: 'p1', condition: ignore(), primaryKey: [{ id: 'a' }], attributeColumns: [{ v: 1 }] }));

    try {
      const first = await create('p1');
      const second = await create('p2');
      const third = await create('p3');
      const tooSoon = await put();
      clock += 5000;
      const fourth = await create('p3');
      const ready = await put();

      expect({ first, second, third, tooSoon, fourth, ready }).toEqual({
        first: 'ok',
        second: 'ok',
        third: '403 OTSQuotaExhausted',
        tooSoon: '404 OTSTableNotReady',
        fourth: 'ok',
        ready: 'ok',
      });
    } finally {
      await paced.close();
    }
  });
});
