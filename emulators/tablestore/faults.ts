// Runtime fault injection: latency and error codes per operation, by probability and/or count.
import { FaultRules, type FaultMatch, type InjectedFault } from '../common/faults.js';
import { errors, STATUS_BY_CODE, type OtsError } from './errors.js';

export interface FaultSpec extends InjectedFault {
  /** Omit to hit every operation. */
  operation?: string;
  /** Omit to hit requests on any table; set, only requests that address this table (a batch: any of its tables). */
  table?: string;
}

type OtsFaultRule = FaultMatch & Omit<FaultSpec, 'operation' | 'probability' | 'count'>;

export interface FaultOutcome {
  latencyMs: number;
  error: OtsError | undefined;
}

export class FaultRegistry {
  private readonly rules: FaultRules<OtsFaultRule>;

  constructor(random: () => number) {
    this.rules = new FaultRules(random);
  }

  add(spec: FaultSpec): string {
    const { operation, probability, count, ...rest } = spec;
    return this.rules.add({ ...rest, target: operation, probability, count });
  }

  clear(): void {
    this.rules.clear();
  }

  /**
   * Every firing latency-only fault adds its latency; the first firing fault with a code answers the
   * request and adds its latency, later faults with a code stay unused.
   */
  draw(operation: string, tables: readonly string[]): FaultOutcome {
    let latencyMs = 0;
    let error: OtsError | undefined;
    this.rules.draw(operation, (rule) => {
      if (rule.table !== undefined && !tables.includes(rule.table)) return 'pass';
      if (rule.code !== undefined && error) return 'pass';
      latencyMs += rule.latencyMs ?? 0;
      if (rule.code !== undefined) error = errors.injected(rule.code, rule.status ?? STATUS_BY_CODE[rule.code] ?? 503, rule.message);
      return 'inject';
    });
    return { latencyMs, error };
  }
}
