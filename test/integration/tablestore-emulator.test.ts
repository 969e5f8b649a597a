// The Tablestore emulator driven by the real `tablestore` SDK over a real socket: every operation's
// happy path, the error codes it returns, and whole response objects as the SDK hands them back.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTablestore, type StartedTablestore } from '../support/tablestore.js';

const T0 = Math.floor(Date.now() / 1000) * 1000;
let clockMs = T0;
let ts: StartedTablestore;
let TS: any;
let client: any;

const long = (n: number) => TS.Long.fromNumber(n);
const ignore = () => new TS.Condition(TS.RowExistenceExpectation.IGNORE, null);
const expectNotExist = () => new TS.Condition(TS.RowExistenceExpectation.EXPECT_NOT_EXIST, null);
const expectExist = (cc: unknown = null) => new TS.Condition(TS.RowExistenceExpectation.EXPECT_EXIST, cc);
const anyRequestId = expect.any(String);

async function otsError(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code: number; message: string };
    const code = /OTS[A-Za-z]+/.exec(err.message)?.[0] ?? 'none';
    return { status: err.code, code, message: err.message };
  }
  throw new Error('expected the call to fail');
}

async function createTable(name: string, primaryKey: Array<{ name: string; type: string; option?: string }>, ttl = -1, maxVersions = 1) {
  await client.createTable({
    tableMeta: { tableName: name, primaryKey },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: ttl, maxVersions },
  });
}

async function outcomeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: { code: number; message: string }) => `${e.code} ${/OTS[A-Za-z]+/.exec(e.message)?.[0] ?? e.message}`,
  );
}

beforeAll(async () => {
  ts = await startTablestore({ now: () => new Date(clockMs), maxRetries: 0 });
  TS = ts.TableStore;
  client = ts.client;
});

afterAll(async () => {
  await ts.close();
});

beforeEach(async () => {
  clockMs = T0;
  await ts.admin.reset();
});

describe('Tablestore emulator: tables', () => {
  it('creates, lists, describes, updates and deletes a table', async () => {
    // Prepare
    await createTable('images', [
      { name: 'region', type: 'STRING' },
      { name: 'seq', type: 'INTEGER', option: 'AUTO_INCREMENT' },
    ]);
    await createTable('audit', [{ name: 'id', type: 'BINARY' }]);

    // Act
    const list = await client.listTable({});
    const described = await client.describeTable({ tableName: 'images' });
    clockMs += 1000;
    const updated = await client.updateTable({
      tableName: 'images',
      tableOptions: { timeToLive: 86400 * 2, maxVersions: 3 },
      reservedThroughput: { capacityUnit: { read: 5, write: 0 } },
    });
    const deleted = await client.deleteTable({ tableName: 'audit' });
    const listAfter = await client.listTable({});

    // Assess
    expect(list).toEqual({ tableNames: ['audit', 'images'], RequestId: anyRequestId });
    expect(described).toEqual({
      tableMeta: {
        tableName: 'images',
        primaryKey: [
          { name: 'region', type: 2 },
          { name: 'seq', type: 1, option: 1 },
        ],
        definedColumn: [],
        indexMeta: [],
      },
      reservedThroughputDetails: { capacityUnit: { read: 0, write: 0 }, lastIncreaseTime: T0 / 1000 },
      tableOptions: { timeToLive: -1, maxVersions: 1, deviationCellVersionInSec: 86400, allowUpdate: true },
      tableStatus: 1,
      streamDetails: { enableStream: false },
      shardSplits: [],
      indexMetas: [],
      RequestId: anyRequestId,
    });
    expect(updated).toEqual({
      reservedThroughputDetails: { capacityUnit: { read: 5, write: 0 }, lastIncreaseTime: T0 / 1000 + 1 },
      tableOptions: { timeToLive: 172800, maxVersions: 3, deviationCellVersionInSec: 86400, allowUpdate: true },
      RequestId: anyRequestId,
    });
    expect(deleted).toEqual({ RequestId: anyRequestId });
    expect(listAfter.tableNames).toEqual(['images']);
  });

  it('rejects a duplicate table, a missing table and invalid schemas with the service codes', async () => {
    await createTable('t', [{ name: 'id', type: 'STRING' }]);

    const duplicate = await otsError(createTable('t', [{ name: 'id', type: 'STRING' }]));
    const missing = await otsError(client.describeTable({ tableName: 'nope' }));
    const missingDelete = await otsError(client.deleteTable({ tableName: 'nope' }));
    const badName = await otsError(createTable('9bad', [{ name: 'id', type: 'STRING' }]));
    const tooManyPks = await otsError(
      createTable('wide', [
        { name: 'a', type: 'STRING' },
        { name: 'b', type: 'STRING' },
        { name: 'c', type: 'STRING' },
        { name: 'd', type: 'STRING' },
        { name: 'e', type: 'STRING' },
      ]),
    );
    const shortTtl = await otsError(createTable('ttl', [{ name: 'id', type: 'STRING' }], 3600));

    expect(duplicate).toMatchObject({ status: 409, code: 'OTSObjectAlreadyExist' });
    expect(duplicate.message).toContain('Requested table already exists.');
    expect(missing).toMatchObject({ status: 404, code: 'OTSObjectNotExist' });
    expect(missing.message).toContain('Requested table does not exist.');
    expect(missingDelete).toMatchObject({ status: 404, code: 'OTSObjectNotExist' });
    expect(badName).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
    expect(tooManyPks).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
    expect(shortTtl).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
  });

  it('caps an instance at 64 tables with OTSQuotaExhausted', async () => {
    for (let i = 0; i < 64; i++) await createTable(`t${i}`, [{ name: 'id', type: 'STRING' }]);

    const over = await otsError(createTable('t64', [{ name: 'id', type: 'STRING' }]));

    expect(over).toMatchObject({ status: 403, code: 'OTSQuotaExhausted' });
    expect((await ts.admin.state()).tables).toHaveLength(64);
  });
});

