<?php

declare(strict_types=1);

namespace MailOAuth;

/**
 * The component trapped, ran out of fuel or memory, or a host import failed
 * inside PHP: a bug or a runaway, never an answer. Nothing of the call is kept.
 */
final class CallTrapped extends \RuntimeException
{
}
