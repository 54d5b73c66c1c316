// The `mail-oauth:plugin/transport` import as this example host provides it.
//
// Like `http-host.js`, this host reaches no server: its egress policy allows no
// mail server, so `connect` answers every request with the `denied` case of
// `transport-error`. The functions the example exercises never connect.

/** What jco turns into the `err` case of `result<connection, transport-error>`. */
class Denied extends Error {
  constructor(host, port) {
    super(`no mail connections in this example host (${host}:${port})`);
    // jco reads a thrown error's own `payload` as the `err` value.
    Object.defineProperty(this, 'payload', {
      value: { tag: 'denied', val: `${host}:${port}: this example host opens no mail connections` },
    });
  }
}

/** The `connection` resource; never constructed, since `connect` never succeeds. */
export class Connection {
  readLine() { throw new Error('unreachable: no connection is ever opened'); }
  readExact() { throw new Error('unreachable: no connection is ever opened'); }
  write() { throw new Error('unreachable: no connection is ever opened'); }
  upgradeTls() { throw new Error('unreachable: no connection is ever opened'); }
}

/** `connect: func(host, port, security) -> result<connection, transport-error>` */
export function connect(host, port) {
  throw new Denied(host, port);
}
