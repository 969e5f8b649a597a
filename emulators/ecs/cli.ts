/**
 * `npm run emulator:ecs -- --port 8101 [--host 127.0.0.1] [--seed N]`
 * Prints one JSON line `{"service":"ecs","endpoint":"HOST:PORT"}` once listening; serves until
 * SIGINT/SIGTERM, then closes cleanly.
 */
import { parseArgs } from 'node:util';
import { closeOnSignal, exitWithUsageError, listenFailure } from '../common/cli.js';
import { startEcsEmulator } from './index.js';

function fail(message: string): never {
  return exitWithUsageError('ecs', message);
}

function readOptions(): { port: number; host: string; seed: number | undefined } {
  let values: { port?: string; host?: string; seed?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { port: { type: 'string' }, host: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\nusage: emulator:ecs -- [--port P] [--host H] [--seed N]`);
  }
  if (values.help) {
    process.stdout.write('usage: emulator:ecs -- [--port P (default 0 = any free port)] [--host H (default 127.0.0.1)] [--seed N (probabilistic faults)]\n');
    process.exit(0);
  }
  const portText = values.port ?? '0';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) fail(`--port must be an integer from 0 to 65535, got "${portText}"`);
  const host = values.host ?? '127.0.0.1';
  if (host.length === 0) fail('--host must not be empty');
  if (values.seed !== undefined && !/^\d{1,10}$/.test(values.seed)) fail(`--seed must be a non-negative integer, got "${values.seed}"`);
  return { port: Number(portText), host, seed: values.seed === undefined ? undefined : Number(values.seed) };
}

async function main(): Promise<void> {
  const { port, host, seed } = readOptions();
  let emulator;
  try {
    emulator = await startEcsEmulator({ port, host, seed });
  } catch (error) {
    fail(listenFailure(error, port, host));
  }
  process.stdout.write(`${JSON.stringify({ service: 'ecs', endpoint: emulator.endpoint })}\n`);
  closeOnSignal(() => emulator.close());
}

void main();
