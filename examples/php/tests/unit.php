<?php

/**
 * The kit's own tests: the egress policy, values (normalization, the C
 * representation both ways), redaction, typed errors, the digest check, the
 * shipped WIT types against the component, and the imports on faults no
 * real server produces (tests/fault_server.php): plaintext ahead of
 * STARTTLS, an endless line, a silent server, a redirect returned, a size
 * cap, a proxy in the environment ignored, the connection cap, plain off
 * loopback, a certificate for another name, an untrusted CA.
 */

declare(strict_types=1);

require __DIR__ . '/lib.php';

use MailOAuth\CallTrapped;
use MailOAuth\Denied;
use MailOAuth\HttpHost;
use MailOAuth\Limits;
use MailOAuth\MailFailure;
use MailOAuth\Native;
use MailOAuth\OAuthException;
use MailOAuth\Plugin;
use MailOAuth\PluginException;
use MailOAuth\Policy;
use MailOAuth\Record;
use MailOAuth\SaslException;
use MailOAuth\TransportHost;
use MailOAuth\Values;

$kit = new Plugin(wasm_path());
$imaps = 10993;

// ------------------------------------------------------------------ policy
test('policy: addresses classified like egress.rs', function () {
    $cases = [
        '8.8.8.8' => 'public', '127.0.0.1' => 'loopback', '127.9.9.9' => 'loopback', '::1' => 'loopback',
        '10.1.2.3' => 'private', '172.16.0.1' => 'private', '172.32.0.1' => 'public', '192.168.1.1' => 'private',
        '100.64.0.1' => 'private', '198.18.0.1' => 'private', 'fc00::1' => 'private', 'fec0::1' => 'private',
        '169.254.1.1' => 'link-local', 'fe80::1' => 'link-local', '169.254.169.254' => 'cloud metadata',
        '100.100.100.200' => 'cloud metadata', 'fd00:ec2::254' => 'cloud metadata', '0.0.0.0' => 'unspecified',
        '169.254.170.2' => 'cloud metadata', '169.254.170.23' => 'cloud metadata', 'fd00:ec2::23' => 'cloud metadata',
        'fd20:ce::254' => 'cloud metadata', '168.63.129.16' => 'cloud metadata', '::ffff:168.63.129.16' => 'cloud metadata',
        '64:ff9b:1::a9fe:a9fe' => 'reserved', '169.254.170.3' => 'link-local', '168.63.129.17' => 'public',
        '::' => 'unspecified', '224.0.0.1' => 'multicast or broadcast', '255.255.255.255' => 'multicast or broadcast',
        'ff02::1' => 'multicast or broadcast', '240.0.0.1' => 'reserved', '192.0.2.1' => 'reserved',
        '2001:db8::1' => 'reserved', '::ffff:127.0.0.1' => 'loopback', '::ffff:169.254.169.254' => 'cloud metadata',
        '64:ff9b::a00:1' => 'private', '64:ff9b::808:808' => 'public', '2606:4700::1111' => 'public',
    ];
    foreach ($cases as $address => $class) {
        eq($class, Policy::classify($address), $address);
    }
});

test('policy: deny by default, origins and targets exactly as allowed', function () {
    $none = new Policy();
    throws(Denied::class, fn () => $none->checkUrl('https://login.example.com/token'), 'empty policy, http');
    throws(Denied::class, fn () => $none->checkHostPort('imap.example.com', 993), 'empty policy, transport');
    $policy = new Policy(['https://login.example.com'], ['imap.example.com:993']);
    eq(['https', 'login.example.com', 443], $policy->checkUrl('https://LOGIN.example.com/token?x=1'), 'allowed origin');
    throws(Denied::class, fn () => $policy->checkUrl('https://login.example.com:8443/token'), 'another port');
    throws(Denied::class, fn () => $policy->checkUrl('http://login.example.com/token'), 'another scheme');
    throws(Denied::class, fn () => $policy->checkUrl('https://user:pw@login.example.com/'), 'credentials in the URL');
    throws(Denied::class, fn () => $policy->checkUrl('file:///etc/passwd'), 'file scheme');
    $policy->checkHostPort('IMAP.example.com', 993);
    throws(Denied::class, fn () => $policy->checkHostPort('imap.example.com', 143), 'another port');
    $loop = new Policy(['http://127.0.0.1:10090']);
    throws(Denied::class, fn () => $loop->checkUrl('http://127.0.0.1:10090/token'), 'plain http without allowLoopback');
});

