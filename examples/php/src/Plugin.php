<?php

declare(strict_types=1);

namespace MailOAuth;

use FFI;
use FFI\CData;

/**
 * The component, compiled once; every call gets a fresh store and instance
 * (nothing of one tenant's call survives into the next), the `http` and
 * `transport` imports under a Policy, and Limits (memory, fuel, timeouts,
 * sizes, connections).
 *
 *     $kit = new Plugin('mail_oauth_guest.wasm', new Policy(['https://login.example.com']));
 *     $pending = $kit->oauth->begin_authorization($provider, $client, ['mail'], null, time());
 *     $kit->call('oauth.begin-authorization', $provider, $client, ['mail'], null, time());
 *
 * Values: see Values (records are arrays keyed by the WIT kebab-case
 * names, snake_case accepted on input; returned as Record). A function
 * returning a `result` returns its `ok` value or throws OAuthException,
 * SaslException or MailFailure; a trap throws CallTrapped; arguments that
 * do not fit the WIT types throw \InvalidArgumentException.
 *
 * @property-read Iface $oauth
 * @property-read Iface $sasl
 * @property-read Iface $mail
 */
final class Plugin
{
    public const PACKAGE = 'mail-oauth:plugin';
    public const VERSION = '0.2.0';
    public const CONNECTION_TYPE = 1;
    private const EXPORTS = ['oauth', 'sasl', 'mail'];

    /** The sha256 (hex) of the loaded .wasm. */
    public readonly string $sha256;
    public readonly Policy $policy;
    public readonly Limits $limits;

    private FFI $ffi;
    private Values $values;
    private CData $engine;
    private CData $component;
    private CData $linker;
    /** @var array<string, array{params: list<array{string, mixed}>, result: mixed, direction: string}> */
    private array $types;
    /** @var array<string, CData> export name => export index */
    private array $exports = [];
    /** @var list<\Closure> kept alive as long as the linker */
    private array $callbacks = [];
    /** @var ?callable(array): array */
    private $httpSend;
    private ?TransportHost $transport = null;
    private ?\Throwable $importFailure = null;

    /**
     * @param string $wasmPath the component (tests/build-component.sh builds it)
     * @param ?string $sha256 when given, the .wasm must have this digest
     * @param ?callable(array): array $httpSend replaces the `http` import
     *        (the conformance runner's scripted answers); default: HttpHost
     * @param ?string $cacheDir a private directory (mode 0700, owned by
     *        this user) for the compiled component, so that a new PHP
     *        process (a php-fpm request) deserializes instead of compiling
     */
    public function __construct(
        string $wasmPath,
        ?Policy $policy = null,
        ?string $sha256 = null,
        ?Limits $limits = null,
        ?callable $httpSend = null,
        ?string $cacheDir = null,
        ?string $library = null,
    ) {
        $bytes = @file_get_contents($wasmPath);
        if ($bytes === false) {
            throw new \RuntimeException("cannot read the component at {$wasmPath}");
        }
        $this->sha256 = hash('sha256', $bytes);
        if ($sha256 !== null && !hash_equals(strtolower($sha256), $this->sha256)) {
            throw new \RuntimeException("the component's sha256 is {$this->sha256}, not the expected {$sha256}");
        }
        $this->policy = $policy ?? new Policy();
        $this->limits = $limits ?? new Limits();
        $types = json_decode((string) file_get_contents(__DIR__ . '/wit-types.json'), true, 512, JSON_THROW_ON_ERROR);
        $this->types = $types;
        $this->ffi = $ffi = Native::ffi($library);
        $this->values = new Values($ffi);
        $http = new HttpHost($this->policy, $this->limits);
        $this->httpSend = $httpSend ?? $http->send(...);

        $this->engine = $ffi->wasm_engine_new_with_config($this->config());
        $this->component = $this->compile($bytes, $cacheDir);
        $this->linker = $ffi->wasmtime_component_linker_new($this->engine);
        $this->check($ffi->wasmtime_component_linker_add_wasip2($this->linker), 'linking WASI');
        $this->defineImports();
        foreach (self::EXPORTS as $interface) {
            $instance = $this->exportIndex(null, $this->interfaceName($interface));
            foreach ($this->types as $name => $type) {
                if ($type['direction'] === 'export' && str_starts_with($name, "{$interface}.")) {
                    $this->exports[$name] = $this->exportIndex($instance, substr($name, strlen($interface) + 1));
                }
            }
            $ffi->wasmtime_component_export_index_delete($instance);
        }
    }

