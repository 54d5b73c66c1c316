<?php

/**
 * Servers that misbehave in ways no real peer does, for the kit's import
 * tests: `php fault_server.php SCENARIO` listens on an ephemeral loopback
 * port, prints the port, and serves connections until its stdin closes or
 * it is terminated.
 *   starttls-inject  greets, and answers the first line with the go-ahead
 *                    and an injected plaintext line in the same write
 *   endless-line     sends 200 KiB without a line feed
 *   silent           accepts and never sends a byte
 *   http-redirect    answers every request with a 302 to another origin
 *   http-big         answers with a 2 MiB body
 *   http-echo        answers 200 with the request's head as the body
 *   tls-wrong-name   TLS with a certificate from the peers' test CA
 *                    (PEERS_ROOT) for other.example.test, not 127.0.0.1
 */

declare(strict_types=1);

$scenario = $argv[1] ?? '';
$server = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
if ($server === false) {
    fwrite(STDERR, "listen: {$errstr}\n");
    exit(1);
}
$name = stream_socket_get_name($server, false);
echo substr($name, strrpos($name, ':') + 1), "\n";
fflush(STDOUT);
$held = [];
$tls = null;
if ($scenario === 'tls-wrong-name') {
    $dir = (getenv('PEERS_ROOT') ?: ((getenv('TMPDIR') ?: '/tmp') . '/mail-oauth-peers')) . '/tls';
    $key = openssl_pkey_new(['private_key_type' => OPENSSL_KEYTYPE_EC, 'curve_name' => 'prime256v1']);
    $csr = openssl_csr_new(['commonName' => 'other.example.test'], $key, ['digest_alg' => 'sha256']);
    $extensions = tempnam(sys_get_temp_dir(), 'fault-ext');
    file_put_contents($extensions, "[v3]\nsubjectAltName=DNS:other.example.test\nbasicConstraints=CA:FALSE\n");
    $cert = openssl_csr_sign($csr, (string) file_get_contents("{$dir}/ca.crt"), (string) file_get_contents("{$dir}/ca.key"), 1,
        ['digest_alg' => 'sha256', 'config' => $extensions, 'x509_extensions' => 'v3']);
    unlink($extensions);
    openssl_x509_export($cert, $certPem);
    openssl_pkey_export($key, $keyPem);
    $pem = tempnam(sys_get_temp_dir(), 'fault-pem');
    file_put_contents($pem, $certPem . $keyPem);
    register_shutdown_function(fn () => @unlink($pem));
    $tls = ['local_cert' => $pem];
}
while (true) {
    $read = [$server, STDIN];
    $write = $except = null;
    if (stream_select($read, $write, $except, null) === false) {
        exit(1);
    }
    if (in_array(STDIN, $read, true) && feof(STDIN)) {
        exit(0);
    }
    if (!in_array($server, $read, true)) {
        continue;
    }
    $client = @stream_socket_accept($server, 5);
    if ($client === false) {
        continue;
    }
    switch ($scenario) {
        case 'starttls-inject':
            fwrite($client, "220 fault ESMTP\r\n");
            fgets($client);
            fwrite($client, "220 go ahead\r\nMAIL FROM:<injected@example.test>\r\n");
            $held[] = $client;
            break;
        case 'endless-line':
            fwrite($client, str_repeat('x', 200 * 1024));
            $held[] = $client;
            break;
        case 'silent':
            $held[] = $client;
            break;
        case 'http-redirect':
        case 'http-big':
        case 'http-echo':
            $head = '';
            while (($line = fgets($client)) !== false && $line !== "\r\n") {
                $head .= $line;
            }
            if ($scenario === 'http-redirect') {
                fwrite($client, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:1/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            } elseif ($scenario === 'http-big') {
                $body = str_repeat('y', 2 << 20);
                fwrite($client, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
                @fwrite($client, $body);
            } else {
                fwrite($client, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " . strlen($head) . "\r\nConnection: close\r\n\r\n{$head}");
            }
            fclose($client);
            break;
        case 'tls-wrong-name':
            foreach ($tls as $option => $value) {
                stream_context_set_option($client, 'ssl', $option, $value);
            }
            stream_set_timeout($client, 5);
            if (@stream_socket_enable_crypto($client, true, STREAM_CRYPTO_METHOD_TLS_SERVER) === true) {
                @fwrite($client, "* OK fault\r\n");
            }
            fclose($client);
            break;
        default:
            fclose($client);
    }
}
