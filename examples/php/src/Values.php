<?php

declare(strict_types=1);

namespace MailOAuth;

use FFI;
use FFI\CData;

/**
 * PHP values <-> wasmtime_component_val_t, driven by the WIT types of
 * src/wit-types.json (the `--describe` output of the conformance runner).
 *
 * PHP side: bool, int, float, string; `char` a one-character string;
 * `list<u8>` a binary string (an array of 0..255 accepted on input);
 * `list`/`tuple` a list; `record` an array keyed by the WIT kebab-case
 * names (snake_case keys accepted on input; a missing `option` field is
 * `none`), returned as a Record; `variant` ['tag' => 'case', 'val' => ...]
 * ('val' absent for a case without payload); `enum` the case name;
 * `option` null or the value; `result` ['ok' => ...] / ['err' => ...];
 * `flags` a list of names. With $json, lift returns FORMAT.md's JSON
 * shapes instead (records as arrays, list<u8> as arrays of numbers).
 */
final class Values
{
    public const BOOL = 0, S8 = 1, U8 = 2, S16 = 3, U16 = 4, S32 = 5, U32 = 6, S64 = 7, U64 = 8,
        F32 = 9, F64 = 10, CHAR = 11, STRING = 12, LIST = 13, RECORD = 14, TUPLE = 15, VARIANT = 16,
        ENUM = 17, OPTION = 18, RESULT = 19, FLAGS = 20, RESOURCE = 21;

    private const INTS = [
        'u8' => [self::U8, 0, 255], 's8' => [self::S8, -128, 127], 'u16' => [self::U16, 0, 65535],
        's16' => [self::S16, -32768, 32767], 'u32' => [self::U32, 0, 4294967295],
        's32' => [self::S32, -2147483648, 2147483647], 'u64' => [self::U64, 0, PHP_INT_MAX],
        's64' => [self::S64, PHP_INT_MIN, PHP_INT_MAX],
    ];

    public function __construct(private readonly FFI $ffi)
    {
    }

    private static function kebab(string $name): string
    {
        return str_replace('_', '-', $name);
    }

    // ---------------------------------------------------------------- checking

