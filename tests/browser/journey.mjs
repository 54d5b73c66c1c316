#!/usr/bin/env node
// The platform journey in a real browser: one admin app (examples/node/admin or
// examples/php/admin) driven end to end in Debian's headless Chromium against the loopback
// peers (tests/peers/up.sh), as tests/browser/CONTRACT.md describes the page.
//
//   node tests/browser/journey.mjs --app node|php [--out DIR]
//
// Settings → Save → Connect mailbox (the AS's login and consent pages) → Connected → Test
// connection → Send test message (read back over IMAP as the recipient) → Disconnect, and
// the failure paths: consent denied, a forged callback, the AS stopped during the callback
// and restarted (Try again), a grant revoked at the AS, a sender that is not the account, a
// POST without its CSRF field. Every HTML page, header, cookie and URL the browser saw is
// then searched for the client secret, the tokens and codes the AS issued (read from its
// state folder) and the states; the app's data folder for the tokens in plaintext. One
// screenshot per step goes to tests/browser/out/APP/ (git-ignored).

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

import { ImapFlow } from 'imapflow';
import puppeteer from 'puppeteer-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const PEERS = process.env.PEERS_ROOT ?? path.join(process.env.TMPDIR ?? os.tmpdir(), 'mail-oauth-peers');
const CA = path.join(PEERS, 'tls', 'ca.crt');
const AS = process.env.MAIL_OAUTH_AS ?? 'http://127.0.0.1:10090';
const AS_STATE = process.env.AS_STATE_DIR ?? path.join(PEERS, 'as-state');
const CLIENT_ID = 'mail-web';
const CLIENT_SECRET = 'mail-web-secret';
const PASSWORD = 'peers-password';
const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';
const IMAPS = 10993;

const APPS = {
  node: {
    settings: '/admin/settings/mail',
    callback: '/admin/settings/mail/oauth2',
    start: (port, dataDir) => ['node', [path.join(ROOT, 'examples/node/admin/server.mjs'), '--port', String(port),
      '--allow-loopback', '--ca-file', CA, '--data-dir', dataDir]],
  },
  php: {
    settings: '/front/oauthimap.php',
    callback: '/plugins/oauthimap/front/authorization.callback.php',
    start: (port, dataDir) => ['bash', [path.join(ROOT, 'examples/php/admin/serve.sh'), '--port', String(port),
      '--allow-loopback', '--ca-file', CA, '--data-dir', dataDir]],
  },
};

const { values: args } = parseArgs({ options: { app: { type: 'string' }, out: { type: 'string' } } });
const APP = APPS[args.app];
if (!APP) {
  console.error('usage: journey.mjs --app node|php [--out DIR]');
  process.exit(2);
}
const OUT = args.out ?? path.join(HERE, 'out', args.app);
fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });

// ------------------------------------------------------------------ processes

