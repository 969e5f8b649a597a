// PlainBuffer: the row encoding Tablestore carries inside protobuf `bytes` fields.
// Our own reader and writer (the SDK's reader cannot parse update ops or INF keys),
// with CRC-8 checked on every cell and row in both directions.

export const HEADER = 0x75;

const TAG_ROW_PK = 0x01;
const TAG_ROW_DATA = 0x02;
const TAG_CELL = 0x03;
const TAG_CELL_NAME = 0x04;
const TAG_CELL_VALUE = 0x05;
const TAG_CELL_TYPE = 0x06;
const TAG_CELL_TIMESTAMP = 0x07;
const TAG_DELETE_ROW_MARKER = 0x08;
const TAG_ROW_CHECKSUM = 0x09;
const TAG_CELL_CHECKSUM = 0x0a;

const VT_INTEGER = 0x00;
const VT_DOUBLE = 0x01;
const VT_BOOLEAN = 0x02;
const VT_STRING = 0x03;
const VT_BLOB = 0x07;
const VT_INF_MIN = 0x09;
const VT_INF_MAX = 0x0a;
const VT_AUTO_INCREMENT = 0x0b;

const OP_DELETE_ALL_VERSION = 0x01;
const OP_DELETE_ONE_VERSION = 0x03;
const OP_INCREMENT = 0x04;

export type Value =
  | { type: 'INTEGER'; value: bigint }
  | { type: 'DOUBLE'; value: number }
  | { type: 'BOOLEAN'; value: boolean }
  | { type: 'STRING'; value: string }
  | { type: 'BINARY'; value: Buffer };

export type PkValue = Value | { type: 'INF_MIN' } | { type: 'INF_MAX' } | { type: 'AUTO_INCREMENT' };

export type CellOp = 'PUT' | 'DELETE_ONE_VERSION' | 'DELETE_ALL_VERSION' | 'INCREMENT';

export interface PkColumn {
  name: string;
  value: PkValue;
}

export interface Cell {
  name: string;
  value?: Value;
  op: CellOp;
  /** milliseconds since epoch */
  timestamp?: number;
}

export interface Row {
  primaryKey: PkColumn[];
  cells: Cell[];
  deleteMarker: boolean;
}

export class PlainBufferError extends Error {
  constructor(
    message: string,
    /** true when the message is the service's complete wording, to be passed on as is */
    readonly complete = false,
  ) {
    super(message);
    this.name = 'PlainBufferError';
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

// CRC-8, polynomial 0x07, init 0, not reflected.
const CRC8_TABLE = (() => {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
    table[i] = crc;
  }
  return table;
})();

export function crc8Byte(crc: number, byte: number): number {
  return CRC8_TABLE[(crc ^ byte) & 0xff]!;
}

export function crc8Bytes(crc: number, bytes: Uint8Array): number {
  let c = crc;
  for (let i = 0; i < bytes.length; i++) c = CRC8_TABLE[(c ^ bytes[i]!) & 0xff]!;
  return c;
}

// ---------------------------------------------------------------- reader

class Reader {
  pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly end: number = buf.length,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.end;
  }
  need(n: number): void {
    if (this.pos + n > this.end) throw new PlainBufferError('Unexpected end of PlainBuffer data.');
  }
  peek(): number {
    this.need(1);
    return this.buf[this.pos]!;
  }
  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
  expect(tag: number, what: string): void {
    const got = this.byte();
    if (got !== tag) throw new PlainBufferError(`Expect ${what} but it was 0x${got.toString(16)}.`);
  }
}

