// `npm run emulator:fc -- [--port 9000] [--host H] [--spec s.yaml] [--timers cron|off|every:30s]
//                          [--account-id 16 digits] [--max-instances N] [--event-format http-trigger|apigateway]`
// Runs the functions of s.yaml from their built bundles (run `npm run build` first). `${env('X')}`
// in s.yaml reads this process's environment. The role keys come from ALIBABA_CLOUD_ACCESS_KEY_ID /
// _SECRET / _SECURITY_TOKEN, or are generated. Prints one JSON line once ready:
//   {"service":"fc","url":"http://127.0.0.1:9000","accountId":"...","accessKeyId":"...","accessKeySecret":"...","securityToken":"..."}
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpEventFormat } from './http-event.js';
import { startFcRuntime, type TimerMode } from './runtime.js';

export function parseTimerMode(text: string): TimerMode {
  if (text === 'cron' || text === 'off') return text;
  const m = /^every:([0-9]+)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`--timers must be cron, off or every:<n>(ms|s|m), got "${text}"`);
  const n = Number(m[1]);
  const everyMs = m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
  if (everyMs < 100) throw new Error('--timers every: must be at least 100ms');
  return { everyMs };
}

export function parseEventFormat(text: string): HttpEventFormat {
  if (text === 'http-trigger' || text === 'apigateway') return text;
  throw new Error(`--event-format must be http-trigger or apigateway, got "${text}"`);
}

/** The value after `name` in a command line, if the option is given; throws when it has none. */
export function optionValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}

/** A port option, 0..65535 (0 = any free port). */
export function portOption(args: readonly string[], name: string): number | undefined {
  const v = optionValue(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n > 65535) throw new Error(`${name} must be a port number 0..65535, got "${v}"`);
  return n;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const port = portOption(args, '--port') ?? 9000;
  const accountId = optionValue(args, '--account-id') ?? process.env.FC_LOCAL_ACCOUNT_ID ?? '1000000000000001';
  if (!/^[0-9]{16}$/.test(accountId)) throw new Error('--account-id must be 16 digits');
  const env = process.env;
  const role = env.ALIBABA_CLOUD_ACCESS_KEY_ID && env.ALIBABA_CLOUD_ACCESS_KEY_SECRET
    ? {
        accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID,
        accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
        ...(env.ALIBABA_CLOUD_SECURITY_TOKEN ? { securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN } : {}),
      }
    : { accessKeyId: `STS.${randomBytes(8).toString('hex')}`, accessKeySecret: randomBytes(16).toString('hex'), securityToken: randomBytes(24).toString('base64url') };
  const maxInstances = optionValue(args, '--max-instances');
  const specFile = resolve(optionValue(args, '--spec') ?? 's.yaml');
  const rt = await startFcRuntime({
    specFile,
    port,
    host: optionValue(args, '--host') ?? '127.0.0.1',
    accountId,
    roleCredentials: role,
    timers: parseTimerMode(optionValue(args, '--timers') ?? 'cron'),
    httpEventFormat: parseEventFormat(optionValue(args, '--event-format') ?? 'http-trigger'),
    ...(maxInstances ? { maxInstances: Number(maxInstances) } : {}),
  });
  console.log(JSON.stringify({ service: 'fc', url: rt.url, accountId, ...role }));
  const stop = (): void => {
    void rt.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: Error & { code?: string }) => {
    console.error(err.code === 'EADDRINUSE' ? `error: port already in use (${err.message})` : `error: ${err.message}`);
    process.exit(1);
  });
}
