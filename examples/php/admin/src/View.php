<?php

declare(strict_types=1);

namespace MailOAuth\Admin;

/** The HTML: views/page.php and views/problem.php, every value through h(). */
final class View
{
    public static function h(string|int|null $text): string
    {
        return htmlspecialchars((string) $text, ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML5, 'UTF-8');
    }

    /**
     * @param array<string, mixed> $settings
     * @param list<array{address: string, state: string}> $mailboxes
     * @param ?array{kind: string, text: string, report: list<array{string, string, int, string}>} $flash
     * @param ?string $retryFor the mailbox whose code exchange Try again re-runs, when one is kept
     */
    public static function page(Config $config, array $settings, array $mailboxes, string $csrf, ?array $flash, ?string $retryFor = null): string
    {
        return self::render('page', [
            'callbackUrl' => $config->callbackUrl(),
            'settings' => $settings,
            'mailboxes' => $mailboxes,
            'csrf' => $csrf,
            'flash' => $flash ?? ($retryFor === null ? null : ['kind' => 'error', 'report' => [],
                'text' => "The code exchange for {$retryFor} is kept: Try again once the provider can be reached."]),
            'retryFor' => $retryFor,
        ]);
    }

    public static function problem(string $text): string
    {
        return self::render('problem', ['text' => $text]);
    }

    /** @param array<string, mixed> $vars */
    private static function render(string $view, array $vars): string
    {
        extract($vars);
        ob_start();
        try {
            require dirname(__DIR__) . "/views/{$view}.php";
        } finally {
            $html = (string) ob_get_clean();
        }
        return $html;
    }
}
