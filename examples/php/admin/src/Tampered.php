<?php

declare(strict_types=1);

namespace MailOAuth\Admin;

/**
 * A stored value failed its authentication tag: altered on disk, or
 * written under another key. Nothing is removed; the message names the
 * value, never its content.
 */
final class Tampered extends \RuntimeException
{
    public function __construct(public readonly string $what)
    {
        parent::__construct("The stored {$what} could not be decrypted: the data file was altered, or the key "
            . '(MAIL_OAUTH_ADMIN_KEY or DATA_DIR/key) is not the one it was written with. Nothing was removed.');
    }
}
