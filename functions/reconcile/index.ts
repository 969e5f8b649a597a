// The reconcile function: a timer sweep (fanned out per region), EventBridge ActionTrail events for
// one image, and the asynchronous invocations it sends itself (per-region runs, continuations).
// Thin: parse and validate the event, pick the run, hand over to shared/domain/reconcile; then
// publish: a scheduled run catches every event sink up on the outbox, any other run delivers the
// events it recorded.
import { loadConfig } from '../../shared/config.js';
import type { Config } from '../../shared/config.js';
import { resolveDeps } from '../../shared/domain/context.js';
import type { AuditEvent, ReconcileMode } from '../../shared/domain/model.js';
import { isManagedRegion } from '../../shared/domain/policy.js';
import type { Invoker } from '../../shared/domain/ports.js';
import {
  runImage,
  runRegion,
  startScheduledRun,
  type InvocationWindow,
  type ReconcileServices,
  type ReconcileTask,
} from '../../shared/domain/reconcile/run.js';
import type { RegionCursor } from '../../shared/domain/reconcile/sweep.js';
import { createEcsImagePort } from '../../shared/ecs/index.js';
import { collectingRecorded, noteRecorded } from '../../shared/events/recorded.js';
import { RateLimiter } from '../../shared/rate-limit.js';
import { createDirectory, createRuntime, type Runtime, type RuntimeOverrides } from '../../shared/runtime.js';
import { describeErrors, imagesNamedBy, validators, WATCHED_EVENTS, type EventBridgeEvent, type TimerEvent, type TimerPayload } from './schemas.js';

/** The FC 3.0 context fields the reconciler reads. */
export interface ReconcileContext {
  readonly requestId: string;
  readonly credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  readonly function?: { name?: string; timeout?: number };
  readonly region?: string;
  readonly accountId?: string;
}

export interface ReconcileResult {
  readonly status: 'rejected' | 'ignored' | 'completed' | 'continued' | 'failed' | 'skipped' | 'running';
  readonly runIds: readonly string[];
  readonly reason?: string;
}

/** The ActionTrail events the trigger delivers (schemas.ts lists them per product). */
const WATCHED = new Set<string>(Object.values(WATCHED_EVENTS).flat());
/** Without a function timeout in the context (local runs), assume FC's common 10-minute ceiling. */
const DEFAULT_TIMEOUT_MS = 600_000;
/** A lease outlives its invocation by this much, covering the asynchronous hand-over. */
const LEASE_SLACK_MS = 120_000;
/** The catch-up starts no delivery this close to the function timeout: room for the calls in flight and their records. */
const CATCH_UP_RESERVE_MS = 30_000;

export interface ReconcileOverrides extends Partial<RuntimeOverrides> {
  /** Replaces the rate limiter's time source (tests). */
  readonly rateLimiter?: RateLimiter;
}

interface Instance {
  readonly runtime: Runtime;
  readonly services: ReconcileServices;
  readonly config: Config;
}

function buildInstance(env: Readonly<Record<string, string | undefined>>, overrides: ReconcileOverrides): Instance {
  const config = loadConfig(env);
  const calls: Record<string, number> = {};
  // Every attempt counts (ECS counts retries against the quota too); failures also per code.
  const onCall = (action: string, _regionId: string, outcome: string): void => {
    calls[action] = (calls[action] ?? 0) + 1;
    if (outcome !== 'ok') calls[`${action}:${outcome}`] = (calls[`${action}:${outcome}`] ?? 0) + 1;
  };
  const limiter = overrides.rateLimiter ?? new RateLimiter({ ratePerApi: config.ecs.ratePerApi });
  let invoker: Invoker | undefined = overrides.invoker;
  let runtime: Runtime;
  const credentials = () => runtime.credentials.source();
  const images = overrides.images ?? createEcsImagePort({ ecs: config.ecs, credentials, beforeCall: limiter.acquire, onCall });
  const directory = overrides.directory ?? createDirectory(config, { credentials, beforeCall: limiter.acquire, onCall });
  runtime = createRuntime(env, { ...overrides, images, directory, ...(invoker ? { invoker } : {}) });
  const fcAccount = env.FC_ACCOUNT_ID ?? config.policy.ownerAccountId;
  const fcRegion = env.FC_REGION ?? config.policy.regions[0] ?? 'cn-hangzhou';
  // fc2 (and what it pulls in) loads on the first hand-over, not at cold start: most runs never continue.
  const lazyInvoker: Invoker = {
    async invokeAsync(name, payload) {
      if (!invoker) {
        const { createFcInvoker } = await import('../../shared/fc/invoker.js');
        invoker = createFcInvoker({
          accountId: fcAccount,
          region: fcRegion,
          credentials: runtime.credentials.source,
          ...(config.reconcile.fcEndpoint ? { endpoint: config.reconcile.fcEndpoint } : {}),
        });
      }
      return invoker.invokeAsync(name, payload);
    },
  };
  const services: ReconcileServices = {
    deps: resolveDeps({
      store: runtime.store,
      images: runtime.images,
      directory: runtime.directory,
      clock: runtime.clock,
      policy: config.policy,
      logger: runtime.logger,
      onAudited: noteRecorded,
      ...(overrides.newId ? { newId: overrides.newId } : {}),
    }),
    invoker: lazyInvoker,
    functionName: config.reconcile.functionName,
    concurrency: config.reconcile.concurrency,
    apiCalls: () => calls,
  };
  return { runtime, services, config };
}