    /**
     * The value in canonical form for write(); throws InvalidArgument
     * naming the path (never the value: it may be a secret).
     */
    public static function normalize(mixed $type, mixed $value, string $path = 'value'): mixed
    {
        if (is_string($type)) {
            if (isset(self::INTS[$type])) {
                [, $min, $max] = self::INTS[$type];
                if (!is_int($value) || $value < $min || $value > $max) {
                    throw new InvalidArgument("{$path}: expected a {$type}");
                }
                return $value;
            }
            switch ($type) {
                case 'bool':
                    if (!is_bool($value)) {
                        throw new InvalidArgument("{$path}: expected a bool");
                    }
                    return $value;
                case 'string':
                    if (!is_string($value) || preg_match('//u', $value) !== 1) {
                        throw new InvalidArgument("{$path}: expected a UTF-8 string");
                    }
                    return $value;
                case 'char':
                    if (!is_string($value) || preg_match('/^.$/su', $value) !== 1) {
                        throw new InvalidArgument("{$path}: expected one character");
                    }
                    return $value;
                case 'f32':
                case 'f64':
                    if (!is_int($value) && !is_float($value)) {
                        throw new InvalidArgument("{$path}: expected a number");
                    }
                    return (float) $value;
            }
            throw new InvalidArgument("{$path}: unsupported type {$type}");
        }
        $kind = array_key_first($type);
        $spec = $type[$kind];
        switch ($kind) {
            case 'list':
                if ($spec === 'u8') {
                    if (is_string($value)) {
                        return $value;
                    }
                    if (is_array($value) && array_is_list($value)) {
                        foreach ($value as $i => $byte) {
                            if (!is_int($byte) || $byte < 0 || $byte > 255) {
                                throw new InvalidArgument("{$path}[{$i}]: expected a u8");
                            }
                        }
                        return $value === [] ? '' : pack('C*', ...$value);
                    }
                    throw new InvalidArgument("{$path}: expected bytes (a string)");
                }
                if (!is_array($value) || !array_is_list($value)) {
                    throw new InvalidArgument("{$path}: expected a list");
                }
                $out = [];
                foreach ($value as $i => $item) {
                    $out[] = self::normalize($spec, $item, "{$path}[{$i}]");
                }
                return $out;
            case 'tuple':
                if (!is_array($value) || !array_is_list($value) || count($value) !== count($spec)) {
                    throw new InvalidArgument("{$path}: expected a tuple of " . count($spec));
                }
                $out = [];
                foreach ($spec as $i => $itemType) {
                    $out[] = self::normalize($itemType, $value[$i], "{$path}[{$i}]");
                }
                return $out;
            case 'record':
                if ($value instanceof Record) {
                    $value = $value->toArray();
                }
                if (!is_array($value) || ($value !== [] && array_is_list($value))) {
                    throw new InvalidArgument("{$path}: expected a record (an array keyed by field names)");
                }
                $given = [];
                foreach ($value as $key => $item) {
                    $given[self::kebab((string) $key)] = $item;
                }
                $out = [];
                foreach ($spec as [$name, $fieldType]) {
                    if (array_key_exists($name, $given)) {
                        $out[$name] = self::normalize($fieldType, $given[$name], "{$path}.{$name}");
                        unset($given[$name]);
                    } elseif (is_array($fieldType) && array_key_first($fieldType) === 'option') {
                        $out[$name] = null;
                    } else {
                        throw new InvalidArgument("{$path}: no field {$name}");
                    }
                }
                if ($given !== []) {
                    throw new InvalidArgument("{$path}: unknown field " . array_key_first($given));
                }
                return $out;
            case 'variant':
                if (!is_array($value) || !isset($value['tag']) || !is_string($value['tag'])
                    || array_diff(array_keys($value), ['tag', 'val']) !== []) {
                    throw new InvalidArgument("{$path}: expected ['tag' => case, 'val' => payload]");
                }
                $tag = self::kebab($value['tag']);
                foreach ($spec as [$case, $payload]) {
                    if ($case === $tag) {
                        if ($payload === null) {
                            if (array_key_exists('val', $value) && $value['val'] !== null) {
                                throw new InvalidArgument("{$path}: case {$case} has no payload");
                            }
                            return ['tag' => $case];
                        }
                        if (!array_key_exists('val', $value)) {
                            throw new InvalidArgument("{$path}: case {$case} needs a payload");
                        }
                        return ['tag' => $case, 'val' => self::normalize($payload, $value['val'], "{$path}.{$case}")];
                    }
                }
                throw new InvalidArgument("{$path}: no case {$tag}");
            case 'enum':
                if (!is_string($value) || !in_array(self::kebab($value), $spec, true)) {
                    throw new InvalidArgument("{$path}: expected one of " . implode(', ', $spec));
                }
                return self::kebab($value);
            case 'option':
                return $value === null ? null : [self::normalize($spec, $value, $path)];
            case 'result':
                if (!is_array($value) || count($value) !== 1 || !(array_key_exists('ok', $value) || array_key_exists('err', $value))) {
                    throw new InvalidArgument("{$path}: expected ['ok' => ...] or ['err' => ...]");
                }
                $ok = array_key_exists('ok', $value);
                $inner = $spec[$ok ? 0 : 1];
                $payload = $value[$ok ? 'ok' : 'err'];
                if ($inner === null) {
                    if ($payload !== null) {
                        throw new InvalidArgument("{$path}: no payload expected");
                    }
                    return [$ok, null];
                }
                return [$ok, self::normalize($inner, $payload, $path . ($ok ? '.ok' : '.err'))];
            case 'flags':
                if (!is_array($value) || !array_is_list($value)) {
                    throw new InvalidArgument("{$path}: expected a list of flag names");
                }
                $out = [];
                foreach ($value as $flag) {
                    if (!is_string($flag) || !in_array(self::kebab($flag), $spec, true)) {
                        throw new InvalidArgument("{$path}: no flag of that name");
                    }
                    $out[] = self::kebab($flag);
                }
                return array_values(array_unique($out));
            case 'opaque':
                if (!is_int($value)) {
                    throw new InvalidArgument("{$path}: expected a resource handle");
                }
                return $value;
        }
        throw new InvalidArgument("{$path}: unsupported type {$kind}");
    }

    // ---------------------------------------------------------------- writing

    private function name(CData $dst, string $text): void
    {
        $this->ffi->wasm_byte_vec_new(FFI::addr($dst), strlen($text), $text);
    }

    /** A heap value (wasmtime_component_val_new) holding $value. */
    private function boxed(mixed $type, mixed $value, ?CData $ctx): CData
    {
        $tmp = $this->ffi->new('wasmtime_component_val_t');
        $this->write($tmp, $type, $value, $ctx);
        return $this->ffi->wasmtime_component_val_new(FFI::addr($tmp));
    }

