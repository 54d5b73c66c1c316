<?php

declare(strict_types=1);

namespace MailOAuth;

/**
 * A WIT error variant returned by the component: `->tag` is the case
 * (`reauthorize-required`, `temporary-failure`, `invalid-input`, ...), `->value`
 * its payload (plain data, see Values), null for a case without one. The
 * component never puts a secret in an error; the message shows the case and
 * its payload with secret fields redacted, and var_dump() shows no more.
 */
class PluginException extends \RuntimeException
{
    use NoTraceArgs;

    public function __construct(public readonly string $tag, private readonly mixed $payload = null)
    {
        parent::__construct(self::describe($tag, $payload));
        $this->dropTraceArgs();
    }

    public function value(): mixed
    {
        return $this->payload;
    }

    private static function describe(string $tag, mixed $payload): string
    {
        if ($payload === null) {
            return $tag;
        }
        if (is_string($payload)) {
            return "{$tag}: {$payload}";
        }
        return "{$tag}: " . json_encode(Record::redact($payload), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    }

    /** @return array<string, mixed> */
    public function __debugInfo(): array
    {
        return ['tag' => $this->tag, 'value' => Record::redact($this->payload), 'message' => $this->getMessage()];
    }
}
