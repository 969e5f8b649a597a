// Throttling over the real adapters: the ECS emulator admits at most N calls per API per second
// (sliding window); a 500-image sweep paced by the token buckets at the same N completes with no
// throttling error in its report.
import { afterEach, describe, expect, it } from 'vitest';
import { REGION, startReconcileStack, timer, type ReconcileStack } from '../fixtures/reconcile/stack.js';
import { OWNER } from '../fixtures/reconcile/env.js';

const QPS = 50;
const IMAGES = 500;
let stack: ReconcileStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('reconcile under ECS flow control', () => {
  it(`sweeps ${IMAGES} images at ${QPS} QPS per API without a surfaced throttling error`, { timeout: 90_000 }, async () => {
    stack = await startReconcileStack({ env: { ECS_RATE_PER_API: `*=${QPS}`, RECONCILE_CONCURRENCY: '8' } });
    for (let i = 0; i < IMAGES; i++) await stack.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageId: `m-thr${String(i).padStart(8, '0')}` });
    await stack.ecs.setThrottle({ qps: QPS });

    const result = await stack.invoke(timer({ mode: 'enforce', regions: [REGION] }));

    const run = await stack.store.getRun(result.runIds[0]!);
    expect(run).toMatchObject({ status: 'completed', imagesScanned: IMAGES, errors: [], findings: {} });
    const calls = await stack.ecs.calls();
    const throttled = calls.filter((c) => c.code === 'Throttling.User');
    const describes = calls.filter((c) => c.action === 'DescribeImageSharePermission' && c.status === 200);
    expect(describes).toHaveLength(IMAGES);
    // What the emulator refused is what the report counted as retried attempts.
    const reportedThrottles = Object.entries(run!.apiCalls)
      .filter(([k]) => k.includes('Throttling'))
      .reduce((n, [, v]) => n + v, 0);
    expect(reportedThrottles).toBe(throttled.length);
    // Paced exactly at the limit, a refusal only happens when network jitter squeezes 51 calls into
    // the emulator's sliding second; the adapter retries those. Unpaced, most calls would be refused.
    expect(throttled.length).toBeLessThanOrEqual(Math.ceil(calls.length * 0.1));
    // The buckets really paced the sweep: 500 reads at 50/s cannot finish in under ~10 s.
    expect(run!.durationMs).toBeGreaterThanOrEqual(((IMAGES - 1) / QPS) * 1000 - 100);
  });
});
