<?php

declare(strict_types=1);

namespace MailOAuth\Admin;

use PDO;

/**
 * The app's state in SQLite (PHP's pdo_sqlite): settings, mailboxes and
 * sessions. Every value that can hold a secret (the client secret, the
 * cached provider, token sets, sessions with their pending authorization)
 * is sealed with XChaCha20-Poly1305 (libsodium's AEAD), the table and row
 * as associated data so that a sealed value moved to another row fails to
 * open. The key is MAIL_OAUTH_ADMIN_KEY (64 hex digits), else DATA_DIR/key
 * (32 random bytes, created 0600); the data directory is 0700.
 */
final class Store
{
    private const VERSION = 'mail-oauth-admin/1';

    private readonly PDO $db;
    private readonly string $key;

    public function __construct(public readonly string $dataDir, ?string $hexKey = null)
    {
        if (!is_dir($dataDir) && !@mkdir($dataDir, 0o700, true) && !is_dir($dataDir)) {
            throw new \RuntimeException("cannot create the data directory {$dataDir}");
        }
        chmod($dataDir, 0o700);
        $this->key = $hexKey !== null ? self::parseKey($hexKey) : self::keyFile("{$dataDir}/key");
        $path = "{$dataDir}/admin.sqlite";
        if (!file_exists($path)) {
            touch($path);
            chmod($path, 0o600);
        }
        $this->db = new PDO("sqlite:{$path}", null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
        $this->db->exec('PRAGMA busy_timeout = 5000');
        $this->db->exec('CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, sealed BLOB NOT NULL)');
        $this->db->exec('CREATE TABLE IF NOT EXISTS mailboxes (address TEXT PRIMARY KEY, state TEXT NOT NULL,'
            . ' tokens BLOB, created INTEGER NOT NULL)');
        $this->db->exec('CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, sealed BLOB NOT NULL, touched INTEGER NOT NULL)');
    }

    public function path(): string
    {
        return "{$this->dataDir}/admin.sqlite";
    }

    private static function parseKey(string $hex): string
    {
        if (!preg_match('/^[0-9a-fA-F]{64}$/', $hex)) {
            throw new \InvalidArgumentException('MAIL_OAUTH_ADMIN_KEY must be 64 hex digits (32 bytes)');
        }
        return (string) hex2bin($hex);
    }

    /** The key in $path, created (exclusively, mode 0600) when absent. */
    private static function keyFile(string $path): string
    {
        $handle = @fopen($path, 'x');
        if ($handle !== false) {
            chmod($path, 0o600);
            fwrite($handle, bin2hex(random_bytes(SODIUM_CRYPTO_AEAD_XCHACHA20POLY1305_IETF_KEYBYTES)) . "\n");
            fclose($handle);
        }
        if ((fileperms($path) & 0o077) !== 0) {
            throw new \RuntimeException("the key file {$path} must not be readable by others (chmod 600)");
        }
        return self::parseKey(trim((string) file_get_contents($path)));
    }

    // ------------------------------------------------------------ sealing

    /** @param array<mixed> $value */
    private function seal(array $value, string $table, string $row): string
    {
        $nonce = random_bytes(SODIUM_CRYPTO_AEAD_XCHACHA20POLY1305_IETF_NPUBBYTES);
        $plain = json_encode($value, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
        return $nonce . sodium_crypto_aead_xchacha20poly1305_ietf_encrypt($plain, self::VERSION . "|{$table}|{$row}", $nonce, $this->key);
    }

    /** @return array<mixed> */
    private function open(string $sealed, string $table, string $row, string $what): array
    {
        $size = SODIUM_CRYPTO_AEAD_XCHACHA20POLY1305_IETF_NPUBBYTES;
        $plain = strlen($sealed) > $size ? sodium_crypto_aead_xchacha20poly1305_ietf_decrypt(
            substr($sealed, $size), self::VERSION . "|{$table}|{$row}", substr($sealed, 0, $size), $this->key) : false;
        if ($plain === false) {
            throw new Tampered($what);
        }
        return json_decode($plain, true, 64, JSON_THROW_ON_ERROR);
    }

    // ----------------------------------------------------------- settings

    /** @return array<string, mixed> the settings (empty before the first Save) */
    public function settings(): array
    {
        $sealed = $this->one('SELECT sealed FROM settings WHERE name = ?', ['settings']);
        return $sealed === null ? [] : $this->open($sealed, 'settings', 'settings', 'settings');
    }

    /** @param array<string, mixed> $settings */
    public function saveSettings(array $settings): void
    {
        $this->run('INSERT OR REPLACE INTO settings (name, sealed) VALUES (?, ?)',
            ['settings', $this->seal($settings, 'settings', 'settings')], [2]);
    }

    // ---------------------------------------------------------- mailboxes

    /** @return list<array{address: string, state: string}> oldest first */
    public function mailboxes(): array
    {
        $rows = $this->db->query('SELECT address, state FROM mailboxes ORDER BY created, address')->fetchAll(PDO::FETCH_ASSOC);
        return array_map(static fn (array $row) => ['address' => (string) $row['address'], 'state' => (string) $row['state']], $rows);
    }

    /** @return ?array<string, mixed> the mailbox's token set, null when it has none (or no such mailbox) */
    public function tokens(string $address): ?array
    {
        $sealed = $this->one('SELECT tokens FROM mailboxes WHERE address = ?', [$address]);
        return $sealed === null ? null : $this->open($sealed, 'mailboxes', $address, "tokens of {$address}");
    }

    /** Stores (or replaces) the mailbox's tokens; its state becomes `connected`. @param array<string, mixed> $tokens */
    public function saveTokens(string $address, array $tokens): void
    {
        $sealed = $this->seal($tokens, 'mailboxes', $address);
        $this->run('INSERT INTO mailboxes (address, state, tokens, created) VALUES (?, ?, ?, ?)'
            . ' ON CONFLICT (address) DO UPDATE SET state = excluded.state, tokens = excluded.tokens',
            [$address, 'connected', $sealed, time()], [3]);
    }

    /** The grant died: the tokens go, the mailbox stays listed as `reauthorize`. */
    public function dropTokens(string $address): void
    {
        $this->run('UPDATE mailboxes SET state = ?, tokens = NULL WHERE address = ?', ['reauthorize', $address]);
    }

    public function deleteMailbox(string $address): void
    {
        $this->run('DELETE FROM mailboxes WHERE address = ?', [$address]);
    }

    // ----------------------------------------------------------- sessions

    /** @return ?array<string, mixed> keyed by the sha256 of the cookie, so the file holds no cookie value */
    public function session(string $id): ?array
    {
        $sealed = $this->one('SELECT sealed FROM sessions WHERE id = ?', [$id]);
        return $sealed === null ? null : $this->open($sealed, 'sessions', $id, 'session');
    }

    /** @param array<string, mixed> $data */
    public function saveSession(string $id, array $data): void
    {
        $this->run('INSERT OR REPLACE INTO sessions (id, sealed, touched) VALUES (?, ?, ?)',
            [$id, $this->seal($data, 'sessions', $id), time()], [2]);
        $this->run('DELETE FROM sessions WHERE touched < ?', [time() - 86400]);
    }

    // ------------------------------------------------------------ helpers

    /** @param list<mixed> $params */
    private function one(string $sql, array $params): ?string
    {
        $statement = $this->db->prepare($sql);
        $statement->execute($params);
        $value = $statement->fetchColumn();
        return $value === false || $value === null ? null : (string) $value;
    }

    /** @param list<mixed> $params @param list<int> $blobs indexes of binary parameters */
    private function run(string $sql, array $params, array $blobs = []): void
    {
        $statement = $this->db->prepare($sql);
        foreach ($params as $i => $value) {
            $type = in_array($i, $blobs, true) ? PDO::PARAM_LOB : (is_int($value) ? PDO::PARAM_INT : PDO::PARAM_STR);
            $statement->bindValue($i + 1, $value, $type);
        }
        $statement->execute();
    }
}
