<?php

/**
 * The admin app's own tests, driving App::handle directly (no server, no
 * browser, no sleeps): the store seals what it keeps (no plaintext token or
 * secret in the SQLite file; a tampered or moved ciphertext is refused with
 * a clear error and nothing is lost), CSRF refusal, the pending
 * authorization kept through a wrong-state callback and through an
 * unreachable provider (Try again), a denied consent dropping it, a failed
 * revocation still removing the tokens, the Microsoft preset (its tenant, no
 * revocation endpoint), the cached provider dropped when the issuer changes,
 * and no secret in anything the app answers. The provider is Google's preset (no request is made before the
 * code exchange) or a custom one whose endpoints are a closed loopback port.
 * Needs MAIL_OAUTH_WASM and MAIL_OAUTH_WASMTIME_LIB (test.sh sets both).
 */

declare(strict_types=1);

require dirname(__DIR__, 2) . '/tests/lib.php';
require dirname(__DIR__) . '/bootstrap.php';

use MailOAuth\Admin\App;
use MailOAuth\Admin\Config;
use MailOAuth\Admin\Kit;
use MailOAuth\Admin\Request;
use MailOAuth\Admin\Response;
use MailOAuth\Admin\Sessions;
use MailOAuth\Admin\Store;
use MailOAuth\Admin\Tampered;
use MailOAuth\Plugin;
use MailOAuth\Policy;

const PUBLIC_URL = 'http://127.0.0.1:8099';
const SETTINGS = '/front/oauthimap.php';
const CALLBACK = '/plugins/oauthimap/front/authorization.callback.php';
const CLIENT_SECRET = 'client-secret-7f3a9c1e55b04d2b';
const ALICE = 'alice@example.test';

function temp_dir(): string
{
    $dir = sys_get_temp_dir() . '/mail-oauth-admin-test-' . bin2hex(random_bytes(6));
    mkdir($dir, 0o700);
    $GLOBALS['TEMP_DIRS'][] = $dir;
    return $dir;
}

/** One compiled-component cache for every app of this run. */
function plugin_loader(): Closure
{
    static $cache = null;
    $cache ??= temp_dir();
    return static fn (Policy $policy): Plugin => new Plugin(wasm_path(), $policy, cacheDir: $cache);
}

/** A port nothing listens on (bound, then closed). */
function closed_port(): int
{
    $server = stream_socket_server('tcp://127.0.0.1:0');
    $port = (int) substr(strrchr(stream_socket_get_name($server, false), ':'), 1);
    fclose($server);
    return $port;
}

/** The browser: the session cookie kept, the csrf read from the page, every answer kept for the secret scan. */
final class Browser
{
    /** @var array<string, string> */
    public array $cookies = [];
    /** @var list<Response> */
    public array $seen = [];

    public function __construct(public readonly App $app)
    {
    }

    public function get(string $path, string $query = ''): Response
    {
        return $this->keep($this->app->handle(new Request('GET', $path, $query, [], $this->cookies)));
    }

    /** @param array<string, string> $fields csrf added unless given (null: left out) */
    public function post(array $fields, ?string $csrf = ''): Response
    {
        if ($csrf === '') {
            $csrf = $this->csrf();
        }
        if ($csrf !== null) {
            $fields['csrf'] = $csrf;
        }
        return $this->keep($this->app->handle(new Request('POST', SETTINGS, '', $fields, $this->cookies)));
    }

    public function page(): string
    {
        $response = $this->get(SETTINGS);
        eq(200, $response->status, 'the settings page');
        return $response->body;
    }

    /** The text of #message on the settings page (one GET: the flash is shown once). */
    public function message(): string
    {
        return preg_match('#<div id="message"[^>]*>(.*?)</div>#s', $this->page(), $m) ? html_entity_decode(strip_tags($m[1])) : '';
    }

    public function csrf(): string
    {
        preg_match('/name="csrf" value="([0-9a-f]{64})"/', $this->page(), $m) || throw new AssertionFailed('no csrf field on the page');
        return $m[1];
    }

    /** The session's server-side data. @return array<string, mixed> */
    public function session(Store $store): array
    {
        return $store->session(hash('sha256', $this->cookies[Sessions::COOKIE])) ?? throw new AssertionFailed('no session');
    }

