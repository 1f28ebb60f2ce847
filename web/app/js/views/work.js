// What a person may do with a ticket now, by role and status: the tenant rates or cancels,
// the technician starts, pauses, resumes, resolves or declines, the desk accepts, assigns,
// approves and closes. The API decides; these only offer what it would allow.

import { call } from '../api.js';
import { field, h, select } from '../dom.js';
import { t } from '../i18n.js';
import { photoInput, uploadPhotos } from '../tickets.js';
import { attempt, notify } from '../ui.js';

const DESK = ['dispatcher', 'supervisor', 'admin'];
const OPEN = ['submitted', 'accepted', 'assigned', 'in_progress'];
const DONE = ['resolved', 'awaiting_rating'];

function doer(ticket, reload) {
  const move = (action, extra = {}) =>
    call(`/v1/tickets/${ticket.id}/transitions`, { method: 'POST', json: { action, ...extra } });
  const button = (label, run, attrs = {}) => {
    const b = h('button', {
      type: 'button',
      text: label,
      ...attrs,
      onclick: () =>
        attempt(b, async () => {
          await run(move);
          notify(t('act.done'));
          await reload();
        }),
    });
    return b;
  };
  return button;
}

function rating(ticket, reload) {
  const stars = h('div', { class: 'stars' });
  const radios = [1, 2, 3, 4, 5].map((n) => {
    const input = h('input', { type: 'radio', name: 'stars', value: n, required: true, 'data-testid': `rate-${n}` });
    stars.append(h('label', {}, input, h('span', { 'aria-hidden': 'true', text: '★' }), h('span', { class: 'sr', text: t('rate.star', { n }) })));
    return input;
  });
  stars.addEventListener('change', () => {
    const value = Number(radios.find((r) => r.checked)?.value || 0);
    stars.querySelectorAll('label').forEach((l, i) => l.classList.toggle('on', i < value));
  });
  const comment = h('textarea', { rows: 2, maxLength: 2000, 'data-testid': 'rate-comment' });
  const submit = h('button', { type: 'submit', class: 'primary', text: t('rate.submit'), 'data-testid': 'rate-submit' });
  return h(
    'form',
    {
      class: 'card',
      onsubmit: (event) => {
        event.preventDefault();
        attempt(submit, async () => {
          const chosen = radios.find((r) => r.checked);
          await call(`/v1/tickets/${ticket.id}/rating`, {
            method: 'POST',
            json: { stars: Number(chosen.value), comment: comment.value.trim() },
          });
          await reload();
        });
      },
    },
    h('h3', { text: t('rate.heading') }),
    h('fieldset', {}, h('legend', { text: t('rate.stars') }), stars),
    field(t('rate.comment'), comment),
    submit,
  );
}

function technician(ticket, button) {
  const parts = [];
  if (ticket.status === 'assigned') parts.push(button(t('act.start'), (move) => move('start'), { class: 'primary', 'data-testid': 'act-start' }));
  if (ticket.waiting_reason) parts.push(button(t('act.resume'), (move) => move('resume')));
  else {
    parts.push(button(t('act.pause_parts'), (move) => move('pause', { reason: 'waiting_parts' })));
    parts.push(button(t('act.pause_tenant'), (move) => move('pause', { reason: 'waiting_tenant' })));
  }
  const note = h('textarea', { rows: 3, maxLength: 2000, 'data-testid': 'resolve-note' });
  const cost = h('input', { type: 'number', min: 0, step: '0.01', inputMode: 'decimal' });
  const photos = photoInput('resolve-photos');
  const resolve = button(
    t('act.resolve'),
    async (move) => {
      await uploadPhotos(ticket.id, photos);
      await move('resolve', { note: note.value.trim(), cost_cents: Math.round(Number(cost.value || 0) * 100) });
    },
    { class: 'primary', 'data-testid': 'act-resolve' },
  );
  parts.push(h('div', { class: 'card' }, field(t('act.note'), note), field(t('act.cost'), cost), field(t('new.photos'), photos), resolve));
  if (ticket.status === 'assigned') {
    const reason = h('input', { maxLength: 500 });
    parts.push(h('div', { class: 'inline' }, field(t('act.decline_reason'), reason), button(t('act.decline'), (move) => move('decline', { reason: reason.value.trim() }))));
  }
  return parts;
}

function desk(ticket, me, button) {
  const parts = [];
  if (ticket.status === 'submitted') parts.push(button(t('act.accept'), (move) => move('accept')));
  if (OPEN.includes(ticket.status)) {
    const who = select({ 'data-testid': 'assignee' }, [['', '…']]);
    call('/v1/dispatch/technicians').then(({ items }) => {
      who.append(...items.map((p) => h('option', { value: p.username, text: `${p.display_name || p.username} (${p.username})` })));
      who.value = ticket.assignee || '';
    }, (error) => notify(error.message, 'error'));
    const label = ticket.assignee ? t('act.reassign') : t('act.assign');
    parts.push(h('div', { class: 'inline' }, field(t('act.assignee'), who), button(label, (move) => move('assign', { assignee: who.value }), { 'data-testid': 'act-assign' })));
  }
  if (ticket.approval_pending && me.role !== 'dispatcher') parts.push(button(t('act.approve'), (move) => move('approve')));
  if (DONE.includes(ticket.status)) parts.push(button(t('act.close'), (move) => move('close')));
  return parts;
}

/** The controls for `me` on `ticket`, or nothing. */
export function actions(ticket, me, reload) {
  const button = doer(ticket, reload);
  let parts = [];
  if (me.role === 'tenant') {
    if (ticket.status === 'awaiting_rating' && !ticket.approval_pending) parts.push(rating(ticket, reload));
    if (['submitted', 'accepted'].includes(ticket.status)) parts.push(button(t('act.cancel'), (move) => move('cancel')));
  } else if (me.role === 'technician' && ticket.assignee === me.username && ['assigned', 'in_progress'].includes(ticket.status)) {
    parts = technician(ticket, button);
  } else if (DESK.includes(me.role)) {
    parts = desk(ticket, me, button);
  }
  return parts.length ? [h('h3', { class: 'sr', text: t('act.heading') }), ...parts] : [];
}
