<?php

declare(strict_types=1);

namespace MailOAuth;

/**
 * The component trapped, ran out of fuel or memory, or a host import failed
 * inside PHP: a bug or a runaway, never an answer. Nothing of the call is kept.
 */
final class CallTrapped extends \RuntimeException
{
    use NoTraceArgs;

    public function __construct(string $message, int $code = 0, ?\Throwable $previous = null)
    {
        parent::__construct($message, $code, $previous);
        $this->dropTraceArgs();
    }
}
