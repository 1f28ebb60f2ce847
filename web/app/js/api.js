// The one place that talks to the REST API: the bearer token, the language header and the
// errors (an ApiError carries the API's problem+json detail and a title in the user's
// language).

import { lang, t } from './i18n.js';

const TOKEN = 'maint.token';

export class ApiError extends Error {
  constructor(status, detail, body = null) {
    const known = [401, 403, 404, 409, 413, 422, 429, 503].includes(status);
    const title = status === 0 ? t('error.network') : t(known ? `error.${status}` : 'error.other');
    super(detail ? t('error.detail', { title, detail }) : title);
    this.status = status;
    this.detail = detail;
    this.body = body;
  }
}

/** Who is signed in (from the token's claims: sub, role, site, unit), or null. */
export function session() {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) return null;
  try {
    const claims = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    if (claims.exp * 1000 < Date.now()) return null;
    return { username: claims.sub, role: claims.role, site: claims.site, unit: claims.unit };
  } catch {
    return null;
  }
}

export async function signIn(username, password) {
  const reply = await call('/v1/auth/token', {
    method: 'POST',
    body: new URLSearchParams({ username, password }),
  });
  sessionStorage.setItem(TOKEN, reply.access_token);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN);
}

async function send(path, { method = 'GET', json, body, headers: extra = {} } = {}) {
  const headers = { Accept: 'application/json', 'Accept-Language': lang() === 'zh' ? 'zh-CN' : 'en', ...extra };
  const token = sessionStorage.getItem(TOKEN);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  let reply;
  try {
    reply = await fetch(path, { method, headers, body });
  } catch {
    throw new ApiError(0, '');
  }
  if (reply.ok) return reply;
  const problem = await reply.json().catch(() => ({}));
  if (reply.status === 401 && token) {
    signOut();
    window.dispatchEvent(new Event('signed-out'));
  }
  throw new ApiError(reply.status, problem.detail || reply.statusText, problem);
}

/** The JSON answer of a call (null for 204); throws ApiError. */
export async function call(path, options) {
  const reply = await send(path, options);
  return reply.status === 204 ? null : reply.json();
}

/** An object URL for a protected file (an attachment), for <img src>. */
export async function blobUrl(path) {
  const reply = await send(path);
  return URL.createObjectURL(await reply.blob());
}

/** A query string from an object; arrays repeat their key, empty values are left out. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of [value].flat()) if (v !== '' && v !== undefined && v !== null) q.append(key, v);
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}
