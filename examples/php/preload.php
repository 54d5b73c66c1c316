<?php

/**
 * opcache.preload script for php-fpm (README, "FFI in php-fpm"): compiles
 * the kit's classes once for every worker. The C declarations themselves
 * come from `ffi.preload` (a header written by ffi-header.php): FFI::load()
 * in an opcache.preload script does not work together with
 * opcache.preload_user, which an FPM master running as root needs.
 */

declare(strict_types=1);

foreach (glob(__DIR__ . '/src/*.php') as $class) {
    opcache_compile_file($class);
}