function readTypedValue(r: Reader, crcIn: number, allowSpecial: boolean, column = ''): { value: PkValue; crc: number } {
  const type = r.byte();
  let crc = crc8Byte(crcIn, type);
  switch (type) {
    case VT_INTEGER: {
      const raw = r.bytes(8);
      crc = crc8Bytes(crc, raw);
      return { value: { type: 'INTEGER', value: raw.readBigInt64LE(0) }, crc };
    }
    case VT_DOUBLE: {
      const raw = r.bytes(8);
      crc = crc8Bytes(crc, raw);
      return { value: { type: 'DOUBLE', value: raw.readDoubleLE(0) }, crc };
    }
    case VT_BOOLEAN: {
      const b = r.byte();
      crc = crc8Byte(crc, b);
      return { value: { type: 'BOOLEAN', value: b !== 0 }, crc };
    }
    case VT_STRING:
    case VT_BLOB: {
      const lenBytes = r.bytes(4);
      const len = lenBytes.readUInt32LE(0);
      const payload = r.bytes(len);
      crc = crc8Bytes(crc8Bytes(crc, lenBytes), payload);
      let value: Value;
      if (type === VT_STRING) {
        try {
          value = { type: 'STRING', value: strictUtf8.decode(payload) };
        } catch {
          throw new PlainBufferError(`Value of column ${column} must be UTF8 encoding.`, true);
        }
      } else {
        value = { type: 'BINARY', value: payload };
      }
      return { value, crc };
    }
    case VT_INF_MIN:
    case VT_INF_MAX:
    case VT_AUTO_INCREMENT:
      if (!allowSpecial) throw new PlainBufferError(`Value type 0x${type.toString(16)} is only allowed in primary keys.`);
      return {
        value: { type: type === VT_INF_MIN ? 'INF_MIN' : type === VT_INF_MAX ? 'INF_MAX' : 'AUTO_INCREMENT' },
        crc,
      };
    default:
      throw new PlainBufferError(`Unsupported value type 0x${type.toString(16)}.`);
  }
}

function readCellValue(r: Reader, crc: number, allowSpecial: boolean, column: string): { value: PkValue; crc: number } {
  const declared = r.u32();
  const start = r.pos;
  const out = readTypedValue(r, crc, allowSpecial, column);
  if (r.pos - start !== declared) throw new PlainBufferError('Cell value length does not match its content.');
  return out;
}

function readName(r: Reader): Buffer {
  r.expect(TAG_CELL_NAME, 'TAG_CELL_NAME');
  const len = r.u32();
  return r.bytes(len);
}

function readPkCell(r: Reader): { column: PkColumn; crc: number } {
  r.expect(TAG_CELL, 'TAG_CELL');
  const nameBytes = readName(r);
  let crc = crc8Bytes(0, nameBytes);
  const name = nameBytes.toString('utf8');
  r.expect(TAG_CELL_VALUE, 'TAG_CELL_VALUE');
  const v = readCellValue(r, crc, true, name);
  crc = v.crc;
  r.expect(TAG_CELL_CHECKSUM, 'TAG_CELL_CHECKSUM');
  const stored = r.byte();
  if (stored !== crc) throw new PlainBufferError(`Checksum mismatch in primary key cell '${name}'.`);
  return { column: { name, value: v.value }, crc };
}

function readAttrCell(r: Reader): { cell: Cell; crc: number } {
  r.expect(TAG_CELL, 'TAG_CELL');
  const nameBytes = readName(r);
  const name = nameBytes.toString('utf8');
  let crc = crc8Bytes(0, nameBytes);
  let value: Value | undefined;
  let op: CellOp = 'PUT';
  let opByte: number | undefined;
  let timestamp: number | undefined;
  if (r.peek() === TAG_CELL_VALUE) {
    r.byte();
    const v = readCellValue(r, crc, false, name);
    value = v.value as Value;
    crc = v.crc;
  }
  if (r.peek() === TAG_CELL_TYPE) {
    r.byte();
    opByte = r.byte();
    if (opByte === OP_DELETE_ALL_VERSION) op = 'DELETE_ALL_VERSION';
    else if (opByte === OP_DELETE_ONE_VERSION) op = 'DELETE_ONE_VERSION';
    else if (opByte === OP_INCREMENT) op = 'INCREMENT';
    else throw new PlainBufferError(`Unsupported cell operation 0x${opByte.toString(16)} in column '${name}'.`);
  }
  if (r.peek() === TAG_CELL_TIMESTAMP) {
    r.byte();
    const raw = r.bytes(8);
    crc = crc8Bytes(crc, raw);
    timestamp = Number(raw.readBigInt64LE(0));
  }
  // The op byte is folded into the checksum after the timestamp, although it precedes it on the wire.
  if (opByte !== undefined) crc = crc8Byte(crc, opByte);
  r.expect(TAG_CELL_CHECKSUM, 'TAG_CELL_CHECKSUM');
  const stored = r.byte();
  if (stored !== crc) throw new PlainBufferError(`Checksum mismatch in cell '${name}'.`);
  const cell: Cell = { name, op };
  if (value !== undefined) cell.value = value;
  if (timestamp !== undefined) cell.timestamp = timestamp;
  return { cell, crc };
}

