<?php

// Autoloading for the admin app: MailOAuth\Admin\ from src/, the kit's
// MailOAuth\ from examples/php/src/ (the kit's own autoload.php).

declare(strict_types=1);

require_once dirname(__DIR__) . '/autoload.php';

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'MailOAuth\\Admin\\')) {
        $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen('MailOAuth\\Admin\\'))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
