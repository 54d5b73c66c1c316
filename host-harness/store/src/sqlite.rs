//! The embedded account store: accounts and pending authorizations,
//! encrypted, in a SQLite database in a directory of their own.
//!
//! Non-secret metadata (names, provider, client id, login, expiry, scopes) is
//! kept in clear columns so that `list` needs no key and an admin can inspect
//! the file. Every secret — client secret, access, refresh and ID tokens, and a
//! pending authorization's `state`, PKCE verifier, nonce and URL — is sealed in
//! one XChaCha20-Poly1305 blob per row. The blob's associated data is the
//! row's name and a SHA-256 digest of every clear column (blob version 2), so
//! a clear column changed by someone who can write the file but lacks the key
//! (a `token_endpoint` pointed at their own server, say), or a blob copied
//! onto another account, fails to open: a typed [`StoreError::Integrity`]
//! before anything is sent, instead of the next refresh posting the refresh
//! token and the client secret to the new endpoint. Blobs of version 1 (the
//! associated data named the row only) are sealed again as version 2 when
//! the store is opened.
//!
//! The key comes from `MAIL_OAUTH_KEY` (base64 of 32 bytes) or from
//! `<dir>/key`, created on first use with mode 0600.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::TryRngCore as _;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use mail_oauth_runtime::model::{Client, PendingAuthorization, Secret, TokenSet};

use crate::lock::{FileLock, FileLocks};
use crate::private;
use crate::store::{
    Account, AccountLock, AccountStore, AccountSummary, Grant, HeldLock, PENDING_TTL_SECS,
    PendingRecord, StoreError, validate_name,
};

type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The environment variable that holds the store key (base64 of 32 bytes).
pub const KEY_ENV: &str = "MAIL_OAUTH_KEY";
/// The environment variable that overrides [`SqliteStore::default_dir`].
pub const HOME_ENV: &str = "MAIL_OAUTH_HOME";
/// The database file's name inside the store directory.
pub const DB_FILE: &str = "accounts.sqlite3";
/// The key file's name inside the store directory.
pub const KEY_FILE: &str = "key";

/// The schema this code writes (`PRAGMA user_version`). Version 4 changes no
/// table: it marks a store whose rows are bound to their clear columns, so
/// that an older program refuses it instead of calling every row tampered.
const SCHEMA_VERSION: u32 = 4;
/// Version byte in front of every sealed blob: 2 binds the row's clear
/// columns (see the module documentation).
const BLOB_VERSION: u8 = 2;
/// The blob version of stores before schema 4: the row's name only.
const BLOB_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;
/// How long a writer waits for another handle's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The key check value's associated data and sealed text.
const KEY_CHECK_AAD: &[u8] = b"mail-oauth store key check";
const KEY_CHECK_TEXT: &str = "mail-oauth store key check v1";

