// The whole journey through the Node kit against the real peers
// (tests/peers/up.sh): the two-step web flow, refresh with rotation kept,
// ensureFresh + sasl.xoauth2 and imapflow logging in with that access token
// over XOAUTH2, a test message sent and read back, revoke, and a scan of
// everything the test printed for the secrets it handled.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspect } from 'node:util';

import { ImapFlow } from 'imapflow';

import { MailOAuth, OAuthError, Policy } from '../src/index.js';
import { tokenSet } from './browser.js';

const WASM = process.env.MAIL_OAUTH_WASM ?? new URL('../../../target/artifacts/mail_oauth_guest.wasm', import.meta.url).pathname;
const AS = 'http://127.0.0.1:10090';
const IMAPS = 10993;
const SUBMISSION = 10587;
const ALICE = 'alice@example.test';
const CA = join(process.env.PEERS_ROOT ?? join(process.env.TMPDIR ?? tmpdir(), 'mail-oauth-peers'), 'tls', 'ca.crt');
const CLIENT = { id: 'mail-public', secret: undefined, redirectUri: 'http://127.0.0.1:8765/callback' };

test('web flow, rotation, imapflow over XOAUTH2, a test message read back, revoke', async (t) => {
  const printed = [];
  const say = (...parts) => printed.push(parts.map((p) => (typeof p === 'string' ? p : inspect(p, { depth: 4 }))).join(' '));
  const secrets = new Set();
  const keep = (tokens) => {
    for (const key of ['accessToken', 'refreshToken', 'idToken']) if (tokens[key]) secrets.add(tokens[key]);
    return tokens;
  };
  t.after(() => {
    const out = printed.join('\n');
    console.log(out);
    const leaked = [...secrets].filter((s) => out.includes(s)).map((s) => `${s.slice(0, 6)}…`);
    assert.deepEqual(leaked, [], 'a secret was printed');
  });

  const policy = new Policy({
    allowOrigins: [AS], allowTargets: [`127.0.0.1:${IMAPS}`, `127.0.0.1:${SUBMISSION}`], allowLoopback: true, caFile: CA,
  });
  const kit = await MailOAuth.load(WASM, { policy });
  t.after(() => kit.close());
  const now = BigInt(Math.floor(Date.now() / 1000));
  const provider = await kit.oauth.discover(AS);

  const { pending, callback, tokens } = await tokenSet(kit, provider, CLIENT, ALICE, now);
  secrets.add(pending.pkceVerifier);
  keep(tokens);
  say('pending:', pending);
  say('tokens:', tokens);
  assert.equal(tokens.accountEmail, ALICE);
  assert.ok(tokens.refreshToken);

  const forged = callback.replace(`state=${pending.state}`, 'state=forged');
  await assert.rejects(kit.oauth.completeAuthorization(provider, CLIENT, pending, forged, now), (e) => e instanceof OAuthError && e.tag === 'state-mismatch');

  const rotated = keep(await kit.oauth.refresh(provider, CLIENT, tokens, now));
  say('rotated:', rotated);
  assert.notEqual(rotated.refreshToken, tokens.refreshToken);
  assert.notEqual(rotated.accessToken, tokens.accessToken);

  const fresh = await kit.oauth.ensureFresh(provider, CLIENT, { ...rotated, expiresAt: now + 10n }, now, 60);
  assert.equal(fresh.refreshed, true);
  const current = keep(fresh.tokens);
  assert.equal((await kit.oauth.ensureFresh(provider, CLIENT, current, now, 60)).refreshed, false);
  const xoauth2 = await kit.sasl.xoauth2(ALICE, current.accessToken);
  secrets.add(xoauth2);
  assert.equal(Buffer.from(xoauth2, 'base64').toString(), `user=${ALICE}\x01auth=Bearer ${current.accessToken}\x01\x01`);

  const imap = () => new ImapFlow({
    host: '127.0.0.1', port: IMAPS, secure: true, logger: false,
    auth: { user: ALICE, accessToken: current.accessToken, loginMethod: 'XOAUTH2' },
    tls: { ca: readFileSync(CA, 'utf8') },
  });
  const client = imap();
  await client.connect(); // rejects unless AUTHENTICATE XOAUTH2 succeeded
  const status = await client.status('INBOX', { messages: true });
  assert.ok(status.messages >= 0);
  say('imapflow XOAUTH2: logged in, INBOX has', String(status.messages), 'messages');
  await client.logout();

  const subject = `node kit e2e ${randomUUID()}`;
  const login = { user: ALICE, credentials: { tag: 'access-token', val: current.accessToken }, mechanism: undefined };
  const report = await kit.mail.sendTestMessage(
    { host: '127.0.0.1', port: SUBMISSION, security: 'starttls' }, login,
    { sender: ALICE, recipients: [ALICE], subject, body: 'hello from Node', sendAs: false, now },
  );
  say('sent:', report.steps.map((s) => s.name).join(' '));
  assert.equal(report.refreshed, undefined);

  const reader = imap();
  await reader.connect();
  let body = null;
  const deadline = Date.now() + 20_000;
  try {
    await reader.mailboxOpen('INBOX', { readOnly: true });
    // Delivery is asynchronous: poll the condition (bounded), never a fixed wait.
    while (body === null && Date.now() < deadline) {
      const found = await reader.search({ subject });
      if (found.length) body = (await reader.fetchOne(found.at(-1), { source: true })).source.toString();
      else await reader.noop();
    }
  } finally {
    await reader.logout();
  }
  assert.ok(body?.includes('hello from Node'), 'the test message was read back');
  say('read back: yes');

  await kit.oauth.revoke(provider, CLIENT, current.refreshToken, 'refresh-token');
  await assert.rejects(kit.oauth.refresh(provider, CLIENT, current, now), (e) => {
    say('after revoke:', e.message);
    return e instanceof OAuthError && e.tag === 'reauthorize-required';
  });
  // The refresh token the first rotation replaced is dead too (its replay ends the grant: it comes last).
  await assert.rejects(kit.oauth.refresh(provider, CLIENT, tokens, now), (e) => e.tag === 'reauthorize-required');
});
