// Tests of the Node kit without the peers: the policy, redaction, typed
// errors, the worker model (the event loop keeps running during a call; a
// runaway costs its deadline), and the imports on faults no real server
// produces on demand (scripted local sockets on 127.0.0.1).

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { inspect } from 'node:util';

import { CallTrapped, DEFAULT_LIMITS, Denied, MailFailure, MailOAuth, OAuthError, Policy, SaslError, classify, redactable } from '../src/index.js';
import { send } from '../src/http.js';
import { Connections } from '../src/transport.js';

const WASM = process.env.MAIL_OAUTH_WASM ?? new URL('../../../target/artifacts/mail_oauth_guest.wasm', import.meta.url).pathname;

test('addresses are classified as egress.rs does', () => {
  const table = {
    '127.0.0.1': 'loopback', '::1': 'loopback', '10.1.2.3': 'private', '192.168.1.1': 'private',
    '100.64.0.1': 'private', '169.254.1.1': 'link-local', '169.254.169.254': 'metadata',
    '::ffff:169.254.169.254': 'metadata', 'fd00:ec2::254': 'metadata', '0.0.0.0': 'unspecified',
    '169.254.170.2': 'metadata', '169.254.170.23': 'metadata', 'fd00:ec2::23': 'metadata', 'fd20:ce::254': 'metadata',
    '168.63.129.16': 'metadata', '::ffff:168.63.129.16': 'metadata', '64:ff9b:1::a9fe:a9fe': 'reserved',
    '169.254.170.3': 'link-local', '168.63.129.17': 'public',
    '224.0.0.1': 'multicast', '8.8.8.8': 'public', '64:ff9b::a00:1': 'private', '2001:db8::1': 'reserved',
  };
  for (const [address, kind] of Object.entries(table)) assert.equal(classify(address), kind, address);
});

test('the policy denies by default and checks every resolved address', async () => {
  assert.throws(() => new Policy().checkUrl('https://accounts.google.com/x'), Denied);
  const google = new Policy({ allowOrigins: ['https://accounts.google.com'] });
  assert.deepEqual(google.checkUrl('https://accounts.google.com/x'), ['https', 'accounts.google.com', 443]);
  assert.throws(() => google.checkUrl('https://accounts.google.com:8443/x'), Denied);
  assert.throws(() => new Policy({ allowOrigins: ['http://example.com'] }).checkUrl('http://example.com/'), Denied);
  assert.throws(() => new Policy().checkHostPort('imap.example.com', 993), Denied);
  // DNS rebinding: an allowed name that resolves to loopback is refused without allowLoopback.
  await assert.rejects(new Policy({ allowTargets: ['localhost:993'] }).resolve('localhost'), Denied);
  await assert.rejects(new Policy({ allowLoopback: true, allowPrivate: true }).resolve('169.254.169.254'), Denied);
  assert.ok((await new Policy({ allowLoopback: true }).resolve('localhost')).length > 0);
});

test('secrets never show in util.inspect or error messages', () => {
  const tokens = redactable({ accessToken: 'AT-123', refreshToken: 'RT-456', expiresAt: 5n, scopes: ['mail'], accountEmail: 'a@example.com' });
  const credentials = redactable({ tag: 'access-token', val: 'AT-789' });
  const shown = inspect(tokens) + inspect([tokens]) + inspect(credentials) + new OAuthError('provider-error', { code: 'x', description: 'AT-123' }, 'oauth.refresh').message.replace('AT-123', '');
  for (const secret of ['AT-123', 'RT-456', 'AT-789']) assert.ok(!shown.includes(secret), secret);
  assert.match(inspect(tokens), /a@example\.com/);
  assert.equal(JSON.stringify({ t: tokens.accessToken }), '{"t":"AT-123"}');
});

/** A one-connection TCP server on 127.0.0.1 running `script(socket)`. */
async function server(script) {
  const srv = net.createServer((socket) => script(socket));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { port: srv.address().port, close: () => srv.close() };
}

