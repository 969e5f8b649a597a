import { describe, expect, it } from 'vitest';
import { createReconcileHandler, type ReconcileContext } from '../../functions/reconcile/index.js';
import type { Invoker } from '../../shared/domain/ports.js';
import { createJsonLogger } from '../../shared/runtime.js';
import { T0, TickingClock } from '../support/clock.js';
import { MemoryDirectory } from '../support/memory-directory.js';
import { MemoryImages } from '../support/memory-images.js';
import { MemoryStore } from '../support/memory-store.js';
import { imagesNamedBy } from '../../functions/reconcile/schemas.js';
import { actionTrailEvent, OWNER, reconcileEnv, resourceSharingEvent, timerEvent } from '../fixtures/reconcile/env.js';

const A1 = '2000000000000001';


interface Sent {
  functionName: string;
  payload: any;
}

function setup(opts: { env?: Record<string, string>; stepMs?: number } = {}) {
  const store = new MemoryStore();
  const images = new MemoryImages(OWNER);
  const directory = new MemoryDirectory((regionId, imageId) => images.ownsImage(regionId, imageId));
  const lines: any[] = [];
  const sent: Sent[] = [];
  const invoker: Invoker = {
    async invokeAsync(functionName, payload) {
      sent.push({ functionName, payload: structuredClone(payload) });
    },
  };
  const clock = new TickingClock(opts.stepMs ?? 0);
  const logger = createJsonLogger('info', { write: (l) => lines.push(JSON.parse(l)), clock });
  const fn = createReconcileHandler(reconcileEnv(opts.env), { store, images, directory, invoker, clock, logger });
  let n = 0;
  const ctx = (timeoutS = 600): ReconcileContext => ({ requestId: `req-${++n}`, function: { name: 'image-share-reconcile', timeout: timeoutS } });
  return { store, images, directory, lines, sent, fn, ctx };
}

describe('reconcile handler: input validation', () => {
  it.each([
    ['not JSON', Buffer.from('{nope')],
    ['an array', Buffer.from('[]')],
    ['a payload with an unknown mode', timerEvent({ mode: 'destroy' })],
    ['a payload with an unknown field', timerEvent({ mode: 'report', extra: 1 })],
    ['a payload that is not JSON', timerEvent('mode=report')],
    ['an unmanaged region', timerEvent({ regions: ['us-west-1'] })],
    ['a timer event whose payload is not a string', Buffer.from(JSON.stringify({ triggerTime: 't', triggerName: 'n', payload: { mode: 'report' } }))],
    ['a task of an unknown kind', Buffer.from(JSON.stringify({ kind: 'nuke' }))],
    ['a continuation with a negative index', Buffer.from(JSON.stringify({ kind: 'continue', runId: 'r', regionId: 'cn-hangzhou', mode: 'enforce', cursor: { phase: 'ecs', pageNumber: 1, index: -1 } }))],
  ])('rejects %s: logged error, no action, no crash', async (_name, event) => {
    const { store, images, lines, fn, ctx } = setup();
    images.addImage({ imageId: 'm-handler0000001' });
    const result = await fn.handler(event, ctx());
    expect(result).toEqual({ status: 'rejected', runIds: [], reason: expect.any(String) });
    expect(lines).toEqual([expect.objectContaining({ level: 'error', msg: 'reconcile.rejected_event' })]);
    expect(store.calls).toEqual([]);
    expect(images.calls).toEqual([]);
  });
});

