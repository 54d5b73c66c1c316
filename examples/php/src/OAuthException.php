<?php

declare(strict_types=1);

namespace MailOAuth;

/** `oauth-error`: branch on `->tag` (`reauthorize-required`, `temporary-failure`, ...). */
final class OAuthException extends PluginException
{
}
