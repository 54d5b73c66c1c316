<?php

declare(strict_types=1);

namespace MailOAuth\Admin;

/**
 * What serve.sh passes to the router through the environment: the public
 * URL (the callback is registered under it), the data directory, the
 * egress switches and the component's path.
 */
final class Config
{
    public const SETTINGS_PATH = '/front/oauthimap.php';
    public const CALLBACK_PATH = '/plugins/oauthimap/front/authorization.callback.php';

    public function __construct(
        public readonly string $publicUrl,
        public readonly string $dataDir,
        public readonly bool $allowLoopback = false,
        public readonly ?string $caFile = null,
        public readonly ?string $wasmPath = null,
        public readonly ?string $key = null,
    ) {
    }

    public static function fromEnvironment(): self
    {
        $env = static fn (string $name): ?string => is_string($value = getenv($name)) && $value !== '' ? $value : null;
        $port = $env('MAIL_OAUTH_ADMIN_PORT') ?? (string) ($_SERVER['SERVER_PORT'] ?? '80');
        return new self(
            publicUrl: rtrim($env('MAIL_OAUTH_ADMIN_PUBLIC_URL') ?? "http://127.0.0.1:{$port}", '/'),
            dataDir: $env('MAIL_OAUTH_ADMIN_DATA_DIR') ?? __DIR__ . '/../data',
            allowLoopback: $env('MAIL_OAUTH_ADMIN_ALLOW_LOOPBACK') === '1',
            caFile: $env('MAIL_OAUTH_ADMIN_CA_FILE'),
            wasmPath: $env('MAIL_OAUTH_WASM'),
            key: $env('MAIL_OAUTH_ADMIN_KEY'),
        );
    }

    /** The redirect URI registered with the provider. */
    public function callbackUrl(): string
    {
        return $this->publicUrl . self::CALLBACK_PATH;
    }

    /** Whether the session cookie gets `Secure` (an https public URL). */
    public function secureCookies(): bool
    {
        return str_starts_with($this->publicUrl, 'https://');
    }

    /** $MAIL_OAUTH_WASM, else the component tests/build-component.sh builds. */
    public function component(): string
    {
        if ($this->wasmPath !== null) {
            return $this->wasmPath;
        }
        $root = dirname(__DIR__, 4);
        foreach (['target/artifacts', 'target/wasm32-wasip2/component'] as $dir) {
            if (is_file("{$root}/{$dir}/mail_oauth_guest.wasm")) {
                return "{$root}/{$dir}/mail_oauth_guest.wasm";
            }
        }
        return "{$root}/target/artifacts/mail_oauth_guest.wasm";
    }
}