describe('Tablestore emulator: single-row operations', () => {
  beforeEach(async () => {
    await createTable('rows', [
      { name: 'pk', type: 'STRING' },
      { name: 'n', type: 'INTEGER' },
    ]);
  });

  const key = (pk: string, n: number) => [{ pk }, { n: long(n) }];

  it('puts and gets a row with every value type, returning server timestamps', async () => {
    const put = await client.putRow({
      tableName: 'rows',
      condition: expectNotExist(),
      primaryKey: key('a', 1),
      attributeColumns: [{ s: 'héllo' }, { d: 2.5 }, { b: false }, { i: long(-7) }, { bin: Buffer.from([0, 255]) }],
      returnContent: { returnType: TS.ReturnType.Primarykey },
    });
    const got = await client.getRow({ tableName: 'rows', primaryKey: key('a', 1) });
    const missing = await client.getRow({ tableName: 'rows', primaryKey: key('a', 2) });

    expect(put).toEqual({
      consumed: { capacityUnit: { read: 1, write: 1 } },
      row: { primaryKey: [{ name: 'pk', value: 'a' }, { name: 'n', value: long(1) }], attributes: [] },
      RequestId: anyRequestId,
    });
    const at = long(T0);
    expect(got).toEqual({
      consumed: { capacityUnit: { read: 1, write: 0 } },
      row: {
        primaryKey: [{ name: 'pk', value: 'a' }, { name: 'n', value: long(1) }],
        attributes: [
          { columnName: 'b', columnValue: false, timestamp: at },
          { columnName: 'bin', columnValue: Buffer.from([0, 255]), timestamp: at },
          { columnName: 'd', columnValue: 2.5, timestamp: at },
          { columnName: 'i', columnValue: long(-7), timestamp: at },
          { columnName: 's', columnValue: 'héllo', timestamp: at },
        ],
      },
      RequestId: anyRequestId,
    });
    expect(missing).toEqual({ consumed: { capacityUnit: { read: 1, write: 0 } }, row: {}, RequestId: anyRequestId });
  });

  it('fails an existence expectation with OTSConditionCheckFail 403', async () => {
    await client.putRow({ tableName: 'rows', condition: ignore(), primaryKey: key('a', 1), attributeColumns: [{ v: 1 }] });

    const again = await otsError(
      client.putRow({ tableName: 'rows', condition: expectNotExist(), primaryKey: key('a', 1), attributeColumns: [{ v: 2 }] }),
    );
    const updateMissing = await otsError(
      client.updateRow({
        tableName: 'rows',
        condition: expectExist(),
        primaryKey: key('zz', 1),
        updateOfAttributeColumns: [{ PUT: [{ v: 3 }] }],
      }),
    );
    const deleteMissing = await otsError(client.deleteRow({ tableName: 'rows', condition: expectExist(), primaryKey: key('zz', 1) }));

    for (const e of [again, updateMissing, deleteMissing]) {
      expect(e).toMatchObject({ status: 403, code: 'OTSConditionCheckFail' });
      expect(e.message).toContain('Condition check failed.');
    }
    const row = await client.getRow({ tableName: 'rows', primaryKey: key('a', 1) });
    expect(row.row.attributes).toEqual([{ columnName: 'v', columnValue: 1, timestamp: long(T0) }]);
  });

  it('evaluates single and composite column conditions, passIfMissing and latestVersionOnly', async () => {
    await client.putRow({
      tableName: 'rows',
      condition: ignore(),
      primaryKey: key('a', 1),
      attributeColumns: [{ status: 'active' }, { used: long(3) }],
    });
    const single = (col: string, v: unknown, cmp: number, passIfMissing?: boolean) =>
      new TS.SingleColumnCondition(col, v, cmp, passIfMissing);
    const update = (cc: unknown) =>
      client.updateRow({
        tableName: 'rows',
        condition: expectExist(cc),
        primaryKey: key('a', 1),
        updateOfAttributeColumns: [{ PUT: [{ touched: true }] }],
      });
    const and = new TS.CompositeCondition(TS.LogicalOperator.AND);
    and.addSubCondition(single('status', 'active', TS.ComparatorType.EQUAL));
    and.addSubCondition(single('used', long(50), TS.ComparatorType.LESS_THAN));
    const or = new TS.CompositeCondition(TS.LogicalOperator.OR);
    or.addSubCondition(single('status', 'draining', TS.ComparatorType.EQUAL));
    or.addSubCondition(single('used', long(3), TS.ComparatorType.GREATER_THAN));
    const not = new TS.CompositeCondition(TS.LogicalOperator.NOT);
    not.addSubCondition(single('status', 'draining', TS.ComparatorType.EQUAL));

    const outcomes: Record<string, string> = {};
    const cases: Record<string, unknown> = {
      equal: single('status', 'active', TS.ComparatorType.EQUAL),
      notEqual: single('status', 'active', TS.ComparatorType.NOT_EQUAL),
      greaterEqual: single('used', long(3), TS.ComparatorType.GREATER_EQUAL),
      lessEqual: single('used', long(2), TS.ComparatorType.LESS_EQUAL),
      missingPasses: single('absent', 'x', TS.ComparatorType.EQUAL, true),
      missingFails: single('absent', 'x', TS.ComparatorType.EQUAL, false),
      typeMismatch: single('used', 3, TS.ComparatorType.EQUAL),
      and,
      or,
      not,
    };
    for (const [name, cc] of Object.entries(cases)) {
      outcomes[name] = await update(cc).then(
        () => 'ok',
        (e: { message: string }) => /OTS[A-Za-z]+/.exec(e.message)?.[0] ?? 'error',
      );
    }

    expect(outcomes).toEqual({
      equal: 'ok',
      notEqual: 'OTSConditionCheckFail',
      greaterEqual: 'ok',
      lessEqual: 'OTSConditionCheckFail',
      missingPasses: 'ok',
      missingFails: 'OTSConditionCheckFail',
      typeMismatch: 'OTSConditionCheckFail',
      and: 'ok',
      or: 'OTSConditionCheckFail',
      not: 'ok',
    });
  });

  it('compares primary-key columns, caps a condition at 10 columns, and needs two sub-conditions for AND/OR', async () => {
    await client.putRow({ tableName: 'rows', condition: ignore(), primaryKey: key('a', 5), attributeColumns: [{ v: long(1) }] });
    const single = (col: string, v: unknown) => new TS.SingleColumnCondition(col, v, TS.ComparatorType.EQUAL);
    const update = (cc: unknown) =>
      outcomeOf(
        client.updateRow({
          tableName: 'rows',
          condition: expectExist(cc),
          primaryKey: key('a', 5),
          updateOfAttributeColumns: [{ PUT: [{ w: 1 }] }],
        }),
      );
    const eleven = new TS.CompositeCondition(TS.LogicalOperator.AND);
    for (let i = 0; i < 11; i++) eleven.addSubCondition(single('v', long(1)));
    const ten = new TS.CompositeCondition(TS.LogicalOperator.AND);
    for (let i = 0; i < 10; i++) ten.addSubCondition(single('v', long(1)));
    const lonelyAnd = new TS.CompositeCondition(TS.LogicalOperator.AND);
    lonelyAnd.addSubCondition(single('v', long(1)));

    const results = {
      pkMatches: await update(single('n', long(5))),
      pkDiffers: await update(single('pk', 'b')),
      ten: await update(ten),
      eleven: await update(eleven),
      lonelyAnd: await update(lonelyAnd),
    };

    expect(results).toEqual({
      pkMatches: 'ok',
      pkDiffers: '403 OTSConditionCheckFail',
      ten: 'ok',
      eleven: '400 OTSParameterInvalid',
      lonelyAnd: '400 OTSParameterInvalid',
    });
  });

  it('checks older versions only when latestVersionOnly is false', async () => {
    await createTable('versioned', [{ name: 'id', type: 'STRING' }], -1, 3);
    await client.putRow({ tableName: 'versioned', condition: ignore(), primaryKey: [{ id: 'x' }], attributeColumns: [{ v: 'old' }] });
    clockMs += 10;
    await client.updateRow({
      tableName: 'versioned',
      condition: ignore(),
      primaryKey: [{ id: 'x' }],
      updateOfAttributeColumns: [{ PUT: [{ v: 'new' }] }],
    });
    const cond = (latestOnly: boolean) =>
      expectExist(new TS.SingleColumnCondition('v', 'old', TS.ComparatorType.EQUAL, true, latestOnly));

    const latestOnly = await otsError(client.deleteRow({ tableName: 'versioned', condition: cond(true), primaryKey: [{ id: 'x' }] }));
    const anyVersion = await client.deleteRow({ tableName: 'versioned', condition: cond(false), primaryKey: [{ id: 'x' }] });

    expect(latestOnly.code).toBe('OTSConditionCheckFail');
    expect(anyVersion.consumed).toEqual({ capacityUnit: { read: 1, write: 1 } });
    expect((await client.getRow({ tableName: 'versioned', primaryKey: [{ id: 'x' }] })).row).toEqual({});
  });

  it('updates with PUT, DELETE one version, DELETE_ALL and INCREMENT, returning the incremented value', async () => {
    await createTable('counters', [{ name: 'id', type: 'STRING' }], -1, 5);
    await client.putRow({
      tableName: 'counters',
      condition: ignore(),
      primaryKey: [{ id: 'c' }],
      attributeColumns: [{ count: long(10) }, { gone: 'x' }, { multi: 'v1' }],
    });
    clockMs += 5;
    await client.updateRow({
      tableName: 'counters',
      condition: ignore(),
      primaryKey: [{ id: 'c' }],
      updateOfAttributeColumns: [{ PUT: [{ multi: 'v2' }] }],
    });
    clockMs += 5;

    const updated = await client.updateRow({
      tableName: 'counters',
      condition: expectExist(),
      primaryKey: [{ id: 'c' }],
      updateOfAttributeColumns: [
        { INCREMENT: [{ count: long(5) }] },
        { INCREMENT: [{ fresh: long(2) }] },
        { DELETE_ALL: ['gone'] },
        { DELETE: [{ multi: long(T0) }] },
        { PUT: [{ note: 'hi' }] },
      ],
      returnContent: { returnType: TS.ReturnType.AfterModify, returnColumns: ['count', 'fresh'] },
    });
    const got = await client.getRow({ tableName: 'counters', primaryKey: [{ id: 'c' }], maxVersions: 5 });
    const notInteger = await otsError(
      client.updateRow({
        tableName: 'counters',
        condition: ignore(),
        primaryKey: [{ id: 'c' }],
        updateOfAttributeColumns: [{ INCREMENT: [{ note: long(1) }] }],
      }),
    );

    expect(updated).toEqual({
      consumed: { capacityUnit: { read: 1, write: 1 } },
      row: {
        primaryKey: [{ name: 'id', value: 'c' }],
        attributes: [
          { columnName: 'count', columnValue: long(15), timestamp: long(T0 + 10) },
          { columnName: 'fresh', columnValue: long(2), timestamp: long(T0 + 10) },
        ],
      },
      RequestId: anyRequestId,
    });
    expect(got.row.attributes).toEqual([
      { columnName: 'count', columnValue: long(15), timestamp: long(T0 + 10) },
      { columnName: 'count', columnValue: long(10), timestamp: long(T0) },
      { columnName: 'fresh', columnValue: long(2), timestamp: long(T0 + 10) },
      { columnName: 'multi', columnValue: 'v2', timestamp: long(T0 + 5) },
      { columnName: 'note', columnValue: 'hi', timestamp: long(T0 + 10) },
    ]);
    expect(notInteger).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
  });

  it('reads with columnsToGet, maxVersions, timeRange and a column filter', async () => {
    await createTable('reads', [{ name: 'id', type: 'STRING' }], -1, 3);
    for (let i = 0; i < 3; i++) {
      await client.updateRow({
        tableName: 'reads',
        condition: ignore(),
        primaryKey: [{ id: 'r' }],
        updateOfAttributeColumns: [{ PUT: [{ a: `a${i}` }, { b: long(i) }] }],
      });
      clockMs += 100;
    }

    const onlyA = await client.getRow({ tableName: 'reads', primaryKey: [{ id: 'r' }], columnsToGet: ['a'], maxVersions: 2 });
    const ranged = await client.getRow({
      tableName: 'reads',
      primaryKey: [{ id: 'r' }],
      timeRange: { startTime: T0 + 50, endTime: T0 + 150 },
      maxVersions: 3,
    });
    const filteredOut = await client.getRow({
      tableName: 'reads',
      primaryKey: [{ id: 'r' }],
      columnFilter: new TS.SingleColumnCondition('b', long(9), TS.ComparatorType.EQUAL),
    });
    const filteredIn = await client.getRow({
      tableName: 'reads',
      primaryKey: [{ id: 'r' }],
      columnFilter: new TS.SingleColumnCondition('b', long(2), TS.ComparatorType.EQUAL),
      columnsToGet: ['a', 'b'],
    });
    const absentColumns = await client.getRow({ tableName: 'reads', primaryKey: [{ id: 'r' }], columnsToGet: ['zzz'] });

    expect(onlyA.row.attributes).toEqual([
      { columnName: 'a', columnValue: 'a2', timestamp: long(T0 + 200) },
      { columnName: 'a', columnValue: 'a1', timestamp: long(T0 + 100) },
    ]);
    expect(ranged.row.attributes).toEqual([
      { columnName: 'a', columnValue: 'a1', timestamp: long(T0 + 100) },
      { columnName: 'b', columnValue: long(1), timestamp: long(T0 + 100) },
    ]);
    expect(filteredOut.row).toEqual({});
    expect(filteredIn.row.attributes).toHaveLength(2);
    expect(absentColumns.row).toEqual({});
  });

  it('deletes a row and returns its primary key on request', async () => {
    await client.putRow({ tableName: 'rows', condition: ignore(), primaryKey: key('d', 4), attributeColumns: [{ v: 1 }] });

    const deleted = await client.deleteRow({
      tableName: 'rows',
      condition: expectExist(),
      primaryKey: key('d', 4),
      returnContent: { returnType: TS.ReturnType.Primarykey },
    });
    const after = await client.getRow({ tableName: 'rows', primaryKey: key('d', 4) });
    const notExistCondition = await otsError(client.deleteRow({ tableName: 'rows', condition: expectNotExist(), primaryKey: key('d', 4) }));

    expect(deleted).toEqual({
      consumed: { capacityUnit: { read: 1, write: 1 } },
      row: { primaryKey: [{ name: 'pk', value: 'd' }, { name: 'n', value: long(4) }], attributes: [] },
      RequestId: anyRequestId,
    });
    expect(after.row).toEqual({});
    expect(notExistCondition).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
  });

  it('assigns increasing auto-increment keys and returns them with RT_PK', async () => {
    await createTable('seq', [
      { name: 'part', type: 'STRING' },
      { name: 'id', type: 'INTEGER', option: 'AUTO_INCREMENT' },
    ]);
    const put = () =>
      client.putRow({
        tableName: 'seq',
        condition: ignore(),
        primaryKey: [{ part: 'p' }, { id: TS.PK_AUTO_INCR }],
        attributeColumns: [{ v: 1 }],
        returnContent: { returnType: TS.ReturnType.Primarykey },
      });

    const first = await put();
    const second = await put();

    const a = BigInt(first.row.primaryKey[1].value.toString());
    const b = BigInt(second.row.primaryKey[1].value.toString());
    expect(b).toBeGreaterThan(a);
    expect((await ts.admin.state()).tables).toEqual([
      { name: 'rows', rows: 0 },
      { name: 'seq', rows: 2 },
    ]);
  });

  it('rejects keys that do not match the schema and values over the limits', async () => {
    const wrongType = await otsError(client.getRow({ tableName: 'rows', primaryKey: [{ pk: 'a' }, { n: 'x' }] }));
    const wrongCount = await otsError(client.getRow({ tableName: 'rows', primaryKey: [{ pk: 'a' }] }));
    const wrongName = await otsError(client.getRow({ tableName: 'rows', primaryKey: [{ pk: 'a' }, { m: long(1) }] }));
    const bigKey = await otsError(
      client.putRow({ tableName: 'rows', condition: ignore(), primaryKey: key('k'.repeat(1025), 1), attributeColumns: [{ v: 1 }] }),
    );
    const badColumn = await otsError(
      client.putRow({ tableName: 'rows', condition: ignore(), primaryKey: key('a', 1), attributeColumns: [{ 'bad-name': 1 }] }),
    );
    const tooManyColumns = await otsError(
      client.putRow({
        tableName: 'rows',
        condition: ignore(),
        primaryKey: key('a', 1),
        attributeColumns: Array.from({ length: 1025 }, (_, i) => ({ [`c${i}`]: 1 })),
      }),
    );
    const bigValue = await otsError(
      client.putRow({
        tableName: 'rows',
        condition: ignore(),
        primaryKey: key('a', 1),
        attributeColumns: [{ blob: Buffer.alloc(2 * 1024 * 1024 + 1) }],
      }),
    );
    const missingTable = await otsError(client.getRow({ tableName: 'nope', primaryKey: key('a', 1) }));

    expect(wrongType).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
    expect(wrongType.message).toContain('Validate PK type fail');
    expect(wrongCount.message).toContain('Validate PK size fail. Input: 1, Meta: 2.');
    expect(wrongName.message).toContain('Validate PK name fail. Input: m, Meta: n.');
    expect(bigKey).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
    expect(badColumn).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
    expect(tooManyColumns).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
    expect(tooManyColumns.message).toContain('The number of columns from the request exceeds the limit, limit count: 1024, column count: 1025.');
    expect(bigValue).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
    expect(missingTable).toMatchObject({ status: 404, code: 'OTSObjectNotExist' });
    expect((await ts.admin.state()).tables).toEqual([{ name: 'rows', rows: 0 }]);
  });

  it('bounds STRING key values in UTF-8 bytes, on writes and on range bounds alike', async () => {
    // 400 × "€" is 400 UTF-16 units but 1,200 UTF-8 bytes; 341 × "€" + "a" is exactly 1,024.
    const wide = '€'.repeat(400);
    const atLimit = `${'€'.repeat(341)}a`;
    const range = (start: string) =>
      client.getRange({
        tableName: 'rows',
        direction: TS.Direction.FORWARD,
        inclusiveStartPrimaryKey: key(start, 0),
        exclusiveEndPrimaryKey: [{ pk: TS.INF_MAX }, { n: TS.INF_MAX }],
      });
    const put = (pk: string) => client.putRow({ tableName: 'rows', condition: ignore(), primaryKey: key(pk, 1), attributeColumns: [{ v: 1 }] });

    const wideRange = await otsError(range(wide));
    const widePut = await otsError(put(wide));
    const accepted = await range(atLimit);
    await put(atLimit);

    for (const refused of [wideRange, widePut]) {
      expect(refused).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
      expect(refused.message).toContain('The length of primary key column: pk exceeds the MaxLength: 1024 with CurrentLength: 1200.');
    }
    expect(accepted.rows).toEqual([]);
    expect((await ts.admin.state()).tables).toEqual([{ name: 'rows', rows: 1 }]);
  });

  it('rejects explicit cell timestamps beyond the allowed deviation', async () => {
    const stale = await otsError(
      client.putRow({
        tableName: 'rows',
        condition: ignore(),
        primaryKey: key('a', 1),
        attributeColumns: [{ v: 1, timestamp: T0 - 2 * 86400 * 1000 }],
      }),
    );
    const recent = await client.putRow({
      tableName: 'rows',
      condition: ignore(),
      primaryKey: key('a', 1),
      attributeColumns: [{ v: 1, timestamp: T0 - 1000 }],
    });

    expect(stale).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
    expect(recent.consumed.capacityUnit.write).toBe(1);
    const got = await client.getRow({ tableName: 'rows', primaryKey: key('a', 1) });
    expect(got.row.attributes).toEqual([{ columnName: 'v', columnValue: 1, timestamp: long(T0 - 1000) }]);
  });
});