describe('reconcile handler: timer runs', () => {
  it('one region: sweeps, writes the run report and one JSON summary line', async () => {
    const { store, images, lines, fn, ctx } = setup();
    const img = images.addImage({ imageId: 'm-handler0000001' });
    images.shareOutOfBand('cn-hangzhou', img.imageId, A1);
    const result = await fn.handler(timerEvent({ mode: 'enforce', regions: ['cn-hangzhou'] }), ctx());
    expect(result).toEqual({ status: 'completed', runIds: ['req-1'] });
    const run = await store.getRun('req-1');
    expect(run).toEqual({
      runId: 'req-1',
      trigger: 'timer',
      mode: 'enforce',
      regions: ['cn-hangzhou'],
      status: 'completed',
      startedAt: T0,
      finishedAt: T0,
      durationMs: 0,
      imagesScanned: 1,
      findings: { unmanaged: 1 },
      actions: { unmanaged_revoked: 1 },
      errors: [],
      apiCalls: {},
    });
    expect(images.sharedWith('cn-hangzhou', img.imageId)).toEqual([]);
    const summaries = lines.filter((l) => l.msg === 'reconcile.run');
    expect(summaries).toEqual([expect.objectContaining({ runId: 'req-1', status: 'completed', findings: { unmanaged: 1 } })]);
    expect(store.allEvents().every((e) => e.principal === 'system:reconcile' && e.requestId === 'req-1')).toBe(true);
  });

  it('runs a timer event that carries a field FC added to the envelope', async () => {
    const { fn, ctx } = setup();
    const event = { ...(JSON.parse(timerEvent({ regions: ['cn-hangzhou'] }).toString('utf8')) as object), triggerId: 'tr-123', region: 'cn-hangzhou' };
    expect(await fn.handler(Buffer.from(JSON.stringify(event)), ctx())).toEqual({ status: 'completed', runIds: ['req-1'] });
  });

  it('several regions: one async region run per region under a parent run', async () => {
    const { store, sent, fn, ctx } = setup();
    const result = await fn.handler(timerEvent({ mode: 'report' }), ctx());
    expect(result).toEqual({ status: 'completed', runIds: ['req-1'] });
    expect(sent).toEqual(
      ['cn-hangzhou', 'cn-shanghai'].map((regionId) => ({
        functionName: 'image-share-reconcile',
        payload: { kind: 'region', runId: `req-1-${regionId}`, parentRunId: 'req-1', regionId, mode: 'report', trigger: 'timer' },
      })),
    );
    expect(await store.getRun('req-1')).toMatchObject({ status: 'completed', actions: { fanned_out: 2 }, regions: ['cn-hangzhou', 'cn-shanghai'] });
  });

  it('the payload defaults to the policy mode; the region run records its parent', async () => {
    const { store, fn, ctx } = setup({ env: { RECONCILE_MODE: 'report' } });
    const region = { kind: 'region', runId: 'p-cn-hangzhou', parentRunId: 'p', regionId: 'cn-hangzhou', mode: 'report', trigger: 'timer' };
    await fn.handler(Buffer.from(JSON.stringify(region)), ctx());
    expect(await store.getRun('p-cn-hangzhou')).toMatchObject({ status: 'completed', parentRunId: 'p', mode: 'report', trigger: 'timer' });
  });

  it('a redelivered region run (async delivery is at least once) keeps the first report and does nothing', async () => {
    const { store, images, fn, ctx } = setup();
    images.shareOutOfBand('cn-hangzhou', images.addImage({ imageId: 'm-handler0000001' }).imageId, A1);
    const region = Buffer.from(JSON.stringify({ kind: 'region', runId: 'p-cn-hangzhou', parentRunId: 'p', regionId: 'cn-hangzhou', mode: 'enforce', trigger: 'timer' }));
    await fn.handler(region, ctx());
    const report = await store.getRun('p-cn-hangzhou');
    const ecsCalls = images.calls.length;

    const again = await fn.handler(region, ctx());

    expect(again).toEqual({ status: 'completed', runIds: ['p-cn-hangzhou'] });
    expect(images.calls.length).toBe(ecsCalls);
    expect(await store.getRun('p-cn-hangzhou')).toEqual(report);
    expect(report).toMatchObject({ status: 'completed', actions: { unmanaged_revoked: 1 } });
  });

  it('two runs of one region at once: the second is recorded as skipped, acts on nothing and asks for the next sweep', async () => {
    const { store, images, sent, fn, ctx } = setup();
    for (let i = 0; i < 20; i++) images.shareOutOfBand('cn-hangzhou', images.addImage({ imageId: `m-lease${String(i).padStart(8, '0')}` }).imageId, A1);
    const event = timerEvent({ mode: 'enforce', regions: ['cn-hangzhou'] });
    const [a, b] = await Promise.all([fn.handler(event, ctx()), fn.handler(event, ctx())]);
    expect([a.status, b.status].sort()).toEqual(['completed', 'skipped']);
    const skippedId = a.status === 'skipped' ? 'req-1' : 'req-2';
    const skipped = await store.getRun(skippedId);
    expect(skipped).toMatchObject({ status: 'skipped', imagesScanned: 0, actions: { follow_up_requested: 1 } });
    // Every image was revoked exactly once.
    expect(images.callsOf('removeShares')).toHaveLength(20);
    // The sweep that held the region started the skipped one's sweep as it ended.
    expect(sent).toEqual([
      {
        functionName: 'image-share-reconcile',
        payload: { kind: 'region', runId: `${skippedId}-follow-up`, parentRunId: skippedId, regionId: 'cn-hangzhou', mode: 'enforce', trigger: 'timer' },
      },
    ]);
  });

  it('starts no follow-up asked of a lease before its sweep took it over (the asker saw an older sweep)', async () => {
    const { store, images, sent, fn, ctx } = setup();
    images.addImage({ imageId: 'm-lease00000001' });
    // A sweep that crashed holding the region, asked for a follow-up, then its lease expired.
    const lease = 'reconcile:region:cn-hangzhou';
    const crashedAt = new Date(Date.parse(T0) - 3_600_000);
    expect(await store.acquireLease(lease, 'crashed-run', 60_000, crashedAt)).toBe(true);
    expect(await store.requestFollowUp(lease, JSON.stringify({ runId: 'old-timer', mode: 'report' }), new Date(crashedAt.getTime() + 1_000))).toBe(true);

    const run = await fn.handler(timerEvent({ regions: ['cn-hangzhou'] }), ctx());

    expect(run.status).toBe('completed');
    expect(sent).toEqual([]);
    expect(await store.acquireLease(lease, 'next', 60_000, new Date(T0))).toBe(true);
  });
});

