<?php

declare(strict_types=1);

namespace MailOAuth\Admin;

/** One session's data, changed in place and saved by Sessions::save(). */
final class Session
{
    /** @param array<string, mixed> $data */
    public function __construct(public readonly string $id, public array $data, public readonly bool $isNew)
    {
    }

    public function csrf(): string
    {
        return (string) $this->data['csrf'];
    }

    public function csrfMatches(string $given): bool
    {
        return $given !== '' && hash_equals($this->csrf(), $given);
    }

    /** @param list<array{string, string, int, string}> $report rows: protocol, step, millis, detail */
    public function flash(string $kind, string $text, array $report = []): void
    {
        $this->data['flash'] = ['kind' => $kind, 'text' => $text, 'report' => $report];
    }

    /** @return ?array{kind: string, text: string, report: list<array{string, string, int, string}>} */
    public function takeFlash(): ?array
    {
        $flash = $this->data['flash'] ?? null;
        unset($this->data['flash']);
        return $flash;
    }
}
