<?php

declare(strict_types=1);

namespace MailOAuth;

/**
 * The egress policy, deny by default (the Rust host's
 * host-harness/runtime/src/egress.rs is the reference): allowed origins
 * (`https://host[:port]`) for `http`, allowed `host:port` targets for
 * `transport`; every address a name resolves to is classified, and
 * loopback needs $allowLoopback, private and link-local ranges
 * $allowPrivate; metadata, unspecified, multicast and reserved addresses
 * are never allowed. Plain `http` and `plain` mail only to loopback.
 */
final class Policy
{
    /** @var list<array{string, string, int}> */
    private array $origins = [];
    /** @var list<string> */
    private array $targets = [];
    private ?string $bundle = null;

    /**
     * @param list<string> $allowOrigins e.g. ['https://login.example.com']
     * @param list<string> $allowTargets e.g. ['imap.example.com:993']
     * @param ?string $caFile a PEM file of CAs trusted besides the system's
     */
    public function __construct(
        array $allowOrigins = [],
        array $allowTargets = [],
        public readonly bool $allowLoopback = false,
        public readonly bool $allowPrivate = false,
        public readonly ?string $caFile = null,
    ) {
        foreach ($allowOrigins as $origin) {
            $this->origins[] = self::origin($origin);
        }
        foreach ($allowTargets as $target) {
            if (!preg_match('/^(\[[0-9a-fA-F:.]+\]|[^:\/\s]+):(\d{1,5})$/', $target, $m) || (int) $m[2] > 65535) {
                throw new \InvalidArgumentException("not a host:port target: {$target}");
            }
            $this->targets[] = strtolower(trim($m[1], '[]')) . ':' . (int) $m[2];
        }
        if ($caFile !== null && !is_readable($caFile)) {
            throw new \InvalidArgumentException("the CA file is not readable: {$caFile}");
        }
    }

    /** @return array{string, string, int} scheme, lower-case host, port of an absolute http(s) URL */
    public static function origin(string $url): array
    {
        $parts = parse_url($url);
        $scheme = strtolower($parts['scheme'] ?? '');
        if (!in_array($scheme, ['http', 'https'], true)) {
            throw new Denied("scheme `{$scheme}` is not allowed (only https, and http to loopback)");
        }
        if (!isset($parts['host']) || $parts['host'] === '') {
            throw new Denied('the URL has no host');
        }
        $host = strtolower(trim($parts['host'], '[]'));
        if (isset($parts['user']) || isset($parts['pass'])) {
            throw new Denied("URLs with credentials are not allowed (host {$host})");
        }
        return [$scheme, $host, $parts['port'] ?? ($scheme === 'https' ? 443 : 80)];
    }

    /** @return array{string, string, int} the URL's origin, when allowed; throws Denied */
    public function checkUrl(string $url): array
    {
        [$scheme, $host, $port] = self::origin($url);
        if (!in_array([$scheme, $host, $port], $this->origins, true)) {
            throw new Denied("{$scheme}://{$host}:{$port} is not in the egress policy");
        }
        if ($scheme === 'http' && !$this->allowLoopback) {
            throw new Denied("plain http to {$host}:{$port} is refused: http is allowed only to loopback");
        }
        return [$scheme, $host, $port];
    }

    public function checkHostPort(string $host, int $port): void
    {
        $host = strtolower(trim($host, '[]'));
        if (!in_array("{$host}:{$port}", $this->targets, true)) {
            throw new Denied("tcp://{$host}:{$port} is not in the egress policy");
        }
    }

    /**
     * The addresses of $host, every one of them checked (one forbidden
     * address refuses the name: no DNS-rebinding gap); the caller connects
     * to exactly these. Throws Denied, or \RuntimeException when the name
     * does not resolve.
     *
     * @return list<string>
     */
    public function resolve(string $host): array
    {
        $host = trim($host, '[]');
        if (filter_var($host, FILTER_VALIDATE_IP) !== false) {
            $addresses = [$host];
        } else {
            $addresses = gethostbynamel($host) ?: [];
            $v6 = @dns_get_record($host, DNS_AAAA) ?: [];
            foreach ($v6 as $record) {
                if (isset($record['ipv6'])) {
                    $addresses[] = $record['ipv6'];
                }
            }
            if ($addresses === []) {
                throw new \RuntimeException("{$host}: name resolution failed");
            }
        }
        foreach ($addresses as $address) {
            $this->checkAddress($host, $address);
        }
        return array_values(array_unique($addresses));
    }

    public function checkAddress(string $host, string $address): void
    {
        $class = self::classify($address);
        $allowed = $class === 'public'
            || ($class === 'loopback' && $this->allowLoopback)
            || (($class === 'private' || $class === 'link-local') && $this->allowPrivate);
        if (!$allowed) {
            throw new Denied("{$host} resolves to {$address}, a {$class} address");
        }
    }

