<?php

declare(strict_types=1);

namespace MailOAuth;

/**
 * Drops the arguments from an exception's stack trace when it is made: the
 * kit's callers pass token sets and client secrets as arguments, and with
 * `zend.exception_ignore_args=Off` (php.ini-development) they would appear
 * in getTraceAsString(), var_export() and error logs.
 */
trait NoTraceArgs
{
    private function dropTraceArgs(): void
    {
        $property = new \ReflectionProperty(\Exception::class, 'trace');
        $property->setValue($this, array_map(static function (array $frame): array {
            unset($frame['args']);
            return $frame;
        }, $property->getValue($this)));
    }
}
