// What the event sinks cost: the bytes and require time each module adds to a bundle that imports it
// (the EventBridge SDK is the question), and how long one delivery takes to a receiver on this machine
// (the floor under the after-request delivery budget). Figures go to shared/events/README.md.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { startEventBridgeEmulator } from '../emulators/eventbridge/index.js';
import { ecsSdkTrimmed } from '../shared/ecs/bundle.js';
import { toCloudEvent } from '../shared/events/envelope.js';
import { createEventBridgeSink } from '../shared/events/eventbridge.js';
import { createWebhookSink } from '../shared/events/webhook.js';

const ROOT = resolve(import.meta.dirname, '..');
const SAMPLES = Number(process.env.EVENT_SINK_SAMPLES ?? 9);
const DELIVERIES = Number(process.env.EVENT_SINK_DELIVERIES ?? 200);

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

// ---- module weight: one minified CommonJS bundle per module, required in fresh processes ----
const outDir = mkdtempSync(join(tmpdir(), 'event-sinks-'));
process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));
// Alone, and beside the ECS adapter as a function bundle carries it (trimmed as scripts/build.ts trims it):
// the second pair shows what importing the EventBridge sink adds to a function.
const bundles: { label: string; imports: string[]; trimmed?: boolean }[] = [
  { label: 'shared/config.ts', imports: ['config'] },
  { label: 'shared/events/envelope.ts', imports: ['events/envelope'] },
  { label: 'shared/events/webhook.ts', imports: ['events/webhook'] },
  { label: 'shared/events/eventbridge.ts', imports: ['events/eventbridge'] },
  { label: 'ECS adapter + config (trimmed)', imports: ['config', 'ecs/index'], trimmed: true },
  { label: '  + EventBridge sink', imports: ['config', 'ecs/index', 'events/eventbridge'], trimmed: true },
];
console.log(`module bundles (esbuild, minified CommonJS), require time and peak RSS: median of ${SAMPLES} fresh processes (node ${process.version})`);
for (const [index, bundle] of bundles.entries()) {
  const outfile = join(outDir, `bundle-${index}.js`);
  const result = await build({
    stdin: { contents: bundle.imports.map((m) => `export * from './shared/${m}.ts';`).join('\n'), resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    outfile,
    metafile: true,
    logLevel: 'silent',
    plugins: bundle.trimmed ? [ecsSdkTrimmed()] : [],
  });
  const sdkBytes = Object.entries(result.metafile.outputs[Object.keys(result.metafile.outputs)[0]!]!.inputs)
    .filter(([input]) => input.includes('node_modules/'))
    .reduce((sum, [, { bytesInOutput }]) => sum + bytesInOutput, 0);
  const probe = `const t=process.hrtime.bigint();require(${JSON.stringify(outfile)});process.stdout.write(JSON.stringify([Number(process.hrtime.bigint()-t)/1e6,process.resourceUsage().maxRSS/1024]))`;
  const runs = Array.from({ length: SAMPLES }, () => JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' })) as [number, number]);
  console.log(
    `  ${bundle.label}`.padEnd(34),
    `${(statSync(outfile).size / 1024).toFixed(0)} kB`.padStart(8),
    `(packages ${(sdkBytes / 1024).toFixed(0)} kB)`.padStart(18),
    `require ${percentile(runs.map((r) => r[0]), 50).toFixed(1)} ms`.padStart(18),
    `RSS ${percentile(runs.map((r) => r[1]), 50).toFixed(1)} MB`.padStart(14),
  );
}

// ---- one delivery, end to end on loopback ----
const event = toCloudEvent({
  eventId: 'bench-0',
  regionId: 'cn-hangzhou',
  imageId: 'm-bench0000001',
  at: new Date().toISOString(),
  principal: 'bench',
  action: 'share.requested',
  requestId: 'bench',
  reason: 'benchmark',
});

async function timeDeliveries(label: string, deliver: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 10; i++) await deliver(); // warm up
  const times: number[] = [];
  for (let i = 0; i < DELIVERIES; i++) {
    const started = performance.now();
    await deliver();
    times.push(performance.now() - started);
  }
  console.log(`  ${label.padEnd(46)} p50 ${percentile(times, 50).toFixed(2)} ms   p95 ${percentile(times, 95).toFixed(2)} ms   max ${Math.max(...times).toFixed(2)} ms`);
}

console.log(`\ndeliver() on loopback, ${DELIVERIES} sequential calls`);
const receiver = createServer((request, response) => request.resume().on('end', () => response.writeHead(204).end()));
await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
const webhook = createWebhookSink({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret: 'bench-secret-0123456789abcdef' });
await timeDeliveries('webhook, 1 event (new connection each call)', () => webhook.deliver([event]));
await timeDeliveries('webhook, 16 events', () => webhook.deliver(Array.from({ length: 16 }, (_, i) => ({ ...event, id: `bench-${i}` }))));
receiver.close();

const emulator = await startEventBridgeEmulator({ buses: ['bench'] });
const eventbridge = createEventBridgeSink({
  endpoint: emulator.endpoint,
  bus: 'bench',
  protocol: 'http',
  credentials: () => ({ accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret }),
});
await timeDeliveries('EventBridge emulator, 1 event', () => eventbridge.deliver([event]));
await timeDeliveries('EventBridge emulator, 16 events (one request)', () => eventbridge.deliver(Array.from({ length: 16 }, (_, i) => ({ ...event, id: `bench-${i}` }))));
await emulator.close();
process.exit(0);
