// The shell: sign-in state, the navigation each role gets, the language switch and the
// hash router (#/ticket/ID) that shows one view at a time.

import { call, session, signOut } from './api.js';
import { h, fill } from './dom.js';
import { LANGS, lang, setLang, t } from './i18n.js';
import { newView, notify } from './ui.js';

const VIEWS = {
  login: () => import('./views/login.js'),
  tickets: () => import('./views/tenant.js'),
  new: () => import('./views/report.js'),
  ticket: () => import('./views/ticket.js'),
  jobs: () => import('./views/jobs.js'),
  queue: () => import('./views/queue.js'),
  list: () => import('./views/drill.js'),
  planner: () => import('./views/planner.js'),
  inbox: () => import('./views/inbox.js'),
  devices: () => import('./views/devices.js'),
  people: () => import('./views/people.js'),
  import: () => import('./views/imports.js'),
};

const MENUS = {
  tenant: ['tickets', 'new', 'inbox'],
  technician: ['jobs', 'inbox'],
  dispatcher: ['queue', 'devices', 'inbox'],
  supervisor: ['queue', 'planner', 'devices', 'people', 'inbox'],
  planner: ['planner', 'devices', 'inbox'],
  admin: ['queue', 'planner', 'devices', 'people', 'import', 'inbox'],
};

let message = '';

/** Show the view at `path`, with `note` for the user once it is there. */
export function go(path, note = '') {
  message = note;
  location.hash = `#/${path}`;
}

function route() {
  const [path, search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, ...rest] = path.split('/');
  return { name, arg: decodeURIComponent(rest.join('/')), params: new URLSearchParams(search) };
}

function nav(me, current) {
  const links = (MENUS[me.role] || []).map((name) =>
    h('a', {
      href: `#/${name}`,
      'aria-current': name === current ? 'page' : null,
      'data-testid': name === 'new' ? 'new-ticket' : `nav-${name}`,
      text: t(`nav.${name}`),
    }),
  );
  return [
    ...links,
    h('span', { class: 'who', text: me.username }),
    h('button', {
      type: 'button',
      class: 'link',
      text: t('nav.signout'),
      onclick: () => {
        signOut();
        go('login');
      },
    }),
  ];
}

async function unread(me) {
  const link = document.querySelector('[data-testid="nav-inbox"]');
  if (!link || !me) return;
  const inbox = await call('/v1/notifications?unread=true&limit=1').catch(() => null);
  const n = inbox?.unread_count || 0;
  link.textContent = t('nav.inbox');
  if (n) link.append(' ', h('span', { class: 'badge', text: String(n), 'aria-label': t('nav.unread', { n }) }));
}

let shown = 0;

/** Show the view the hash names. A view is drawn apart and put in place only if no later
 * navigation (or language switch) has started meanwhile. */
async function show() {
  shown += 1;
  const mine = shown;
  newView();
  notify(message);
  message = '';
  const me = session();
  const { name, arg, params } = route();
  if (!me && name !== 'login') return go('login');
  if (me && (name === 'login' || !VIEWS[name])) return go(MENUS[me.role]?.[0] || 'inbox');
  fill(document.getElementById('nav'), me ? nav(me, name) : []);
  document.getElementById('nav').setAttribute('aria-label', t('nav.menu'));
  document.getElementById('app-title').textContent = t('app.title');
  document.querySelector('.skip').textContent = t('app.skip');
  document.getElementById('lang-label').textContent = t('lang.label');
  const root = h('div');
  try {
    const view = await VIEWS[name]();
    await view.render({ root, me, arg, params });
  } catch (error) {
    if (mine === shown) notify(error.message, 'error');
  }
  if (mine !== shown) return;
  const main = fill(document.getElementById('main'), root);
  (main.querySelector('[autofocus]') || main).focus({ preventScroll: true });
  unread(me);
}

function start() {
  const picker = document.getElementById('lang');
  fill(picker, Object.entries(LANGS).map(([value, text]) => h('option', { value, text })));
  picker.value = lang();
  setLang(lang());
  picker.addEventListener('change', () => {
    setLang(picker.value);
    show();
  });
  window.addEventListener('hashchange', show);
  window.addEventListener('signed-out', () => go('login'));
  setInterval(() => unread(session()), 15000);
  show();
}

start();