describe('reconcile handler: continuation', () => {
  it('hands over a cursor when the budget runs out and resumes to cover every image once', async () => {
    // 1.2 s timeout − 1 s reserve = 200 ms of work per invocation; each clock reading costs 1 ms.
    const { store, images, sent, fn, ctx } = setup({ stepMs: 1 });
    const ids = Array.from({ length: 150 }, (_, i) => `m-cont${String(i).padStart(8, '0')}`);
    for (const id of ids) images.shareOutOfBand('cn-hangzhou', images.addImage({ imageId: id }).imageId, A1);
    let result = await fn.handler(timerEvent({ regions: ['cn-hangzhou'] }), ctx(1.2));
    let hops = 0;
    while (result.status === 'continued') {
      const task = sent.at(-1)!;
      expect(task.payload).toMatchObject({ kind: 'continue', runId: 'req-1', regionId: 'cn-hangzhou', cursor: expect.any(Object) });
      result = await fn.handler(Buffer.from(JSON.stringify(task.payload)), ctx(1.2));
      hops += 1;
    }
    expect(result.status).toBe('completed');
    expect(hops).toBeGreaterThan(1);
    const run = await store.getRun('req-1');
    expect(run).toMatchObject({ status: 'completed', trigger: 'timer', imagesScanned: 150, findings: { unmanaged: 150 }, actions: { unmanaged_revoked: 150, continued: hops } });
    expect(images.callsOf('getSharePermissions').map((c) => c.imageId).sort()).toEqual(ids);
  });
  it('a redelivered continuation (async delivery is at least once) does not sweep again', async () => {
    const { store, images, sent, fn, ctx } = setup({ stepMs: 1 });
    for (let i = 0; i < 60; i++) images.shareOutOfBand('cn-hangzhou', images.addImage({ imageId: `m-dup${String(i).padStart(8, '0')}` }).imageId, A1);
    const first = await fn.handler(timerEvent({ regions: ['cn-hangzhou'] }), ctx(1.1));
    expect(first.status).toBe('continued');
    const task = Buffer.from(JSON.stringify(sent.at(-1)!.payload));
    await fn.handler(task, ctx(600));
    const callsAfterResume = images.calls.length;
    const runAfterResume = await store.getRun('req-1');

    const again = await fn.handler(task, ctx(600));

    expect(again.status).toBe('completed');
    expect(images.calls.length).toBe(callsAfterResume);
    expect(await store.getRun('req-1')).toEqual(runAfterResume);
    expect(runAfterResume).toMatchObject({ status: 'completed', imagesScanned: 60 });
    // The stale copy left the region's lease alone: the next timer run is not locked out.
    const nextTimer = await fn.handler(timerEvent({ regions: ['cn-hangzhou'] }), ctx(600));
    expect(nextTimer.status).toBe('completed');
  });
});

