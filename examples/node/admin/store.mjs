// The admin app's own store: one JSON document (settings, mailboxes with their tokens,
// sessions with their pending authorizations), encrypted at rest with AES-256-GCM and
// replaced atomically (written beside, fsynced, renamed) on every change. Node 20 has no
// SQLite of its own, hence an encrypted file (`store.enc`, mode 0600, in a 0700 folder).

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const MAGIC = Buffer.from('MOA1');
const AAD = Buffer.from('mail-oauth admin store v1');

/** A store that cannot be read: the message names the file and the cause, never a value. */
export class StoreError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StoreError';
  }
}

/** JSON with the kit's u64 values (BigInt) kept as `{"$u64": "…"}`. */
const replacer = (key, value) => (typeof value === 'bigint' ? { $u64: value.toString() } : value);
const reviver = (key, value) => (value && typeof value === 'object' && typeof value.$u64 === 'string'
  && Object.keys(value).length === 1 ? BigInt(value.$u64) : value);

/** The 32-byte key: `MAIL_OAUTH_ADMIN_KEY` (64 hex digits), else `DIR/key`, made once (0600). */
export function loadKey(dir, env = process.env) {
  if (env.MAIL_OAUTH_ADMIN_KEY !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(env.MAIL_OAUTH_ADMIN_KEY)) {
      throw new StoreError('MAIL_OAUTH_ADMIN_KEY must be 64 hex digits (32 bytes)');
    }
    return Buffer.from(env.MAIL_OAUTH_ADMIN_KEY, 'hex');
  }
  const file = path.join(dir, 'key');
  try {
    fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
  }
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new StoreError(`${file} is not a 64-hex-digit key`);
  return Buffer.from(text, 'hex');
}

export function seal(key, plaintext) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(AAD);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]);
}

export function open(key, sealed, file) {
  if (sealed.length < MAGIC.length + 28 || !sealed.subarray(0, 4).equals(MAGIC)) {
    throw new StoreError(`${file} is not a mail-oauth admin store`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(4, 16));
  decipher.setAAD(AAD);
  decipher.setAuthTag(sealed.subarray(16, 32));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(32)), decipher.final()]);
  } catch {
    throw new StoreError(`${file} does not decrypt with this key: it was altered, or the key is another one (the file is left as it is)`);
  }
}

const EMPTY = () => ({ settings: null, mailboxes: {}, sessions: {} });

export class Store {
  /** Opens (or creates) the store in `dir`; a store that does not decrypt is refused, untouched. */
  constructor(dir, env = process.env) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    this.file = path.join(dir, 'store.enc');
    this.key = loadKey(dir, env);
    this.data = fs.existsSync(this.file)
      ? JSON.parse(open(this.key, fs.readFileSync(this.file), this.file).toString('utf8'), reviver)
      : EMPTY();
  }

  /** A deep copy of the current document. */
  read() {
    return JSON.parse(JSON.stringify(this.data, replacer), reviver);
  }

  /** Applies `change` to a copy and writes it; the document changes only once it is on disk. */
  update(change) {
    const next = this.read();
    const result = change(next);
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, seal(this.key, Buffer.from(JSON.stringify(next, replacer))));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    this.data = next;
    return result;
  }
}
