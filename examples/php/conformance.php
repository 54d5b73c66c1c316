<?php

/**
 * The PHP kit's conformance runner (../shared/conformance/FORMAT.md):
 *
 *     php conformance.php [--live] [--allow TARGET]... [--allow-loopback] [--ca-file PEM] \
 *         --component WASM VECTORS.json
 *
 * Feeds every vector through MailOAuth\Plugin by WIT name. Without --live,
 * `http` answers from the vector's script and `transport` is the kit's own
 * under a policy that allows nothing (every connection `denied`); with
 * --live, only live vectors run, through the kit's real curl HTTP and TLS
 * streams under a policy of exactly the --allow targets. One JSON line per
 * vector, then `N passed, M failed, K skipped`; exit 0 exactly when none
 * failed, 2 on a usage or load error.
 */

declare(strict_types=1);

require __DIR__ . '/autoload.php';

use MailOAuth\CallTrapped;
use MailOAuth\Plugin;
use MailOAuth\Policy;

/** stdClass trees (json_decode without assoc) as PHP arrays. */
function plain(mixed $value): mixed
{
    if ($value instanceof stdClass) {
        $value = get_object_vars($value);
    }
    return is_array($value) ? array_map('plain', $value) : $value;
}

function show(mixed $value): string
{
    return json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
}

/** null when $value matches $pattern (a json_decode'd stdClass tree), else where and why not. */
function mismatch(mixed $pattern, mixed $value, string $path = 'result'): ?string
{
    if ($pattern instanceof stdClass) {
        $keys = array_keys(get_object_vars($pattern));
        if ($keys === ['$any']) {
            return null;
        }
        if ($keys === ['$re']) {
            $re = $pattern->{'$re'};
            if (!is_string($value)) {
                return "{$path}: expected a string matching " . show($re);
            }
            $ok = @preg_match('#\A(?:' . str_replace('#', '\#', $re) . ')\z#su', $value);
            if ($ok === false) {
                return "{$path}: invalid pattern " . show($re);
            }
            return $ok === 1 ? null : "{$path}: does not match " . show($re);
        }
        if (!is_array($value) || ($value !== [] && array_is_list($value))) {
            return "{$path}: expected an object";
        }
        foreach (get_object_vars($pattern) as $key => $sub) {
            if (!array_key_exists($key, $value)) {
                return "{$path}: no key " . show((string) $key);
            }
            $why = mismatch($sub, $value[$key], "{$path}.{$key}");
            if ($why !== null) {
                return $why;
            }
        }
        return null;
    }
    if (is_array($pattern)) {
        if (!is_array($value) || !array_is_list($value) || count($value) !== count($pattern)) {
            return "{$path}: expected an array of " . count($pattern);
        }
        foreach ($pattern as $i => $sub) {
            $why = mismatch($sub, $value[$i], "{$path}[{$i}]");
            if ($why !== null) {
                return $why;
            }
        }
        return null;
    }
    $equal = (is_int($pattern) || is_float($pattern)) && (is_int($value) || is_float($value))
        ? $pattern == $value
        : $pattern === $value;
    return $equal ? null : "{$path}: expected " . show($pattern);
}

/** A vector's EXCHANGEs, answered in order, and what went wrong, if anything. */
final class Script
{
    private int $next = 0;
    public ?string $error = null;

    /** @param list<stdClass> $exchanges */
    public function __construct(private readonly array $exchanges)
    {
    }

    /** @param array{method: string, url: string, headers: list<mixed>, body: string} $request */
    public function send(array $request): array
    {
        $seen = [
            'method' => $request['method'],
            'url' => $request['url'],
            'headers' => array_map(fn ($h) => [strtolower($h['name']), $h['value']], $request['headers']),
            'body' => mb_scrub_utf8($request['body']),
        ];
        if ($this->next >= count($this->exchanges)) {
            $this->error ??= 'request ' . ($this->next + 1) . " ({$request['method']} {$request['url']}) is not in the script";
            return ['tag' => 'other', 'val' => 'not in the script'];
        }
        $exchange = $this->exchanges[$this->next++];
        $why = mismatch($exchange->request, $seen, 'http[' . ($this->next - 1) . '].request');
        if ($why !== null) {
            $this->error ??= $why;
            return ['tag' => 'other', 'val' => 'the request does not match the script'];
        }
        if (property_exists($exchange, 'error')) {
            return plain($exchange->error);
        }
        $response = $exchange->response;
        return [
            'status' => $response->status,
            'headers' => array_map(fn ($h) => ['name' => $h[0], 'value' => $h[1]], $response->headers ?? []),
            'body' => $response->body ?? '',
        ];
    }

