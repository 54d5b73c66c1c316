<?php

declare(strict_types=1);

namespace MailOAuth;

/**
 * One exported interface: `$kit->oauth->begin_authorization(...)` calls
 * `oauth.begin-authorization` (snake_case method, kebab-case WIT name).
 */
final class Iface
{
    public function __construct(private readonly Plugin $plugin, private readonly string $name)
    {
    }

    /** @param list<mixed> $args */
    public function __call(string $method, array $args): mixed
    {
        return $this->plugin->call($this->name . '.' . str_replace('_', '-', $method), ...$args);
    }
}