async function freePort() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the app and resolves once it printed its `listening on` line. */
async function startApp(port, dataDir) {
  const [cmd, argv] = APP.start(port, dataDir);
  const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const log = [];
  child.stderr.on('data', (d) => log.push(String(d)));
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      log.push(String(d));
      if (out.includes(`listening on http://127.0.0.1:${port}/`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the app exited (${code}) before listening:\n${log.join('')}`)));
    setTimeout(() => reject(new Error(`the app did not print its listening line in 120 s:\n${log.join('')}`)), 120_000).unref();
  });
  return { child, log };
}

const asPid = () => Number(fs.readFileSync(path.join(PEERS, 'run', 'as.pid'), 'utf8').trim());

/** Stops the peers' AS and returns once its process is gone (its port is closed). */
async function stopAs() {
  const pid = asPid();
  process.kill(pid, 'SIGTERM');
  await new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const check = () => {
      try {
        process.kill(pid, 0);
      } catch {
        resolve();
        return;
      }
      if (Date.now() > deadline) reject(new Error('the AS did not stop'));
      else setImmediate(check);
    };
    check();
  });
}

const startAs = () => promisify(execFile)('bash', [path.join(ROOT, 'tests/peers/up.sh'), '--as-only']);

// ------------------------------------------------------------------ what the browser saw

const seen = { pages: [], headers: [], urls: [], cookies: [] };

function watch(page) {
  page.on('request', (request) => seen.urls.push(request.url()));
  page.on('response', async (response) => {
    seen.headers.push({ url: response.url(), headers: response.headers() });
    if (response.request().resourceType() === 'document' && !(response.status() >= 300 && response.status() < 400)) {
      try {
        seen.pages.push({ url: response.url(), html: await response.text() });
      } catch { /* navigated away before the body was read: page.content() below has it */ }
    }
  });
}

async function snapshot(page, name) {
  seen.pages.push({ url: page.url(), html: await page.content() });
  const cdp = await page.createCDPSession();
  const { cookies } = await cdp.send('Network.getAllCookies');
  await cdp.detach();
  seen.cookies.push(...cookies.map((c) => ({ ...c, step: name })));
  await page.screenshot({ path: path.join(OUT, `${String(steps.length + 1).padStart(2, '0')}-${name}.png`), fullPage: true });
  steps.push(name);
}

const steps = [];

// ------------------------------------------------------------------ the page, by its labels

async function fieldByLabel(scope, text, nth = 0) {
  const handle = await scope.evaluateHandle((root, wanted, index) => {
    const labels = [...root.querySelectorAll('label')].filter((l) => l.textContent.trim() === wanted);
    const label = labels[index];
    return label ? (label.control ?? root.ownerDocument.getElementById(label.htmlFor)) : null;
  }, text, nth);
  const element = handle.asElement();
  assert.ok(element, `no field labelled "${text}" (#${nth + 1})`);
  return element;
}

async function fill(scope, label, value, nth = 0) {
  const element = await fieldByLabel(scope, label, nth);
  await element.evaluate((el) => { el.value = ''; });
  if (value) await element.type(value);
}

async function choose(scope, label, optionText, nth = 0) {
  const element = await fieldByLabel(scope, label, nth);
  const value = await element.evaluate((el, t) => [...el.options].find((o) => o.textContent.trim() === t)?.value, optionText);
  assert.ok(value !== undefined, `"${label}" has no option "${optionText}"`);
  await element.select(value);
}

async function button(scope, text) {
  const handle = await scope.evaluateHandle((root, wanted) => [...root.querySelectorAll('button, input[type=submit]')]
    .find((b) => (b.textContent || b.value).trim() === wanted) ?? null, text);
  const element = handle.asElement();
  assert.ok(element, `no button "${text}"`);
  return element;
}

async function click(page, scope, text) {
  await page.bringToFront(); // input goes to the page in front: other contexts open pages too
  const target = await button(scope, text);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), target.click()]);
}

const root = (page) => page.$('body');
const mailbox = (page, address) => page.$(`li.mailbox[data-address="${address}"]`);
const message = async (page) => (await page.$eval('#message', (el) => el.textContent.replace(/\s+/g, ' ').trim()).catch(() => ''));

async function expectMessage(page, ...phrases) {
  const text = await message(page);
  for (const phrase of phrases) {
    assert.ok(text.toLowerCase().includes(phrase.toLowerCase()), `#message should say "${phrase}"; it says: "${text}"`);
  }
  return text;
}

async function stateOf(page, address) {
  const li = await mailbox(page, address);
  return li ? li.$eval('.state', (el) => el.textContent.trim()) : null;
}

/** The AS's pages, as the user answers them: sign in as `who`, then Allow (or Deny). */
async function provider(page, who, { consent = 'Allow', beforeConsent } = {}) {
  for (let i = 0; i < 4; i += 1) {
    if (!page.url().startsWith(AS)) return;
    await page.bringToFront();
    const title = await page.waitForSelector('h1').then((h) => h.evaluate((el) => el.textContent.trim()));
    if (title === 'Sign in') {
      const body = await root(page);
      assert.equal(await (await fieldByLabel(body, 'Email')).evaluate((el) => el.value), who, 'the login hint prefills the e-mail');
      await fill(body, 'Password', PASSWORD);
      await snapshot(page, `as-login-${who.split('@')[0]}`);
      await click(page, body, 'Sign in');
    } else if (title === 'Allow access?') {
      await snapshot(page, `as-consent-${consent.toLowerCase()}`);
      if (beforeConsent) await beforeConsent();
      await click(page, await root(page), consent);
    } else {
      throw new Error(`unexpected page at the AS: ${page.url()} "${title}": ${(await page.$eval("body", (b) => b.textContent)).slice(0, 300)}`);
    }
  }
  throw new Error('the AS pages did not lead back to the app');
}

