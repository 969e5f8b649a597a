// A clock tests move by hand: time only passes when the test says so.
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
