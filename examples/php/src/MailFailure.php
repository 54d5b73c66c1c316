<?php

declare(strict_types=1);

namespace MailOAuth;

/**
 * `mail-failure`: `->tag`/`value()` of its `mail-error`, and `->refreshed`,
 * the token set refreshed during the call (store it even though the call
 * failed), or null. `oauthTag()` is the nested oauth-error's case for
 * `oauth(...)`.
 */
final class MailFailure extends PluginException
{
    public readonly ?Record $refreshed;

    /** @param array{tag: string, val?: mixed} $error */
    public function __construct(array $error, ?Record $refreshed)
    {
        parent::__construct($error['tag'], $error['val'] ?? null);
        $this->refreshed = $refreshed;
    }

    public function oauthTag(): ?string
    {
        $value = $this->value();
        return $this->tag === 'oauth' && is_array($value) ? ($value['tag'] ?? null) : null;
    }
}
