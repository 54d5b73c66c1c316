<?php

/**
 * The whole journey through the PHP kit against the real peers
 * (tests/peers/up.sh): the two-step web flow (begin -> this test plays the
 * browser against the AS with curl and a cookie jar -> complete with the
 * callback URL), refresh with rotation kept, ensure-fresh + sasl.xoauth2
 * handed to PHP's own IMAP dialogue (AUTHENTICATE XOAUTH2 over an
 * ssl:// stream: Debian's php8.2-imap has no XOAUTH2), a test message sent
 * through the kit and read back over IMAP, revoke -> reauthorize-required;
 * then a scan of everything the test printed for the secrets it handled.
 */

declare(strict_types=1);

require __DIR__ . '/lib.php';

use MailOAuth\OAuthException;
use MailOAuth\Plugin;
use MailOAuth\Policy;

const AS_URL = 'http://127.0.0.1:10090';
const IMAPS = 10993;
const SUBMISSION = 10587;
const ALICE = 'alice@example.test';
const REDIRECT = 'http://127.0.0.1:8765/callback';

/**
 * What the user's browser does: follow the AS's redirects (it approves by
 * itself here), cookies kept, up to the redirect URI; returns that URL.
 */
function play_browser(string $url, string $redirectUri): string
{
    $jar = curl_share_init();
    curl_share_setopt($jar, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
    for ($hop = 0; $hop < 10; $hop++) {
        $curl = curl_init($url);
        curl_setopt_array($curl, [
            CURLOPT_SHARE => $jar, CURLOPT_COOKIEFILE => '', CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_RETURNTRANSFER => true, CURLOPT_PROXY => '', CURLOPT_NOPROXY => '*', CURLOPT_TIMEOUT => 10,
        ]);
        curl_exec($curl);
        $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        $location = curl_getinfo($curl, CURLINFO_REDIRECT_URL);
        curl_close($curl);
        if (!in_array($status, [302, 303], true) || !is_string($location) || $location === '') {
            throw new AssertionFailed("the AS answered {$status} without a redirect");
        }
        $url = $location;
        if (str_starts_with($url, $redirectUri . '?')) {
            return $url;
        }
    }
    throw new AssertionFailed('the AS never redirected to the callback');
}

/** A minimal IMAP dialogue over TLS: PHP's own sockets, not the kit's. */
final class Imap
{
    /** @var resource */
    private $stream;
    private int $tag = 0;

    public function __construct()
    {
        $context = stream_context_create(['ssl' => ['cafile' => peers_ca(), 'peer_name' => '127.0.0.1', 'verify_peer' => true]]);
        $stream = stream_socket_client('ssl://127.0.0.1:' . IMAPS, $errno, $errstr, 10, STREAM_CLIENT_CONNECT, $context);
        if ($stream === false) {
            throw new AssertionFailed("IMAP connect: {$errstr}");
        }
        stream_set_timeout($stream, 10);
        $this->stream = $stream;
        check(str_starts_with((string) fgets($stream), '* OK'), 'the IMAP greeting');
    }

    /** @return array{string, list<string>} the tagged status line and what came before it */
    public function command(string $command): array
    {
        $tag = 'p' . ++$this->tag;
        fwrite($this->stream, "{$tag} {$command}\r\n");
        $lines = [];
        while (($line = fgets($this->stream)) !== false) {
            if (preg_match('/\{(\d+)\}\r\n$/', $line, $m)) {
                $line .= fread_all($this->stream, (int) $m[1]);
            }
            if (str_starts_with($line, "{$tag} ")) {
                return [rtrim(substr($line, strlen($tag) + 1)), $lines];
            }
            if (str_starts_with($line, '+ ')) {
                fwrite($this->stream, "\r\n"); // an error challenge: answer it empty
            }
            $lines[] = $line;
        }
        throw new AssertionFailed('the IMAP server closed the connection');
    }

    public function close(): void
    {
        $this->command('LOGOUT');
        fclose($this->stream);
    }
}

/** @param resource $stream */
function fread_all($stream, int $length): string
{
    $data = '';
    while (strlen($data) < $length && !feof($stream)) {
        $data .= (string) fread($stream, $length - strlen($data));
    }
    return $data;
}

/** Tokens handled: all secret. */
function keep(MailOAuth\Record $tokens): MailOAuth\Record
{
    secret($tokens['access-token'], $tokens['refresh-token'], $tokens['id-token']);
    return $tokens;
}

$kit = new Plugin(wasm_path(), new Policy(
    allowOrigins: [AS_URL],
    allowTargets: ['127.0.0.1:' . IMAPS, '127.0.0.1:' . SUBMISSION],
    allowLoopback: true,
    caFile: peers_ca(),
));
$provider = $kit->oauth->discover(AS_URL);
$client = ['id' => 'mail-public', 'secret' => null, 'redirect-uri' => REDIRECT];
$now = time();
$state = [];

test('web flow: begin, the browser at the AS, complete with the callback URL', function () use ($kit, $provider, $client, $now, &$state) {
    $pending = $kit->oauth->begin_authorization($provider, $client, ['scopes' => ['openid', 'email', 'mail'], 'login-hint' => ALICE]);
    // The state and the nonce ride in the authorization URL (the browser sees
    // them); the PKCE verifier never leaves the host.
    secret($pending['pkce-verifier']);
    say('pending: ' . print_r($pending, true));
    check(str_starts_with($pending['url'], $provider['authorization-endpoint'] . '?'), 'the authorization URL');
    $callback = play_browser($pending['url'], REDIRECT);
    $tokens = keep($kit->oauth->complete_authorization($provider, $client, $pending, $callback, $now));
    say('tokens: ' . print_r($tokens, true));
    eq(ALICE, $tokens['account-email'], 'the account');
    check(is_string($tokens['refresh-token']) && $tokens['refresh-token'] !== '', 'a refresh token');
    $forged = str_replace('state=' . rawurlencode($pending['state']), 'state=forged', $callback);
    check($forged !== $callback, 'the callback carries the state');
    $e = throws(OAuthException::class, fn () => $kit->oauth->complete_authorization($provider, $client, $pending, $forged, $now), 'forged state');
    eq('state-mismatch', $e->tag, 'state-mismatch');
    $state['tokens'] = $tokens;
});

test('refresh: rotation kept, ensure-fresh refreshes inside the skew only', function () use ($kit, $provider, $client, $now, &$state) {
    $tokens = $state['tokens'] ?? throw new AssertionFailed('no tokens from the web flow');
    $rotated = keep($kit->oauth->refresh($provider, $client, $tokens, $now));
    say('rotated: ' . print_r($rotated, true));
    check($rotated['refresh-token'] !== $tokens['refresh-token'], 'a new refresh token');
    check($rotated['access-token'] !== $tokens['access-token'], 'a new access token');
    $fresh = $kit->oauth->ensure_fresh($provider, $client, ['expires-at' => $now + 10] + $rotated->toArray(), $now, 60);
    check($fresh['refreshed'] === true, 'refreshed inside the skew');
    $current = keep($fresh['tokens']);
    $unchanged = $kit->oauth->ensure_fresh($provider, $client, $current, $now, 60);
    check($unchanged['refreshed'] === false, 'not refreshed when fresh');
    $state['current'] = $current;
});

test('sasl.xoauth2: PHP\'s own IMAP dialogue logs in with it', function () use ($kit, &$state) {
    $current = $state['current'] ?? throw new AssertionFailed('no fresh tokens');
    $xoauth2 = $kit->sasl->xoauth2(ALICE, $current['access-token']);
    secret($xoauth2);
    eq(base64_encode('user=' . ALICE . "\x01auth=Bearer {$current['access-token']}\x01\x01"), $xoauth2, 'the RFC string');
    $imap = new Imap();
    [$status] = $imap->command("AUTHENTICATE XOAUTH2 {$xoauth2}");
    say("IMAP AUTHENTICATE XOAUTH2: {$status}");
    check(str_starts_with($status, 'OK'), 'logged in');
    $imap->close();
    $bad = new Imap();
    [$status] = $bad->command('AUTHENTICATE XOAUTH2 ' . base64_encode('user=' . ALICE . "\x01auth=Bearer forged\x01\x01"));
    check(str_starts_with($status, 'NO'), 'a forged token is refused (the login check can fail)');
    $state['xoauth2'] = $xoauth2;
});

test('mail.send-test-message: delivered and read back over IMAP', function () use ($kit, $now, &$state) {
    $current = $state['current'] ?? throw new AssertionFailed('no fresh tokens');
    $subject = 'php kit e2e ' . bin2hex(random_bytes(8));
    $report = $kit->mail->send_test_message(
        ['host' => '127.0.0.1', 'port' => SUBMISSION, 'security' => 'starttls'],
        ['user' => ALICE, 'credentials' => ['tag' => 'access-token', 'val' => $current['access-token']], 'mechanism' => null],
        ['sender' => ALICE, 'recipients' => [ALICE], 'subject' => $subject, 'body' => 'hello from PHP', 'send-as' => false, 'now' => $now],
    );
    say('sent: ' . implode(', ', array_map(fn ($step) => $step['name'], $report['steps'])));
    eq(null, $report['refreshed'], 'no refresh needed');
    $imap = new Imap();
    [$status] = $imap->command("AUTHENTICATE XOAUTH2 {$state['xoauth2']}");
    check(str_starts_with($status, 'OK'), 'logged in to read back');
    // Delivery is asynchronous: the inbox is polled (the condition checked), bounded to 20 s.
    $deadline = microtime(true) + 20;
    $found = null;
    while ($found === null && microtime(true) < $deadline) {
        $imap->command('EXAMINE INBOX');
        [, $lines] = $imap->command("SEARCH SUBJECT \"{$subject}\"");
        foreach ($lines as $line) {
            if (preg_match('/^\* SEARCH ((\d+ ?)+)/', $line, $m)) {
                $found = (int) trim(strrchr(' ' . trim($m[1]), ' '));
            }
        }
        if ($found === null) {
            $imap->command('NOOP');
        }
    }
    check($found !== null, 'the test message arrived');
    [$status, $lines] = $imap->command("FETCH {$found} (BODY.PEEK[TEXT])");
    check(str_starts_with($status, 'OK') && str_contains(implode('', $lines), 'hello from PHP'), 'its body read back');
    say('read back: ' . $status);
    $imap->close();
});

test('revoke: the refresh token is dead, and so is the one rotation replaced', function () use ($kit, $provider, $client, $now, &$state) {
    $current = $state['current'] ?? throw new AssertionFailed('no fresh tokens');
    $kit->oauth->revoke($provider, $client, $current['refresh-token'], 'refresh-token');
    $e = throws(OAuthException::class, fn () => $kit->oauth->refresh($provider, $client, $current, $now), 'refresh after revoke');
    eq('reauthorize-required', $e->tag, 'reauthorize-required');
    say('after revoke: ' . $e->getMessage() . ' ' . print_r($e, true));
    $e = throws(OAuthException::class, fn () => $kit->oauth->refresh($provider, $client, $state['tokens'], $now), 'the replaced refresh token');
    eq('reauthorize-required', $e->tag, 'reauthorize-required for the replaced one');
});

exit(run());