    /**
     * Writes a normalized value into $dst (a wasmtime_component_val_t) with
     * the C API's allocators, so that wasmtime_component_val_delete (or
     * wasmtime, for an import's results) frees it. $ctx: for resources.
     */
    public function write(CData $dst, mixed $type, mixed $value, ?CData $ctx = null): void
    {
        if (is_string($type)) {
            if (isset(self::INTS[$type])) {
                $dst->kind = self::INTS[$type][0];
                $dst->of->{$type} = $value;
                return;
            }
            switch ($type) {
                case 'bool':
                    $dst->kind = self::BOOL;
                    $dst->of->boolean = $value;
                    return;
                case 'string':
                    $dst->kind = self::STRING;
                    $this->name($dst->of->string, $value);
                    return;
                case 'char':
                    $dst->kind = self::CHAR;
                    $dst->of->character = self::ord($value);
                    return;
                case 'f32':
                    $dst->kind = self::F32;
                    $dst->of->f32 = $value;
                    return;
                case 'f64':
                    $dst->kind = self::F64;
                    $dst->of->f64 = $value;
                    return;
            }
        }
        $kind = array_key_first($type);
        $spec = $type[$kind];
        switch ($kind) {
            case 'list':
                $dst->kind = self::LIST;
                if ($spec === 'u8') {
                    $this->writeBytes($dst, $value);
                    return;
                }
                $this->ffi->wasmtime_component_vallist_new_uninit(FFI::addr($dst->of->list), count($value));
                $data = $dst->of->list->data;
                foreach ($value as $i => $item) {
                    $this->write($data[$i], $spec, $item, $ctx);
                }
                return;
            case 'tuple':
                $dst->kind = self::TUPLE;
                $this->ffi->wasmtime_component_valtuple_new_uninit(FFI::addr($dst->of->tuple), count($value));
                $data = $dst->of->tuple->data;
                foreach ($spec as $i => $itemType) {
                    $this->write($data[$i], $itemType, $value[$i], $ctx);
                }
                return;
            case 'record':
                $dst->kind = self::RECORD;
                $this->ffi->wasmtime_component_valrecord_new_uninit(FFI::addr($dst->of->record), count($spec));
                $data = $dst->of->record->data;
                foreach ($spec as $i => [$name, $fieldType]) {
                    $entry = $data[$i];
                    $this->name($entry->name, $name);
                    $this->write($entry->val, $fieldType, $value[$name], $ctx);
                }
                return;
            case 'variant':
                $dst->kind = self::VARIANT;
                $this->name($dst->of->variant->discriminant, $value['tag']);
                $payload = null;
                foreach ($spec as [$case, $caseType]) {
                    if ($case === $value['tag']) {
                        $payload = $caseType;
                    }
                }
                $dst->of->variant->val = $payload === null ? null : $this->boxed($payload, $value['val'], $ctx);
                return;
            case 'enum':
                $dst->kind = self::ENUM;
                $this->name($dst->of->enumeration, $value);
                return;
            case 'option':
                $dst->kind = self::OPTION;
                $dst->of->option = $value === null ? null : $this->boxed($spec, $value[0], $ctx);
                return;
            case 'result':
                [$ok, $payload] = $value;
                $dst->kind = self::RESULT;
                $dst->of->result->is_ok = $ok;
                $inner = $spec[$ok ? 0 : 1];
                $dst->of->result->val = $inner === null ? null : $this->boxed($inner, $payload, $ctx);
                return;
            case 'flags':
                $dst->kind = self::FLAGS;
                $this->ffi->wasmtime_component_valflags_new_uninit(FFI::addr($dst->of->flags), count($value));
                $data = $dst->of->flags->data;
                foreach ($value as $i => $flag) {
                    $this->name($data[$i], $flag);
                }
                return;
            case 'opaque':
                // an owned host resource of type CONNECTION, rep $value
                $ffi = $this->ffi;
                $host = $ffi->wasmtime_component_resource_host_new(true, $value, Plugin::CONNECTION_TYPE);
                $any = $ffi->new('wasmtime_component_resource_any_t*');
                $error = $ffi->wasmtime_component_resource_host_to_any($ctx, $host, FFI::addr($any));
                $ffi->wasmtime_component_resource_host_delete($host);
                if ($error !== null) {
                    throw new \RuntimeException('resource: ' . Native::takeError($ffi, $error));
                }
                $dst->kind = self::RESOURCE;
                $dst->of->resource = $any;
                return;
        }
    }

    /** list<u8>: one 32-byte value per byte, kind U8, the byte at offset 8. */
    private function writeBytes(CData $dst, string $bytes): void
    {
        $n = strlen($bytes);
        $this->ffi->wasmtime_component_vallist_new_uninit(FFI::addr($dst->of->list), $n);
        if ($n === 0) {
            return;
        }
        static $table = null;
        if ($table === null) {
            for ($b = 0; $b < 256; $b++) {
                $table[chr($b)] = "\x02" . str_repeat("\0", 7) . chr($b) . str_repeat("\0", 23);
            }
        }
        $blob = strtr($bytes, $table); // one pass in C
        FFI::memcpy($dst->of->list->data, $blob, $n * 32);
    }