    private function keep(Response $response): Response
    {
        foreach ($response->headers as [$name, $value]) {
            if (strcasecmp($name, 'Set-Cookie') === 0 && preg_match('/^([^=]+)=([^;]*)/', $value, $m)) {
                $this->cookies[$m[1]] = $m[2];
                check(str_contains($value, 'HttpOnly') && str_contains($value, 'SameSite=Lax'), 'the cookie is HttpOnly, SameSite=Lax');
            }
        }
        $this->seen[] = $response;
        return $response;
    }
}

/** @return array{Browser, Store, string} a fresh app on a fresh data directory */
function fresh_app(): array
{
    $dir = temp_dir() . '/data';
    $config = new Config(PUBLIC_URL, $dir, allowLoopback: true, wasmPath: wasm_path());
    $store = new Store($dir);
    return [new Browser(new App($config, $store, new Kit($config, $store, plugin_loader()))), $store, $dir];
}

/** @param array<string, string> $overrides */
function save_settings(Browser $browser, array $overrides = []): Response
{
    return $browser->post(['op' => 'save'] + $overrides + [
        'provider' => 'google', 'tenant' => 'common', 'issuer' => '', 'scopes' => '', 'client-id' => 'admin-test.apps.example',
        'client-secret' => CLIENT_SECRET, 'imap-server' => 'imap.gmail.com:993', 'imap-security' => 'implicit-tls',
        'smtp-server' => 'smtp.gmail.com:465', 'smtp-security' => 'implicit-tls',
    ]);
}

/** A custom provider whose endpoints all sit on a closed loopback port, cached as discovery would. */
function unreachable_provider(Browser $browser, Store $store): void
{
    $base = 'http://127.0.0.1:' . closed_port();
    eq(303, save_settings($browser, ['provider' => 'custom', 'issuer' => $base, 'scopes' => 'openid email  mail', 'imap-server' => '127.0.0.1:10993',
        'smtp-server' => '127.0.0.1:10465'])->status, 'saved');
    $settings = $store->settings();
    $settings['provider-cache'] = ['key' => Kit::providerKey($settings), 'provider' => [
        'id' => 'custom', 'display-name' => 'Unreachable', 'issuer' => $base,
        'authorization-endpoint' => "{$base}/auth", 'token-endpoint' => "{$base}/token",
        'device-authorization-endpoint' => null, 'revocation-endpoint' => "{$base}/revoke",
        'default-scopes' => ['openid', 'email'], 'extra-parameters' => [], 'client-auth' => 'basic', 'pkce' => true,
        'mail-servers' => [],
    ]];
    $store->saveSettings($settings);
}

/** @return array<string, string> the query of a 303 to the provider */
function provider_query(Response $response): array
{
    eq(303, $response->status, 'Connect mailbox answers a 303');
    parse_str((string) parse_url((string) $response->header('Location'), PHP_URL_QUERY), $query);
    return $query;
}

function tokens_for(string $who): array
{
    $tokens = ['access-token' => "at-{$who}-" . bin2hex(random_bytes(16)), 'refresh-token' => "rt-{$who}-" . bin2hex(random_bytes(16)),
        'expires-at' => time() + 3600, 'scopes' => ['mail'], 'id-token' => null, 'account-email' => "{$who}@example.test"];
    secret($tokens['access-token'], $tokens['refresh-token']);
    return $tokens;
}

/** @var list<Browser> every browser of the run, for the final scan */
$GLOBALS['BROWSERS'] = [];

