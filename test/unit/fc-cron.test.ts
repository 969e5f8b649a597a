// Timer schedules: FC's six-field cron (UTC or CRON_TZ) and @every.
import { describe, expect, it } from 'vitest';
import { CronError, nextFire, parseSchedule } from '../../emulators/fc/cron.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('parseSchedule / nextFire', () => {
  it.each([
    ['0 */10 * * * *', '2026-11-28T03:41:07Z', '2026-11-28T03:50:00.000Z'],
    ['0 0 2 * * *', '2026-11-28T03:41:07Z', '2026-11-29T02:00:00.000Z'],
    ['30 15 9-17/4 * * *', '2026-11-28T09:15:30Z', '2026-11-28T13:15:30.000Z'],
    ['0 0 0 1,15 * *', '2026-11-16T00:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['0 0 12 * * MON-FRI', '2026-11-28T13:00:00Z', '2026-11-30T12:00:00.000Z'],
    ['0 0 12 ? JAN *', '2026-11-28T13:00:00Z', '2027-01-01T12:00:00.000Z'],
    ['0 0 0 * * 7', '2026-11-28T13:00:00Z', '2026-11-29T00:00:00.000Z'],
    ['CRON_TZ=Asia/Shanghai 0 0 8 * * *', '2026-11-28T03:00:00Z', '2026-11-29T00:00:00.000Z'],
    ['0 0 0 13 * FRI', '2026-11-01T00:00:00Z', '2026-11-06T00:00:00.000Z'],
    // Across daylight-saving changes: a 23-hour and a 25-hour day before the matching one.
    ['CRON_TZ=Europe/Berlin 0 30 0 * * MON', '2027-03-27T12:00:00Z', '2027-03-28T22:30:00.000Z'],
    ['CRON_TZ=Europe/Berlin 0 30 0 * * MON', '2027-10-30T12:00:00Z', '2027-10-31T23:30:00.000Z'],
  ])('%s after %s fires at %s', (expr, after, expected) => {
    expect(iso(nextFire(parseSchedule(expr), at(after)))).toBe(expected);
  });

  it('@every counts from the anchor', () => {
    const s = parseSchedule('@every 1h30m');
    expect(s).toEqual({ kind: 'every', intervalMs: 90 * 60_000 });
    expect(iso(nextFire(s, at('2026-11-28T04:00:00Z'), at('2026-11-28T03:00:00Z')))).toBe('2026-11-28T04:30:00.000Z');
    expect(iso(nextFire(parseSchedule('@every 5m'), at('2026-11-28T03:00:00Z')))).toBe('2026-11-28T03:05:00.000Z');
  });

  it('never matches an impossible date', () => {
    expect(nextFire(parseSchedule('0 0 0 31 2 *'), at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it.each([
    ['*/5 * * * *', /six fields/],
    ['60 * * * * *', /second: 60 is outside/],
    ['0 0 0 5-1 * *', /runs backwards/],
    ['0 */0 * * * *', /bad step/],
    ['@every 10s', /at least 1m/],
    ['@every soon', /expected @every/],
    ['CRON_TZ=Mars/Olympus 0 0 0 * * *', /unknown time zone/],
  ])('rejects %s', (expr, message) => {
    expect(() => parseSchedule(expr)).toThrow(CronError);
    expect(() => parseSchedule(expr)).toThrow(message);
  });
});
