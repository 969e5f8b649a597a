// What a request costs over the SDK calls it inherently makes. At the default configuration
// (ECS_RATE_PER_API=*=10), share (202), approve (200) and a live describe (200) are served by the
// functions' handlers over the real SDKs against both emulators, one at a time, spaced so that no
// API's rate is reached (an isolated request); the emulators' call logs say which calls each made.
// The same calls are then made directly with the raw SDK clients, one after another, and timed. The
// ratio of the p50s (and p99s) is the service's overhead: the goal is at most 1.3× (p50) and 1.5×
// (p99). Samples: REQUEST_BENCH_SAMPLES (default 40).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { event } from '../test/fixtures/events.js';
import TableStore from 'tablestore';
import { ecsClient, loadDara, loadOpenApiCore, type EcsCallRecord } from '../test/support/ecs.js';
import { STACK_KEYS, STACK_REGION, startStack, type Stack } from '../test/support/stack.js';

const N = Number(process.env.REQUEST_BENCH_SAMPLES ?? 40);
const P50_BOUND = 1.3;
const P99_BOUND = 1.5;
/** Between two samples: keeps every API well under 10 calls in any second, as for an isolated request. */
const SPACING_MS = 350;
const IMAGE = 'm-benchrequests001';
const TARGETS = Array.from({ length: N + 2 }, (_, i) => `3${String(i + 1).padStart(15, '0')}`);
const SCRATCH = 'bench_scratch';

type Call = { service: 'ecs'; action: string; params: Record<string, string> } | { service: 'tablestore'; operation: string };

interface Op {
  readonly name: string;
  /** Prepares sample i (untimed) and returns the timed request. */
  prepare(i: number): Promise<() => Promise<void>>;
}

