// Loads the mail-oauth component through jco's transpiled bindings (see
// test.sh) and checks that `sasl.*` and the pure `oauth.*` functions give the
// published vectors when called by their WIT names from an outside host.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

const { sasl, oauth } = await import(
  new URL('./generated/mail_oauth_guest.js', import.meta.url)
);

/** Runs `call` and returns the `error` variant it must fail with. */
function errorOf(call) {
  let thrown;
  assert.throws(call, (err) => {
    thrown = err;
    return true;
  });
  // jco throws a `ComponentError` whose `payload` is the `err` value.
  assert.equal(thrown.constructor.name, 'ComponentError');
  assert.ok(Object.hasOwn(thrown, 'payload'), 'the error carries the WIT payload');
  return thrown.payload;
}

const base64 = (raw) => Buffer.from(raw, 'utf8').toString('base64');
const base64url = (bytes) => Buffer.from(bytes).toString('base64url');

test('xoauth2 gives the Google XOAUTH2 documentation vector', () => {
  const response = sasl.xoauth2(
    'someuser@example.com',
    'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg',
  );
  assert.equal(
    response,
    'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==',
  );
});

test('oauthbearer gives the RFC 7628 section 4.1 example', () => {
  const token = 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==';
  const expected = base64(
    `n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer ${token}\x01\x01`,
  );
  const response = sasl.oauthbearer('user@example.com', 'server.example.com', 143, token);
  assert.equal(response, expected);
  // The same vector as guest/tests/sasl_vectors.rs, so both hosts and the
  // guest's native tests agree on one string.
  assert.equal(
    response,
    'bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB',
  );
});

test('oauthbearer escapes "," and "=" in the authzid (RFC 5801)', () => {
  const response = sasl.oauthbearer('a,b=c@example.com', 'imap.example.com', 993, 'tok');
  const decoded = Buffer.from(response, 'base64').toString('utf8');
  assert.ok(decoded.startsWith('n,a=a=2Cb=3Dc@example.com,\x01'), JSON.stringify(decoded));
  assert.ok(decoded.includes('\x01port=993\x01'), JSON.stringify(decoded));
});

test('parse-failure decodes the Google error challenge', () => {
  const failure = sasl.parseFailure(
    'eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==',
  );
  assert.deepEqual(
    { status: failure.status, schemes: failure.schemes, scope: failure.scope },
    { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' },
  );
});

test('xoauth2 refuses a user that would inject a key/value as invalid-input', () => {
  const error = errorOf(() => sasl.xoauth2('user@example.com\x01auth=', 'tok'));
  assert.equal(error.tag, 'invalid-input');
  assert.equal(typeof error.val, 'string');
});

test('oauthbearer refuses an empty host as invalid-input', () => {
  assert.equal(errorOf(() => sasl.oauthbearer('user@example.com', '', 143, 'tok')).tag, 'invalid-input');
});

test('parse-failure refuses a challenge that is not base64 JSON as invalid-input', () => {
  assert.equal(errorOf(() => sasl.parseFailure('not base64 !')).tag, 'invalid-input');
  assert.equal(errorOf(() => sasl.parseFailure(base64('{"schemes":"bearer"}'))).tag, 'invalid-input');
});

test('providers lists the Google and Microsoft presets', () => {
  const ids = oauth.providers().map((provider) => provider.id);
  assert.ok(ids.includes('google'), ids.join(','));
  assert.ok(ids.includes('microsoft'), ids.join(','));
});

test('preset refuses an empty Microsoft tenant as invalid-input', () => {
  assert.equal(errorOf(() => oauth.preset({ tag: 'microsoft', val: '' })).tag, 'invalid-input');
});

test('begin-authorization with the Google preset builds a PKCE S256 URL', () => {
  const google = oauth.preset({ tag: 'google' });
  const client = {
    id: 'example-client.apps.googleusercontent.com',
    secret: undefined,
    redirectUri: 'http://127.0.0.1:8765/callback',
  };
  const pending = oauth.beginAuthorization(google, client, { scopes: [], loginHint: 'someuser@example.com' });

  const url = new URL(pending.url);
  assert.equal(`${url.origin}${url.pathname}`, google.authorizationEndpoint);
  const query = url.searchParams;
  assert.equal(query.get('response_type'), 'code');
  assert.equal(query.get('client_id'), client.id);
  assert.equal(query.get('redirect_uri'), client.redirectUri);
  assert.equal(query.get('code_challenge_method'), 'S256');
  assert.equal(query.get('access_type'), 'offline');
  assert.equal(query.get('prompt'), 'consent');
  assert.equal(query.get('login_hint'), 'someuser@example.com');
  assert.equal(query.get('state'), pending.state);
  assert.equal(
    query.get('code_challenge'),
    base64url(createHash('sha256').update(pending.pkceVerifier).digest()),
  );
  assert.ok(query.get('scope').split(' ').includes('https://mail.google.com/'), query.get('scope'));
  assert.equal(pending.redirectUri, client.redirectUri);

  const again = oauth.beginAuthorization(google, client, { scopes: [], loginHint: undefined });
  assert.notEqual(again.state, pending.state, 'every request gets a fresh state');
});

test('discover reaches the host http import and reports its error', () => {
  const error = errorOf(() => oauth.discover('https://accounts.google.com'));
  assert.equal(error.tag, 'http');
  assert.deepEqual(error.val, { tag: 'other', val: 'this example host performs no HTTP' });
});
