// Reconcile sweep cost over the real adapters and both emulators on loopback: images per second at
// several concurrencies (ECS rate limit lifted, so the figure is the function's own cost), ECS calls
// and Tablestore operations per image for an idle sweep (no drift), and the cost of a drifted fleet
// (one unmanaged share per image) in report mode (findings only) and in enforce mode (repairs too).
import { findingCount, type ReconcileMode } from '../shared/domain/model.js';
import { REGION, startReconcileStack, TABLES, TARGETS, timer, WRITE_OPERATIONS } from '../test/fixtures/reconcile/stack.js';
import { OWNER } from '../test/fixtures/reconcile/env.js';

const IMAGES = Number(process.env.RECONCILE_BENCH_IMAGES ?? 1000);

async function sweep(concurrency: number, drifted: boolean, mode: ReconcileMode = 'enforce'): Promise<Record<string, unknown>> {
  const stack = await startReconcileStack({ env: { ECS_RATE_PER_API: '*=10000', RECONCILE_CONCURRENCY: String(concurrency), UNMANAGED_SHARES: 'revoke' } });
  try {
    for (let i = 0; i < IMAGES; i++) {
      const id = await stack.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageId: `m-bench${String(i).padStart(8, '0')}` });
      if (drifted) await stack.ecs.shareOutOfBand(REGION, id, TARGETS[i % TARGETS.length]!);
    }
    const otsBefore = (await stack.ots.calls()).length;
    const started = performance.now();
    const result = await stack.invoke(timer({ mode, regions: [REGION] }));
    const wallMs = performance.now() - started;
    const run = await stack.store.getRun(result.runIds[0]!);
    const ots = (await stack.ots.calls()).slice(otsBefore);
    const ecsCalls = Object.entries(run?.apiCalls ?? {}).filter(([k]) => !k.includes(':')).reduce((n, [, v]) => n + v, 0);
    const writes = ots.filter((c) => WRITE_OPERATIONS.has(c.operation));
    const byTable = (table: string): number => writes.filter((c) => c.table === table).length;
    return {
      images: IMAGES,
      drifted,
      mode,
      concurrency,
      status: run?.status,
      wallMs: Math.round(wallMs),
      imagesPerSecond: Math.round((IMAGES / wallMs) * 1000),
      ecsCallsPerImage: +(ecsCalls / IMAGES).toFixed(2),
      tablestoreOpsPerImage: +(ots.length / IMAGES).toFixed(2),
      tablestoreWrites: writes.length,
      // The run's report: its findings (BatchWriteRow requests, rows), its record and time index, the posture.
      findingRows: run ? findingCount(run) : 0,
      findingWrites: byTable(TABLES.findings),
      recordWrites: byTable(TABLES.runs) + byTable(TABLES.runs_by_time),
      postureWrites: byTable(TABLES.posture),
      actions: run?.actions,
      errors: run?.errors.length,
    };
  } finally {
    await stack.close();
  }
}

for (const concurrency of [1, 4, 8]) console.log(JSON.stringify(await sweep(concurrency, false)));
console.log(JSON.stringify(await sweep(8, true, 'report')));
console.log(JSON.stringify(await sweep(8, true)));
