// Function instances: one worker thread each, one invocation at a time (FC 3.0 built-in runtimes
// have no instance concurrency), scaled out on demand up to a per-function cap, like FC does.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FunctionSpec } from './spec.js';
import { splitHandler } from './spec.js';
import type { HandlerValue } from './http-event.js';

const WORKER_FILE = fileURLToPath(new URL('./worker.mjs', import.meta.url));

export interface InvocationContext {
  readonly requestId: string;
  readonly credentials: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  readonly region: string;
  readonly accountId: string;
}

export interface FunctionError {
  readonly errorMessage: string;
  readonly errorType: string;
  readonly stackTrace?: string[];
}

export type InvokeOutcome =
  | { readonly ok: true; readonly value: HandlerValue }
  | { readonly ok: false; readonly kind: 'unhandled' | 'timeout' | 'crash' | 'init'; readonly error: FunctionError };

export interface RouteDecl {
  readonly method: string;
  readonly path: string;
}

export interface PoolOptions {
  readonly spec: FunctionSpec;
  /** The instance's complete process.env. */
  readonly env: Readonly<Record<string, string>>;
  readonly maxInstances: number;
  /** Receives every line the instance writes (console, context.logger). */
  readonly log: (functionName: string, line: string) => void;
  /** Context for the initializer (role credentials etc.). */
  readonly initContext: () => InvocationContext;
}

let seq = 0;

class Instance {
  readonly id = `c-${randomBytes(6).toString('hex')}`;
  private readonly worker: Worker;
  private pending = new Map<number, (msg: { value?: HandlerValue; error?: FunctionError }) => void>();
  private exitError: FunctionError | undefined;
  private dead = false;
  private retired = false;
  routes: RouteDecl[] | undefined;

  constructor(
    private readonly opts: PoolOptions,
    private readonly onDeath: (i: Instance) => void,
  ) {
    const { spec } = opts;
    const { file, exportName } = splitHandler(spec.handler);
    const init = spec.initializer ? splitHandler(spec.initializer.handler) : undefined;
    if (init && init.file !== file) throw new Error(`${spec.name}: the initializer must live in the handler's file (${file})`);
    this.worker = new Worker(WORKER_FILE, {
      workerData: {
        codeFile: join(spec.codeDir, `${file}.js`),
        handlerExport: exportName,
        initializerExport: init?.exportName,
        functionMeta: { name: spec.name, handler: spec.handler, memory: spec.memorySize, timeout: spec.timeout },
      },
      env: { ...opts.env, FC_INSTANCE_ID: this.id },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, spec.memorySize) },
    });
    for (const stream of [this.worker.stdout, this.worker.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          opts.log(spec.name, buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
    }
    this.worker.on('message', (msg: { type: string; id?: number; value?: HandlerValue; error?: FunctionError; routes?: RouteDecl[] }) => {
      const key = msg.type === 'loaded' ? -1 : msg.id!;
      if (msg.type === 'loaded') this.routes = msg.routes;
      const resolve = this.pending.get(key);
      this.pending.delete(key);
      resolve?.(msg);
    });
    this.worker.on('error', (err) => {
      this.exitError = { errorMessage: err.message, errorType: err.name };
    });
    this.worker.on('exit', (code) => {
      this.dead = true;
      const error = this.exitError ?? { errorMessage: `the instance exited with code ${code}`, errorType: 'InstanceExited' };
      for (const resolve of this.pending.values()) resolve({ error });
      this.pending.clear();
      onDeath(this);
    });
  }

  get alive(): boolean {
    return !this.dead && !this.retired;
  }

  private request(id: number, message: Record<string, unknown>, timeoutMs: number): Promise<{ value?: HandlerValue; error?: FunctionError; timedOut?: boolean; crashed?: boolean }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ timedOut: true });
        void this.terminate();
      }, timeoutMs);
      this.pending.set(id, (msg) => {
        clearTimeout(timer);
        resolve({ ...msg, crashed: this.dead });
      });
      this.worker.postMessage(message);
    });
  }

  /** Loads the bundle and runs the initializer once. */
  async start(): Promise<FunctionError | undefined> {
    const loaded = await this.request(-1, { type: 'load' }, 60_000);
    if (loaded.timedOut) return { errorMessage: 'loading the code timed out', errorType: 'InitializationTimeout' };
    if (loaded.error) return loaded.error;
    const init = this.opts.spec.initializer;
    if (!init) return undefined;
    const id = ++seq;
    const r = await this.request(id, { type: 'initialize', id, context: this.opts.initContext() }, init.timeout * 1000);
    if (r.timedOut) return { errorMessage: `the initializer did not finish within ${init.timeout} s`, errorType: 'InitializationTimeout' };
    return r.error;
  }

  async invoke(event: Buffer, context: InvocationContext): Promise<InvokeOutcome> {
    const id = ++seq;
    const r = await this.request(id, { type: 'invoke', id, event: new Uint8Array(event), context }, this.opts.spec.timeout * 1000);
    if (r.timedOut) return { ok: false, kind: 'timeout', error: { errorMessage: `Function timed out after ${this.opts.spec.timeout} seconds`, errorType: 'FunctionTimeoutError' } };
    if (r.error) return { ok: false, kind: r.crashed ? 'crash' : 'unhandled', error: r.error };
    return { ok: true, value: r.value ?? { kind: 'empty' } };
  }

  async terminate(): Promise<void> {
    if (this.retired) return;
    // Out of service at once: a timed-out instance must not be handed the next request while it exits.
    this.retired = true;
    await this.worker.terminate();
  }
}

