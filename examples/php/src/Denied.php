<?php

declare(strict_types=1);

namespace MailOAuth;

/** The egress policy refuses a target; the message names it, never a secret. */
final class Denied extends \RuntimeException
{
}
