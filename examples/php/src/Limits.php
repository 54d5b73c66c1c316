<?php

declare(strict_types=1);

namespace MailOAuth;

/**
 * Limits of one call (the Rust host's defaults): seconds to connect
 * (resolution, TCP, TLS handshake) and for each read or write; bytes of a
 * request body, a response body, a mail line or literal; connections open
 * at once; the component's linear memory; fuel (wasm instructions, roughly)
 * before a runaway call traps; instance slots of the pooling allocator (the
 * instances alive at once in this process: one per call in progress; 0 for
 * wasmtime's on-demand allocator, where address space is limited).
 */
final class Limits
{
    public function __construct(
        public readonly float $connectTimeout = 10.0,
        public readonly float $ioTimeout = 30.0,
        public readonly int $maxRequestBytes = 1 << 20,
        public readonly int $maxResponseBytes = 1 << 20,
        public readonly int $maxLineBytes = 64 * 1024,
        public readonly int $maxConnections = 16,
        public readonly int $maxMemoryBytes = 64 << 20,
        public readonly int $fuel = 20_000_000_000,
        public readonly int $poolSlots = 4,
    ) {
    }
}
