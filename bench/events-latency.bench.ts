// What publishing audit events adds to a request: p50 and p99 of a share request (one audit event)
// through the share function on the real adapters and both emulators, without a sink and with each
// sink — a webhook that answers at once, one that never answers, one whose port is closed, and the
// EventBridge emulator through the SDK. One stack per case, requests sent to them in turn, so a busy
// moment of the machine falls on every case alike. The request waits for delivery at most
// AFTER_REQUEST_BUDGET_MS (default 5 ms); the bench fails when a sink adds more than that at the
// median. Figures go to shared/events/README.md.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEventBridgeEmulator } from '../emulators/eventbridge/index.js';
import { ENVIRONMENT } from '../shared/environment.js';
import { eventObject } from '../test/fixtures/events.js';
import { STACK_KEYS, STACK_REGION, startStack } from '../test/support/stack.js';

const REQUESTS = Number(process.env.EVENTS_BENCH_REQUESTS ?? 300);
const WARMUP = 30;
const BUDGET_MS = ENVIRONMENT.AFTER_REQUEST_BUDGET_MS.default as number;
/** Timer granularity and a busy event loop: what the median may exceed the budget by before the bench fails. */
const SLACK_MS = 2;
const SECRET = 'whsec-bench-0123456789abcdef';
const ACCOUNTS = Array.from({ length: 30 }, (_, i) => `27000000000000${String(i).padStart(2, '0')}`);
const IMAGES = Array.from({ length: Math.ceil((REQUESTS + WARMUP) / ACCOUNTS.length) }, (_, i) => `m-bp1latency${String(i).padStart(4, '0')}`);

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

/** A receiver on port 0 that answers each request as `answer` says. */
async function receiver(answer: (response: ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => answer(response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function closedPortUrl(): Promise<string> {
  const r = await receiver(() => undefined);
  await r.close();
  return r.url;
}

type BenchStack = Awaited<ReturnType<typeof startStack>>;

/** One share request recording one audit event (the n-th of the stack: a new image and account pair each time); its latency. */
async function shareRequest(stack: BenchStack, n: number): Promise<number> {
  const event = eventObject('share-request', {
    token: stack.tokens.requester,
    path: `/v1/images/${STACK_REGION}/${IMAGES[Math.floor(n / ACCOUNTS.length)]}/share-requests`,
    body: { accountIds: [ACCOUNTS[n % ACCOUNTS.length]], reason: 'latency bench', attestation: { sensitiveDataRemoved: true } },
    headers: { 'Idempotency-Key': null },
  });
  const started = performance.now();
  const res = await stack.invoke('share', event);
  const ms = performance.now() - started;
  if (res.statusCode !== 202) throw new Error(`share request answered ${res.statusCode}: ${res.body}`);
  return ms;
}

const healthy = await receiver((response) => response.writeHead(204).end());
const held: ServerResponse[] = [];
const silent = await receiver((response) => held.push(response));
const eventbridge = await startEventBridgeEmulator({ port: 0, buses: ['isg-events'], key: STACK_KEYS });
const webhook = (url: string) => ({ WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET });

const cases: [string, Record<string, string>][] = [
  ['no sink', {}],
  ['webhook, answers at once', webhook(healthy.url)],
  ['webhook, never answers', webhook(silent.url)],
  ['webhook, port closed', webhook(await closedPortUrl())],
  ['EventBridge emulator (SDK)', { EVENTBRIDGE_ENDPOINT: eventbridge.endpoint, EVENTBRIDGE_BUS: 'isg-events', EVENTBRIDGE_PROTOCOL: 'http' }],
];

const stacks = await Promise.all(
  cases.map(([, env]) => startStack({ env: { LOG_LEVEL: 'error', ...env }, accounts: ACCOUNTS, images: IMAGES.map((imageId) => ({ regionId: STACK_REGION, imageId })) })),
);
const latencies: number[][] = cases.map(() => []);
for (let n = 0; n < WARMUP + REQUESTS; n++) {
  for (const [i, stack] of stacks.entries()) {
    const ms = await shareRequest(stack, n);
    if (n >= WARMUP) latencies[i]!.push(ms);
  }
}
await Promise.all(stacks.map((stack) => stack.close()));

console.log(`share request latency, ${REQUESTS} requests per case after ${WARMUP} to warm up, one audit event each (node ${process.version}, budget ${BUDGET_MS} ms)`);
console.log('| sink | p50 ms | p99 ms | p50 added | p99 added |');
console.log('|---|---:|---:|---:|---:|');
const [base50, base99] = [percentile(latencies[0]!, 50), percentile(latencies[0]!, 99)];
const over: string[] = [];
for (const [i, [label]] of cases.entries()) {
  const [p50, p99] = [percentile(latencies[i]!, 50), percentile(latencies[i]!, 99)];
  console.log(`| ${label} | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${(p50 - base50).toFixed(1)} | ${(p99 - base99).toFixed(1)} |`);
  if (p50 - base50 > BUDGET_MS + SLACK_MS) over.push(`${label}: the median request is ${(p50 - base50).toFixed(1)} ms slower, over the ${BUDGET_MS} ms budget`);
}
for (const response of held) response.destroy();
await Promise.all([healthy.close(), silent.close(), eventbridge.close()]);
if (over.length > 0) {
  console.error(over.join('\n'));
  process.exit(1);
}