impl HeldLock for FileLock<'_> {
    fn discard(&self) -> Result<()> {
        Ok(self.remove_file()?)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

/// The sealed part of an account row.
#[derive(Serialize, Deserialize)]
struct AccountSecrets {
    client_secret: Option<Secret>,
    access_token: Secret,
    refresh_token: Option<Secret>,
    id_token: Option<Secret>,
}

/// The sealed part of a pending row. The URL is sealed too: its query holds
/// the `state`.
#[derive(Serialize, Deserialize)]
struct PendingSecrets {
    client_secret: Option<Secret>,
    url: Secret,
    state: Secret,
    pkce_verifier: Secret,
    nonce: Option<Secret>,
}

/// The account store. One handle per process is enough (it is `Sync`);
/// several handles, in one process or several, may share a directory.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    cipher: XChaCha20Poly1305,
    dir: PathBuf,
    locks: FileLocks,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// The store directory: `$MAIL_OAUTH_HOME`, else `<data dir>/mail-oauth`
    /// (`~/.local/share/mail-oauth` on Linux), else `.mail-oauth` in the
    /// current directory when the system names no data directory (no `HOME`).
    /// Not created here; [`Self::open`] creates it with mode 0700.
    pub fn default_dir() -> PathBuf {
        if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return PathBuf::from(home);
        }
        dirs::data_dir()
            .map(|d| d.join("mail-oauth"))
            .unwrap_or_else(|| PathBuf::from(".mail-oauth"))
    }

    /// Opens (creating if needed) the store in `dir`, with the key from
    /// `MAIL_OAUTH_KEY` or else `<dir>/key` (created on first use).
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_resolving(dir, std::env::var_os(KEY_ENV))
    }

    /// `open` with the environment's key value given (tests).
    fn open_resolving(dir: &Path, env_key: Option<OsString>) -> Result<Self> {
        create_private_dir(dir)?;
        let new_key_file = env_key.is_none() && !dir.join(KEY_FILE).exists();
        let key = resolve_key(dir, env_key)?;
        match Self::open_with_key(dir, key) {
            // The key file was missing and a new one was just made, but the
            // store was sealed with the old one: say so, and leave no new key
            // behind that would hide the loss next time.
            Err(StoreError::Key(_)) if new_key_file => {
                let _ = fs::remove_file(dir.join(KEY_FILE));
                Err(StoreError::Key(format!(
                    "the store in {} holds data sealed with a key, but its key file {} is missing: restore it, or set {KEY_ENV} to that key",
                    dir.display(),
                    dir.join(KEY_FILE).display()
                )))
            }
            other => other,
        }
    }

    /// Opens (creating if needed) the store in `dir` with an explicit key
    /// (tests, or a host that keeps the key elsewhere).
    pub fn open_with_key(dir: &Path, key: [u8; KEY_LEN]) -> Result<Self> {
        create_private_dir(dir)?;
        let path = dir.join(DB_FILE);
        // Create the file ourselves so that it (and the -wal/-shm files,
        // which SQLite creates with the database's mode) is 0600.
        private::file_options()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL: readers never block the writer, and a second handle (the CLI
        // while a host runs) can read and write concurrently.
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Io {
                path,
                source: io::Error::other(format!(
                    "journal_mode is {mode}; WAL is required (is the file on a network file system?)"
                )),
            });
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Overwrite deleted rows' pages: a removed account leaves no sealed
        // blob (or clear metadata) behind in free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        migrate(&mut conn)?;
        let store = Self {
            conn: Mutex::new(conn),
            cipher: XChaCha20Poly1305::new(&key.into()),
            dir: dir.to_owned(),
            locks: FileLocks::new(dir),
        };
        store.check_key()?;
        store.upgrade_v1_blobs()?;
        Ok(store)
    }

    /// Checks the key against the store's key check value, writing it on
    /// first use. A store made before the check value existed is checked
    /// against one of its sealed rows first.
    fn check_key(&self) -> Result<()> {
        let wrong = || {
            StoreError::Key(format!(
                "the store in {} was sealed with another key: use the key it was made with (its key file, or {KEY_ENV})",
                self.dir.display()
            ))
        };
        let conn = self.lock();
        let found: Option<Vec<u8>> = conn
            .query_row("SELECT value FROM meta WHERE name = 'key-check'", [], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(blob) = found {
            // Its associated data is fixed: a version-1 check value (schema 3)
            // is as good as a version-2 one.
            let version = blob.first().copied().unwrap_or(BLOB_VERSION);
            let text: String = self
                .open_version(version, KEY_CHECK_AAD, &blob, "the key check value")
                .map_err(|_| wrong())?;
            return if text == KEY_CHECK_TEXT {
                Ok(())
            } else {
                Err(wrong())
            };
        }
        let row: Option<(String, AccountRow)> = conn
            .query_row(
                &format!("SELECT name, {ACCOUNT_COLUMNS} FROM accounts LIMIT 1"),
                [],
                |r| Ok((r.get(0)?, AccountRow::read(r, 1)?)),
            )
            .optional()?;
        if let Some((name, row)) = row {
            let opened = if row.secrets.first() == Some(&BLOB_V1) {
                self.open_version::<AccountSecrets>(
                    BLOB_V1,
                    &account_aad_v1(&name),
                    &row.secrets,
                    "an account",
                )
            } else {
                self.open_blob::<AccountSecrets>(&row.aad(&name), &row.secrets, "an account")
            };
            opened.map_err(|_| wrong())?;
        }
        let blob = self.seal(KEY_CHECK_AAD, &KEY_CHECK_TEXT)?;
        conn.execute(
            "INSERT OR IGNORE INTO meta (name, value) VALUES ('key-check', ?1)",
            [blob],
        )?;
        Ok(())
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no half-done transaction
        // (rusqlite rolls back on drop), so the connection is still sound.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `version || nonce || ciphertext` of `value` serialized as JSON.
    fn seal<T: Serialize>(&self, aad: &[u8], value: &T) -> Result<Vec<u8>> {
        let plain = serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
            what: "secrets".to_owned(),
            reason: e.to_string(),
        })?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|e| StoreError::Key(format!("no randomness for a nonce: {e}")))?;
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: &plain, aad })
            .map_err(|_| StoreError::Key("encryption failed".to_owned()))?;
        let mut blob = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        blob.push(BLOB_VERSION);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        Ok(blob)
    }

    fn open_blob<T: for<'de> Deserialize<'de>>(
        &self,
        aad: &[u8],
        blob: &[u8],
        what: &str,
    ) -> Result<T> {
        self.open_version(BLOB_VERSION, aad, blob, what)
    }

    /// Opens a blob of `version`; any other version, a wrong key or changed
    /// data (the blob or, through `aad`, the row's clear columns) is an
    /// [`StoreError::Integrity`] error naming the row.
    fn open_version<T: for<'de> Deserialize<'de>>(
        &self,
        version: u8,
        aad: &[u8],
        blob: &[u8],
        what: &str,
    ) -> Result<T> {
        let integrity_err = || StoreError::Integrity(what.to_owned());
        if blob.len() < 1 + NONCE_LEN || blob[0] != version {
            return Err(integrity_err());
        }
        let (nonce, sealed) = blob[1..].split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
            .map_err(|_| integrity_err())?;
        // Authenticated but undecodable means our own bug or a format change;
        // serde_json's message could quote the plaintext, so drop it.
        serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt {
            what: what.to_owned(),
            reason: "sealed secrets do not decode".to_owned(),
        })
    }

    /// Seals again, as version 2, every row still sealed as version 1 (a
    /// store from before schema 4), in one transaction. A version-1 blob
    /// that does not open is left as it is: reading that row stays an
    /// integrity error.
    fn upgrade_v1_blobs(&self) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let accounts: Vec<(String, AccountRow)> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT name, {ACCOUNT_COLUMNS} FROM accounts WHERE substr(secrets, 1, 1) = x'01'"
            ))?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, AccountRow::read(r, 1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (name, mut row) in accounts {
            let Ok(secrets) = self.open_version::<AccountSecrets>(
                BLOB_V1,
                &account_aad_v1(&name),
                &row.secrets,
                "an account",
            ) else {
                continue;
            };
            row.secrets = self.seal(&row.aad(&name), &secrets)?;
            tx.execute(
                "UPDATE accounts SET secrets = ?2 WHERE name = ?1",
                params![name, row.secrets],
            )?;
        }
        let pending: Vec<(String, PendingRow)> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT id, {PENDING_COLUMNS} FROM pending WHERE substr(secrets, 1, 1) = x'01'"
            ))?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, PendingRow::read(r, 1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (id, mut row) in pending {
            let Ok(secrets) = self.open_version::<PendingSecrets>(
                BLOB_V1,
                &pending_aad_v1(&id),
                &row.secrets,
                "a pending authorization",
            ) else {
                continue;
            };
            row.secrets = self.seal(&row.aad(&id), &secrets)?;
            tx.execute(
                "UPDATE pending SET secrets = ?2 WHERE id = ?1",
                params![id, row.secrets],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The row of account `name`, read on `conn`.
    fn account_row(conn: &Connection, name: &str) -> Result<Option<AccountRow>> {
        Ok(conn
            .query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE name = ?1"),
                [name],
                |r| AccountRow::read(r, 0),
            )
            .optional()?)
    }

    /// Writes `row` (sealing `secrets` bound to it) as account `name`.
    fn write_account(
        &self,
        conn: &Connection,
        name: &str,
        mut row: AccountRow,
        secrets: &AccountSecrets,
    ) -> Result<()> {
        row.secrets = self.seal(&row.aad(name), secrets)?;
        conn.execute(
            "INSERT INTO accounts (name, provider_id, provider, client_id, redirect_uri, login,
                 account_email, expires_at, scopes, has_refresh_token, created_at, updated_at,
                 secrets, grant_kind, revoked)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT (name) DO UPDATE SET
                 provider_id = excluded.provider_id, provider = excluded.provider,
                 client_id = excluded.client_id, redirect_uri = excluded.redirect_uri,
                 login = excluded.login, account_email = excluded.account_email,
                 expires_at = excluded.expires_at, scopes = excluded.scopes,
                 has_refresh_token = excluded.has_refresh_token,
                 created_at = excluded.created_at, updated_at = excluded.updated_at,
                 secrets = excluded.secrets, grant_kind = excluded.grant_kind,
                 revoked = excluded.revoked",
            params![
                name,
                row.provider_id,
                row.provider,
                row.client_id,
                row.redirect_uri,
                row.login,
                row.account_email,
                row.expires_at,
                row.scopes,
                row.has_refresh_token,
                row.created_at,
                row.updated_at,
                row.secrets,
                row.grant_kind,
                row.revoked,
            ],
        )?;
        Ok(())
    }
}

