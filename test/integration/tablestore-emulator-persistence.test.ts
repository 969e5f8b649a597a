// On-disk persistence of the Tablestore emulator (restart, kill with a torn log tail, corrupt files)
// and its command line (ready line, signals, taken port).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTablestoreEmulator, type TablestoreEmulator } from '../../emulators/tablestore/index.js';
import { TableStore as TS, tablestoreAdmin, tablestoreClient } from '../support/tablestore.js';

const dirs: string[] = [];
const running: TablestoreEmulator[] = [];
const long = (n: number) => TS.Long.fromNumber(n);
const ignore = () => new TS.Condition(TS.RowExistenceExpectation.IGNORE, null);

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tablestore-emulator-'));
  dirs.push(d);
  return d;
}

async function start(dataDir: string): Promise<{ emulator: TablestoreEmulator; client: any }> {
  const emulator = await startTablestoreEmulator({ port: 0, dataDir });
  running.push(emulator);
  return { emulator, client: tablestoreClient(emulator, 0) };
}

async function seed(client: any): Promise<void> {
  await client.createTable({
    tableMeta: { tableName: 'images', primaryKey: [{ name: 'region', type: 'STRING' }, { name: 'n', type: 'INTEGER' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 2 },
  });
  for (let i = 0; i < 5; i++) {
    await client.putRow({
      tableName: 'images',
      condition: ignore(),
      primaryKey: [{ region: 'cn-hangzhou' }, { n: long(i) }],
      attributeColumns: [{ name: `img-${i}` }, { size: i * 1.5 }, { shared: i % 2 === 0 }, { raw: Buffer.from([i]) }],
    });
  }
  await client.updateRow({
    tableName: 'images',
    condition: ignore(),
    primaryKey: [{ region: 'cn-hangzhou' }, { n: long(1) }],
    updateOfAttributeColumns: [{ INCREMENT: [{ shares: long(3) }] }],
  });
  await client.deleteRow({ tableName: 'images', condition: ignore(), primaryKey: [{ region: 'cn-hangzhou' }, { n: long(4) }] });
}

async function snapshot(client: any) {
  const range = await client.getRange({
    tableName: 'images',
    direction: TS.Direction.FORWARD,
    inclusiveStartPrimaryKey: [{ region: TS.INF_MIN }, { n: TS.INF_MIN }],
    exclusiveEndPrimaryKey: [{ region: TS.INF_MAX }, { n: TS.INF_MAX }],
    maxVersions: 2,
  });
  const described = await client.describeTable({ tableName: 'images' });
  return { rows: range.rows, meta: described.tableMeta, options: described.tableOptions };
}

afterEach(async () => {
  for (const e of running.splice(0)) await e.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('Tablestore emulator: persistence', () => {
  it('keeps tables, rows, versions and deletions across a clean restart', async () => {
    const dir = tempDir();
    const first = await start(dir);
    await seed(first.client);
    const before = await snapshot(first.client);
    await first.emulator.close();
    const filesWhenStopped = fs.readdirSync(dir).sort();

    const second = await start(dir);
    const after = await snapshot(second.client);

    expect(before.rows).toHaveLength(4);
    expect(after).toEqual(before);
    expect(filesWhenStopped).toEqual(['snapshot.otsdb', 'wal.otslog']);
    expect(fs.statSync(path.join(dir, 'wal.otslog')).size).toBe(0);
  });

  it('recovers everything written before a kill, ignoring a torn last log record', async () => {
    const dir = tempDir();
    const live = await start(dir);
    await seed(live.client);
    const before = await snapshot(live.client);
    // A kill leaves the files as they are at this instant: copy them while the emulator still runs.
    const killed = tempDir();
    for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(killed, f));
    // The killed owner's lock stays behind, naming a process that no longer exists.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    fs.writeFileSync(path.join(killed, 'LOCK'), String(deadPid));
    const torn = Buffer.alloc(12);
    torn.writeUInt32LE(500, 0);
    fs.appendFileSync(path.join(killed, 'wal.otslog'), torn);

    const recovered = await start(killed);
    const after = await snapshot(recovered.client);

    expect(after).toEqual(before);
    expect(await tablestoreAdmin(recovered.emulator.endpoint).state()).toEqual({ tables: [{ name: 'images', rows: 4 }] });
  });

  it('skips a log that the snapshot already holds (killed between the snapshot rename and the log truncation)', async () => {
    const dir = tempDir();
    const first = await start(dir);
    await seed(first.client);
    await first.emulator.close(); // the snapshot now holds the table
    const second = await start(dir);
    await second.client.putRow({ tableName: 'images', condition: ignore(), primaryKey: [{ region: 'cn-beijing' }, { n: long(9) }], attributeColumns: [{ name: 'late' }] });
    await second.client.deleteTable({ tableName: 'images' });
    const logBeforeCompaction = fs.readFileSync(path.join(dir, 'wal.otslog'));
    await second.emulator.close(); // compaction: a snapshot without the table
    // As if the process died right after renaming the new snapshot into place: the old log is still there.
    fs.writeFileSync(path.join(dir, 'wal.otslog'), logBeforeCompaction);

    const recovered = await start(dir);

    expect(await tablestoreAdmin(recovered.emulator.endpoint).state()).toEqual({ tables: [] });
  });

  it('refuses a log that follows a newer snapshot than the one on disk', async () => {
    const dir = tempDir();
    const live = await start(dir);
    await seed(live.client);
    const log = fs.readFileSync(path.join(dir, 'wal.otslog'));
    await live.emulator.close();
    const older = tempDir();
    fs.writeFileSync(path.join(older, 'wal.otslog'), log); // its snapshot is missing

    await expect(startTablestoreEmulator({ port: 0, dataDir: older })).rejects.toThrow(
      `Tablestore emulator data file ${path.join(older, 'wal.otslog')} is corrupt: the log follows snapshot generation 1, but the snapshot is generation 0`,
    );
  });

  it('refuses a data dir another running emulator holds', async () => {
    const dir = tempDir();
    await start(dir);

    await expect(startTablestoreEmulator({ port: 0, dataDir: dir })).rejects.toThrow(
      `Tablestore emulator data dir ${dir} is in use by process ${process.pid} (lock file ${path.join(dir, 'LOCK')}).`,
    );
  });

  it('refuses a corrupt log record or snapshot with an error naming the file', async () => {
    const dir = tempDir();
    const live = await start(dir);
    await seed(live.client);
    const walCopy = tempDir();
    fs.copyFileSync(path.join(dir, 'wal.otslog'), path.join(walCopy, 'wal.otslog')); // the live log, before close compacts it
    await live.emulator.close();
    const wal = fs.readFileSync(path.join(walCopy, 'wal.otslog'));
    wal[10] = wal[10]! ^ 0xff; // inside the first record, which is not the last one
    fs.writeFileSync(path.join(walCopy, 'wal.otslog'), wal);
    const snapshotFile = path.join(dir, 'snapshot.otsdb');
    const snap = fs.readFileSync(snapshotFile);
    fs.writeFileSync(snapshotFile, snap.subarray(0, snap.length - 4));

    await expect(startTablestoreEmulator({ port: 0, dataDir: walCopy })).rejects.toThrow(
      `Tablestore emulator data file ${path.join(walCopy, 'wal.otslog')} is corrupt: checksum mismatch in the record at byte 0`,
    );
    await expect(startTablestoreEmulator({ port: 0, dataDir: dir })).rejects.toThrow(
      `Tablestore emulator data file ${snapshotFile} is corrupt: the snapshot is incomplete`,
    );
  });
});

function runCli(args: string[]): { child: ChildProcess; firstLine: Promise<string>; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'emulators/tablestore/cli.ts', ...args], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', () => reject(new Error(`exited before ready: ${err}`)));
  });
  firstLine.catch(() => undefined); // a caller waiting only for the exit must not leave this rejection unhandled
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, firstLine, exit, stderr: () => err };
}

