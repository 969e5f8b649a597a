// Clocks for tests: one moved by hand (time only passes when the test says so), and one that ticks on
// every reading (work takes time without real waiting).
import type { Clock } from '../../shared/domain/ports.js';

export const T0 = '2026-03-01T10:00:00.000Z';

export class ManualClock implements Clock {
  private current: number;

  constructor(start: string | Date = T0) {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(at: string | Date): void {
    this.current = new Date(at).getTime();
  }

  advance(ms: number): void {
    this.current += ms;
  }

  advanceHours(hours: number): void {
    this.advance(hours * 3_600_000);
  }

  advanceDays(days: number): void {
    this.advance(days * 86_400_000);
  }
}

/** Advances `stepMs` on every reading. */
export class TickingClock implements Clock {
  private t: number;

  constructor(
    private readonly stepMs: number,
    start: string | Date = T0,
  ) {
    this.t = new Date(start).getTime();
  }

  now(): Date {
    this.t += this.stepMs;
    return new Date(this.t);
  }
}
