// The composition root shared by every function: config, credentials, adapters, governor and logger,
// built once per FC instance (the initializer warms it; the first invocation builds it otherwise).
// Tests pass overrides (in-memory fakes, a fixed clock, a capturing logger) instead of mocking SDKs.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { BeforeCall } from './alicloud/retry.js';
import { loadConfig } from './config.js';
import type { Config } from './config.js';
import { type CredentialsSource, InvocationCredentials, credentialsFromEnv } from './credentials.js';
import { createDirectoryPort } from './directory/index.js';
import { GovernorError } from './domain/errors.js';
import { createGovernor } from './domain/governor.js';
import type { Governor } from './domain/governor.js';
import type { Clock, DirectoryPort, ImagePort, Invoker, Logger, StorePort } from './domain/ports.js';
import type { EcsImage } from './domain/model.js';
import { createEcsImagePort } from './ecs/index.js';
import { type Dispatcher, createDispatcher } from './events/dispatcher.js';
import { noteRecorded } from './events/recorded.js';
import type { EventSink } from './events/sink.js';
import { configuredSinks } from './events/sinks.js';
import { RateLimiter } from './rate-limit.js';
import { createTablestoreStore } from './tablestore/store.js';

export type LogLevel = Config['logLevel'];

export interface JsonLogger extends Logger {
  debug(record: Record<string, unknown>): void;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** One JSON object per line on stdout (FC ships stdout to SLS); callers must not pass secrets. */
export function createJsonLogger(
  level: LogLevel,
  opts: { write?: (line: string) => void; clock?: Clock; base?: Record<string, unknown> } = {},
): JsonLogger {
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = () => (opts.clock ?? systemClock).now().toISOString();
  const emit = (l: LogLevel) => (record: Record<string, unknown>) => {
    if (LEVELS[l] < LEVELS[level]) return;
    write(JSON.stringify({ level: l, time: now(), ...opts.base, ...record }));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

const systemClock: Clock = { now: () => new Date() };

/**
 * One HTTP request's scope: what the domain logged while it was served (`open` turns false once its
 * line is written), and the ECS image reads it made (one image is described once per request).
 */
interface RequestNotes {
  readonly notes: Record<string, unknown>[];
  readonly imageReads: Map<string, Promise<EcsImage | null>>;
  open: boolean;
}

const requestScope = new AsyncLocalStorage<RequestNotes>();

/**
 * Runs one HTTP request while collecting into `notes` what the domain logs meanwhile, so that the
 * request's single log line carries those records instead of them becoming extra, uncorrelated lines.
 */
export async function collectingDomainLogs<T>(notes: Record<string, unknown>[], serve: () => Promise<T>): Promise<T> {
  const scope: RequestNotes = { notes, imageReads: new Map(), open: true };
  try {
    return await requestScope.run(scope, serve);
  } finally {
    scope.open = false;
  }
}

/** The image reads of the HTTP request being served, while it is; undefined elsewhere. */
const requestImageReads = (): Map<string, Promise<EcsImage | null>> | undefined => {
  const scope = requestScope.getStore();
  return scope?.open ? scope.imageReads : undefined;
};

/**
 * The governor's logger: inside an HTTP request its records become notes of that request's line;
 * elsewhere (the reconciler, work that outlives its request) they are written as usual.
 */
function domainLogger(logger: Logger, threshold: LogLevel): Logger {
  const route = (level: 'info' | 'warn' | 'error') => (record: Record<string, unknown>) => {
    const scope = requestScope.getStore();
    if (!scope?.open) logger[level](record);
    else if (LEVELS[level] >= LEVELS[threshold]) scope.notes.push({ level, ...record });
  };
  return { info: route('info'), warn: route('warn'), error: route('error') };
}

/**
 * The HTTP functions never invoke another function, so they carry no FC client (fc2 and its
 * dependencies would add to every cold start). A composition root that fans out (the reconciler)
 * passes its own invoker, e.g. shared/fc/invoker.ts createFcInvoker.
 */
const noInvoker: Invoker = {
  async invokeAsync(functionName) {
    throw new GovernorError('Internal', `This function has no invoker configured (asked to invoke ${functionName})`);
  },
};

export interface Runtime {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly config: Config;
  /** Point at each invocation's `context.credentials` (the handler does this). */
  readonly credentials: InvocationCredentials;
  readonly clock: Clock;
  readonly logger: JsonLogger;
  readonly store: StorePort;
  readonly images: ImagePort;
  readonly directory: DirectoryPort;
  /** overrides.invoker, or one that refuses (HTTP functions do not fan out). */
  readonly invoker: Invoker;
  readonly governor: Governor;
  /** Publishes audit events to the configured sinks (none: it does nothing). */
  readonly events: Dispatcher;
}

export interface RuntimeOverrides {
  readonly store: StorePort;
  readonly images: ImagePort;
  readonly directory: DirectoryPort;
  readonly clock: Clock;
  readonly logger: JsonLogger;
  readonly invoker: Invoker;
  /** Ids for requests and audit events (tests make them predictable). */
  readonly newId: () => string;
  /** Replaces the sinks the configuration names. */
  readonly sinks: readonly EventSink[];
}

/**
 * The directory channel's adapter from the configuration: the ECS protocol and timeouts, the
 * configured endpoints, and the reader role when one is set.
 */
export function createDirectory(
  config: Config,
  hooks: {
    credentials: CredentialsSource;
    beforeCall?: BeforeCall;
    onCall?: (action: string, regionId: string, outcome: string) => void;
  },
): DirectoryPort {
  return createDirectoryPort({
    endpoints: config.directory.endpoints,
    protocol: config.ecs.protocol,
    connectTimeoutMs: config.ecs.connectTimeoutMs,
    readTimeoutMs: config.ecs.readTimeoutMs,
    ...(config.directory.readerRoleArn ? { directoryRole: { roleArn: config.directory.readerRoleArn } } : {}),
    ...hooks,
  });
}

/** Builds everything one function instance needs. Throws ConfigError on bad configuration. */
export function createRuntime(env: Readonly<Record<string, string | undefined>>, overrides: Partial<RuntimeOverrides> = {}): Runtime {
  const config = loadConfig(env);
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createJsonLogger(config.logLevel, { clock, ...(env.FC_FUNCTION_NAME ? { base: { function: env.FC_FUNCTION_NAME } } : {}) });
  const credentials = new InvocationCredentials(() => credentialsFromEnv(env));
  // One limiter for every product: its windows are per API name and region.
  const limiter = new RateLimiter({ ratePerApi: config.ecs.ratePerApi });
  const images =
    overrides.images ??
    createEcsImagePort({ ecs: config.ecs, credentials: credentials.source, beforeCall: limiter.acquire, readScope: () => requestImageReads() });
  const directory = overrides.directory ?? createDirectory(config, { credentials: credentials.source, beforeCall: limiter.acquire });
  const store =
    overrides.store ??
    createTablestoreStore({
      endpoint: config.tablestore.endpoint,
      instance: config.tablestore.instance,
      tablePrefix: config.tablestore.tablePrefix,
      credentials: credentials.source,
      clock,
    });
  const governor = createGovernor({
    store,
    images,
    directory,
    clock,
    policy: config.policy,
    logger: domainLogger(logger, config.logLevel),
    onAudited: noteRecorded,
    ...(overrides.newId ? { newId: overrides.newId } : {}),
  });
  const events = createDispatcher({
    store,
    sinks: overrides.sinks ?? configuredSinks(config.events, credentials.source, clock),
    clock,
    logger,
    afterRequestBudgetMs: config.events.afterRequestBudgetMs,
  });
  return {
    env,
    config,
    credentials,
    clock,
    logger,
    store,
    images,
    directory,
    invoker: overrides.invoker ?? noInvoker,
    governor,
    events,
  };
}

/**
 * A lazily built, memoised runtime for a function's index.ts: `initialize` (the FC initializer) warms
 * it, the handler uses it. A failed build is not memoised, so a fixed environment recovers.
 */
export function lazyRuntime(build: () => Runtime): { get: () => Runtime; initialize: (context?: { credentials?: Record<string, string> }) => Promise<void> } {
  let rt: Runtime | undefined;
  const get = () => (rt ??= build());
  return {
    get,
    async initialize(context) {
      const r = get();
      r.credentials.update(context?.credentials);
    },
  };
}
