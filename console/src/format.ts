// How the console words things: ages, channels and targets, counts. Pure, so the tests check it
// without a browser.
import type { Channelled, ConsoleRequest } from './types.js';

const UNITS: readonly [number, string][] = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'min'],
];

/** A span in its largest whole unit: `3 d`, `5 h`, `12 min`, `less than a minute`. */
export function span(ms: number): string {
  for (const [size, unit] of UNITS) if (ms >= size) return `${Math.floor(ms / size)} ${unit}`;
  return 'less than a minute';
}

/** How long ago `iso` was. */
export const age = (iso: string, now: number): string => span(Math.max(0, now - Date.parse(iso)));

/** When `iso` comes: `in 2 d`, or `passed`. */
export const until = (iso: string, now: number): string => (Date.parse(iso) > now ? `in ${span(Date.parse(iso) - now)}` : 'passed');

/** The channel a share, drift entry or finding went through; rows without one are the account channel. */
export const channelOf = (row: Channelled): string => row.channel ?? 'account';

/** Whom it is shared with: the target, or on account-channel rows the account id. */
export const targetOf = (row: Channelled): string => row.target ?? row.accountId ?? '';

/** A request's targets, one entry per channel that has any, accounts first. */
export function targetsByChannel(request: ConsoleRequest): { channel: string; targets: readonly string[] }[] {
  return [
    { channel: 'account', targets: request.accountIds },
    { channel: 'directory', targets: request.directoryTargets ?? [] },
  ].filter((c) => c.targets.length > 0);
}

/** Rows grouped by channel, then by state, in the order they first appear. */
export function groupByChannelAndState<T extends Channelled & { readonly state: string }>(rows: readonly T[]): Map<string, Map<string, T[]>> {
  const out = new Map<string, Map<string, T[]>>();
  for (const row of rows) {
    const byState = out.get(channelOf(row)) ?? out.set(channelOf(row), new Map()).get(channelOf(row))!;
    (byState.get(row.state) ?? byState.set(row.state, []).get(row.state)!).push(row);
  }
  return out;
}

/** The sum of a count record (findings or actions of a run). */
export const total = (counts: Readonly<Record<string, number | undefined>>): number => Object.values(counts).reduce<number>((a, n) => a + (n ?? 0), 0);

/** `unmanaged 2, missing 1`, largest first; `none` when empty. */
export function countsText(counts: Readonly<Record<string, number | undefined>>): string {
  const entries = Object.entries(counts).filter((e): e is [string, number] => (e[1] ?? 0) > 0);
  return entries.length === 0 ? 'none' : entries.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => `${k} ${n}`).join(', ');
}

/** `1.2 s`, `850 ms`. */
export const duration = (ms: number | undefined): string => (ms === undefined ? '' : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/** A quota in words: `3 of 50 shares (6%)`, or of the directory channel `1 of 10 directory targets (10%)`. */
export function quotaText(used: number, limit: number, unit: 'share' | 'directory target' = 'share'): string {
  const pct = limit > 0 ? Math.round((used / limit) * 100) : 0;
  return `${used} of ${limit} ${limit === 1 ? unit : `${unit}s`} (${pct}%)`;
}
