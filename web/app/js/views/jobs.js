// The technician's jobs and the claim pool (抢单): a lost claim is told kindly.

import { call, query } from '../api.js';
import { h } from '../dom.js';
import { code, t } from '../i18n.js';
import { ticketList } from '../tickets.js';
import { attempt, countdown, live, loader, notify, refresh } from '../ui.js';

function offers(items, reload) {
  if (!items.length) return h('p', { class: 'empty', text: t('jobs.pool_empty') });
  return h(
    'ul',
    { class: 'tickets', 'data-testid': 'claim-pool' },
    items.map((offer) => {
      const s = offer.summary;
      const claim = h('button', {
        type: 'button',
        class: 'primary',
        text: t('jobs.claim'),
        'data-testid': 'claim',
        onclick: () =>
          attempt(claim, async () => {
            try {
              await call(`/v1/dispatch/offers/${offer.ticket_id}/claim`, { method: 'POST' });
              notify(t('jobs.claimed', { title: s.title }));
            } catch (error) {
              if (error.status !== 409) throw error;
              notify(t('jobs.lost'), 'error');
            }
            await reload();
          }),
      });
      return h(
        'li',
        { class: 'ticket', 'data-ticket-id': offer.ticket_id },
        h('span', { class: 'title', text: s.title }),
        h(
          'div',
          { class: 'meta' },
          h('span', { class: 'num', text: s.number }),
          h('span', { text: `${s.priority} · ${code('category', s.category)} · ${s.building} ${s.floor}F` }),
          countdown({ class: 'due' }, offer.expires_at),
        ),
        claim,
      );
    }),
  );
}

export function render({ root, me }) {
  const mine = h('div');
  const pool = h('div');
  root.append(h('h2', { text: t('jobs.mine') }), mine, h('h2', { text: t('jobs.pool') }), pool);
  const open = query({ assignee: me.username, status: ['assigned', 'in_progress'], limit: 100 });
  const load = loader(
    () => Promise.all([call(`/v1/tickets${open}`), call('/v1/dispatch/offers')]),
    ([jobs, offered]) => {
      refresh(mine, jobs.items, ticketList);
      refresh(pool, offered.items, (items) => offers(items, load));
    },
  );
  return live(load, 4000);
}
