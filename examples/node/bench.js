// Benchmarks of the Node kit (not tests), each against a baseline measured in
// the same run, printed as a markdown table:
// - sasl.xoauth2 through the kit (worker round trip + fresh instance) vs the
//   same string built with Buffer's base64;
// - a token refresh at the local AS (tests/peers) through the kit vs
//   openid-client's refreshTokenGrant on the same AS (two rotating chains,
//   calls interleaved);
// - instantiate + call + drop, and jco's instantiation alone;
// - resident memory and load time per loaded component (one worker each).
//   node bench.js [rounds]        (bash bench.sh starts the peers first)

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import * as oidc from 'openid-client';

import { MailOAuth, Policy } from './src/index.js';
import { tokenSet } from './test/browser.js';

const WASM = process.env.MAIL_OAUTH_WASM ?? new URL('../../target/artifacts/mail_oauth_guest.wasm', import.meta.url).pathname;
const AS = 'http://127.0.0.1:10090';
const CLIENT = { id: 'mail-public', secret: undefined, redirectUri: 'http://127.0.0.1:8765/callback' };
const rounds = Number(process.argv[2] ?? 30);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function perCall(fn, count) {
  const start = performance.now();
  for (let i = 0; i < count; i += 1) await fn();
  return (performance.now() - start) / count;
}

const rows = [];
const policy = new Policy({ allowOrigins: [AS], allowLoopback: true });
const rss0 = process.memoryUsage().rss;
let start = performance.now();
const kits = [];
for (let i = 0; i < 4; i += 1) {
  const kit = await MailOAuth.load(WASM, { policy, workers: 1 });
  await kit.sasl.xoauth2('warm@example.com', 't'); // the worker is up and has compiled
  kits.push(kit);
}
const load = (performance.now() - start) / kits.length;
const perComponent = (process.memoryUsage().rss - rss0) / kits.length / 1024;
const kit = kits[0];

const user = 'someuser@example.com';
const token = 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg';
const plain = () => Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
if ((await kit.sasl.xoauth2(user, token)) !== plain()) throw new Error('the kit and the baseline disagree');
await perCall(() => kit.sasl.xoauth2(user, token), 50);
const kitX = await perCall(() => kit.sasl.xoauth2(user, token), 500);
const plainX = await perCall(plain, 100_000);
rows.push(['sasl.xoauth2 per call', `${(kitX * 1000).toFixed(0)} µs`, `${(plainX * 1000).toFixed(2)} µs (Buffer base64)`, `${(kitX / plainX).toFixed(0)}×`]);

// jco's instantiation alone, on this thread, from the kit's transpiled files.
const modules = new Map(readdirSync(kit.dir).filter((f) => f.endsWith('.wasm')).map((f) => [f, new WebAssembly.Module(readFileSync(join(kit.dir, f)))]));
const { instantiate } = await import(pathToFileURL(join(kit.dir, 'mail_oauth.js')).href);
WebAssembly.promising ??= (fn) => fn;
const stub = new Proxy({}, { get: (_t, key) => (key === 'Connection' ? class {} : () => { throw new Error('unused'); }) });
const imports = new Proxy({}, { get: () => stub });
await perCall(() => instantiate((f) => modules.get(f), imports), 20);
const inst = await perCall(() => instantiate((f) => modules.get(f), imports), 200);
rows.push(['instantiate + call + drop', `${(kitX * 1000).toFixed(0)} µs`, `jco instantiate alone ${(inst * 1000).toFixed(0)} µs`, `${((inst / kitX) * 100).toFixed(0)}% of the call`]);

const now = () => BigInt(Math.floor(Date.now() / 1000));
const provider = await kit.oauth.discover(AS);
let mine = (await tokenSet(kit, provider, CLIENT, 'alice@example.test', now())).tokens;
let theirs = (await tokenSet(kit, provider, CLIENT, 'alice@example.test', now())).tokens.refreshToken;
const config = await oidc.discovery(new URL(AS), 'mail-public', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
const kitT = [];
const libT = [];
for (let i = 0; i < rounds; i += 1) {
  start = performance.now();
  mine = await kit.oauth.refresh(provider, CLIENT, mine, now());
  kitT.push(performance.now() - start);
  start = performance.now();
  theirs = (await oidc.refreshTokenGrant(config, theirs)).refresh_token;
  libT.push(performance.now() - start);
}
const kitR = median(kitT);
const libR = median(libT);
rows.push([`token refresh at the local AS (median of ${rounds})`, `${kitR.toFixed(2)} ms`, `${libR.toFixed(2)} ms (openid-client)`, `${(kitR / libR).toFixed(2)}×`]);
rows.push(['per loaded component (one worker)', `${perComponent.toFixed(0)} KiB resident`, `load ${load.toFixed(0)} ms`, '—']);

console.log('| what | kit | baseline | ratio |');
console.log('| --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
await Promise.all(kits.map((k) => k.close()));
