// The admin app's own parts that the browser journey (tests/browser) cannot reach on
// demand: the encrypted store (nothing in plaintext, a tampered file refused and left as
// it is, a bad key refused), the per-mailbox lock, the sentences for errors no real
// peer produces here (a TLS refusal, a temporary failure, an issuer mix-up), and the Google
// and Microsoft 365 settings through the real component (their policy and consent URL).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { AdminApp, Locks, mailSentence, oauthSentence, parseServer } from '../admin/app.mjs';
import { Store, StoreError } from '../admin/store.mjs';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mail-oauth-admin-test-'));
const TOKEN = 'at-4f1c0e-plaintext-should-never-be-on-disk';

test('the store keeps tokens encrypted, BigInt included, and reopens with its key', () => {
  const dir = tempDir();
  const store = new Store(dir, {});
  store.update((data) => { data.mailboxes.a = { tokens: { accessToken: TOKEN, expiresAt: 1767225600n } }; });
  const raw = fs.readFileSync(path.join(dir, 'store.enc'));
  assert.equal(raw.includes(Buffer.from(TOKEN)), false, 'no plaintext token on disk');
  assert.equal(raw.includes(Buffer.from('accessToken')), false, 'no plaintext field names either');
  assert.equal(fs.statSync(path.join(dir, 'store.enc')).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.join(dir, 'key')).mode & 0o777, 0o600);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  const again = new Store(dir, {});
  assert.equal(again.read().mailboxes.a.tokens.accessToken, TOKEN);
  assert.equal(again.read().mailboxes.a.tokens.expiresAt, 1767225600n);
});

test('a tampered store is refused with a clear error and left untouched', () => {
  const dir = tempDir();
  new Store(dir, {}).update((data) => { data.settings = { clientId: 'x' }; });
  const file = path.join(dir, 'store.enc');
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 1] ^= 1;
  fs.writeFileSync(file, bytes);
  assert.throws(() => new Store(dir, {}), (e) => e instanceof StoreError && /does not decrypt with this key/.test(e.message));
  assert.deepEqual(fs.readFileSync(file), bytes, 'the file is left as it was');
});

test('another key is refused; a malformed MAIL_OAUTH_ADMIN_KEY is refused without echoing it', () => {
  const dir = tempDir();
  new Store(dir, { MAIL_OAUTH_ADMIN_KEY: 'a'.repeat(64) }).update((data) => { data.settings = {}; });
  assert.throws(() => new Store(dir, { MAIL_OAUTH_ADMIN_KEY: 'b'.repeat(64) }), StoreError);
  assert.throws(() => new Store(dir, { MAIL_OAUTH_ADMIN_KEY: 'secret-ish' }),
    (e) => e instanceof StoreError && !e.message.includes('secret-ish'));
});

test('a failed write changes nothing: the document is replaced only once on disk', () => {
  const dir = tempDir();
  const store = new Store(dir, {});
  store.update((data) => { data.settings = { clientId: 'kept' }; });
  assert.throws(() => store.update((data) => { data.settings.clientId = 'lost'; throw new Error('boom'); }), /boom/);
  assert.equal(store.read().settings.clientId, 'kept');
  assert.equal(new Store(dir, {}).read().settings.clientId, 'kept');
});

test('servers are host:port with a security choice', () => {
  assert.deepEqual(parseServer('imap.example.com:993', 'implicit-tls'), { host: 'imap.example.com', port: 993, security: 'implicit-tls' });
  assert.deepEqual(parseServer('[::1]:587', 'starttls'), { host: '::1', port: 587, security: 'starttls' });
  for (const bad of [['imap.example.com', 'implicit-tls'], ['h:0', 'starttls'], ['h:70000', 'starttls'], ['h:25', 'plain'], ['a b:25', 'starttls']]) {
    assert.equal(parseServer(...bad), null, bad.join(' '));
  }
});

test('the sentences name what to do, and never a value they were not given', () => {
  assert.match(oauthSentence({ tag: 'temporary-failure', value: 'HTTP 503' }), /could not be reached/);
  assert.match(oauthSentence({ tag: 'issuer-mismatch', value: { expected: 'https://a', received: 'https://b' } }), /check the Issuer URL/);
  assert.match(oauthSentence({ tag: 'provider-error', value: { code: 'invalid_client' } }), /check Client ID and Client secret/);
  assert.match(oauthSentence({ tag: 'reauthorize-required', value: { code: 'invalid_grant' } }), /connect the mailbox again/);
  assert.match(mailSentence({ tag: 'transport', value: { tag: 'tls', val: 'certificate has expired' } }), /check the security choice/);
  assert.match(mailSentence({ tag: 'tls-unavailable', value: 'no STARTTLS' }), /choose TLS/);
  assert.match(mailSentence({ tag: 'sender-not-authorized', value: { sender: 'b@x', user: 'a@x' } }), /not the authorized account/);
  assert.match(mailSentence({ tag: 'no-mechanism', value: ['PLAIN', 'LOGIN'] }), /only PLAIN, LOGIN/);
});