async function connect(page, who, options) {
  await fill(await root(page), 'E-mail address', who);
  await click(page, await root(page), 'Connect mailbox');
  assert.ok(page.url().startsWith(`${AS}/`), `Connect mailbox goes to the provider (at ${page.url()})`);
  await provider(page, who, options);
}

// ------------------------------------------------------------------ reading mail as bob

async function publicClientToken(user) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const redirect = 'http://127.0.0.1:9/callback';
  let url = `${AS}/auth?${new URLSearchParams({
    client_id: 'mail-public', response_type: 'code', scope: 'openid email mail', redirect_uri: redirect,
    state: 'bob', code_challenge: challenge, code_challenge_method: 'S256', login_hint: user,
  })}`;
  const jar = new Map();
  for (let i = 0; i < 10 && !url.startsWith(redirect); i += 1) {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of response.headers.getSetCookie()) {
      const [pair] = c.split(';');
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    url = new URL(response.headers.get('location'), url).href;
  }
  const code = new URL(url).searchParams.get('code');
  const response = await fetch(`${AS}/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect, client_id: 'mail-public', code_verifier: verifier }),
  });
  return (await response.json()).access_token;
}

const imapLog = Object.fromEntries(['debug', 'info', 'warn', 'error', 'trace'].map((level) => [level, (o) => console.log(`imap ${level} ${Date.now() % 100000} ${o.msg ?? ''} ${o.src ?? ''} ${String(o.data ?? '').slice(0, 100).trim()}`)]));

async function inbox(user) {
  const client = new ImapFlow({
    host: '127.0.0.1', port: IMAPS, secure: true, logger: process.env.LOG_IMAP ? imapLog : false,
    auth: { user, accessToken: await publicClientToken(user), loginMethod: 'XOAUTH2' },
    tls: { ca: fs.readFileSync(CA, 'utf8') },
  });
  await client.connect();
  await client.mailboxOpen('INBOX');
  return client;
}

/**
 * Resolves with the first message after UID `sinceUid` from `sender`: fetched now, else
 * after each EXISTS that IMAP IDLE reports (a server sends, at IDLE's start, what arrived
 * since the last command).
 */
async function nextMessageFrom(client, sinceUid, sender, timeoutMs = 30_000) {
  const find = async () => {
    for await (const m of client.fetch(`${sinceUid + 1}:*`, { envelope: true, source: true }, { uid: true })) {
      if (m.uid > sinceUid && m.envelope.from?.[0]?.address === sender) return m;
    }
    return null;
  };
  // EXISTS can come with a FETCH's answer, after the set it fetched: count them all.
  let seenExists = 0;
  let wake = () => {};
  const onExists = () => { seenExists += 1; wake(); };
  client.on('exists', onExists);
  const deadline = setTimeout(() => client.close(), timeoutMs);
  try {
    for (;;) {
      const before = seenExists;
      const found = await find();
      if (found) return found;
      if (seenExists !== before) continue;
      await new Promise((resolve, reject) => {
        wake = resolve;
        client.once('close', () => reject(new Error(`no message from ${sender} arrived in ${timeoutMs} ms`)));
        client.idle().catch(() => {});
      });
    }
  } finally {
    clearTimeout(deadline);
    client.off('exists', onExists);
  }
}

// ------------------------------------------------------------------ the secrets

function asIssued() {
  const dir = AS_STATE;
  const out = { tokens: new Set(), codes: new Set() };
  for (const name of fs.readdirSync(dir)) {
    const key = decodeURIComponent(name.replace(/\.json$/, ''));
    const [model, id] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
    if (!['AccessToken', 'RefreshToken', 'AuthorizationCode'].includes(model)) continue;
    const { payload } = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    if (payload.clientId !== CLIENT_ID) continue;
    (model === 'AuthorizationCode' ? out.codes : out.tokens).add(id);
  }
  return out;
}

/** The app's live (not consumed) refresh tokens of `account` at the AS, newest last. */
function liveRefreshTokens(account) {
  return fs.readdirSync(AS_STATE).filter((name) => name.startsWith(encodeURIComponent('RefreshToken/')))
    .map((name) => JSON.parse(fs.readFileSync(path.join(AS_STATE, name), 'utf8')).payload)
    .filter((p) => p.clientId === CLIENT_ID && p.accountId === account && !p.consumed)
    .sort((a, b) => a.iat - b.iat).map((p) => p.jti);
}

/** The refresh token the app holds for `account`: the last one the AS issued it. */
const newestRefreshToken = (account) => liveRefreshTokens(account).at(-1);

// ------------------------------------------------------------------ the journey

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `mail-oauth-admin-${args.app}-`));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const started = Date.now();
const app = await startApp(port, dataDir);
const chromeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mail-oauth-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  userDataDir: chromeDir,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const issuedStates = new Set();
let failed = null;

async function newPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  watch(page);
  page.on('request', (r) => {
    if (r.url().startsWith(`${AS}/auth?`)) issuedStates.add(new URL(r.url()).searchParams.get('state'));
  });
  return page;
}

// What the AS issued to the app, gathered after every step (revocation deletes entries).
const issued = { tokens: new Set(), codes: new Set() };

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
  } catch (error) {
    error.message = `${name}: ${error.message}`;
    throw error;
  }
  const now = asIssued();
  for (const kind of ['tokens', 'codes']) for (const id of now[kind]) issued[kind].add(id);
  console.log(`ok   ${name} (${Date.now() - t0} ms)`);
}

try {
  const first = await browser.createBrowserContext();
  const page = await newPage(first);

  await step('the settings page, with the callback URL to copy', async () => {
    await page.goto(`${base}/`);
    assert.equal(new URL(page.url()).pathname, APP.settings);
    const callback = await page.$eval('#callback-url', (el) => el.textContent.trim());
    assert.equal(callback, `${base}${APP.callback}`);
    assert.match(await page.$eval('body', (b) => b.textContent), /copy it into your provider's console/);
    const setCookie = seen.headers.find((h) => h.url.startsWith(base) && h.headers['set-cookie'])?.headers['set-cookie'] ?? '';
    assert.match(setCookie, /HttpOnly/i, 'the session cookie is HttpOnly');
    assert.match(setCookie, /SameSite=Lax/i, 'the session cookie is SameSite=Lax');
    await snapshot(page, 'settings-empty');
  });

  await step('Save the settings (custom provider = the local AS, Dovecot and Postfix on loopback)', async () => {
    const body = await root(page);
    await choose(body, 'Provider', 'Custom OpenID provider');
    await fill(body, 'Issuer URL', AS);
    await fill(body, 'Scopes', 'openid email mail');
    await fill(body, 'Client ID', CLIENT_ID);
    await fill(body, 'Client secret', CLIENT_SECRET);
    await fill(body, 'IMAP server', `127.0.0.1:${IMAPS}`);
    await choose(body, 'Security', 'TLS', 0);
    await fill(body, 'SMTP server', '127.0.0.1:10587');
    await choose(body, 'Security', 'STARTTLS', 1);
    await fieldByLabel(body, 'Tenant');
    await click(page, body, 'Save');
    await expectMessage(page, 'Settings saved.');
    const after = await root(page);
    assert.equal(await (await fieldByLabel(after, 'Client secret')).evaluate((el) => el.value), '', 'the secret is never rendered');
    assert.match(await page.$eval('body', (b) => b.textContent), /Client secret is set/);
    assert.equal(await (await fieldByLabel(after, 'Client ID')).evaluate((el) => el.value), CLIENT_ID);
    await snapshot(page, 'settings-saved');
  });

  await step('Connect mailbox: the AS login and consent pages, back Connected', async () => {
    await connect(page, ALICE);
    assert.equal(new URL(page.url()).pathname, APP.settings, 'the callback answers with a redirect to the settings page');
    await expectMessage(page, `${ALICE} connected`);
    assert.equal(await stateOf(page, ALICE), 'Connected');
    await snapshot(page, 'connected');
  });

  await step('Test connection: IMAP and SMTP pass, steps with timings', async () => {
    await click(page, await mailbox(page, ALICE), 'Test connection');
    await expectMessage(page, 'IMAP: OK', 'SMTP: OK');
    const rows = await page.$$eval('#report tr', (trs) => trs.map((tr) => tr.textContent.replace(/\s+/g, ' ').trim()));
    assert.ok(rows.some((r) => /IMAP/.test(r) && /authenticate/i.test(r) && /\d+ ms/.test(r)), `the IMAP steps are listed: ${rows.join(' | ')}`);
    assert.ok(rows.some((r) => /SMTP/.test(r) && /authenticate/i.test(r) && /\d+ ms/.test(r)), `the SMTP steps are listed: ${rows.join(' | ')}`);
    await snapshot(page, 'test-connection');
  });

  await step('Send test message to bob, read back over IMAP', async () => {
    const bob = await inbox(BOB);
    try {
      const since = bob.mailbox.uidNext - 1;
      const li = await mailbox(page, ALICE);
      await fill(li, 'Recipient', BOB);
      await click(page, li, 'Send test message');
      await expectMessage(page, `delivered to ${BOB}`);
      await snapshot(page, 'test-message-sent');
      const got = await nextMessageFrom(bob, since, ALICE);
      assert.ok(got.envelope.to.some((a) => a.address === BOB));
      assert.ok(String(got.source).includes(ALICE), 'the message names its mailbox');
    } finally {
      await bob.logout().catch(() => {});
    }
  });

  await step('Send test message from a sender that is not the authorized account', async () => {
    const li = await mailbox(page, ALICE);
    await fill(li, 'Recipient', BOB);
    await fill(li, 'Sender', BOB);
    await click(page, li, 'Send test message');
    await expectMessage(page, 'not the authorized account');
    await snapshot(page, 'sender-refused');
  });

  await step('A forged callback (wrong state) changes nothing; the real one still completes', async () => {
    // Bob's own browser (a context of its own: one provider session per account, as a
    // user has), with a forged callback opened in another tab while he signs in.
    const context = await browser.createBrowserContext();
    const own = await newPage(context);
    await own.goto(`${base}/`);
    await fill(await root(own), 'E-mail address', BOB);
    await click(own, await root(own), 'Connect mailbox');
    assert.ok(own.url().startsWith(`${AS}/`));
    const forged = await newPage(context);
    await forged.goto(`${base}${APP.callback}?code=forged-code&state=forged-state&iss=${encodeURIComponent(AS)}`);
    await expectMessage(forged, 'does not match', 'Nothing was changed');
    assert.equal(await mailbox(forged, BOB), null, 'no mailbox was added');
    assert.equal(await stateOf(forged, ALICE), 'Connected', 'the connected mailbox is untouched');
    await snapshot(forged, 'forged-callback');
    await forged.close();
    await provider(own, BOB);
    await expectMessage(own, `${BOB} connected`);
    assert.equal(await stateOf(own, BOB), 'Connected');
    await context.close();
    await page.reload();
  });

  await step('A POST without its CSRF field is refused and changes nothing', async () => {
    const disconnect = await button(await mailbox(page, BOB), 'Disconnect');
    await disconnect.evaluate((b) => b.form.querySelector('input[name=csrf]').remove());
    const action = await disconnect.evaluate((b) => b.form.action);
    await page.bringToFront();
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === action && r.request().method() === 'POST'),
      page.waitForNavigation(),
      disconnect.click(),
    ]);
    assert.equal(response.status(), 403);
    await snapshot(page, 'csrf-refused');
    await page.goto(`${base}${APP.settings}`);
    assert.equal(await stateOf(page, BOB), 'Connected', 'nothing changed');
  });

  await step('Consent denied at the provider', async () => {
    const context = await browser.createBrowserContext();
    const denied = await newPage(context);
    await denied.goto(`${base}/`);
    await connect(denied, ALICE, { consent: 'Deny' });
    await expectMessage(denied, 'consent was denied');
    assert.equal(await stateOf(denied, ALICE), 'Connected', 'the connected mailbox is untouched');
    await snapshot(denied, 'consent-denied');
    await context.close();
  });

  await step('The AS stopped during the callback: could not be reached, Try again once it is back', async () => {
    const context = await browser.createBrowserContext();
    const retry = await newPage(context);
    await retry.goto(`${base}/`);
    const callbackPrefix = `${base}${APP.callback}?`;
    await connect(retry, ALICE, {
      beforeConsent: async () => {
        await retry.setRequestInterception(true);
        retry.on('request', async (request) => {
          if (request.isInterceptResolutionHandled()) return;
          if (request.url().startsWith(callbackPrefix)) await stopAs();
          await request.continue();
        });
      },
    });
    await expectMessage(retry, 'could not be reached');
    await snapshot(retry, 'provider-unreachable');
    await startAs();
    await click(retry, await root(retry), 'Try again');
    await expectMessage(retry, `${ALICE} connected`);
    assert.equal(await stateOf(retry, ALICE), 'Connected');
    await snapshot(retry, 'retried');
    await context.close();
  });

  await step('A grant revoked at the AS: Test connection asks to connect again', async () => {
    const response = await fetch(`${AS}/peers/revoke-grants`, {
      method: 'POST', body: new URLSearchParams({ account: ALICE, client_id: CLIENT_ID }),
    });
    assert.ok((await response.json()).removed >= 1, 'the AS removed the grant');
    await page.reload();
    await click(page, await mailbox(page, ALICE), 'Test connection');
    await expectMessage(page, 'connect the mailbox again');
    assert.equal(await stateOf(page, ALICE), 'Connect again');
    await snapshot(page, 'grant-revoked');
    await connect(page, ALICE);
    await expectMessage(page, `${ALICE} connected`);
    assert.equal(await stateOf(page, ALICE), 'Connected');
  });

  await step('Disconnect: revoked at the AS, gone from the list', async () => {
    for (const who of [BOB, ALICE]) {
      const held = newestRefreshToken(who);
      assert.ok(held, `the AS has a live refresh token of ${who} for the app`);
      await click(page, await mailbox(page, who), 'Disconnect');
      await expectMessage(page, `${who} disconnected`, 'revoked');
      assert.equal(await mailbox(page, who), null);
      assert.equal(liveRefreshTokens(who).includes(held), false, `the refresh token the app held for ${who} is revoked`);
    }
    await snapshot(page, 'disconnected');
  });

  await step('No secret in any page, header, cookie or URL; none in plaintext at rest', async () => {
    const { tokens, codes } = issued;
    assert.ok(tokens.size >= 4 && codes.size >= 3, `the AS state lists what it issued (${tokens.size} tokens, ${codes.size} codes)`);
    const callbackUrl = (u) => u.startsWith(`${base}${APP.callback}?`);
    const providerRedirect = (h) => h.url.startsWith(`${AS}/`);
    const everywhere = [CLIENT_SECRET, ...tokens];
    const notOutsideProvider = [...codes, ...[...issuedStates].filter(Boolean)];
    const found = [];
    const scan = (where, text, secrets) => {
      for (const s of secrets) if (text.includes(s)) found.push(`${where}: ${s.slice(0, 6)}…`);
    };
    for (const p of seen.pages) {
      scan(`page ${p.url}`, p.html, everywhere);
      if (p.url.startsWith(base)) scan(`page ${p.url}`, p.html, notOutsideProvider);
    }
    for (const h of seen.headers) {
      const text = JSON.stringify(h.headers);
      scan(`headers of ${h.url}`, text, everywhere);
      if (!providerRedirect(h)) scan(`headers of ${h.url}`, text, codes);
    }
    for (const u of seen.urls) {
      scan(`url ${u}`, u, everywhere);
      if (!callbackUrl(u) && !u.startsWith(`${AS}/`)) scan(`url ${u}`, u, notOutsideProvider);
    }
    for (const c of seen.cookies) scan(`cookie ${c.name}@${c.domain}`, `${c.name}=${c.value}`, [...everywhere, ...notOutsideProvider]);
    const atRest = [];
    const walk = (dir) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, e.name);
        if (e.isDirectory()) walk(file);
        else atRest.push([file, fs.readFileSync(file).toString('latin1')]);
      }
    };
    walk(dataDir);
    for (const [file, text] of atRest) scan(`file ${path.relative(dataDir, file)}`, text, [...everywhere, ...codes]);
    assert.deepEqual(found, [], 'a secret reached the browser or the disk in plaintext');
    console.log(`     searched ${seen.pages.length} pages, ${seen.headers.length} responses, ${seen.urls.length} URLs, ${seen.cookies.length} cookies, ${atRest.length} files for ${everywhere.length + notOutsideProvider.length} secrets`);
  });
} catch (error) {
  failed = error;
  for (const [i, p] of (await browser.pages().catch(() => [])).entries()) {
    await p.screenshot({ path: path.join(OUT, `failure-${i}.png`), fullPage: true }).catch(() => {});
    console.error(`failure-${i}.png: ${p.url()}`);
  }
} finally {
  await browser.close().catch(() => {});
  try { process.kill(-app.child.pid, 'SIGTERM'); } catch { /* gone */ }
  fs.rmSync(chromeDir, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
}
if (failed) {
  console.error(`FAIL ${args.app}: ${failed.stack ?? failed}`);
  console.error(`--- the app's output:\n${app.log.join('')}`);
  process.exit(1);
}
console.log(`journey ${args.app}: ${steps.length} screenshots in ${path.relative(ROOT, OUT)}, ${Date.now() - started} ms`);
