<?php

/**
 * A small test runner of the kit's own (PHP ships none): test() records a
 * named closure, run() calls each, catching failures, and prints one line
 * per test and `N passed, M failed`; its exit status is 0 exactly when none
 * failed. Everything a test prints goes through say(), which keeps it for
 * the secret scan (scan_secrets()) as well as printing it.
 */

declare(strict_types=1);

require_once dirname(__DIR__) . '/autoload.php';

final class AssertionFailed extends Exception
{
}

/** @var array<string, Closure> */
$GLOBALS['TESTS'] = [];
$GLOBALS['PRINTED'] = '';
/** @var array<string, true> */
$GLOBALS['SECRETS'] = [];

function test(string $name, Closure $body): void
{
    $GLOBALS['TESTS'][$name] = $body;
}

function say(string $line): void
{
    $GLOBALS['PRINTED'] .= $line . "\n";
    echo $line, "\n";
}

/** Remembers secrets the test handled: none may appear in what it printed. */
function secret(?string ...$values): void
{
    foreach ($values as $value) {
        if ($value !== null && strlen($value) >= 8) {
            $GLOBALS['SECRETS'][$value] = true;
        }
    }
}

function check(bool $condition, string $what): void
{
    if (!$condition) {
        throw new AssertionFailed($what);
    }
}

function eq(mixed $expected, mixed $actual, string $what): void
{
    if ($expected !== $actual) {
        throw new AssertionFailed("{$what}: expected " . var_export($expected, true) . ', got ' . var_export($actual, true));
    }
}

/** Runs $body, which must throw $class; returns the exception. */
function throws(string $class, Closure $body, string $what): Throwable
{
    try {
        $body();
    } catch (Throwable $thrown) {
        if ($thrown instanceof $class) {
            return $thrown;
        }
        throw new AssertionFailed("{$what}: expected {$class}, got " . get_class($thrown) . ': ' . $thrown->getMessage());
    }
    throw new AssertionFailed("{$what}: expected {$class}, nothing was thrown");
}

/** The captured output of $body (var_dump and friends). */
function captured(Closure $body): string
{
    ob_start();
    try {
        $body();
    } finally {
        $out = (string) ob_get_clean();
    }
    return $out;
}

/** Every secret handled, checked against everything printed; a failure names no secret. */
function scan_secrets(string $extra = ''): int
{
    $printed = $GLOBALS['PRINTED'] . $extra;
    $leaks = 0;
    foreach (array_keys($GLOBALS['SECRETS']) as $secret) {
        $forms = [$secret, base64_encode($secret), rawurlencode($secret)];
        foreach ($forms as $form) {
            if (str_contains($printed, $form)) {
                $leaks++;
                break;
            }
        }
    }
    return $leaks;
}

function run(): int
{
    $passed = 0;
    $failed = 0;
    foreach ($GLOBALS['TESTS'] as $name => $body) {
        try {
            $body();
            $passed++;
            say("PASS  {$name}");
        } catch (Throwable $failure) {
            $failed++;
            $where = $failure instanceof AssertionFailed ? '' : ' (' . get_class($failure) . ' at ' . basename($failure->getFile()) . ':' . $failure->getLine() . ')';
            say("FAIL  {$name}: " . $failure->getMessage() . $where);
        }
    }
    $leaks = scan_secrets();
    if (count($GLOBALS['SECRETS']) > 0) {
        if ($leaks === 0) {
            $passed++;
            say('PASS  secret scan: none of the ' . count($GLOBALS['SECRETS']) . ' secrets handled was printed');
        } else {
            $failed++;
            say("FAIL  secret scan: {$leaks} secrets were printed");
        }
    }
    echo "{$passed} passed, {$failed} failed\n";
    return $failed === 0 ? 0 : 1;
}

/** The component: $MAIL_OAUTH_WASM, else the workspace's build. */
function wasm_path(): string
{
    $env = getenv('MAIL_OAUTH_WASM');
    return is_string($env) && $env !== '' ? $env : dirname(__DIR__, 3) . '/target/artifacts/mail_oauth_guest.wasm';
}

function peers_ca(): string
{
    $root = getenv('PEERS_ROOT') ?: ((getenv('TMPDIR') ?: '/tmp') . '/mail-oauth-peers');
    return $root . '/tls/ca.crt';
}

/**
 * A server of tests/fault_server.php in a child process for $scenario; its
 * port is the first line it prints once listening (no waiting on time).
 *
 * @return array{0: resource, 1: int} the process and the port
 */
function fault_server(string $scenario): array
{
    $process = proc_open([PHP_BINARY, __DIR__ . '/fault_server.php', $scenario], [0 => ['pipe', 'r'], 1 => ['pipe', 'w']], $pipes);
    if (!is_resource($process)) {
        throw new RuntimeException('cannot start the fault server');
    }
    $line = fgets($pipes[1]);
    if ($line === false || !ctype_digit(trim($line))) {
        throw new RuntimeException("the fault server for {$scenario} did not start");
    }
    $GLOBALS['SERVERS'][] = [$process, $pipes];
    return [$process, (int) trim($line)];
}

/** Ends the fault servers this test run started (each by its own handle). */
function stop_servers(): void
{
    foreach ($GLOBALS['SERVERS'] ?? [] as [$process, $pipes]) {
        foreach ($pipes as $pipe) {
            @fclose($pipe);
        }
        proc_terminate($process);
        proc_close($process);
    }
    $GLOBALS['SERVERS'] = [];
}
