// Local OAuth2/OIDC authorization server for the mail-oauth tests (oidc-provider by panva).
// Loopback only. Interactions (login + consent) are auto-approved so that any
// HTTP client with a cookie jar that follows redirects completes the code flow
// (mail_oauth_tests::browser::Browser does exactly that).
//
// What the tests rely on beyond a stock provider:
// - RFC 9207: oidc-provider 9 always adds `iss` to authorization responses and
//   advertises `authorization_response_iss_parameter_supported: true`; keep it.
// - RFC 8252 loopback redirects: the clients are `application_type: native`, for
//   which oidc-provider accepts `http://127.0.0.1:<any port>/callback` against the
//   registered `http://127.0.0.1/callback` (Client#redirectAllowed strips the port
//   of loopback URIs). tests/tests/peer_stack.rs checks it with ephemeral ports.
// - login_hint picks the account; login_hint=deny@example.test answers access_denied.
// - The client `mail-web` (the browser journey's admin apps, tests/browser) gets real
//   pages instead: a login form (any known account, password AS_PASSWORD, default
//   `peers-password`) and a consent page with Allow and Deny.
// - AS_STATE_DIR (up.sh sets it): codes, tokens, grants, sessions and the signing key
//   are kept there, so a restarted AS (tests/browser stops it during a callback) still
//   knows them, as a real provider does across a restart of one of its front ends.
// - POST /peers/revoke-grants (form: account, client_id) removes the account's grants
//   for the client and every token issued under them: what a user does on a provider's
//   "third-party access" page.
import http from 'node:http';
import { createPersistentAdapter } from './state.mjs';
import { renderConsent, renderLogin, readForm } from './pages.mjs';
import { generateKeyPair, exportJWK } from 'jose';
import Provider, { errors, interactionPolicy } from 'oidc-provider';

const HOST = process.env.AS_HOST || '127.0.0.1';
const PORT = Number(process.env.AS_PORT || 10090);
const ISSUER = process.env.AS_ISSUER || `http://${HOST}:${PORT}`;
const ACCESS_TTL = Number(process.env.AS_ACCESS_TTL || 600);
const DEFAULT_USER = process.env.AS_DEFAULT_USER || 'alice@example.test';
const PASSWORD = process.env.AS_PASSWORD || 'peers-password';
const STATE_DIR = process.env.AS_STATE_DIR || '';
// Never listen beyond loopback: the clients' secrets are public test fixtures.
if (!['127.0.0.1', '::1', 'localhost'].includes(HOST)) {
  console.error(`AS_HOST=${HOST} refused: the test AS listens on loopback only`);
  process.exit(2);
}

// Known accounts. accountId == sub == email == mail login name.
const ACCOUNTS = new Set(['alice@example.test', 'bob@example.test', 'svc@example.test']);
// Client-credentials tokens act for this mailbox (like M365 app-only IMAP access).
const CC_ACCOUNTS = { 'mail-confidential': 'svc@example.test' };

const loopbackRedirects = ['http://127.0.0.1/callback', 'http://localhost/callback', 'http://[::1]/callback'];
const clients = [
  { // public native app: PKCE, loopback redirect with any port (RFC 8252)
    client_id: 'mail-public', token_endpoint_auth_method: 'none', application_type: 'native',
    redirect_uris: loopbackRedirects, response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
  },
  { // confidential client (client_secret_basic or client_secret_post both accepted)
    client_id: 'mail-confidential', client_secret: 'mail-confidential-secret',
    token_endpoint_auth_method: 'client_secret_basic', application_type: 'native',
    redirect_uris: loopbackRedirects, response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
  },
  { // public client whose access tokens live only AS_SHORT_TTL seconds (expiry tests)
    client_id: 'mail-short', token_endpoint_auth_method: 'none', application_type: 'native',
    redirect_uris: loopbackRedirects, response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
  },
  { // the admin web apps of tests/browser: real login and consent pages (see above)
    client_id: 'mail-web', client_secret: 'mail-web-secret', client_name: 'mail-oauth admin (browser journey)',
    token_endpoint_auth_method: 'client_secret_basic', application_type: 'native',
    redirect_uris: ['http://127.0.0.1/admin/settings/mail/oauth2',
      'http://127.0.0.1/plugins/oauthimap/front/authorization.callback.php'],
    response_types: ['code'], grant_types: ['authorization_code', 'refresh_token'],
  },
  { // resource server (Dovecot) that calls the introspection endpoint
    client_id: 'dovecot', client_secret: 'dovecot-secret',
    redirect_uris: [], response_types: [], grant_types: [],
  },
];

