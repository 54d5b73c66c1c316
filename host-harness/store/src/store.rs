//! What an account store is: the records it keeps, its errors, and the
//! [`AccountStore`] trait that every backend implements ([`crate::sqlite`]
//! is the embedded one). [`crate::accounts`] is written against the trait
//! only, so a second backend plugs in without touching it.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use mail_oauth_runtime::model::{Client, PendingAuthorization, Provider, TokenSet};
use serde::{Deserialize, Serialize};

use crate::lock::LockError;

/// How long a pending authorization is kept: the user has this long to finish
/// signing in before `take_pending` forgets the request.
pub const PENDING_TTL_SECS: u64 = 60 * 60;
/// The longest account name or pending id, in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// How long a caller waits for an account's lock by default before
/// failing with [`StoreError::Busy`]: far longer than a refresh takes.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Everything that can go wrong in the store. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file-system operation on `path` failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The database failed (SQLite: locked past the busy timeout, disk
    /// full, corrupt file).
    #[error("account database: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The key is missing, malformed, or its file is unsafe.
    #[error("store key: {0}")]
    Key(String),
    /// A row failed its integrity check: its sealed blob, or one of the clear
    /// columns the blob is bound to (provider and endpoints, client id,
    /// redirect URI, login, …), was changed outside mail-oauth, or the blob
    /// was moved from another row. Nothing of the row is used and nothing is
    /// sent. Names the row.
    #[error(
        "{0} failed its integrity check: the stored row was changed outside mail-oauth; nothing was used or sent (remove the account and authorize again)"
    )]
    Integrity(String),
    /// A row's clear columns cannot be decoded (not written by this code).
    #[error("corrupt {what}: {reason}")]
    Corrupt {
        /// The row, e.g. `account "work"`.
        what: String,
        /// What failed to decode.
        reason: String,
    },
    /// The database was written by a newer version of this program.
    #[error("account database schema version {found} is newer than supported ({supported})")]
    UnsupportedSchema {
        /// The file's `user_version`.
        found: u32,
        /// The newest version this code knows.
        supported: u32,
    },
    /// No account by that name.
    #[error("no account named {0:?}")]
    NotFound(String),
    /// An account name or pending id is empty, too long, or holds a control
    /// character. The text says which (it does not echo the name).
    #[error("invalid name: {0}")]
    InvalidName(String),
    /// The account's lock ([`AccountStore::lock_account`]) could not be had
    /// in time: another thread or process kept it (a refresh, or a mail
    /// session that may refresh) for longer than `waited`.
    #[error(
        "account {account:?} is busy: another caller held its refresh lock for more than {} s",
        waited.as_secs_f64()
    )]
    Busy {
        /// The account.
        account: String,
        /// How long this caller waited.
        waited: Duration,
    },
}

type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One authorized mailbox account, as the CLI and host keep it.
///
/// `Debug` prints no secret: the client secret and tokens are [`Secret`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The admin's name for the account (the primary key).
    pub name: String,
    /// The authorization server.
    pub provider: Provider,
    /// The OAuth client the account was authorized with.
    pub client: Client,
    /// The mailbox identity (SASL user), when known.
    pub login: Option<String>,
    /// The current tokens.
    pub tokens: TokenSet,
    /// When the account was first stored, unix seconds.
    pub created_at: u64,
    /// When the account was last written, unix seconds.
    pub updated_at: u64,
    /// How the tokens are obtained again when they expire.
    pub grant: Grant,
    /// The grant was revoked at the provider: the tokens must not be used
    /// until the account is authorized again (which clears it).
    pub revoked: bool,
}

/// How an account's tokens are obtained again once the access token expires.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// A user's grant (code or device flow): refreshed with its refresh token.
    #[default]
    User,
    /// App-only tokens (client credentials): granted again, there is no
    /// refresh token.
    ClientCredentials,
}

impl Grant {
    /// The name stored and shown: `user` or `client_credentials`.
    pub fn name(self) -> &'static str {
        match self {
            Grant::User => "user",
            Grant::ClientCredentials => "client_credentials",
        }
    }

    /// The grant named `name` (see [`Grant::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "user" => Some(Grant::User),
            "client_credentials" => Some(Grant::ClientCredentials),
            _ => None,
        }
    }
}

/// What `list_accounts` shows: no secret at all (so it may be printed or
/// serialized as is, e.g. `mail-oauth accounts --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    /// The account's name.
    pub name: String,
    /// The provider's id (`google`, `microsoft`, ...).
    pub provider_id: String,
    /// The mailbox identity, when known.
    pub login: Option<String>,
    /// The unverified e-mail from the ID token, when known.
    pub account_email: Option<String>,
    /// When the access token expires, unix seconds, when known.
    pub expires_at: Option<u64>,
    /// Whether a refresh token is stored (without one, the account must be
    /// authorized again when the access token expires).
    pub has_refresh_token: bool,
    /// When the account was last written, unix seconds.
    pub updated_at: u64,
    /// How the tokens are obtained again.
    pub grant: Grant,
    /// Whether the grant was revoked at the provider.
    pub revoked: bool,
}