test('Save: settings sealed at rest, the client secret write-only, data dir 0700 and key 0600', function () {
    [$browser, $store, $dir] = fresh_app();
    $GLOBALS['BROWSERS'][] = $browser;
    secret(CLIENT_SECRET);
    eq(303, save_settings($browser)->status, 'Save answers a 303');
    $page = $browser->page();
    check(str_contains($page, 'Settings saved.'), 'the page says Settings saved.');
    check(str_contains($page, 'Client secret is set'), 'the secret shows as set');
    check(!preg_match('/name="(action|method|submit|elements|target)"/', $page), 'no control shadows a form property');
    check(!str_contains($page, CLIENT_SECRET), 'the secret is not rendered');
    eq(CLIENT_SECRET, $store->settings()['client-secret'], 'the secret stored');
    save_settings($browser, ['client-secret' => '', 'client-id' => 'another-id']);
    eq(CLIENT_SECRET, $store->settings()['client-secret'], 'an empty field keeps the secret');
    eq('another-id', $store->settings()['client-id'], 'the rest is saved');
    $file = (string) file_get_contents($store->path());
    check(!str_contains($file, CLIENT_SECRET) && !str_contains($file, 'another-id'), 'no plaintext setting in the SQLite file');
    eq(0o700, fileperms($dir) & 0o777, 'the data directory mode');
    eq(0o600, fileperms("{$dir}/key") & 0o777, 'the key file mode');
    eq(0o600, fileperms($store->path()) & 0o777, 'the SQLite file mode');
});

test('encryption at rest: the SQLite file holds no token, and they read back', function () {
    [, $store] = fresh_app();
    $tokens = tokens_for('alice');
    $store->saveTokens(ALICE, $tokens);
    $file = (string) file_get_contents($store->path());
    foreach (['access-token', 'refresh-token'] as $field) {
        foreach ([$tokens[$field], base64_encode($tokens[$field]), bin2hex($tokens[$field])] as $form) {
            check(!str_contains($file, $form), "no {$field} in the file, in any form");
        }
    }
    eq($tokens, $store->tokens(ALICE), 'the tokens read back');
    $key = bin2hex(random_bytes(32));
    $other = new Store($store->dataDir, $key);
    throws(Tampered::class, fn () => $other->tokens(ALICE), 'another key opens nothing');
});

test('tampered ciphertext: refused with a clear error, nothing lost', function () {
    [$browser, $store] = fresh_app();
    $GLOBALS['BROWSERS'][] = $browser;
    save_settings($browser);
    $store->saveTokens(ALICE, tokens_for('alice'));
    $bob = tokens_for('bob');
    $store->saveTokens('bob@example.test', $bob);
    $db = new PDO('sqlite:' . $store->path());
    $sealed = (string) $db->query("SELECT tokens FROM mailboxes WHERE address = 'alice@example.test'")->fetchColumn();
    $flipped = $sealed;
    $flipped[40] = chr(ord($flipped[40]) ^ 1);
    $update = $db->prepare('UPDATE mailboxes SET tokens = ? WHERE address = ?');
    $update->bindValue(1, $flipped, PDO::PARAM_LOB);
    $update->bindValue(2, ALICE);
    $update->execute();
    $e = throws(Tampered::class, fn () => $store->tokens(ALICE), 'a flipped bit');
    check(str_contains($e->getMessage(), 'could not be decrypted') && str_contains($e->getMessage(), ALICE), 'the error names what and why');
    eq($bob, $store->tokens('bob@example.test'), 'the other mailbox still reads');
    $browser->post(['op' => 'test', 'address' => ALICE]);
    check(str_contains($browser->message(), 'could not be decrypted'), 'Test connection says so on the page');
    eq($flipped, (string) $db->query("SELECT tokens FROM mailboxes WHERE address = 'alice@example.test'")->fetchColumn(), 'the row is kept as it was');
    eq(2, count($store->mailboxes()), 'both mailboxes still listed');
    // A sealed value moved to another row does not open either (the row is authenticated).
    $update->bindValue(1, (string) $db->query("SELECT tokens FROM mailboxes WHERE address = 'bob@example.test'")->fetchColumn(), PDO::PARAM_LOB);
    $update->execute();
    throws(Tampered::class, fn () => $store->tokens(ALICE), 'bob\'s ciphertext in alice\'s row');
    // A tampered session is no session: a new one, not an error page.
    $db->exec("UPDATE sessions SET sealed = X'00' || substr(sealed, 2)");
    $cookie = $browser->cookies[Sessions::COOKIE];
    check(str_contains($browser->page(), 'name="csrf"'), 'the page still renders');
    check($browser->cookies[Sessions::COOKIE] !== $cookie, 'with a new session cookie');
    $db->exec("UPDATE settings SET sealed = X'00' || substr(sealed, 2)");
    $response = $browser->get(SETTINGS);
    eq(500, $response->status, 'tampered settings: an error page');
    check(str_contains($response->body, 'could not be decrypted'), 'which says why');
});