    /**
     * Fuel (PHP has no thread to tick an epoch), and the pooling allocator
     * sized like the Rust host's (host-harness/runtime/src/engine.rs), for
     * the few instances a PHP process has alive at once: instantiation
     * takes a warm slot instead of mapping memory (instantiate + call +
     * drop about a third faster).
     */
    private function config(): CData
    {
        $ffi = $this->ffi;
        $limits = $this->limits;
        $config = $ffi->wasm_config_new();
        $ffi->wasmtime_config_consume_fuel_set($config, true);
        if ($limits->poolSlots > 0) {
            $n = $limits->poolSlots;
            $pool = $ffi->wasmtime_pooling_allocation_config_new();
            $ffi->wasmtime_pooling_allocation_config_total_component_instances_set($pool, $n);
            $ffi->wasmtime_pooling_allocation_config_total_core_instances_set($pool, $n * 8);
            $ffi->wasmtime_pooling_allocation_config_max_core_instances_per_component_set($pool, 8);
            $ffi->wasmtime_pooling_allocation_config_total_memories_set($pool, $n);
            $ffi->wasmtime_pooling_allocation_config_max_memories_per_component_set($pool, 1);
            $ffi->wasmtime_pooling_allocation_config_total_tables_set($pool, $n * 4);
            $ffi->wasmtime_pooling_allocation_config_max_tables_per_component_set($pool, 4);
            $ffi->wasmtime_pooling_allocation_config_table_elements_set($pool, 1000);
            $ffi->wasmtime_pooling_allocation_config_max_memory_size_set($pool, $limits->maxMemoryBytes);
            $ffi->wasmtime_pooling_allocation_config_linear_memory_keep_resident_set($pool, 256 << 10);
            $ffi->wasmtime_pooling_allocation_config_table_keep_resident_set($pool, 16 << 10);
            $ffi->wasmtime_pooling_allocation_config_max_unused_warm_slots_set($pool, 0);
            $ffi->wasmtime_pooling_allocation_strategy_set($config, $pool);
            $ffi->wasmtime_pooling_allocation_config_delete($pool);
            $ffi->wasmtime_config_memory_reservation_set($config, 4 << 30);
            $ffi->wasmtime_config_memory_reservation_for_growth_set($config, 0);
        }
        return $config;
    }

    public function __destruct()
    {
        $ffi = $this->ffi;
        foreach ($this->exports as $index) {
            $ffi->wasmtime_component_export_index_delete($index);
        }
        $this->exports = [];
        $ffi->wasmtime_component_linker_delete($this->linker);
        $ffi->wasmtime_component_delete($this->component);
        $ffi->wasm_engine_delete($this->engine);
    }

    /** @return array<string, mixed> */
    public function __debugInfo(): array
    {
        return ['sha256' => $this->sha256, 'exports' => array_keys($this->exports)];
    }

    public function __get(string $name): Iface
    {
        if (!in_array($name, self::EXPORTS, true)) {
            throw new \OutOfRangeException("no interface {$name}");
        }
        return new Iface($this, $name);
    }

    private function interfaceName(string $interface): string
    {
        return self::PACKAGE . "/{$interface}@" . self::VERSION;
    }

    private function exportIndex(?CData $instance, string $name): CData
    {
        $index = $this->ffi->wasmtime_component_get_export_index($this->component, $instance, $name, strlen($name));
        if ($index === null) {
            throw new \RuntimeException("the component exports no {$name}");
        }
        return $index;
    }

    private function check(?CData $error, string $what): void
    {
        if ($error !== null) {
            throw new \RuntimeException("{$what}: " . Native::takeError($this->ffi, $error));
        }
    }

    private function compile(string $bytes, ?string $cacheDir): CData
    {
        $ffi = $this->ffi;
        $out = $ffi->new('wasmtime_component_t*');
        $cache = null;
        if ($cacheDir !== null) {
            $stat = @stat($cacheDir);
            if ($stat === false || ($stat['mode'] & 0o077) !== 0 || (function_exists('posix_geteuid') && $stat['uid'] !== posix_geteuid())) {
                throw new \RuntimeException("the cache directory must exist, be owned by this user and have mode 0700: {$cacheDir}");
            }
            $lib = Native::libraryPath();
            $cache = $cacheDir . '/' . hash('sha256', $this->sha256 . '|' . (string) @filemtime($lib) . '|' . (string) @filesize($lib)) . '.cwasm';
            $compiled = @file_get_contents($cache);
            if ($compiled !== false) {
                $error = $ffi->wasmtime_component_deserialize($this->engine, $compiled, strlen($compiled), FFI::addr($out));
                if ($error === null) {
                    return $out;
                }
                Native::takeError($ffi, $error); // stale: compile again
            }
        }
        $this->check($ffi->wasmtime_component_new($this->engine, $bytes, strlen($bytes), FFI::addr($out)), 'compiling the component');
        if ($cache !== null) {
            $serialized = $ffi->new('wasm_byte_vec_t');
            if ($ffi->wasmtime_component_serialize($out, FFI::addr($serialized)) === null) {
                $tmp = $cache . '.' . getmypid();
                file_put_contents($tmp, FFI::string($serialized->data, $serialized->size));
                chmod($tmp, 0o600);
                rename($tmp, $cache);
                $ffi->wasm_byte_vec_delete(FFI::addr($serialized));
            }
        }
        return $out;
    }

