// Images: the managed ones, and one image in full — its shares per channel and state, drift against
// ECS, the quota as a gauge, pending requests, deletion status, and the audit trail, newest first.
import { IMAGE_ID_PATTERN } from '../../../shared/domain/model.js';
import type { App, View } from '../app.js';
import { quotaGauge } from '../chart.js';
import { h, link, show } from '../dom.js';
import { age, channelOf, groupByChannelAndState, quotaText, targetOf, targetsByChannel } from '../format.js';
import type { AuditEvent, ConsoleImage, ConsoleRequest, ConsoleShare, ImageRecord, Page } from '../types.js';
import { badge, button, facts, note, pagedTable, problem, section, select, table, time } from '../ui.js';

const IMAGE_ID = new RegExp(IMAGE_ID_PATTERN);

function openImage(app: App): HTMLElement {
  let region = app.settings.regions[0] ?? '';
  const id = h('input', { type: 'text', name: 'imageId', placeholder: 'm-…', spellcheck: 'false', autocomplete: 'off' });
  const said = h('div', {});
  const open = (): void => {
    const imageId = id.value.trim();
    if (!IMAGE_ID.test(imageId)) return show(said, h('p', { class: 'problem', role: 'alert' }, `An image id looks like m-bp1abcdefghijk (${IMAGE_ID_PATTERN})`));
    location.hash = link('images', region, imageId);
  };
  id.addEventListener('keydown', (e) => e.key === 'Enter' && open());
  return h(
    'div',
    { class: 'toolbar' },
    select('Region', app.settings.regions.map((r) => [r, r] as const), region, (v) => (region = v)),
    h('label', { class: 'field' }, h('span', {}, 'Image id'), id),
    button('Open', open, 'primary'),
    said,
  );
}

export const imagesView: View = async (app) => {
  let regionId = '';
  const list = h('div', {});
  const render = (): void =>
    show(
      list,
      pagedTable<ImageRecord>({
        columns: [
          { title: 'Image', cell: (i) => h('a', { href: link('images', i.regionId, i.imageId) }, i.imageId) },
          { title: 'Name', cell: (i) => i.imageName ?? '' },
          { title: 'Region', cell: (i) => i.regionId },
          { title: 'Lifecycle', cell: (i) => badge(i.lifecycle) },
          { title: 'Shares held', cell: (i) => String(i.quotaUsed) },
          { title: 'Deletion', cell: (i) => badge(i.deletion.status) },
          { title: 'Updated', cell: (i) => time(i.updatedAt) },
        ],
        load: (cursor) => app.api.get<Page<ImageRecord>>('v1/images', { regionId, limit: 50, cursor }),
        empty: 'The service manages no image here yet: an image becomes managed with its first share request.',
        more: 'More images',
      }),
    );
  render();
  const regions: [string, string][] = [['', 'All regions'], ...app.settings.regions.map((r): [string, string] => [r, r])];
  return [
    h('h1', {}, 'Images'),
    section('Open an image', note('Any image of the owner account, managed or not: describe compares the service with ECS now.'), openImage(app)),
    section('Managed images', h('div', { class: 'toolbar' }, select('Region', regions, regionId, (v) => ((regionId = v), render()))), list),
  ];
};

const SHARE_COLUMNS = [
  { title: 'Target', cell: (s: ConsoleShare) => h('code', {}, targetOf(s)) },
  { title: 'State', cell: (s: ConsoleShare) => badge(s.state) },
  { title: 'Origin', cell: (s: ConsoleShare) => s.origin },
  { title: 'Expires', cell: (s: ConsoleShare) => (s.expiresAt ? time(s.expiresAt) : 'never') },
  { title: 'Request', cell: (s: ConsoleShare) => s.requestId ?? '' },
  { title: 'Updated', cell: (s: ConsoleShare) => time(s.updatedAt) },
  { title: 'Last error', cell: (s: ConsoleShare) => s.lastError ?? '' },
];

function shares(description: ConsoleImage): HTMLElement {
  if (description.shares.length === 0) return section('Shares', note('The service holds no live or pending share of this image.'));
  const byChannel = groupByChannelAndState(description.shares);
  return section(
    'Shares',
    [...byChannel].map(([channel, byState]) =>
      h(
        'div',
        { class: 'channel-group' },
        h('h3', {}, `${channel} channel`, ' ', h('span', { class: 'note' }, [...byState].map(([state, rows]) => `${state.replace(/_/g, ' ')} ${rows.length}`).join(' · '))),
        table(SHARE_COLUMNS, [...byState.values()].flat()),
      ),
    ),
  );
}

