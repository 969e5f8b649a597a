// Runtime fault injection: latency and error codes per operation, by probability and/or count.
import { errors, STATUS_BY_CODE, type OtsError } from './errors.js';

export interface FaultSpec {
  operation?: string;
  code?: string;
  status?: number;
  message?: string;
  probability?: number;
  count?: number;
  latencyMs?: number;
}

interface Fault extends FaultSpec {
  id: string;
  remaining: number | undefined;
}

export interface FaultOutcome {
  latencyMs: number;
  error: OtsError | undefined;
}

export class FaultRegistry {
  private faults: Fault[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number) {}

  add(spec: FaultSpec): string {
    const id = `fault-${this.nextId++}`;
    this.faults.push({ ...spec, id, remaining: spec.count });
    return id;
  }

  clear(): void {
    this.faults = [];
  }

  /** Decides, for one request, which faults fire; count-limited faults are consumed when they fire. */
  draw(operation: string): FaultOutcome {
    let latencyMs = 0;
    let error: OtsError | undefined;
    for (const f of this.faults) {
      if (f.operation !== undefined && f.operation !== operation) continue;
      if (f.remaining !== undefined && f.remaining <= 0) continue;
      if (f.probability !== undefined && !(this.random() < f.probability)) continue;
      if (f.code === undefined) {
        latencyMs += f.latencyMs ?? 0;
      } else if (!error) {
        latencyMs += f.latencyMs ?? 0;
        error = errors.injected(f.code, f.status ?? STATUS_BY_CODE[f.code] ?? 503, f.message);
      } else {
        continue;
      }
      if (f.remaining !== undefined) f.remaining -= 1;
    }
    this.faults = this.faults.filter((f) => f.remaining === undefined || f.remaining > 0);
    return { latencyMs, error };
  }
}
