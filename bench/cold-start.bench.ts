// Cold start of each deployed bundle, as a new FC instance meets its first request: a fresh Node
// process per sample requires the bundle, runs its initializer and serves one real, authenticated
// request against the ECS and Tablestore emulators (share: a share request; unshare: an unshare;
// describe: a live describe; delete-guard: a deletion status; reconcile: one image). It reports the
// process wall time, the time to require, to initialize and to answer, and peak RSS — against an
// empty `node -e ""` as the floor, with the bounds of the goal: at most 3× its wall time and 20 MiB
// over its RSS. Median of N samples (COLD_START_SAMPLES, default 9), each bundle's samples alternating
// with samples of the empty process, so that both meet the same machine. Builds the current sources
// into a temporary folder first, so the figures never describe stale bundles. Then the share bundle
// again with each event sink configured (a local receiver, the EventBridge emulator): its first
// request records an audit event, so it loads the sink and delivers.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEventBridgeEmulator } from '../emulators/eventbridge/index.js';
import { buildFunctions } from '../scripts/build.js';
import { event } from '../test/fixtures/events.js';
import { STACK_KEYS, STACK_OWNER, STACK_REGION, startStack } from '../test/support/stack.js';

const ROOT = resolve(import.meta.dirname, '..');
const N = Number(process.env.COLD_START_SAMPLES ?? 9);
const WALL_BOUND = 3;
const RSS_BOUND_MB = 20;
const IMAGE = 'm-benchcoldstart01';
const TARGETS = Array.from({ length: 4 * N + 4 }, (_, i) => `2${String(i + 1).padStart(15, '0')}`);

/** The first request of a new instance of each function; `i` keeps share requests apart. */
function firstRequest(resource: string, i: number): Buffer {
  const image = `/v1/images/${STACK_REGION}/${IMAGE}`;
  switch (resource) {
    case 'share':
      return event('share-request', {
        token: stack.tokens.requester,
        path: `${image}/share-requests`,
        body: { accountIds: [TARGETS[i]], reason: 'cold start', attestation: { sensitiveDataRemoved: true } },
        headers: { 'Idempotency-Key': null },
      });
    case 'unshare':
      return event('unshare', { token: stack.tokens.requester, path: `${image}/unshare`, body: { accountIds: [TARGETS.at(-1)], reason: 'cold start' } });
    case 'describe':
      return event('describe-image', { token: stack.tokens.auditor, path: image });
    case 'delete-guard':
      return event('deletion-status', { token: stack.tokens.auditor, path: `${image}/deletion` });
    case 'reconcile':
      return Buffer.from(JSON.stringify({ kind: 'image', regionId: STACK_REGION, imageId: IMAGE, mode: 'report' }));
    default:
      throw new Error(`no first request for ${resource}`);
  }
}

// Runs inside the sample process. `process.argv[1]` is the bundle, the event comes on stdin.
const PROBE = `
const t0 = process.hrtime.bigint();
const m = require(process.argv[1]);
const t1 = process.hrtime.bigint();
const context = { requestId: 'cold-start', credentials: JSON.parse(process.env.BENCH_CREDENTIALS), function: { name: 'bench' }, region: process.env.BENCH_REGION, accountId: process.env.BENCH_ACCOUNT };
let input = '';
process.stdin.on('data', (c) => (input += c)).on('end', async () => {
  await m.initialize(context);
  const t2 = process.hrtime.bigint();
  const out = await m.handler(Buffer.from(input), context);
  const t3 = process.hrtime.bigint();
  const ms = (a, b) => Number(b - a) / 1e6;
  process.stdout.write(JSON.stringify({ loadMs: ms(t0, t1), initMs: ms(t1, t2), requestMs: ms(t2, t3), status: out.statusCode ?? (out.status === 'rejected' ? 400 : 200), rssKb: process.resourceUsage().maxRSS }));
});`;

interface Sample {
  wallMs: number;
  loadMs: number;
  initMs: number;
  requestMs: number;
  rssMb: number;
}

