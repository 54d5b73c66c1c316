<?php

/**
 * Benchmarks of the PHP kit (not tests), side by side in one run, printed
 * as a markdown table: sasl.xoauth2 through the kit vs PHP's base64_encode;
 * a token refresh against the local AS through the kit vs PHP's own curl
 * doing the same request by hand; instantiate + call + drop per operation;
 * compiling vs loading a cached compilation; resident memory per loaded
 * component. Needs the peers (tests/peers/up.sh). Bounded: a fixed number
 * of iterations each, well under two minutes.
 */

declare(strict_types=1);

require __DIR__ . '/tests/lib.php';

use MailOAuth\Plugin;
use MailOAuth\Policy;

const AS_URL = 'http://127.0.0.1:10090';
const REDIRECT = 'http://127.0.0.1:8765/callback';

/** The browser of the web flow (as in tests/e2e.php). */
function browse(string $url): string
{
    $jar = curl_share_init();
    curl_share_setopt($jar, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
    for ($hop = 0; $hop < 10; $hop++) {
        $curl = curl_init($url);
        curl_setopt_array($curl, [CURLOPT_SHARE => $jar, CURLOPT_COOKIEFILE => '', CURLOPT_RETURNTRANSFER => true,
            CURLOPT_PROXY => '', CURLOPT_NOPROXY => '*', CURLOPT_TIMEOUT => 10]);
        curl_exec($curl);
        $url = (string) curl_getinfo($curl, CURLINFO_REDIRECT_URL);
        curl_close($curl);
        if (str_starts_with($url, REDIRECT . '?')) {
            return $url;
        }
    }
    throw new RuntimeException('the AS never redirected to the callback');
}

function rss_kib(): int
{
    preg_match('/^VmRSS:\s+(\d+) kB/m', (string) file_get_contents('/proc/self/status'), $m);
    return (int) $m[1];
}

/** Median seconds per call of $body over $n calls (after one warm-up). */
function median_of(int $n, Closure $body): float
{
    $body();
    $times = [];
    for ($i = 0; $i < $n; $i++) {
        $t = hrtime(true);
        $body();
        $times[] = (hrtime(true) - $t) / 1e9;
    }
    sort($times);
    return $times[intdiv($n, 2)];
}

/** Mean seconds per call over $n calls in one timed loop (for sub-microsecond work). */
function mean_of(int $n, Closure $body): float
{
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $body();
    }
    return (hrtime(true) - $t) / 1e9 / $n;
}

function us(float $seconds): string
{
    return $seconds < 1e-3 ? sprintf('%.1f µs', $seconds * 1e6) : sprintf('%.2f ms', $seconds * 1e3);
}

$wasm = wasm_path();
$rssBefore = rss_kib();
$t = hrtime(true);
$kit = new Plugin($wasm, new Policy([AS_URL], allowLoopback: true));
$compile = (hrtime(true) - $t) / 1e9;
$rows = [];

// sasl.xoauth2
$user = 'someuser@example.com';
$token = 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg';
$viaKit = median_of(2000, fn () => $kit->sasl->xoauth2($user, $token));
$native = mean_of(200000, fn () => base64_encode("user={$user}\x01auth=Bearer {$token}\x01\x01"));
if ($kit->sasl->xoauth2($user, $token) !== base64_encode("user={$user}\x01auth=Bearer {$token}\x01\x01")) {
    throw new RuntimeException('the two xoauth2 strings differ');
}
$rows[] = ['sasl.xoauth2, one call', us($viaKit), us($native) . ' (base64_encode)', sprintf('%.0f×', $viaKit / $native)];

