#!/usr/bin/env node
// A NocoBase-style admin page (Settings → Email) on the Node kit, for a platform developer
// to copy: the OAuth client settings, mailboxes connected through the provider's consent
// page, their IMAP/SMTP checks, a test message and the disconnection. node:http only.
//
//   node examples/node/admin/server.mjs --port 8080 [--allow-loopback] [--ca-file PEM]
//        [--data-dir DIR] [--public-url URL]
//
// Listens on 127.0.0.1 only. Put it behind the platform's own admin login: the page
// trusts whoever holds its session cookie.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { AdminApp } from './app.mjs';
import { Store, StoreError } from './store.mjs';
import { errorPage, page } from './views.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = '/admin/settings/mail';
const CALLBACK = `${BASE}/oauth2`;
const COOKIE = 'mail_oauth_admin';
const SESSION_TTL_MS = 12 * 3600 * 1000;
const MAX_SESSIONS = 200;
const MAX_FORM = 16 * 1024;

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    'allow-loopback': { type: 'boolean', default: false },
    'ca-file': { type: 'string' },
    'data-dir': { type: 'string', default: path.join(HERE, 'data') },
    'public-url': { type: 'string' },
  },
});
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('--port must be a TCP port');
  process.exit(2);
}
const wasm = process.env.MAIL_OAUTH_WASM ?? path.join(HERE, '../../../target/artifacts/mail_oauth_guest.wasm');

let store;
try {
  store = new Store(args['data-dir']);
} catch (error) {
  console.error(error instanceof StoreError ? `mail-oauth admin: ${error.message}` : error);
  process.exit(1);
}

const sessionKey = (id) => createHash('sha256').update(id).digest('base64url');
const sameText = (a, b) => typeof a === 'string' && typeof b === 'string' && a.length === b.length
  && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function cookieOf(req) {
  for (const part of (req.headers.cookie || '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === COOKIE) return part.slice(at + 1).trim();
  }
  return null;
}

/** The request's session, made when there is none (or it expired). */
function session(req, res) {
  const id = cookieOf(req);
  const now = Date.now();
  const found = id && store.read().sessions[sessionKey(id)];
  if (found && now - found.createdAt < SESSION_TTL_MS) return { key: sessionKey(id), ...found };
  const fresh = randomBytes(32).toString('base64url');
  const key = sessionKey(fresh);
  const record = { csrf: randomBytes(24).toString('base64url'), createdAt: now };
  store.update((data) => {
    for (const [k, s] of Object.entries(data.sessions)) if (now - s.createdAt >= SESSION_TTL_MS) delete data.sessions[k];
    const live = Object.entries(data.sessions).sort((a, b) => a[1].createdAt - b[1].createdAt);
    while (live.length >= MAX_SESSIONS) delete data.sessions[live.shift()[0]];
    data.sessions[key] = record;
  });
  res.setHeader('set-cookie', `${COOKIE}=${fresh}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_MS / 1000}`);
  return { key, ...record, fresh: true };
}

function setFlash(key, flash) {
  store.update((data) => { if (data.sessions[key]) data.sessions[key].flash = flash; });
}

function takeFlash(key) {
  const flash = store.read().sessions[key]?.flash;
  if (flash) store.update((data) => { delete data.sessions[key].flash; });
  return flash;
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'same-origin',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
    ...headers,
  });
  res.end(body);
}

const seeOther = (res, location) => send(res, 303, '', { location });

async function readForm(req) {
  const type = req.headers['content-type'] || '';
  if (!type.startsWith('application/x-www-form-urlencoded')) return null;
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_FORM) return null;
  }
  return new URLSearchParams(body);
}

const publicUrl = () => (args['public-url'] ?? `http://127.0.0.1:${server.address().port}`).replace(/\/$/, '');

let app;

async function route(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const s = session(req, res);
  if (req.method === 'GET' && (url.pathname === '/' || url.pathname === '/admin' || url.pathname === `${BASE}/`)) return seeOther(res, BASE);
  if (req.method === 'GET' && url.pathname === BASE) {
    const data = store.read();
    return send(res, 200, page({
      settings: data.settings, mailboxes: data.mailboxes, csrf: s.csrf, flash: takeFlash(s.key),
      callbackUrl: app.redirectUri, base: BASE,
    }));
  }
  if (req.method === 'GET' && url.pathname === CALLBACK) {
    // The query goes to the kit and the store, never back into a page or a URL.
    setFlash(s.key, s.fresh
      ? { kind: 'error', text: 'This callback does not match any authorization in progress in this browser. Nothing was changed: connect the mailbox again.' }
      : await app.callback(s.key, url.search.slice(1)));
    return seeOther(res, BASE);
  }
  if (req.method !== 'POST') return send(res, 404, errorPage(404, 'There is no such page.'));

  const form = await readForm(req);
  const origin = req.headers.origin;
  if (s.fresh || !form || !sameText(form.get('csrf'), s.csrf) || (origin && origin !== publicUrl() && origin !== `http://${req.headers.host}`)) {
    return send(res, 403, errorPage(403, 'This form has expired or did not come from this page: reload the page and try again. Nothing was changed.'));
  }
  const mailbox = (form.get('mailbox') || '').toLowerCase();
  let flash;
  switch (url.pathname) {
    case `${BASE}/settings`: flash = await app.save(form); break;
    case `${BASE}/connect`: {
      const begun = await app.connect(s.key, form);
      if (begun.redirect) return seeOther(res, begun.redirect);
      flash = begun.flash;
      break;
    }
    case `${BASE}/retry`: flash = await app.retry(s.key); break;
    case `${BASE}/test`: flash = await app.test(mailbox); break;
    case `${BASE}/send`: flash = await app.send(mailbox, form); break;
    case `${BASE}/disconnect`: flash = await app.disconnect(mailbox); break;
    default: return send(res, 404, errorPage(404, 'There is no such page.'));
  }
  setFlash(s.key, flash);
  return seeOther(res, BASE);
}

const server = http.createServer((req, res) => {
  route(req, res).catch((error) => {
    // Only the error's class and code: a message could hold a value.
    console.error(`mail-oauth admin: ${req.method} ${new URL(req.url, 'http://x').pathname}: ${error?.name ?? 'error'}${error?.code ? ` ${error.code}` : ''}`);
    try {
      if (res.headersSent) throw new Error('headers sent');
      send(res, 500, errorPage(500, 'Something went wrong on the server; nothing was changed. The server log has the details.'));
    } catch {
      res.destroy();
    }
  });
});

server.listen(port, '127.0.0.1', () => {
  app = new AdminApp({
    store, wasm, redirectUri: `${publicUrl()}${CALLBACK}`, allowLoopback: args['allow-loopback'], caFile: args['ca-file'] ?? null,
    log: (line) => console.log(`mail-oauth admin: ${line}`),
  });
  console.log(`listening on http://127.0.0.1:${server.address().port}/`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    app?.close().finally(() => process.exit(0));
  });
}