function readUntil(socket, marker) {
  return new Promise((resolve) => {
    let seen = '';
    socket.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes(marker)) resolve(seen);
    });
  });
}

const loopback = (port) => new Policy({ allowTargets: [`127.0.0.1:${port}`], allowLoopback: true });

test('plaintext ahead of the TLS handshake is refused', async (t) => {
  const srv = await server(async (socket) => {
    socket.write('* OK ready\r\n');
    await readUntil(socket, 'STARTTLS\r\n');
    socket.write('a OK begin TLS\r\nb INJECTED\r\n'); // CVE-2011-0411: one segment
  });
  t.after(srv.close);
  const connections = new Connections(loopback(srv.port), DEFAULT_LIMITS);
  t.after(() => connections.closeAll(1));
  const { ok: handle } = await connections.connect(1, '127.0.0.1', srv.port, 'starttls');
  assert.equal(Buffer.from((await connections.call(1, handle, 'readLine', 1000)).ok).toString(), '* OK ready\r\n');
  await connections.call(1, handle, 'write', Buffer.from('a STARTTLS\r\n'));
  assert.equal(Buffer.from((await connections.call(1, handle, 'readLine', 1000)).ok).toString(), 'a OK begin TLS\r\n');
  const connection = connections.calls.get(1).get(handle);
  while (!connection.buffer.includes('INJECTED')) await connection.more(); // the arrival, never a sleep
  const upgraded = await connections.call(1, handle, 'upgradeTls');
  assert.equal(upgraded.err.tag, 'other');
  assert.match(upgraded.err.val, /plaintext/);
});

test('an endless line is line-too-long, a silent server a timeout', async (t) => {
  const srv = await server((socket) => socket.write('x'.repeat(300)));
  t.after(srv.close);
  const connections = new Connections(loopback(srv.port), { ...DEFAULT_LIMITS, ioTimeoutMs: 300 });
  t.after(() => connections.closeAll(1));
  const { ok: handle } = await connections.connect(1, '127.0.0.1', srv.port, 'plain');
  assert.equal((await connections.call(1, handle, 'readLine', 100)).err.tag, 'line-too-long');
  const silent = await server(() => {});
  t.after(silent.close);
  const quiet = new Connections(loopback(silent.port), { ...DEFAULT_LIMITS, ioTimeoutMs: 300 });
  t.after(() => quiet.closeAll(2));
  const { ok: h2 } = await quiet.connect(2, '127.0.0.1', silent.port, 'plain');
  assert.equal((await quiet.call(2, h2, 'readLine', 100)).err.tag, 'timeout');
});

test('plain off loopback is denied and the connection cap holds', async (t) => {
  const srv = await server(() => {});
  t.after(srv.close);
  const strict = new Connections(new Policy({ allowTargets: [`127.0.0.1:${srv.port}`] }), DEFAULT_LIMITS);
  assert.equal((await strict.connect(1, '127.0.0.1', srv.port, 'plain')).err.tag, 'denied');
  const capped = new Connections(loopback(srv.port), { ...DEFAULT_LIMITS, maxConnections: 1 });
  t.after(() => capped.closeAll(1));
  assert.ok((await capped.connect(1, '127.0.0.1', srv.port, 'plain')).ok);
  const refused = await capped.connect(1, '127.0.0.1', srv.port, 'plain');
  assert.equal(refused.err.tag, 'denied');
  assert.match(refused.err.val, /connections already open/);
});

