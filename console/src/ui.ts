// The pieces every view is built from: sections, tables, badges, times, problems, paged lists and
// file downloads. All through dom.ts, so all text stays text.
import { ApiError } from './api.js';
import { h, show, type Child } from './dom.js';
import type { Page } from './types.js';

export const section = (title: string, ...body: Child[]): HTMLElement => h('section', { class: 'panel' }, h('h2', {}, title), ...body);

/** A state or status as a badge; the class is chosen from a fixed set, never built from the data. */
const TONES: Readonly<Record<string, string>> = {
  active: 'ok', applied: 'ok', completed: 'ok', deleted: 'muted', revoked: 'muted', none: 'muted',
  pending_approval: 'wait', approved: 'wait', applying: 'wait', revoking: 'wait', running: 'wait', draining: 'wait', continued: 'wait',
  rejected: 'bad', failed: 'bad', expired: 'muted', cancelled: 'muted', partially_applied: 'warn', skipped: 'muted',
};
export const badge = (value: string): HTMLElement => h('span', { class: `badge tone-${TONES[value] ?? 'plain'}` }, value.replace(/_/g, ' '));

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A timestamp in local time; the exact instant on hover. */
export function time(iso: string | undefined): Child {
  if (!iso) return '';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : h('time', { datetime: iso, title: iso }, DATE.format(at));
}

/** Label → value pairs. */
export const facts = (rows: readonly (readonly [string, Child])[]): HTMLElement =>
  h('dl', { class: 'facts' }, rows.map(([label, value]) => [h('dt', {}, label), h('dd', {}, value === '' || value === undefined ? '—' : value)]));

export interface Column<T> {
  readonly title: string;
  readonly cell: (row: T) => Child;
}

export const table = <T>(columns: readonly Column<T>[], rows: readonly T[]): HTMLTableElement =>
  h('table', {}, h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.title)))), h('tbody', {}, rows.map((r) => tableRow(columns, r))));

const tableRow = <T>(columns: readonly Column<T>[], row: T): HTMLTableRowElement => h('tr', {}, columns.map((c) => h('td', {}, c.cell(row))));

/** What went wrong, in the service's words: its title, its detail, and where a request was invalid. */
export function problem(err: unknown): HTMLElement {
  if (err instanceof ApiError) {
    return h(
      'div',
      { class: 'problem', role: 'alert' },
      h('strong', {}, err.title),
      err.detail && err.detail !== err.title ? h('p', {}, err.detail) : null,
      err.errors.length > 0 ? h('ul', {}, err.errors.map((e) => h('li', {}, `${e.path}: ${e.message}`))) : null,
    );
  }
  return h('div', { class: 'problem', role: 'alert' }, h('strong', {}, 'Something went wrong'), h('p', {}, (err as Error)?.message ?? String(err)));
}

export const note = (text: string): HTMLElement => h('p', { class: 'note' }, text);

export const button = (label: string, onClick: (b: HTMLButtonElement) => void | Promise<void>, kind = 'secondary'): HTMLButtonElement => {
  const b: HTMLButtonElement = h('button', { type: 'button', class: `btn btn-${kind}`, on: { click: () => void onClick(b) } }, label);
  return b;
};

/**
 * A table filled one page at a time, with a button for the next while the API has more. `load`
 * fetches a page after `cursor`; `empty` is said when the first page has nothing.
 */
export function pagedTable<T>(opts: {
  readonly columns: readonly Column<T>[];
  readonly load: (cursor: string | undefined) => Promise<Page<T>>;
  readonly empty: string;
  readonly more: string;
}): HTMLElement {
  const box = h('div', { class: 'paged' });
  const body = h('tbody', {});
  const grid = h('table', {}, h('thead', {}, h('tr', {}, opts.columns.map((c) => h('th', { scope: 'col' }, c.title)))), body);
  const footer = h('div', { class: 'paged-footer' });
  let shown = 0;
  const next = async (cursor: string | undefined): Promise<void> => {
    show(footer, h('span', { class: 'note' }, 'Loading…'));
    try {
      const page = await opts.load(cursor);
      for (const row of page.items) body.appendChild(tableRow(opts.columns, row));
      shown += page.items.length;
      if (shown === 0) show(box, note(opts.empty));
      else show(footer, page.nextCursor ? button(opts.more, () => next(page.nextCursor)) : null);
    } catch (err) {
      show(footer, problem(err));
    }
  };
  show(box, grid, footer);
  void next(undefined);
  return box;
}

/** Hands `blob` to the browser as a download named `name`. */
export function saveFile(blob: Blob, name: string): void {
  const href = URL.createObjectURL(blob);
  const a = h('a', { href, download: name, class: 'hidden' });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

/** A choice among fixed options (the first is "all", value ''). */
export function select(label: string, options: readonly (readonly [string, string])[], value: string, onChange: (v: string) => void): HTMLLabelElement {
  const el = h('select', { on: { change: () => onChange(el.value) } }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  return h('label', { class: 'field' }, h('span', {}, label), el);
}