test('policy: every resolved address is checked (a name resolving to loopback is refused)', function () {
    $policy = new Policy([], ['localhost:993']);
    $denied = throws(Denied::class, fn () => $policy->resolve('localhost'), 'localhost without allowLoopback');
    check(str_contains($denied->getMessage(), 'loopback'), 'the message names the class');
    $loopback = new Policy([], [], allowLoopback: true);
    check(in_array('127.0.0.1', $loopback->resolve('localhost'), true), 'localhost with allowLoopback');
    throws(Denied::class, fn () => $loopback->resolve('169.254.169.254'), 'metadata, whatever is allowed');
    throws(Denied::class, fn () => (new Policy(allowLoopback: true, allowPrivate: true))->resolve('0.0.0.0'), 'unspecified');
    check(in_array('10.0.0.1', (new Policy(allowPrivate: true))->resolve('10.0.0.1'), true), 'private with allowPrivate');
});

// ------------------------------------------------------------------ values
test('values: arguments that do not fit the WIT types are refused, naming the path only', function () use ($kit) {
    $e = throws(InvalidArgumentException::class, fn () => $kit->sasl->oauthbearer('u@example.com', 'h', 70000, 'secret-token-1234'), 'u16 range');
    check(str_contains($e->getMessage(), 'port') && !str_contains($e->getMessage(), 'secret-token'), 'names the parameter, not a value');
    throws(InvalidArgumentException::class, fn () => $kit->sasl->xoauth2('u', 5), 'an int for a string');
    throws(InvalidArgumentException::class, fn () => $kit->sasl->xoauth2('u', "\xff\xfe"), 'invalid UTF-8');
    throws(InvalidArgumentException::class, fn () => $kit->sasl->xoauth2('u'), 'arity');
    $client = ['id' => 'c', 'redirect-uri' => 'http://127.0.0.1/cb', 'bogus' => 1];
    $e = throws(InvalidArgumentException::class, fn () => Values::normalize(wit_param('oauth.begin-authorization', 1), $client), 'unknown field');
    check(str_contains($e->getMessage(), 'bogus'), 'names the field');
    throws(InvalidArgumentException::class, fn () => Values::normalize(wit_param('oauth.begin-authorization', 1), ['id' => 'c']), 'missing field');
    $credentials = ['variant' => [['access-token', 'string'], ['none', null]]];
    throws(InvalidArgumentException::class, fn () => Values::normalize($credentials, ['tag' => 'access-token']), 'a payload missing');
    throws(InvalidArgumentException::class, fn () => Values::normalize($credentials, ['tag' => 'nope']), 'no such case');
    eq(['tag' => 'access-token', 'val' => 't'], Values::normalize($credentials, ['tag' => 'access_token', 'val' => 't']), 'snake case accepted');
    eq(['id' => 'c', 'secret' => null, 'redirect-uri' => 'r'], Values::normalize(wit_param('oauth.begin-authorization', 1), ['id' => 'c', 'redirect_uri' => 'r']), 'snake keys, a missing option is none');
});

