// The tenant's tickets, newest first, kept current by polling.

import { call } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { ticketList } from '../tickets.js';
import { live, refresh } from '../ui.js';

export function render({ root }) {
  const list = h('div');
  root.append(h('h2', { text: t('list.heading.tenant') }), list);
  return live(async () => refresh(list, (await call('/v1/tickets?limit=50')).items, ticketList), 4000);
}