export class FunctionPool {
  private readonly idle: Instance[] = [];
  private readonly all = new Set<Instance>();
  private readonly waiting: ((i: Instance | Error) => void)[] = [];
  private closed = false;
  /** Route table the bundle exported (learned when the first instance loads). */
  routes: RouteDecl[] | undefined;
  coldStarts = 0;

  constructor(private readonly opts: PoolOptions) {}

  get spec(): FunctionSpec {
    return this.opts.spec;
  }

  get size(): number {
    return this.all.size;
  }

  private async spawn(): Promise<Instance> {
    const instance = new Instance(this.opts, (i) => {
      this.all.delete(i);
      const at = this.idle.indexOf(i);
      if (at >= 0) this.idle.splice(at, 1);
    });
    this.all.add(instance);
    this.coldStarts += 1;
    const failed = await instance.start();
    if (failed) {
      await instance.terminate();
      this.all.delete(instance);
      throw Object.assign(new Error(failed.errorMessage), { fcError: failed });
    }
    this.routes ??= instance.routes;
    return instance;
  }

  /** Starts an instance for a waiter; a failed start passes the freed slot to the next waiter. */
  private spawnFor(waiter: (i: Instance | Error) => void): void {
    this.spawn().then(waiter, (e: Error) => {
      waiter(e);
      const next = this.waiting.shift();
      if (next) this.spawnFor(next);
    });
  }

  /** Starts one instance now (to learn the route table before traffic arrives). */
  async warm(): Promise<void> {
    const i = await this.spawn();
    this.release(i);
  }

  private async acquire(): Promise<Instance> {
    if (this.closed) throw new Error('the runtime is closing');
    const ready = this.idle.pop();
    if (ready) return ready;
    // `all` already counts instances that are still starting.
    if (this.all.size < this.opts.maxInstances) {
      return this.spawn().catch((e: Error) => {
        const next = this.waiting.shift();
        if (next) this.spawnFor(next);
        throw e;
      });
    }
    return new Promise((resolve, reject) => this.waiting.push((i) => (i instanceof Error ? reject(i) : resolve(i))));
  }

  private release(i: Instance): void {
    if (!i.alive) {
      // Its slot is free again: let a waiter start a fresh instance.
      const next = this.waiting.shift();
      if (next) this.spawnFor(next);
      return;
    }
    const next = this.waiting.shift();
    if (next) next(i);
    else this.idle.push(i);
  }

  async invoke(event: Buffer, context: InvocationContext): Promise<InvokeOutcome> {
    let instance: Instance;
    try {
      instance = await this.acquire();
    } catch (err) {
      const fcError = (err as { fcError?: FunctionError }).fcError;
      return { ok: false, kind: 'init', error: fcError ?? { errorMessage: (err as Error).message, errorType: 'InitializationError' } };
    }
    try {
      return await instance.invoke(event, context);
    } finally {
      this.release(instance);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(new Error('the runtime is closing'));
    await Promise.all([...this.all].map((i) => i.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }
}
