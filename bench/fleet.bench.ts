// A fleet at the default rate (ECS_RATE_PER_API=*=10), over the real adapters and both emulators, with
// the ECS emulator refusing anything above 12.5 calls per second per API (the limit set 20% below the
// account's quota, as the README advises). N images (FLEET_BENCH_IMAGES, default 600; the figure the
// goal names is 10,000) are swept while a second timer fires mid-sweep, so two sweeps run back to back.
// It reports:
// - each sweep's DescribeImageSharePermission rate against the bound Q (goal ≥ 95%) and its period
//   against N / Q;
// - the gap between the first sweep's end and the follow-up sweep's start (no interval lost to the lease);
// - the event path: a share made through the ECS API mid-sweep, delivered as an ActionTrail event, found
//   (the unmanaged finding recorded by its run) within 60 s;
// - the heap after a full collection halfway through the first sweep and at the end of the two (the
//   emulators share the process and keep a call log, so a little growth is theirs). Only these two
//   collections: a full collection pauses the emulators too, and calls that queue behind the pause
//   reach the throttle bunched together, as no real network bunches them.
// Calls ECS refused (Throttling.User) are listed: the adapter retries them, but a refused call is a
// call the rate limit should have spared, so the bound is none.
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { actionTrailEvent, OWNER } from '../test/fixtures/reconcile/env.js';
import { REGION, startReconcileStack, TARGETS, timer } from '../test/fixtures/reconcile/stack.js';

const N = Number(process.env.FLEET_BENCH_IMAGES ?? 600);
const Q = 10;
const RATE_BOUND = 0.95;
const EVENT_BOUND_S = 60;
/** What ECS admits per API, 20% above the configured rate (the README's advice, turned around). */
const LIMIT = Math.ceil(Q * 1.25);

const stack = await startReconcileStack({
  // Invocations of 60 s, handing over with 10 s to spare: a sweep of N images is a chain of them.
  functionTimeoutS: 60,
  env: { ECS_RATE_PER_API: `*=${Q}`, RECONCILE_TIME_BUDGET_MS: '10000', UNMANAGED_SHARES: 'report' },
});
try {
  for (let i = 0; i < N; i++) await stack.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageId: `m-fleet${String(i).padStart(8, '0')}` });
  await stack.ecs.setThrottle({ qps: LIMIT });

  // The heap after a full collection, so garbage not yet collected does not pass for growth.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heapMb = (): number => {
    gc();
    return process.memoryUsage().heapUsed / 1024 / 1024;
  };
  const first = stack.invoke(timer({ mode: 'report', regions: [REGION] }));
  const expectedS = N / Q;

  // Mid-sweep: the next timer fires, and someone shares an image through the ECS API.
  await sleep((expectedS / 2) * 1000);
  const half = heapMb();
  const second = await stack.invoke(timer({ mode: 'report', regions: [REGION] }));
  const victim = `m-fleet${String(Math.floor(N / 2)).padStart(8, '0')}`;
  await stack.ecs.shareOutOfBand(REGION, victim, TARGETS[0]!);
  const eventAt = Date.now();
  const eventRun = await stack.invoke(actionTrailEvent('ModifyImageSharePermission', REGION, victim));
  const found = (await stack.store.getFindings(eventRun.runIds[0]!, [{ kind: 'unmanaged', regionId: REGION, imageId: victim, channel: 'account', target: TARGETS[0]! }])).length > 0;
  const eventS = (Date.now() - eventAt) / 1000;

  const firstRunId = (await first).runIds[0]!;
  await stack.fc.idle();
  const sweep = await stack.store.getRun(firstRunId);
  const followUp = await stack.store.getRun(`${second.runIds[0]!}-follow-up`);
  const calls = await stack.ecs.calls();
  const within = (run: NonNullable<typeof sweep>) => {
    const from = Date.parse(run.startedAt);
    const to = Date.parse(run.finishedAt!);
    const reads = calls.filter((c) => c.action === 'DescribeImageSharePermission' && c.code === null && Date.parse(c.at) >= from && Date.parse(c.at) <= to).length;
    const seconds = (to - from) / 1000;
    return { seconds, reads, rate: reads / seconds / Q };
  };
  if (!sweep || !followUp || sweep.status !== 'completed' || followUp.status !== 'completed') throw new Error(`sweeps did not complete: ${sweep?.status} / ${followUp?.status}`);
  const a = within(sweep);
  const b = within(followUp);
  const gapS = (Date.parse(followUp.startedAt) - Date.parse(sweep.finishedAt!)) / 1000;
  const refusedCalls = calls.filter((c) => c.code !== null);
  const refused = refusedCalls.length;
  const end = heapMb();

  console.log(`fleet of ${N} images at ${Q} calls/s per API (ECS refuses above ${LIMIT}), node ${process.version}`);
  console.log(`  first sweep:      ${a.seconds.toFixed(1)} s for ${a.reads} reads, ${(a.rate * 100).toFixed(1)}% of the rate bound (≥ ${RATE_BOUND * 100}%), period ${(a.seconds / expectedS).toFixed(2)} × N/Q`);
  console.log(`  follow-up sweep:  ${b.seconds.toFixed(1)} s for ${b.reads} reads, ${(b.rate * 100).toFixed(1)}% of the rate bound, period ${(b.seconds / expectedS).toFixed(2)} × N/Q`);
  console.log(`  between sweeps:   ${gapS.toFixed(2)} s from the first one's end to the follow-up's start (the timer fired at ${(expectedS / 2).toFixed(0)} s)`);
  console.log(`  event path:       ${found ? 'found' : 'NOT FOUND'} in ${eventS.toFixed(1)} s during the sweep (≤ ${EVENT_BOUND_S} s)`);
  console.log(`  heap:             ${half.toFixed(0)} MB halfway through the first sweep, ${end.toFixed(0)} MB at the end; ${refused} ECS calls refused`);
  for (const c of refusedCalls) {
    const at = Date.parse(c.at);
    const before = calls.filter((x) => x.action === c.action && Date.parse(x.at) > at - 1100 && Date.parse(x.at) <= at).map((x) => `${Date.parse(x.at) - at}${x.code ? '!' : ''}`);
    console.log(`    refused: ${c.action} ${c.code} at ${c.at}; before: ${before.join(' ')}`);
  }
  const ok = a.rate >= RATE_BOUND && b.rate >= RATE_BOUND && found && eventS <= EVENT_BOUND_S && refused === 0;
  console.log(ok ? 'within the bounds' : 'OUTSIDE THE BOUNDS');
} finally {
  await stack.close();
}