test('values: every kind through the C representation and back', function () {
    $ffi = Native::ffi();
    $values = new Values($ffi);
    $type = ['record' => [
        ['b', 'bool'], ['u8', 'u8'], ['s16', 's16'], ['u32', 'u32'], ['u64', 'u64'], ['s64', 's64'], ['f64', 'f64'],
        ['c', 'char'], ['s', 'string'], ['bytes', ['list' => 'u8']], ['strings', ['list' => 'string']],
        ['t', ['tuple' => ['string', 'u16']]], ['v', ['variant' => [['none', null], ['some', 'string']]]],
        ['v0', ['variant' => [['none', null], ['some', 'string']]]], ['e', ['enum' => ['implicit-tls', 'starttls']]],
        ['o', ['option' => 'u32']], ['o0', ['option' => 'u32']], ['r', ['result' => ['string', null]]],
        ['r0', ['result' => [null, 'string']]], ['f', ['flags' => ['read', 'write']]],
    ]];
    $all = implode('', array_map('chr', range(0, 255)));
    $input = [
        'b' => true, 'u8' => 255, 's16' => -32768, 'u32' => 4294967295, 'u64' => PHP_INT_MAX, 's64' => PHP_INT_MIN,
        'f64' => 1.5, 'c' => 'é', 's' => "multi\nline \u{1F600}", 'bytes' => $all, 'strings' => ['a', '', 'c'],
        't' => ['x', 65535], 'v' => ['tag' => 'some', 'val' => 'payload'], 'v0' => ['tag' => 'none'],
        'e' => 'starttls', 'o' => 7, 'o0' => null, 'r' => ['ok' => 'fine'], 'r0' => ['ok' => null], 'f' => ['write'],
    ];
    $val = $ffi->new('wasmtime_component_val_t');
    $values->write($val, $type, Values::normalize($type, $input));
    $back = $values->lift($val, $type);
    $json = $values->lift($val, $type, true);
    $ffi->wasmtime_component_val_delete(FFI::addr($val));
    check($back instanceof Record, 'a record comes back as a Record');
    eq($input, $back->toArray(), 'every field');
    eq(range(0, 255), $json['bytes'], 'list<u8> as JSON numbers');
    eq([], $values->lift(write_bytes($values, $ffi, ''), ['list' => 'u8'], true), 'empty bytes');
});

test('values: the shipped WIT types are the component\'s (--describe)', function () {
    $describe = getenv('MAIL_OAUTH_DESCRIBE');
    if (!is_string($describe) || !is_file($describe)) {
        throw new AssertionFailed('MAIL_OAUTH_DESCRIBE (the output of `examples/conformance.sh rust --describe`) is not set; test.sh sets it');
    }
    $expected = json_decode((string) file_get_contents($describe), true, 512, JSON_THROW_ON_ERROR);
    $shipped = json_decode((string) file_get_contents(dirname(__DIR__) . '/src/wit-types.json'), true, 512, JSON_THROW_ON_ERROR);
    ksort($expected);
    ksort($shipped);
    eq(array_keys($expected), array_keys($shipped), 'the same functions');
    foreach ($expected as $name => $type) {
        eq($type, $shipped[$name], $name);
    }
});

// ------------------------------------------------------------------ errors, redaction, digest
test('errors: typed, with the tag to branch on, and no secret in the text', function () use ($kit) {
    $e = throws(SaslException::class, fn () => $kit->sasl->xoauth2('u@example.com', "tok-secret-123\r\nA1 LOGOUT"), 'CR/LF');
    eq('invalid-input', $e->tag, 'tag');
    check(!str_contains($e->getMessage(), 'tok-secret-123') && !str_contains(print_r($e, true), 'tok-secret-123'), 'no token in the exception');
    $e = throws(OAuthException::class, fn () => $kit->oauth->discover('https://idp.example.com'), 'http denied by the empty policy');
    eq('http', $e->tag, 'an http-error inside');
    eq('denied', $e->value()['tag'], 'denied');
    check($e instanceof PluginException, 'one base class');
});

