// Reconcile runs: a scheduled run first moves audit events that appends could not write into the
// trail, then fans out one asynchronous invocation per region; a region run holds
// the region's lease (timers may fire twice: the second run is recorded as skipped), sweeps until its
// time is up, then saves a cursor in its run record and continues itself asynchronously. An
// EventBridge event reconciles one image under that image's lease. Every run writes its report
// (its new findings, then putRun) and one JSON summary line to the log; a completed region run
// becomes its region's posture.
import type { Ctx, DomainDeps } from '../context.js';
import { DirectoryLookupCache } from '../directory.js';
import { systemPrincipal } from '../context.js';
import type { Invoker, LeaseRelease } from '../ports.js';
import { RECONCILE_COMPLETED, type ReconcileMode, type ReconcileRun } from '../model.js';
import { reconcileImage, type ReconcileEnv } from './image.js';
import { recordError, START_CURSOR, sweepRegion, type RegionCursor } from './sweep.js';
import { addCounts, diffCounts, RunTally } from './tally.js';
import { advancePosture, saveFindings } from './findings.js';
import { audit, recoverPendingAudit } from '../transitions.js';
import { ownedKinds } from './policy-checks.js';

export const RECONCILE_PRINCIPAL = systemPrincipal('reconcile');

/** What the reconciler sends to itself (validated by the handler's schema on the way back in). */
export type ReconcileTask =
  | {
      readonly kind: 'region';
      readonly runId: string;
      readonly parentRunId: string;
      readonly regionId: string;
      readonly mode: ReconcileMode;
      readonly trigger: ReconcileRun['trigger'];
    }
  | {
      readonly kind: 'continue';
      readonly runId: string;
      readonly regionId: string;
      readonly mode: ReconcileMode;
      readonly cursor: RegionCursor;
    };

export interface ReconcileServices {
  readonly deps: DomainDeps;
  readonly invoker: Invoker;
  /** This function's own name, for fan-out and continuation. */
  readonly functionName: string;
  readonly concurrency: number;
  /** Cumulative ECS calls per API made by this instance (diffed per invocation). */
  readonly apiCalls: () => Readonly<Record<string, number>>;
}

export interface InvocationWindow {
  /** Epoch ms after which no new image is started and the work is handed over with a cursor. */
  readonly workUntilMs: number;
  /** How long a region lease lasts without renewal: longer than one invocation plus the hand-over. */
  readonly leaseTtlMs: number;
}

export const regionLease = (regionId: string): string => `reconcile:region:${regionId}`;
export const imageLease = (regionId: string, imageId: string): string => `reconcile:image:${regionId}:${imageId}`;

/** Timer (or manual) trigger: one async region run per region, recorded under a parent run. */
export async function startScheduledRun(
  services: ReconcileServices,
  input: { runId: string; trigger: ReconcileRun['trigger']; mode: ReconcileMode; regions: readonly string[] },
  window: InvocationWindow,
): Promise<ReconcileRun> {
  const { deps } = services;
  if (input.regions.length === 1) {
    return runRegion(services, { runId: input.runId, trigger: input.trigger, mode: input.mode, regionId: input.regions[0] as string }, window);
  }
  const startedAt = deps.clock.now();
  const tally = new RunTally();
  const env = envFor(deps, input.runId, input.mode, tally);
  await recoverAudit(env);
  for (const regionId of input.regions) {
    const task: ReconcileTask = {
      kind: 'region',
      runId: `${input.runId}-${regionId}`,
      parentRunId: input.runId,
      regionId,
      mode: input.mode,
      trigger: input.trigger,
    };
    try {
      await services.invoker.invokeAsync(services.functionName, task);
      tally.runAction('fanned_out');
    } catch (error) {
      recordError(env, regionId, undefined, error);
    }
  }
  return writeReport(deps, tally, {
    runId: input.runId,
    trigger: input.trigger,
    mode: input.mode,
    regions: input.regions,
    status: tally.errors.length > 0 && (tally.actions.fanned_out ?? 0) === 0 ? 'failed' : 'completed',
    startedAt: startedAt.toISOString(),
    apiCalls: {},
  });
}