const INTERACTIVE_CLIENTS = new Set(['mail-web']);
// Like Google's account chooser: a login_hint naming another account than the session's
// asks for a login again (oidc-provider's base policy would reuse the session).
const policy = interactionPolicy.base();
policy.get('login').checks.push(new interactionPolicy.Check('login_hint_other_account',
  'the login_hint names another account than the session', (ctx) => {
    const { params, session } = ctx.oidc;
    return params.login_hint && session.accountId && params.login_hint !== session.accountId
      ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
  }));
const state = STATE_DIR ? createPersistentAdapter(STATE_DIR) : null;
const jwk = (state && state.loadKey()) || await (async () => {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const key = { ...(await exportJWK(privateKey)), kid: 'peers-rs256', alg: 'RS256', use: 'sig' };
  if (state) state.saveKey(key);
  return key;
})();

const provider = new Provider(ISSUER, {
  ...(state ? { adapter: state.Adapter } : {}),
  clients,
  jwks: { keys: [jwk] },
  cookies: { keys: ['peers-local-test-cookie-key'] },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'mail'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },                 // PKCE (S256) mandatory for every code flow
  clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
  // Like Google and Microsoft, put the scope's claims (email) in the ID token
  // of the code flow too; the default keeps them for the userinfo endpoint.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },          // replaced by the auto-approve below
    introspection: {                              // RFC 7662, used by Dovecot
      enabled: true,
      allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
    },
    revocation: { enabled: true },                // RFC 7009
    deviceFlow: { enabled: true },                // RFC 8628
    clientCredentials: { enabled: true },
    userinfo: { enabled: true },
  },
  async findAccount(ctx, id) {
    if (!ACCOUNTS.has(id)) return undefined;
    return { accountId: id, async claims() { return { sub: id, email: id, email_verified: true, name: id.split('@')[0] }; } };
  },
  // refresh tokens for every client allowed to use them, no offline_access needed
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,                 // always rotate; reuse of an old one fails
  async extraTokenClaims(ctx, token) {            // returned as top-level introspection claims
    if (token.kind === 'ClientCredentials') {
      const acct = CC_ACCOUNTS[token.clientId];
      return acct ? { email: acct, username: acct } : undefined;
    }
    if (token.accountId) return { email: token.accountId, username: token.accountId };
    return undefined;
  },
  ttl: {
    AccessToken: (ctx, token, client) => (client && client.clientId === 'mail-short'
      ? Number(process.env.AS_SHORT_TTL || 3) : ACCESS_TTL),
    ClientCredentials: ACCESS_TTL,
    AuthorizationCode: 60,
    DeviceCode: 600,
    RefreshToken: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
    IdToken: 3600,
    Interaction: 600,
    Session: 14 * 24 * 3600,
  },
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError(ctx, out) { ctx.type = 'json'; ctx.body = out; },
});
provider.proxy = false;

/** Grants what the consent prompt asks for (to the existing grant, or a new one); its id. */
async function grantConsent({ prompt, params, session, grantId }) {
  const grant = grantId ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const d = prompt.details;
  if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
  if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
  if (d.missingResourceScopes) for (const [ind, sc] of Object.entries(d.missingResourceScopes)) grant.addResourceScope(ind, sc.join(' '));
  return grant.save();
}

