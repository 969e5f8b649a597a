// What stored request history costs a live describe and the approval queue's first page. One stack
// per history size (1, 1,000, 5,000 and 20,000 finished requests of the described image, plus three
// pending ones), each the functions' handlers over the real SDKs against their own ECS and Tablestore
// emulators; the history is seeded as the store leaves it, in batches. Samples are taken in turn from
// every stack (the starting stack rotates), so machine noise falls on all sizes alike, and each
// size's p50 is compared with the 1-request stack's, measured in the same run: the bound is 1.2×.
// The Tablestore calls each request made are listed too (they must not grow either).
// Samples: HISTORY_BENCH_SAMPLES (default 150).
//   npm run bench -- history
import { performance } from 'node:perf_hooks';
import { createSdkClient } from '../shared/tablestore/sdk.js';
import { aRequest } from '../test/contract/store-contract.js';
import { eventObject } from '../test/fixtures/events.js';
import { STACK_KEYS, STACK_REGION, askToShare, startStack, type Stack } from '../test/support/stack.js';
import { seedFinishedRequests } from '../test/support/tablestore.js';

const SIZES = [1, 1000, 5000, 20_000];
const N = Number(process.env.HISTORY_BENCH_SAMPLES ?? 150);
const WARM_UP = 5;
const BOUND = 1.2;
const IMAGE = 'm-benchhistory0001';
const TARGETS = ['3000000000000001', '3000000000000002', '3000000000000003'];

interface Sized {
  readonly size: number;
  readonly stack: Stack;
}

interface Op {
  readonly name: string;
  run(stack: Stack): Promise<void>;
}

const OPS: Op[] = [
  {
    name: 'describe live',
    async run(stack) {
      const res = await stack.invoke('describe', eventObject('describe-image', { token: stack.tokens.auditor, path: `/v1/images/${STACK_REGION}/${IMAGE}` }));
      if (res.statusCode !== 200) throw new Error(`describe answered ${res.statusCode}: ${res.body}`);
      if ((JSON.parse(res.body) as { pendingRequests: unknown[] }).pendingRequests.length !== TARGETS.length) throw new Error('describe lost a pending request');
    },
  },
  {
    name: 'approval queue (first page)',
    async run(stack) {
      const res = await stack.invoke('describe', eventObject('list-requests', { token: stack.tokens.approver }));
      if (res.statusCode !== 200) throw new Error(`the queue answered ${res.statusCode}: ${res.body}`);
      if ((JSON.parse(res.body) as { items: unknown[] }).items.length !== TARGETS.length) throw new Error('the queue lost a pending request');
    },
  },
];

const p50 = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function stackWithHistory(size: number): Promise<Sized> {
  const stack = await startStack({ accounts: TARGETS, images: [{ regionId: STACK_REGION, imageId: IMAGE, imageName: 'history' }], env: { LOG_LEVEL: 'error' } });
  for (const accountId of TARGETS) {
    const res = await askToShare(stack, IMAGE, [accountId], 'bench');
    if (res.statusCode !== 202) throw new Error(`share answered ${res.statusCode}: ${res.body}`);
  }
  // Finished requests spread over the default retention before now: the history a deployment keeps.
  const start = Date.now() - 400 * 24 * 3600_000;
  const step = Math.floor((400 * 24 * 3600_000) / size);
  const history = Array.from({ length: size }, (_, i) => {
    const at = new Date(start + i * step).toISOString();
    return aRequest({ regionId: STACK_REGION, imageId: IMAGE, requestId: `sr-history${String(i).padStart(6, '0')}`, status: i % 4 === 0 ? 'rejected' : 'applied', createdAt: at, updatedAt: at });
  });
  const client = createSdkClient({ endpoint: stack.tablestore.endpoint, instance: stack.tablestore.instance, credentials: STACK_KEYS });
  await seedFinishedRequests(client, stack.env.TABLE_PREFIX!, history);
  return { size, stack };
}

async function tablestoreCalls(stack: Stack, op: Op): Promise<string> {
  const before = (await stack.tablestore.admin.calls()).length;
  await op.run(stack);
  const calls = (await stack.tablestore.admin.calls()).slice(before);
  return calls.map((c) => `${c.operation} ${(c.table ?? '').replace(/^isg_/, '')}`).join(', ');
}

async function main(): Promise<void> {
  const seeded = performance.now();
  const stacks: Sized[] = [];
  try {
    for (const size of SIZES) stacks.push(await stackWithHistory(size));
    console.log(`seeded ${SIZES.join(' / ')} finished requests in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
    // Read while the emulators' call logs are short (they keep the last 10,000 calls).
    const calls = new Map<string, string>();
    for (const op of OPS) for (const { size, stack } of stacks) calls.set(`${op.name}@${size}`, await tablestoreCalls(stack, op));
    const samples = new Map<string, number[]>();
    for (let round = -WARM_UP; round < N; round++) {
      for (let k = 0; k < stacks.length; k++) {
        const { size, stack } = stacks[(k + Math.max(round, 0)) % stacks.length]!;
        for (const op of OPS) {
          const started = performance.now();
          await op.run(stack);
          const elapsed = performance.now() - started;
          if (round >= 0) samples.set(`${op.name}@${size}`, [...(samples.get(`${op.name}@${size}`) ?? []), elapsed]);
        }
      }
    }

    const rows: string[][] = [['request', 'stored finished requests', 'p50', 'ratio to 1', 'Tablestore calls']];
    let within = true;
    for (const op of OPS) {
      const base = p50(samples.get(`${op.name}@1`)!);
      for (const { size } of stacks) {
        const median = p50(samples.get(`${op.name}@${size}`)!);
        const ratio = median / base;
        within &&= ratio <= BOUND;
        rows.push([op.name, size.toLocaleString('en-US'), `${median.toFixed(2)} ms`, `${ratio.toFixed(2)} (≤ ${BOUND})`, calls.get(`${op.name}@${size}`)!]);
      }
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    console.log(`live describe and the approval queue vs stored request history, ${N} samples each, taken in turn (node ${process.version})`);
    for (const r of rows) console.log(r.map((c, i) => (i === 4 ? c : i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
    console.log(within ? 'history costs nothing measurable: every ratio is within its bound' : 'SOME RATIO IS OUTSIDE ITS BOUND');
    if (!within) process.exitCode = 1;
  } finally {
    await Promise.all(stacks.map(({ stack }) => stack.close()));
  }
}

await main();