/** One region, from the start or from a continuation's cursor. */
export async function runRegion(
  services: ReconcileServices,
  input: {
    runId: string;
    trigger: ReconcileRun['trigger'];
    mode: ReconcileMode;
    regionId: string;
    parentRunId?: string;
    cursor?: RegionCursor;
  },
  window: InvocationWindow,
): Promise<ReconcileRun> {
  const { deps } = services;
  const callsAtStart = { ...services.apiCalls() };
  const invocationStart = deps.clock.now();
  const lease = regionLease(input.regionId);

  const previous = await deps.store.getRun(input.runId);
  const base = {
    runId: input.runId,
    trigger: previous?.trigger ?? input.trigger,
    mode: input.mode,
    regions: [input.regionId],
    startedAt: previous?.startedAt ?? invocationStart.toISOString(),
    ...(input.parentRunId ?? previous?.parentRunId ? { parentRunId: input.parentRunId ?? previous?.parentRunId } : {}),
  };

  // Async delivery is at least once: a region run whose record already exists, or a continuation
  // whose cursor is no longer the one the run saved, is a redelivery and must not sweep again (nor
  // overwrite the report). Checked before the lease: renewing it here would lock the region out
  // until the lease expires.
  const redelivered = input.cursor
    ? previous?.status !== 'continued' || previous.cursor !== JSON.stringify(input.cursor)
    : previous !== null;
  if (redelivered) {
    deps.logger.warn({ msg: 'reconcile.duplicate_continuation', runId: input.runId, regionId: input.regionId, status: previous?.status ?? null });
    return previous ?? recordOf(deps, { ...base, status: 'skipped', apiCalls: {} }, new RunTally());
  }

  // The run id holds the lease for the whole chain of continuations: each renews it.
  if (!(await deps.store.acquireLease(lease, input.runId, window.leaseTtlMs, invocationStart))) {
    const held = RunTally.from(previous);
    const skipped = (): Promise<ReconcileRun> => writeReport(deps, held, { ...base, status: 'skipped', apiCalls: previous?.apiCalls ?? {} });
    // A continuation whose lease was taken over (it had expired) stops here.
    if (input.cursor) return skipped();
    // A sweep of the region is still going (it outlasted the interval): ask it to start the next one
    // the moment it ends, so that no interval is lost to the lease.
    if (await requestFollowUp(deps, lease, { runId: input.runId, mode: input.mode }, invocationStart)) {
      held.runAction('follow_up_requested');
      return skipped();
    }
    // Nothing held to ask: the lease was released in between. Take it, or leave it to whoever did.
    if (!(await deps.store.acquireLease(lease, input.runId, window.leaseTtlMs, invocationStart))) return skipped();
  }

  const tally = RunTally.from(previous);
  const env = envFor(deps, input.runId, input.mode, tally);
  // Marked running at once, so a redelivered copy of this continuation sees it is taken.
  await saveRun(deps, tally, { ...base, status: 'running', apiCalls: previous?.apiCalls ?? {} });

  // A region run of its own (one managed region, or asked for by hand) is the scheduled run.
  if (!input.cursor && base.parentRunId === undefined) await recoverAudit(env);

  let processedAny = false;
  let next: RegionCursor | undefined;
  let status: ReconcileRun['status'] = 'completed';
  try {
    next = await sweepRegion(env, input.regionId, input.cursor ?? START_CURSOR, {
      concurrency: services.concurrency,
      // Every invocation makes progress (at least one image) so a tight budget cannot loop forever.
      shouldStop: () => {
        const stop = processedAny && deps.clock.now().getTime() >= window.workUntilMs;
        processedAny = true;
        return stop;
      },
    });
  } catch (error) {
    // Listing the region failed (ECS or store unavailable): the run fails, the next timer retries.
    recordError(env, input.regionId, undefined, error);
    status = 'failed';
  }

  const apiCalls = addCounts(previous?.apiCalls ?? {}, diffCounts(callsAtStart, services.apiCalls()));
  if (next && status !== 'failed') {
    const task: ReconcileTask = { kind: 'continue', runId: input.runId, regionId: input.regionId, mode: input.mode, cursor: next };
    tally.runAction('continued');
    // Saved (findings, then the record) before the hand-over: the continuation starts from this record.
    const continued = await writeReport(deps, tally, { ...base, status: 'continued', apiCalls, cursor: JSON.stringify(next) });
    try {
      await services.invoker.invokeAsync(services.functionName, task);
      return continued;
    } catch (error) {
      // Nothing continues: the cursor stays in the record and the next timer run starts over.
      tally.runAction('continued', -1);
      recordError(env, input.regionId, undefined, error);
      status = 'failed';
    }
  }
  const run = await writeReport(deps, tally, { ...base, status, apiCalls, ...(next ? { cursor: JSON.stringify(next) } : {}) });
  if (run.status === 'completed') await advancePostureQuietly(deps, run);
  await recordFinished(env, run, input.regionId);
  const followUp = await releaseQuietly(deps, lease, input.runId);
  // Asked while this sweep ran (not before it took the lease): the next sweep starts now.
  if (followUp && Date.parse(followUp.requestedAt) >= Date.parse(base.startedAt)) await startFollowUp(services, input.regionId, followUp.note);
  return run;
}