test('http: a redirect is returned, size caps hold, other origins are denied', async (t) => {
  const srv = http.createServer((req, res) => {
    if (req.url === '/redirect') res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(4096));
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.after(() => srv.close());
  const origin = `http://127.0.0.1:${srv.address().port}`;
  const policy = new Policy({ allowOrigins: [origin], allowLoopback: true });
  const get = (path) => ({ method: 'GET', url: origin + path, headers: [], body: new Uint8Array() });
  assert.equal((await send(policy, DEFAULT_LIMITS, get('/redirect'))).ok.status, 302);
  assert.equal((await send(policy, { ...DEFAULT_LIMITS, maxResponseBytes: 1024 }, get('/big'))).err.tag, 'too-large');
  assert.equal((await send(policy, DEFAULT_LIMITS, get('/big'))).ok.body.length, 4096);
  const post = { method: 'POST', url: `${origin}/big`, headers: [], body: new Uint8Array(11) };
  assert.equal((await send(policy, { ...DEFAULT_LIMITS, maxRequestBytes: 10 }, post)).err.tag, 'too-large');
  assert.equal((await send(new Policy({ allowLoopback: true }), DEFAULT_LIMITS, get('/big'))).err.tag, 'denied');
});

test('the kit: digest, the published vector, typed errors', async (t) => {
  const kit = await MailOAuth.load(WASM, { workers: 1 });
  t.after(() => kit.close());
  await assert.rejects(MailOAuth.load(WASM, { sha256: '0'.repeat(64) }), /sha256/);
  assert.equal(
    await kit.sasl.xoauth2('someuser@example.com', 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg'),
    'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==',
  );
  await assert.rejects(kit.sasl.xoauth2('u@example.com', 'secret-token\r\nA1 LOGOUT'), (error) => {
    assert.ok(error instanceof SaslError);
    assert.equal(error.tag, 'invalid-input');
    assert.ok(!error.message.includes('secret-token') && !inspect(error).includes('secret-token'));
    return true;
  });
  await assert.rejects(kit.oauth.discover('https://accounts.google.com'), (error) => {
    assert.ok(error instanceof OAuthError);
    assert.equal(error.tag, 'http');
    assert.equal(error.value.tag, 'denied');
    return true;
  });
  assert.deepEqual(await kit.oauth.presetForHost('me@outlook.com'), { tag: 'microsoft', val: 'common' });
  await assert.rejects(kit.mail.verifyImap({ host: 'imap.example.com', port: 993 }, {}), TypeError);
  await assert.rejects(
    kit.mail.verifyImap({ host: 'imap.example.com', port: 993, security: 'implicit-tls' },
      { user: 'u@example.com', credentials: { tag: 'access-token', val: 'tok-SECRET' }, mechanism: undefined }),
    (error) => {
      assert.ok(error instanceof MailFailure);
      assert.equal(error.tag, 'transport');
      assert.equal(error.value.tag, 'denied');
      assert.ok(!error.message.includes('tok-SECRET'));
      return true;
    },
  );
});

test('the event loop runs during a call, and a runaway costs only its deadline', async (t) => {
  const silent = await server(() => {});
  t.after(silent.close);
  const kit = await MailOAuth.load(WASM, { workers: 1, policy: loopback(silent.port), deadlineMs: 1500, limits: { ioTimeoutMs: 10_000 } });
  t.after(() => kit.close());
  let ticks = 0;
  const timer = setInterval(() => { ticks += 1; }, 10);
  t.after(() => clearInterval(timer));
  const login = { user: 'u@example.test', credentials: { tag: 'access-token', val: 't' }, mechanism: undefined };
  await assert.rejects(kit.mail.verifyImap({ host: '127.0.0.1', port: silent.port, security: 'plain' }, login), CallTrapped);
  assert.ok(ticks > 20, `the event loop ran ${ticks} times during the call`);
  assert.equal(await kit.sasl.xoauth2('a@example.com', 't'), await kit.sasl.xoauth2('a@example.com', 't'));
});

test('concurrent calls each get their own instance', async (t) => {
  const kit = await MailOAuth.load(WASM, { workers: 2 });
  t.after(() => kit.close());
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => kit.sasl.xoauth2(`u${i}@example.com`, `t${i}`)));
  assert.equal(new Set(results).size, 8);
});
