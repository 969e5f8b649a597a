// Wire-level checks of the Tablestore emulator over raw HTTP: request authentication (signature,
// MD5, date skew, instance), protobuf errors, the signed response headers, and the PlainBuffer codec
// against the SDK's own encoder.
import { createHash, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  crc8Byte,
  crc8Bytes,
  decodeBareValue,
  decodeRow,
  decodeRows,
  encodeBareValue,
  encodeRow,
  encodeRows,
  PlainBufferError,
  type Row,
} from '../../emulators/tablestore/plainbuffer.js';
import { startTablestore, TableStore as TS, type StartedTablestore } from '../support/tablestore.js';

const require = createRequire(import.meta.url);
const proto = require('tablestore/lib/protocol/tablestore_compiled_proto.js').main.proto;

let ts: StartedTablestore;
let requestClockMs = Date.now();

interface RawOptions {
  body?: Buffer;
  date?: string;
  secret?: string;
  md5?: string;
  instance?: string;
  method?: string;
  omit?: string;
  stsToken?: string;
  accessKeyId?: string;
}

async function raw(op: string, opts: RawOptions = {}) {
  const body = opts.body ?? Buffer.from(proto.ListTableRequest.encode({}).finish());
  const headers: Record<string, string> = {
    'x-ots-apiversion': '2015-12-31',
    'x-ots-instancename': opts.instance ?? ts.emulator.instance,
    'x-ots-date': opts.date ?? new Date(requestClockMs).toISOString(),
    'x-ots-accesskeyid': opts.accessKeyId ?? ts.emulator.accessKeyId,
    'x-ots-contentmd5': opts.md5 ?? createHash('md5').update(body).digest('base64'),
  };
  if (opts.stsToken) headers['x-ots-ststoken'] = opts.stsToken;
  const canonical = Object.keys(headers)
    .sort()
    .map((k) => `${k}:${headers[k]}`)
    .join('\n');
  headers['x-ots-signature'] = createHmac('sha1', opts.secret ?? ts.emulator.accessKeySecret)
    .update(`/${op}\nPOST\n\n${canonical}\n`)
    .digest('base64');
  if (opts.omit) delete headers[opts.omit];
  const res = await fetch(`${ts.emulator.endpoint}/${op}`, { method: opts.method ?? 'POST', headers, body: opts.method === 'GET' ? undefined : body });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()), bytes };
}

function decodeError(bytes: Buffer) {
  const e = proto.Error.decode(bytes);
  return { code: e.code, message: e.message };
}

beforeAll(async () => {
  ts = await startTablestore({ requestClock: () => new Date(requestClockMs) });
});

afterAll(async () => {
  await ts.close();
});