test('redaction: Record, exceptions and the plugin never show a secret', function () use ($kit) {
    $tokens = new Record(['access-token' => 'at-secret-0001', 'refresh-token' => 'rt-secret-0002', 'scopes' => ['mail'],
        'nested' => new Record(['id-token' => 'id-secret-0003', 'ok' => 'visible'])]);
    secret('at-secret-0001', 'rt-secret-0002', 'id-secret-0003');
    foreach (['var_dump' => fn () => var_dump($tokens), 'print_r' => fn () => print_r($tokens),
        'var_export' => fn () => var_export($tokens), 'array cast' => fn () => print_r((array) $tokens),
        'object vars' => fn () => print_r(get_object_vars($tokens))] as $how => $show) {
        $out = captured($show);
        foreach (['at-secret-0001', 'rt-secret-0002', 'id-secret-0003'] as $s) {
            check(!str_contains($out, $s), "{$how} shows no secret");
        }
    }
    check(str_contains(captured(fn () => print_r($tokens)), 'visible'), 'other fields still show');
    throws(LogicException::class, fn () => serialize($tokens), 'serialize refused');
    eq('at-secret-0001', $tokens['access-token'], 'readable by kebab key');
    eq('rt-secret-0002', $tokens->refresh_token, 'and snake property');
    eq('at-secret-0001', (clone $tokens)['access-token'], 'a clone reads the same fields');
    check(str_contains(json_encode($tokens), 'at-secret-0001'), 'json_encode gives the fields to store');
    $failure = new MailFailure(['tag' => 'sasl-rejected', 'val' => 'no'], $tokens);
    check(!str_contains(print_r($failure, true) . $failure->getMessage(), 'rt-secret-0002'), 'MailFailure carries refreshed without showing it');
    check(!str_contains(print_r($kit, true), 'secret'), 'the plugin shows its digest and exports only');
});

test('redaction: exception traces keep no arguments (secrets passed in) even with exception_ignore_args off', function () {
    $previous = ini_set('zend.exception_ignore_args', '0');
    $previousLength = ini_set('zend.exception_string_param_max_len', '15');
    try {
        $kit = new Plugin(wasm_path(), httpSend: fn (array $request): array => ['status' => 400,
            'headers' => [['name' => 'content-type', 'value' => 'application/json']], 'body' => '{"error":"invalid_grant"}']);
        $provider = $kit->oauth->preset(['tag' => 'google']);
        $client = ['id' => 'c', 'secret' => 'client-secret-4711', 'redirect-uri' => 'http://127.0.0.1/cb'];
        $tokens = ['access-token' => 'access-token-4711', 'refresh-token' => 'refresh-token-4711', 'scopes' => []];
        secret('client-secret-4711', 'access-token-4711', 'refresh-token-4711');
        $e = throws(OAuthException::class, fn () => $kit->oauth->refresh($provider, $client, $tokens, 1_700_000_000), 'refused');
        eq('reauthorize-required', $e->tag, 'invalid_grant');
        $bad = throws(InvalidArgumentException::class, fn () => $kit->oauth->refresh($provider, $client, $tokens, -1), 'a negative now');
        // The control: an ordinary exception does show an argument here.
        $plain = (fn (string $s) => new RuntimeException('plain'))('client-secret-4711');
        check(str_contains($plain->getTraceAsString(), 'client-secre'), 'the control trace shows its argument');
        foreach ([$e, $bad] as $thrown) {
            $shown = $thrown->getTraceAsString() . var_export($thrown, true) . print_r($thrown, true) . $thrown;
            foreach (['client-secret-4711', 'access-token-4711', 'refresh-token-4711'] as $secret) {
                check(!str_contains($shown, substr($secret, 0, 12)), get_class($thrown) . ' shows no secret');
            }
        }
    } finally {
        ini_set('zend.exception_ignore_args', (string) $previous);
        ini_set('zend.exception_string_param_max_len', (string) $previousLength);
    }
});

test('digest: exposed, and a wrong expected digest refuses to load', function () use ($kit) {
    eq(hash_file('sha256', wasm_path()), $kit->sha256, 'sha256');
    new Plugin(wasm_path(), sha256: strtoupper($kit->sha256));
    throws(RuntimeException::class, fn () => new Plugin(wasm_path(), sha256: str_repeat('0', 64)), 'wrong digest');
});

test('calls: a fresh instance per call, many calls, and the result by WIT name', function () use ($kit) {
    for ($i = 0; $i < 50; $i++) {
        eq(base64_encode("user=u{$i}@example.com\x01auth=Bearer t{$i}\x01\x01"), $kit->call('sasl.xoauth2', "u{$i}@example.com", "t{$i}"), "call {$i}");
    }
    $parsed = $kit->sasl->parse_failure(base64_encode('{"status":"invalid_token","scope":"mail"}'));
    eq('invalid_token', $parsed['status'], 'record field');
    eq(null, $parsed['schemes'], 'absent option');
    eq(['ok' => $kit->sasl->xoauth2('a@b.c', 'x')], $kit->callRaw('sasl.xoauth2', ['a@b.c', 'x']), 'callRaw');
    throws(InvalidArgumentException::class, fn () => $kit->call('oauth.no-such-function'), 'unknown export');
});

