// The in-app notifications, newest first.

import { call } from '../api.js';
import { h } from '../dom.js';
import { dateTime, t } from '../i18n.js';
import { attempt, live, refresh } from '../ui.js';

function item(n) {
  return h(
    'li',
    { class: n.read_at ? 'read' : 'unread' },
    h('a', { href: `#/ticket/${n.ticket_id}` }, h('strong', { text: n.title })),
    h('p', { text: n.body }),
    h('time', { datetime: n.created_at, text: `${n.ticket_number} · ${dateTime(n.created_at)}` }),
  );
}

export function render({ root }) {
  const list = h('div');
  const load = async () => {
    const inbox = await call('/v1/notifications?limit=50');
    refresh(list, inbox.items, (items) =>
      items.length ? h('ul', { class: 'inbox' }, items.map(item)) : h('p', { class: 'empty', text: t('inbox.empty') }),
    );
  };
  const readAll = h('button', {
    type: 'button',
    text: t('inbox.read_all'),
    onclick: () => attempt(readAll, async () => {
      await call('/v1/notifications/read', { method: 'POST', json: { all: true } });
      await load();
    }),
  });
  root.append(h('h2', { text: t('inbox.heading') }), readAll, list);
  return live(load, 10000);
}
