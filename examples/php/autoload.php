<?php

// PSR-4 autoloading of MailOAuth\ from src/, for use without Composer
// (composer.json declares the same mapping).
spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'MailOAuth\\')) {
        $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen('MailOAuth\\'))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
