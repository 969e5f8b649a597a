// Reconcile runs: a chart of findings per sweep over time, every run's counts, duration and errors,
// and one run in full with its findings.
import type { View } from '../app.js';
import { findingsChart } from '../chart.js';
import { h, link } from '../dom.js';
import { countsText, duration, total } from '../format.js';
import type { Page, ReconcileRun } from '../types.js';
import { badge, facts, note, pagedTable, problem, section, table, time } from '../ui.js';
import { findingsTable } from './findings.js';

/** How many runs the chart and the first page show. */
const RUNS_PAGE = 100;

export const runsView: View = async (app) => {
  const first = await app.api.get<Page<ReconcileRun>>('v1/reconcile-runs', { limit: RUNS_PAGE });
  return [
    h('h1', {}, 'Reconcile runs'),
    section('Findings per sweep', note(`The newest ${RUNS_PAGE} runs; a timer sweep counts with the region runs it started.`), findingsChart(first.items)),
    section(
      'Runs',
      pagedTable<ReconcileRun>({
        columns: [
          { title: 'Started', cell: (r) => h('a', { href: link('runs', r.runId) }, time(r.startedAt)) },
          { title: 'Trigger', cell: (r) => r.trigger },
          { title: 'Mode', cell: (r) => r.mode },
          { title: 'Regions', cell: (r) => r.regions.join(', ') },
          { title: 'Status', cell: (r) => badge(r.status) },
          { title: 'Images', cell: (r) => String(r.imagesScanned) },
          { title: 'Findings', cell: (r) => countsText(r.findings) },
          { title: 'Actions', cell: (r) => countsText(r.actions) },
          { title: 'Errors', cell: (r) => String(r.errors.length) },
          { title: 'Duration', cell: (r) => duration(r.durationMs) },
        ],
        load: (cursor) => (cursor === undefined ? Promise.resolve(first) : app.api.get<Page<ReconcileRun>>('v1/reconcile-runs', { limit: RUNS_PAGE, cursor })),
        empty: 'No reconcile run yet: the timer runs one every 10 minutes.',
        more: 'Older runs',
      }),
    ),
  ];
};

export const runView: View = async (app, [runId = '']) => {
  let run: ReconcileRun;
  try {
    run = await app.api.get<ReconcileRun>(`v1/reconcile-runs/${encodeURIComponent(runId)}`);
  } catch (err) {
    return [h('h1', {}, runId), problem(err)];
  }
  return [
    h('h1', {}, 'Reconcile run'),
    h('p', { class: 'subtitle' }, h('code', {}, run.runId), ' ', badge(run.status)),
    section(
      'Summary',
      facts([
        ['Started', time(run.startedAt)],
        ['Finished', time(run.finishedAt)],
        ['Duration', duration(run.durationMs)],
        ['Trigger', run.trigger],
        ['Mode', run.mode],
        ['Regions', run.regions.join(', ')],
        ['Part of', run.parentRunId ? h('a', { href: link('runs', run.parentRunId) }, run.parentRunId) : ''],
        ['Images scanned', String(run.imagesScanned)],
        ['Findings', `${total(run.findings)}: ${countsText(run.findings)}`],
        ['Actions', `${total(run.actions)}: ${countsText(run.actions)}`],
        ['ECS calls', countsText(run.apiCalls)],
      ]),
    ),
    run.errors.length > 0
      ? section(
          'Errors',
          table(
            [
              { title: 'Region', cell: (e) => e.regionId ?? '' },
              { title: 'Image', cell: (e) => (e.imageId && e.regionId ? h('a', { href: link('images', e.regionId, e.imageId) }, e.imageId) : (e.imageId ?? '')) },
              { title: 'Code', cell: (e) => h('code', {}, e.code) },
              { title: 'Message', cell: (e) => e.message },
            ],
            run.errors,
          ),
        )
      : null,
    section('Findings', await findingsTable(app, `v1/reconcile-runs/${encodeURIComponent(run.runId)}/findings`, {}, `findings-${run.runId}.csv`)),
  ];
};
