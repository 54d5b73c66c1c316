// The scripted `http` of a non-live run, loaded by the kit's I/O thread as its
// `httpModule`: each call's EXCHANGEs (FORMAT.md) are answered in order, and
// `end` says what went wrong: a request not in the script, one that does not
// match, or requests left unsent.

import { mismatch } from './pattern.js';

const scripts = new Map();

export function begin(callId, exchanges) {
  scripts.set(callId, { exchanges: exchanges ?? [], next: 0, error: null });
}

export function send(request, callId) {
  const script = scripts.get(callId);
  const seen = {
    method: request.method,
    url: request.url,
    headers: request.headers.map(({ name, value }) => [name.toLowerCase(), value]),
    body: Buffer.from(request.body).toString('utf8'),
  };
  if (script.next >= script.exchanges.length) {
    script.error ??= `request ${script.next + 1} (${request.method} ${request.url}) is not in the script`;
    return { err: { tag: 'other', val: 'not in the script' } };
  }
  const exchange = script.exchanges[script.next];
  script.next += 1;
  const why = mismatch(exchange.request, seen, `http[${script.next - 1}].request`);
  if (why) {
    script.error ??= why;
    return { err: { tag: 'other', val: 'the request does not match the script' } };
  }
  if (exchange.error) return { err: exchange.error };
  const { status, headers = [], body = '' } = exchange.response;
  return {
    ok: { status, headers: headers.map(([name, value]) => ({ name, value })), body: new Uint8Array(Buffer.from(body, 'utf8')) },
  };
}

export function end(callId) {
  const script = scripts.get(callId);
  scripts.delete(callId);
  if (!script) return null;
  if (!script.error && script.next < script.exchanges.length) {
    return `the component sent ${script.next} of the script's ${script.exchanges.length} requests`;
  }
  return script.error;
}
