// Optional on-disk persistence: an append-only write-ahead log of row and table states, each record
// framed as [u32 length][u32 crc32][JSON payload], plus a compacted snapshot written to a temporary
// file and renamed into place. Records are "set to this state", so replaying the log over a newer
// snapshot is harmless, except for a log that compaction had already folded into the snapshot (a
// crash between the rename and the log truncation): it may name tables the snapshot no longer has.
// So every snapshot carries a generation and the log starts with the generation it follows; a log
// of an older generation is skipped. A torn last record (process killed mid-write) is ignored;
// damage anywhere else is reported with the file's name instead of silently losing data.
import fs from 'node:fs';
import path from 'node:path';
import { decodeRow, encodeRow, type Row, type Value } from './plainbuffer.js';
import type { ChangeSink, Store, StoredCell, StoredRow, TableMeta } from './store.js';

const SNAPSHOT = 'snapshot.otsdb';
const WAL = 'wal.otslog';
const LOCK = 'LOCK';
const COMPACT_EVERY = 10_000;

const CRC32_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC32_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

type RecordPayload =
  | { t: 'begin'; version: 1; generation?: number }
  | { t: 'log'; generation: number }
  | { t: 'end'; tables: number }
  | { t: 'table'; meta: TableMeta; lastAutoIncrement?: string }
  | { t: 'drop'; name: string }
  | { t: 'row'; table: string; row: string; rowTs?: number }
  | { t: 'del'; table: string; pk: string };

function frame(payload: RecordPayload): Buffer {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32LE(body.length, 0);
  head.writeUInt32LE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

export class CorruptDataError extends Error {
  constructor(file: string, detail: string) {
    super(`Tablestore emulator data file ${file} is corrupt: ${detail}`);
    this.name = 'CorruptDataError';
  }
}

interface Parsed {
  records: RecordPayload[];
  /** offset just past the last intact record */
  goodLength: number;
  tornTail: boolean;
}

function parseFile(file: string, buf: Buffer): Parsed {
  const records: RecordPayload[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 8 > buf.length) return { records, goodLength: pos, tornTail: true };
    const len = buf.readUInt32LE(pos);
    const crc = buf.readUInt32LE(pos + 4);
    const end = pos + 8 + len;
    if (end > buf.length) return { records, goodLength: pos, tornTail: true };
    const body = buf.subarray(pos + 8, end);
    if (crc32(body) !== crc) {
      if (end === buf.length) return { records, goodLength: pos, tornTail: true };
      throw new CorruptDataError(file, `checksum mismatch in the record at byte ${pos}`);
    }
    try {
      records.push(JSON.parse(body.toString('utf8')) as RecordPayload);
    } catch {
      throw new CorruptDataError(file, `unreadable record at byte ${pos}`);
    }
    pos = end;
  }
  return { records, goodLength: pos, tornTail: false };
}

function rowToRecord(table: string, row: StoredRow, meta: TableMeta): RecordPayload {
  const cells: Row['cells'] = [];
  for (const [name, versions] of row.columns) {
    for (const v of versions) cells.push({ name, value: v.value, op: 'PUT', timestamp: v.ts });
  }
  const encoded = encodeRow({
    primaryKey: row.pk.map((value, i) => ({ name: meta.primaryKey[i]?.name ?? `pk${i}`, value })),
    cells,
    deleteMarker: false,
  });
  const rec: RecordPayload = { t: 'row', table, row: encoded.toString('base64') };
  if (row.rowTs !== undefined) rec.rowTs = row.rowTs;
  return rec;
}

function pkToRecord(table: string, pk: Value[]): RecordPayload {
  const encoded = encodeRow({ primaryKey: pk.map((value, i) => ({ name: `pk${i}`, value })), cells: [], deleteMarker: true });
  return { t: 'del', table, pk: encoded.toString('base64') };
}