impl AccountStore for SqliteStore {
    fn lock_account(&self, name: &str, timeout: Duration) -> Result<AccountLock<'_>> {
        validate_name(name)?;
        Ok(AccountLock::new(name, self.locks.lock(name, timeout)?))
    }

    fn put_account(&self, account: &Account) -> Result<()> {
        validate_name(&account.name)?;
        let secrets = AccountSecrets {
            client_secret: account.client.secret.clone(),
            access_token: account.tokens.access_token.clone(),
            refresh_token: account.tokens.refresh_token.clone(),
            id_token: account.tokens.id_token.clone(),
        };
        let row = AccountRow {
            provider_id: account.provider.id.clone(),
            provider: to_json(&account.provider)?,
            client_id: account.client.id.clone(),
            redirect_uri: account.client.redirect_uri.clone(),
            login: account.login.clone(),
            account_email: account.tokens.account_email.clone(),
            expires_at: account.tokens.expires_at.map(to_i64),
            scopes: to_json(&account.tokens.scopes)?,
            has_refresh_token: account.tokens.refresh_token.is_some(),
            created_at: to_i64(account.created_at),
            updated_at: to_i64(account.updated_at),
            grant_kind: account.grant.name().to_owned(),
            revoked: account.revoked,
            secrets: Vec::new(),
        };
        let conn = self.lock();
        self.write_account(&conn, &account.name, row, &secrets)
    }

    fn get_account(&self, name: &str) -> Result<Option<Account>> {
        validate_name(name)?;
        let Some(row) = Self::account_row(&self.lock(), name)? else {
            return Ok(None);
        };
        let what = format!("account {name:?}");
        // The blob first: it vouches for every clear column below.
        let secrets: AccountSecrets = self.open_blob(&row.aad(name), &row.secrets, &what)?;
        let grant = Grant::from_name(&row.grant_kind).ok_or_else(|| StoreError::Corrupt {
            what: what.clone(),
            reason: format!("unknown grant {:?}", row.grant_kind),
        })?;
        Ok(Some(Account {
            name: name.to_owned(),
            provider: from_json(&row.provider, &what)?,
            client: Client {
                id: row.client_id,
                secret: secrets.client_secret,
                redirect_uri: row.redirect_uri,
            },
            login: row.login,
            tokens: TokenSet {
                access_token: secrets.access_token,
                refresh_token: secrets.refresh_token,
                expires_at: row.expires_at.map(from_i64),
                scopes: from_json(&row.scopes, &what)?,
                id_token: secrets.id_token,
                account_email: row.account_email,
            },
            created_at: from_i64(row.created_at),
            updated_at: from_i64(row.updated_at),
            grant,
            revoked: row.revoked,
        }))
    }

    fn list_accounts(&self) -> Result<Vec<AccountSummary>> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT name, provider_id, login, account_email, expires_at, has_refresh_token,
                    updated_at, grant_kind, revoked
             FROM accounts ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AccountSummary {
                name: r.get(0)?,
                provider_id: r.get(1)?,
                login: r.get(2)?,
                account_email: r.get(3)?,
                expires_at: r.get::<_, Option<i64>>(4)?.map(from_i64),
                has_refresh_token: r.get(5)?,
                updated_at: from_i64(r.get(6)?),
                grant: Grant::from_name(&r.get::<_, String>(7)?).unwrap_or_default(),
                revoked: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn remove_account(&self, name: &str) -> Result<bool> {
        validate_name(name)?;
        let n = self
            .lock()
            .execute("DELETE FROM accounts WHERE name = ?1", [name])?;
        Ok(n > 0)
    }

    fn update_tokens(&self, name: &str, tokens: &TokenSet) -> Result<()> {
        validate_name(name)?;
        let what = format!("account {name:?}");
        let mut conn = self.lock();
        // IMMEDIATE: take the write lock before reading, so that a concurrent
        // update cannot slip in between the read and the write.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(mut row) = Self::account_row(&tx, name)? else {
            return Err(StoreError::NotFound(name.to_owned()));
        };
        // The client secret lives in the same blob: keep it. A row that fails
        // its integrity check is not sealed again (that would launder it).
        let old: AccountSecrets = self.open_blob(&row.aad(name), &row.secrets, &what)?;
        let secrets = AccountSecrets {
            client_secret: old.client_secret,
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            id_token: tokens.id_token.clone(),
        };
        row.account_email = tokens.account_email.clone();
        row.expires_at = tokens.expires_at.map(to_i64);
        row.scopes = to_json(&tokens.scopes)?;
        row.has_refresh_token = tokens.refresh_token.is_some();
        row.updated_at = to_i64(now());
        self.write_account(&tx, name, row, &secrets)?;
        tx.commit()?;
        Ok(())
    }

    fn put_pending(&self, id: &str, record: &PendingRecord) -> Result<()> {
        validate_name(id)?;
        validate_name(&record.account)?;
        let secrets = PendingSecrets {
            client_secret: record.client.secret.clone(),
            url: Secret::new(record.pending.url.clone()),
            state: record.pending.state.clone(),
            pkce_verifier: record.pending.pkce_verifier.clone(),
            nonce: record.pending.nonce.clone(),
        };
        let mut row = PendingRow {
            account: record.account.clone(),
            provider: to_json(&record.provider)?,
            client_id: record.client.id.clone(),
            client_redirect_uri: record.client.redirect_uri.clone(),
            login: record.login.clone(),
            redirect_uri: record.pending.redirect_uri.clone(),
            scopes: to_json(&record.pending.scopes)?,
            created_at: to_i64(record.created_at),
            secrets: Vec::new(),
        };
        row.secrets = self.seal(&row.aad(id), &secrets)?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        purge_pending(&tx)?;
        tx.execute(
            "INSERT OR REPLACE INTO pending (id, account, provider, client_id, client_redirect_uri,
                 login, redirect_uri, scopes, created_at, secrets)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                id,
                row.account,
                row.provider,
                row.client_id,
                row.client_redirect_uri,
                row.login,
                row.redirect_uri,
                row.scopes,
                row.created_at,
                row.secrets,
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn take_pending(&self, id: &str) -> Result<Option<PendingRecord>> {
        self.pending_row(id, true)
    }

    fn get_pending(&self, id: &str) -> Result<Option<PendingRecord>> {
        self.pending_row(id, false)
    }

    fn remove_pending(&self, id: &str) -> Result<bool> {
        validate_name(id)?;
        let n = self
            .lock()
            .execute("DELETE FROM pending WHERE id = ?1", [id])?;
        Ok(n > 0)
    }

    fn set_revoked(&self, name: &str, revoked: bool) -> Result<bool> {
        validate_name(name)?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(mut row) = Self::account_row(&tx, name)? else {
            return Ok(false);
        };
        // `revoked` is a bound column: the blob is sealed again over it.
        let secrets: AccountSecrets =
            self.open_blob(&row.aad(name), &row.secrets, &format!("account {name:?}"))?;
        row.revoked = revoked;
        row.updated_at = to_i64(now());
        self.write_account(&tx, name, row, &secrets)?;
        tx.commit()?;
        Ok(true)
    }
}

