// The admin app's own parts that the browser journey (tests/browser) cannot reach on
// demand: the encrypted store (nothing in plaintext, a tampered file refused and left as
// it is, a bad key refused), the per-mailbox lock, and the sentences for errors no real
// peer produces here (a TLS refusal, a temporary failure, an issuer mix-up).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { Locks, mailSentence, oauthSentence, parseServer } from '../admin/app.mjs';
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