// a refresh, kit vs curl by hand, each on its own chain of rotated refresh tokens
$provider = $kit->oauth->discover(AS_URL);
$client = ['id' => 'mail-public', 'secret' => null, 'redirect-uri' => REDIRECT];
$grant = function () use ($kit, $provider, $client): MailOAuth\Record {
    $pending = $kit->oauth->begin_authorization($provider, $client, ['scopes' => ['openid', 'email', 'mail'], 'login-hint' => 'bob@example.test']);
    return $kit->oauth->complete_authorization($provider, $client, $pending, browse($pending['url']), time());
};
$tokens = $grant();
$byHand = $grant()['refresh-token'];
$reused = $grant()['refresh-token'];
$handle = curl_init();
$tokenEndpoint = $provider['token-endpoint'];
$kitRefresh = function () use ($kit, $provider, $client, &$tokens): void {
    $tokens = $kit->oauth->refresh($provider, $client, $tokens, time());
};
$curlRefresh = function () use ($tokenEndpoint, &$byHand): void {
    $curl = curl_init($tokenEndpoint);
    curl_setopt_array($curl, [
        CURLOPT_POST => true, CURLOPT_RETURNTRANSFER => true, CURLOPT_FOLLOWLOCATION => false,
        CURLOPT_PROXY => '', CURLOPT_NOPROXY => '*', CURLOPT_TIMEOUT => 10,
        CURLOPT_HTTPHEADER => ['Content-Type: application/x-www-form-urlencoded', 'Accept: application/json'],
        CURLOPT_POSTFIELDS => http_build_query(['grant_type' => 'refresh_token', 'refresh_token' => $byHand, 'client_id' => 'mail-public']),
    ]);
    $body = curl_exec($curl);
    $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    curl_close($curl);
    $answer = json_decode((string) $body, true);
    if ($status !== 200 || !isset($answer['access_token'], $answer['refresh_token'])) {
        throw new RuntimeException("the refresh by hand failed ({$status})");
    }
    $byHand = $answer['refresh_token'];
};
// The same by hand with one curl handle kept (keep-alive, as the kit does).
$reusedRefresh = function () use ($tokenEndpoint, &$reused, $handle): void {
    curl_reset($handle);
    curl_setopt_array($handle, [
        CURLOPT_URL => $tokenEndpoint, CURLOPT_POST => true, CURLOPT_RETURNTRANSFER => true, CURLOPT_FOLLOWLOCATION => false,
        CURLOPT_PROXY => '', CURLOPT_NOPROXY => '*', CURLOPT_TIMEOUT => 10,
        CURLOPT_HTTPHEADER => ['Content-Type: application/x-www-form-urlencoded', 'Accept: application/json'],
        CURLOPT_POSTFIELDS => http_build_query(['grant_type' => 'refresh_token', 'refresh_token' => $reused, 'client_id' => 'mail-public']),
    ]);
    $answer = json_decode((string) curl_exec($handle), true);
    if (curl_getinfo($handle, CURLINFO_RESPONSE_CODE) !== 200 || !isset($answer['refresh_token'])) {
        throw new RuntimeException('the refresh by hand (kept handle) failed');
    }
    $reused = $answer['refresh_token'];
};
$times = ['kit' => [], 'hand' => [], 'kept' => []];
$kitRefresh();
$curlRefresh();
$reusedRefresh();
for ($i = 0; $i < 40; $i++) { // interleaved, so that all three see the same AS
    foreach (['kit' => $kitRefresh, 'hand' => $curlRefresh, 'kept' => $reusedRefresh] as $name => $refresh) {
        $t = hrtime(true);
        $refresh();
        $times[$name][] = (hrtime(true) - $t) / 1e9;
    }
}
$median = [];
foreach ($times as $name => $list) {
    sort($list);
    $median[$name] = $list[20];
}
$rows[] = ['token refresh at the local AS (median of 40)', us($median['kit']), us($median['hand']) . ' (curl by hand, a handle per request)', sprintf('%.2f×', $median['kit'] / $median['hand'])];
$rows[] = ['the same, vs one curl handle kept', us($median['kit']), us($median['kept']) . ' (curl by hand, handle kept)', sprintf('%.2f×', $median['kit'] / $median['kept'])];

// instantiate + call + drop, per operation: a call that does no I/O and one that returns a large list
$providers = median_of(500, fn () => $kit->oauth->providers());
$rows[] = ['instantiate + call + drop: sasl.xoauth2', us($viaKit), '', ''];
$rows[] = ['instantiate + call + drop: oauth.providers (9 records)', us($providers), '', ''];

// compile vs a cached compilation
$cache = sys_get_temp_dir() . '/mail-oauth-php-bench-' . getmypid();
mkdir($cache, 0o700);
new Plugin($wasm, cacheDir: $cache);
$t = hrtime(true);
new Plugin($wasm, cacheDir: $cache);
$cached = (hrtime(true) - $t) / 1e9;
array_map('unlink', glob("{$cache}/*"));
rmdir($cache);
$rows[] = ['load the component: compile / from cacheDir', us($compile), us($cached) . ' (cached)', ''];

// resident memory per loaded component
$kits = [];
$before = rss_kib();
for ($i = 0; $i < 4; $i++) {
    $kits[] = new Plugin($wasm);
    $kits[$i]->sasl->xoauth2($user, $token);
}
$perComponent = (rss_kib() - $before) / 4;
$rows[] = ['resident memory per loaded component', sprintf('%.1f MiB', $perComponent / 1024), sprintf('%.1f MiB (process, first kit)', ($before - $rssBefore) / 1024), ''];

echo "| measure | through the kit | PHP's own | ratio |\n|---|---|---|---|\n";
foreach ($rows as $row) {
    echo '| ' . implode(' | ', $row) . " |\n";
}
printf("\nPHP %s, wasmtime 48.0.8 C API (release), component sha256 %s…\n", PHP_VERSION, substr($kit->sha256, 0, 12));