impl SqliteStore {
    /// The pending authorization `id`, deleted when `take` (only once its
    /// blob opened: a tampered row is an error and a forged attempt takes
    /// nothing); expired ones are purged first.
    fn pending_row(&self, id: &str, take: bool) -> Result<Option<PendingRecord>> {
        validate_name(id)?;
        let what = format!("pending authorization {id:?}");
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        purge_pending(&tx)?;
        let row = tx
            .query_row(
                &format!("SELECT {PENDING_COLUMNS} FROM pending WHERE id = ?1"),
                [id],
                |r| PendingRow::read(r, 0),
            )
            .optional()?;
        let Some(row) = row else {
            tx.commit()?;
            return Ok(None);
        };
        let secrets: PendingSecrets = self.open_blob(&row.aad(id), &row.secrets, &what)?;
        let record = PendingRecord {
            account: row.account,
            provider: from_json(&row.provider, &what)?,
            client: Client {
                id: row.client_id,
                secret: secrets.client_secret,
                redirect_uri: row.client_redirect_uri,
            },
            login: row.login,
            pending: PendingAuthorization {
                url: secrets.url.expose().to_owned(),
                state: secrets.state,
                pkce_verifier: secrets.pkce_verifier,
                nonce: secrets.nonce,
                redirect_uri: row.redirect_uri,
                scopes: from_json(&row.scopes, &what)?,
            },
            created_at: from_i64(row.created_at),
        };
        if take {
            tx.execute("DELETE FROM pending WHERE id = ?1", [id])?;
        }
        tx.commit()?;
        Ok(Some(record))
    }
}

/// The columns of an account row after its name, in [`AccountRow::read`]'s
/// order.
const ACCOUNT_COLUMNS: &str = "provider_id, provider, client_id, redirect_uri, login, \
     account_email, expires_at, scopes, has_refresh_token, created_at, updated_at, grant_kind, \
     revoked, secrets";

/// An account row as stored: the clear columns and the sealed blob.
struct AccountRow {
    provider_id: String,
    provider: String,
    client_id: String,
    redirect_uri: String,
    login: Option<String>,
    account_email: Option<String>,
    expires_at: Option<i64>,
    scopes: String,
    has_refresh_token: bool,
    created_at: i64,
    updated_at: i64,
    grant_kind: String,
    revoked: bool,
    secrets: Vec<u8>,
}