// ------------------------------------------------------------------ http import on faults
test('http: a redirect is returned, not followed', function () {
    [, $port] = fault_server('http-redirect');
    $http = new HttpHost(new Policy(["http://127.0.0.1:{$port}"], allowLoopback: true), new Limits());
    $answer = $http->send(['method' => 'GET', 'url' => "http://127.0.0.1:{$port}/token", 'headers' => [], 'body' => '']);
    eq(302, $answer['status'] ?? null, 'the 302 itself');
    check(in_array(['name' => 'location', 'value' => 'http://127.0.0.2:1/elsewhere'], $answer['headers'], true), 'its location');
});

test('http: the response size cap', function () {
    [, $port] = fault_server('http-big');
    $http = new HttpHost(new Policy(["http://127.0.0.1:{$port}"], allowLoopback: true), new Limits(maxResponseBytes: 1000));
    eq(['tag' => 'too-large'], $http->send(['method' => 'GET', 'url' => "http://127.0.0.1:{$port}/", 'headers' => [], 'body' => '']), 'too-large');
    $small = new HttpHost(new Policy(["http://127.0.0.1:{$port}"], allowLoopback: true), new Limits(maxRequestBytes: 10));
    eq(['tag' => 'too-large'], $small->send(['method' => 'POST', 'url' => "http://127.0.0.1:{$port}/", 'headers' => [], 'body' => str_repeat('z', 11)]), 'request cap');
});

test('http: a silent server times out; a proxy in the environment is not taken', function () {
    [, $silent] = fault_server('silent');
    $http = new HttpHost(new Policy(["http://127.0.0.1:{$silent}"], allowLoopback: true), new Limits(connectTimeout: 0.5, ioTimeout: 0.5));
    eq(['tag' => 'timeout'], $http->send(['method' => 'GET', 'url' => "http://127.0.0.1:{$silent}/", 'headers' => [], 'body' => '']), 'timeout');
    [, $echo] = fault_server('http-echo');
    putenv("http_proxy=http://127.0.0.1:{$silent}");
    putenv("HTTPS_PROXY=http://127.0.0.1:{$silent}");
    putenv("ALL_PROXY=http://127.0.0.1:{$silent}");
    try {
        $direct = new HttpHost(new Policy(["http://127.0.0.1:{$echo}"], allowLoopback: true), new Limits(connectTimeout: 2, ioTimeout: 2));
        $answer = $direct->send(['method' => 'GET', 'url' => "http://127.0.0.1:{$echo}/direct", 'headers' => [['name' => 'x-test', 'value' => '1']], 'body' => '']);
    } finally {
        putenv('http_proxy');
        putenv('HTTPS_PROXY');
        putenv('ALL_PROXY');
    }
    eq(200, $answer['status'] ?? null, 'answered directly');
    check(str_starts_with($answer['body'], 'GET /direct HTTP/1.1'), 'an origin-form request line, not a proxy one');
    check(str_contains(strtolower($answer['body']), "x-test: 1"), 'the headers sent');
});

test('http: the connection is kept between requests to one origin, and checked again each time', function () {
    $http = new HttpHost(new Policy(['http://127.0.0.1:10090'], allowLoopback: true), new Limits());
    $request = ['method' => 'GET', 'url' => 'http://127.0.0.1:10090/.well-known/openid-configuration', 'headers' => [], 'body' => ''];
    $handle = new ReflectionProperty($http, 'curl');
    eq(200, $http->send($request)['status'] ?? null, 'first');
    eq(1, curl_getinfo($handle->getValue($http), CURLINFO_NUM_CONNECTS), 'one connection made');
    eq(200, $http->send($request)['status'] ?? null, 'second');
    eq(0, curl_getinfo($handle->getValue($http), CURLINFO_NUM_CONNECTS), 'none made: the kept one reused');
    eq('denied', $http->send(['url' => 'http://127.0.0.1:10091/'] + $request)['tag'] ?? null, 'another port, kept connection or not');
});

