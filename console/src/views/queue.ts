// The approval queue: every pending request with what an approver needs to decide — who asks, why,
// for which ticket, for whom per channel, until when, and how long it has waited — and, for the roles
// that may, Approve and Reject with a comment. A refusal (one's own request, a policy that changed)
// is shown in the service's words.
import type { App, View } from '../app.js';
import { h, link, show } from '../dom.js';
import { age, targetsByChannel, until } from '../format.js';
import type { ConsoleRequest, ConsoleShare, Page } from '../types.js';
import { badge, button, facts, note, problem, time } from '../ui.js';

interface Decision {
  readonly request: ConsoleRequest;
  readonly shares?: readonly ConsoleShare[];
}

function outcomeText(d: Decision): string {
  const r = d.request;
  if (r.status === 'rejected') return 'Rejected: the reserved quota is released.';
  const shares = (d.shares ?? []).map((s) => `${s.target ?? s.accountId} (${s.state})`).join(', ');
  return `${r.status === 'applied' ? 'Approved and applied' : `Approved: ${r.status.replace(/_/g, ' ')}`}${shares ? `: ${shares}` : ''}.`;
}

function requestCard(app: App, r: ConsoleRequest): HTMLElement {
  const outcome = h('div', { class: 'outcome', 'aria-live': 'polite' });
  const card = h(
    'article',
    { class: 'card', 'data-request-id': r.requestId },
    h('header', {}, h('a', { href: link('images', r.regionId, r.imageId) }, `${r.regionId} / ${r.imageId}`), badge(r.status)),
    facts([
      ['Requester', r.requester],
      ['Reason', r.reason],
      ['Ticket', r.ticket ?? ''],
      ['Targets', h('ul', { class: 'plain' }, targetsByChannel(r).map((c) => h('li', {}, h('span', { class: 'channel' }, c.channel), ' ', c.targets.join(', '))))],
      ['Shares expire', r.shareExpiresAt ? time(r.shareExpiresAt) : 'never'],
      ['Waiting', age(r.createdAt, app.now())],
      ['Undecided, expires', [until(r.pendingUntil, app.now()), ' (', time(r.pendingUntil), ')']],
      ['Request', h('code', {}, r.requestId)],
    ]),
  );
  const canApprove = app.may('approveShareRequest');
  const canReject = app.may('rejectShareRequest');
  if (canApprove || canReject) {
    const comment = h('textarea', { rows: 2, name: 'comment', placeholder: 'Comment (a rejection needs one)' });
    const buttons: HTMLButtonElement[] = [];
    const decide = async (action: 'approve' | 'reject'): Promise<void> => {
      for (const b of buttons) b.disabled = true;
      show(outcome, note('Sending…'));
      try {
        const body = action === 'reject' || comment.value !== '' ? { comment: comment.value } : {};
        const decision = await app.api.post<Decision>(`v1/share-requests/${encodeURIComponent(r.requestId)}/${action}`, body);
        actions.remove();
        card.classList.add('decided');
        show(outcome, h('p', { class: 'success', role: 'status' }, outcomeText(decision)));
      } catch (err) {
        show(outcome, problem(err));
        for (const b of buttons) b.disabled = false;
      }
    };
    if (canApprove) buttons.push(button('Approve', () => decide('approve'), 'primary'));
    if (canReject) buttons.push(button('Reject', () => decide('reject'), 'danger'));
    const actions = h('div', { class: 'actions' }, h('label', { class: 'field grow' }, h('span', {}, 'Comment'), comment), h('div', { class: 'buttons' }, buttons));
    card.appendChild(actions);
  }
  card.appendChild(outcome);
  return card;
}

export const queueView: View = async (app) => {
  const cards = h('div', { class: 'cards' });
  const footer = h('div', { class: 'paged-footer' });
  const load = async (cursor?: string): Promise<void> => {
    const page = await app.api.get<Page<ConsoleRequest>>('v1/share-requests', { status: 'pending_approval', limit: 20, cursor });
    for (const r of page.items) cards.appendChild(requestCard(app, r));
    if (cards.childElementCount === 0) show(cards, note('No request is waiting for approval.'));
    show(footer, page.nextCursor ? button('More requests', () => load(page.nextCursor).catch((e: unknown) => show(footer, problem(e)))) : null);
  };
  await load();
  const readOnly = !app.may('approveShareRequest') && !app.may('rejectShareRequest');
  return [
    h('h1', {}, 'Approval queue'),
    note(readOnly ? 'Requests waiting for an approver, newest first. Your roles can read them, not decide them.' : 'Requests waiting for an approver, newest first. Nobody approves their own request.'),
    cards,
    footer,
  ];
};