test('one call per mailbox at a time (a refresh rotates the refresh token); others run beside', async () => {
  const locks = new Locks();
  const order = [];
  let releaseFirst;
  const gate = new Promise((resolve) => { releaseFirst = resolve; });
  const first = locks.run('a', async () => { order.push('a1 start'); await gate; order.push('a1 end'); });
  const second = locks.run('a', async () => { order.push('a2'); });
  const other = locks.run('b', async () => { order.push('b'); });
  await other;
  assert.deepEqual(order, ['a1 start', 'b'], 'b does not wait for a; a2 waits for a1');
  releaseFirst();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['a1 start', 'b', 'a1 end', 'a2']);
  await assert.rejects(locks.run('a', async () => { throw new Error('x'); }), /x/);
  assert.equal(await locks.run('a', async () => 'after a failure'), 'after a failure');
});

// The preset providers, through the real component (no request leaves: preset and
// begin-authorization do no I/O).
const WASM = process.env.MAIL_OAUTH_WASM ?? new URL('../../../target/artifacts/mail_oauth_guest.wasm', import.meta.url).pathname;

test('Google and Microsoft 365 settings: the policy names only their origins and the servers; Connect goes to their consent page', async (t) => {
  const store = new Store(tempDir(), {});
  store.update((data) => { data.sessions.s = { csrf: 'c', createdAt: Date.now() }; });
  const app = new AdminApp({ store, wasm: WASM, redirectUri: 'https://platform.example/admin/settings/mail/oauth2' });
  t.after(() => app.close());
  const form = (fields) => new URLSearchParams(fields);

  assert.equal((await app.save(form({
    provider: 'google', 'client-id': 'id.apps', 'client-secret': 'gsecret',
    'imap-server': 'imap.gmail.com:993', 'imap-security': 'implicit-tls', 'smtp-server': 'smtp.gmail.com:465', 'smtp-security': 'implicit-tls',
  }))).text, 'Settings saved.');
  let ctx = await app.context();
  assert.equal(ctx.provider.id, 'google');
  const policy = app.policyFor(ctx.settings, ctx.provider);
  assert.ok(policy.allowOrigins.includes('https://oauth2.googleapis.com'), policy.allowOrigins.join(' '));
  assert.ok(policy.allowOrigins.every((o) => o.startsWith('https://')));
  assert.deepEqual(policy.allowTargets, ['imap.gmail.com:993', 'smtp.gmail.com:465']);
  const begun = await app.connect('s', form({ 'login-hint': 'admin@example.com' }));
  const url = new URL(begun.redirect);
  assert.equal(url.origin, 'https://accounts.google.com');
  assert.equal(url.searchParams.get('login_hint'), 'admin@example.com');
  assert.equal(url.searchParams.get('redirect_uri'), 'https://platform.example/admin/settings/mail/oauth2');
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  const pending = store.read().sessions.s.pending;
  assert.equal(pending.pending.state, url.searchParams.get('state'), 'the pending authorization is kept with the session');
  assert.equal(url.searchParams.has('client_secret'), false);

  // An empty secret keeps the saved one; another provider is another policy.
  assert.equal((await app.save(form({
    provider: 'microsoft', tenant: 'contoso.onmicrosoft.com', 'client-id': 'app-id', 'client-secret': '',
    'imap-server': 'outlook.office365.com:993', 'imap-security': 'implicit-tls', 'smtp-server': 'smtp.office365.com:587', 'smtp-security': 'starttls',
  }))).text, 'Settings saved.');
  assert.equal(store.read().settings.clientSecret, 'gsecret');
  ctx = await app.context();
  assert.equal(ctx.provider.id, 'microsoft');
  assert.ok(ctx.provider.tokenEndpoint.includes('/contoso.onmicrosoft.com/'));
  assert.equal(ctx.provider.revocationEndpoint, undefined, 'Microsoft has no revocation endpoint');
  assert.deepEqual(app.policyFor(ctx.settings, ctx.provider).allowOrigins, ['https://login.microsoftonline.com']);
});

test('settings that cannot work are refused with the fields named, and nothing is saved', async (t) => {
  const store = new Store(tempDir(), {});
  const app = new AdminApp({ store, wasm: WASM, redirectUri: 'http://127.0.0.1:1/cb' });
  t.after(() => app.close());
  const flash = await app.save(new URLSearchParams({ provider: 'custom', issuer: 'ftp://x', 'imap-server': 'nohost', 'imap-security': 'implicit-tls' }));
  assert.equal(flash.kind, 'error');
  for (const field of ['Client ID', 'IMAP server', 'SMTP server', 'Issuer URL']) assert.ok(flash.text.includes(field), flash.text);
  assert.equal(store.read().settings, null);
});