impl AccountRow {
    /// Reads [`ACCOUNT_COLUMNS`] starting at column `at`.
    fn read(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            provider_id: r.get(at)?,
            provider: r.get(at + 1)?,
            client_id: r.get(at + 2)?,
            redirect_uri: r.get(at + 3)?,
            login: r.get(at + 4)?,
            account_email: r.get(at + 5)?,
            expires_at: r.get(at + 6)?,
            scopes: r.get(at + 7)?,
            has_refresh_token: r.get(at + 8)?,
            created_at: r.get(at + 9)?,
            updated_at: r.get(at + 10)?,
            grant_kind: r.get(at + 11)?,
            revoked: r.get(at + 12)?,
            secrets: r.get(at + 13)?,
        })
    }

    /// The associated data of account `name`'s blob: its name and every
    /// clear column.
    fn aad(&self, name: &str) -> Vec<u8> {
        let mut d = RowDigest::new(b"mail-oauth/v2/account", name);
        d.text(&self.provider_id)
            .text(&self.provider)
            .text(&self.client_id)
            .text(&self.redirect_uri)
            .opt_text(self.login.as_deref())
            .opt_text(self.account_email.as_deref())
            .opt_int(self.expires_at)
            .text(&self.scopes)
            .int(i64::from(self.has_refresh_token))
            .int(self.created_at)
            .int(self.updated_at)
            .text(&self.grant_kind)
            .int(i64::from(self.revoked));
        d.finish()
    }
}

/// The columns of a pending row after its id, in [`PendingRow::read`]'s
/// order.
const PENDING_COLUMNS: &str = "account, provider, client_id, client_redirect_uri, login, \
     redirect_uri, scopes, created_at, secrets";

/// A pending row as stored.
struct PendingRow {
    account: String,
    provider: String,
    client_id: String,
    client_redirect_uri: String,
    login: Option<String>,
    redirect_uri: String,
    scopes: String,
    created_at: i64,
    secrets: Vec<u8>,
}

impl PendingRow {
    /// Reads [`PENDING_COLUMNS`] starting at column `at`.
    fn read(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            account: r.get(at)?,
            provider: r.get(at + 1)?,
            client_id: r.get(at + 2)?,
            client_redirect_uri: r.get(at + 3)?,
            login: r.get(at + 4)?,
            redirect_uri: r.get(at + 5)?,
            scopes: r.get(at + 6)?,
            created_at: r.get(at + 7)?,
            secrets: r.get(at + 8)?,
        })
    }

    /// The associated data of pending `id`'s blob (a prefix distinct from
    /// accounts', so the two kinds cannot be swapped either).
    fn aad(&self, id: &str) -> Vec<u8> {
        let mut d = RowDigest::new(b"mail-oauth/v2/pending", id);
        d.text(&self.account)
            .text(&self.provider)
            .text(&self.client_id)
            .text(&self.client_redirect_uri)
            .opt_text(self.login.as_deref())
            .text(&self.redirect_uri)
            .text(&self.scopes)
            .int(self.created_at);
        d.finish()
    }
}

/// A row's associated data: `kind`, then SHA-256 over the row's name and
/// columns, each one tagged and length-prefixed so that no two rows encode
/// alike (`("ab", "c")` differs from `("a", "bc")`, `None` from `""`).
struct RowDigest {
    kind: &'static [u8],
    hash: Sha256,
}

impl RowDigest {
    fn new(kind: &'static [u8], name: &str) -> Self {
        let mut d = Self {
            kind,
            hash: Sha256::new(),
        };
        d.text(name);
        d
    }

    fn text(&mut self, value: &str) -> &mut Self {
        self.hash.update(b"s");
        self.hash.update((value.len() as u64).to_be_bytes());
        self.hash.update(value.as_bytes());
        self
    }

    fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => {
                self.hash.update(b"n");
                self
            }
        }
    }

    fn int(&mut self, value: i64) -> &mut Self {
        self.hash.update(b"i");
        self.hash.update(value.to_be_bytes());
        self
    }

    fn opt_int(&mut self, value: Option<i64>) -> &mut Self {
        match value {
            Some(v) => self.int(v),
            None => {
                self.hash.update(b"n");
                self
            }
        }
    }

    fn finish(self) -> Vec<u8> {
        [self.kind, b"\0", self.hash.finalize().as_slice()].concat()
    }
}

/// Associated data of a version-1 account blob: the row's name only.
fn account_aad_v1(name: &str) -> Vec<u8> {
    [b"mail-oauth/v1/account/".as_slice(), name.as_bytes()].concat()
}

/// Associated data of a version-1 pending blob.
fn pending_aad_v1(id: &str) -> Vec<u8> {
    [b"mail-oauth/v1/pending/".as_slice(), id.as_bytes()].concat()
}

fn purge_pending(conn: &Connection) -> Result<()> {
    let cutoff = to_i64(now().saturating_sub(PENDING_TTL_SECS));
    conn.execute("DELETE FROM pending WHERE created_at < ?1", [cutoff])?;
    Ok(())
}

/// Creates or upgrades the schema, under the write lock so that two
/// processes opening a fresh directory do not race.
fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::UnsupportedSchema {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < 1 {
        tx.execute_batch(
            "CREATE TABLE accounts (
                 name TEXT PRIMARY KEY NOT NULL,
                 provider_id TEXT NOT NULL,
                 provider TEXT NOT NULL,            -- Provider as JSON
                 client_id TEXT NOT NULL,
                 redirect_uri TEXT NOT NULL,
                 login TEXT,
                 account_email TEXT,
                 expires_at INTEGER,
                 scopes TEXT NOT NULL,              -- JSON array
                 has_refresh_token INTEGER NOT NULL,
                 created_at INTEGER NOT NULL,
                 updated_at INTEGER NOT NULL,
                 secrets BLOB NOT NULL              -- sealed AccountSecrets
             ) STRICT;
             CREATE TABLE pending (
                 id TEXT PRIMARY KEY NOT NULL,
                 account TEXT NOT NULL,
                 provider TEXT NOT NULL,
                 client_id TEXT NOT NULL,
                 client_redirect_uri TEXT NOT NULL,
                 login TEXT,
                 redirect_uri TEXT NOT NULL,
                 scopes TEXT NOT NULL,
                 created_at INTEGER NOT NULL,
                 secrets BLOB NOT NULL              -- sealed PendingSecrets
             ) STRICT;
             CREATE INDEX pending_created_at ON pending (created_at);",
        )?;
    }
    if version < 2 {
        // 0.2: how the tokens are obtained again, and revocation.
        tx.execute_batch(
            "ALTER TABLE accounts ADD COLUMN grant_kind TEXT NOT NULL DEFAULT 'user';
             ALTER TABLE accounts ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;",
        )?;
    }
    if version < 3 {
        // The key check value: a known text sealed with the store's key, so
        // that opening the store with another key fails at once.
        tx.execute_batch(
            "CREATE TABLE meta (
                 name TEXT PRIMARY KEY NOT NULL,
                 value BLOB NOT NULL
             ) STRICT;",
        )?;
    }
    // 4: no table changes; the store opens v1 blobs once more to seal them
    // as v2 (SqliteStore::upgrade_v1_blobs, which needs the key).
    // Later versions: `if version < 5 { ... }` here.
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// The key: from the environment value when given, else from (or into) the
/// key file. Split from `open` so tests need not touch the process
/// environment.
fn resolve_key(dir: &Path, env_value: Option<OsString>) -> Result<[u8; KEY_LEN]> {
    match env_value {
        Some(value) => key_from_env(&value),
        None => load_or_create_key_file(&dir.join(KEY_FILE)),
    }
}

