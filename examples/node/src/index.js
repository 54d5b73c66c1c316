// The Node kit of mail-oauth: the component's every export by WIT name
// (camelCase), async, run in worker threads with real HTTP and TLS sockets
// under a deny-by-default egress policy. See README.md.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Worker } from 'node:worker_threads';

import { transpile } from '@bytecodealliance/jco';

import { DEFAULT_LIMITS, Denied, Policy, classify } from './policy.js';

export { DEFAULT_LIMITS, Denied, Policy, classify };

/** Field names (camelCase, as jco names them) whose values are secrets. */
export const SECRET_FIELDS = new Set([
  'accessToken', 'refreshToken', 'idToken', 'secret', 'pkceVerifier', 'deviceCode', 'clientSecret', 'token', 'password',
]);
const REDACTED = '[redacted]';

/**
 * Gives `value` (and every object inside it) a `util.inspect` form that
 * shows `[redacted]` for secret fields and for an `access-token` credential.
 * The values themselves stay as they are (and JSON.stringify keeps them: a
 * platform stores token sets).
 */
export function redactable(value) {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  for (const item of Object.values(value)) redactable(item);
  if (Array.isArray(value)) return value;
  Object.defineProperty(value, inspect.custom, {
    enumerable: false,
    configurable: true,
    value(depth, options, show) {
      const shown = {};
      for (const [key, item] of Object.entries(this)) {
        const secret = (SECRET_FIELDS.has(key) || (key === 'val' && this.tag === 'access-token')) && item != null;
        shown[key] = secret ? REDACTED : item;
      }
      return show(shown, options);
    },
  });
  return value;
}

/** A WIT error variant: `.tag` is its case, `.value` its payload. */
export class PluginError extends Error {
  constructor(tag, value, name) {
    super(`${name}: ${tag}${value === undefined ? '' : `: ${inspect(redactable(value), { depth: 4, breakLength: Infinity })}`}`);
    this.name = this.constructor.name;
    this.tag = tag;
    this.value = value;
  }
}

/** `oauth-error`: branch on `.tag` (`reauthorize-required`, `temporary-failure`, ...). */
export class OAuthError extends PluginError {}

/** `sasl-error` (only `invalid-input`). */
export class SaslError extends PluginError {}

/**
 * `mail-failure`: `.tag`/`.value` of its `mail-error`; `.refreshed` is the
 * token set refreshed during the failed call (store it) or undefined.
 */
export class MailFailure extends PluginError {
  constructor(failure, name) {
    super(failure.error.tag, failure.error.val, name);
    this.refreshed = redactable(failure.refreshed);
  }

  /** For an `oauth(...)` failure, the nested oauth-error's tag. */
  get oauthTag() {
    return this.tag === 'oauth' ? this.value.tag : undefined;
  }
}

/** The component trapped, ran past its deadline, or its worker died: a bug or a runaway. */
export class CallTrapped extends Error {}

const ERRORS = { oauth: OAuthError, sasl: SaslError };