function readRowBody(r: Reader): Row {
  const row: Row = { primaryKey: [], cells: [], deleteMarker: false };
  let rowCrc = 0;
  if (!r.atEnd() && r.peek() === TAG_ROW_PK) {
    r.byte();
    while (!r.atEnd() && r.peek() === TAG_CELL) {
      const { column, crc } = readPkCell(r);
      row.primaryKey.push(column);
      rowCrc = crc8Byte(rowCrc, crc);
    }
  }
  if (!r.atEnd() && r.peek() === TAG_ROW_DATA) {
    r.byte();
    while (!r.atEnd() && r.peek() === TAG_CELL) {
      const { cell, crc } = readAttrCell(r);
      row.cells.push(cell);
      rowCrc = crc8Byte(rowCrc, crc);
    }
  }
  if (!r.atEnd() && r.peek() === TAG_DELETE_ROW_MARKER) {
    r.byte();
    row.deleteMarker = true;
  }
  rowCrc = crc8Byte(rowCrc, row.deleteMarker ? 1 : 0);
  r.expect(TAG_ROW_CHECKSUM, 'TAG_ROW_CHECKSUM');
  const stored = r.byte();
  if (stored !== rowCrc) throw new PlainBufferError('Row checksum mismatch.');
  return row;
}

function readHeader(r: Reader): void {
  if (r.u32() !== HEADER) throw new PlainBufferError('Invalid PlainBuffer header.');
}

/** Reads one row; bytes after the row checksum must be zero padding (the SDK over-allocates). */
export function decodeRow(buf: Uint8Array): Row {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const r = new Reader(b);
  readHeader(r);
  const row = readRowBody(r);
  for (let i = r.pos; i < b.length; i++) {
    if (b[i] !== 0) throw new PlainBufferError('Unexpected data after the row checksum.');
  }
  return row;
}

/** Reads a header followed by rows back to back (GetRange `rows`). */
export function decodeRows(buf: Uint8Array): Row[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length === 0) return [];
  const r = new Reader(b);
  readHeader(r);
  const rows: Row[] = [];
  while (!r.atEnd()) rows.push(readRowBody(r));
  return rows;
}

/** A bare value (type byte + payload), as in SingleColumnValueFilter.column_value. */
export function decodeBareValue(buf: Uint8Array): Value {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const r = new Reader(b);
  const { value } = readTypedValue(r, 0, false);
  if (!r.atEnd()) throw new PlainBufferError('Unexpected data after the value.');
  return value as Value;
}

// ---------------------------------------------------------------- writer