    // ---------------------------------------------------------------- imports

    private function defineImports(): void
    {
        $ffi = $this->ffi;
        $root = $ffi->wasmtime_component_linker_root($this->linker);
        $http = $this->addInstance($root, $this->interfaceName('http'));
        $this->addFunc($http, 'send', 'http.send', function (array $args): mixed {
            $request = $args[0]->toArray();
            $answer = ($this->httpSend)($request);
            return isset($answer['tag']) ? ['err' => $answer] : ['ok' => $answer];
        });
        $ffi->wasmtime_component_linker_instance_delete($http);

        $transport = $this->addInstance($root, $this->interfaceName('transport'));
        $type = $ffi->wasmtime_component_resource_type_new_host(self::CONNECTION_TYPE);
        $destructor = function ($env, $ctx, $rep) {
            $this->transport?->drop((int) $rep);
            return null;
        };
        $this->callbacks[] = $destructor;
        $this->check($ffi->wasmtime_component_linker_instance_add_resource(
            $transport, 'connection', strlen('connection'), $type, $destructor, null, null), 'defining transport.connection');
        $ffi->wasmtime_component_resource_type_delete($type);
        $this->addFunc($transport, 'connect', 'transport.connect', function (array $args): mixed {
            $answer = $this->transport->connect($args[0], $args[1], $args[2]);
            return is_int($answer) ? ['ok' => $answer] : ['err' => $answer];
        });
        foreach (['read-line', 'read-exact', 'write', 'upgrade-tls'] as $method) {
            $name = "[method]connection.{$method}";
            $this->addFunc($transport, $name, "transport.{$name}", function (array $args) use ($method): mixed {
                $answer = $this->transport->call($args[0], $method, $args[1] ?? null);
                return is_array($answer) ? ['err' => $answer] : ['ok' => $answer];
            });
        }
        $ffi->wasmtime_component_linker_instance_delete($transport);
        $ffi->wasmtime_component_linker_instance_delete($root);
    }

    private function addInstance(CData $parent, string $name): CData
    {
        $out = $this->ffi->new('wasmtime_component_linker_instance_t*');
        $this->check($this->ffi->wasmtime_component_linker_instance_add_instance($parent, $name, strlen($name), FFI::addr($out)), "defining {$name}");
        return $out;
    }

    /** @param \Closure(list<mixed>): mixed $body the lifted arguments -> the PHP result */
    private function addFunc(CData $instance, string $name, string $typeName, \Closure $body): void
    {
        $type = $this->types[$typeName];
        $values = $this->values;
        $ffi = $this->ffi;
        $callback = function ($env, $ctx, $ty, $args, $nargs, $results, $nresults) use ($type, $values, $ffi, $body, $typeName) {
            try {
                $lifted = [];
                foreach ($type['params'] as $i => [, $paramType]) {
                    $value = $values->lift($args[$i], $paramType);
                    if ($paramType === ['opaque' => 'resource']) {
                        $value = $this->rep($ctx, $value);
                    }
                    $lifted[] = $value;
                }
                $answer = Values::normalize($type['result'], $body($lifted), $typeName);
                $values->write($results[0], $type['result'], $answer, $ctx);
                return null;
            } catch (\Throwable $failure) {
                $this->importFailure ??= $failure;
                return $ffi->wasmtime_error_new("the host's {$typeName} failed");
            }
        };
        $this->callbacks[] = $callback;
        $this->check($this->ffi->wasmtime_component_linker_instance_add_func($instance, $name, strlen($name), $callback, null, null), "defining {$typeName}");
    }

    private function rep(CData $ctx, CData $resource): int
    {
        $ffi = $this->ffi;
        $host = $ffi->new('wasmtime_component_resource_host_t*');
        $this->check($ffi->wasmtime_component_resource_any_to_host($ctx, $resource, FFI::addr($host)), 'a connection handle');
        try {
            if ($ffi->wasmtime_component_resource_host_type($host) !== self::CONNECTION_TYPE) {
                throw new \RuntimeException('not a connection');
            }
            return $ffi->wasmtime_component_resource_host_rep($host);
        } finally {
            $ffi->wasmtime_component_resource_host_delete($host);
        }
    }