describe('Tablestore emulator: command line', () => {
  it('prints one ready line, serves the SDK, and flushes its data dir on SIGTERM', async () => {
    const dir = tempDir();
    const cli = runCli(['--port', '0', '--data-dir', dir, '--instance', 'dev', '--access-key-id', 'K', '--access-key-secret', 'S']);

    const ready = JSON.parse(await cli.firstLine);
    const client = tablestoreClient(ready, 0);
    await client.createTable({
      tableMeta: { tableName: 'cli', primaryKey: [{ name: 'id', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    cli.child.kill('SIGTERM');
    const code = await cli.exit;
    const restarted = await start(dir);
    const tables = await tablestoreClient({ ...restarted.emulator, instance: 'local' }, 0).listTable({});

    expect(ready).toEqual({
      service: 'tablestore',
      endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      instance: 'dev',
      accessKeyId: 'K',
      accessKeySecret: 'S',
    });
    expect(code).toBe(0);
    expect(tables.tableNames).toEqual(['cli']);
  });

  it('exits with a clear error when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;

    const cli = runCli(['--port', String(port)]);
    const code = await cli.exit;
    blocker.close();

    expect(code).toBe(1);
    expect(cli.stderr()).toContain(`cannot listen on 127.0.0.1:${port}: the port is already in use`);
  });
});