class Writer {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  byte(v: number): void {
    this.push(Buffer.from([v & 0xff]));
  }
  u32(v: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(v >>> 0, 0);
    this.push(b);
  }
  finish(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function typedValueBytes(value: PkValue): Buffer {
  switch (value.type) {
    case 'INTEGER': {
      const b = Buffer.allocUnsafe(9);
      b[0] = VT_INTEGER;
      b.writeBigInt64LE(value.value, 1);
      return b;
    }
    case 'DOUBLE': {
      const b = Buffer.allocUnsafe(9);
      b[0] = VT_DOUBLE;
      b.writeDoubleLE(value.value, 1);
      return b;
    }
    case 'BOOLEAN':
      return Buffer.from([VT_BOOLEAN, value.value ? 1 : 0]);
    case 'STRING':
    case 'BINARY': {
      const payload = value.type === 'STRING' ? Buffer.from(value.value, 'utf8') : value.value;
      const b = Buffer.allocUnsafe(5 + payload.length);
      b[0] = value.type === 'STRING' ? VT_STRING : VT_BLOB;
      b.writeUInt32LE(payload.length, 1);
      payload.copy(b, 5);
      return b;
    }
    case 'INF_MIN':
      return Buffer.from([VT_INF_MIN]);
    case 'INF_MAX':
      return Buffer.from([VT_INF_MAX]);
    case 'AUTO_INCREMENT':
      return Buffer.from([VT_AUTO_INCREMENT]);
  }
}

export function encodeBareValue(value: Value): Buffer {
  return typedValueBytes(value);
}

function writeName(w: Writer, name: string): number {
  const nameBytes = Buffer.from(name, 'utf8');
  w.byte(TAG_CELL);
  w.byte(TAG_CELL_NAME);
  w.u32(nameBytes.length);
  w.push(nameBytes);
  return crc8Bytes(0, nameBytes);
}

function writeValue(w: Writer, value: PkValue, crc: number): number {
  const typed = typedValueBytes(value);
  w.byte(TAG_CELL_VALUE);
  w.u32(typed.length);
  w.push(typed);
  return crc8Bytes(crc, typed);
}

function writeRowBody(w: Writer, row: Row): void {
  let rowCrc = 0;
  if (row.primaryKey.length > 0) {
    w.byte(TAG_ROW_PK);
    for (const pk of row.primaryKey) {
      let crc = writeName(w, pk.name);
      crc = writeValue(w, pk.value, crc);
      w.byte(TAG_CELL_CHECKSUM);
      w.byte(crc);
      rowCrc = crc8Byte(rowCrc, crc);
    }
  }
  if (row.cells.length > 0) {
    w.byte(TAG_ROW_DATA);
    for (const cell of row.cells) {
      let crc = writeName(w, cell.name);
      if (cell.value !== undefined) crc = writeValue(w, cell.value, crc);
      const opByte =
        cell.op === 'DELETE_ALL_VERSION'
          ? OP_DELETE_ALL_VERSION
          : cell.op === 'DELETE_ONE_VERSION'
            ? OP_DELETE_ONE_VERSION
            : cell.op === 'INCREMENT'
              ? OP_INCREMENT
              : undefined;
      if (opByte !== undefined) {
        w.byte(TAG_CELL_TYPE);
        w.byte(opByte);
      }
      if (cell.timestamp !== undefined) {
        const ts = Buffer.allocUnsafe(8);
        ts.writeBigInt64LE(BigInt(cell.timestamp), 0);
        w.byte(TAG_CELL_TIMESTAMP);
        w.push(ts);
        crc = crc8Bytes(crc, ts);
      }
      if (opByte !== undefined) crc = crc8Byte(crc, opByte);
      w.byte(TAG_CELL_CHECKSUM);
      w.byte(crc);
      rowCrc = crc8Byte(rowCrc, crc);
    }
  }
  if (row.deleteMarker) w.byte(TAG_DELETE_ROW_MARKER);
  rowCrc = crc8Byte(rowCrc, row.deleteMarker ? 1 : 0);
  w.byte(TAG_ROW_CHECKSUM);
  w.byte(rowCrc);
}

function writeHeader(w: Writer): void {
  w.u32(HEADER);
}

export function encodeRow(row: Row): Buffer {
  const w = new Writer();
  writeHeader(w);
  writeRowBody(w, row);
  return w.finish();
}

export function encodeRows(rows: readonly Row[]): Buffer {
  if (rows.length === 0) return Buffer.alloc(0);
  const w = new Writer();
  writeHeader(w);
  for (const row of rows) writeRowBody(w, row);
  return w.finish();
}

/** Approximate stored size of a value, as Tablestore counts it toward row and column limits. */
export function valueSize(value: PkValue): number {
  switch (value.type) {
    case 'INTEGER':
    case 'DOUBLE':
      return 8;
    case 'BOOLEAN':
      return 1;
    case 'STRING':
      return Buffer.byteLength(value.value, 'utf8');
    case 'BINARY':
      return value.value.length;
    default:
      return 0;
  }
}