/** Builds a handler over an explicit environment (tests); `handler` below uses process.env. */
export function createReconcileHandler(
  env: Readonly<Record<string, string | undefined>>,
  overrides: ReconcileOverrides = {},
): { handler: (event: Buffer | string, context: ReconcileContext) => Promise<ReconcileResult>; initialize: (context?: ReconcileContext) => Promise<void> } {
  let instance: Instance | undefined;
  const get = (): Instance => (instance ??= buildInstance(env, overrides));

  async function handler(event: Buffer | string, context: ReconcileContext): Promise<ReconcileResult> {
    const { runtime } = get();
    runtime.credentials.update(context.credentials);
    const startMs = runtime.clock.now().getTime();
    const timeoutMs = context.function?.timeout ? context.function.timeout * 1000 : DEFAULT_TIMEOUT_MS;
    const recorded: AuditEvent[] = [];
    const invocation = { scheduled: false };
    const result = await collectingRecorded(recorded, () => reconcile(event, context, startMs, timeoutMs, invocation));
    // A scheduled run catches every sink up on the outbox; any other delivers what it recorded itself.
    if (invocation.scheduled) await runtime.events.catchUp({ holder: context.requestId, until: new Date(startMs + timeoutMs - CATCH_UP_RESERVE_MS) });
    else await runtime.events.deliverRecorded(recorded);
    return result;
  }

  async function reconcile(
    event: Buffer | string,
    context: ReconcileContext,
    startMs: number,
    timeoutMs: number,
    invocation: { scheduled: boolean },
  ): Promise<ReconcileResult> {
    const { runtime, services, config } = get();
    const window: InvocationWindow = {
      workUntilMs: startMs + timeoutMs - config.reconcile.timeBudgetMs,
      leaseTtlMs: timeoutMs + LEASE_SLACK_MS,
    };
    const reject = (reason: string): ReconcileResult => {
      runtime.logger.error({ msg: 'reconcile.rejected_event', requestId: context.requestId, reason });
      return { status: 'rejected', runIds: [], reason };
    };

    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof event === 'string' ? event : event.toString('utf8'));
    } catch {
      return reject('event is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return reject('event is not a JSON object');
    const policy = config.policy;
    const unmanaged = (regions: readonly string[]): string[] => regions.filter((r) => !isManagedRegion(policy, r));

    try {
      if ('kind' in parsed) {
        if (!validators.task(parsed)) return reject(`invalid task: ${describeErrors(validators.task.errors)}`);
        const task = parsed as ReconcileTask | { kind: 'sweep'; mode?: ReconcileMode; regions?: string[] } | { kind: 'image'; regionId: string; imageId: string; mode?: ReconcileMode };
        switch (task.kind) {
          case 'region': {
            if (unmanaged([task.regionId]).length) return reject(`region ${task.regionId} is not managed`);
            const run = await runRegion(services, { runId: task.runId, trigger: task.trigger, mode: task.mode, regionId: task.regionId, parentRunId: task.parentRunId }, window);
            return { status: run.status, runIds: [run.runId] };
          }
          case 'continue': {
            if (unmanaged([task.regionId]).length) return reject(`region ${task.regionId} is not managed`);
            const run = await runRegion(services, { runId: task.runId, trigger: 'async', mode: task.mode, regionId: task.regionId, cursor: task.cursor as RegionCursor }, window);
            return { status: run.status, runIds: [run.runId] };
          }
          case 'sweep': {
            const regions = task.regions ?? [...policy.regions];
            if (unmanaged(regions).length) return reject(`regions not managed: ${unmanaged(regions).join(',')}`);
            invocation.scheduled = true;
            const run = await startScheduledRun(services, { runId: context.requestId, trigger: 'manual', mode: task.mode ?? policy.reconcileMode, regions }, window);
            return { status: run.status, runIds: [run.runId] };
          }
          case 'image': {
            if (unmanaged([task.regionId]).length) return reject(`region ${task.regionId} is not managed`);
            const run = await runImage(services, { runId: context.requestId, mode: task.mode ?? policy.reconcileMode, regionId: task.regionId, imageId: task.imageId }, window);
            return { status: run.status, runIds: [run.runId] };
          }
        }
      }

      if ('triggerTime' in parsed || 'triggerName' in parsed) {
        if (!validators.timerEvent(parsed)) return reject(`invalid timer event: ${describeErrors(validators.timerEvent.errors)}`);
        const timer = parsed as TimerEvent;
        let payload: unknown = {};
        if (timer.payload !== undefined && timer.payload.trim() !== '') {
          try {
            payload = JSON.parse(timer.payload);
          } catch {
            return reject('timer payload is not JSON');
          }
        }
        if (!validators.timerPayload(payload)) return reject(`invalid timer payload: ${describeErrors(validators.timerPayload.errors)}`);
        const { mode, regions } = payload as TimerPayload;
        const chosen = regions ?? [...policy.regions];
        if (unmanaged(chosen).length) return reject(`regions not managed: ${unmanaged(chosen).join(',')}`);
        invocation.scheduled = true;
        const run = await startScheduledRun(services, { runId: context.requestId, trigger: 'timer', mode: mode ?? policy.reconcileMode, regions: chosen }, window);
        return { status: run.status, runIds: [run.runId] };
      }

      if ('specversion' in parsed || 'source' in parsed) {
        if (!validators.eventBridge(parsed)) return reject(`invalid EventBridge event: ${describeErrors(validators.eventBridge.errors)}`);
        const { data, aliyunregionid } = parsed as unknown as EventBridgeEvent;
        if (!WATCHED.has(data.eventName)) {
          runtime.logger.info({ msg: 'reconcile.event_ignored', requestId: context.requestId, eventName: data.eventName });
          return { status: 'ignored', runIds: [], reason: `event ${data.eventName} is not watched` };
        }
        const regionId = data.requestParameters?.RegionId ?? data.acsRegion ?? aliyunregionid;
        const imageIds = imagesNamedBy(data);
        if (!regionId) return reject('event names no region');
        if (!isManagedRegion(policy, regionId)) {
          runtime.logger.info({ msg: 'reconcile.event_ignored', requestId: context.requestId, regionId, reason: 'region not managed' });
          return { status: 'ignored', runIds: [], reason: `region ${regionId} is not managed` };
        }
        if (imageIds.length === 0) {
          // A change to a whole resource share (its targets, its deletion) may touch any image it
          // holds: sweep the region, which reads every share of it at once.
          if (!(WATCHED_EVENTS.ResourceSharing as readonly string[]).includes(data.eventName)) return reject('event names no image');
          const run = await runRegion(services, { runId: context.requestId, trigger: 'eventbridge', mode: policy.reconcileMode, regionId }, window);
          return { status: run.status, runIds: [run.runId] };
        }
        const runIds: string[] = [];
        let status: ReconcileResult['status'] = 'completed';
        for (const [i, imageId] of imageIds.entries()) {
          const runId = imageIds.length === 1 ? context.requestId : `${context.requestId}-${i + 1}`;
          const run = await runImage(services, { runId, mode: policy.reconcileMode, regionId, imageId }, window);
          runIds.push(run.runId);
          if (run.status !== 'completed') status = run.status;
        }
        return { status, runIds };
      }
      return reject('unrecognised event: neither a timer, an EventBridge event nor a reconcile task');
    } catch (error) {
      // Store unavailable for the run record itself, etc.: logged; the next timer retries.
      runtime.logger.error({ msg: 'reconcile.invocation_failed', requestId: context.requestId, error: error instanceof Error ? error.message : String(error) });
      return { status: 'failed', runIds: [], reason: 'internal error (logged)' };
    }
  }

  return {
    handler,
    async initialize(context) {
      get().runtime.credentials.update(context?.credentials);
    },
  };
}

const fromProcess = createReconcileHandler(process.env);
export const handler = fromProcess.handler;
export const initialize = fromProcess.initialize;