function drift(description: ConsoleImage): HTMLElement {
  if (description.public === null && description.drift.length === 0) return section('Drift', note('Not compared with ECS (the image is unknown to ECS, or the view is not live).'));
  if (description.drift.length === 0) return section('Drift', note('None: ECS and the service agree.'));
  return section(
    'Drift',
    table(
      [
        { title: 'Kind', cell: (d) => badge(d.kind) },
        { title: 'Channel', cell: (d) => channelOf(d) },
        { title: 'Target', cell: (d) => (targetOf(d) ? h('code', {}, targetOf(d)) : '') },
      ],
      description.drift,
    ),
  );
}

function pending(app: App, requests: readonly ConsoleRequest[]): HTMLElement {
  if (requests.length === 0) return section('Pending requests', note('None.'));
  return section(
    'Pending requests',
    table<ConsoleRequest>(
      [
        { title: 'Request', cell: (r) => h('code', {}, r.requestId) },
        { title: 'Requester', cell: (r) => r.requester },
        { title: 'Reason', cell: (r) => r.reason },
        { title: 'Targets', cell: (r) => targetsByChannel(r).map((c) => `${c.channel}: ${c.targets.join(', ')}`).join('; ') },
        { title: 'Waiting', cell: (r) => age(r.createdAt, app.now()) },
      ],
      requests,
    ),
    h('p', {}, h('a', { href: '#/queue' }, 'To the approval queue')),
  );
}

function auditTrail(app: App, regionId: string, imageId: string): HTMLElement {
  return section(
    'Audit trail',
    pagedTable<AuditEvent & { target?: string }>({
      columns: [
        { title: 'When', cell: (e) => time(e.at) },
        { title: 'Who', cell: (e) => e.principal },
        { title: 'Action', cell: (e) => h('code', {}, e.action) },
        { title: 'Target', cell: (e) => e.target ?? e.accountId ?? '' },
        { title: 'Change', cell: (e) => (e.before || e.after ? `${e.before ?? '∅'} → ${e.after ?? '∅'}` : '') },
        { title: 'Reason', cell: (e) => e.reason ?? '' },
        { title: 'Ticket', cell: (e) => e.ticket ?? '' },
        { title: 'Detail', cell: (e) => e.detail ?? '' },
        { title: 'Request', cell: (e) => e.shareRequestId ?? '' },
      ],
      load: (cursor) => app.api.get<Page<AuditEvent>>(`v1/images/${encodeURIComponent(regionId)}/${encodeURIComponent(imageId)}/events`, { limit: 20, cursor }),
      empty: 'Nothing has happened to this image through the service yet.',
      more: 'Older events',
    }),
  );
}

export const imageView: View = async (app, [regionId = '', imageId = '']) => {
  let description: ConsoleImage;
  try {
    description = await app.api.get<ConsoleImage>(`v1/images/${encodeURIComponent(regionId)}/${encodeURIComponent(imageId)}`);
  } catch (err) {
    return [h('h1', {}, imageId), problem(err)];
  }
  const { image, quota, directoryQuota } = description;
  const d = image.deletion;
  return [
    h('h1', {}, image.imageName ?? image.imageId),
    h(
      'p',
      { class: 'subtitle' },
      h('code', {}, image.imageId),
      ` · ${image.regionId} · `,
      badge(image.lifecycle),
      ' ',
      badge(image.managed ? 'managed' : 'unmanaged'),
      image.ecs ? [' ', `ECS: ${image.ecs.kind}, ${image.ecs.status}`] : ' ECS does not list it',
      description.public ? [' ', badge('public')] : null,
    ),
    h(
      'div',
      { class: 'columns' },
      section('Quota', quotaGauge(quota.used, quota.limit, quotaText(quota.used, quota.limit))),
      section('Directory quota', quotaGauge(directoryQuota.used, directoryQuota.limit, quotaText(directoryQuota.used, directoryQuota.limit, 'directory target'), 'Directory target quota')),
      section(
        'Deletion',
        facts([
          ['Status', badge(d.status)],
          ['Mode', d.mode ?? ''],
          ['Remaining shares', d.remaining === undefined ? '' : String(d.remaining)],
          ['Asked by', d.requestedBy ? [d.requestedBy, ' ', time(d.requestedAt)] : ''],
          ['Reason', d.reason ?? ''],
          ['Last error', d.lastError ?? ''],
        ]),
      ),
    ),
    shares(description),
    drift(description),
    pending(app, description.pendingRequests),
    auditTrail(app, image.regionId, image.imageId),
  ];
};
