// One ticket: what it is, its photos, its SLA clocks and its timeline, kept current by
// polling; below, what the signed-in person may do with it now.

import { blobUrl, call } from '../api.js';
import { h } from '../dom.js';
import { code, dateTime, t } from '../i18n.js';
import { place, statusBadge } from '../tickets.js';
import { countdown, live, loader, refresh } from '../ui.js';
import { actions } from './work.js';

function facts(ticket) {
  const open = !['resolved', 'awaiting_rating', 'closed', 'cancelled'].includes(ticket.status);
  const row = (label, ...value) => [h('dt', { text: label }), h('dd', {}, ...value)];
  return [
    h('h2', { text: ticket.title }),
    h('p', { class: 'meta' }, statusBadge(ticket), h('span', { class: 'num', text: ticket.number })),
    h(
      'dl',
      { class: 'facts' },
      row(t('ticket.priority'), `${code('priority', ticket.priority)} · ${code('kind', ticket.kind)} · ${code('category', ticket.category)}`),
      row(t('ticket.where'), place(ticket.location)),
      row(t('ticket.assignee'), ticket.assignee || t('ticket.nobody')),
      ticket.device_id && row(t('ticket.device'), ticket.device_id),
      Object.keys(ticket.attributes).length > 0 && row(t('ticket.details'), Object.entries(ticket.attributes).map(([k, v]) => `${k}: ${v}`).join(' · ')),
      open && ticket.sla?.respond_by && row(t('ticket.respond_by'), dateTime(ticket.sla.respond_by), ' ', countdown({ class: 'due' }, ticket.sla.respond_by)),
      open && ticket.sla?.resolve_by && row(t('ticket.resolve_by'), dateTime(ticket.sla.resolve_by), ' ', countdown({ class: 'due' }, ticket.sla.resolve_by)),
      ticket.cost_cents > 0 && row(t('ticket.cost'), `¥${(ticket.cost_cents / 100).toFixed(2)}`),
    ),
    ticket.sla?.breached && h('p', { class: 'late', text: t('ticket.breached') }),
    ticket.waiting_reason && h('p', { class: 'hint', text: t('ticket.waiting', { reason: code('waiting', ticket.waiting_reason) }) }),
    ticket.approval_pending && h('p', { class: 'hint', text: t('ticket.approval') }),
    ticket.description && h('p', { class: 'description', text: ticket.description }),
    ticket.rating && h('p', { class: 'rating', text: t('rate.done', { n: ticket.rating.stars, comment: ticket.rating.comment }) }),
  ];
}

function gallery(attachments) {
  if (!attachments.length) return [];
  const pictures = attachments.map((a) => {
    const img = h('img', { alt: a.filename, width: 160, height: 120, loading: 'lazy' });
    blobUrl(a.url).then((url) => (img.src = url)).catch(() => img.replaceWith(a.filename));
    return h('li', {}, img);
  });
  return [h('h3', { text: t('ticket.photos') }), h('ul', { class: 'photos' }, pictures)];
}

function timeline(events) {
  return [
    h('h3', { text: t('ticket.timeline') }),
    h(
      'ol',
      { class: 'timeline', 'data-testid': 'ticket-timeline' },
      events.map((e) =>
        h(
          'li',
          { 'data-event': e.type },
          h('time', { datetime: e.occurred_at, text: dateTime(e.occurred_at) }),
          h('strong', { text: code('event', e.type) }),
          h('span', { class: 'actor', text: e.actor }),
          e.note && h('p', { text: e.note }),
        ),
      ),
    ),
  ];
}

export function render({ root, me, arg: id }) {
  const head = h('section');
  const photos = h('section');
  const panel = h('section', { class: 'actions' });
  const history = h('section');
  root.append(
    h('button', { type: 'button', class: 'link', text: `← ${t('ticket.back')}`, onclick: () => window.history.back() }),
    head,
    panel,
    photos,
    history,
  );
  const load = loader(
    () => Promise.all([call(`/v1/tickets/${id}`), call(`/v1/tickets/${id}/events`)]),
    ([ticket, events]) => {
      refresh(head, ticket, facts);
      refresh(photos, ticket.attachments, gallery);
      refresh(history, events.items, timeline);
      const state = [ticket.status, ticket.assignee, ticket.waiting_reason, ticket.approval_pending, ticket.rating];
      refresh(panel, state, () => actions(ticket, me, load));
    },
  );
  return live(load, 3000);
}