    // ---------------------------------------------------------------- reading

    private static function text(CData $name): string
    {
        return $name->size > 0 ? FFI::string($name->data, $name->size) : '';
    }

    /**
     * The PHP value of $src (a wasmtime_component_val_t) of WIT type $type.
     * Resources come back as the wasmtime_component_resource_any_t pointer.
     */
    public function lift(CData $src, mixed $type, bool $json = false): mixed
    {
        $kind = $src->kind;
        switch ($kind) {
            case self::BOOL:
                return $src->of->boolean;
            case self::S8:
                return $src->of->s8;
            case self::U8:
                return $src->of->u8;
            case self::S16:
                return $src->of->s16;
            case self::U16:
                return $src->of->u16;
            case self::S32:
                return $src->of->s32;
            case self::U32:
                return $src->of->u32;
            case self::S64:
                return $src->of->s64;
            case self::U64:
                return $src->of->u64;
            case self::F32:
                return $src->of->f32;
            case self::F64:
                return $src->of->f64;
            case self::CHAR:
                return self::chr($src->of->character);
            case self::STRING:
                return self::text($src->of->string);
            case self::ENUM:
                return self::text($src->of->enumeration);
            case self::RESOURCE:
                return $src->of->resource;
        }
        $spec = is_array($type) ? $type[array_key_first($type)] : null;
        switch ($kind) {
            case self::LIST:
                $list = $src->of->list;
                $n = $list->size;
                if ($spec === 'u8') {
                    $bytes = $n === 0 ? '' : self::bytes(FFI::string($list->data, $n * 32), $n);
                    return $json ? ($bytes === '' ? [] : array_values(unpack('C*', $bytes))) : $bytes;
                }
                $out = [];
                for ($i = 0; $i < $n; $i++) {
                    $out[] = $this->lift($list->data[$i], $spec, $json);
                }
                return $out;
            case self::TUPLE:
                $tuple = $src->of->tuple;
                $out = [];
                for ($i = 0; $i < $tuple->size; $i++) {
                    $out[] = $this->lift($tuple->data[$i], $spec[$i] ?? null, $json);
                }
                return $out;
            case self::RECORD:
                $record = $src->of->record;
                $types = [];
                foreach ($spec ?? [] as [$name, $fieldType]) {
                    $types[$name] = $fieldType;
                }
                $out = [];
                for ($i = 0; $i < $record->size; $i++) {
                    $entry = $record->data[$i];
                    $name = self::text($entry->name);
                    $out[$name] = $this->lift($entry->val, $types[$name] ?? null, $json);
                }
                return $json ? $out : new Record($out);
            case self::VARIANT:
                $variant = $src->of->variant;
                $tag = self::text($variant->discriminant);
                if ($variant->val === null) {
                    return ['tag' => $tag];
                }
                $caseType = null;
                foreach ($spec ?? [] as [$case, $payload]) {
                    if ($case === $tag) {
                        $caseType = $payload;
                    }
                }
                return ['tag' => $tag, 'val' => $this->lift($variant->val[0], $caseType, $json)];
            case self::OPTION:
                $option = $src->of->option;
                return $option === null ? null : $this->lift($option[0], $spec, $json);
            case self::RESULT:
                $result = $src->of->result;
                $ok = $result->is_ok;
                $inner = $result->val === null ? null : $this->lift($result->val[0], $spec[$ok ? 0 : 1] ?? null, $json);
                return [$ok ? 'ok' : 'err' => $inner];
            case self::FLAGS:
                $flags = $src->of->flags;
                $out = [];
                for ($i = 0; $i < $flags->size; $i++) {
                    $out[] = self::text($flags->data[$i]);
                }
                return $out;
        }
        throw new \RuntimeException("unsupported value kind {$kind}");
    }

    /** The code point of one UTF-8 character (mbstring is not assumed). */
    private static function ord(string $char): int
    {
        $units = unpack('N', (string) iconv('UTF-8', 'UTF-32BE', $char));
        return $units[1];
    }

    private static function chr(int $codePoint): string
    {
        return (string) iconv('UTF-32BE', 'UTF-8', pack('N', $codePoint));
    }

    /** The byte at offset 8 of each 32-byte value. */
    private static function bytes(string $raw, int $n): string
    {
        $out = '';
        for ($i = 0, $at = 8; $i < $n; $i++, $at += 32) {
            $out .= $raw[$at];
        }
        return $out;
    }
}
