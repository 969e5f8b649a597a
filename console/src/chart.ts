// The findings-per-sweep chart: SVG drawn from chart-data.ts's layout, one colour per finding kind
// (from a fixed palette, by position: class names never come from data), a title on every bar.
import { layout, sweeps } from './chart-data.js';
import { h, s } from './dom.js';
import { countsText } from './format.js';
import type { ReconcileRun } from './types.js';

const WIDTH = 720;
const HEIGHT = 200;
const MARGIN = { left: 36, right: 8, top: 8, bottom: 24 };
const PALETTE_SIZE = 8;
const DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export function findingsChart(runs: readonly ReconcileRun[]): HTMLElement {
  const points = sweeps(runs);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const chart = layout(points, plotW, plotH);
  const colour = (kind: string): string => `series-${chart.kinds.indexOf(kind) % PALETTE_SIZE}`;
  const summary = `Findings per reconcile sweep, ${points.length} sweeps, at most ${Math.max(0, ...points.map((p) => p.total))} findings`;
  const graphic = s(
    'svg',
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': summary, class: 'chart' },
    s(
      'g',
      { transform: `translate(${MARGIN.left} ${MARGIN.top})` },
      chart.ticks.map((t) => [
        s('line', { x1: 0, x2: plotW, y1: t.y, y2: t.y, class: 'grid' }),
        s('text', { x: -6, y: t.y + 4, class: 'tick', 'text-anchor': 'end' }, String(t.value)),
      ]),
      chart.bars.map((bar) =>
        s(
          'g',
          { class: 'bar' },
          s('title', {}, `${DAY.format(new Date(bar.sweep.startedAt))}: ${bar.sweep.total} findings (${countsText(bar.sweep.findings)})`),
          // An invisible full-height target, so an empty sweep still shows its title.
          s('rect', { x: bar.x, y: 0, width: bar.width, height: plotH, class: 'hit' }),
          bar.segments.map((seg) => s('rect', { x: bar.x, y: seg.y, width: bar.width, height: seg.height, class: colour(seg.kind) })),
        ),
      ),
      points.length > 0 ? s('text', { x: 0, y: plotH + 16, class: 'tick' }, DAY.format(new Date(points[0]!.startedAt))) : null,
      points.length > 1 ? s('text', { x: plotW, y: plotH + 16, class: 'tick', 'text-anchor': 'end' }, DAY.format(new Date(points.at(-1)!.startedAt))) : null,
    ),
  );
  const legend = h(
    'ul',
    { class: 'legend' },
    chart.kinds.map((kind) => h('li', {}, s('svg', { viewBox: '0 0 10 10', class: 'swatch', 'aria-hidden': 'true' }, s('rect', { width: 10, height: 10, class: colour(kind) })), kind)),
  );
  return h('figure', { class: 'chart-box' }, graphic, chart.kinds.length > 0 ? legend : h('figcaption', { class: 'note' }, 'No sweep found anything.'));
}

/** A quota as a bar: used of limit, with the words beside it; `label` names the meter (one per channel). */
export function quotaGauge(used: number, limit: number, words: string, label = 'Share quota'): HTMLElement {
  const share = limit > 0 ? Math.min(1, used / limit) : 0;
  const tone = share >= 0.9 ? 'gauge-high' : share >= 0.7 ? 'gauge-mid' : 'gauge-low';
  return h(
    'div',
    { class: 'gauge' },
    s(
      'svg',
      { viewBox: '0 0 200 14', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': limit, 'aria-valuenow': used, 'aria-label': label, class: 'gauge-bar' },
      s('rect', { x: 0, y: 0, width: 200, height: 14, rx: 7, class: 'gauge-track' }),
      s('rect', { x: 0, y: 0, width: Math.max(used > 0 ? 7 : 0, 200 * share), height: 14, rx: 7, class: tone }),
    ),
    h('span', {}, words),
  );
}
