<?php

declare(strict_types=1);

namespace MailOAuth\Admin;

use MailOAuth\Plugin;
use MailOAuth\Policy;

/**
 * The kit as the settings configure it: the provider (a preset, or the
 * custom issuer's discovery document, cached in the settings until the
 * provider choice or the issuer changes), the client record, and a Plugin
 * whose egress policy allows exactly the provider's token, revocation and
 * device endpoints (and the issuer) and the IMAP and SMTP servers.
 */
final class Kit
{
    /** @var \Closure(Policy): Plugin */
    private readonly \Closure $load;

    /** @param ?\Closure(Policy): Plugin $load how a Plugin is built (tests may pass their own) */
    public function __construct(private readonly Config $config, private readonly Store $store, ?\Closure $load = null)
    {
        $this->load = $load ?? function (Policy $policy): Plugin {
            $cache = $this->config->dataDir . '/cache';
            if (!is_dir($cache)) {
                mkdir($cache, 0o700);
            }
            return new Plugin($this->config->component(), $policy, cacheDir: $cache);
        };
    }

    /** Which provider the settings name: `google`, `microsoft:TENANT`, `custom:ISSUER`. */
    public static function providerKey(array $settings): string
    {
        return match ($settings['provider'] ?? '') {
            'google' => 'google',
            'microsoft' => 'microsoft:' . ($settings['tenant'] ?? 'common'),
            default => 'custom:' . ($settings['issuer'] ?? ''),
        };
    }

    /**
     * The provider record: cached, else built (`oauth.preset`) or discovered
     * (`oauth.discover`) and cached. Throws OAuthException.
     *
     * @return array<string, mixed>
     */
    public function provider(): array
    {
        $settings = $this->store->settings();
        $key = self::providerKey($settings);
        if (($settings['provider-cache']['key'] ?? null) === $key) {
            return $settings['provider-cache']['provider'];
        }
        if (($settings['provider'] ?? '') === 'custom') {
            $kit = ($this->load)($this->policy([self::origin($settings['issuer'])], []));
            $provider = $kit->oauth->discover($settings['issuer']);
        } else {
            $kind = $settings['provider'] === 'google' ? ['tag' => 'google'] : ['tag' => 'microsoft', 'val' => $settings['tenant']];
            $provider = ($this->load)($this->policy([], []))->oauth->preset($kind);
        }
        $settings['provider-cache'] = ['key' => $key, 'provider' => json_decode(json_encode($provider, JSON_THROW_ON_ERROR), true)];
        $this->store->saveSettings($settings);
        return $settings['provider-cache']['provider'];
    }

    /** The client record: the registered id and secret, the redirect URI the page shows. @return array<string, mixed> */
    public function client(): array
    {
        $settings = $this->store->settings();
        $secret = (string) ($settings['client-secret'] ?? '');
        return ['id' => (string) ($settings['client-id'] ?? ''), 'secret' => $secret === '' ? null : $secret,
            'redirect-uri' => $this->config->callbackUrl()];
    }

    /** A Plugin allowed to reach the provider's endpoints and the mail servers. @param array<string, mixed> $provider */
    public function plugin(array $provider): Plugin
    {
        $settings = $this->store->settings();
        $origins = [];
        foreach ([$provider['token-endpoint'], $provider['revocation-endpoint'], $provider['device-authorization-endpoint'],
            ($settings['provider'] ?? '') === 'custom' ? $settings['issuer'] : null] as $url) {
            if (is_string($url) && $url !== '') {
                $origins[] = self::origin($url);
            }
        }
        $targets = array_values(array_filter([$settings['imap-server'] ?? null, $settings['smtp-server'] ?? null]));
        return ($this->load)($this->policy(array_values(array_unique($origins)), $targets));
    }

    /** @param list<string> $origins @param list<string> $targets */
    private function policy(array $origins, array $targets): Policy
    {
        return new Policy($origins, $targets, allowLoopback: $this->config->allowLoopback, caFile: $this->config->caFile);
    }

    /** `scheme://host:port` of a URL. */
    public static function origin(string $url): string
    {
        [$scheme, $host, $port] = Policy::origin($url);
        return "{$scheme}://" . (str_contains($host, ':') ? "[{$host}]" : $host) . ":{$port}";
    }

    /**
     * The scopes to ask for: a preset's own defaults (an empty list); for a
     * custom provider the Scopes field, else its discovered defaults plus
     * `openid email` (the account's address comes back in the ID token).
     *
     * @param array<string, mixed> $provider
     * @return list<string>
     */
    public static function scopes(array $settings, array $provider): array
    {
        if (($settings['provider'] ?? '') !== 'custom') {
            return [];
        }
        $chosen = preg_split('/\s+/', trim((string) ($settings['scopes'] ?? '')), -1, PREG_SPLIT_NO_EMPTY);
        return $chosen !== [] ? array_values(array_unique($chosen))
            : array_values(array_unique([...$provider['default-scopes'], 'openid', 'email']));
    }

    /** A `host:port` field as a WIT `server`. @return array{host: string, port: int, security: string} */
    public static function server(string $hostPort, string $security): array
    {
        $cut = strrpos($hostPort, ':');
        return ['host' => trim(substr($hostPort, 0, (int) $cut), '[]'), 'port' => (int) substr($hostPort, (int) $cut + 1),
            'security' => $security];
    }
}