/** What a skipped region run asks of the sweep that holds the region: the next sweep, as it would have run it. */
interface FollowUp {
  readonly runId: string;
  readonly mode: ReconcileMode;
}

const requestFollowUp = (deps: DomainDeps, lease: string, followUp: FollowUp, now: Date): Promise<boolean> =>
  deps.store.requestFollowUp(lease, JSON.stringify(followUp), now);

/** Starts the sweep a skipped run asked for: an async region run of its own, under the skipped run. */
async function startFollowUp(services: ReconcileServices, regionId: string, note: string): Promise<void> {
  const { deps } = services;
  const asked = JSON.parse(note) as FollowUp;
  const task: ReconcileTask = { kind: 'region', runId: `${asked.runId}-follow-up`, parentRunId: asked.runId, regionId, mode: asked.mode, trigger: 'timer' };
  try {
    await services.invoker.invokeAsync(services.functionName, task);
    deps.logger.info({ msg: 'reconcile.follow_up_started', regionId, runId: task.runId, parentRunId: task.parentRunId });
  } catch (error) {
    // The next timer starts a sweep anyway; this one would only have come earlier.
    deps.logger.warn({ msg: 'reconcile.follow_up_failed', regionId, runId: task.runId, error: error instanceof Error ? error.message : String(error) });
  }
}

/** A finished region run is an audit event too, so workflows learn of it as of any other (`reconcile.completed`). */
async function recordFinished(env: ReconcileEnv, run: ReconcileRun, regionId: string): Promise<void> {
  const detail = JSON.stringify({ imagesScanned: run.imagesScanned, findings: run.findings, actions: run.actions });
  await audit(env.deps, env.ctx, [{ action: RECONCILE_COMPLETED, regionId, imageId: '', after: run.status, detail }]);
}

/** EventBridge: ActionTrail saw a write on one image; reconcile that image only. */
export async function runImage(
  services: ReconcileServices,
  input: { runId: string; mode: ReconcileMode; regionId: string; imageId: string },
  window: InvocationWindow,
): Promise<ReconcileRun> {
  const { deps } = services;
  const callsAtStart = { ...services.apiCalls() };
  const startedAt = deps.clock.now();
  const base = { runId: input.runId, trigger: 'eventbridge' as const, mode: input.mode, regions: [input.regionId], startedAt: startedAt.toISOString() };
  const lease = imageLease(input.regionId, input.imageId);
  const tally = new RunTally();
  if (!(await deps.store.acquireLease(lease, input.runId, window.leaseTtlMs, startedAt))) {
    return writeReport(deps, tally, { ...base, status: 'skipped', apiCalls: {} });
  }
  const env = envFor(deps, input.runId, input.mode, tally);
  let status: ReconcileRun['status'] = 'completed';
  try {
    const ecs = await deps.images.getImage(input.regionId, input.imageId);
    const own = ecs && ownedKinds.includes(ecs.kind) ? ecs : null;
    tally.imagesScanned = 1;
    await reconcileImage(env, input.regionId, input.imageId, own);
  } catch (error) {
    recordError(env, input.regionId, input.imageId, error);
    status = 'failed';
  }
  const run = await writeReport(deps, tally, { ...base, status, apiCalls: diffCounts(callsAtStart, services.apiCalls()) });
  await releaseQuietly(deps, lease, input.runId);
  return run;
}

