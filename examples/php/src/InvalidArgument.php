<?php

declare(strict_types=1);

namespace MailOAuth;

/** Arguments that do not fit the WIT types; the message names the path, never a value. */
final class InvalidArgument extends \InvalidArgumentException
{
    use NoTraceArgs;

    public function __construct(string $message)
    {
        parent::__construct($message);
        $this->dropTraceArgs();
    }
}
