<?php

/**
 * Writes the kit's C declarations for `ffi.preload` with the library's
 * absolute path in FFI_LIB (README, "FFI in php-fpm"):
 *
 *     php ffi-header.php [LIBRARY] > /etc/php/8.2/mail-oauth-wasmtime.h
 *
 * LIBRARY defaults to $MAIL_OAUTH_WASMTIME_LIB, else the workspace's
 * target/release/libmail_oauth_wasmtime_capi.so.
 */

declare(strict_types=1);

require __DIR__ . '/autoload.php';

$library = $argv[1] ?? MailOAuth\Native::libraryPath();
$real = realpath($library);
if ($real === false) {
    fwrite(STDERR, "ffi-header.php: no library at {$library}\n");
    exit(2);
}
$header = (string) file_get_contents(__DIR__ . '/src/wasmtime.h');
echo preg_replace('/^#define FFI_LIB .*$/m', '#define FFI_LIB "' . addslashes($real) . '"', $header, 1);