/** jco's files for this component, transpiled once into a cache directory keyed by its digest. */
async function transpiled(bytes, sha256, cacheDir) {
  const dir = join(cacheDir, sha256);
  if (existsSync(join(dir, 'mail_oauth.js'))) return dir;
  const { files } = await transpile(bytes, {
    name: 'mail_oauth', instantiation: 'sync', noTypescript: true, quiet: true,
  });
  const staging = `${dir}.${process.pid}.${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  for (const [file, data] of Object.entries(files)) {
    mkdirSync(join(staging, file, '..'), { recursive: true });
    writeFileSync(join(staging, file), data);
  }
  try {
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(dir, 'mail_oauth.js'))) throw error;
  }
  return dir;
}

/** A component worker with its queue: one call at a time. */
class Slot {
  constructor(kit) {
    this.kit = kit;
    this.pending = new Map();
    this.busy = 0;
    this.spawn();
  }

  spawn() {
    this.worker = new Worker(new URL('./component-worker.js', import.meta.url), {
      workerData: {
        dir: this.kit.dir, policy: this.kit.policy.toJSON(), limits: this.kit.limits, httpModule: this.kit.httpModule,
      },
    });
    this.worker.unref();
    this.worker.on('message', (message) => this.settle(message));
    this.worker.on('error', (error) => this.failAll(`the component worker failed: ${error.message}`));
    this.worker.on('exit', () => this.failAll('the component worker exited'));
  }

  settle(message) {
    const entry = this.pending.get(message.id);
    if (!entry) return;
    this.pending.delete(message.id);
    this.busy -= 1;
    clearTimeout(entry.timer);
    entry.settle(message);
  }

  failAll(why) {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      this.pending.delete(id);
      this.busy -= 1;
      entry.settle({ id, trap: why });
    }
  }

  run(id, name, args, httpData) {
    return new Promise((settle) => {
      this.busy += 1;
      // A runaway (a loop in the component, a stuck import) costs the
      // deadline, then this worker: it is replaced, its other calls fail.
      const timer = setTimeout(() => {
        const worker = this.worker;
        this.failAll(`${name}: past the ${this.kit.deadlineMs} ms deadline`);
        worker.removeAllListeners('exit');
        worker.terminate();
        if (!this.kit.closed) this.spawn();
      }, this.kit.deadlineMs);
      this.pending.set(id, { settle, timer });
      this.worker.ref();
      this.worker.postMessage({ id, name, args, httpData });
    }).finally(() => {
      if (this.busy === 0) this.worker.unref();
    });
  }
}

function interfaceProxy(kit, iface) {
  return new Proxy({}, {
    get(_target, fn) {
      if (typeof fn !== 'string') return undefined;
      const wit = fn.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      return (...args) => kit.call(`${iface}.${wit}`, ...args);
    },
  });
}

/**
 * The loaded component. `await MailOAuth.load(wasmPath, {policy, sha256,
 * limits, workers, deadlineMs, cacheDir})`, then `await kit.oauth.refresh(...)`
 * or `await kit.call('oauth.refresh', ...)`; `kit.close()` ends the workers.
 * `httpModule` (tests only) replaces the real `http` import with the module's
 * `send(request, callId)`, run on the I/O thread, which also gets
 * `begin(callId, httpData)` and `end(callId)` around each call.
 */
export class MailOAuth {
  static async load(wasmPath, options = {}) {
    const bytes = readFileSync(wasmPath);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (options.sha256 && options.sha256.toLowerCase() !== sha256) {
      throw new Error(`${wasmPath}: sha256 ${sha256} is not the expected ${options.sha256}`);
    }
    const cacheDir = options.cacheDir ?? join(tmpdir(), 'mail-oauth-node');
    const dir = await transpiled(bytes, sha256, cacheDir);
    return new MailOAuth(dir, sha256, options);
  }

  constructor(dir, sha256, {
    policy = new Policy(), limits = {}, workers = 2, deadlineMs = 120_000, httpModule = null,
  } = {}) {
    this.dir = dir;
    this.httpModule = httpModule ? String(httpModule) : null;
    this.sha256 = sha256;
    this.policy = policy instanceof Policy ? policy : new Policy(policy);
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.deadlineMs = deadlineMs;
    this.closed = false;
    this.nextId = 1;
    this.slots = Array.from({ length: workers }, () => new Slot(this));
    this.oauth = interfaceProxy(this, 'oauth');
    this.sasl = interfaceProxy(this, 'sasl');
    this.mail = interfaceProxy(this, 'mail');
  }

  [inspect.custom]() {
    return `MailOAuth { sha256: '${this.sha256.slice(0, 16)}…', workers: ${this.slots.length} }`;
  }

  /** Calls `interface.function` (WIT names); resolves to the ok value or rejects with a typed error. */
  async call(name, ...args) {
    const message = await this.#run(name, args);
    if ('ok' in message) return redactable(message.ok);
    const iface = name.split('.')[0];
    if (iface === 'mail') throw new MailFailure(message.witError, name);
    throw new (ERRORS[iface] ?? PluginError)(message.witError.tag, message.witError.val, name);
  }

  /**
   * Like `call`, but a WIT `err` comes back as `{err: payload}` (jco's value)
   * instead of an exception, and the ok value as `{ok: value}`; with an
   * `httpModule` (see `load`), `httpData` goes to its `begin` and `{httpReport}`
   * is what its `end` returned. For conformance runners and tests.
   */
  async callResult(name, args, { httpData } = {}) {
    const message = await this.#run(name, args, httpData);
    const out = 'ok' in message ? { ok: message.ok } : { err: message.witError };
    if ('httpReport' in message) out.httpReport = message.httpReport;
    return out;
  }

  async #run(name, args, httpData) {
    if (this.closed) throw new Error('this MailOAuth is closed');
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const message = await slot.run(this.nextId++, name, args, httpData);
    if (message.usage) throw new TypeError(message.usage);
    if (message.trap) throw new CallTrapped(message.trap);
    return message;
  }

  async close() {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
