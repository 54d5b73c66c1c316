<?php

declare(strict_types=1);

namespace MailOAuth;

/**
 * The `transport` import over PHP streams, under a Policy: the target and
 * every resolved address checked, the socket connected to exactly a checked
 * address (`tcp://IP:port`) with TLS validating the certificate for the
 * host name (`peer_name`); implicit TLS, or STARTTLS on the same socket
 * (stream_socket_enable_crypto); `plain` only to loopback when loopback is
 * allowed. PHP's own read buffer is off, so the kit's buffer is the only
 * one: an upgrade with plaintext read ahead of the handshake is refused
 * (the command injection of CVE-2011-0411). Bounded line reads, timeouts,
 * a connection cap per call. Error texts name the target, never a byte read
 * or written: the dialogue carries tokens.
 */
final class TransportHost
{
    private const CHUNK = 8192;

    /** @var array<int, array{stream: resource, host: string, port: int, security: string, tls: bool, buffer: string, broken: bool}> */
    private array $open = [];
    private int $nextRep = 1;

    public function __construct(private readonly Policy $policy, private readonly Limits $limits)
    {
    }

    /** @return int|array{tag: string, val?: string} a connection handle or a transport-error */
    public function connect(string $host, int $port, string $security): int|array
    {
        if (count($this->open) >= $this->limits->maxConnections) {
            return ['tag' => 'denied', 'val' => "{$host}:{$port}: {$this->limits->maxConnections} connections already open in this call"];
        }
        try {
            $this->policy->checkHostPort($host, $port);
            $addresses = $this->policy->resolve($host);
            if ($security === 'plain') {
                $loopback = $this->policy->allowLoopback;
                foreach ($addresses as $address) {
                    $loopback = $loopback && Policy::classify($address) === 'loopback';
                }
                if (!$loopback) {
                    throw new Denied("{$host}:{$port}: plain (no TLS) is allowed only to loopback");
                }
            }
        } catch (Denied $denied) {
            return ['tag' => 'denied', 'val' => $denied->getMessage()];
        } catch (\RuntimeException $failed) {
            return ['tag' => 'refused', 'val' => $failed->getMessage()];
        }
        $stream = null;
        $last = ['tag' => 'refused', 'val' => "{$host}:{$port}: no address"];
        foreach ($addresses as $address) {
            $ip = str_contains($address, ':') ? "[{$address}]" : $address;
            $context = stream_context_create(['ssl' => $this->sslOptions($host)]);
            $errno = 0;
            $errstr = '';
            $candidate = @stream_socket_client("tcp://{$ip}:{$port}", $errno, $errstr,
                $this->limits->connectTimeout, STREAM_CLIENT_CONNECT, $context);
            if ($candidate !== false) {
                $stream = $candidate;
                break;
            }
            $last = $errno === 110 || stripos($errstr, 'timed out') !== false
                ? ['tag' => 'timeout']
                : ['tag' => 'refused', 'val' => "{$host}:{$port}: " . ($errstr !== '' ? $errstr : 'connection failed')];
        }
        if ($stream === null) {
            return $last;
        }
        stream_set_read_buffer($stream, 0);
        stream_set_write_buffer($stream, 0);
        if ($security === 'implicit-tls') {
            $failed = $this->handshake($stream, $host, $port);
            if ($failed !== null) {
                fclose($stream);
                return $failed;
            }
        }
        $this->setTimeout($stream, $this->limits->ioTimeout);
        $rep = $this->nextRep++;
        $this->open[$rep] = [
            'stream' => $stream, 'host' => $host, 'port' => $port, 'security' => $security,
            'tls' => $security === 'implicit-tls', 'buffer' => '', 'broken' => false,
        ];
        return $rep;
    }

    /** @return array<string, mixed> */
    private function sslOptions(string $host): array
    {
        $options = [
            'peer_name' => $host,
            'verify_peer' => true,
            'verify_peer_name' => true,
            'allow_self_signed' => false,
            'SNI_enabled' => true,
            'disable_compression' => true,
            'capture_peer_cert' => false,
        ];
        $bundle = $this->policy->caBundle();
        if ($bundle !== null) {
            $options['cafile'] = $bundle;
        }
        return $options;
    }

    /** @param resource $stream */
    private function setTimeout($stream, float $seconds): void
    {
        stream_set_timeout($stream, (int) $seconds, (int) (fmod($seconds, 1.0) * 1e6));
    }

