// GetRange paging and the batch operations of the Tablestore emulator, through the real SDK.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTablestore, type StartedTablestore } from '../support/tablestore.js';

let ts: StartedTablestore;
let TS: any;
let client: any;
const long = (n: number) => TS.Long.fromNumber(n);
const ignore = () => new TS.Condition(TS.RowExistenceExpectation.IGNORE, null);
const anyRequestId = expect.any(String);

async function createTable(name: string, primaryKey: Array<{ name: string; type: string }>) {
  await client.createTable({
    tableMeta: { tableName: name, primaryKey },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
}

async function fillInts(table: string, count: number) {
  for (let start = 0; start < count; start += 200) {
    const rows = [];
    for (let i = start; i < Math.min(count, start + 200); i++) {
      rows.push({ type: 'PUT', condition: ignore(), primaryKey: [{ p: 'x' }, { n: long(i - 3) }], attributeColumns: [{ v: i }] });
    }
    await client.batchWriteRow({ tables: [{ tableName: table, rows }] });
  }
}

async function readAll(table: string, direction: string, start: unknown[], end: unknown[], limit?: number) {
  const pages: number[] = [];
  const keys: number[] = [];
  let next: unknown[] | null = start;
  while (next) {
    const res: any = await client.getRange({
      tableName: table,
      direction,
      inclusiveStartPrimaryKey: next,
      exclusiveEndPrimaryKey: end,
      ...(limit ? { limit } : {}),
    });
    pages.push(res.rows.length);
    for (const r of res.rows) keys.push(Number(r.primaryKey[1].value.toString()));
    next = res.nextStartPrimaryKey ? res.nextStartPrimaryKey.map((c: { name: string; value: unknown }) => ({ [c.name]: c.value })) : null;
  }
  return { pages, keys };
}

beforeAll(async () => {
  ts = await startTablestore({ maxRetries: 0 });
  TS = ts.TableStore;
  client = ts.client;
});

afterAll(async () => {
  await ts.close();
});

beforeEach(async () => {
  await ts.admin.reset();
});

describe('Tablestore emulator: GetRange', () => {
  it('pages forward and backward across the 5,000-row cap with INF_MIN/INF_MAX bounds', async () => {
    await createTable('big', [
      { name: 'p', type: 'STRING' },
      { name: 'n', type: 'INTEGER' },
    ]);
    await fillInts('big', 5003);

    const forward = await readAll('big', TS.Direction.FORWARD, [{ p: TS.INF_MIN }, { n: TS.INF_MIN }], [{ p: TS.INF_MAX }, { n: TS.INF_MAX }]);
    const backward = await readAll('big', TS.Direction.BACKWARD, [{ p: TS.INF_MAX }, { n: TS.INF_MAX }], [{ p: TS.INF_MIN }, { n: TS.INF_MIN }]);

    expect(forward.pages).toEqual([5000, 3]);
    expect(forward.keys).toEqual(Array.from({ length: 5003 }, (_, i) => i - 3));
    expect(backward.pages).toEqual([5000, 3]);
    expect(backward.keys).toEqual(Array.from({ length: 5003 }, (_, i) => 4999 - i));
  });

  it('honours limit, inclusive start and exclusive end, in both directions', async () => {
    await createTable('small', [
      { name: 'p', type: 'STRING' },
      { name: 'n', type: 'INTEGER' },
    ]);
    await fillInts('small', 10); // keys -3..6

    const fwd = await readAll('small', TS.Direction.FORWARD, [{ p: 'x' }, { n: long(-2) }], [{ p: 'x' }, { n: long(4) }], 4);
    const bwd = await readAll('small', TS.Direction.BACKWARD, [{ p: 'x' }, { n: long(4) }], [{ p: 'x' }, { n: long(-2) }], 4);
    const first = await client.getRange({
      tableName: 'small',
      direction: TS.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ p: 'x' }, { n: long(0) }],
      exclusiveEndPrimaryKey: [{ p: 'x' }, { n: long(2) }],
      limit: 1,
    });
    const wrongOrder = await client
      .getRange({
        tableName: 'small',
        direction: TS.Direction.FORWARD,
        inclusiveStartPrimaryKey: [{ p: 'x' }, { n: long(5) }],
        exclusiveEndPrimaryKey: [{ p: 'x' }, { n: long(1) }],
      })
      .catch((e: { code: number; message: string }) => e);

    expect(fwd).toEqual({ pages: [4, 2], keys: [-2, -1, 0, 1, 2, 3] });
    expect(bwd).toEqual({ pages: [4, 2], keys: [4, 3, 2, 1, 0, -1] });
    expect(first).toEqual({
      consumed: { capacityUnit: { read: 1, write: 0 } },
      rows: [
        {
          primaryKey: [{ name: 'p', value: 'x' }, { name: 'n', value: long(0) }],
          attributes: [{ columnName: 'v', columnValue: 3, timestamp: expect.anything() }],
        },
      ],
      nextStartPrimaryKey: [{ name: 'p', value: 'x' }, { name: 'n', value: long(1) }],
      compressType: 0,
      dataBlockType: 0,
      nextToken: expect.anything(),
      RequestId: anyRequestId,
    });
    expect(wrongOrder.code).toBe(400);
    expect(wrongOrder.message).toContain('OTSParameterInvalid');
  });

  it('orders integer keys numerically (negatives first) and string keys bytewise', async () => {
    await createTable('mixed', [{ name: 's', type: 'STRING' }]);
    for (const s of ['b', 'B', 'a', 'é', 'ab', '']) {
      await client.putRow({ tableName: 'mixed', condition: ignore(), primaryKey: [{ s }], attributeColumns: [{ v: 1 }] });
    }
    await createTable('ints', [{ name: 'i', type: 'INTEGER' }]);
    for (const i of [10, -1, 0, -20, 3]) {
      await client.putRow({ tableName: 'ints', condition: ignore(), primaryKey: [{ i: long(i) }], attributeColumns: [{ v: 1 }] });
    }

    const strings = await client.getRange({
      tableName: 'mixed',
      direction: TS.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ s: TS.INF_MIN }],
      exclusiveEndPrimaryKey: [{ s: TS.INF_MAX }],
    });
    const ints = await client.getRange({
      tableName: 'ints',
      direction: TS.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ i: TS.INF_MIN }],
      exclusiveEndPrimaryKey: [{ i: TS.INF_MAX }],
    });

    expect(strings.rows.map((r: any) => r.primaryKey[0].value)).toEqual(['', 'B', 'a', 'ab', 'b', 'é']);
    expect(ints.rows.map((r: any) => Number(r.primaryKey[0].value.toString()))).toEqual([-20, -1, 0, 3, 10]);
  });

  it('ends a page at 4 MB and refuses a row over 4 MB', async () => {
    await createTable('heavy', [{ name: 'id', type: 'STRING' }]);
    const almost2MB = Buffer.alloc(2 * 1024 * 1024 - 64, 7);
    const mb1point5 = Buffer.alloc(1.5 * 1024 * 1024, 7);
    for (const id of ['a', 'b', 'c']) {
      await client.putRow({ tableName: 'heavy', condition: ignore(), primaryKey: [{ id }], attributeColumns: [{ blob: mb1point5 }] });
    }

    const first = await client.getRange({
      tableName: 'heavy',
      direction: TS.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ id: TS.INF_MIN }],
      exclusiveEndPrimaryKey: [{ id: TS.INF_MAX }],
    });
    const tooBig = await client
      .putRow({
        tableName: 'heavy',
        condition: ignore(),
        primaryKey: [{ id: 'd' }],
        attributeColumns: [{ x: almost2MB }, { y: almost2MB }, { z: Buffer.alloc(64) }, { w: Buffer.alloc(200) }],
      })
      .catch((e: { code: number; message: string }) => e);

    expect(first.rows.map((r: any) => r.primaryKey[0].value)).toEqual(['a', 'b']);
    expect(first.nextStartPrimaryKey).toEqual([{ name: 'id', value: 'c' }]);
    expect(tooBig).toMatchObject({ code: 400, message: expect.stringContaining('OTSParameterInvalid') });
    expect(tooBig.message).toContain('The total data size of PutRow request exceeds the limit, limit size: 4194304');
  });

  it('pages attribute columns with a ColumnPaginationFilter', async () => {
    await createTable('cols', [{ name: 'id', type: 'STRING' }]);
    await client.putRow({
      tableName: 'cols',
      condition: ignore(),
      primaryKey: [{ id: 'r' }],
      attributeColumns: [{ c1: 1 }, { c2: 2 }, { c3: 3 }, { c4: 4 }],
    });

    const res = await client.getRow({ tableName: 'cols', primaryKey: [{ id: 'r' }], columnFilter: new TS.ColumnPaginationFilter(2, 1) });

    expect(res.row.attributes.map((a: any) => a.columnName)).toEqual(['c2', 'c3']);
  });

  it('applies a column filter and columnsToGet to range rows', async () => {
    await createTable('f', [{ name: 'id', type: 'STRING' }]);
    for (const [id, state] of [
      ['a', 'active'],
      ['b', 'revoked'],
      ['c', 'active'],
    ]) {
      await client.putRow({ tableName: 'f', condition: ignore(), primaryKey: [{ id }], attributeColumns: [{ state }, { extra: 1 }] });
    }

    const res = await client.getRange({
      tableName: 'f',
      direction: TS.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ id: TS.INF_MIN }],
      exclusiveEndPrimaryKey: [{ id: TS.INF_MAX }],
      columnsToGet: ['state'],
      columnFilter: new TS.SingleColumnCondition('state', 'active', TS.ComparatorType.EQUAL, false),
    });

    const byKey = await client.getRange({
      tableName: 'f',
      direction: TS.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ id: TS.INF_MIN }],
      exclusiveEndPrimaryKey: [{ id: TS.INF_MAX }],
      columnFilter: new TS.SingleColumnCondition('id', 'b', TS.ComparatorType.GREATER_EQUAL, false),
    });

    expect(res.rows.map((r: any) => [r.primaryKey[0].value, r.attributes.map((a: any) => a.columnName)])).toEqual([
      ['a', ['state']],
      ['c', ['state']],
    ]);
    expect(byKey.rows.map((r: any) => r.primaryKey[0].value)).toEqual(['b', 'c']);
  });
});