/// The first half of a two-step authorization (`mail-oauth authorize --begin`
/// then `--complete`), kept until the user comes back with the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRecord {
    /// The account the authorization is for.
    pub account: String,
    /// The authorization server.
    pub provider: Provider,
    /// The OAuth client.
    pub client: Client,
    /// The expected mailbox identity.
    pub login: Option<String>,
    /// What the component returned from `begin-authorization`.
    pub pending: PendingAuthorization,
    /// When the request began, unix seconds; entries older than
    /// [`PENDING_TTL_SECS`] are purged.
    pub created_at: u64,
}

/// Where accounts and pending authorizations are kept, encrypted, and how
/// one refresh at a time per account is ensured.
///
/// `Send + Sync`: one handle serves every thread of a host. Every method
/// validates names with [`validate_name`]. No method returns or logs a
/// secret in an error.
pub trait AccountStore: Send + Sync + std::fmt::Debug {
    /// Takes account `name`'s lock, shared by every thread using this handle
    /// and every process (or other handle) using this directory; released
    /// when the guard is dropped or the process ends. Waits at most
    /// `timeout`, then fails with [`StoreError::Busy`]. Not reentrant: a
    /// thread that holds the lock and asks again waits for itself.
    ///
    /// Hold it from reading the tokens to storing refreshed ones, and for
    /// nothing else: see [`crate::lock`] for how the SQLite store does it, and why.
    fn lock_account(&self, name: &str, timeout: Duration) -> Result<AccountLock<'_>>;

    /// Inserts `account`, or replaces the account of the same name.
    fn put_account(&self, account: &Account) -> Result<()>;

    /// The account named `name`, or `None`.
    fn get_account(&self, name: &str) -> Result<Option<Account>>;

    /// Every account, by name, without secrets (needs no decryption, so it
    /// works even with the wrong key).
    fn list_accounts(&self) -> Result<Vec<AccountSummary>>;

    /// Removes the account; `false` when there was none.
    fn remove_account(&self, name: &str) -> Result<bool>;

    /// Replaces the account's tokens (after a refresh; a rotated refresh token
    /// must be stored before it is used again) and stamps `updated_at`.
    /// [`StoreError::NotFound`] when there is no such account.
    fn update_tokens(&self, name: &str, tokens: &TokenSet) -> Result<()>;

    /// Stores a pending authorization under `id` (replacing one of the same
    /// id), after purging expired ones.
    fn put_pending(&self, id: &str, record: &PendingRecord) -> Result<()>;

    /// Removes and returns the pending authorization `id` (so a callback can
    /// be completed once only), or `None` when there is none or it expired.
    fn take_pending(&self, id: &str) -> Result<Option<PendingRecord>>;

    /// The pending authorization `id`, left in place, or `None` when there is
    /// none or it expired: a failed or forged completion attempt must not
    /// consume it.
    fn get_pending(&self, id: &str) -> Result<Option<PendingRecord>>;

    /// Removes the pending authorization `id`; `false` when there was none.
    fn remove_pending(&self, id: &str) -> Result<bool>;

    /// Marks the account's grant as revoked (or not) and stamps
    /// `updated_at`; `false` when there is no such account.
    fn set_revoked(&self, name: &str, revoked: bool) -> Result<bool>;
}

/// One account's lock, held until dropped (or until the process ends,
/// however it ends): whoever holds it is the only one refreshing the
/// account's tokens.
pub struct AccountLock<'a> {
    account: String,
    held: Box<dyn HeldLock + 'a>,
}

/// What a backend's lock guard does besides releasing the lock on drop.
pub trait HeldLock: Send {
    /// Forgets whatever the lock leaves behind for this account (a lock
    /// file), when the account itself is removed. Safe while others wait.
    fn discard(&self) -> Result<()>;
}

impl<'a> AccountLock<'a> {
    /// Wraps a backend's guard for `account`.
    pub fn new(account: impl Into<String>, held: impl HeldLock + 'a) -> Self {
        Self {
            account: account.into(),
            held: Box::new(held),
        }
    }

    /// The account this lock is for.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// See [`HeldLock::discard`].
    pub fn discard(&self) -> Result<()> {
        self.held.discard()
    }
}

impl std::fmt::Debug for AccountLock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountLock")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl From<LockError> for StoreError {
    fn from(e: LockError) -> Self {
        match e {
            LockError::Busy { account, waited } => StoreError::Busy { account, waited },
            LockError::Io { path, source } => StoreError::Io { path, source },
        }
    }
}

/// Checks an account name or pending id: 1 to 128 characters, none of them a
/// control character (they would garble a terminal listing).
pub fn validate_name(name: &str) -> Result<()> {
    let chars = name.chars().count();
    if chars == 0 {
        return Err(StoreError::InvalidName("the name is empty".to_owned()));
    }
    if chars > MAX_NAME_CHARS {
        return Err(StoreError::InvalidName(format!(
            "the name has {chars} characters, at most {MAX_NAME_CHARS} are allowed"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::InvalidName(
            "the name holds a control character".to_owned(),
        ));
    }
    Ok(())
}
