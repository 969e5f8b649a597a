// How the reconciler records findings (shared/domain/reconcile/findings.ts and tally.ts) over the
// in-memory store and images: one finding per subject with the action enforce mode took, counts
// derived from them, a record that never counts what is not stored (continuations, revisits, a
// crash between the two writes), what an image the run could not check keeps, and the posture.
import { describe, expect, it } from 'vitest';
import { createReconcileHandler, type ReconcileContext } from '../../functions/reconcile/index.js';
import { GovernorError, StoreError } from '../../shared/domain/errors.js';
import type { Finding, PosturePointer, ReconcileRun, StoredFinding } from '../../shared/domain/model.js';
import { findingCount } from '../../shared/domain/model.js';
import type { Invoker } from '../../shared/domain/ports.js';
import { advancePosture, noteFinding, saveFindings, shareSubject } from '../../shared/domain/reconcile/findings.js';
import { RunTally } from '../../shared/domain/reconcile/tally.js';
import { createJsonLogger } from '../../shared/runtime.js';
import { T0, TickingClock } from '../support/clock.js';
import { MemoryDirectory } from '../support/memory-directory.js';
import { MemoryImages } from '../support/memory-images.js';
import { MemoryStore } from '../support/memory-store.js';
import { OWNER, reconcileEnv, timerEvent } from '../fixtures/reconcile/env.js';
import { ACCOUNTS, harness, REGION, seedImage, seedShare, sweep, type Harness } from '../fixtures/reconcile/harness.js';

const [A1, A2, A3] = ACCOUNTS;
const IMG = 'm-findings000001';

const recorded = (tally: RunTally): Finding[] => tally.unsaved().map((p) => p.finding);
/** The detail of an unmanaged share the fake ECS made (its shares carry the epoch as their time). */
const UNMANAGED = 'shared in ECS since 1970-01-01T00:00:00.000Z; no share of the service claims it';

describe('reconcile findings: what a sweep records', () => {
  it('report mode names each finding with its subject and action none; enforce mode records what it did', async () => {
    const h = harness({ unmanagedShares: 'revoke' });
    h.images.addImage({ imageId: IMG, isPublic: true });
    h.images.shareOutOfBand(REGION, IMG, A1);
    const report = await sweep(h, 'report');
    const at = new Date(T0).toISOString();
    expect(recorded(report.tally)).toEqual([
      { kind: 'public', regionId: REGION, imageId: IMG, channel: 'account', target: IMG, detail: 'published as a community image, which the policy forbids', action: 'none', at },
      { kind: 'unmanaged', regionId: REGION, imageId: IMG, channel: 'account', target: A1, accountId: A1, detail: UNMANAGED, action: 'none', at },
    ]);
    expect([report.tally.findings, report.tally.actions]).toEqual([{ public: 1, unmanaged: 1 }, {}]);

    const enforce = await sweep(h, 'enforce');
    expect(recorded(enforce.tally).map((f) => [f.kind, f.action])).toEqual([
      ['public', 'unpublished'],
      ['unmanaged', 'unmanaged_revoked'],
    ]);
    expect(enforce.tally.actions).toEqual({ unpublished: 1, unmanaged_revoked: 1 });
  });

  it('a repair that fails keeps its finding with action none and the error code in its detail; the error is the image’s', async () => {
    const h = harness();
    h.images.addImage({ imageId: IMG });
    await seedImage(h, IMG, { quotaUsed: 1 });
    await seedShare(h, IMG, A1, 'active');
    h.images.failNext('addShares', new GovernorError('UpstreamThrottled', 'slow down', { retryAfter: 1 }), 10);
    const env = await sweep(h, 'enforce');
    expect(recorded(env.tally)).toEqual([
      expect.objectContaining({ kind: 'missing', target: A1, action: 'none', detail: 'active in the store, not shared in ECS (repair failed: UpstreamThrottled)' }),
    ]);
    expect(env.tally.errors).toEqual([expect.objectContaining({ imageId: IMG, code: 'UpstreamThrottled' })]);
  });

  it('findings repaired together keep the actions they took when the repair stops halfway', async () => {
    const h = harness({ unmanagedShares: 'adopt' });
    h.images.addImage({ imageId: IMG });
    h.images.shareOutOfBand(REGION, IMG, A1);
    h.images.shareOutOfBand(REGION, IMG, A2);
    const createShare = h.store.createShare.bind(h.store);
    h.store.createShare = async (share) => {
      if (share.accountId === A2) throw new StoreError('Unavailable', 'store down');
      return createShare(share);
    };
    const env = await sweep(h, 'enforce');
    expect(recorded(env.tally).map((f) => [f.target, f.action, f.detail])).toEqual([
      [A1, 'share_adopted', UNMANAGED],
      [A2, 'none', `${UNMANAGED} (repair failed: StoreUnavailable)`],
    ]);
    expect(env.tally.actions).toEqual({ share_adopted: 1 });
  });

  it('recording a subject again keeps one finding, the later one; the counts follow', async () => {
    const h = harness();
    const env = h.env('enforce');
    const subject = { kind: 'unmanaged' as const, ...shareSubject(REGION, IMG, A1), detail: 'first' };
    await noteFinding(env, subject);
    await noteFinding(env, { ...subject, detail: 'second' }, async () => 'unmanaged_revoked');
    await noteFinding(env, { ...subject, target: A2, accountId: A2, detail: 'other' });
    expect(recorded(env.tally).map((f) => [f.target, f.detail, f.action])).toEqual([
      [A1, 'second', 'unmanaged_revoked'],
      [A2, 'other', 'none'],
    ]);
    expect([env.tally.findings, env.tally.actions]).toEqual([{ unmanaged: 2 }, { unmanaged_revoked: 1 }]);
  });
});