test('http: an origin outside the policy and a name resolving to loopback are denied', function () {
    $http = new HttpHost(new Policy(['https://localhost:10090']), new Limits());
    $answer = $http->send(['method' => 'GET', 'url' => 'https://localhost:10090/', 'headers' => [], 'body' => '']);
    eq('denied', $answer['tag'] ?? null, 'loopback address without allowLoopback');
    $answer = $http->send(['method' => 'GET', 'url' => 'https://other.example.test/', 'headers' => [], 'body' => '']);
    eq('denied', $answer['tag'] ?? null, 'origin not allowed');
});

// ------------------------------------------------------------------ transport import on faults
test('transport: plaintext received ahead of the TLS handshake is refused', function () {
    [, $port] = fault_server('starttls-inject');
    $t = new TransportHost(new Policy([], ["127.0.0.1:{$port}"], allowLoopback: true), new Limits(ioTimeout: 5));
    $rep = $t->connect('127.0.0.1', $port, 'starttls');
    check(is_int($rep), 'connected');
    eq("220 fault ESMTP\r\n", $t->call($rep, 'read-line', 512), 'greeting');
    eq(null, $t->call($rep, 'write', "STARTTLS\r\n"), 'write');
    eq("220 go ahead\r\n", $t->call($rep, 'read-line', 512), 'go-ahead');
    $refused = $t->call($rep, 'upgrade-tls');
    eq('other', $refused['tag'] ?? null, 'upgrade refused');
    check(str_contains($refused['val'], 'plaintext received ahead'), 'says why');
    eq('other', $t->call($rep, 'write', "x\r\n")['tag'] ?? null, 'the connection is unusable afterwards');
    $t->closeAll();
});

test('transport: an endless line is line-too-long; a silent server times out', function () {
    [, $endless] = fault_server('endless-line');
    [, $silent] = fault_server('silent');
    $t = new TransportHost(new Policy([], ["127.0.0.1:{$endless}", "127.0.0.1:{$silent}"], allowLoopback: true), new Limits(ioTimeout: 0.5));
    $rep = $t->connect('127.0.0.1', $endless, 'plain');
    eq(['tag' => 'line-too-long'], $t->call($rep, 'read-line', 1000), 'max-len');
    $rep = $t->connect('127.0.0.1', $endless, 'plain');
    eq(['tag' => 'line-too-long'], $t->call($rep, 'read-line', 1 << 30), 'the host cap');
    $rep = $t->connect('127.0.0.1', $silent, 'plain');
    eq(['tag' => 'timeout'], $t->call($rep, 'read-line', 1000), 'timeout');
    eq(['tag' => 'line-too-long'], $t->call($t->connect('127.0.0.1', $silent, 'plain'), 'read-exact', 1 << 20), 'read-exact capped');
    $t->closeAll();
});

test('transport: the connection cap per call, plain off loopback, targets outside the policy', function () {
    [, $silent] = fault_server('silent');
    $t = new TransportHost(new Policy([], ["127.0.0.1:{$silent}", '10.0.0.1:25'], allowLoopback: true, allowPrivate: true), new Limits(maxConnections: 2));
    check(is_int($t->connect('127.0.0.1', $silent, 'plain')) && is_int($t->connect('127.0.0.1', $silent, 'plain')), 'two open');
    eq('denied', $t->connect('127.0.0.1', $silent, 'plain')['tag'] ?? null, 'a third is denied');
    $t->closeAll();
    eq(0, $t->openCount(), 'closed');
    $plain = $t->connect('10.0.0.1', 25, 'plain');
    eq('denied', $plain['tag'] ?? null, 'plain to a private address');
    check(str_contains($plain['val'], 'plain'), 'says plain');
    eq('denied', $t->connect('127.0.0.1', 1, 'starttls')['tag'] ?? null, 'a port outside the policy');
});

