/**
 * Injected faults, on the two levels PutEvents can fail: the whole request (an error status, or only
 * latency) and single entries of an accepted request (an error code in that entry's result).
 */
import { FaultRules, type FaultMatch, type InjectedFault } from '../common/faults.js';
import { EventBridgeApiError, type EntryError, defaultStatusForCode } from './errors.js';

export interface FaultInput extends InjectedFault {
  /** Only requests (or entries) for this bus; omit for every bus. */
  bus?: string;
  /** `request` (default): the request fails or waits. `entry`: each firing draw fails one entry, the others are put. */
  scope?: 'request' | 'entry';
}

interface RequestRule extends FaultMatch {
  error: EventBridgeApiError | undefined;
  latencyMs: number;
}

interface EntryRule extends FaultMatch {
  error: EntryError;
}

export interface RequestFaultOutcome {
  latencyMs: number;
  error: EventBridgeApiError | undefined;
}

export class FaultInjector {
  private readonly requests: FaultRules<RequestRule>;
  private readonly entries: FaultRules<EntryRule>;

  constructor(random: () => number) {
    this.requests = new FaultRules(random);
    this.entries = new FaultRules(random);
  }

  /** The admin route has checked the combination (an entry fault has a code and no status or latency). */
  add(input: FaultInput): string {
    const match = { target: input.bus, probability: input.probability, count: input.count };
    const message = input.message ?? `Injected fault: ${input.code ?? 'latency'}.`;
    if (input.scope === 'entry') return `entry-${this.entries.add({ ...match, error: { code: input.code ?? 'InternalError', message } })}`;
    const error = input.code === undefined ? undefined : new EventBridgeApiError(input.status ?? defaultStatusForCode(input.code), input.code, message);
    return `request-${this.requests.add({ ...match, error, latencyMs: input.latencyMs ?? 0 })}`;
  }

  remove(id: string): boolean {
    if (id.startsWith('entry-')) return this.entries.remove(id.slice('entry-'.length));
    if (id.startsWith('request-')) return this.requests.remove(id.slice('request-'.length));
    return false;
  }

  clear(): void {
    this.requests.clear();
    this.entries.clear();
  }

  /** For one request to `bus`: the latencies of every firing fault add up; the first firing fault with a code answers. */
  drawRequest(bus: string): RequestFaultOutcome {
    let latencyMs = 0;
    let error: EventBridgeApiError | undefined;
    this.requests.draw(bus, (rule) => {
      latencyMs += rule.latencyMs;
      if (!rule.error) return 'inject';
      error = rule.error;
      return 'inject-last';
    });
    return { latencyMs, error };
  }

  /** For one entry for `bus`: the error of the first firing entry fault, if any. */
  drawEntry(bus: string): EntryError | undefined {
    let error: EntryError | undefined;
    this.entries.draw(bus, (rule) => {
      error = rule.error;
      return 'inject-last';
    });
    return error;
  }
}