test('CSRF: a POST without the session\'s csrf gets a 403 and changes nothing', function () {
    [$browser, $store] = fresh_app();
    $GLOBALS['BROWSERS'][] = $browser;
    save_settings($browser);
    $before = $store->settings();
    $fields = ['op' => 'save', 'provider' => 'custom', 'issuer' => 'https://evil.example', 'client-id' => 'evil',
        'client-secret' => 'evil-secret', 'imap-server' => 'evil.example:993', 'imap-security' => 'implicit-tls',
        'smtp-server' => 'evil.example:465', 'smtp-security' => 'implicit-tls'];
    eq(403, $browser->post($fields, null)->status, 'no csrf field');
    eq(403, $browser->post($fields, str_repeat('0', 64))->status, 'a wrong csrf');
    $stranger = new Browser($browser->app);
    eq(403, $stranger->post($fields + ['csrf' => $browser->csrf()], null)->status, 'another session\'s csrf, no cookie');
    eq(403, $browser->post(['op' => 'disconnect', 'address' => ALICE], null)->status, 'disconnect without csrf');
    eq($before, $store->settings(), 'the settings are unchanged');
    eq(303, $browser->post($fields)->status, 'with the csrf it goes through');
    eq('evil', $store->settings()['client-id'], 'and is saved');
});

test('a callback with a wrong state changes nothing: the pending authorization stays usable', function () {
    [$browser, $store] = fresh_app();
    $GLOBALS['BROWSERS'][] = $browser;
    save_settings($browser);
    $query = provider_query($browser->post(['op' => 'connect', 'login-hint' => ALICE]));
    eq(ALICE, $query['login_hint'] ?? null, 'the login hint rides along');
    $pending = $browser->session($store)['pending']['authorization'];
    secret($pending['pkce-verifier']);
    eq($pending['state'], $query['state'], 'the pending authorization is the session\'s');
    $code = 'code-' . bin2hex(random_bytes(16));
    secret($code);
    $answer = $browser->get(CALLBACK, http_build_query(['code' => $code, 'state' => 'forged-' . bin2hex(random_bytes(8))]));
    eq(303, $answer->status, 'the callback answers a 303');
    eq(SETTINGS, $answer->header('Location'), 'to the settings page');
    $message = $browser->message();
    check(str_contains($message, 'does not match') && str_contains($message, 'Nothing was changed'), "the message: {$message}");
    check($pending === ($browser->session($store)['pending']['authorization'] ?? null), 'the pending authorization is kept, unchanged');
    eq([], $store->mailboxes(), 'no mailbox');
    // Still usable: the right state gets past the check (here to the user's denial).
    $browser->get(CALLBACK, http_build_query(['error' => 'access_denied', 'state' => $query['state']]));
    $message = $browser->message();
    check(str_contains($message, 'consent was denied'), "denied: {$message}");
    check(!isset($browser->session($store)['pending']), 'a denial drops the pending authorization');
    $browser->get(CALLBACK, http_build_query(['code' => $code, 'state' => $query['state']]));
    check(str_contains($browser->message(), 'does not match'), 'a callback with nothing pending matches nothing');
});

test('the provider unreachable during the callback: Try again re-runs the kept exchange', function () {
    [$browser, $store] = fresh_app();
    $GLOBALS['BROWSERS'][] = $browser;
    unreachable_provider($browser, $store);
    $query = provider_query($browser->post(['op' => 'connect', 'login-hint' => ALICE]));
    eq(['openid', 'email', 'mail'], explode(' ', $query['scope']), 'a custom provider gets its Scopes');
    $code = 'code-' . bin2hex(random_bytes(16));
    secret($code, $browser->session($store)['pending']['authorization']['pkce-verifier']);
    $callback = http_build_query(['code' => $code, 'state' => $query['state']]);
    $browser->get(CALLBACK, $callback);
    $page = $browser->page();
    check(str_contains($page, 'could not be reached'), 'the page says the provider could not be reached');
    check((bool) preg_match('#<form method="post"[^>]*><input type="hidden" name="csrf"[^>]*><button[^>]*value="retry">Try again</button>#', $page), 'a Try again POST button');
    eq($callback, $browser->session($store)['retry'], 'the callback is kept server-side');
    check(str_contains($browser->page(), 'value="retry">Try again</button>'), 'Try again stays offered after the message was shown');
    $browser->post(['op' => 'retry']);
    check(str_contains($browser->message(), 'could not be reached'), 'Try again ran the exchange again');
    check(isset($browser->session($store)['pending'], $browser->session($store)['retry']), 'both still kept');
});

