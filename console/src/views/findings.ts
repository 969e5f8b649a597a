// Findings: what a reconcile run found, one row per finding, and the open findings across the fleet
// (the latest completed run of each region), each as a table and as a CSV download.
import type { App, View } from '../app.js';
import { h, link, show } from '../dom.js';
import { channelOf, targetOf } from '../format.js';
import type { Finding, Page, ReconcileRun } from '../types.js';
import { badge, button, note, pagedTable, problem, section, select, time, saveFile } from '../ui.js';

/** Findings from `path` (filtered by `query`) with a Download CSV button, once the first page answered. */
export async function findingsTable(app: App, path: string, query: Readonly<Record<string, string>>, fileName: string): Promise<HTMLElement> {
  let first: Page<Finding>;
  try {
    first = await app.api.get<Page<Finding>>(path, { ...query, limit: 50 });
  } catch (err) {
    return problem(err);
  }
  const said = h('div', {});
  const download = button('Download CSV', async (b) => {
    b.disabled = true;
    try {
      saveFile(await app.api.download(path, 'text/csv', query), fileName);
      show(said);
    } catch (err) {
      show(said, problem(err));
    } finally {
      b.disabled = false;
    }
  });
  const rows = pagedTable<Finding>({
    columns: [
      { title: 'Kind', cell: (f) => badge(f.kind) },
      { title: 'Region', cell: (f) => f.regionId },
      { title: 'Image', cell: (f) => h('a', { href: link('images', f.regionId, f.imageId) }, f.imageId) },
      { title: 'Channel', cell: (f) => channelOf(f) },
      { title: 'Target', cell: (f) => (targetOf(f) ? h('code', {}, targetOf(f)) : '') },
      { title: 'Detail', cell: (f) => f.detail ?? '' },
      { title: 'Action', cell: (f) => f.action },
      { title: 'Found', cell: (f) => time(f.at) },
    ],
    load: (cursor) => (cursor === undefined ? Promise.resolve(first) : app.api.get<Page<Finding>>(path, { ...query, limit: 50, cursor })),
    empty: 'No finding.',
    more: 'More findings',
  });
  return h('div', {}, h('div', { class: 'toolbar' }, download), said, rows);
}

export const findingsView: View = async (app) => {
  const filter = { regionId: '', kind: '' };
  // The kinds to filter by: those the recent runs counted.
  const runs = await app.api.get<Page<ReconcileRun>>('v1/reconcile-runs', { limit: 100 }).catch(() => ({ items: [] as ReconcileRun[] }));
  const kinds = [...new Set(runs.items.flatMap((r) => Object.keys(r.findings)))].sort();
  const list = h('div', {});
  let latest = 0;
  const render = async (): Promise<void> => {
    const turn = ++latest;
    show(list, note('Loading…'));
    const query = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== ''));
    const stamp = new Date(app.now()).toISOString().slice(0, 10);
    const table = await findingsTable(app, 'v1/findings', query, `findings-${filter.regionId || 'all-regions'}-${stamp}.csv`);
    // A filter changed meanwhile: its own answer shows instead.
    if (turn === latest) show(list, table);
  };
  await render();
  return [
    h('h1', {}, 'Findings'),
    note("The open findings across the fleet: what the latest completed run of each region found, including images the service has never managed."),
    section(
      'Open findings',
      h(
        'div',
        { class: 'toolbar' },
        select('Region', [['', 'All regions'], ...app.settings.regions.map((r): [string, string] => [r, r])], '', (v) => ((filter.regionId = v), void render())),
        select('Kind', [['', 'All kinds'], ...kinds.map((k): [string, string] => [k, k])], '', (v) => ((filter.kind = v), void render())),
      ),
      list,
    ),
  ];
};
