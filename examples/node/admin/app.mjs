// What the admin page does, on the Node kit: the settings, the authorization of a
// mailbox (begin → the provider → the callback → complete), the checks, the test
// message and the disconnection. Every answer is a flash for the next page: a sentence
// an admin can act on, and for a connection test the steps with their timings.

import { MailFailure, MailOAuth, OAuthError, Policy } from '../src/index.js';

export const PROVIDERS = { google: 'Google', microsoft: 'Microsoft 365', custom: 'Custom OpenID provider' };
export const SECURITY = { 'implicit-tls': 'TLS', starttls: 'STARTTLS' };
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

const nowSeconds = () => BigInt(Math.floor(Date.now() / 1000));
const originOf = (url) => new URL(url).origin;

/** `host:port` → {host, port}, or null. */
export function parseServer(text, security) {
  const m = HOST_PORT.exec(String(text || '').trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535 || !(security in SECURITY)) return null;
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]), security };
}

const ok = (text, extra = {}) => ({ kind: 'ok', text, ...extra });
const fail = (text, extra = {}) => ({ kind: 'error', text, ...extra });

/** What an http-error means for the admin. */
function httpSentence(error) {
  switch (error.tag) {
    case 'denied': return `the app's egress policy refused it (${error.val})`;
    case 'unreachable': return `the connection failed (${error.val})`;
    case 'timeout': return 'it did not answer in time';
    case 'tls': return `its TLS certificate was refused (${error.val})`;
    case 'too-large': return 'its answer was too large';
    default: return error.val || error.tag;
  }
}

/** The sentence for an oauth-error, with whether a retry may help. */
export function oauthSentence(error) {
  const v = error.value ?? error.val;
  switch (error.tag) {
    case 'reauthorize-required':
      return 'The provider no longer accepts this authorization (it was revoked, expired or replaced): connect the mailbox again.';
    case 'access-denied':
      return `The consent was denied at the provider${v ? ` (${v})` : ''}: nothing was connected. Connect the mailbox again and accept the requested access.`;
    case 'state-mismatch':
      return 'This callback does not match the authorization in progress in this browser (wrong state). Nothing was changed: finish signing in at the provider, or connect the mailbox again.';
    case 'issuer-mismatch':
      return `The callback came from another issuer (${v.received}, expected ${v.expected}): check the Issuer URL. Nothing was connected.`;
    case 'provider-error':
      return v.code === 'invalid_client'
        ? 'The provider refused the client (invalid_client): check Client ID and Client secret.'
        : `The provider refused the request (${v.code}${v.description ? `: ${v.description}` : ''}): check the client registration and its scopes.`;
    case 'http':
      return `The provider could not be reached: ${httpSentence(v)}.`;
    case 'temporary-failure':
      return `The provider could not be reached for now (${v}).`;
    case 'invalid-response':
      return `The provider answered something unexpected (HTTP ${v.status}): check the Issuer URL or the provider's status.`;
    case 'invalid-input':
      return `The settings are not usable (${v}): fix them and save.`;
    case 'unsupported':
      return `The provider cannot do this: ${v}.`;
    default:
      return `The provider's answer could not be used (${error.tag}).`;
  }
}

const transportSentence = (error) => {
  switch (error.tag) {
    case 'denied': return `the app's egress policy refused the connection (${error.val})`;
    case 'refused': return `the connection was refused (${error.val}): check the host and port`;
    case 'timeout': return 'the server did not answer in time: check the host, the port and the security';
    case 'tls': return `TLS failed (${error.val}): check the security choice and the server's certificate`;
    case 'closed': return 'the server closed the connection: check the port and the security choice';
    case 'line-too-long': return 'the server sent an endless line: is this a mail server?';
    default: return error.val || error.tag;
  }
};

/** The sentence for a failed mail call (a MailFailure). */
export function mailSentence(failure) {
  const v = failure.value;
  switch (failure.tag) {
    case 'oauth': return oauthSentence(v);
    case 'transport': return transportSentence(v);
    case 'http': return `the mail API could not be reached: ${httpSentence(v)}`;
    case 'sasl-rejected':
      return `the server refused the token (${v.serverText})${v.scope ? `; it asks for scope ${v.scope}` : ''}: check that the account has the mail scope and that OAuth access is enabled for the mailbox`;
    case 'no-mechanism':
      return `the server offers no OAuth login (only ${v.join(', ') || 'none'}): check the server and port`;
    case 'tls-unavailable': return `the server does not offer STARTTLS (${v}): choose TLS and the implicit-TLS port`;
    case 'command-rejected': return `the server refused ${v.step} (${v.reply})`;
    case 'protocol-violation': return `the server does not speak this protocol (${v.step}: ${v.reply}): check the port`;
    case 'temporary-failure': return `the server said to try later (${v.reply})`;
    case 'sender-not-authorized':
      return `the sender ${v.sender} is not the authorized account (${v.user}): send from ${v.user}, or connect the sender's mailbox`;
    case 'invalid-input': return `the input is not usable (${v})`;
    default: return failure.tag;
  }
}

