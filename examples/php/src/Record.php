<?php

declare(strict_types=1);

namespace MailOAuth;

/**
 * A WIT record returned by the kit: read it like an array keyed by the WIT
 * (kebab-case) field names, `$tokens['access-token']`, or as a property by
 * the snake_case name, `$tokens->access_token`. json_encode() and toArray()
 * give every field (that is how a platform stores a token set); var_dump(),
 * print_r(), var_export() and serialize() never show a secret field: the
 * fields live outside the object's properties and __debugInfo redacts.
 *
 * @implements \ArrayAccess<string, mixed>
 * @implements \IteratorAggregate<string, mixed>
 */
final class Record implements \ArrayAccess, \IteratorAggregate, \Countable, \JsonSerializable
{
    /** Field (and variant case) names whose value is a secret, kebab-case. */
    public const SECRET_FIELDS = [
        'access-token', 'refresh-token', 'id-token', 'secret', 'client-secret', 'pkce-verifier',
        'device-code', 'state', 'nonce', 'token', 'password',
    ];
    public const REDACTED = '[redacted]';

    /** @var \WeakMap<object, array<string, mixed>>|null the fields, keyed by each record's box */
    private static ?\WeakMap $fields = null;
    /** An empty object the fields are keyed by (a clone shares it: records are read-only). */
    private readonly object $box;

    /** @param array<string, mixed> $fields kebab-case names */
    public function __construct(array $fields)
    {
        self::$fields ??= new \WeakMap();
        $this->box = new \stdClass();
        self::$fields[$this->box] = $fields;
    }

    /** @return array<string, mixed> every field, kebab-case, nested records as arrays too */
    public function toArray(): array
    {
        return self::plain(self::$fields[$this->box]);
    }

    private static function plain(mixed $value): mixed
    {
        if ($value instanceof Record) {
            return $value->toArray();
        }
        if (is_array($value)) {
            return array_map(self::plain(...), $value);
        }
        return $value;
    }

    private static function key(mixed $offset): string
    {
        return str_replace('_', '-', (string) $offset);
    }

    public function offsetExists(mixed $offset): bool
    {
        return array_key_exists(self::key($offset), self::$fields[$this->box]);
    }

    public function offsetGet(mixed $offset): mixed
    {
        $key = self::key($offset);
        if (!array_key_exists($key, self::$fields[$this->box])) {
            throw new \OutOfRangeException("no field {$key}");
        }
        return self::$fields[$this->box][$key];
    }

    public function offsetSet(mixed $offset, mixed $value): void
    {
        throw new \LogicException('a Record is read-only: build an array from toArray() to change it');
    }

    public function offsetUnset(mixed $offset): void
    {
        throw new \LogicException('a Record is read-only');
    }

    public function __get(string $name): mixed
    {
        return $this->offsetGet($name);
    }

    public function __isset(string $name): bool
    {
        return $this->offsetExists($name) && self::$fields[$this->box][self::key($name)] !== null;
    }

    public function getIterator(): \ArrayIterator
    {
        return new \ArrayIterator(self::$fields[$this->box]);
    }

    public function count(): int
    {
        return count(self::$fields[$this->box]);
    }

    public function jsonSerialize(): mixed
    {
        return self::$fields[$this->box];
    }

    /** @return array<string, mixed> */
    public function __debugInfo(): array
    {
        return self::redact(self::$fields[$this->box]);
    }

    /** @return array<string, mixed> */
    public function __serialize(): array
    {
        throw new \LogicException('a Record is not serialized (it may hold secrets): store json_encode($record)');
    }

    /** Secret fields replaced by [redacted], recursively (arrays and records). */
    public static function redact(mixed $value): mixed
    {
        if ($value instanceof Record) {
            return $value->__debugInfo();
        }
        if (!is_array($value)) {
            return $value;
        }
        $out = [];
        foreach ($value as $key => $item) {
            if (is_string($key) && in_array(self::key($key), self::SECRET_FIELDS, true) && $item !== null) {
                $out[$key] = self::REDACTED;
            } elseif (is_array($item) && isset($item['tag'], $item['val']) && is_string($item['tag'])
                && in_array(self::key($item['tag']), self::SECRET_FIELDS, true)) {
                $out[$key] = ['tag' => $item['tag'], 'val' => self::REDACTED];
            } else {
                $out[$key] = self::redact($item);
            }
        }
        return $out;
    }
}
