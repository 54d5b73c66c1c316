// The `mail-oauth:plugin/http` import as this example host provides it.
//
// jco calls imports synchronously, and Node has no synchronous HTTP client, so
// this host answers every request with the `other` case of `http-error`. The
// SASL functions and the pure OAuth functions (`providers`, `preset`,
// `begin-authorization`) never call it. A real host would implement `send`
// with an async import (jco's `--async-mode jspi`) under its egress policy,
// without following redirects.

/** What jco turns into the `err` case of `result<response, http-error>`. */
class HttpUnavailable extends Error {
  constructor(request) {
    super(`no HTTP in this example host (${request.method} ${request.url})`);
    // jco reads a thrown error's own `payload` as the `err` value.
    Object.defineProperty(this, 'payload', {
      value: { tag: 'other', val: 'this example host performs no HTTP' },
    });
  }
}

/** `send: func(req: request) -> result<response, http-error>` */
export function send(request) {
  throw new HttpUnavailable(request);
}