describe('reconcile handler: EventBridge', () => {
  it('an ActionTrail ModifyImageSharePermission event reconciles that image only', async () => {
    const { store, images, fn, ctx } = setup();
    const target = images.addImage({ imageId: 'm-event00000001' });
    const other = images.addImage({ imageId: 'm-event00000002' });
    images.shareOutOfBand('cn-hangzhou', target.imageId, A1);
    images.shareOutOfBand('cn-hangzhou', other.imageId, A1);
    const result = await fn.handler(actionTrailEvent('ModifyImageSharePermission', 'cn-hangzhou', target.imageId), ctx());
    expect(result).toEqual({ status: 'completed', runIds: ['req-1'] });
    expect(new Set(images.calls.map((c) => c.imageId))).toEqual(new Set([target.imageId]));
    expect(images.sharedWith('cn-hangzhou', other.imageId)).toEqual([A1]);
    expect(await store.getRun('req-1')).toMatchObject({ trigger: 'eventbridge', imagesScanned: 1, findings: { unmanaged: 1 } });
  });

  it('a Resource Sharing event naming an image reconciles that image only, on both channels', async () => {
    const { store, images, directory, fn, ctx } = setup();
    const target = images.addImage({ imageId: 'm-event00000001' });
    const other = images.addImage({ imageId: 'm-event00000002' });
    directory.addOutOfBandShare({ images: [target.imageId, other.imageId], targets: ['fd-prod0001'] });
    const event = resourceSharingEvent('AssociateResourceShare', 'cn-hangzhou', {
      RegionId: 'cn-hangzhou',
      ResourceShareId: 'rs-abc',
      'Resources.1.ResourceType': 'Image',
      'Resources.1.ResourceId': target.imageId,
      'Targets.1': 'fd-prod0001',
    });
    const result = await fn.handler(event, ctx());
    expect(result).toEqual({ status: 'completed', runIds: ['req-1'] });
    expect(new Set(directory.calls.map((c) => c.imageId))).toEqual(new Set([target.imageId]));
    expect(new Set(images.calls.map((c) => c.imageId))).toEqual(new Set([target.imageId]));
    expect(await store.getRun('req-1')).toMatchObject({ trigger: 'eventbridge', imagesScanned: 1, findings: { unmanaged: 1 } });
  });

  it('a Resource Sharing event naming no image (a whole share deleted, targets changed) reconciles the region', async () => {
    const { store, images, directory, fn, ctx } = setup();
    images.addImage({ imageId: 'm-event00000001' });
    images.addImage({ imageId: 'm-event00000002' });
    const result = await fn.handler(resourceSharingEvent('DeleteResourceShare', 'cn-hangzhou', { RegionId: 'cn-hangzhou', ResourceShareId: 'rs-abc' }), ctx());
    expect(result).toEqual({ status: 'completed', runIds: ['req-1'] });
    expect(await store.getRun('req-1')).toMatchObject({ trigger: 'eventbridge', regions: ['cn-hangzhou'], imagesScanned: 2 });
    expect(directory.callsOf('regionShares')).toHaveLength(1);
  });

  it('a Resource Sharing event naming no image while a sweep holds the region asks that sweep for a follow-up', async () => {
    const { store, images, directory, fn, ctx } = setup();
    images.addImage({ imageId: 'm-event00000001' });
    const lease = 'reconcile:region:cn-hangzhou';
    expect(await store.acquireLease(lease, 'long-sweep', 600_000, new Date(T0))).toBe(true);
    const result = await fn.handler(resourceSharingEvent('DeleteResourceShare', 'cn-hangzhou', { RegionId: 'cn-hangzhou', ResourceShareId: 'rs-abc' }), ctx());
    expect(result).toEqual({ status: 'skipped', runIds: ['req-1'] });
    expect(await store.getRun('req-1')).toMatchObject({ trigger: 'eventbridge', status: 'skipped', imagesScanned: 0, actions: { follow_up_requested: 1 } });
    expect(directory.callsOf('regionShares')).toEqual([]);
    // The sweep, ending, is handed the follow-up: the next sweep reads the resource shares afresh.
    expect(JSON.parse((await store.releaseLease(lease, 'long-sweep')).followUp!.note)).toEqual({ runId: 'req-1', mode: 'enforce' });
  });

  it('still refuses an ECS event naming no image', async () => {
    const { fn, ctx } = setup();
    const event = JSON.parse(actionTrailEvent('DeleteImage', 'cn-hangzhou', 'm-event00000001').toString());
    delete event.data.requestParameters.ImageId;
    delete event.data.referencedResources;
    expect(await fn.handler(Buffer.from(JSON.stringify(event)), ctx())).toEqual({ status: 'rejected', runIds: [], reason: 'event names no image' });
  });

  it('finds the images a record names in every form it may take', () => {
    const data = (requestParameters: Record<string, unknown>, referenced?: string[]) => ({
      eventName: 'CreateResourceShare',
      requestParameters,
      ...(referenced ? { referencedResources: { 'ACS::ECS::Image': referenced } } : {}),
    });
    expect(imagesNamedBy(data({ ImageId: 'm-event00000001' }, ['m-event00000001', 'm-event00000002']))).toEqual(['m-event00000001', 'm-event00000002']);
    expect(
      imagesNamedBy(
        data({
          'Resources.1.ResourceType': 'Image',
          'Resources.1.ResourceId': 'm-event00000003',
          'Resources.2.ResourceType': 'VSwitch',
          'Resources.2.ResourceId': 'vsw-123',
          'ResourceArns.1': 'acs:ecs:cn-hangzhou:1000000000000001:image/m-event00000004',
          'ResourceArns.2': 'acs:vpc:cn-hangzhou:1000000000000001:vswitch/vsw-1',
        }),
      ),
    ).toEqual(['m-event00000003', 'm-event00000004']);
    expect(imagesNamedBy(data({ Resources: [{ ResourceType: 'Image', ResourceId: 'm-event00000005' }, { ResourceType: 'Image', ResourceId: 'not-an-image' }] }))).toEqual([
      'm-event00000005',
    ]);
    expect(imagesNamedBy(data({ ResourceShareId: 'rs-abc', 'Targets.1': 'fd-prod0001' }))).toEqual([]);
  });

  it('ignores events it does not watch and regions it does not manage', async () => {
    const { store, images, fn, ctx } = setup();
    expect(await fn.handler(actionTrailEvent('CreateImage', 'cn-hangzhou', 'm-event00000001'), ctx())).toMatchObject({ status: 'ignored' });
    expect(await fn.handler(actionTrailEvent('DeleteImage', 'us-west-1', 'm-event00000001'), ctx())).toMatchObject({ status: 'ignored' });
    expect(store.calls).toEqual([]);
    expect(images.calls).toEqual([]);
  });
});