describe('Tablestore emulator: request authentication', () => {
  it('accepts a correctly signed request (with or without an STS token) and signs its response', async () => {
    const res = await raw('ListTable', { stsToken: 'sts-token-value' });

    expect(res.status).toBe(200);
    expect(proto.ListTableResponse.decode(res.bytes).tableNames).toEqual([]);
    expect(res.headers['x-ots-contenttype']).toBe('protocol buffer');
    expect(res.headers['x-ots-contentmd5']).toBe(createHash('md5').update(res.bytes).digest('base64'));
    expect(res.headers['x-ots-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-ots-date']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    // Response signature as the official Python SDK verifies it.
    const canonical = ['x-ots-contentmd5', 'x-ots-contenttype', 'x-ots-date', 'x-ots-requestid']
      .map((k) => `${k}:${res.headers[k]}`)
      .join('\n');
    const expected = createHmac('sha1', ts.emulator.accessKeySecret).update(`${canonical}\n/ListTable`).digest('base64');
    expect(res.headers.authorization).toBe(`OTS ${ts.emulator.accessKeyId}:${expected}`);
  });

  it('rejects bad signatures, MD5s, dates, keys, instances and missing headers with the service messages', async () => {
    const skewedDate = new Date(requestClockMs - 16 * 60 * 1000).toISOString();
    const cases = {
      signature: await raw('ListTable', { secret: 'wrong-secret' }),
      md5: await raw('ListTable', { md5: createHash('md5').update('other').digest('base64') }),
      skewed: await raw('ListTable', { date: skewedDate }),
      badDate: await raw('ListTable', { date: 'blahblah' }),
      accessKey: await raw('ListTable', { accessKeyId: 'someone-else' }),
      instance: await raw('ListTable', { instance: 'other' }),
      missingSignature: await raw('ListTable', { omit: 'x-ots-signature' }),
      missingDate: await raw('ListTable', { omit: 'x-ots-date' }),
      missingApiVersion: await raw('ListTable', { omit: 'x-ots-apiversion' }),
      tooLarge: await raw('PutRow', { body: Buffer.alloc(8 * 1024 * 1024 + 1) }),
    };

    const summary = Object.fromEntries(Object.entries(cases).map(([k, r]) => [k, { status: r.status, ...decodeError(r.bytes) }]));
    expect(summary).toEqual({
      signature: { status: 403, code: 'OTSAuthFailed', message: 'Signature mismatch.' },
      md5: { status: 403, code: 'OTSAuthFailed', message: 'Mismatch between MD5 value of request body and x-ots-contentmd5 in header.' },
      skewed: { status: 403, code: 'OTSAuthFailed', message: `Mismatch between system time and x-ots-date: ${skewedDate}.` },
      badDate: { status: 400, code: 'OTSParameterInvalid', message: 'Invalid date format: blahblah.' },
      accessKey: { status: 403, code: 'OTSAuthFailed', message: 'The AccessKeyID does not exist.' },
      instance: { status: 403, code: 'OTSAuthFailed', message: 'The instance is not found.' },
      missingSignature: { status: 400, code: 'OTSMissingHeader', message: "Missing header: 'x-ots-signature'." },
      missingDate: { status: 400, code: 'OTSMissingHeader', message: "Missing header: 'x-ots-date'." },
      missingApiVersion: { status: 403, code: 'OTSAuthFailed', message: "Missing header: 'x-ots-apiversion'." },
      tooLarge: { status: 413, code: 'OTSRequestBodyTooLarge', message: 'The size of POST data is too large.' },
    });
  });

  it('follows the injected request clock for the 15-minute skew window', async () => {
    const sentAt = new Date(requestClockMs).toISOString();
    requestClockMs += 14 * 60 * 1000;
    const within = await raw('ListTable', { date: sentAt });
    requestClockMs += 2 * 60 * 1000;
    const outside = await raw('ListTable', { date: sentAt });
    requestClockMs = Date.now();

    expect(within.status).toBe(200);
    expect(outside.status).toBe(403);
  });

  it('answers an unknown operation, a GET and an unparsable body with protobuf errors', async () => {
    const unknown = await raw('DropEverything');
    const get = await raw('ListTable', { method: 'GET' });
    const garbage = await raw('DescribeTable', { body: Buffer.from([0xff, 0xff, 0xff]) });
    const missingField = await raw('DescribeTable', { body: Buffer.alloc(0) });

    expect({ status: unknown.status, ...decodeError(unknown.bytes) }).toEqual({
      status: 400,
      code: 'OTSUnsupportOperation',
      message: "Unsupported operation: 'DropEverything'.",
    });
    expect({ status: get.status, ...decodeError(get.bytes) }).toEqual({
      status: 405,
      code: 'OTSMethodNotAllowed',
      message: 'Only POST method for requests is supported.',
    });
    for (const r of [garbage, missingField]) {
      expect({ status: r.status, ...decodeError(r.bytes) }).toEqual({
        status: 400,
        code: 'OTSParameterInvalid',
        message: 'Failed to parse the ProtoBuf message.',
      });
    }
  });

  it('rejects a row whose cell checksum is corrupted', async () => {
    const client = ts.client;
    await client.createTable({
      tableMeta: { tableName: 'crc', primaryKey: [{ name: 'id', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const row = Buffer.from(TS.PlainBufferBuilder.serializeForPutRow([{ id: 'a' }], [{ v: 'x' }]));
    const cellCrcAt = row.indexOf(0x0a, row.indexOf(Buffer.from('x')));
    row[cellCrcAt + 1] = row[cellCrcAt + 1]! ^ 0xff;
    const body = Buffer.from(proto.PutRowRequest.encode({ tableName: 'crc', row, condition: { rowExistence: 0 } }).finish());

    const res = await raw('PutRow', { body });

    expect(res.status).toBe(400);
    expect(decodeError(res.bytes)).toEqual({ code: 'OTSParameterInvalid', message: "Invalid row: Checksum mismatch in cell 'v'." });
    expect((await ts.admin.state()).tables).toEqual([{ name: 'crc', rows: 0 }]);
  });
});

describe('Tablestore emulator: PlainBuffer codec', () => {
  const sdkPk = (pk: object[]) => Buffer.from(TS.PlainBufferBuilder.serializePrimaryKey(pk));

  it('reads what the SDK writes: every value type, INF keys, AUTO_INCREMENT and update operations', () => {
    const put = decodeRow(
      TS.PlainBufferBuilder.serializeForPutRow(
        [{ s: 'k' }, { i: TS.Long.fromNumber(-5) }, { b: Buffer.from([9]) }],
        [{ str: 'ü' }, { dbl: -0.25 }, { yes: true }, { no: false }, { int: TS.Long.fromString('9007199254740993') }, { blob: Buffer.from([1, 2, 3]) }, { when: 'x', timestamp: 1234 }],
      ),
    );
    const range = decodeRow(sdkPk([{ a: TS.INF_MIN }, { b: TS.INF_MAX }, { c: TS.PK_AUTO_INCR }]));
    const update = decodeRow(
      TS.PlainBufferBuilder.serializeForUpdateRow(
        [{ id: 'u' }],
        [{ PUT: [{ p: 1, timestamp: 99 }] }, { DELETE: [{ d: TS.Long.fromNumber(42) }] }, { DELETE_ALL: ['all'] }, { INCREMENT: [{ n: TS.Long.fromNumber(3) }] }],
      ),
    );
    const deletion = decodeRow(TS.PlainBufferBuilder.serializeForDeleteRow([{ id: 'd' }]));

    expect(put).toEqual({
      primaryKey: [
        { name: 's', value: { type: 'STRING', value: 'k' } },
        { name: 'i', value: { type: 'INTEGER', value: -5n } },
        { name: 'b', value: { type: 'BINARY', value: Buffer.from([9]) } },
      ],
      cells: [
        { name: 'str', op: 'PUT', value: { type: 'STRING', value: 'ü' } },
        { name: 'dbl', op: 'PUT', value: { type: 'DOUBLE', value: -0.25 } },
        { name: 'yes', op: 'PUT', value: { type: 'BOOLEAN', value: true } },
        { name: 'no', op: 'PUT', value: { type: 'BOOLEAN', value: false } },
        { name: 'int', op: 'PUT', value: { type: 'INTEGER', value: 9007199254740993n } },
        { name: 'blob', op: 'PUT', value: { type: 'BINARY', value: Buffer.from([1, 2, 3]) } },
        { name: 'when', op: 'PUT', value: { type: 'STRING', value: 'x' }, timestamp: 1234 },
      ],
      deleteMarker: false,
    });
    expect(range.primaryKey).toEqual([
      { name: 'a', value: { type: 'INF_MIN' } },
      { name: 'b', value: { type: 'INF_MAX' } },
      { name: 'c', value: { type: 'AUTO_INCREMENT' } },
    ]);
    expect(update.cells).toEqual([
      { name: 'p', op: 'PUT', value: { type: 'DOUBLE', value: 1 }, timestamp: 99 },
      { name: 'd', op: 'DELETE_ONE_VERSION', timestamp: 42 },
      { name: 'all', op: 'DELETE_ALL_VERSION' },
      { name: 'n', op: 'INCREMENT', value: { type: 'INTEGER', value: 3n } },
    ]);
    expect(deletion).toEqual({ primaryKey: [{ name: 'id', value: { type: 'STRING', value: 'd' } }], cells: [], deleteMarker: true });
  });

  it('round-trips through its own writer, byte for byte, and the SDK reader accepts the result', () => {
    const row: Row = {
      primaryKey: [
        { name: 'id', value: { type: 'STRING', value: 'ключ' } },
        { name: 'n', value: { type: 'INTEGER', value: -(2n ** 63n) } },
      ],
      cells: [
        { name: 'b', value: { type: 'BINARY', value: Buffer.alloc(0) }, op: 'PUT', timestamp: 1 },
        { name: 'd', value: { type: 'DOUBLE', value: Number.NaN }, op: 'PUT', timestamp: 2 },
        { name: 'f', value: { type: 'BOOLEAN', value: true }, op: 'PUT', timestamp: 3 },
        { name: 'i', value: { type: 'INTEGER', value: 2n ** 63n - 1n }, op: 'PUT', timestamp: 4 },
        { name: 's', value: { type: 'STRING', value: '' }, op: 'PUT', timestamp: 5 },
      ],
      deleteMarker: false,
    };
    const updateRow: Row = {
      primaryKey: [{ name: 'k', value: { type: 'INF_MAX' } }],
      cells: [
        { name: 'x', op: 'DELETE_ONE_VERSION', timestamp: 7 },
        { name: 'y', op: 'DELETE_ALL_VERSION' },
        { name: 'z', op: 'INCREMENT', value: { type: 'INTEGER', value: 1n } },
      ],
      deleteMarker: true,
    };

    const encoded = encodeRow(row);
    const sdkRead = new TS.PlainBufferCodedInputStream(
      new TS.PlainBufferInputStream({ buffer: encoded, offset: 0, limit: encoded.length }),
    ).readRow();
    const rows = encodeRows([row, row]);

    expect(decodeRow(encoded)).toEqual(row);
    expect(decodeRow(encodeRow(updateRow))).toEqual(updateRow);
    expect(encodeRow(decodeRow(encodeRow(updateRow)))).toEqual(encodeRow(updateRow));
    expect(decodeRows(rows)).toEqual([row, row]);
    expect(sdkRead.primaryKey[0]).toEqual({ name: 'id', value: 'ключ' });
    expect(sdkRead.attributes.map((a: { columnName: string }) => a.columnName)).toEqual(['b', 'd', 'f', 'i', 's']);
    for (const v of row.cells.map((c) => c.value!)) expect(decodeBareValue(encodeBareValue(v))).toEqual(v);
    expect(encodeRows([])).toEqual(Buffer.alloc(0));
  });

  it('refuses a STRING value that is not valid UTF-8, with the service message', async () => {
    // A hand-built row: pk id="a", attribute s = STRING 0xFF (not UTF-8), checksums correct.
    const cell = (name: string, typed: Buffer) => {
      const nameBytes = Buffer.from(name);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(nameBytes.length);
      const vlen = Buffer.alloc(4);
      vlen.writeUInt32LE(typed.length);
      const crc = crc8Bytes(crc8Bytes(0, nameBytes), typed);
      return { bytes: Buffer.concat([Buffer.from([0x03, 0x04]), len, nameBytes, Buffer.from([0x05]), vlen, typed, Buffer.from([0x0a, crc])]), crc };
    };
    const pk = cell('id', Buffer.from([0x03, 1, 0, 0, 0, 0x61]));
    const attr = cell('s', Buffer.from([0x03, 1, 0, 0, 0, 0xff]));
    const rowCrc = crc8Byte(crc8Byte(crc8Byte(0, pk.crc), attr.crc), 0);
    const row = Buffer.concat([Buffer.from([0x75, 0, 0, 0, 0x01]), pk.bytes, Buffer.from([0x02]), attr.bytes, Buffer.from([0x09, rowCrc])]);
    await ts.client.createTable({
      tableMeta: { tableName: 'utf8', primaryKey: [{ name: 'id', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const body = Buffer.from(proto.PutRowRequest.encode({ tableName: 'utf8', row, condition: { rowExistence: 0 } }).finish());

    const res = await raw('PutRow', { body });

    expect(() => decodeRow(row)).toThrow('Value of column s must be UTF8 encoding.');
    expect({ status: res.status, ...decodeError(res.bytes) }).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'Value of column s must be UTF8 encoding.',
    });
  });

  it('stops at the row checksum and tolerates zero padding, but rejects trailing data and bad checksums', () => {
    const encoded = encodeRow({ primaryKey: [{ name: 'a', value: { type: 'INF_MIN' } }], cells: [], deleteMarker: false });
    const padded = Buffer.concat([encoded, Buffer.alloc(5)]);
    const trailing = Buffer.concat([encoded, Buffer.from([1])]);
    const badRowCrc = Buffer.from(encoded);
    badRowCrc[badRowCrc.length - 1] = badRowCrc[badRowCrc.length - 1]! ^ 1;
    const badHeader = Buffer.from(encoded);
    badHeader[0] = 0x76;

    expect(decodeRow(padded).primaryKey).toEqual([{ name: 'a', value: { type: 'INF_MIN' } }]);
    expect(() => decodeRow(trailing)).toThrow(PlainBufferError);
    expect(() => decodeRow(badRowCrc)).toThrow('Row checksum mismatch.');
    expect(() => decodeRow(badHeader)).toThrow('Invalid PlainBuffer header.');
    expect(() => decodeRow(encoded.subarray(0, encoded.length - 3))).toThrow('Unexpected end of PlainBuffer data.');
  });
});
