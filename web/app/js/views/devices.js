// The site's sensors: where they are, whether they are online, what they last said.

import { call, query } from '../api.js';
import { field, h, select } from '../dom.js';
import { dateTime, t } from '../i18n.js';
import { place } from '../tickets.js';
import { live, loader, refresh } from '../ui.js';

const KINDS = ['leak', 'power', 'elevator'];

function table(devices) {
  if (!devices.length) return h('p', { class: 'empty', text: t('devices.empty') });
  const head = ['devices.id', 'devices.kind', 'ticket.where', 'devices.state', 'devices.last_seen', 'devices.values'];
  return h(
    'table',
    { class: 'grid compact', 'data-testid': 'device-table' },
    h('thead', {}, h('tr', {}, head.map((key) => h('th', { scope: 'col', text: t(key) })))),
    h(
      'tbody',
      {},
      devices.map((d) =>
        h(
          'tr',
          { 'data-device-id': d.device_id },
          h('th', { scope: 'row', text: d.device_id }),
          h('td', { text: t(`devices.kind.${d.kind}`) }),
          h('td', { text: place(d.location) }),
          h('td', { class: d.online ? 'online' : 'late', text: t(d.online ? 'devices.online' : 'devices.offline') }),
          h('td', { text: d.last_seen_at ? dateTime(d.last_seen_at) : '–' }),
          h('td', { text: Object.entries(d.last_values).map(([k, v]) => `${k} ${v}`).join(' · ') || '–' }),
        ),
      ),
    ),
  );
}

export function render({ root }) {
  const kind = select({ name: 'kind' }, [['', t('queue.any')], ...KINDS.map((k) => [k, t(`devices.kind.${k}`)])]);
  const list = h('div', { class: 'scroll' });
  const load = loader(
    () => call(`/v1/devices${query({ kind: kind.value, limit: 500 })}`),
    (page) => refresh(list, page.items, table),
  );
  kind.addEventListener('change', load);
  root.append(h('h2', { text: t('devices.heading') }), h('div', { class: 'filters' }, field(t('devices.kind'), kind)), list);
  return live(load, 10000);
}