describe('Tablestore emulator: batches', () => {
  beforeEach(async () => {
    await createTable('b1', [{ name: 'id', type: 'STRING' }]);
    await createTable('b2', [{ name: 'id', type: 'INTEGER' }]);
  });

  it('writes rows across tables with per-row results and per-row failures', async () => {
    await client.putRow({ tableName: 'b1', condition: ignore(), primaryKey: [{ id: 'exists' }], attributeColumns: [{ v: 1 }] });

    const res = await client.batchWriteRow({
      tables: [
        {
          tableName: 'b1',
          rows: [
            { type: 'PUT', condition: ignore(), primaryKey: [{ id: 'new' }], attributeColumns: [{ v: 2 }], returnContent: { returnType: TS.ReturnType.Primarykey } },
            {
              type: 'PUT',
              condition: new TS.Condition(TS.RowExistenceExpectation.EXPECT_NOT_EXIST, null),
              primaryKey: [{ id: 'exists' }],
              attributeColumns: [{ v: 3 }],
            },
            { type: 'UPDATE', condition: ignore(), primaryKey: [{ id: 'upd' }], attributeColumns: [{ INCREMENT: [{ c: long(4) }] }] },
            { type: 'DELETE', condition: new TS.Condition(TS.RowExistenceExpectation.EXPECT_EXIST, null), primaryKey: [{ id: 'missing' }] },
          ],
        },
        { tableName: 'b2', rows: [{ type: 'PUT', condition: ignore(), primaryKey: [{ id: 'not-an-int' }], attributeColumns: [{ v: 1 }] }] },
        { tableName: 'nope', rows: [{ type: 'PUT', condition: ignore(), primaryKey: [{ id: 'a' }], attributeColumns: [{ v: 1 }] }] },
      ],
    });

    const row = (tableName: string, extra: object) => ({ tableName, primaryKey: null, attributes: null, ...extra });
    const ok = (tableName: string) => row(tableName, { isOk: true, errorCode: null, errorMessage: null, capacityUnit: { read: 0, write: 1 } });
    const failed = (tableName: string, code: string, message: string | object) =>
      row(tableName, { isOk: false, errorCode: code, errorMessage: message, capacityUnit: '' });
    expect(res.tables).toEqual([
      { ...ok('b1'), primaryKey: [{ name: 'id', value: 'new' }], attributes: [] },
      failed('b1', 'OTSConditionCheckFail', 'Condition check failed.'),
      ok('b1'),
      failed('b1', 'OTSConditionCheckFail', 'Condition check failed.'),
      failed('b2', 'OTSParameterInvalid', expect.stringContaining('Validate PK type fail')),
      failed('nope', 'OTSObjectNotExist', 'Requested table does not exist.'),
    ]);
    expect((await ts.admin.state()).tables).toEqual([
      { name: 'b1', rows: 3 },
      { name: 'b2', rows: 0 },
    ]);
  });

  it('gets rows across tables, with missing rows and missing tables reported per row', async () => {
    await client.putRow({ tableName: 'b1', condition: ignore(), primaryKey: [{ id: 'a' }], attributeColumns: [{ v: 'x' }] });

    const res = await client.batchGetRow({
      tables: [
        { tableName: 'b1', primaryKey: [[{ id: 'a' }], [{ id: 'zz' }]], columnsToGet: ['v'] },
        { tableName: 'nope', primaryKey: [[{ id: 'a' }]] },
      ],
    });

    expect(res).toEqual({
      tables: [
        [
          {
            isOk: true,
            errorCode: null,
            errorMessage: null,
            tableName: 'b1',
            capacityUnit: { read: 1, write: 0 },
            primaryKey: [{ name: 'id', value: 'a' }],
            attributes: [{ columnName: 'v', columnValue: 'x', timestamp: expect.anything() }],
          },
          { isOk: true, errorCode: null, errorMessage: null, tableName: 'b1', capacityUnit: { read: 1, write: 0 }, primaryKey: null, attributes: null },
        ],
        [
          {
            isOk: false,
            errorCode: 'OTSObjectNotExist',
            errorMessage: 'Requested table does not exist.',
            tableName: 'nope',
            capacityUnit: '',
            primaryKey: null,
            attributes: null,
          },
        ],
      ],
      RequestId: anyRequestId,
    });
  });

  it('rejects batches over the row limits, and repeated rows that carry checks, as a whole', async () => {
    const put = (i: number) => ({ type: 'PUT', condition: ignore(), primaryKey: [{ id: `r${i}` }], attributeColumns: [{ v: 1 }] });
    const failure = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: number; message: string }) => `${e.code} ${/OTS[A-Za-z]+/.exec(e.message)?.[0]}`);

    const write201 = await failure(client.batchWriteRow({ tables: [{ tableName: 'b1', rows: Array.from({ length: 201 }, (_, i) => put(i)) }] }));
    const write200 = await failure(client.batchWriteRow({ tables: [{ tableName: 'b1', rows: Array.from({ length: 200 }, (_, i) => put(i)) }] }));
    const get101 = await failure(
      client.batchGetRow({ tables: [{ tableName: 'b1', primaryKey: Array.from({ length: 101 }, (_, i) => [{ id: `r${i}` }]) }] }),
    );
    const checkedTwice = await client
      .batchWriteRow({
        tables: [{ tableName: 'b1', rows: [put(1), { ...put(1), condition: new TS.Condition(TS.RowExistenceExpectation.EXPECT_EXIST, null) }] }],
      })
      .catch((e: Error) => e);
    const increment = { type: 'UPDATE', condition: ignore(), primaryKey: [{ id: 'counter' }], attributeColumns: [{ INCREMENT: [{ n: long(1) }] }] };
    const repeatedUnchecked = await failure(client.batchWriteRow({ tables: [{ tableName: 'b1', rows: [increment, increment] }] }));
    const counter = await client.getRow({ tableName: 'b1', primaryKey: [{ id: 'counter' }] });
    const duplicateGet = await client.batchGetRow({ tables: [{ tableName: 'b1', primaryKey: [[{ id: 'r1' }], [{ id: 'r1' }]] }] }).catch((e: Error) => e);

    expect({ write201, write200, get101, repeatedUnchecked }).toEqual({
      write201: '400 OTSParameterInvalid',
      write200: 'ok',
      get101: '400 OTSParameterInvalid',
      repeatedUnchecked: 'ok',
    });
    expect(counter.row.attributes[0].columnValue).toEqual(long(2));
    expect(checkedTwice.message).toContain('Repeated rows do not support row exist expectation check in BatchModify.');
    expect(duplicateGet.message).toContain('Duplicate rows detected in MultiGet.');
    expect((await ts.admin.state()).tables).toEqual([
      { name: 'b1', rows: 201 },
      { name: 'b2', rows: 0 },
    ]);
  });
});
