// The AS's storage when AS_STATE_DIR is set: oidc-provider's adapter interface over a
// map in memory, written through to one JSON file per entry so that a restarted AS
// finds every code, token, grant and session it had issued.
import fs from 'node:fs';
import path from 'node:path';

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest']);

const now = () => Math.floor(Date.now() / 1000);

export function createPersistentAdapter(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const entries = new Map(); // "Model/id" -> { payload, expiresAt }
  const fileOf = (key) => path.join(dir, `${encodeURIComponent(key)}.json`);

  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.json') || name === 'jwk.json') continue;
    const file = path.join(dir, name);
    const entry = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (entry.expiresAt && entry.expiresAt <= now()) fs.rmSync(file, { force: true });
    else entries.set(decodeURIComponent(name.slice(0, -'.json'.length)), entry);
  }

  const write = (key, entry) => {
    entries.set(key, entry);
    const file = fileOf(key);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(entry), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  };
  const remove = (key) => {
    entries.delete(key);
    fs.rmSync(fileOf(key), { force: true });
  };
  const live = (key) => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt && entry.expiresAt <= now()) { remove(key); return undefined; }
    return entry.payload;
  };

  class Adapter {
    constructor(model) { this.model = model; }

    key(id) { return `${this.model}/${id}`; }

    async upsert(id, payload, expiresIn) {
      write(this.key(id), { payload, expiresAt: expiresIn ? now() + expiresIn : undefined });
    }

    async find(id) { return live(this.key(id)); }

    async findByUid(uid) {
      for (const [key, entry] of entries) {
        if (key.startsWith(`${this.model}/`) && entry.payload.uid === uid) return live(key);
      }
      return undefined;
    }

    async findByUserCode(userCode) {
      for (const [key, entry] of entries) {
        if (key.startsWith(`${this.model}/`) && entry.payload.userCode === userCode) return live(key);
      }
      return undefined;
    }

    async consume(id) {
      const key = this.key(id);
      const entry = entries.get(key);
      if (entry) write(key, { ...entry, payload: { ...entry.payload, consumed: now() } });
    }

    async destroy(id) { remove(this.key(id)); }

    async revokeByGrantId(grantId) {
      for (const [key, entry] of [...entries]) {
        if (GRANTABLE.has(key.split('/')[0]) && entry.payload.grantId === grantId) remove(key);
      }
    }
  }

  return {
    Adapter,
    loadKey() {
      const file = path.join(dir, 'jwk.json');
      return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
    },
    saveKey(jwk) { fs.writeFileSync(path.join(dir, 'jwk.json'), JSON.stringify(jwk), { mode: 0o600 }); },
    /** Removes the grants of `accountId` for `clientId` and every token issued under them. */
    async revokeGrants(accountId, clientId) {
      let removed = 0;
      for (const [key, entry] of [...entries]) {
        const [model, id] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
        if (model !== 'Grant' || entry.payload.accountId !== accountId || entry.payload.clientId !== clientId) continue;
        await new Adapter('Grant').revokeByGrantId(id);
        remove(key);
        removed += 1;
      }
      return removed;
    },
  };
}
