/**
 * The fault rules every emulator keeps: which injected faults fire for one call, matched by the call
 * they target, the injections they have left and a probability drawn from the emulator's random source.
 * What a fired rule does (its error, its latency, when it answers) stays with each emulator.
 */

/** mulberry32: a small, fast, seedable generator; plenty for deciding injected faults. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a fault injected through any emulator's admin API can say besides its target. */
export interface InjectedFault {
  code?: string;
  status?: number;
  message?: string;
  probability?: number;
  count?: number;
  latencyMs?: number;
}

/** The admin schema of InjectedFault's fields, for the fault routes that accept them. */
export const INJECTED_FAULT_PROPERTIES = {
  code: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9.]{0,127}$' },
  status: { type: 'integer', minimum: 400, maximum: 599 },
  message: { type: 'string', maxLength: 1024 },
  probability: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
  count: { type: 'integer', minimum: 1 },
  latencyMs: { type: 'integer', minimum: 0, maximum: 60000 },
} as const;

export interface FaultMatch {
  /** The action or operation the rule hits; undefined hits every call. */
  target: string | undefined;
  probability: number | undefined;
  /** Injections allowed; undefined = unlimited. */
  count: number | undefined;
}

/** What the emulator did with a rule that fired: injected it (one use counted), injected it and wants no further rule, or let it pass unused. */
export type FaultVerdict = 'inject' | 'inject-last' | 'pass';

interface Entry<R> {
  id: string;
  rule: R;
  remaining: number | undefined;
}

export class FaultRules<R extends FaultMatch> {
  private entries: Entry<R>[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number) {}

  add(rule: R): string {
    const id = `fault-${this.nextId++}`;
    this.entries.push({ id, rule, remaining: rule.count });
    return id;
  }

  remove(id: string): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((entry) => entry.id !== id);
    return this.entries.length !== before;
  }

  clear(): void {
    this.entries = [];
  }

  /**
   * Offers `decide` the rules that fire for one call, in the order they were added. A rule's probability
   * is drawn only when the walk reaches it, so a seeded random source gives the same sequence every run.
   * Rules with no injections left are dropped afterwards.
   */
  draw(target: string, decide: (rule: R) => FaultVerdict): void {
    for (const entry of this.entries) {
      const { rule } = entry;
      if (rule.target !== undefined && rule.target !== target) continue;
      if (entry.remaining !== undefined && entry.remaining <= 0) continue;
      if (rule.probability !== undefined && !(this.random() < rule.probability)) continue;
      const verdict = decide(rule);
      if (verdict === 'pass') continue;
      if (entry.remaining !== undefined) entry.remaining -= 1;
      if (verdict === 'inject-last') break;
    }
    this.entries = this.entries.filter((entry) => entry.remaining === undefined || entry.remaining > 0);
  }
}