fn key_from_env(value: &std::ffi::OsStr) -> Result<[u8; KEY_LEN]> {
    let text = value
        .to_str()
        .ok_or_else(|| StoreError::Key(format!("{KEY_ENV} is not valid UTF-8")))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| StoreError::Key(format!("{KEY_ENV} is not valid base64")))?;
    <[u8; KEY_LEN]>::try_from(bytes.as_slice()).map_err(|_| {
        StoreError::Key(format!(
            "{KEY_ENV} must be the base64 of {KEY_LEN} bytes, it decodes to {} bytes",
            bytes.len()
        ))
    })
}

fn load_or_create_key_file(path: &Path) -> Result<[u8; KEY_LEN]> {
    let io_err = |source| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    let mut key = [0u8; KEY_LEN];
    if !path.exists() {
        // Written whole beside, then linked into place: a reader (another
        // process starting at once) never sees a half-written key, and a crash
        // leaves at most the temporary file. `hard_link` fails if the key
        // already exists, so exactly one process creates it.
        rand::rngs::OsRng
            .try_fill_bytes(&mut key)
            .map_err(|e| StoreError::Key(format!("no randomness for a key: {e}")))?;
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let tmp = path.with_extension(format!(
            "tmp{}-{}",
            std::process::id(),
            WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let written = private::file_options()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut file| {
                file.write_all(&key)?;
                file.sync_all()
            });
        let linked = written.and_then(|()| fs::hard_link(&tmp, path));
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => return Ok(key),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_err(e)),
        }
    }
    let mut file = File::open(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(StoreError::Key(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    if let Some(mode) = private::shared_mode(&meta) {
        return Err(StoreError::Key(format!(
            "key file {} is readable by group or others (mode {mode:o}); run `chmod 600` on it",
            path.display()
        )));
    }
    let mut bytes = Vec::with_capacity(KEY_LEN + 1);
    (&mut file)
        .take(KEY_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() != KEY_LEN {
        return Err(StoreError::Key(format!(
            "key file {} must hold exactly {KEY_LEN} bytes",
            path.display()
        )));
    }
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// Creates `dir` (and parents) with mode 0700 when missing; an existing one
/// that the group or others may enter is made 0700.
fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let meta = fs::metadata(dir).map_err(|source| StoreError::Io {
                path: dir.to_owned(),
                source,
            })?;
            if private::shared_mode(&meta).is_some() {
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|source| {
                    StoreError::Io {
                        path: dir.to_owned(),
                        source,
                    }
                })?;
            }
        }
        return Ok(());
    }
    private::dir_builder()
        .create(dir)
        .map_err(|source| StoreError::Io {
            path: dir.to_owned(),
            source,
        })
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        what: "metadata".to_owned(),
        reason: e.to_string(),
    })
}

fn from_json<T: for<'de> Deserialize<'de>>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what: what.to_owned(),
        reason: e.to_string(),
    })
}

