// What every view shares: messages to the user, buttons that call the API, live polling
// and the SLA countdowns.

import { fill } from './dom.js';
import { duration, t } from './i18n.js';

/** Show a message in the page's live region (errors are announced at once). */
export function notify(text, kind = 'info') {
  const box = document.getElementById('notice');
  box.className = `notice ${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.textContent = text;
  box.hidden = !text;
}

/** Run `fn` with `button` disabled; an error goes to the user, not to the console. */
export async function attempt(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (error) {
    notify(error.message, 'error');
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

let generation = 0;

/** Forget the current view's timers (called on every route change). */
export function newView() {
  generation += 1;
  notify('');
}

/** Call `fn` now and every `ms` while the view that asked is shown and the tab is visible;
 * errors are shown, and the polling goes on. */
export function live(fn, ms) {
  const mine = generation;
  const tick = async () => {
    if (mine !== generation) return;
    if (!document.hidden) {
      try {
        await fn();
      } catch (error) {
        notify(error.message, 'error');
      }
    }
    if (mine === generation) setTimeout(tick, ms);
  };
  return tick();
}

/** An element that counts down to `iso` ("2 h left", "overdue by 5 min"), kept current by
 * the ticker below. */
export function countdown(attrs, iso) {
  const el = document.createElement('span');
  Object.entries(attrs).forEach(([k, v]) => el.setAttribute(k, v));
  el.dataset.due = iso;
  showDue(el);
  return el;
}

function showDue(el) {
  const left = (Date.parse(el.dataset.due) - Date.now()) / 1000;
  el.textContent = left >= 0 ? t('ticket.left', { t: duration(left) }) : t('ticket.overdue', { t: duration(left) });
  el.classList.toggle('late', left < 0);
}

setInterval(() => document.querySelectorAll('[data-due]').forEach(showDue), 1000);

/** Replace `el`'s content with `render(data)` only when the data changed, so that polling
 * neither flickers nor moves the keyboard focus. */
export function refresh(el, data, render) {
  const stamp = JSON.stringify(data);
  if (el.dataset.stamp === stamp) return;
  el.dataset.stamp = stamp;
  fill(el, render(data));
}

/** A loader that fetches with `get` and shows the answer with `show`, dropping an answer a
 * later call has overtaken (a poll and a click can overlap). */
export function loader(get, show) {
  let asked = 0;
  return async () => {
    asked += 1;
    const mine = asked;
    const data = await get();
    if (mine === asked) show(data);
  };
}
