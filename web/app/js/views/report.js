// A tenant reports a repair, complaint or inquiry, with photos.

import { call } from '../api.js';
import { field, h, select } from '../dom.js';
import { code, codes, t } from '../i18n.js';
import { go } from '../main.js';
import { photoInput, uploadPhotos } from '../tickets.js';
import { attempt, notify } from '../ui.js';
import { answers } from './answers.js';

const KINDS = ['repair', 'complaint', 'inquiry'];

function key() {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export async function render({ root, me }) {
  const user = await call(`/v1/users/${encodeURIComponent(me.username)}`);
  if (!user.units.length) {
    root.append(h('p', { class: 'empty', text: t('new.no_unit') }));
    return;
  }
  const units = user.units.map((u, i) => [String(i), [u.building, `${u.floor}F`, u.unit].join(' · ')]);
  const kind = select({ name: 'kind' }, KINDS.map((k) => [k, code('kind', k)]));
  // Empty: triage picks the category from the title and description.
  const category = select({ name: 'category' }, [...codes('category').map((c) => [c, code('category', c)]), ['', t('new.category_auto')]]);
  const unit = select({ name: 'unit' }, units);
  const title = h('input', { name: 'title', required: true, maxLength: 200, 'data-testid': 'ticket-title' });
  const description = h('textarea', { name: 'description', rows: 4, maxLength: 5000, 'data-testid': 'ticket-description' });
  const photos = photoInput('ticket-photos');
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'ticket-submit', text: t('new.submit') });
  const idempotency = key();
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: (event) => {
        event.preventDefault();
        attempt(submit, async () => {
          notify(t('new.sending'));
          const where = user.units[Number(unit.value)];
          const ticket = await call('/v1/tickets', {
            method: 'POST',
            json: {
              kind: kind.value,
              category: category.value || undefined,
              title: title.value.trim(),
              description: description.value.trim(),
              location: { site: where.site, building: where.building, floor: where.floor, unit: where.unit },
              channel: 'web',
            },
            headers: { 'Idempotency-Key': idempotency },
          });
          await uploadPhotos(ticket.id, photos);
          go(`ticket/${ticket.id}`);
        });
      },
    },
    h('h2', { text: t('new.heading') }),
    field(t('new.kind'), kind),
    field(t('new.category'), category),
    field(t('new.unit'), unit),
    field(t('new.title'), title),
    answers(title, kind, user.units[0].site),
    field(t('new.description'), description),
    field(t('new.photos'), photos),
    submit,
  );
  root.append(form);
}
