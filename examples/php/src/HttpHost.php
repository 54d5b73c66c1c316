<?php

declare(strict_types=1);

namespace MailOAuth;

/**
 * The `http` import over the curl extension, under a Policy: the origin
 * checked, every resolved address checked, and curl pinned to exactly those
 * addresses (CURLOPT_RESOLVE); certificate and host name validated (system
 * roots plus the policy's CA file); no redirects followed (a 3xx is
 * returned as it is), no proxy whatever the environment says, http/https
 * only, connect and total timeouts, request and response size caps.
 * Error texts name the target, never a header or a body.
 *
 * One curl handle per HttpHost (per Plugin), reset before every request:
 * its connections stay open between calls (keep-alive), so the next refresh
 * at the same origin skips the TCP and TLS handshakes. curl reuses a
 * connection only for the same host and port, and every request is
 * checked (and pinned) first, so a kept connection goes to an address the
 * policy allowed. No cookie engine: nothing of one call's responses reaches
 * the next.
 */
final class HttpHost
{
    private const TLS_ERRORS = [35, 51, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91];

    private ?\CurlHandle $curl = null;

    public function __construct(private readonly Policy $policy, private readonly Limits $limits)
    {
    }

    /**
     * @param array{method: string, url: string, headers: list<array{name: string, value: string}|Record>, body: string} $request
     * @return array{status: int, headers: list<array{name: string, value: string}>, body: string}|array{tag: string, val?: string}
     */
    public function send(array $request): array
    {
        if (strlen($request['body']) > $this->limits->maxRequestBytes) {
            return ['tag' => 'too-large'];
        }
        try {
            [$scheme, $host, $port] = $this->policy->checkUrl($request['url']);
            $addresses = $this->policy->resolve($host);
            if ($scheme === 'http') {
                foreach ($addresses as $address) {
                    if (Policy::classify($address) !== 'loopback') {
                        throw new Denied("plain http to {$host}:{$port} is refused: http is allowed only to loopback");
                    }
                }
            }
        } catch (Denied $denied) {
            return ['tag' => 'denied', 'val' => $denied->getMessage()];
        } catch (\RuntimeException $failed) {
            return ['tag' => 'unreachable', 'val' => $failed->getMessage()];
        }
        $pinned = array_map(fn ($a) => str_contains($a, ':') ? "[{$a}]" : $a, $addresses);
        if ($this->curl === null) {
            $this->curl = curl_init();
        } else {
            curl_reset($this->curl); // options back to defaults; live connections kept
        }
        $curl = $this->curl;
        $headers = [];
        $body = '';
        $tooLarge = false;
        $max = $this->limits->maxResponseBytes;
        $lines = ['Expect:', 'Accept:'];
        foreach ($request['headers'] as $header) {
            $name = (string) $header['name'];
            $value = (string) $header['value'];
            if (preg_match('/[\r\n]/', $name . $value)) {
                return ['tag' => 'other', 'val' => "{$host}:{$port}: a header with CR or LF"];
            }
            $lines[] = $value === '' ? "{$name};" : "{$name}: {$value}";
        }
        $options = [
            CURLOPT_URL => $request['url'],
            CURLOPT_RESOLVE => ["{$host}:{$port}:" . implode(',', $pinned)],
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROXY => '',
            CURLOPT_NOPROXY => '*',
            CURLOPT_SSL_VERIFYPEER => true,
            CURLOPT_SSL_VERIFYHOST => 2,
            CURLOPT_CONNECTTIMEOUT_MS => (int) ($this->limits->connectTimeout * 1000),
            CURLOPT_TIMEOUT_MS => (int) (($this->limits->connectTimeout + $this->limits->ioTimeout) * 1000),
            CURLOPT_HTTPHEADER => $lines,
            CURLOPT_HEADER => false,
            CURLOPT_NOSIGNAL => true,
            CURLOPT_HEADERFUNCTION => function ($curl, string $line) use (&$headers): int {
                if (preg_match('#^HTTP/\S+\s+\d{3}#', $line)) {
                    $headers = []; // an interim response (100) before the final one
                } elseif (($colon = strpos($line, ':')) !== false) {
                    $headers[] = ['name' => strtolower(trim(substr($line, 0, $colon))), 'value' => trim(substr($line, $colon + 1))];
                }
                return strlen($line);
            },
            CURLOPT_WRITEFUNCTION => function ($curl, string $chunk) use (&$body, &$tooLarge, $max): int {
                if (strlen($body) + strlen($chunk) > $max) {
                    $tooLarge = true;
                    return 0; // aborts the transfer
                }
                $body .= $chunk;
                return strlen($chunk);
            },
        ];
        $bundle = $this->policy->caBundle();
        if ($bundle !== null) {
            $options[CURLOPT_CAINFO] = $bundle;
        }
        $method = strtoupper($request['method']);
        if ($method === 'GET' && $request['body'] === '') {
            $options[CURLOPT_HTTPGET] = true;
        } elseif ($method === 'POST') {
            $options[CURLOPT_POST] = true;
            $options[CURLOPT_POSTFIELDS] = $request['body'];
        } else {
            $options[CURLOPT_CUSTOMREQUEST] = $method;
            $options[CURLOPT_POSTFIELDS] = $request['body'];
        }
        curl_setopt_array($curl, $options);
        curl_exec($curl);
        $errno = curl_errno($curl);
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        $target = "{$host}:{$port}";
        if ($tooLarge || $errno === CURLE_FILESIZE_EXCEEDED) {
            return ['tag' => 'too-large'];
        }
        if ($errno === 0) {
            return ['status' => $status, 'headers' => $headers, 'body' => $body];
        }
        if ($errno === CURLE_OPERATION_TIMEOUTED) {
            return ['tag' => 'timeout'];
        }
        if (in_array($errno, self::TLS_ERRORS, true)) {
            return ['tag' => 'tls', 'val' => "{$target}: " . curl_strerror($errno)];
        }
        if (in_array($errno, [CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT], true)) {
            return ['tag' => 'unreachable', 'val' => "{$target}: " . curl_strerror($errno)];
        }
        return ['tag' => 'other', 'val' => "{$target}: " . curl_strerror($errno)];
    }
}