describe('reconcile findings: saving them with the run', () => {
  const finding = (target: string, over: Partial<Finding> = {}): Finding => ({
    kind: 'unmanaged', ...shareSubject(REGION, IMG, target), detail: 'd', action: 'none', at: T0, ...over,
  });

  it('gives each new finding the next seq and folds it into the counts the record carries', async () => {
    const store = new MemoryStore();
    const tally = new RunTally();
    tally.record(finding(A1));
    tally.record(finding(A2, { action: 'unmanaged_revoked' }));
    await saveFindings(store, 'run-1', tally);
    expect(tally.unsaved()).toEqual([]);
    expect([tally.committed, tally.findings, tally.actions]).toEqual([2, { unmanaged: 2 }, { unmanaged_revoked: 1 }]);
    expect((await store.listFindings('run-1', { committed: 2 }, 10)).items.map((f) => [f.target, f.seq])).toEqual([
      [A1, 0],
      [A2, 1],
    ]);
  });

  it('a subject an earlier invocation saved is rewritten in its place, its action giving way; a carried one never replaces it', async () => {
    const store = new MemoryStore();
    const run = { findings: { unmanaged: 2 }, actions: {}, errors: [], imagesScanned: 2 } as unknown as ReconcileRun;
    await store.putFindings('run-1', [
      { ...finding(A1), seq: 0 },
      { ...finding(A2), seq: 1 },
      // Stored by a save whose record never followed (seq beyond the count): not the run's.
      { ...finding(A3, { detail: 'orphan' }), seq: 2 },
    ]);
    const tally = RunTally.from(run);
    tally.record(finding(A1, { action: 'unmanaged_revoked', detail: 'again' }));
    tally.record(finding(A2, { detail: 'carried' }), { carried: true });
    tally.record(finding(A3, { detail: 'fresh' }));
    await saveFindings(store, 'run-1', tally);
    expect([tally.committed, tally.findings, tally.actions]).toEqual([3, { unmanaged: 3 }, { unmanaged_revoked: 1 }]);
    const listed = (await store.listFindings('run-1', { committed: tally.committed }, 10)).items;
    expect(listed.map((f) => [f.target, f.seq, f.detail, f.action])).toEqual([
      [A1, 0, 'again', 'unmanaged_revoked'],
      [A2, 1, 'd', 'none'],
      [A3, 2, 'fresh', 'none'],
    ]);
  });
});