async function sample(args: string[], input?: Buffer, sinkEnv: Record<string, string> = {}): Promise<Sample> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    env: {
      PATH: process.env.PATH ?? '',
      ...stack.env,
      ...sinkEnv,
      LOG_LEVEL: 'error',
      BENCH_CREDENTIALS: JSON.stringify({ ...STACK_KEYS, securityToken: '' }),
      BENCH_REGION: STACK_REGION,
      BENCH_ACCOUNT: STACK_OWNER,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(input ?? '');
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (code !== 0) throw new Error(`sample failed (${code}): ${stderr}`);
  const out = JSON.parse(stdout) as { loadMs: number; initMs: number; requestMs: number; status: number; rssKb: number };
  if (out.status >= 300) throw new Error(`the first request answered ${out.status}: ${stderr}`);
  return { wallMs, loadMs: out.loadMs, initMs: out.initMs, requestMs: out.requestMs, rssMb: out.rssKb / 1024 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const EMPTY = `process.stdout.write(JSON.stringify({loadMs:0,initMs:0,requestMs:0,status:200,rssKb:process.resourceUsage().maxRSS}))`;

function medians(samples: readonly Sample[]): Sample {
  const m = (k: keyof Sample): number => median(samples.map((s) => s[k]));
  return { wallMs: m('wallMs'), loadMs: m('loadMs'), initMs: m('initMs'), requestMs: m('requestMs'), rssMb: m('rssMb') };
}

/** N samples of `run`, each right after a sample of the empty process: the medians of both. */
async function measure(run: (i: number) => Promise<Sample>): Promise<{ bundle: Sample; floor: Sample }> {
  const samples: Sample[] = [];
  const floor: Sample[] = [];
  for (let i = 0; i < N; i++) {
    floor.push(await sample(['-e', EMPTY]));
    samples.push(await run(i));
  }
  return { bundle: medians(samples), floor: medians(floor) };
}

async function run(): Promise<void> {
  const bundles = await buildFunctions({ root: ROOT, outDir });
  const rows: string[][] = [['bundle', 'size', 'process wall', 'require', 'initialize', 'request', 'peak RSS', 'node -e ""', 'wall ratio', 'RSS over node']];
  let within = true;
  const share = bundles.find((b) => b.resource === 'share')!;
  const runs = [
    ...bundles.map((bundle) => ({ label: bundle.functionName, bundle, sinkEnv: {}, offset: 0 })),
    ...Object.entries(sinks).map(([sink, sinkEnv], n) => ({ label: `${share.functionName} + ${sink}`, bundle: share, sinkEnv, offset: (n + 1) * N })),
  ];
  for (const { label, bundle, sinkEnv, offset } of runs) {
    const { bundle: m, floor } = await measure((i) => sample(['-e', PROBE, bundle.file], firstRequest(bundle.resource, offset + i), sinkEnv));
    const ratio = m.wallMs / floor.wallMs;
    const over = m.rssMb - floor.rssMb;
    within &&= ratio <= WALL_BOUND && over <= RSS_BOUND_MB;
    rows.push([
      label,
      `${(bundle.bytes / 1024).toFixed(0)} kB`,
      `${m.wallMs.toFixed(1)} ms`,
      `${m.loadMs.toFixed(1)} ms`,
      `${m.initMs.toFixed(1)} ms`,
      `${m.requestMs.toFixed(1)} ms`,
      `${m.rssMb.toFixed(1)} MB`,
      `${floor.wallMs.toFixed(1)} ms, ${floor.rssMb.toFixed(1)} MB`,
      `${ratio.toFixed(2)} (≤ ${WALL_BOUND})`,
      `+${over.toFixed(1)} MB (≤ ${RSS_BOUND_MB})`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`cold start through the first request, median of ${N} fresh processes (node ${process.version})`);
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  console.log(within ? 'every bundle is within its bounds' : 'SOME BUNDLE IS OUTSIDE ITS BOUNDS');
}

const stack = await startStack({ accounts: TARGETS, images: [{ regionId: STACK_REGION, imageId: IMAGE, imageName: 'cold-start' }] });
const receiver = createServer((request, response) => request.resume().on('end', () => response.writeHead(204).end()));
await new Promise<void>((resolveListen) => receiver.listen(0, '127.0.0.1', resolveListen));
const eventbridge = await startEventBridgeEmulator({ port: 0, buses: ['isg-events'], key: STACK_KEYS });
const sinks: Record<string, Record<string, string>> = {
  'webhook sink': { WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, WEBHOOK_SECRET: 'whsec-bench-0123456789abcdef' },
  'EventBridge sink': { EVENTBRIDGE_ENDPOINT: eventbridge.endpoint, EVENTBRIDGE_BUS: 'isg-events', EVENTBRIDGE_PROTOCOL: 'http' },
};
const outDir = mkdtempSync(join(tmpdir(), 'cold-start-'));
try {
  await run();
} finally {
  await stack.close();
  await eventbridge.close();
  receiver.close();
  rmSync(outDir, { recursive: true, force: true });
}
