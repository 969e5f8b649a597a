/**
 * `npm run emulator:eventbridge -- --port 8103 [--host 127.0.0.1] [--bus NAME]... [--account-id A]
 *   [--access-key-id K] [--access-key-secret S] [--seed N]`
 * Prints one JSON line `{"service":"eventbridge","endpoint":"HOST:PORT","accountId","accessKeyId","accessKeySecret","buses"}`
 * once listening; serves until SIGINT/SIGTERM, then closes cleanly.
 */
import { parseArgs } from 'node:util';
import { closeOnSignal, exitWithUsageError, listenFailure } from '../common/cli.js';
import { startEventBridgeEmulator } from './index.js';
import { DEFAULT_ACCOUNT_ID, DEFAULT_KEY } from './server.js';
import { BUS_NAME_PATTERN } from './store.js';

const USAGE =
  'usage: emulator:eventbridge -- [--port P (default 0 = any free port)] [--host H (default 127.0.0.1)] [--bus NAME (repeatable)] ' +
  `[--account-id A (default ${DEFAULT_ACCOUNT_ID})] [--access-key-id K] [--access-key-secret S] [--seed N (probabilistic faults)]`;

function fail(message: string): never {
  return exitWithUsageError('eventbridge', message);
}

interface CliOptions {
  port: number;
  host: string;
  buses: string[];
  accountId: string;
  accessKeyId: string;
  accessKeySecret: string;
  seed: number | undefined;
}

function readOptions(): CliOptions {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        bus: { type: 'string', multiple: true },
        'account-id': { type: 'string' },
        'access-key-id': { type: 'string' },
        'access-key-secret': { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values['help']) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const text = (name: string): string | undefined => values[name] as string | undefined;
  const portText = text('port') ?? '0';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) fail(`--port must be an integer from 0 to 65535, got "${portText}"`);
  const host = text('host') ?? '127.0.0.1';
  if (host.length === 0) fail('--host must not be empty');
  const buses = (values['bus'] as string[] | undefined) ?? [];
  const badBus = buses.find((bus) => !new RegExp(BUS_NAME_PATTERN).test(bus));
  if (badBus !== undefined) fail(`--bus "${badBus}" is not a valid event bus name (1 to 127 letters, digits and hyphens; not "default")`);
  const accountId = text('account-id') ?? DEFAULT_ACCOUNT_ID;
  if (!/^\d{16}$/.test(accountId)) fail(`--account-id must be 16 digits, got "${accountId}"`);
  const accessKeyId = text('access-key-id') ?? DEFAULT_KEY.accessKeyId;
  const accessKeySecret = text('access-key-secret') ?? DEFAULT_KEY.accessKeySecret;
  if (!/^[\x21-\x7e]{1,128}$/.test(accessKeyId) || accessKeyId.includes(':')) fail('--access-key-id must be 1 to 128 printable characters without ":"');
  if (accessKeySecret.length === 0) fail('--access-key-secret must not be empty');
  const seed = text('seed');
  if (seed !== undefined && !/^\d{1,10}$/.test(seed)) fail(`--seed must be a non-negative integer, got "${seed}"`);
  return { port: Number(portText), host, buses, accountId, accessKeyId, accessKeySecret, seed: seed === undefined ? undefined : Number(seed) };
}

async function main(): Promise<void> {
  const options = readOptions();
  let emulator;
  try {
    emulator = await startEventBridgeEmulator({
      port: options.port,
      host: options.host,
      buses: options.buses,
      accountId: options.accountId,
      key: { accessKeyId: options.accessKeyId, accessKeySecret: options.accessKeySecret },
      seed: options.seed,
    });
  } catch (error) {
    fail(listenFailure(error, options.port, options.host));
  }
  const { endpoint, accountId, accessKeyId, accessKeySecret } = emulator;
  process.stdout.write(`${JSON.stringify({ service: 'eventbridge', endpoint, accountId, accessKeyId, accessKeySecret, buses: options.buses })}\n`);
  closeOnSignal(() => emulator.close());
}

void main();
