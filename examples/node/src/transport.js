// The `transport` import over node:net/tls under a Policy: implicit TLS, or
// STARTTLS upgraded on the same socket (`tls.connect({socket})`), certificate
// and server-name validation, bounded line reads, timeouts, and a cap on the
// connections of one call. As in host-harness/runtime/src/transport.rs, the
// socket connects only to checked addresses, `plain` goes only to loopback,
// and an upgrade is refused while plaintext the server sent after its
// go-ahead is still unread (CVE-2011-0411). Error texts name the target,
// never a byte read or written: the dialogue carries tokens.

import net from 'node:net';
import tls from 'node:tls';

import { trustedCas } from './http.js';
import { Denied } from './policy.js';

const err = (tag, val) => ({ err: val === undefined ? { tag } : { tag, val } });

/** One connection: a socket (TLS or not), a read buffer, waiters. */
class Connection {
  constructor(socket, host, port, security, policy, limits) {
    Object.assign(this, { socket, host, port, security, policy, limits });
    this.buffer = Buffer.alloc(0);
    this.tls = security === 'implicit-tls';
    this.ended = false;
    this.broken = false;
    this.waiter = null;
    this.attach(socket);
  }

  get target() {
    return `${this.host}:${this.port}`;
  }

  attach(socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      if (this.buffer.length > this.limits.maxLineBytes * 2) socket.pause();
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }

  wake() {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /** Resolves when more bytes came, the peer ended, or the I/O timeout passed. */
  more() {
    this.socket.resume();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(false);
      }, this.limits.ioTimeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  async readLine(maxLen) {
    if (this.broken) return err('other', `${this.target}: connection unusable after an earlier error`);
    const cap = Math.min(maxLen, this.limits.maxLineBytes);
    for (;;) {
      const end = this.buffer.subarray(0, cap).indexOf(0x0a);
      if (end >= 0) {
        const line = this.buffer.subarray(0, end + 1);
        this.buffer = this.buffer.subarray(end + 1);
        return { ok: new Uint8Array(line) };
      }
      if (this.buffer.length >= cap) {
        this.broken = true;
        return err('line-too-long');
      }
      if (this.ended) return err('closed');
      if (!(await this.more())) return err('timeout');
    }
  }

  async readExact(length) {
    if (this.broken) return err('other', `${this.target}: connection unusable after an earlier error`);
    if (length > this.limits.maxLineBytes) {
      this.broken = true;
      return err('line-too-long');
    }
    while (this.buffer.length < length) {
      if (this.ended) return err('closed');
      if (!(await this.more())) return err('timeout');
    }
    const data = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return { ok: new Uint8Array(data) };
  }

  async write(data) {
    if (this.broken) return err('other', `${this.target}: connection unusable after an earlier error`);
    if (this.ended) return err('closed');
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(err('timeout')), this.limits.ioTimeoutMs);
      this.socket.write(Buffer.from(data), (error) => {
        clearTimeout(timer);
        resolve(error ? err('closed') : { ok: null });
      });
    });
  }

  async upgradeTls() {
    if (this.security !== 'starttls' || this.tls) {
      return err('other', `${this.target}: only a starttls connection upgrades, once`);
    }
    if (this.buffer.length) {
      this.broken = true;
      return err('other', `${this.target}: plaintext received ahead of the TLS handshake`);
    }
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    try {
      this.socket = await handshake({ socket: plain }, this.host, this.port, this.policy, this.limits);
    } catch (failure) {
      this.broken = true;
      return failure;
    }
    this.tls = true;
    this.ended = false;
    this.attach(this.socket);
    return { ok: null };
  }

  close() {
    this.socket.destroy();
  }
}

function handshake(options, host, port, policy, limits) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      ...options,
      servername: net.isIP(host) ? undefined : host,
      host,
      ca: trustedCas(policy),
      rejectUnauthorized: true,
      checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(err('timeout'));
    }, limits.connectTimeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err('tls', `${host}:${port}: ${error.code ?? 'handshake failed'}`));
    });
  });
}

function tcp(address, family, port, limits) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, family, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(err('timeout'));
    }, limits.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(err('refused', `${address}:${port}: ${error.code ?? 'connect failed'}`));
    });
  });
}

async function open(policy, limits, host, port, security) {
  let addresses;
  try {
    policy.checkHostPort(host, port);
    addresses = await policy.resolve(host, { loopbackOnly: security === 'plain' });
  } catch (error) {
    if (error instanceof Denied) return err('denied', error.message);
    return err('refused', error.message);
  }
  let last = err('refused', `${host}:${port}: no address`);
  for (const { address, family } of addresses) {
    try {
      let socket = await tcp(address, family, port, limits);
      if (security === 'implicit-tls') {
        socket = await handshake({ socket }, host, port, policy, limits);
      }
      return { ok: new Connection(socket, host, port, security, policy, limits) };
    } catch (failure) {
      last = failure;
      if (failure.err?.tag === 'tls') break;
    }
  }
  return last;
}

/** The connections of the calls in flight, by call id then handle. */
export class Connections {
  constructor(policy, limits) {
    this.policy = policy;
    this.limits = limits;
    this.calls = new Map();
    this.nextHandle = 1;
  }

  async connect(callId, host, port, security) {
    const open_ = this.calls.get(callId) ?? new Map();
    this.calls.set(callId, open_);
    if (open_.size >= this.limits.maxConnections) {
      return err('denied', `${host}:${port}: ${this.limits.maxConnections} connections already open`);
    }
    const result = await open(this.policy, this.limits, host, port, security);
    if (!result.ok) return result;
    const handle = this.nextHandle++;
    open_.set(handle, result.ok);
    return { ok: handle };
  }

  async call(callId, handle, method, ...args) {
    const connection = this.calls.get(callId)?.get(handle);
    if (!connection) return err('other', 'no such connection');
    return connection[method](...args);
  }

  drop(callId, handle) {
    const open_ = this.calls.get(callId);
    open_?.get(handle)?.close();
    open_?.delete(handle);
  }

  closeAll(callId) {
    for (const connection of this.calls.get(callId)?.values() ?? []) connection.close();
    this.calls.delete(callId);
  }
}
