<?php

declare(strict_types=1);

namespace MailOAuth\Admin;

/** What the router answers. Every page is no-store and sends no referrer. */
final class Response
{
    /** @param list<array{string, string}> $headers */
    public function __construct(public readonly int $status, public array $headers = [], public readonly string $body = '')
    {
    }

    public static function redirect(string $location): self
    {
        return new self(303, [['Location', $location]]);
    }

    public static function html(int $status, string $body): self
    {
        return new self($status, [['Content-Type', 'text/html; charset=utf-8']], $body);
    }

    public function header(string $name): ?string
    {
        foreach ($this->headers as [$key, $value]) {
            if (strcasecmp($key, $name) === 0) {
                return $value;
            }
        }
        return null;
    }

    public function send(): void
    {
        http_response_code($this->status);
        header_remove('X-Powered-By');
        $security = [
            ['Cache-Control', 'no-store'],
            ['Referrer-Policy', 'no-referrer'],
            ['X-Content-Type-Options', 'nosniff'],
            // No form-action: Chromium applies it to the 303 that sends the
            // browser to the provider after Connect mailbox.
            ['Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"],
        ];
        foreach ([...$security, ...$this->headers] as [$name, $value]) {
            header("{$name}: {$value}", false);
        }
        echo $this->body;
    }
}
