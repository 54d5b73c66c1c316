<?php

declare(strict_types=1);

namespace MailOAuth;

/** `sasl-error` (only `invalid-input`). */
final class SaslException extends PluginException
{
}