test('transport: the certificate is checked against the CA and the name (real TLS peer)', function () use ($imaps) {
    $untrusted = new TransportHost(new Policy([], ["127.0.0.1:{$imaps}"], allowLoopback: true), new Limits());
    $answer = $untrusted->connect('127.0.0.1', $imaps, 'implicit-tls');
    eq('tls', $answer['tag'] ?? null, 'the test CA not trusted without caFile');
    $trusted = new TransportHost(new Policy([], ["127.0.0.1:{$imaps}"], allowLoopback: true, caFile: peers_ca()), new Limits());
    $rep = $trusted->connect('127.0.0.1', $imaps, 'implicit-tls');
    check(is_int($rep), 'trusted with the CA file');
    check(str_starts_with((string) $trusted->call($rep, 'read-line', 1000), '* OK'), 'the IMAP greeting over TLS');
    $trusted->closeAll();
    // A certificate from the same CA for another name: the chain is good, the name is not.
    [, $port] = fault_server('tls-wrong-name');
    $other = new TransportHost(new Policy([], ["127.0.0.1:{$port}"], allowLoopback: true, caFile: peers_ca()), new Limits(ioTimeout: 5));
    $answer = $other->connect('127.0.0.1', $port, 'implicit-tls');
    eq('tls', $answer['tag'] ?? null, 'a certificate for another name');
    // The control: the same server, verified for the name it does carry, is good TLS.
    $context = stream_context_create(['ssl' => ['cafile' => peers_ca(), 'peer_name' => 'other.example.test', 'verify_peer' => true]]);
    $control = @stream_socket_client("tls://127.0.0.1:{$port}", $errno, $errstr, 5, STREAM_CLIENT_CONNECT, $context);
    check($control !== false, "the control handshake ({$errstr})");
    fclose($control);
});

test('calls: an import failing inside PHP is a CallTrapped, never an answer', function () {
    $kit = new Plugin(wasm_path(), httpSend: function (array $request): array {
        throw new RuntimeException('the host broke');
    });
    $e = throws(CallTrapped::class, fn () => $kit->oauth->discover('https://idp.example.com'), 'trapped');
    check(str_contains($e->getMessage(), 'the host broke'), 'the cause is kept');
    eq('x', substr($kit->sasl->xoauth2('a@b.c', 'x') === base64_encode("user=a@b.c\x01auth=Bearer x\x01\x01") ? 'x' : '', 0, 1), 'the plugin still works after a trap');
});

test('FFI: the php-fpm setup (ffi.enable=preload, ffi.preload of ffi-header.php\'s header) is what the kit uses', function () {
    $header = tempnam(sys_get_temp_dir(), 'mail-oauth-h');
    try {
        exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg(dirname(__DIR__) . '/ffi-header.php') . ' > ' . escapeshellarg($header), $out, $status);
        eq(0, $status, 'ffi-header.php');
        // With the library path broken, only the preloaded scope can work.
        $code = 'require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . '; '
            . '$k = new MailOAuth\Plugin(' . var_export(wasm_path(), true) . '); echo $k->sasl->xoauth2("a@b.c", "t");';
        $command = 'MAIL_OAUTH_WASMTIME_LIB=/nonexistent ' . escapeshellarg(PHP_BINARY) . ' -d ffi.enable=preload -d ffi.preload='
            . escapeshellarg($header) . ' -r ' . escapeshellarg($code) . ' 2>&1';
        $printed = (string) shell_exec($command);
        eq(base64_encode("user=a@b.c\x01auth=Bearer t\x01\x01"), $printed, 'a call through the preloaded scope');
    } finally {
        unlink($header);
    }
});

/** The type of parameter $i of $function, from the shipped types. */
function wit_param(string $function, int $i): mixed
{
    static $types = null;
    $types ??= json_decode((string) file_get_contents(dirname(__DIR__) . '/src/wit-types.json'), true);
    return $types[$function]['params'][$i][1];
}

function write_bytes(Values $values, FFI $ffi, string $bytes): FFI\CData
{
    $val = $ffi->new('wasmtime_component_val_t');
    $values->write($val, ['list' => 'u8'], $bytes);
    return $val;
}

$status = run();
stop_servers();
exit($status);
