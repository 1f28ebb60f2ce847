// The desk's queue: every ticket of the site with filters, newest first, kept current.

import { call, query } from '../api.js';
import { field, h, select } from '../dom.js';
import { code, codes, lang, t } from '../i18n.js';
import { dueDate, ticketList } from '../tickets.js';
import { live, loader, refresh } from '../ui.js';

const OPEN = ['submitted', 'accepted', 'assigned', 'in_progress', 'resolved', 'awaiting_rating'];
const HOUR_MS = 3600 * 1000;

function atRisk(ticket) {
  const due = dueDate(ticket);
  return ticket.sla?.breached || (due && Date.parse(due) - Date.now() < HOUR_MS);
}

export async function render({ root, me }) {
  const site = await call(`/v1/sites/${encodeURIComponent(me.site)}`).catch(() => ({ buildings: [] }));
  const any = ['', t('queue.any')];
  const choices = (group) => [any, ...codes(group).map((c) => [c, code(group, c)])];
  const filters = {
    status: select({ name: 'status' }, [['open', t('queue.open')], any, ...codes('status').map((c) => [c, code('status', c)])], 'open'),
    priority: select({ name: 'priority' }, choices('priority')),
    building: select({ name: 'building' }, [any, ...site.buildings.map((b) => [b.code, `${b.code} ${(lang() === 'zh' ? b.name : b.name_en) || ''}`])]),
    category: select({ name: 'category' }, choices('category')),
    source: select({ name: 'source' }, choices('source')),
  };
  const risky = h('input', { type: 'checkbox', name: 'at_risk' });
  const list = h('div');
  const load = loader(
    () => {
      const values = Object.fromEntries(Object.entries(filters).map(([k, el]) => [k, el.value]));
      values.status = values.status === 'open' ? OPEN : values.status;
      return call(`/v1/tickets${query({ ...values, limit: 100 })}`);
    },
    (page) => refresh(list, page.items.filter((tk) => !risky.checked || atRisk(tk)), ticketList),
  );
  const form = h(
    'form',
    { class: 'filters', 'aria-label': t('queue.filters'), onchange: load, onsubmit: (e) => e.preventDefault() },
    Object.entries(filters).map(([name, el]) => field(t(`queue.${name}`), el)),
    h('label', { class: 'check' }, risky, ` ${t('queue.at_risk')}`),
  );
  root.append(h('h2', { text: t('queue.heading') }), form, list);
  return live(load, 4000);
}