/// SQLite integers are signed; unix seconds fit easily, and anything that
/// does not is clamped rather than wrapped.
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn from_i64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use mail_oauth_runtime::model::{ClientAuth, Provider};

    const KEY: [u8; 32] = [7; 32];

    fn temp_dir(tag: &str) -> PathBuf {
        let mut rnd = [0u8; 8];
        rand::rngs::OsRng.try_fill_bytes(&mut rnd).unwrap();
        std::env::temp_dir().join(format!(
            "mail-oauth-store-{tag}-{}-{}",
            std::process::id(),
            u64::from_le_bytes(rnd)
        ))
    }

    /// Removes the directory when the test ends, pass or fail.
    struct TempDir(PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
    fn tmp(tag: &str) -> TempDir {
        TempDir(temp_dir(tag))
    }

    fn provider() -> Provider {
        Provider {
            id: "google".into(),
            display_name: "Google (Gmail)".into(),
            issuer: Some("https://accounts.google.com".into()),
            authorization_endpoint: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token_endpoint: "https://oauth2.googleapis.com/token".into(),
            device_authorization_endpoint: None,
            revocation_endpoint: Some("https://oauth2.googleapis.com/revoke".into()),
            default_scopes: vec!["https://mail.google.com/".into()],
            extra_parameters: vec![("access_type".into(), "offline".into())],
            client_auth: ClientAuth::Post,
            pkce: true,
            mail_servers: Vec::new(),
        }
    }

    fn account(name: &str) -> Account {
        Account {
            name: name.into(),
            provider: provider(),
            client: Client {
                id: "client-id-123".into(),
                secret: Some(Secret::new("CLIENTSECRETxyz")),
                redirect_uri: "http://127.0.0.1:8765/callback".into(),
            },
            login: Some("alice@example.com".into()),
            tokens: TokenSet {
                access_token: Secret::new(format!("ACCESSTOKEN-{name}")),
                refresh_token: Some(Secret::new(format!("REFRESHTOKEN-{name}"))),
                expires_at: Some(1_900_000_000),
                scopes: vec!["https://mail.google.com/".into()],
                id_token: Some(Secret::new("IDTOKENabc")),
                account_email: Some("alice@example.com".into()),
            },
            created_at: 1_700_000_000,
            updated_at: 1_700_000_001,
            grant: Grant::User,
            revoked: false,
        }
    }

    // The behaviour through the public API is tested in tests/all/sqlite.rs;
    // these need private items (`resolve_key`, `create_private_dir`, the
    // connection behind `lock`).

    #[test]
    #[cfg(unix)]
    fn key_file_is_created_0600_and_reused() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = tmp("keyfile");
        let key = resolve_key(&dir.0, None).unwrap_err();
        // The directory does not exist yet: `open` creates it first.
        assert!(matches!(key, StoreError::Io { .. }));
        create_private_dir(&dir.0).unwrap();
        let dir_mode = fs::metadata(&dir.0).unwrap().permissions().mode() & 0o777;
        assert_eq!(dir_mode, 0o700);
        let first = resolve_key(&dir.0, None).unwrap();
        let meta = fs::metadata(dir.0.join(KEY_FILE)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(meta.len(), 32);
        assert_eq!(resolve_key(&dir.0, None).unwrap(), first);
        assert_ne!(first, [0; 32]);

        let store = SqliteStore::open_with_key(&dir.0, first).unwrap();
        store.put_account(&account("work")).unwrap();
        let db_mode = fs::metadata(dir.0.join(DB_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(db_mode & 0o777, 0o600);
    }

    #[test]
    #[cfg(unix)]
    fn readable_key_file_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = tmp("keyperm");
        create_private_dir(&dir.0).unwrap();
        let path = dir.0.join(KEY_FILE);
        fs::write(&path, [1u8; 32]).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = resolve_key(&dir.0, None).unwrap_err();
        let StoreError::Key(text) = &err else {
            panic!("expected Key, got {err:?}");
        };
        assert!(text.contains("readable by group or others"), "{text}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(resolve_key(&dir.0, None).unwrap(), [1u8; 32]);
        fs::write(&path, [1u8; 31]).unwrap();
        assert!(matches!(resolve_key(&dir.0, None), Err(StoreError::Key(_))));
    }

    #[test]
    fn a_store_opened_with_another_key_fails_at_once_and_clearly() {
        let dir = tmp("otherkey");
        let store = SqliteStore::open_with_key(&dir.0, [1; 32]).unwrap();
        store.put_account(&account("work")).unwrap();
        drop(store);
        let err = SqliteStore::open_with_key(&dir.0, [2; 32]).unwrap_err();
        let StoreError::Key(text) = &err else {
            panic!("expected Key, got {err:?}");
        };
        assert!(text.contains("sealed with another key"), "{text}");
        // Nothing was lost: the right key still opens it.
        let store = SqliteStore::open_with_key(&dir.0, [1; 32]).unwrap();
        assert!(store.get_account("work").unwrap().is_some());
    }

    /// Turns the row's blob into the version-1 form a schema-3 store wrote
    /// (associated data: the row's name only), and the store back to schema 3.
    fn downgrade_to_v1(store: &SqliteStore, name: &str, pending_id: &str) {
        let conn = store.lock();
        let row = SqliteStore::account_row(&conn, name).unwrap().unwrap();
        let secrets: AccountSecrets = store
            .open_blob(&row.aad(name), &row.secrets, "test")
            .unwrap();
        let mut blob = store.seal(&account_aad_v1(name), &secrets).unwrap();
        blob[0] = BLOB_V1; // the version byte is not authenticated data
        conn.execute(
            "UPDATE accounts SET secrets = ?2 WHERE name = ?1",
            params![name, blob],
        )
        .unwrap();
        let row = conn
            .query_row(
                &format!("SELECT {PENDING_COLUMNS} FROM pending WHERE id = ?1"),
                [pending_id],
                |r| PendingRow::read(r, 0),
            )
            .unwrap();
        let secrets: PendingSecrets = store
            .open_blob(&row.aad(pending_id), &row.secrets, "test")
            .unwrap();
        let mut blob = store.seal(&pending_aad_v1(pending_id), &secrets).unwrap();
        blob[0] = BLOB_V1;
        conn.execute(
            "UPDATE pending SET secrets = ?2 WHERE id = ?1",
            params![pending_id, blob],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 3).unwrap();
    }

    fn first_bytes(store: &SqliteStore) -> Vec<u8> {
        let conn = store.lock();
        let mut stmt = conn
            .prepare(
                "SELECT substr(secrets, 1, 1) FROM accounts
                 UNION ALL SELECT substr(secrets, 1, 1) FROM pending",
            )
            .unwrap();
        stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))
            .unwrap()
            .map(|b| b.unwrap()[0])
            .collect()
    }

    #[test]
    fn a_schema_3_store_is_sealed_again_with_its_rows_bound_when_opened() {
        let dir = tmp("v1upgrade");
        let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
        let acc = account("work");
        store.put_account(&acc).unwrap();
        let pending = PendingRecord {
            account: "work".into(),
            provider: acc.provider.clone(),
            client: acc.client.clone(),
            login: None,
            pending: PendingAuthorization {
                url: "https://auth.example/authorize?state=S".into(),
                state: Secret::new("S"),
                pkce_verifier: Secret::new("V"),
                nonce: None,
                redirect_uri: acc.client.redirect_uri.clone(),
                scopes: vec!["mail".into()],
            },
            created_at: now(),
        };
        store.put_pending("p1", &pending).unwrap();
        downgrade_to_v1(&store, "work", "p1");
        assert_eq!(first_bytes(&store), [BLOB_V1, BLOB_V1]);
        // A version-1 blob is not read as a row's blob ...
        assert!(matches!(
            store.get_account("work"),
            Err(StoreError::Integrity(_))
        ));
        drop(store);

        // ... but opening the store seals every one again, bound to its row.
        let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
        assert_eq!(first_bytes(&store), [BLOB_VERSION, BLOB_VERSION]);
        let version: u32 = store
            .lock()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(store.get_account("work").unwrap(), Some(acc));
        assert_eq!(store.take_pending("p1").unwrap(), Some(pending));
        // And now bound: a changed endpoint is refused.
        store
            .lock()
            .execute(
                "UPDATE accounts SET provider = replace(provider, 'token', 'evil')",
                [],
            )
            .unwrap();
        assert!(matches!(
            store.get_account("work"),
            Err(StoreError::Integrity(_))
        ));
    }

    #[test]
    fn a_version_1_blob_that_does_not_open_is_not_sealed_again() {
        // A v1 blob for another row (moved by someone without the key) stays
        // an integrity error: the upgrade never launders it.
        let dir = tmp("v1moved");
        let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
        store.put_account(&account("alice")).unwrap();
        store.put_account(&account("mallory")).unwrap();
        let conn = store.lock();
        let row = SqliteStore::account_row(&conn, "alice").unwrap().unwrap();
        let secrets: AccountSecrets = store
            .open_blob(&row.aad("alice"), &row.secrets, "test")
            .unwrap();
        let mut blob = store.seal(&account_aad_v1("alice"), &secrets).unwrap();
        blob[0] = BLOB_V1;
        conn.execute(
            "UPDATE accounts SET secrets = ?1 WHERE name = 'mallory'",
            [blob],
        )
        .unwrap();
        drop(conn);
        drop(store);
        let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
        assert!(matches!(
            store.get_account("mallory"),
            Err(StoreError::Integrity(_))
        ));
        assert!(store.get_account("alice").unwrap().is_some());
    }

    #[test]
    fn a_store_from_before_the_key_check_is_checked_against_its_rows() {
        let dir = tmp("oldstore");
        let store = SqliteStore::open_with_key(&dir.0, [1; 32]).unwrap();
        store.put_account(&account("work")).unwrap();
        store.lock().execute("DELETE FROM meta", []).unwrap();
        drop(store);
        assert!(matches!(
            SqliteStore::open_with_key(&dir.0, [2; 32]),
            Err(StoreError::Key(_))
        ));
        let store = SqliteStore::open_with_key(&dir.0, [1; 32]).unwrap();
        let checks: i64 = store
            .lock()
            .query_row("SELECT count(*) FROM meta", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            checks, 1,
            "the check value is written once the key is known good"
        );
    }

    #[test]
    fn a_missing_key_file_is_not_silently_replaced() {
        let dir = tmp("lostkey");
        let store = SqliteStore::open_resolving(&dir.0, None).unwrap();
        store.put_account(&account("work")).unwrap();
        drop(store);
        fs::remove_file(dir.0.join(KEY_FILE)).unwrap();
        let err = SqliteStore::open_resolving(&dir.0, None).unwrap_err();
        let StoreError::Key(text) = &err else {
            panic!("expected Key, got {err:?}");
        };
        assert!(
            text.contains("key file") && text.contains("is missing"),
            "{text}"
        );
        assert!(!dir.0.join(KEY_FILE).exists(), "no new key is left behind");
    }

    #[test]
    fn processes_starting_at_once_agree_on_one_whole_key() {
        for round in 0..20 {
            let dir = tmp(&format!("keyrace{round}"));
            create_private_dir(&dir.0).unwrap();
            let start = std::sync::Barrier::new(8);
            let keys: Vec<_> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        scope.spawn(|| {
                            start.wait();
                            load_or_create_key_file(&dir.0.join(KEY_FILE))
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let first = keys[0].as_ref().expect("no reader saw a half-written key");
            for key in &keys {
                assert_eq!(
                    key.as_ref().expect("no reader saw a half-written key"),
                    first
                );
            }
            let names: Vec<_> = fs::read_dir(&dir.0)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(
                names,
                [std::ffi::OsString::from(KEY_FILE)],
                "no temporary file is left"
            );
        }
    }

    #[test]
    #[cfg(unix)]
    fn an_existing_store_dir_is_made_private() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = tmp("shareddir");
        fs::create_dir_all(&dir.0).unwrap();
        fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o755)).unwrap();
        SqliteStore::open_with_key(&dir.0, [1; 32]).unwrap();
        assert_eq!(
            fs::metadata(&dir.0).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }

    #[test]
    fn key_from_environment() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let good = OsString::from(b64.encode([9u8; 32]));
        let dir = tmp("envkey");
        assert_eq!(resolve_key(&dir.0, Some(good)).unwrap(), [9u8; 32]);
        // The key file is not touched when the environment has the key.
        assert!(!dir.0.join(KEY_FILE).exists());
        let short = OsString::from(b64.encode([9u8; 16]));
        let err = resolve_key(&dir.0, Some(short)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "store key: MAIL_OAUTH_KEY must be the base64 of 32 bytes, it decodes to 16 bytes"
        );
        assert!(matches!(
            resolve_key(&dir.0, Some("not base64!".into())),
            Err(StoreError::Key(_))
        ));
    }

    #[test]
    fn two_handles_share_the_directory() {
        let dir = tmp("twohandles");
        let a = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
        let b = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
        a.put_account(&account("one")).unwrap();
        b.put_account(&account("two")).unwrap();
        assert!(b.get_account("one").unwrap().is_some());
        assert!(a.get_account("two").unwrap().is_some());
        // A read transaction open on one handle does not block the other's
        // writes (WAL).
        let conn_a = a.lock();
        let mut stmt = conn_a.prepare("SELECT name FROM accounts").unwrap();
        let mut rows = stmt.query([]).unwrap();
        assert!(rows.next().unwrap().is_some());
        b.update_tokens("one", &account("one").tokens).unwrap();
        drop(rows);
        drop(stmt);
        drop(conn_a);
        let journal: String = b
            .lock()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
        assert_eq!(a.list_accounts().unwrap().len(), 2);
    }
}
