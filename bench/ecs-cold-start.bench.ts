// Cold-start cost of the ECS adapter against the generated ECS client it avoids loading.
// Bundles shared/ecs the way a function is shipped (esbuild: node, cjs, minified), then loads each
// candidate in fresh Node processes and reports the median wall time and peak RSS of 5 runs.
//   npm run bench -- ecs-cold-start
import { build } from 'esbuild';
import { ecsSdkTrimmed } from '../shared/ecs/bundle.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = 5;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'ecs-cold-start-'));
const require = createRequire(join(root, 'package.json'));

interface Sample {
  wallMs: number;
  loadMs: number;
  maxRssMb: number;
}

interface Candidate {
  name: string;
  /** CommonJS source run with `node <file>`; must print nothing but the probe line. */
  script: string;
  note?: string;
}

/** Wraps `body` so the child reports how long it took and its peak RSS (maxRSS is in KiB). */
const probe = (body: string): string => `const t0 = process.hrtime.bigint();
${body}
const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
process.stdout.write(JSON.stringify({ loadMs, maxRssKb: process.resourceUsage().maxRSS }));
`;

const ecsConfig = `{ endpoint: '127.0.0.1:1', protocol: 'http', connectTimeoutMs: 1000, readTimeoutMs: 1000, ratePerApi: {} }`;

async function bundleAdapter(): Promise<string> {
  const outfile = join(work, 'ecs-adapter.cjs');
  await build({
    entryPoints: [join(root, 'shared/ecs/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    outfile,
    logLevel: 'error',
    // As the function bundles ship it (scripts/build.ts).
    plugins: [ecsSdkTrimmed()],
  });
  return outfile;
}

function runOnce(file: string): Sample {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [file], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) throw new Error(`${file} exited ${child.status}: ${child.stderr}`);
  const reported = JSON.parse(child.stdout) as { loadMs: number; maxRssKb: number };
  return { wallMs, loadMs: reported.loadMs, maxRssMb: reported.maxRssKb / 1024 };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  const adapterBundle = await bundleAdapter();
  const ecsClientPath = require.resolve('@alicloud/ecs20140526');

  const candidates: Candidate[] = [
    { name: 'node -e ""', script: probe('') },
    {
      name: 'ECS adapter, bundled',
      note: `${(statSync(adapterBundle).size / 1024).toFixed(0)} KiB`,
      script: probe(`const ecs = require(${JSON.stringify(adapterBundle)});
ecs.createEcsImagePort({ ecs: ${ecsConfig}, credentials: () => ({ accessKeyId: 'AK', accessKeySecret: 'S' }) });`),
    },
    {
      name: '@alicloud/ecs20140526, unbundled',
      script: probe(`const mod = require(${JSON.stringify(ecsClientPath)});
new mod.default({ accessKeyId: 'AK', accessKeySecret: 'S', endpoint: '127.0.0.1:1', protocol: 'http' });`),
    },
  ];

  const rows: Array<{ name: string; note: string; wallMs: number; loadMs: number; maxRssMb: number }> = [];
  for (const [index, candidate] of candidates.entries()) {
    const file = join(work, `candidate-${index}.cjs`);
    writeFileSync(file, candidate.script);
    runOnce(file); // warm the OS file cache so every candidate is measured the same way
    const samples = Array.from({ length: RUNS }, () => runOnce(file));
    rows.push({
      name: candidate.name,
      note: candidate.note ?? '',
      wallMs: median(samples.map((s) => s.wallMs)),
      loadMs: median(samples.map((s) => s.loadMs)),
      maxRssMb: median(samples.map((s) => s.maxRssMb)),
    });
  }

  const [baseline, adapter, fullClient] = rows;
  if (!baseline || !adapter || !fullClient) throw new Error('missing rows');
  console.log(`ECS cold start: median of ${RUNS} fresh processes (process wall time; load = require + construct inside the process)`);
  console.log('| what is loaded | wall ms | load ms | peak RSS MB | |');
  console.log('|---|---:|---:|---:|---|');
  for (const row of rows) {
    console.log(`| ${row.name} | ${row.wallMs.toFixed(0)} | ${row.loadMs.toFixed(0)} | ${row.maxRssMb.toFixed(1)} | ${row.note} |`);
  }
  const extra = (r: typeof adapter, what: 'wallMs' | 'maxRssMb'): number => r[what] - baseline[what];
  console.log(
    `full client / adapter: wall ${(fullClient.wallMs / adapter.wallMs).toFixed(2)}x, load ${(fullClient.loadMs / adapter.loadMs).toFixed(1)}x, ` +
      `peak RSS ${(fullClient.maxRssMb / adapter.maxRssMb).toFixed(2)}x; ` +
      `above bare node: adapter +${extra(adapter, 'wallMs').toFixed(0)} ms / +${extra(adapter, 'maxRssMb').toFixed(1)} MB, ` +
      `full client +${extra(fullClient, 'wallMs').toFixed(0)} ms / +${extra(fullClient, 'maxRssMb').toFixed(1)} MB`,
  );
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
