// How tickets look wherever they are listed: ticket-list, one ticket-row per ticket, its
// ticket-status, and the SLA countdown of open ones.

import { call } from './api.js';
import { h } from './dom.js';
import { code, dateTime, t } from './i18n.js';
import { countdown } from './ui.js';

export function statusBadge(ticket) {
  return h('span', {
    class: `status s-${ticket.status}`,
    'data-testid': 'ticket-status',
    'data-status': ticket.status,
    text: code('status', ticket.status),
  });
}

/** The deadline that matters now: responding until work starts, then resolving. */
export function dueDate(ticket) {
  if (!ticket.sla) return null;
  if (['submitted', 'accepted', 'assigned'].includes(ticket.status)) return ticket.sla.respond_by;
  if (ticket.status === 'in_progress' && !ticket.waiting_reason) return ticket.sla.resolve_by;
  return null;
}

export function place(location) {
  return [location.building, location.floor && `${location.floor}F`, location.unit]
    .filter(Boolean)
    .join(' · ');
}

function row(ticket) {
  const due = dueDate(ticket);
  return h(
    'li',
    { class: 'ticket', 'data-testid': 'ticket-row', 'data-ticket-id': ticket.id },
    h(
      'a',
      { href: `#/ticket/${ticket.id}` },
      h('span', { class: 'title', text: ticket.title }),
      h('span', { class: 'num', text: ticket.number }),
    ),
    h(
      'div',
      { class: 'meta' },
      statusBadge(ticket),
      h('span', { text: `${ticket.priority} · ${code('kind', ticket.kind)} · ${code('category', ticket.category)}` }),
      h('span', { text: place(ticket.location) }),
      h('time', { datetime: ticket.created_at, text: dateTime(ticket.created_at) }),
      due && countdown({ class: 'due' }, due),
      ticket.sla?.breached && h('span', { class: 'late', text: t('ticket.breached') }),
    ),
  );
}

export function ticketList(items) {
  return [
    h('ul', { class: 'tickets', 'data-testid': 'ticket-list' }, items.map(row)),
    items.length ? null : h('p', { class: 'empty', text: t('list.empty') }),
  ];
}

/** A file input for photos: the phone offers its camera. */
export function photoInput(testid) {
  return h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, 'data-testid': testid });
}

/** Attach each chosen photo to the ticket, one request each. */
export async function uploadPhotos(ticketId, input) {
  for (const file of input.files) {
    const body = new FormData();
    body.append('file', file, file.name);
    await call(`/v1/tickets/${ticketId}/attachments`, { method: 'POST', body });
  }
}