describe('Tablestore emulator: TTL and versions', () => {
  it('hides cells older than the table TTL as the clock moves, and honours max versions', async () => {
    await createTable('ttl', [{ name: 'id', type: 'STRING' }], 86400, 2);
    await client.putRow({ tableName: 'ttl', condition: ignore(), primaryKey: [{ id: 'old' }], attributeColumns: [{ v: 'a' }] });
    clockMs += 3600_000;
    await client.putRow({ tableName: 'ttl', condition: ignore(), primaryKey: [{ id: 'new' }], attributeColumns: [{ v: 'b' }] });
    for (let i = 0; i < 3; i++) {
      clockMs += 1;
      await client.updateRow({
        tableName: 'ttl',
        condition: ignore(),
        primaryKey: [{ id: 'new' }],
        updateOfAttributeColumns: [{ PUT: [{ w: long(i) }] }],
      });
    }

    clockMs = T0 + 86400_000 + 1;
    const expired = await client.getRow({ tableName: 'ttl', primaryKey: [{ id: 'old' }] });
    const alive = await client.getRow({ tableName: 'ttl', primaryKey: [{ id: 'new' }], maxVersions: 10 });
    const existsAgain = await client.putRow({
      tableName: 'ttl',
      condition: expectNotExist(),
      primaryKey: [{ id: 'old' }],
      attributeColumns: [{ v: 'c' }],
    });

    expect(expired.row).toEqual({});
    expect(alive.row.attributes.map((a: { columnName: string; columnValue: unknown }) => [a.columnName, String(a.columnValue)])).toEqual([
      ['v', 'b'],
      ['w', '2'],
      ['w', '1'],
    ]);
    expect(existsAgain.consumed.capacityUnit.write).toBe(1);
    clockMs = T0 + 3600_000 + 86400_000 + 10;
    expect((await ts.admin.state()).tables).toEqual([{ name: 'ttl', rows: 1 }]);
  });

  it('applies a TTL and max versions lowered by UpdateTable to data already stored', async () => {
    await createTable('later', [{ name: 'id', type: 'STRING' }], -1, 3);
    for (let i = 0; i < 3; i++) {
      await client.updateRow({
        tableName: 'later',
        condition: ignore(),
        primaryKey: [{ id: 'r' }],
        updateOfAttributeColumns: [{ PUT: [{ v: long(i) }] }],
      });
      clockMs += 1;
    }

    await client.updateTable({ tableName: 'later', tableOptions: { maxVersions: 1, timeToLive: 86400 } });
    const oneVersion = await client.getRow({ tableName: 'later', primaryKey: [{ id: 'r' }], maxVersions: 3 });
    clockMs = T0 + 86400_000 + 10;
    const expired = await client.getRow({ tableName: 'later', primaryKey: [{ id: 'r' }], maxVersions: 3 });

    expect(oneVersion.row.attributes).toEqual([{ columnName: 'v', columnValue: long(2), timestamp: long(T0 + 2) }]);
    expect(expired.row).toEqual({});
  });
});
