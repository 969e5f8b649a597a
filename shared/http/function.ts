// Wires a route table to the shared runtime: what each HTTP function's index.ts exports.
import { createRuntime, lazyRuntime } from '../runtime.js';
import type { Runtime } from '../runtime.js';
import { createHttpHandler } from './handler.js';
import type { FcHttpHandler, HttpHandlerOptions } from './handler.js';
import type { AnyRoute } from './routes.js';

export interface HttpFunction {
  readonly handler: FcHttpHandler;
  /** FC initializer: builds config and adapters (fails the instance on bad configuration). */
  readonly initialize: (context?: { credentials?: Record<string, string> }) => Promise<void>;
}

/** Production wiring reads process.env once; tests pass `runtime` (createRuntime(env, overrides)) and may catch `fallbackLog`. */
export function createHttpFunction(routes: readonly AnyRoute[], opts: { runtime?: () => Runtime } & Pick<HttpHandlerOptions, 'fallbackLog'> = {}): HttpFunction {
  const rt = lazyRuntime(opts.runtime ?? (() => createRuntime(process.env)));
  return { handler: createHttpHandler(routes, { runtime: rt.get, fallbackLog: opts.fallbackLog }), initialize: rt.initialize };
}