// The interactive clients' pages: GET shows the login or consent form, the forms post back.
async function interactiveResult(ctx, details) {
  const { prompt } = details;
  const form = await readForm(ctx.req);
  if (ctx.path.endsWith('/abort')) {
    return { error: 'access_denied', error_description: 'the user denied the request' };
  }
  if (prompt.name === 'login' && ctx.path.endsWith('/login')) {
    const email = String(form.get('email') || '').trim().toLowerCase();
    if (!ACCOUNTS.has(email) || form.get('password') !== PASSWORD) return null;
    return { login: { accountId: email, remember: true } };
  }
  if (prompt.name === 'consent' && ctx.path.endsWith('/confirm')) {
    return { consent: { grantId: await grantConsent(details) } };
  }
  throw new errors.InvalidRequest(`unexpected form for prompt ${prompt.name}`);
}

provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([^/]+)(\/(login|confirm|abort))?$/.exec(ctx.path);
  if (!m) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (!INTERACTIVE_CLIENTS.has(details.params.client_id)) return next();
  const client = await provider.Client.find(details.params.client_id);
  const page = { uid: m[1], clientName: client.clientName || client.clientId, params: details.params };
  ctx.set('cache-control', 'no-store');
  if (ctx.method === 'GET' && !m[2]) {
    ctx.type = 'html';
    ctx.body = details.prompt.name === 'login' ? renderLogin(page) : renderConsent({ ...page, prompt: details.prompt });
    return undefined;
  }
  if (ctx.method !== 'POST' || !m[2]) return next();
  const result = await interactiveResult(ctx, details);
  if (!result) { // wrong password: the form again, with a sentence
    ctx.status = 401;
    ctx.type = 'html';
    ctx.body = renderLogin({ ...page, failed: true });
    return undefined;
  }
  console.log(`interaction ${m[1]} prompt=${details.prompt.name} (page) -> ${Object.keys(result)[0]}`);
  const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.status = 303;
  ctx.redirect(redirectTo);
  return undefined;
});

// A user removing an application's access on the provider's account page.
provider.use(async (ctx, next) => {
  if (ctx.path !== '/peers/revoke-grants' || ctx.method !== 'POST') return next();
  if (!state) { ctx.status = 501; ctx.body = { error: 'needs AS_STATE_DIR' }; return undefined; }
  const form = await readForm(ctx.req);
  const removed = await state.revokeGrants(String(form.get('account') || ''), String(form.get('client_id') || ''));
  console.log(`revoke-grants ${form.get('account')} ${form.get('client_id')}: ${removed}`);
  ctx.type = 'json';
  ctx.body = { removed };
  return undefined;
});

// Auto-approving interaction endpoint: login as login_hint (if a known account)
// or AS_DEFAULT_USER; login_hint=deny@example.test answers access_denied.
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([^/]+)$/.exec(ctx.path);
  if (!m || ctx.method !== 'GET') return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params } = details;
  let result;
  if (params.login_hint === 'deny@example.test') {
    result = { error: 'access_denied', error_description: 'user denied (test account)' };
  } else if (prompt.name === 'login') {
    const who = ACCOUNTS.has(params.login_hint) ? params.login_hint : DEFAULT_USER;
    result = { login: { accountId: who, remember: false } };
  } else if (prompt.name === 'consent') {
    result = { consent: { grantId: await grantConsent(details) } };
  } else {
    throw new errors.InvalidRequest(`unsupported prompt ${prompt.name}`);
  }
  console.log(`interaction ${m[1]} prompt=${prompt.name} -> ${JSON.stringify(result).slice(0, 120)}`);
  const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.status = 303;
  ctx.redirect(redirectTo);
});

for (const ev of ['grant.error', 'introspection.error', 'revocation.error', 'server_error']) {
  provider.on(ev, (ctx, err) => console.error(ev, err && (err.error_description || err.message)));
}
provider.on('grant.success', (ctx) => console.log('grant.success', ctx.oidc.params.grant_type));

const server = http.createServer(provider.callback());
server.listen(PORT, HOST, () => console.log(`oidc-provider listening on ${ISSUER} (pid ${process.pid})`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
