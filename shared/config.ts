// Environment → validated, frozen Config. Pure: takes the env map, never reads process.env itself.
// The composition root of each function calls loadConfig(process.env) once at cold start; a bad value
// throws ConfigError naming the variable, which fails the instance before it takes traffic.
import type { Policy } from './domain/policy.js';

export interface Config {
  readonly policy: Policy;
  readonly ecs: {
    /** host[:port] without scheme; default `ecs.<region>.aliyuncs.com` per region. */
    readonly endpoint?: string;
    readonly protocol: 'https' | 'http';
    readonly connectTimeoutMs: number;
    readonly readTimeoutMs: number;
    /** Requests per second per ECS API and region (token bucket); key `*` is the default. */
    readonly ratePerApi: Readonly<Record<string, number>>;
  };
  readonly tablestore: {
    /** e.g. https://<instance>.<region>.ots.aliyuncs.com */
    readonly endpoint: string;
    readonly instance: string;
    readonly tablePrefix: string;
  };
  readonly auth: {
    readonly issuer: string;
    readonly audience: string;
    /** Inline JWKS JSON, or a URL to fetch it from; exactly one is set. */
    readonly jwks?: { readonly keys: readonly Record<string, unknown>[] };
    readonly jwksUrl?: string;
    readonly rolesClaim: string;
  };
  readonly reconcile: {
    /** FC function name of the reconciler (async fan-out and continuation). */
    readonly functionName: string;
    /** FC endpoint override for async invocations (local runtime); default the regional endpoint. */
    readonly fcEndpoint?: string;
    /** Stop and continue asynchronously when less than this is left of the invocation. */
    readonly timeBudgetMs: number;
    readonly concurrency: number;
  };
  readonly idempotencyTtlHours: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}
