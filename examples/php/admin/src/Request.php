<?php

declare(strict_types=1);

namespace MailOAuth\Admin;

/** One HTTP request as the router sees it (built from PHP's globals, or by a test). */
final class Request
{
    /**
     * @param array<string, string> $post the form fields
     * @param array<string, string> $cookies
     */
    public function __construct(
        public readonly string $method,
        public readonly string $path,
        public readonly string $query = '',
        public readonly array $post = [],
        public readonly array $cookies = [],
    ) {
    }

    public static function fromGlobals(): self
    {
        $uri = (string) ($_SERVER['REQUEST_URI'] ?? '/');
        $strings = static fn (array $values): array => array_filter($values, 'is_string');
        return new self(
            strtoupper((string) ($_SERVER['REQUEST_METHOD'] ?? 'GET')),
            (string) parse_url($uri, PHP_URL_PATH),
            (string) ($_SERVER['QUERY_STRING'] ?? ''),
            $strings($_POST),
            $strings($_COOKIE),
        );
    }

    public function field(string $name): string
    {
        return trim($this->post[$name] ?? '');
    }
}
