// The people of the site (admins see everyone): role, sites or units, language, state.

import { call } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

function places(user) {
  return [...user.sites, ...user.units.map((u) => `${u.site}/${u.building}/${u.floor}/${u.unit}`)].join(', ');
}

export async function render({ root }) {
  const { items } = await call('/v1/users?limit=500');
  const head = ['people.username', 'people.name', 'people.role', 'people.places', 'people.locale'];
  root.append(
    h('h2', { text: t('people.heading') }),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'grid', 'data-testid': 'people-table' },
        h('thead', {}, h('tr', {}, head.map((key) => h('th', { scope: 'col', text: t(key) })))),
        h(
          'tbody',
          {},
          items.map((u) =>
            h(
              'tr',
              { class: u.disabled ? 'disabled' : null },
              h('th', { scope: 'row', text: u.username }),
              h('td', { text: u.display_name }),
              h('td', { text: t(`people.role.${u.role}`) }),
              h('td', { text: places(u) }),
              h('td', { text: u.locale }),
            ),
          ),
        ),
      ),
    ),
  );
}
