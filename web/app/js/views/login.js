import { signIn } from '../api.js';
import { field, h } from '../dom.js';
import { t } from '../i18n.js';
import { go } from '../main.js';
import { attempt } from '../ui.js';

export function render({ root }) {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true, 'data-testid': 'login-username' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'login-submit', text: t('login.submit') });
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: (event) => {
        event.preventDefault();
        attempt(submit, async () => {
          await signIn(username.value.trim(), password.value);
          go('');
        });
      },
    },
    h('h2', { text: t('login.heading') }),
    field(t('login.username'), username),
    field(t('login.password'), password),
    submit,
    h('p', { class: 'hint', text: t('login.hint') }),
  );
  root.append(form);
}