const ctxFor = (runId: string): Ctx => ({ principal: RECONCILE_PRINCIPAL, requestId: runId });

/** What one invocation reconciles with: its own directory lookups (a directory changes; an instance outlives invocations). */
const envFor = (deps: DomainDeps, runId: string, mode: ReconcileMode, tally: RunTally): ReconcileEnv => ({
  deps,
  ctx: ctxFor(runId),
  mode,
  tally,
  lookups: new DirectoryLookupCache(),
});

/** Held audit events are written whatever the mode: recording what happened is not an enforcement. */
async function recoverAudit(env: ReconcileEnv): Promise<void> {
  try {
    env.tally.runAction('audit_recovered', await recoverPendingAudit(env.deps, { pageSize: 100, maxPages: 10 }));
  } catch (error) {
    // The events stay held for the next run.
    recordError(env, undefined, undefined, error);
  }
}

type RecordBase = Pick<ReconcileRun, 'runId' | 'trigger' | 'mode' | 'regions' | 'startedAt'> & { parentRunId?: string | undefined };
type RecordInput = RecordBase & { status: ReconcileRun['status']; apiCalls: Readonly<Record<string, number>>; cursor?: string };

/** The run record as the tally stands: a running record has no end yet. */
function recordOf(deps: DomainDeps, input: RecordInput, tally: RunTally): ReconcileRun {
  const finishedAt = deps.clock.now();
  return {
    ...stripUndefined({ runId: input.runId, trigger: input.trigger, mode: input.mode, regions: input.regions, startedAt: input.startedAt, parentRunId: input.parentRunId }),
    status: input.status,
    ...(input.status === 'running'
      ? {}
      : { finishedAt: finishedAt.toISOString(), durationMs: Math.max(0, finishedAt.getTime() - Date.parse(input.startedAt)) }),
    imagesScanned: tally.imagesScanned,
    findings: tally.findings,
    actions: tally.actions,
    errors: [...tally.errors],
    apiCalls: { ...input.apiCalls },
    ...(input.cursor ? { cursor: input.cursor } : {}),
  };
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Saves the run: the findings recorded since its last save first, then the record that counts them. */
async function saveRun(deps: DomainDeps, tally: RunTally, input: RecordInput): Promise<ReconcileRun> {
  await saveFindings(deps.store, input.runId, tally);
  const run = recordOf(deps, input, tally);
  await deps.store.putRun(run);
  return run;
}

/** Saves the run and logs its summary line. */
async function writeReport(deps: DomainDeps, tally: RunTally, input: RecordInput): Promise<ReconcileRun> {
  const run = await saveRun(deps, tally, input);
  deps.logger.info({ msg: 'reconcile.run', ...run, errorCount: run.errors.length, errors: run.errors.slice(0, 5) });
  return run;
}

async function advancePostureQuietly(deps: DomainDeps, run: ReconcileRun): Promise<void> {
  try {
    await advancePosture(deps, run);
  } catch (error) {
    // The region's posture stays with the run it names until the next completed sweep moves it.
    deps.logger.warn({ msg: 'reconcile.posture_failed', regionId: run.regions[0], runId: run.runId, error: error instanceof Error ? error.message : String(error) });
  }
}

/** Releases the lease; the follow-up asked of it meanwhile, if any. */
async function releaseQuietly(deps: DomainDeps, name: string, holder: string): Promise<LeaseRelease['followUp']> {
  try {
    return (await deps.store.releaseLease(name, holder)).followUp;
  } catch (error) {
    // An unreleased lease only delays the next run until it expires.
    deps.logger.warn({ msg: 'reconcile.lease_release_failed', lease: name, error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}