    public function unfinished(): ?string
    {
        if ($this->error === null && $this->next < count($this->exchanges)) {
            return "the component sent {$this->next} of the script's " . count($this->exchanges) . ' requests';
        }
        return $this->error;
    }
}

/** Invalid UTF-8 replaced by U+FFFD (the script matches bodies as text). */
function mb_scrub_utf8(string $bytes): string
{
    if (preg_match('//u', $bytes) === 1) {
        return $bytes;
    }
    return (string) preg_replace_callback('/[\x80-\xff]+/', fn ($m) => preg_match('//u', $m[0]) === 1 ? $m[0] : "\u{FFFD}", $bytes);
}

function usage(): never
{
    fwrite(STDERR, "usage: conformance.sh php [--live] [--allow TARGET]... [--allow-loopback] [--ca-file PEM] --component WASM VECTORS.json\n");
    exit(2);
}

function main(array $argv): int
{
    $live = false;
    $allow = [];
    $loopback = false;
    $caFile = null;
    $component = null;
    $file = null;
    for ($i = 1; $i < count($argv); $i++) {
        $arg = $argv[$i];
        switch ($arg) {
            case '--live':
                $live = true;
                break;
            case '--allow-loopback':
                $loopback = true;
                break;
            case '--allow':
            case '--ca-file':
            case '--component':
                $value = $argv[++$i] ?? usage();
                if ($arg === '--allow') {
                    $allow[] = $value;
                } elseif ($arg === '--ca-file') {
                    $caFile = $value;
                } else {
                    $component = $value;
                }
                break;
            default:
                if (str_starts_with($arg, '--') || $file !== null) {
                    usage();
                }
                $file = $arg;
        }
    }
    if ($component === null || $file === null) {
        usage();
    }
    $script = null;
    try {
        $decoded = json_decode((string) @file_get_contents($file), false, 512, JSON_THROW_ON_ERROR);
        $vectors = $decoded->vectors ?? throw new RuntimeException("{$file}: no vectors");
        $policy = $live
            ? new Policy(
                array_values(array_filter($allow, fn ($t) => str_contains($t, '://'))),
                array_values(array_filter($allow, fn ($t) => !str_contains($t, '://'))),
                allowLoopback: $loopback,
                caFile: $caFile,
            )
            : new Policy();
        $plugin = new Plugin($component, $policy, httpSend: $live ? null : function (array $request) use (&$script): array {
            return $script->send($request);
        });
    } catch (Throwable $error) {
        fwrite(STDERR, 'conformance.php: ' . $error->getMessage() . "\n");
        return 2;
    }
    $tally = ['pass' => 0, 'fail' => 0, 'skip' => 0];
    $names = [];
    foreach ($vectors as $i => $vector) {
        $name = $vector->name ?? "vectors[{$i}]";
        if (isset($names[$name])) {
            $outcome = ['status' => 'fail', 'why' => 'another vector has this name'];
        } else {
            $names[$name] = true;
            $outcome = run_vector($plugin, $vector, $live, $script);
        }
        $tally[$outcome['status']]++;
        echo show(['name' => $name] + $outcome), "\n";
    }
    echo "{$tally['pass']} passed, {$tally['fail']} failed, {$tally['skip']} skipped\n";
    return $tally['fail'] === 0 ? 0 : 1;
}

function run_vector(Plugin $plugin, stdClass $vector, bool $live, ?Script &$script): array
{
    if ((bool) ($vector->live ?? false) !== $live) {
        return ['status' => 'skip', 'why' => $live ? 'not a live vector' : 'a live vector (run with --live)'];
    }
    $script = new Script($vector->http ?? []);
    try {
        $actual = $plugin->callRaw($vector->call, plain($vector->args ?? []), true);
    } catch (InvalidArgumentException $error) {
        return ['status' => 'fail', 'why' => 'the vector does not fit the function: ' . $error->getMessage()];
    } catch (CallTrapped $error) {
        return ['status' => 'fail', 'why' => $error->getMessage()];
    }
    $why = $live ? null : $script->unfinished();
    $why ??= mismatch($vector->expect, $actual);
    if ($why !== null) {
        return ['status' => 'fail', 'why' => $why, 'actual' => $actual];
    }
    return ['status' => 'pass', 'why' => 'the result matches'];
}

exit(main($argv));