const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function main(): Promise<void> {
  const stack = await startStack({ accounts: TARGETS, images: [{ regionId: STACK_REGION, imageId: IMAGE, imageName: 'requests' }], env: { ECS_RATE_PER_API: '*=10' } });
  try {
    const direct = await directClients(stack);
    const pending: string[] = [];
    const ask = (i: number) =>
      stack.invoke(
        'share',
        event('share-request', {
          token: stack.tokens.requester,
          path: `/v1/images/${STACK_REGION}/${IMAGE}/share-requests`,
          body: { accountIds: [TARGETS[i]], reason: 'bench', attestation: { sensitiveDataRemoved: true } },
          headers: { 'Idempotency-Key': null },
        }),
      );
    const ops: Op[] = [
      {
        name: 'share (202)',
        async prepare(i) {
          return async () => {
            const res = await ask(i);
            if (res.statusCode !== 202) throw new Error(`share answered ${res.statusCode}: ${res.body}`);
            pending.push((JSON.parse(res.body) as { request: { requestId: string } }).request.requestId);
          };
        },
      },
      {
        name: 'approve (200)',
        async prepare() {
          const requestId = pending.shift()!;
          return async () => {
            const res = await stack.invoke('share', event('approve', { token: stack.tokens.approver, requestId, body: { comment: 'bench' }, headers: { 'Idempotency-Key': null } }));
            if (res.statusCode !== 200) throw new Error(`approve answered ${res.statusCode}: ${res.body}`);
          };
        },
      },
      {
        name: 'describe live (200)',
        async prepare() {
          return async () => {
            const res = await stack.invoke('describe', event('describe-image', { token: stack.tokens.auditor, path: `/v1/images/${STACK_REGION}/${IMAGE}` }));
            if (res.statusCode !== 200) throw new Error(`describe answered ${res.statusCode}: ${res.body}`);
          };
        },
      },
    ];

    // One warm-up round (cold SDK paths, first connections), then the samples.
    const rows: string[][] = [['request', 'calls', 'p50', 'p99', 'same calls direct p50', 'p99', 'p50 ratio', 'p99 ratio']];
    let within = true;
    for (const op of ops) {
      const governed: number[] = [];
      const replayed: number[] = [];
      let calls: Call[] = [];
      for (let i = -1; i < N; i++) {
        const request = await op.prepare(i + 1);
        await sleep(SPACING_MS);
        const before = await callCounts(stack);
        const started = performance.now();
        await request();
        const elapsed = performance.now() - started;
        calls = await callsSince(stack, before);
        await sleep(SPACING_MS);
        const replayStarted = performance.now();
        for (const call of calls) await direct.make(call);
        const replayElapsed = performance.now() - replayStarted;
        if (i >= 0) {
          governed.push(elapsed);
          replayed.push(replayElapsed);
        }
      }
      const ratio50 = percentile(governed, 50) / percentile(replayed, 50);
      const ratio99 = percentile(governed, 99) / percentile(replayed, 99);
      within &&= ratio50 <= P50_BOUND && ratio99 <= P99_BOUND;
      rows.push([
        op.name,
        summarize(calls),
        `${percentile(governed, 50).toFixed(1)} ms`,
        `${percentile(governed, 99).toFixed(1)} ms`,
        `${percentile(replayed, 50).toFixed(1)} ms`,
        `${percentile(replayed, 99).toFixed(1)} ms`,
        `${ratio50.toFixed(2)} (≤ ${P50_BOUND})`,
        `${ratio99.toFixed(2)} (≤ ${P99_BOUND})`,
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    console.log(`requests at ECS_RATE_PER_API=*=10, one at a time, ${N} samples each (node ${process.version})`);
    for (const r of rows) console.log(r.map((c, i) => (i <= 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
    console.log(within ? 'every request is within its bounds' : 'SOME REQUEST IS OUTSIDE ITS BOUNDS');
  } finally {
    await stack.close();
  }
}

function summarize(calls: readonly Call[]): string {
  const ecs = calls.filter((c) => c.service === 'ecs').length;
  return `${ecs} ECS + ${calls.length - ecs} Tablestore`;
}

async function callCounts(stack: Stack): Promise<{ ecs: number; tablestore: number }> {
  return { ecs: (await stack.ecs.admin.calls()).length, tablestore: (await stack.tablestore.admin.calls()).length };
}

async function callsSince(stack: Stack, before: { ecs: number; tablestore: number }): Promise<Call[]> {
  const ecs = ((await stack.ecs.admin.calls()) as EcsCallRecord[]).slice(before.ecs).map((c) => ({ service: 'ecs' as const, action: c.action ?? '', params: c.params }));
  const ts = (await stack.tablestore.admin.calls()).slice(before.tablestore).map((c) => ({ service: 'tablestore' as const, operation: c.operation }));
  // The two logs hold no common clock: ECS calls first, then the store's (the replay sums round trips).
  return [...ecs, ...ts];
}

/** The raw SDK clients, and one equivalent direct call per observed call. */
async function directClients(stack: Stack): Promise<{ make(call: Call): Promise<void> }> {
  const ecs = ecsClient(stack.ecs.endpoint, STACK_KEYS);
  const { $OpenApiUtil } = loadOpenApiCore();
  const runtime = new (loadDara().RuntimeOptions)({});
  const ts = new TableStore.Client({
    accessKeyId: STACK_KEYS.accessKeyId,
    secretAccessKey: STACK_KEYS.accessKeySecret,
    endpoint: stack.tablestore.endpoint,
    instancename: stack.tablestore.instance,
    maxRetries: 0,
  });
  await ts.createTable({
    tableMeta: { tableName: SCRATCH, primaryKey: [{ name: 'id', type: 'STRING' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  let n = 0;
  const key = (id: string) => [{ id }];
  const columns = [{ state: 'active' }, { version: 1 }];
  const ignore = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
  await ts.putRow({ tableName: SCRATCH, condition: ignore(), primaryKey: key('known'), attributeColumns: columns });
  const tablestore: Record<string, () => Promise<unknown>> = {
    GetRow: () => ts.getRow({ tableName: SCRATCH, primaryKey: key('known'), maxVersions: 1 }),
    PutRow: () => ts.putRow({ tableName: SCRATCH, condition: ignore(), primaryKey: key(`r${n++}`), attributeColumns: columns }),
    UpdateRow: () => ts.updateRow({ tableName: SCRATCH, condition: ignore(), primaryKey: key('known'), updateOfAttributeColumns: [{ PUT: columns }] }),
    DeleteRow: () => ts.deleteRow({ tableName: SCRATCH, condition: ignore(), primaryKey: key(`r${n++}`) }),
    BatchGetRow: () => ts.batchGetRow({ tables: [{ tableName: SCRATCH, primaryKey: [key('known'), key('missing')], maxVersions: 1 }] }),
    BatchWriteRow: () =>
      ts.batchWriteRow({ tables: [{ tableName: SCRATCH, rows: [0, 1].map(() => ({ type: 'PUT', condition: ignore(), primaryKey: key(`r${n++}`), attributeColumns: columns })) }] }),
    GetRange: () =>
      ts.getRange({ tableName: SCRATCH, direction: TableStore.Direction.FORWARD, inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }], exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }], limit: 10, maxVersions: 1 }),
  };
  return {
    async make(call) {
      if (call.service === 'tablestore') {
        const make = tablestore[call.operation];
        if (!make) throw new Error(`no direct equivalent of Tablestore ${call.operation}`);
        await make();
        return;
      }
      // The same ECS action with the same parameters, through the official ECS client.
      const params = new $OpenApiUtil.Params({ action: call.action, version: '2014-05-26', protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
      await ecs.callApi(params, new $OpenApiUtil.OpenApiRequest({ query: call.params }), runtime).catch(() => undefined);
    },
  };
}

await main();