    /**
     * `public`, `loopback`, `private`, `link-local`, `cloud metadata`,
     * `unspecified`, `multicast or broadcast` or `reserved`. IPv4-mapped and
     * NAT64 IPv6 addresses by the IPv4 address they carry.
     */
    public static function classify(string $address): string
    {
        $bin = @inet_pton($address);
        if ($bin === false) {
            return 'reserved';
        }
        if (strlen($bin) === 4) {
            return self::classifyV4(array_values(unpack('C4', $bin)));
        }
        $seg = array_values(unpack('n8', $bin));
        if ($seg[0] === 0 && $seg[1] === 0 && $seg[2] === 0 && $seg[3] === 0 && $seg[4] === 0 && $seg[5] === 0xffff) {
            return self::classifyV4(array_values(unpack('C4', substr($bin, 12))));
        }
        if (array_slice($seg, 0, 6) === [0x64, 0xff9b, 0, 0, 0, 0]) {
            return self::classifyV4(array_values(unpack('C4', substr($bin, 12))));
        }
        if (in_array($seg, [[0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254], [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0023],
            [0xfd20, 0x00ce, 0, 0, 0, 0, 0, 0x0254]], true)) {
            return 'cloud metadata';
        }
        if (array_slice($seg, 0, 3) === [0x64, 0xff9b, 0x0001]) {
            return 'reserved'; // RFC 8215 local-use NAT64: the IPv4 destination is not at a fixed place
        }
        if ($seg === [0, 0, 0, 0, 0, 0, 0, 0]) {
            return 'unspecified';
        }
        if ($seg === [0, 0, 0, 0, 0, 0, 0, 1]) {
            return 'loopback';
        }
        if (($seg[0] & 0xff00) === 0xff00) {
            return 'multicast or broadcast';
        }
        if (($seg[0] & 0xffc0) === 0xfe80) {
            return 'link-local';
        }
        if (($seg[0] & 0xfe00) === 0xfc00 || ($seg[0] & 0xffc0) === 0xfec0) {
            return 'private';
        }
        if (array_slice($seg, 0, 6) === [0, 0, 0, 0, 0, 0] || ($seg[0] === 0x2001 && $seg[1] === 0x0db8)) {
            return 'reserved';
        }
        return 'public';
    }

    /** @param list<int> $o */
    private static function classifyV4(array $o): string
    {
        [$a, $b, $c] = $o;
        // Cloud metadata and credential services (AWS, GCP, Azure, Alibaba; ECS/EKS task credentials).
        if (in_array($o, [[169, 254, 169, 254], [100, 100, 100, 200], [169, 254, 170, 2], [169, 254, 170, 23],
            [168, 63, 129, 16]], true)) {
            return 'cloud metadata';
        }
        if ($o === [0, 0, 0, 0]) {
            return 'unspecified';
        }
        if ($a === 127) {
            return 'loopback';
        }
        if ($a === 169 && $b === 254) {
            return 'link-local';
        }
        if ($a === 10 || ($a === 172 && $b >= 16 && $b < 32) || ($a === 192 && $b === 168)
            || ($a === 100 && $b >= 64 && $b < 128) || ($a === 198 && ($b === 18 || $b === 19))) {
            return 'private';
        }
        if (($a >= 224 && $a < 240) || $o === [255, 255, 255, 255]) {
            return 'multicast or broadcast';
        }
        if ($a === 0 || $a >= 240 || ($a === 192 && $b === 0 && $c === 0) || ($a === 192 && $b === 0 && $c === 2)
            || ($a === 198 && $b === 51 && $c === 100) || ($a === 203 && $b === 0 && $c === 113)) {
            return 'reserved';
        }
        return 'public';
    }

    /**
     * A CA bundle: the system's roots plus $caFile (curl's CAINFO and the
     * stream context's cafile each take one file, which replaces the
     * default). Written once per policy into the temp directory.
     */
    public function caBundle(): ?string
    {
        if ($this->caFile === null) {
            return null;
        }
        if ($this->bundle !== null && is_file($this->bundle)) {
            return $this->bundle;
        }
        $system = '';
        $locations = openssl_get_cert_locations();
        foreach ([$locations['default_cert_file'] ?? '', '/etc/ssl/certs/ca-certificates.crt'] as $file) {
            if ($file !== '' && is_readable($file)) {
                $system = (string) file_get_contents($file);
                break;
            }
        }
        $pem = $system . "\n" . (string) file_get_contents($this->caFile) . "\n";
        $path = sys_get_temp_dir() . '/mail-oauth-php-ca-' . hash('sha256', $pem) . '.pem';
        if (!is_file($path)) {
            $tmp = $path . '.' . getmypid();
            file_put_contents($tmp, $pem);
            rename($tmp, $path);
        }
        return $this->bundle = $path;
    }
}