test('Disconnect: a failed revocation still removes the tokens and the mailbox', function () {
    [$browser, $store] = fresh_app();
    $GLOBALS['BROWSERS'][] = $browser;
    unreachable_provider($browser, $store);
    $store->saveTokens(ALICE, tokens_for('alice'));
    check(str_contains($browser->page(), 'data-address="' . ALICE . '"'), 'the mailbox is listed');
    $browser->post(['op' => 'disconnect', 'address' => ALICE]);
    $page = $browser->page();
    check(str_contains($page, ALICE . ' disconnected') && str_contains($page, 'could not revoke'), 'the message says both');
    check(!str_contains($page, 'data-address="' . ALICE . '"'), 'the mailbox is gone');
    eq(null, $store->tokens(ALICE), 'its tokens are gone');
});

test('Microsoft 365: the preset for the tenant; no revocation endpoint, so Disconnect says what to do', function () {
    [$browser, $store] = fresh_app();
    $GLOBALS['BROWSERS'][] = $browser;
    save_settings($browser, ['provider' => 'microsoft', 'tenant' => 'contoso.onmicrosoft.com',
        'imap-server' => 'outlook.office365.com:993', 'smtp-server' => 'smtp.office365.com:587', 'smtp-security' => 'starttls']);
    $response = $browser->post(['op' => 'connect', 'login-hint' => ALICE]);
    check(str_starts_with((string) $response->header('Location'), 'https://login.microsoftonline.com/contoso.onmicrosoft.com/'),
        'the authorization URL is the tenant\'s');
    $store->saveTokens(ALICE, tokens_for('alice'));
    $browser->post(['op' => 'disconnect', 'address' => ALICE]);
    $message = $browser->message();
    check(str_contains($message, ALICE . ' disconnected') && str_contains($message, 'no revocation endpoint'), "the message: {$message}");
    eq([], $store->mailboxes(), 'the mailbox is gone');
});

test('the cached provider is dropped when the provider or the issuer changes, kept otherwise', function () {
    [$browser, $store] = fresh_app();
    $GLOBALS['BROWSERS'][] = $browser;
    unreachable_provider($browser, $store);
    $settings = $store->settings();
    save_settings($browser, ['provider' => 'custom', 'issuer' => $settings['issuer'], 'client-id' => 'renamed']);
    check(isset($store->settings()['provider-cache']), 'kept when only the client changes');
    save_settings($browser, ['provider' => 'custom', 'issuer' => $settings['issuer'] . '/other']);
    check(!isset($store->settings()['provider-cache']), 'dropped when the issuer changes');
});

test('nothing secret in any page, header or cookie the app sent', function () {
    $sent = '';
    foreach ($GLOBALS['BROWSERS'] as $browser) {
        foreach ($browser->seen as $response) {
            foreach ($response->headers as [$name, $value]) {
                // The provider's own URL carries state and nonce by design; nothing else may.
                if (!(strcasecmp($name, 'Location') === 0 && !str_starts_with($value, '/'))) {
                    $sent .= "{$name}: {$value}\n";
                }
            }
            $sent .= $response->body;
        }
    }
    check(strlen($sent) > 1000, 'answers were collected');
    eq(0, scan_secrets($sent) - scan_secrets(), 'secrets in the answers');
});

$status = run();
foreach ($GLOBALS['TEMP_DIRS'] ?? [] as $dir) {
    exec('rm -rf ' . escapeshellarg($dir));
}
exit($status);
