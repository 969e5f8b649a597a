// Throttling over the real adapters: the ECS emulator admits at most N calls per API per second
// (sliding window). The reconciler's rate limiters are configured 20% below N, as an operator
// sets them below the account's quota, and a 500-image sweep must never reach the limit: no call is
// refused, and the emulator's arrival times show no one-second span with more than N calls of an API.
import { afterEach, describe, expect, it } from 'vitest';
import { REGION, startReconcileStack, timer, type ReconcileStack } from '../fixtures/reconcile/stack.js';
import { OWNER } from '../fixtures/reconcile/env.js';

const LIMIT_QPS = 50;
const PACED_QPS = 40;
const IMAGES = 500;
let stack: ReconcileStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** The most calls that arrived within any one-second span (sliding), from ISO arrival times. */
function busiestSecond(arrivals: readonly string[]): number {
  const ms = arrivals.map((a) => Date.parse(a)).sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < ms.length; end++) {
    while (ms[end]! - ms[start]! >= 1000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

describe('reconcile under ECS flow control', () => {
  it(`sweeps ${IMAGES} images under a ${LIMIT_QPS} QPS limit per API without ever reaching it`, { timeout: 90_000 }, async () => {
    stack = await startReconcileStack({ env: { ECS_RATE_PER_API: `*=${PACED_QPS}`, RECONCILE_CONCURRENCY: '8' } });
    for (let i = 0; i < IMAGES; i++) await stack.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageId: `m-thr${String(i).padStart(8, '0')}` });
    await stack.ecs.setThrottle({ qps: LIMIT_QPS });

    const result = await stack.invoke(timer({ mode: 'enforce', regions: [REGION] }));

    const run = await stack.store.getRun(result.runIds[0]!);
    expect(run).toMatchObject({ status: 'completed', imagesScanned: IMAGES, errors: [], findings: {} });
    const calls = await stack.ecs.calls();
    expect(calls.filter((c) => c.code !== null)).toEqual([]);
    expect(calls.filter((c) => c.action === 'DescribeImageSharePermission')).toHaveLength(IMAGES);
    for (const action of new Set(calls.map((c) => c.action))) {
      const arrivals = calls.filter((c) => c.action === action).map((c) => c.at);
      expect(busiestSecond(arrivals), `${action} calls in the busiest second`).toBeLessThanOrEqual(LIMIT_QPS);
    }
    // The limiters really paced the sweep: 500 reads at 40/s take at least 12 full windows after the first.
    expect(run!.durationMs).toBeGreaterThanOrEqual(Math.floor((IMAGES - 1) / PACED_QPS) * 1000 - 100);
  });
});

describe('reconcile hand-overs under ECS flow control', () => {
  it('a continuation counts the calls its predecessor made in its last second: no burst at a hand-over reaches the limit', { timeout: 60_000 }, async () => {
    // A timeout no longer than the reserve: each invocation reconciles one image and hands over at
    // once, so every image is a hand-over, and the invocations' calls meet within the same seconds.
    const QPS = 5;
    stack = await startReconcileStack({ functionTimeoutS: 1, env: { ECS_RATE_PER_API: `*=${QPS}` } });
    for (let i = 0; i < 12; i++) await stack.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageId: `m-hand${String(i).padStart(8, '0')}` });
    await stack.ecs.setThrottle({ qps: QPS });

    const first = await stack.invoke(timer({ mode: 'report', regions: [REGION] }));
    await stack.fc.idle();

    const run = await stack.store.getRun(first.runIds[0]!);
    expect(run).toMatchObject({ status: 'completed', imagesScanned: 12, errors: [] });
    expect(stack.fc.invocations.filter((i) => (i.payload as { kind: string }).kind === 'continue').length).toBeGreaterThanOrEqual(11);
    // Every continuation carried its predecessor's last second, and ECS refused nothing.
    expect(stack.fc.invocations.every((i) => (i.payload as { rateCarry?: unknown }).rateCarry !== undefined)).toBe(true);
    const calls = await stack.ecs.calls();
    expect(calls.filter((c) => c.code !== null)).toEqual([]);
    for (const action of new Set(calls.map((c) => c.action))) {
      expect(busiestSecond(calls.filter((c) => c.action === action).map((c) => c.at)), `${action} calls in the busiest second`).toBeLessThanOrEqual(QPS);
    }
  });
});