    /**
     * @param resource $stream
     * @return ?array{tag: string, val?: string} null when the handshake and the certificate are good
     */
    private function handshake($stream, string $host, int $port): ?array
    {
        $this->setTimeout($stream, $this->limits->connectTimeout);
        $warning = '';
        set_error_handler(function (int $no, string $text) use (&$warning): bool {
            $warning = $text;
            return true;
        });
        try {
            $ok = stream_socket_enable_crypto($stream, true,
                STREAM_CRYPTO_METHOD_TLSv1_2_CLIENT | STREAM_CRYPTO_METHOD_TLSv1_3_CLIENT);
        } finally {
            restore_error_handler();
        }
        if ($ok === true) {
            return null;
        }
        if (stream_get_meta_data($stream)['timed_out'] ?? false) {
            return ['tag' => 'timeout'];
        }
        $why = 'handshake failed';
        if (stripos($warning, 'certificate verify failed') !== false) {
            $why = 'certificate not valid: certificate verify failed';
        } elseif (stripos($warning, 'did not match expected CN') !== false || stripos($warning, 'peer_name') !== false) {
            $why = "certificate not valid: not for {$host}";
        }
        return ['tag' => 'tls', 'val' => "{$host}:{$port}: {$why}"];
    }

    /** @return string|array{tag: string, val?: string} */
    public function call(int $rep, string $method, mixed $arg = null): string|array|null
    {
        if (!isset($this->open[$rep])) {
            return ['tag' => 'other', 'val' => 'no such connection'];
        }
        $c = &$this->open[$rep];
        $target = "{$c['host']}:{$c['port']}";
        if ($c['broken']) {
            return ['tag' => 'other', 'val' => "{$target}: connection unusable after an earlier error"];
        }
        switch ($method) {
            case 'read-line':
                $cap = min($arg, $this->limits->maxLineBytes);
                while (true) {
                    $end = strpos($c['buffer'], "\n");
                    if ($end !== false && $end < $cap) {
                        $line = substr($c['buffer'], 0, $end + 1);
                        $c['buffer'] = (string) substr($c['buffer'], $end + 1);
                        return $line;
                    }
                    if (strlen($c['buffer']) >= $cap) {
                        $c['broken'] = true;
                        return ['tag' => 'line-too-long'];
                    }
                    $failed = $this->fill($c);
                    if ($failed !== null) {
                        return $failed;
                    }
                }
                // no break: the loop returns
            case 'read-exact':
                if ($arg > $this->limits->maxLineBytes) {
                    $c['broken'] = true;
                    return ['tag' => 'line-too-long'];
                }
                while (strlen($c['buffer']) < $arg) {
                    $failed = $this->fill($c);
                    if ($failed !== null) {
                        return $failed;
                    }
                }
                $data = substr($c['buffer'], 0, $arg);
                $c['buffer'] = (string) substr($c['buffer'], $arg);
                return $data;
            case 'write':
                $data = (string) $arg;
                while ($data !== '') {
                    $written = @fwrite($c['stream'], $data);
                    if ($written === false || $written === 0) {
                        if (stream_get_meta_data($c['stream'])['timed_out'] ?? false) {
                            return ['tag' => 'timeout'];
                        }
                        $c['broken'] = true;
                        return ['tag' => 'closed'];
                    }
                    $data = (string) substr($data, $written);
                }
                return null;
            case 'upgrade-tls':
                if ($c['security'] !== 'starttls' || $c['tls']) {
                    return ['tag' => 'other', 'val' => "{$target}: only a starttls connection upgrades, once"];
                }
                if ($c['buffer'] !== '') {
                    $c['broken'] = true;
                    return ['tag' => 'other', 'val' => "{$target}: plaintext received ahead of the TLS handshake"];
                }
                $failed = $this->handshake($c['stream'], $c['host'], $c['port']);
                if ($failed !== null) {
                    $c['broken'] = true;
                    return $failed;
                }
                $this->setTimeout($c['stream'], $this->limits->ioTimeout);
                $c['tls'] = true;
                return null;
        }
        return ['tag' => 'other', 'val' => "no method {$method}"];
    }

    /**
     * @param array{stream: resource, host: string, port: int, security: string, tls: bool, buffer: string, broken: bool} $c
     * @return ?array{tag: string, val?: string}
     */
    private function fill(array &$c): ?array
    {
        $chunk = @fread($c['stream'], self::CHUNK);
        if ($chunk === false || $chunk === '') {
            $meta = stream_get_meta_data($c['stream']);
            if ($meta['timed_out'] ?? false) {
                return ['tag' => 'timeout'];
            }
            $c['broken'] = true;
            return ['tag' => 'closed'];
        }
        $c['buffer'] .= $chunk;
        return null;
    }

    public function drop(int $rep): void
    {
        if (isset($this->open[$rep])) {
            @fclose($this->open[$rep]['stream']);
            unset($this->open[$rep]);
        }
    }

    /** Closes what the component left open when its call ends. */
    public function closeAll(): void
    {
        foreach (array_keys($this->open) as $rep) {
            $this->drop($rep);
        }
    }

    public function openCount(): int
    {
        return count($this->open);
    }
}
