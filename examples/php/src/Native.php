<?php

declare(strict_types=1);

namespace MailOAuth;

use FFI;

/**
 * The wasmtime C library through PHP's FFI: the preloaded scope when a
 * php-fpm deployment preloads it (README, "FFI in php-fpm"), else
 * FFI::cdef of src/wasmtime.h and the shared library built by
 * `cargo build --release -p mail-oauth-wasmtime-capi --features capi`.
 */
final class Native
{
    public const SCOPE = 'MAIL_OAUTH_WASMTIME';
    public const LIB = 'libmail_oauth_wasmtime_capi.so';

    private static ?FFI $ffi = null;

    /**
     * The library path: $MAIL_OAUTH_WASMTIME_LIB, else the workspace's
     * release build (in $CARGO_TARGET_DIR when set).
     */
    public static function libraryPath(): string
    {
        $env = getenv('MAIL_OAUTH_WASMTIME_LIB');
        if (is_string($env) && $env !== '') {
            return $env;
        }
        $root = dirname(__DIR__, 3);
        $target = getenv('CARGO_TARGET_DIR');
        $target = is_string($target) && $target !== '' ? $target : 'target';
        return ($target[0] === '/' ? $target : "{$root}/{$target}") . '/release/' . self::LIB;
    }

    /** The declarations, without the FFI_SCOPE/FFI_LIB lines only FFI::load reads. */
    public static function header(): string
    {
        $text = (string) file_get_contents(__DIR__ . '/wasmtime.h');
        return (string) preg_replace('/^#define FFI_.*$/m', '', $text);
    }

    public static function ffi(?string $library = null): FFI
    {
        if (self::$ffi !== null) {
            return self::$ffi;
        }
        if ($library === null && ini_get('ffi.enable') !== '1') {
            // ffi.enable=preload: only what opcache.preload loaded is usable.
            try {
                return self::$ffi = FFI::scope(self::SCOPE);
            } catch (\Throwable) {
                // not preloaded: fall through; FFI::cdef works on the CLI
            }
        }
        $library ??= self::libraryPath();
        if (!is_file($library)) {
            throw new \RuntimeException("the wasmtime C library is not at {$library}: build it with "
                . '`cargo build --release -p mail-oauth-wasmtime-capi --features capi` (examples/php/setup.sh) or set MAIL_OAUTH_WASMTIME_LIB');
        }
        $ffi = FFI::cdef(self::header(), $library);
        if (FFI::sizeof($ffi->type('wasmtime_component_val_t')) !== 32) {
            throw new \RuntimeException('wasmtime_component_val_t is not 32 bytes: the header does not match the library');
        }
        return self::$ffi = $ffi;
    }

    /** The text of a wasmtime_error_t, which is deleted. */
    public static function takeError(FFI $ffi, FFI\CData $error): string
    {
        $name = $ffi->new('wasm_name_t');
        $ffi->wasmtime_error_message($error, FFI::addr($name));
        $text = $name->size > 0 ? FFI::string($name->data, $name->size) : '';
        $ffi->wasm_byte_vec_delete(FFI::addr($name));
        $ffi->wasmtime_error_delete($error);
        return $text;
    }
}
