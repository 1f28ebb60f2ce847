// The tickets behind an analytics figure or a hotspot: #/list?src=/v1/tickets?...

import { ApiError, call } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { ticketList } from '../tickets.js';
import { live, refresh } from '../ui.js';

export function render({ root, params }) {
  const src = params.get('src') || '';
  if (!src.startsWith('/v1/tickets?')) throw new ApiError(404, src);
  const total = h('p', { class: 'hint' });
  const list = h('div');
  root.append(h('h2', { text: t('list.drill') }), total, list);
  return live(async () => {
    const page = await call(`${src}&limit=100`);
    total.textContent = t('list.total', { n: page.total ?? page.items.length });
    refresh(list, page.items, ticketList);
  }, 10000);
}
