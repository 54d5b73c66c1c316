import fs from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';
const AS='http://127.0.0.1:10090';
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
async function nextMessageFrom(client, sinceUid, sender, timeoutMs = 30_000) {
  const find = async () => {
    for await (const m of client.fetch(`${sinceUid + 1}:*`, { envelope: true, source: true }, { uid: true })) {
      if (m.uid > sinceUid && m.envelope.from?.[0]?.address === sender) return m;
    }
    return null;
  };
  const deadline = setTimeout(() => client.close(), timeoutMs);
  try {
    for (;;) {
      const found = await find();
      if (found) return found;
      const arrived = new Promise((resolve, reject) => {
        client.once('exists', resolve);
        client.once('close', () => reject(new Error(`no message from ${sender} arrived in ${timeoutMs} ms`)));
      });
      client.idle().catch(() => {});
      await arrived;
    }
  } finally {
    clearTimeout(deadline);
  }
}
import net from 'node:net';
const tok = await publicClientToken('bob@example.test');
const c = new ImapFlow({ host: '127.0.0.1', port: 10993, secure: true, logger: false, auth: { user: 'bob@example.test', accessToken: tok, loginMethod: 'XOAUTH2' }, tls: { ca: fs.readFileSync('/tmp/mail-oauth-peers/tls/ca.crt', 'utf8') } });
c.on('exists', (e) => console.log('EXISTS', e));
await c.connect(); await c.mailboxOpen('INBOX');
const since = c.mailbox.uidNext - 1; console.log('since', since);
setTimeout(() => {
const s = net.connect(10025, '127.0.0.1'); s.on('data', () => {});
s.write('EHLO x\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n');
setTimeout(() => { s.write('From: alice@example.test\r\nTo: bob@example.test\r\nSubject: t\r\n\r\nhi\r\n.\r\nQUIT\r\n'); console.log('sent', Date.now()); }, 300);
}, 2000);
const m = await nextMessageFrom(c, since, 'alice@example.test', 10000); console.log('got', m.uid, Date.now());
await c.logout();
