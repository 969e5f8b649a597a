/**
 * Runtime faults: injected errors and latency per action, and per-API flow control
 * (QPS per account, region and action over a sliding one-second window), as ECS applies it.
 */
import { FaultRules, type FaultMatch, type InjectedFault } from '../common/faults.js';
import { ApiError, defaultStatusForCode, gatewayErrors } from './errors.js';

export interface FaultInput extends InjectedFault {
  /** Omit to hit every action. */
  action?: string;
  /** `after`: the operation runs (and changes state) before the error is returned. */
  phase?: 'before' | 'after';
  /** `html`: the error arrives as an HTML page (a gateway's 502), not as ECS's JSON body. */
  format?: 'json' | 'html';
}

interface EcsFaultRule extends FaultMatch {
  code: string | undefined;
  status: number;
  message: string;
  latencyMs: number;
  phase: 'before' | 'after';
  format: 'json' | 'html';
}

export interface FaultOutcome {
  latencyMs: number;
  error: ApiError | undefined;
  phase: 'before' | 'after';
}

export class FaultInjector {
  private readonly rules: FaultRules<EcsFaultRule>;

  constructor(random: () => number) {
    this.rules = new FaultRules(random);
  }

  add(input: FaultInput): string {
    return this.rules.add({
      target: input.action,
      probability: input.probability,
      count: input.count,
      code: input.code,
      status: input.status ?? (input.code ? defaultStatusForCode(input.code) : 500),
      message: input.message ?? `Injected fault: ${input.code ?? 'latency'}.`,
      latencyMs: input.latencyMs ?? 0,
      phase: input.phase ?? 'before',
      format: input.format ?? 'json',
    });
  }

  remove(id: string): boolean {
    return this.rules.remove(id);
  }

  clear(): void {
    this.rules.clear();
  }

  /** Latencies of the firing faults add up; the first firing fault with a code answers the call. */
  draw(action: string): FaultOutcome {
    let latencyMs = 0;
    let error: ApiError | undefined;
    let phase: 'before' | 'after' = 'before';
    this.rules.draw(action, (rule) => {
      latencyMs += rule.latencyMs;
      if (!rule.code) return 'inject';
      error = new ApiError(rule.status, rule.code, rule.message, {}, rule.format === 'html');
      phase = rule.phase;
      return 'inject-last';
    });
    return { latencyMs, error, phase };
  }
}

const WINDOW_MS = 1000;

/**
 * Flow control per (account, region, action). A limit set for one action wins over the limit set for
 * every action. Only admitted calls occupy the window, so a client that respects the limit is never
 * throttled and admitted calls never exceed `qps` in any one-second span.
 */
export class FlowControl {
  private limits = new Map<string | undefined, number>();
  private windows = new Map<string, number[]>();

  constructor(private readonly nowMs: () => number) {}

  set(action: string | undefined, qps: number): void {
    this.limits.set(action, qps);
  }

  clear(): void {
    this.limits.clear();
    this.windows.clear();
  }

  /** Admits the call or throws Throttling.User. */
  admit(accountId: string, regionId: string, action: string): void {
    const limit = this.limits.get(action) ?? this.limits.get(undefined);
    if (limit === undefined) return;
    const now = this.nowMs();
    const key = `${accountId}|${regionId}|${action}`;
    const admitted = (this.windows.get(key) ?? []).filter((at) => at > now - WINDOW_MS);
    if (admitted.length >= limit) {
      this.windows.set(key, admitted);
      const oldest = admitted[0];
      throw gatewayErrors.throttled(oldest === undefined ? WINDOW_MS : Math.max(1, oldest + WINDOW_MS - now));
    }
    admitted.push(now);
    this.windows.set(key, admitted);
  }
}
