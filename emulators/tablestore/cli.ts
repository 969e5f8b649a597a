// npm run emulator:tablestore -- --port 8102 [--data-dir DIR] [--instance I] [--access-key-id K] [--access-key-secret S] [--host H]
// Prints one JSON line once ready; SIGINT/SIGTERM close cleanly (the data dir is compacted and flushed).
import { startTablestoreEmulator, type TablestoreEmulatorOptions } from './index.js';

const FLAGS: Record<string, keyof TablestoreEmulatorOptions> = {
  '--port': 'port',
  '--host': 'host',
  '--data-dir': 'dataDir',
  '--instance': 'instance',
  '--access-key-id': 'accessKeyId',
  '--access-key-secret': 'accessKeySecret',
};

function fail(message: string): never {
  process.stderr.write(`${JSON.stringify({ service: 'tablestore', error: message })}\n`);
  process.exit(1);
}

export function parseArgs(argv: readonly string[]): TablestoreEmulatorOptions {
  const opts: Record<string, string | number> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const key = FLAGS[flag];
    if (!key) throw new Error(`unknown option ${flag}; known: ${Object.keys(FLAGS).join(', ')}`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') throw new Error(`option ${flag} needs a value`);
    if (key === 'port') {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer in [0, 65535], got '${value}'`);
      opts.port = port;
    } else {
      opts[key] = value;
    }
  }
  return opts as TablestoreEmulatorOptions;
}

async function main(): Promise<void> {
  let opts: TablestoreEmulatorOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    fail((e as Error).message);
  }
  let emulator;
  try {
    emulator = await startTablestoreEmulator({ port: 8102, ...opts });
  } catch (e) {
    fail((e as Error).message);
  }
  const { endpoint, instance, accessKeyId, accessKeySecret } = emulator;
  process.stdout.write(`${JSON.stringify({ service: 'tablestore', endpoint, instance, accessKeyId, accessKeySecret })}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      (e: unknown) => fail(`close failed: ${(e as Error).message}`),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
