// Throughput of the Tablestore adapter's hot writes against the local emulator, through the real
// SDK: quota reservation (conditional INCREMENT) and a versioned share update (conditional PutRow).
// Figures measure the adapter + SDK + emulator on this machine, not the real service.
//   npm run bench -- store
import { startTablestoreEmulator } from '../emulators/tablestore/index.js';
import { type Share, targetFields } from '../shared/domain/model.js';
import { createSdkClient } from '../shared/tablestore/sdk.js';
import { createTablestoreStore } from '../shared/tablestore/store.js';
import { ensureTables } from '../shared/tablestore/tables.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000);

async function measure(name: string, concurrency: number, op: (worker: number, i: number) => Promise<unknown>): Promise<void> {
  const latencies: number[] = [];
  const deadline = performance.now() + DURATION_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i += 1) {
        const t0 = performance.now();
        await op(worker, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): string => (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(2);
  console.log(
    `${name.padEnd(42)} c=${String(concurrency).padEnd(3)} ${((latencies.length * 1000) / elapsed).toFixed(0).padStart(6)} ops/s  p50 ${pct(0.5)} ms  p99 ${pct(0.99)} ms`,
  );
}

const emulator = await startTablestoreEmulator({ port: 0 });
try {
  const credentials = { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret };
  await ensureTables(createSdkClient({ endpoint: emulator.endpoint, instance: emulator.instance, credentials }), 'bench_', { pollMs: 20 });
  const store = createTablestoreStore({ endpoint: emulator.endpoint, instance: emulator.instance, tablePrefix: 'bench_', credentials: () => credentials });
  const now = new Date().toISOString();

  for (const concurrency of [1, 16]) {
    // Reserve and release on one image: a pair of conditional increments per iteration.
    const imageId = `m-benchquota${concurrency}`;
    await store.createImage({ regionId: 'cn-hangzhou', imageId, lifecycle: 'active', quotaUsed: 0, directoryQuotaUsed: 0, deletion: { status: 'none' }, createdAt: now, updatedAt: now, version: 1 });
    await measure('adjustQuota +1 then -1 (2 INCREMENTs per op)', concurrency, async () => {
      await store.adjustQuota('cn-hangzhou', imageId, 1, 50, new Date(), 'account');
      await store.adjustQuota('cn-hangzhou', imageId, -1, 50, new Date(), 'account');
    });
  }

  for (const concurrency of [1, 16]) {
    // One share per worker, updated with its current version each time (no contention).
    const shares: Share[] = [];
    for (let w = 0; w < concurrency; w += 1) {
      const share: Share = {
        regionId: 'cn-hangzhou',
        imageId: `m-benchshare${concurrency}`,
        ...targetFields({ channel: 'account', target: String(1000000000000000 + w) }),
        state: 'active',
        origin: 'request',
        requestId: 'req-bench',
        createdAt: now,
        updatedAt: now,
        version: 1,
      };
      shares.push(await store.createShare(share));
    }
    await measure('updateShare (versioned PutRow)', concurrency, async (w) => {
      const current = shares[w]!;
      shares[w] = await store.updateShare({ ...current, updatedAt: new Date().toISOString() }, current.version);
    });
  }
} finally {
  await emulator.close();
}