function apply(store: Store, rec: RecordPayload, file: string): void {
  switch (rec.t) {
    case 'begin':
    case 'end':
    case 'log':
      return;
    case 'table': {
      const t = store.putTable(rec.meta, true);
      if (rec.lastAutoIncrement) t.lastAutoIncrement = BigInt(rec.lastAutoIncrement);
      return;
    }
    case 'drop':
      store.dropTable(rec.name);
      return;
    case 'row': {
      const table = store.table(rec.table);
      if (!table) throw new CorruptDataError(file, `row for unknown table '${rec.table}'`);
      const row = decodeRow(Buffer.from(rec.row, 'base64'));
      const columns = new Map<string, StoredCell[]>();
      for (const c of row.cells) {
        const versions = columns.get(c.name) ?? [];
        versions.push({ value: c.value!, ts: c.timestamp ?? 0 });
        columns.set(c.name, versions);
      }
      const stored: StoredRow = { pk: row.primaryKey.map((p) => p.value as Value), columns };
      if (rec.rowTs !== undefined) stored.rowTs = rec.rowTs;
      store.commitRow(table, stored.pk, stored);
      // keep auto-increment sequences ahead of every stored key
      for (const p of stored.pk) if (p.type === 'INTEGER' && p.value > table.lastAutoIncrement && table.meta.primaryKey.some((s) => s.autoIncrement)) table.lastAutoIncrement = p.value;
      return;
    }
    case 'del': {
      const table = store.table(rec.table);
      if (!table) return;
      const pk = decodeRow(Buffer.from(rec.pk, 'base64')).primaryKey.map((p) => p.value as Value);
      store.commitRow(table, pk, undefined);
      return;
    }
    default:
      throw new CorruptDataError(file, `unknown record type '${(rec as { t?: unknown }).t}'`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One emulator per data dir: a second writer would interleave log records. A dead owner's lock is taken over. */
function acquireLock(dir: string): string {
  const lockFile = path.join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return lockFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(fs.readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) {
        throw new Error(`Tablestore emulator data dir ${dir} is in use by process ${owner} (lock file ${lockFile}).`);
      }
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`Tablestore emulator cannot lock its data dir ${dir} (lock file ${lockFile}).`);
}

export class Persistence implements ChangeSink {
  private fd: number;
  private sinceCompaction = 0;
  private closed = false;
  /** whether the log has its generation record yet (written before the first change, so an idle log stays empty) */
  private logStarted = false;

  private constructor(
    private readonly dir: string,
    private readonly store: Store,
    private readonly lockFile: string,
    /** generation of the snapshot on disk */
    private generation: number,
  ) {
    this.fd = fs.openSync(path.join(dir, WAL), 'a');
  }

  /** Loads the snapshot and the log into `store`, then records every later change. */
  static open(dir: string, store: Store): Persistence {
    fs.mkdirSync(dir, { recursive: true });
    const lockFile = acquireLock(dir);
    try {
      return Persistence.load(dir, store, lockFile);
    } catch (e) {
      fs.rmSync(lockFile, { force: true });
      throw e;
    }
  }

  private static load(dir: string, store: Store, lockFile: string): Persistence {
    const snapshotFile = path.join(dir, SNAPSHOT);
    const walFile = path.join(dir, WAL);
    store.sink = undefined;
    let generation = 0;
    if (fs.existsSync(snapshotFile)) {
      const parsed = parseFile(snapshotFile, fs.readFileSync(snapshotFile));
      const first = parsed.records[0];
      const last = parsed.records[parsed.records.length - 1];
      if (parsed.tornTail || first?.t !== 'begin' || last?.t !== 'end') {
        throw new CorruptDataError(snapshotFile, 'the snapshot is incomplete');
      }
      generation = first.generation ?? 0;
      try {
        for (const rec of parsed.records) apply(store, rec, snapshotFile);
      } catch (e) {
        if (e instanceof CorruptDataError) throw e;
        throw new CorruptDataError(snapshotFile, (e as Error).message);
      }
    }
    if (fs.existsSync(walFile)) {
      const parsed = parseFile(walFile, fs.readFileSync(walFile));
      const head = parsed.records[0];
      // A log without a generation record predates generations: it follows the snapshot.
      const follows = head?.t === 'log' ? head.generation : generation;
      if (follows > generation) {
        throw new CorruptDataError(walFile, `the log follows snapshot generation ${follows}, but the snapshot is generation ${generation}`);
      }
      // An older log was already folded into the snapshot (killed between the rename and the truncation).
      const records = follows === generation ? parsed.records : [];
      try {
        for (const rec of records) apply(store, rec, walFile);
      } catch (e) {
        if (e instanceof CorruptDataError) throw e;
        throw new CorruptDataError(walFile, (e as Error).message);
      }
      if (parsed.tornTail) fs.truncateSync(walFile, parsed.goodLength);
    }
    const p = new Persistence(dir, store, lockFile, generation);
    store.sink = p;
    p.compact();
    return p;
  }

  private append(rec: RecordPayload): void {
    if (this.closed) return;
    if (!this.logStarted) {
      fs.writeSync(this.fd, frame({ t: 'log', generation: this.generation }));
      this.logStarted = true;
    }
    fs.writeSync(this.fd, frame(rec));
    if (++this.sinceCompaction >= COMPACT_EVERY) this.compact();
  }

  tablePut(meta: TableMeta): void {
    this.append({ t: 'table', meta });
  }
  tableDrop(name: string): void {
    this.append({ t: 'drop', name });
  }
  rowPut(table: string, row: StoredRow): void {
    const meta = this.store.table(table)?.meta;
    if (meta) this.append(rowToRecord(table, row, meta));
  }
  rowDrop(table: string, pk: Value[]): void {
    this.append(pkToRecord(table, pk));
  }

  /** Writes the whole state to a temporary file, renames it over the snapshot, then empties the log. */
  compact(): void {
    if (this.closed) return;
    const tmp = path.join(this.dir, `${SNAPSHOT}.tmp`);
    const fd = fs.openSync(tmp, 'w');
    try {
      const chunks: Buffer[] = [frame({ t: 'begin', version: 1, generation: this.generation + 1 })];
      let size = chunks[0]!.length;
      const flush = () => {
        if (chunks.length === 0) return;
        fs.writeSync(fd, Buffer.concat(chunks, size));
        chunks.length = 0;
        size = 0;
      };
      for (const table of this.store.tables.values()) {
        const push = (b: Buffer) => {
          chunks.push(b);
          size += b.length;
          if (size > 1 << 20) flush();
        };
        push(frame({ t: 'table', meta: table.meta, lastAutoIncrement: table.lastAutoIncrement.toString() }));
        for (const row of table.ordered) push(frame(rowToRecord(table.meta.name, row, table.meta)));
      }
      chunks.push(frame({ t: 'end', tables: this.store.tables.size }));
      size += chunks[chunks.length - 1]!.length;
      flush();
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(this.dir, SNAPSHOT));
    this.generation += 1;
    fs.ftruncateSync(this.fd, 0);
    this.logStarted = false;
    this.sinceCompaction = 0;
  }

  close(): void {
    if (this.closed) return;
    try {
      this.compact();
    } finally {
      this.closed = true;
      fs.closeSync(this.fd);
      fs.rmSync(this.lockFile, { force: true });
    }
  }
}