/** The reconcile function over the in-memory store and images, its async invocations kept for the test to deliver. */
function reconciler(env: Record<string, string> = {}) {
  const store = new MemoryStore();
  const images = new MemoryImages(OWNER);
  const directory = new MemoryDirectory((regionId, imageId) => images.ownsImage(regionId, imageId));
  const sent: unknown[] = [];
  const invoker: Invoker = { invokeAsync: async (_name, payload) => void sent.push(structuredClone(payload)) };
  const clock = new TickingClock(1);
  const logger = createJsonLogger('info', { write: () => undefined, clock });
  const fn = createReconcileHandler(reconcileEnv({ REGIONS: REGION, RECONCILE_MODE: 'report', ...env }), { store, images, directory, invoker, clock, logger });
  let n = 0;
  // By default a 1 s timeout with the 1 s reserve: each invocation reconciles one image, then continues.
  const ctx = (timeoutS = 1): ReconcileContext => ({ requestId: `req-${++n}`, function: { name: 'image-share-reconcile', timeout: timeoutS } });
  return { store, images, sent, fn, ctx };
}

async function storedFindings(store: MemoryStore, runId: string, committed: number): Promise<StoredFinding[]> {
  const out: StoredFinding[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listFindings(runId, { committed }, 100, cursor);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('reconcile findings: the record counts exactly what is stored', () => {
  it('at every save of a run that continues, and when an ECS page shifts and an image is seen twice', async () => {
    const r = reconciler();
    for (let i = 0; i < 6; i += 1) {
      const image = r.images.addImage({ imageId: `m-count0000000${i + 2}` });
      r.images.shareOutOfBand(REGION, image.imageId, ACCOUNTS[i % ACCOUNTS.length]!);
    }
    const saves: { status: string; counted: number; listed: number }[] = [];
    const putRun = r.store.putRun.bind(r.store);
    r.store.putRun = async (run) => {
      saves.push({ status: run.status, counted: findingCount(run), listed: (await storedFindings(r.store, run.runId, findingCount(run))).length });
      return putRun(run);
    };

    let result = await r.fn.handler(timerEvent({ regions: [REGION] }), r.ctx());
    for (let i = 0; result.status === 'continued' && i < 50; i += 1) {
      // Once two images are done, one that sorts first appears: the page shifts and an image is seen again.
      if (i === 2) r.images.shareOutOfBand(REGION, r.images.addImage({ imageId: 'm-count00000001' }).imageId, A1);
      result = await r.fn.handler(Buffer.from(JSON.stringify(r.sent.shift())), r.ctx());
    }

    expect(result.status).toBe('completed');
    const run = (await r.store.getRun(result.runIds[0]!))!;
    expect(saves.length).toBeGreaterThan(6);
    expect(saves.every((s) => s.counted === s.listed)).toBe(true);
    // The shift showed one image twice; the late image sorted before the cursor (the next run has it).
    const reads = r.images.calls.filter((c) => c.method === 'getSharePermissions').map((c) => c.imageId);
    expect(reads.length).toBe(new Set(reads).size + 1);
    const listed = await storedFindings(r.store, run.runId, findingCount(run));
    expect(listed.map((f) => f.imageId).sort()).toEqual(Array.from({ length: 6 }, (_, i) => `m-count0000000${i + 2}`));
    expect(run.findings).toEqual({ unmanaged: 6 });
  });

  it('a crash between storing the findings and saving the record leaves them out of every listing', async () => {
    const r = reconciler();
    r.images.shareOutOfBand(REGION, r.images.addImage({ imageId: IMG }).imageId, A1);
    const putRun = r.store.putRun.bind(r.store);
    r.store.putRun = async (run) => {
      if (run.status !== 'running') throw new StoreError('Unavailable', 'the function died here');
      return putRun(run);
    };
    expect(await r.fn.handler(timerEvent({ regions: [REGION] }), r.ctx(600))).toMatchObject({ status: 'failed' });
    const run = (await r.store.getRun('req-1'))!;
    expect(run).toMatchObject({ status: 'running', findings: {} });
    // The finding is in the table, but no record counts it: no listing shows it.
    expect(await r.store.imageFindings('req-1', REGION, IMG)).toEqual([expect.objectContaining({ target: A1, seq: 0 })]);
    expect(await storedFindings(r.store, 'req-1', findingCount(run))).toEqual([]);
    expect(await r.store.getPosture(REGION)).toBeNull();
  });
});

describe('reconcile findings: an image the sweep could not check', () => {
  it('keeps the open findings the posture holds for it, marked not re-checked; closed ones and request findings stay behind', async () => {
    const h = harness();
    h.images.addImage({ imageId: IMG });
    const old = '2026-02-01T00:00:00.000Z';
    const previous: StoredFinding[] = [
      { kind: 'unmanaged', ...shareSubject(REGION, IMG, A1), detail: 'shared in ECS (not re-checked: UpstreamThrottled)', action: 'none', at: old, seq: 0 },
      { kind: 'unmanaged', ...shareSubject(REGION, IMG, A2), detail: 'revoked', action: 'unmanaged_revoked', at: old, seq: 1 },
      { kind: 'expired_request', regionId: REGION, imageId: IMG, channel: 'account', target: 'sr-1', detail: 'pending', action: 'none', at: old, seq: 2 },
      { kind: 'unmanaged', ...shareSubject(REGION, IMG, A3), detail: 'beyond the count', action: 'none', at: old, seq: 3 },
    ];
    await h.store.putFindings('run-before', previous);
    await h.store.putPosture({ regionId: REGION, runId: 'run-before', startedAt: old, completedAt: old, findings: 3, open: 2 });
    h.images.failNext('getSharePermissions', new GovernorError('UpstreamUnavailable', 'ECS down'), 10);

    const env = await sweep(h, 'report');

    expect(env.tally.errors).toEqual([expect.objectContaining({ imageId: IMG, code: 'UpstreamUnavailable' })]);
    const { seq: _seq, ...carried } = previous[0]!;
    expect(recorded(env.tally)).toEqual([{ ...carried, detail: 'shared in ECS (not re-checked: UpstreamUnavailable)' }]);
  });
});

describe('reconcile findings: the posture', () => {
  const pointerRun = (runId: string, startedAt: string, findings: ReconcileRun['findings'], actions: ReconcileRun['actions'] = {}): ReconcileRun => ({
    runId, trigger: 'timer', mode: 'report', regions: [REGION], status: 'completed', startedAt, finishedAt: startedAt, durationMs: 0,
    imagesScanned: 1, findings, actions, errors: [], apiCalls: {},
  });
  const writes = (h: Harness) => h.store.calls.filter((c) => c.operation === 'putPosture').length;

  it('moves to a completed sweep with something open, and to the clean sweep after it; clean after clean writes nothing', async () => {
    const h = harness();
    await advancePosture(h.deps, pointerRun('r1', '2026-03-01T00:00:00.000Z', {}));
    expect([writes(h), await h.store.getPosture(REGION)]).toEqual([0, null]);

    await advancePosture(h.deps, pointerRun('r2', '2026-03-01T00:10:00.000Z', { unmanaged: 2, public: 1 }, { unpublished: 1, fanned_out: 1 }));
    expect(await h.store.getPosture(REGION)).toEqual<PosturePointer>({
      regionId: REGION, runId: 'r2', startedAt: '2026-03-01T00:10:00.000Z', completedAt: '2026-03-01T00:10:00.000Z', findings: 3, open: 2,
    });
    await advancePosture(h.deps, pointerRun('r3', '2026-03-01T00:20:00.000Z', {}));
    expect(await h.store.getPosture(REGION)).toMatchObject({ runId: 'r3', findings: 0, open: 0 });
    await advancePosture(h.deps, pointerRun('r4', '2026-03-01T00:30:00.000Z', {}));
    expect([writes(h), (await h.store.getPosture(REGION))?.runId]).toEqual([2, 'r3']);

    // Everything repaired: nothing open, after a posture with nothing open: no write either.
    await advancePosture(h.deps, pointerRun('r5', '2026-03-01T00:40:00.000Z', { unmanaged: 1 }, { unmanaged_revoked: 1 }));
    expect(writes(h)).toBe(2);
  });

  it('never goes back to a run that started before the one it names', async () => {
    const h = harness();
    await advancePosture(h.deps, pointerRun('later', '2026-03-01T00:10:00.000Z', { unmanaged: 1 }));
    await advancePosture(h.deps, pointerRun('earlier', '2026-03-01T00:05:00.000Z', { missing: 1 }));
    expect((await h.store.getPosture(REGION))?.runId).toBe('later');
  });
});
