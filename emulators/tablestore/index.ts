// Start the Tablestore emulator from code. `port: 0` picks a free port.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultRegistry } from './faults.js';
import { Pacing, type PacingOptions } from './pacing.js';
import { Persistence } from './persistence.js';
import { createRequestHandler, type CallRecord } from './server.js';
import { Store } from './store.js';

export interface TablestoreEmulatorOptions {
  port?: number;
  host?: string;
  /** persist tables and rows here (write-ahead log + snapshot); in memory when absent */
  dataDir?: string;
  instance?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  /** the service's data clock: cell timestamps, TTL expiry and table times follow it */
  now?: () => Date;
  /**
   * the clock the x-ots-date skew check (15 minutes) and the response x-ots-date use; the wall clock by
   * default, so moving `now` forward (e.g. past a TTL) does not make the SDK's requests fail authentication
   */
  requestClock?: () => Date;
  /** drives probabilistic faults */
  random?: () => number;
  /** opt-in service pacing: table-operation rate and a not-ready window after CreateTable */
  pacing?: PacingOptions;
}

export interface TablestoreEmulator {
  endpoint: string;
  instance: string;
  accessKeyId: string;
  accessKeySecret: string;
  close(): Promise<void>;
}

export { OtsError } from './errors.js';
export { CorruptDataError } from './persistence.js';
export type { PacingOptions } from './pacing.js';

export async function startTablestoreEmulator(opts: TablestoreEmulatorOptions = {}): Promise<TablestoreEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const instance = opts.instance ?? 'local';
  const accessKeyId = opts.accessKeyId ?? 'local-ak-id';
  const accessKeySecret = opts.accessKeySecret ?? 'local-ak-secret';
  const now = opts.now ?? (() => new Date());
  const store = new Store(now);
  const persistence = opts.dataDir ? Persistence.open(opts.dataDir, store) : undefined;
  const faults = new FaultRegistry(opts.random ?? Math.random);
  const calls: CallRecord[] = [];
  const pacing = new Pacing(opts.pacing ?? {}, () => now().getTime());

  const handler = createRequestHandler({
    store,
    faults,
    calls,
    instance,
    accessKeyId,
    accessKeySecret,
    now,
    requestClock: opts.requestClock ?? (() => new Date()),
    pacing,
    reset: () => {
      store.reset();
      pacing.reset();
      faults.clear();
      calls.length = 0;
    },
  });
  const server = createServer(handler);
  server.keepAliveTimeout = 5_000;

  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(`Tablestore emulator cannot listen on ${host}:${opts.port ?? 0}: the port is already in use.`)
            : err,
        );
      };
      server.once('error', onError);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
  } catch (e) {
    persistence?.close();
    throw e;
  }

  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closed = false;
  return {
    endpoint: `http://${shownHost}:${port}`,
    instance,
    accessKeyId,
    accessKeySecret,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      persistence?.close();
    },
  };
}
