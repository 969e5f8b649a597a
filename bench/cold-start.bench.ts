// Cold start of each deployed bundle: a fresh Node process per sample (as a new FC instance is),
// measuring process wall time, the time to require the bundle, the time to run its initializer
// (config + adapters, no network), and peak RSS — against an empty `node -e ""` as the floor.
// Median of N samples (N = COLD_START_SAMPLES, default 9). Builds the current sources first, into a
// temporary folder, so the figures never describe stale bundles and dist/ is left alone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildFunctions } from '../scripts/build.js';

const ROOT = resolve(import.meta.dirname, '..');
const N = Number(process.env.COLD_START_SAMPLES ?? 9);

// Placeholder configuration: enough for loadConfig and the adapters to be built, nothing is called.
const ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  REGIONS: 'cn-hangzhou,cn-shanghai',
  OWNER_ACCOUNT_ID: '1234567890123456',
  TABLESTORE_ENDPOINT: 'http://127.0.0.1:9',
  TABLESTORE_INSTANCE: 'bench',
  JWT_ISSUER: 'https://idp.example.com/',
  JWT_AUDIENCE: 'image-share-governor',
  JWT_JWKS: JSON.stringify({ keys: [{ kty: 'RSA', e: 'AQAB', n: 'sXch', kid: 'k', alg: 'RS256', use: 'sig' }] }),
  ALIBABA_CLOUD_ACCESS_KEY_ID: 'bench',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'bench',
};

// Runs inside the sample process: times require() and initialize(), reports peak RSS.
const PROBE = (file: string): string => `
const t0 = process.hrtime.bigint();
const m = require(${JSON.stringify(file)});
const t1 = process.hrtime.bigint();
Promise.resolve(typeof m.initialize === 'function' ? m.initialize({ credentials: {} }) : undefined).then(() => {
  const t2 = process.hrtime.bigint();
  process.stdout.write(JSON.stringify({ loadMs: Number(t1 - t0) / 1e6, initMs: Number(t2 - t1) / 1e6, rssKb: process.resourceUsage().maxRSS }));
}, (e) => { console.error(e); process.exit(1); });`;

interface Sample {
  wallMs: number;
  loadMs: number;
  initMs: number;
  rssMb: number;
}

// The same with an event sink configured: its module loads on the first delivery, not at cold start.
const SINKS: Record<string, Record<string, string>> = {
  'webhook sink': { WEBHOOK_URL: 'https://hooks.example.com/isg', WEBHOOK_SECRET: 'whsec-bench-0123456789abcdef' },
  'EventBridge sink': { EVENTBRIDGE_ENDPOINT: '1234567890123456.eventbridge.cn-hangzhou.aliyuncs.com', EVENTBRIDGE_BUS: 'isg-events' },
};

function sample(args: string[], extraEnv: Record<string, string> = {}): Sample {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { env: { ...ENV, ...extraEnv }, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`sample failed: ${run.stderr}`);
  const out = run.stdout.trim() ? (JSON.parse(run.stdout) as { loadMs: number; initMs: number; rssKb: number }) : { loadMs: 0, initMs: 0, rssKb: 0 };
  return { wallMs, loadMs: out.loadMs, initMs: out.initMs, rssMb: out.rssKb / 1024 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

function measure(args: string[], extraEnv: Record<string, string> = {}): Sample {
  const samples = Array.from({ length: N }, () => sample(args, extraEnv));
  return {
    wallMs: median(samples.map((s) => s.wallMs)),
    loadMs: median(samples.map((s) => s.loadMs)),
    initMs: median(samples.map((s) => s.initMs)),
    rssMb: median(samples.map((s) => s.rssMb)),
  };
}

const outDir = mkdtempSync(join(tmpdir(), 'cold-start-'));
process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));
const bundles = await buildFunctions({ root: ROOT, outDir });

const baseline = measure(['-e', `process.stdout.write(JSON.stringify({loadMs:0,initMs:0,rssKb:process.resourceUsage().maxRSS}))`]);
const rows: string[][] = [['bundle', 'size', 'process wall', 'require', 'initialize', 'peak RSS', 'RSS over node']];
rows.push(['node -e ""', '-', `${baseline.wallMs.toFixed(1)} ms`, '-', '-', `${baseline.rssMb.toFixed(1)} MB`, '-']);
const share = bundles.find((b) => b.resource === 'share')!;
const runs = [
  ...bundles.map((bundle) => ({ label: bundle.functionName, bundle, env: {} })),
  ...Object.entries(SINKS).map(([sink, env]) => ({ label: `${share.functionName} + ${sink}`, bundle: share, env })),
];
for (const { label, bundle, env } of runs) {
  const m = measure(['-e', PROBE(bundle.file)], env);
  rows.push([
    label,
    `${(bundle.bytes / 1024).toFixed(0)} kB`,
    `${m.wallMs.toFixed(1)} ms`,
    `${m.loadMs.toFixed(1)} ms`,
    `${m.initMs.toFixed(1)} ms`,
    `${m.rssMb.toFixed(1)} MB`,
    `+${(m.rssMb - baseline.rssMb).toFixed(1)} MB`,
  ]);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
console.log(`cold start, median of ${N} fresh processes (node ${process.version})`);
for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