    // ---------------------------------------------------------------- calls

    /** @return list<string> the exported functions, by WIT name (`oauth.begin-authorization`, ...) */
    public function functions(): array
    {
        return array_keys($this->exports);
    }

    /**
     * Calls an export by WIT name: its `ok` value, or the typed exception of
     * its `err` (functions without a `result` return their value).
     */
    public function call(string $function, mixed ...$args): mixed
    {
        $result = $this->callRaw($function, $args);
        $type = $this->types[$function]['result'];
        if (!is_array($type) || array_key_first($type) !== 'result') {
            return $result;
        }
        if (array_key_exists('ok', $result)) {
            return $result['ok'];
        }
        $error = $result['err'];
        $interface = strstr($function, '.', true);
        if ($interface === 'mail' && $error instanceof Record) {
            throw new MailFailure($error['error'], $error['refreshed']);
        }
        $exception = $interface === 'sasl' ? SaslException::class : OAuthException::class;
        throw new $exception($error['tag'], $error['val'] ?? null);
    }

    /**
     * Calls an export by WIT name with positional arguments; the result as
     * it is (`['ok' => ...]`/`['err' => ...]` for a result). $json: FORMAT.md
     * shapes (records as arrays, bytes as arrays of numbers).
     *
     * @param list<mixed> $args
     */
    public function callRaw(string $function, array $args, bool $json = false): mixed
    {
        $type = $this->types[$function] ?? null;
        if ($type === null || $type['direction'] !== 'export') {
            throw new InvalidArgument("the component exports no function {$function}");
        }
        $params = $type['params'];
        if (count($args) !== count($params)) {
            throw new InvalidArgument("{$function} takes " . count($params) . ' arguments, not ' . count($args));
        }
        $normalized = [];
        foreach ($params as $i => [$name, $paramType]) {
            $normalized[] = Values::normalize($paramType, $args[$i], $name);
        }
        $ffi = $this->ffi;
        $store = $ffi->wasmtime_store_new($this->engine, null, null);
        $this->transport = new TransportHost($this->policy, $this->limits);
        $this->importFailure = null;
        $cArgs = null;
        $n = count($params);
        try {
            $ctx = $ffi->wasmtime_store_context($store);
            $ffi->wasmtime_store_limiter($store, $this->limits->maxMemoryBytes, -1, -1, -1, -1);
            $this->check($ffi->wasmtime_context_set_fuel($ctx, $this->limits->fuel), 'fuel');
            $this->check($ffi->wasmtime_context_set_wasi($ctx, $ffi->wasi_config_new()), 'WASI');
            $instance = $ffi->new('wasmtime_component_instance_t');
            $error = $ffi->wasmtime_component_linker_instantiate($this->linker, $ctx, $this->component, FFI::addr($instance));
            if ($error !== null) {
                throw new CallTrapped("instantiating the component: " . Native::takeError($ffi, $error));
            }
            $func = $ffi->new('wasmtime_component_func_t');
            if (!$ffi->wasmtime_component_instance_get_func(FFI::addr($instance), $ctx, $this->exports[$function], FFI::addr($func))) {
                throw new CallTrapped("the instance has no {$function}");
            }
            if ($n > 0) {
                $cArgs = $ffi->new("wasmtime_component_val_t[{$n}]");
                foreach ($params as $i => [, $paramType]) {
                    $this->values->write($cArgs[$i], $paramType, $normalized[$i], $ctx);
                }
            }
            $results = $ffi->new('wasmtime_component_val_t[1]');
            $error = $ffi->wasmtime_component_func_call(FFI::addr($func), $ctx, $n > 0 ? FFI::addr($cArgs[0]) : null, $n, FFI::addr($results[0]), 1);
            if ($error !== null) {
                $why = Native::takeError($ffi, $error);
                $failure = $this->importFailure;
                throw new CallTrapped("{$function} trapped: " . ($failure !== null ? get_class($failure) . ' in a host import: ' . $failure->getMessage() : $why), 0, $failure);
            }
            try {
                $value = $this->values->lift($results[0], $type['result'], $json);
            } finally {
                $ffi->wasmtime_component_val_delete(FFI::addr($results[0]));
            }
            $this->check($ffi->wasmtime_component_func_post_return(FFI::addr($func), $ctx), 'post-return');
            return $value;
        } finally {
            if ($cArgs !== null) {
                for ($i = 0; $i < $n; $i++) {
                    $ffi->wasmtime_component_val_delete(FFI::addr($cArgs[$i]));
                }
            }
            $this->transport->closeAll();
            $this->transport = null;
            $ffi->wasmtime_store_delete($store);
        }
    }
}
