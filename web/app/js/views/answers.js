// Answers before tickets: while a tenant words an inquiry, the knowledge base's best
// articles for it, readable in place; "this answered my question" ends there.

import { call, query } from '../api.js';
import { h } from '../dom.js';
import { lang, t } from '../i18n.js';
import { go } from '../main.js';
import { attempt, notify } from '../ui.js';

const WAIT_MS = 400;

function localised(article) {
  const english = lang() === 'en' && article.title_en;
  return { title: english ? article.title_en : article.title, body: english ? article.body_en : article.body };
}

/** Markdown's **bold** as <strong>; the rest (lists, paragraphs) reads well as text. */
function markdown(text) {
  return text.split(/\*\*(.+?)\*\*/g).map((part, i) => (i % 2 ? h('strong', { text: part }) : part));
}

function answer(suggestion, question) {
  const text = h('div', { class: 'article' });
  const done = h('button', {
    type: 'button',
    class: 'primary',
    text: t('kb.answered'),
    'data-testid': 'kb-answered',
    onclick: () =>
      attempt(done, async () => {
        await call(`/v1/kb/articles/${suggestion.article_id}/answered`, { method: 'POST', json: { query: question() } });
        go('tickets', t('kb.glad'));
      }),
  });
  const item = h('details', { 'data-article-id': suggestion.article_id }, h('summary', { text: suggestion.title }), text, done);
  item.addEventListener('toggle', () => {
    if (!item.open || text.childElementCount) return;
    attempt(null, async () => {
      const { title, body } = localised(await call(`/v1/kb/articles/${suggestion.article_id}`));
      text.replaceChildren(h('h4', { text: title }), h('p', { class: 'description' }, markdown(body)));
    });
  });
  return item;
}

/** A section that lists the articles answering what `input` says while `kind` is an
 * inquiry, updated as the tenant types. */
export function answers(input, kind, site) {
  const box = h('section', { class: 'answers', 'aria-live': 'polite', 'data-testid': 'kb-suggestions', hidden: true });
  let timer;
  let asked = '';
  const look = async () => {
    const question = input.value.trim();
    if (kind.value !== 'inquiry' || question.length < 2) {
      box.hidden = true;
      return;
    }
    if (question === asked) return;
    asked = question;
    const { items } = await call(`/v1/kb/suggest${query({ q: question, site })}`);
    if (asked !== question) return;
    box.hidden = !items.length;
    box.replaceChildren(h('h3', { text: t('kb.heading') }), ...items.slice(0, 3).map((s) => answer(s, () => question)));
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(() => look().catch((error) => notify(error.message, 'error')), WAIT_MS);
  };
  input.addEventListener('input', later);
  kind.addEventListener('change', later);
  return box;
}
