// The findings chart's numbers: one bar per sweep (a timer run and the region runs it fanned out to
// count as one), stacked by finding kind, oldest on the left. Pure, so the tests check it without a
// browser; chart.ts draws it.
import type { ReconcileRun } from './types.js';

export interface Sweep {
  readonly runId: string;
  readonly startedAt: string;
  readonly findings: Readonly<Record<string, number>>;
  readonly total: number;
}

/** Region runs are added to their parent when the parent is among `runs`; every other run is its own sweep. */
export function sweeps(runs: readonly ReconcileRun[]): Sweep[] {
  const ids = new Set(runs.map((r) => r.runId));
  const byRoot = new Map<string, { runId: string; startedAt: string; findings: Record<string, number> }>();
  const ordered = [...runs].sort((a, b) => (a.parentRunId && !b.parentRunId ? 1 : !a.parentRunId && b.parentRunId ? -1 : 0));
  for (const run of ordered) {
    const root = run.parentRunId !== undefined && ids.has(run.parentRunId) ? run.parentRunId : run.runId;
    const sweep = byRoot.get(root) ?? byRoot.set(root, { runId: root, startedAt: run.startedAt, findings: {} }).get(root)!;
    for (const [kind, n] of Object.entries(run.findings)) sweep.findings[kind] = (sweep.findings[kind] ?? 0) + (n ?? 0);
  }
  return [...byRoot.values()]
    .map((s) => ({ ...s, total: Object.values(s.findings).reduce((a, n) => a + n, 0) }))
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

export interface Segment {
  readonly kind: string;
  readonly count: number;
  readonly y: number;
  readonly height: number;
}

export interface Bar {
  readonly sweep: Sweep;
  readonly x: number;
  readonly width: number;
  readonly segments: readonly Segment[];
}

export interface ChartLayout {
  readonly bars: readonly Bar[];
  /** The y axis top: the largest total, rounded up to a whole tick step. */
  readonly max: number;
  readonly ticks: readonly { readonly value: number; readonly y: number }[];
  /** Every kind drawn, in stacking order (largest overall first). */
  readonly kinds: readonly string[];
}

const niceStep = (max: number): number => {
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
};

/** Bars in a `width` × `height` plot area (y grows downwards, as in SVG). */
export function layout(points: readonly Sweep[], width: number, height: number): ChartLayout {
  const overall = new Map<string, number>();
  for (const p of points) for (const [k, n] of Object.entries(p.findings)) if (n > 0) overall.set(k, (overall.get(k) ?? 0) + n);
  const kinds = [...overall].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  const largest = Math.max(0, ...points.map((p) => p.total));
  const step = largest <= 4 ? 1 : niceStep(largest);
  const max = Math.max(1, Math.ceil(largest / step) * step);
  const slot = points.length > 0 ? width / points.length : width;
  const barWidth = Math.max(1, Math.min(40, slot * 0.7));
  const scale = (n: number): number => (n / max) * height;
  const bars = points.map((sweep, i) => {
    let top = height;
    const segments = kinds
      .filter((k) => (sweep.findings[k] ?? 0) > 0)
      .map((kind) => {
        const count = sweep.findings[kind]!;
        top -= scale(count);
        return { kind, count, y: top, height: scale(count) };
      });
    return { sweep, x: i * slot + (slot - barWidth) / 2, width: barWidth, segments };
  });
  const ticks = Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => ({ value: i * step, y: height - scale(i * step) }));
  return { bars, max, ticks, kinds };
}