const temporary = (error) => error instanceof OAuthError && ['http', 'temporary-failure'].includes(error.tag)
  && !(error.tag === 'http' && error.value.tag === 'denied');

/** One mailbox's calls at a time (a refresh rotates the refresh token). */
export class Locks {
  constructor() { this.tails = new Map(); }

  async run(key, fn) {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release;
    const mine = new Promise((resolve) => { release = resolve; });
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export class AdminApp {
  constructor({ store, wasm, redirectUri, allowLoopback = false, caFile = null, log = () => {} }) {
    this.store = store;
    this.wasm = wasm;
    this.redirectUri = redirectUri;
    this.allowLoopback = allowLoopback;
    this.caFile = caFile;
    this.log = log;
    this.kits = new Map();
    this.locks = new Locks();
  }

  async close() {
    await Promise.all([...this.kits.values()].map(async (kit) => (await kit).close()));
  }

  /** The kit for a policy (one per distinct policy; a settings change makes a new one). */
  kit(policy) {
    const key = JSON.stringify(policy);
    if (!this.kits.has(key)) {
      for (const [other, kit] of this.kits) { // keep the deny-all one and the newest
        if (other === '{}') continue;
        this.kits.delete(other);
        // closed once any call still running on it is past its deadline (120 s)
        kit.then((k) => setTimeout(() => k.close(), 125_000).unref(), () => {});
      }
      this.kits.set(key, MailOAuth.load(this.wasm, { workers: 1, policy: new Policy(policy) }));
    }
    return this.kits.get(key);
  }

  policyFor(settings, provider) {
    const origins = new Set();
    if (settings.provider === 'custom' && settings.issuer) origins.add(originOf(settings.issuer));
    for (const url of [provider?.tokenEndpoint, provider?.revocationEndpoint]) if (url) origins.add(originOf(url));
    const targets = [settings.imap, settings.smtp].filter(Boolean).map((s) => `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`);
    return {
      allowOrigins: [...origins].sort(), allowTargets: targets, allowLoopback: this.allowLoopback, caFile: this.caFile,
    };
  }

  client(settings) {
    return { id: settings.clientId, secret: settings.clientSecret || undefined, redirectUri: this.redirectUri };
  }

  /** The provider record of the settings and the kit allowed to reach it and the mail servers. */
  async context() {
    const { settings } = this.store.read();
    if (!settings) throw new Error('no settings');
    let provider;
    if (settings.provider === 'custom') {
      provider = settings.discovered;
    } else {
      const bare = await this.kit({});
      provider = await bare.oauth.preset(settings.provider === 'google' ? { tag: 'google' } : { tag: 'microsoft', val: settings.tenant || 'common' });
    }
    if (!provider) throw new Error('no provider');
    return { settings, provider, kit: await this.kit(this.policyFor(settings, provider)), client: this.client(settings) };
  }

  // ------------------------------------------------------------------ settings

  /** Saves the form; for a custom provider, discovers it first (its endpoints are needed). */
  async save(form) {
    const previous = this.store.read().settings ?? {};
    const provider = form.get('provider');
    if (!(provider in PROVIDERS)) return fail('Choose a provider.');
    const settings = {
      provider,
      tenant: (form.get('tenant') || '').trim() || 'common',
      issuer: (form.get('issuer') || '').trim(),
      scopes: (form.get('scopes') || '').split(/\s+/).filter(Boolean),
      clientId: (form.get('client-id') || '').trim(),
      clientSecret: form.get('client-secret') ? form.get('client-secret') : previous.clientSecret,
      imap: parseServer(form.get('imap-server'), form.get('imap-security')),
      smtp: parseServer(form.get('smtp-server'), form.get('smtp-security')),
      discovered: null,
    };
    const missing = [];
    if (!settings.clientId) missing.push('Client ID');
    if (!settings.imap) missing.push('IMAP server (host:port)');
    if (!settings.smtp) missing.push('SMTP server (host:port)');
    if (provider === 'custom') {
      try {
        if (!/^https?:\/\//.test(settings.issuer)) throw new TypeError();
        originOf(settings.issuer);
      } catch {
        missing.push('Issuer URL (https://…)');
      }
    }
    if (missing.length) return fail(`Not saved: fill in ${missing.join(', ')}.`);
    if (provider === 'custom') {
      try {
        const kit = await this.kit(this.policyFor(settings, null));
        settings.discovered = await kit.oauth.discover(settings.issuer);
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        return fail(`Not saved: the Issuer URL could not be used. ${oauthSentence(error)}`);
      }
    }
    this.store.update((data) => { data.settings = settings; });
    return ok('Settings saved.');
  }

  // ------------------------------------------------------------------ authorization

  /** Begins an authorization: the pending one goes into the session, the browser to `url`. */
  async connect(sessionId, form) {
    const loginHint = (form.get('login-hint') || '').trim();
    if (!/^[^\s@]+@[^\s@]+$/.test(loginHint)) return { flash: fail('Enter the e-mail address of the mailbox to connect.') };
    let ctx;
    try {
      ctx = await this.context();
    } catch {
      return { flash: fail('Save the settings first.') };
    }
    const scopes = ctx.settings.scopes?.length ? ctx.settings.scopes
      : ctx.settings.provider === 'custom' ? ['openid', 'email', ...ctx.provider.defaultScopes.filter((s) => !['openid', 'email'].includes(s))] : [];
    try {
      const pending = await ctx.kit.oauth.beginAuthorization(ctx.provider, ctx.client, { scopes, loginHint });
      this.store.update((data) => {
        data.sessions[sessionId].pending = { pending, loginHint, callback: null, startedAt: Date.now() };
      });
      return { redirect: pending.url };
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return { flash: fail(oauthSentence(error)) };
    }
  }

  /** The provider's redirect: the callback's query is kept with the pending authorization. */
  async callback(sessionId, query) {
    const session = this.store.read().sessions[sessionId];
    if (!session?.pending) {
      return fail('This callback does not match any authorization in progress in this browser. Nothing was changed: connect the mailbox again.');
    }
    return this.complete(sessionId, query);
  }

  /** "Try again": the kept callback, exchanged again. */
  async retry(sessionId) {
    const session = this.store.read().sessions[sessionId];
    if (!session?.pending?.callback) return fail('There is no authorization to retry: connect the mailbox again.');
    return this.complete(sessionId, session.pending.callback);
  }

  async complete(sessionId, query) {
    const { pending, loginHint } = this.store.read().sessions[sessionId].pending;
    let ctx;
    try {
      ctx = await this.context();
    } catch {
      return fail('Save the settings first.');
    }
    let tokens;
    try {
      tokens = await ctx.kit.oauth.completeAuthorization(ctx.provider, ctx.client, pending, `${this.redirectUri}?${query}`, nowSeconds());
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      this.log(`callback: ${error.tag}`);
      if (error.tag === 'state-mismatch') return fail(oauthSentence(error));
      if (temporary(error)) {
        this.store.update((data) => { data.sessions[sessionId].pending.callback = query; });
        return fail(`${oauthSentence(error)} The authorization is kept: try again once the provider answers.`, { retry: true });
      }
      this.store.update((data) => { delete data.sessions[sessionId].pending; });
      return fail(oauthSentence(error));
    }
    const address = (tokens.accountEmail || loginHint).toLowerCase();
    this.store.update((data) => {
      delete data.sessions[sessionId].pending;
      data.mailboxes[address] = { address, tokens, state: 'connected', connectedAt: Date.now() };
    });
    const other = address !== loginHint.toLowerCase() ? ` (you asked for ${loginHint}; the provider signed in ${address})` : '';
    return ok(`Mailbox ${address} connected${other}.`);
  }

  // ------------------------------------------------------------------ mailboxes

  /** Runs `fn(ctx, login)` for a connected mailbox, storing any refreshed tokens. */
  async withMailbox(address, fn) {
    return this.locks.run(address, async () => {
      const mailbox = this.store.read().mailboxes[address];
      if (!mailbox) return fail('This mailbox is not connected (any more).');
      if (mailbox.state !== 'connected') return fail(`The authorization of ${address} is gone: connect the mailbox again.`);
      const ctx = await this.context();
      const login = {
        user: address,
        credentials: { tag: 'refreshable', val: { provider: ctx.provider, client: ctx.client, tokens: mailbox.tokens, now: nowSeconds() } },
        mechanism: undefined,
      };
      const keep = (refreshed) => {
        if (refreshed) this.store.update((data) => { data.mailboxes[address].tokens = refreshed; });
        if (refreshed) login.credentials.val.tokens = refreshed;
      };
      return fn(ctx, login, keep, mailbox);
    });
  }

  /** A dead grant: the tokens go, the mailbox stays listed as "Connect again". */
  grantDied(address) {
    this.store.update((data) => {
      const mailbox = data.mailboxes[address];
      if (mailbox) { mailbox.state = 'reauthorize'; delete mailbox.tokens; }
    });
    return fail(`The provider no longer accepts the authorization of ${address} (it was revoked or expired): connect the mailbox again.`);
  }

  async test(address) {
    return this.withMailbox(address, async (ctx, login, keep) => {
      const rows = [];
      const lines = [];
      for (const [label, call, server] of [['IMAP', 'verifyImap', ctx.settings.imap], ['SMTP', 'verifySmtp', ctx.settings.smtp]]) {
        try {
          const report = await ctx.kit.mail[call](server, login);
          keep(report.refreshed);
          for (const step of report.steps) rows.push({ protocol: label, ...step });
          lines.push(`${label}: OK (${report.mechanism ?? 'no SASL'}, ${report.steps.reduce((n, s) => n + s.millis, 0)} ms).`);
        } catch (error) {
          if (!(error instanceof MailFailure)) throw error;
          keep(error.refreshed);
          if (error.oauthTag === 'reauthorize-required') return this.grantDied(address);
          lines.push(`${label}: failed — ${mailSentence(error)}.`);
        }
      }
      const passed = lines.every((l) => l.includes(': OK'));
      return (passed ? ok : fail)(`${passed ? 'Connection test passed. ' : ''}${lines.join(' ')}`, { report: rows });
    });
  }

  async send(address, form) {
    const recipient = (form.get('recipient') || '').trim();
    const sender = (form.get('sender') || '').trim() || address;
    if (!/^[^\s@]+@[^\s@]+$/.test(recipient)) return fail('Enter the recipient\'s e-mail address.');
    return this.withMailbox(address, async (ctx, login, keep) => {
      const message = {
        sender,
        recipients: [recipient],
        subject: 'mail-oauth test message',
        body: `This test message was sent by the mail-oauth admin page for ${address}.\nIf you read it, notifications from this mailbox work.\n`,
        sendAs: false,
        now: nowSeconds(),
      };
      try {
        const report = await ctx.kit.mail.sendTestMessage(ctx.settings.smtp, login, message);
        keep(report.refreshed);
        const data = report.steps.find((s) => s.name === 'data');
        return ok(`Test message delivered to ${recipient}${data ? ` (the server answered: ${data.detail})` : ''}.`, { report: report.steps.map((s) => ({ protocol: 'SMTP', ...s })) });
      } catch (error) {
        if (!(error instanceof MailFailure)) throw error;
        keep(error.refreshed);
        if (error.oauthTag === 'reauthorize-required') return this.grantDied(address);
        return fail(`The test message was not sent: ${mailSentence(error)}.`);
      }
    });
  }

  /** Revokes where the provider can, and removes the tokens whatever the provider said. */
  async disconnect(address) {
    return this.locks.run(address, async () => {
      const mailbox = this.store.read().mailboxes[address];
      if (!mailbox) return fail('This mailbox is not connected (any more).');
      let revoked = 'no token was left to revoke';
      if (mailbox.tokens) {
        const ctx = await this.context();
        const [token, kind] = mailbox.tokens.refreshToken
          ? [mailbox.tokens.refreshToken, 'refresh-token'] : [mailbox.tokens.accessToken, 'access-token'];
        if (!ctx.provider.revocationEndpoint) {
          revoked = 'the provider has no revocation endpoint: remove the app\'s access on the account\'s security page';
        } else {
          try {
            await ctx.kit.oauth.revoke(ctx.provider, ctx.client, token, kind);
            revoked = 'the provider revoked the grant';
          } catch (error) {
            if (!(error instanceof OAuthError)) throw error;
            revoked = `the provider did not confirm the revocation (${oauthSentence(error)}) — remove the app's access on the account's security page`;
          }
        }
      }
      this.store.update((data) => { delete data.mailboxes[address]; });
      return ok(`Mailbox ${address} disconnected: its tokens were removed here, and ${revoked}.`);
    });
  }
}
