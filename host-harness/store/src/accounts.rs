//! Accounts: the component's flows glued to the encrypted store and to an
//! HTTP client whose egress policy allows exactly the account's provider.
//!
//! This is what the `mail-oauth` CLI does, as a library, so that a platform
//! (or a test) can do the same without spawning the CLI.
//!
//! Concurrent refreshes: every operation that may refresh an account's
//! tokens (or replace them) holds the account's lock
//! ([`AccountStore::lock_account`]) from reading the stored tokens to
//! storing the new ones, so that threads and processes sharing a store
//! never present one refresh token twice (with rotation, the second use
//! kills the grant). A caller that waited re-reads the store and, when the
//! tokens changed meanwhile, uses them instead of refreshing again.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::ClientConfig;

use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::error::{Error, MailFailure, OAuthError};
use mail_oauth_runtime::http_client::{HttpClient, HttpLimits};
use mail_oauth_runtime::model::{
    AuthorizationOptions, Client, Credentials, DeviceAuthorization, DevicePoll, Login, MailApi,
    MailProtocol, Mechanism, PendingAuthorization, PresetKind, Provider, Refreshable, Report,
    Secret, Server, TestMessage, TokenKind, TokenSet,
};
use mail_oauth_runtime::transport::{TlsRoots, TransportLimits, Transports};
use mail_oauth_runtime::{CallLimits, Plugin, Session, SessionConfig};

use crate::store::{
    Account, AccountLock, AccountStore, DEFAULT_LOCK_TIMEOUT, Grant, PendingRecord, StoreError,
};

/// Network settings shared by every request an [`Accounts`] makes.
#[derive(Debug, Clone, Default)]
pub struct NetworkOptions {
    /// Allow plain `http` and loopback addresses (local test servers only).
    pub allow_loopback: bool,
    /// Limits of the HTTP client; defaults when `None`.
    pub limits: Option<HttpLimits>,
    /// Extra CA certificates (PEM files) trusted for mail servers, besides
    /// the system's roots.
    pub ca_files: Vec<PathBuf>,
    /// Limits of mail connections; defaults when `None`.
    pub transport_limits: Option<TransportLimits>,
    /// Limits of each call of a mail session (its
    /// [`CallLimits::max_call_time`] is the deadline of every mail read,
    /// write and handshake, and so bounds how long a dialogue holds the
    /// account's lock); defaults when `None`.
    pub call_limits: Option<CallLimits>,
}

/// A failure of an account operation.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The component reported an error (or trapped).
    #[error(transparent)]
    Plugin(#[from] Error),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// No such account.
    #[error("no account named {0:?}")]
    UnknownAccount(String),
    /// The provider names no server for this protocol and none was given.
    #[error("the account's provider names no {0:?} server")]
    NoMailServer(MailProtocol),
    /// The TLS roots could not be loaded.
    #[error("cannot load the CA certificates: {0}")]
    TlsRoots(String),
    /// No pending authorization for this account.
    #[error("no pending authorization for {0:?} (it expired or was already completed)")]
    NoPendingAuthorization(String),
    /// The account's grant was revoked: its tokens are not used until it is
    /// authorized again.
    #[error("the grant of account {0:?} was revoked: authorize the account again")]
    Revoked(String),
    /// The provider signed in another mailbox than the one the
    /// authorization asked for (`--login-hint`): the ID token's e-mail
    /// differs. Nothing was saved (an existing account of that name is kept
    /// as it was) and the code is spent.
    #[error(
        "the provider signed in {got:?}, not {expected:?} as asked: nothing was saved; authorize again and sign in as {expected:?}"
    )]
    AccountMismatch {
        /// The login hint.
        expected: String,
        /// The ID token's e-mail.
        got: String,
    },
    /// Another thread or process kept the account's lock (a refresh, or a
    /// mail session that may refresh) for longer than the lock timeout
    /// ([`Accounts::with_lock_timeout`]); nothing was changed. Trying again
    /// later is safe.
    #[error(
        "account {account:?} is busy: another caller held its refresh lock for more than {} s; try again",
        waited.as_secs_f64()
    )]
    Busy {
        /// The account.
        account: String,
        /// How long this caller waited.
        waited: Duration,
    },
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy { account, waited } => AccountError::Busy { account, waited },
            other => AccountError::Store(other),
        }
    }
}

impl AccountError {
    /// A stable machine name for the case.
    pub fn kind(&self) -> &'static str {
        match self {
            AccountError::Plugin(e) => e.kind(),
            AccountError::Store(StoreError::Integrity(_)) => "integrity",
            AccountError::Store(_) => "store",
            AccountError::UnknownAccount(_) => "unknown_account",
            AccountError::NoMailServer(_) => "no_mail_server",
            AccountError::TlsRoots(_) => "tls_roots",
            AccountError::NoPendingAuthorization(_) => "no_pending_authorization",
            AccountError::Revoked(_) => "revoked",
            AccountError::Busy { .. } => "busy",
            AccountError::AccountMismatch { .. } => "account_mismatch",
        }
    }

    /// True when the user must run `authorize` again.
    pub fn is_reauthorize_required(&self) -> bool {
        matches!(
            self,
            AccountError::Plugin(Error::OAuth(OAuthError::ReauthorizeRequired { .. }))
                | AccountError::Revoked(_)
        )
    }

    /// True when this failure of a code exchange is a definitive answer
    /// about the code (the provider refused it, or the user refused
    /// consent): the pending authorization is spent. Anything else (a
    /// forged or mistyped callback, the provider unreachable or saying
    /// "later", a 5xx) leaves it usable.
    pub fn consumes_pending(&self) -> bool {
        matches!(
            self,
            AccountError::AccountMismatch { .. }
                | AccountError::Plugin(Error::OAuth(
                    OAuthError::ReauthorizeRequired { .. }
                        | OAuthError::ProviderError { .. }
                        | OAuthError::AccessDenied(_)
                ))
        )
    }
}

/// The current time in unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// Whether `tokens` stay valid for more than `skew` seconds after `now`
/// (an unknown expiry counts as valid). The component's `ensure-fresh`
/// applies the same rule; the host checks it first to skip the lock and the
/// component when no refresh is due.
fn fresh_enough(tokens: &TokenSet, now: u64, skew: u32) -> bool {
    tokens
        .expires_at
        .is_none_or(|at| at > now.saturating_add(u64::from(skew)))
}

/// The CLI's account operations over one plugin and one store.
///
/// `Sync`: share one between threads. Refreshes of one account are
/// serialized (see the module documentation); different accounts never wait
/// for each other.
pub struct Accounts {
    plugin: Arc<Plugin>,
    store: Box<dyn AccountStore>,
    network: NetworkOptions,
    /// Loaded on the first mail operation: reading the system's roots costs
    /// milliseconds, and OAuth-only operations never need them.
    tls: OnceLock<Arc<ClientConfig>>,
    /// How long to wait for an account's lock.
    lock_timeout: Duration,
}

impl Accounts {
    /// Ties a loaded plugin to a store.
    pub fn new(
        plugin: Arc<Plugin>,
        store: impl AccountStore + 'static,
        network: NetworkOptions,
    ) -> Self {
        Self {
            plugin,
            store: Box::new(store),
            network,
            tls: OnceLock::new(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// How long an operation waits for an account's lock before failing with
    /// [`AccountError::Busy`] (default [`DEFAULT_LOCK_TIMEOUT`], 60 s).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Takes account `name`'s lock (see [`AccountStore::lock_account`]).
    pub fn lock(&self, name: &str) -> Result<AccountLock<'_>, AccountError> {
        Ok(self.store.lock_account(name, self.lock_timeout)?)
    }

    /// The store.
    pub fn store(&self) -> &dyn AccountStore {
        &*self.store
    }

    /// An HTTP client allowed to reach `urls` and nothing else.
    pub fn http_for<'a>(&self, urls: impl IntoIterator<Item = &'a str>) -> Arc<HttpClient> {
        let mut policy = EgressPolicy::deny_all().allow_loopback(self.network.allow_loopback);
        for url in urls {
            // An unparsable URL allows nothing; the component reports it.
            if let Ok(p) = policy.clone().allow_url(url) {
                policy = p;
            }
        }
        let limits = self.network.limits.clone().unwrap_or_default();
        Arc::new(HttpClient::new(policy, limits))
    }

    /// An HTTP client for one provider: its token, device and revocation
    /// endpoints.
    pub fn http_for_provider(&self, provider: &Provider) -> Arc<HttpClient> {
        let urls = std::iter::once(provider.token_endpoint.as_str())
            .chain(provider.device_authorization_endpoint.as_deref())
            .chain(provider.revocation_endpoint.as_deref());
        self.http_for(urls)
    }

    /// The built-in provider presets.
    pub fn providers(&self) -> Result<Vec<Provider>, AccountError> {
        let mut s = self.plugin.session(self.http_for([]))?;
        Ok(s.providers()?)
    }

    /// A preset by its id (`google`, `microsoft` for `tenant`, `yahoo`,
    /// `aol`, `fastmail`, `yandex`, `mail-ru`, `comcast`, `seznam`).
    pub fn preset(&self, name: &str, tenant: Option<&str>) -> Result<Provider, AccountError> {
        let kind = match name {
            "google" => PresetKind::Google,
            "microsoft" => PresetKind::Microsoft(tenant.unwrap_or("common").to_owned()),
            "yahoo" => PresetKind::Yahoo,
            "aol" => PresetKind::Aol,
            "fastmail" => PresetKind::Fastmail,
            "yandex" => PresetKind::Yandex,
            "mail-ru" => PresetKind::MailRu,
            "comcast" => PresetKind::Comcast,
            "seznam" => PresetKind::Seznam,
            other => {
                return Err(Error::OAuth(OAuthError::InvalidInput(format!(
                    "unknown provider {other:?} (google, microsoft, yahoo, aol, fastmail, \
                     yandex, mail-ru, comcast, seznam)"
                )))
                .into());
            }
        };
        let mut s = self.plugin.session(self.http_for([]))?;
        Ok(s.preset(kind)?)
    }

    /// The preset serving a mail host or e-mail domain, if any.
    pub fn preset_for_host(&self, host: &str) -> Result<Option<Provider>, AccountError> {
        let mut s = self.plugin.session(self.http_for([]))?;
        match s.preset_for_host(host)? {
            Some(kind) => Ok(Some(s.preset(kind)?)),
            None => Ok(None),
        }
    }

    /// Discovery from an issuer: only the issuer's origin may be reached.
    pub fn discover(&self, issuer: &str) -> Result<Provider, AccountError> {
        let mut s = self.plugin.session(self.http_for([issuer]))?;
        Ok(s.discover(issuer)?)
    }

    /// First half of the code flow.
    pub fn begin(
        &self,
        provider: &Provider,
        client: &Client,
        options: &AuthorizationOptions,
    ) -> Result<PendingAuthorization, AccountError> {
        let mut s = self.plugin.session(self.http_for([]))?;
        Ok(s.begin_authorization(provider, client, options)?)
    }

    /// Second half of the code flow: checks the callback, exchanges the
    /// code and saves the account.
    pub fn complete(
        &self,
        record: &PendingRecord,
        callback: &str,
    ) -> Result<Account, AccountError> {
        let mut s = self
            .plugin
            .session(self.http_for_provider(&record.provider))?;
        let now = unix_now();
        let tokens = s.complete_authorization(
            &record.provider,
            &record.client,
            &record.pending,
            callback,
            now,
        )?;
        self.save_granted(
            &record.account,
            &record.provider,
            &record.client,
            record.login.clone(),
            tokens,
            Grant::User,
        )
    }

    /// Saves a new grant as account `name` (replacing any account of that
    /// name, and clearing a revocation). The login defaults to the ID
    /// token's e-mail; a login that differs from it is
    /// [`AccountError::AccountMismatch`] and saves nothing.
    pub fn save_granted(
        &self,
        name: &str,
        provider: &Provider,
        client: &Client,
        login: Option<String>,
        tokens: TokenSet,
        grant: Grant,
    ) -> Result<Account, AccountError> {
        // A login hint asks for one mailbox; the user may still sign in
        // with another (a second Google session, say). Saving that grant
        // under this account would send mail as the wrong mailbox.
        if let (Some(expected), Some(got)) = (&login, &tokens.account_email)
            && !expected.eq_ignore_ascii_case(got)
        {
            return Err(AccountError::AccountMismatch {
                expected: expected.clone(),
                got: got.clone(),
            });
        }
        let now = unix_now();
        let account = Account {
            name: name.to_owned(),
            provider: provider.clone(),
            client: client.clone(),
            login: login.or_else(|| tokens.account_email.clone()),
            tokens,
            created_at: now,
            updated_at: now,
            grant,
            revoked: false,
        };
        // Under the lock: a refresh of the old grant still in flight must
        // not store its result over the new tokens. Its caller, or any
        // waiter, then sees tokens changed and uses them.
        let _lock = self.lock(&account.name)?;
        self.store.put_account(&account)?;
        Ok(account)
    }

    /// Starts a device authorization (RFC 8628) at the provider.
    pub fn begin_device(
        &self,
        provider: &Provider,
        client: &Client,
        options: &AuthorizationOptions,
    ) -> Result<DeviceAuthorization, AccountError> {
        let mut s = self.plugin.session(self.http_for_provider(provider))?;
        Ok(s.begin_device_authorization(provider, client, options, unix_now())?)
    }

    /// Polls a device authorization once.
    pub fn poll_device(
        &self,
        provider: &Provider,
        client: &Client,
        device: &DeviceAuthorization,
    ) -> Result<DevicePoll, AccountError> {
        let mut s = self.plugin.session(self.http_for_provider(provider))?;
        Ok(s.poll_device_authorization(provider, client, device, unix_now())?)
    }

    /// App-only tokens (client credentials) for mailbox `user`, saved as
    /// account `name`: their tokens are granted again when they expire.
    pub fn authorize_client_credentials(
        &self,
        name: &str,
        provider: &Provider,
        client: &Client,
        user: &str,
        scopes: &[String],
    ) -> Result<Account, AccountError> {
        let mut s = self.plugin.session(self.http_for_provider(provider))?;
        let mut tokens = s.client_credentials(provider, client, scopes, unix_now())?;
        if !scopes.is_empty() {
            // What to ask for next time, even if the answer named others.
            tokens.scopes = scopes.to_vec();
        }
        self.save_granted(
            name,
            provider,
            client,
            Some(user.to_owned()),
            tokens,
            Grant::ClientCredentials,
        )
    }

    /// Keeps a pending authorization for the two-step (`--no-listen`) mode.
    pub fn save_pending(&self, record: &PendingRecord) -> Result<(), AccountError> {
        Ok(self.store.put_pending(&record.account, record)?)
    }

    /// Second half of the two-step mode. The pending authorization survives
    /// every failure but a definitive answer about the code
    /// ([`AccountError::consumes_pending`]): a wrong-state callback, a
    /// garbage paste or the provider being down leave it for another try.
    pub fn complete_pending(&self, account: &str, callback: &str) -> Result<Account, AccountError> {
        let record = self
            .store
            .get_pending(account)?
            .ok_or_else(|| AccountError::NoPendingAuthorization(account.to_owned()))?;
        let result = self.complete(&record, callback);
        match &result {
            Ok(_) => {
                self.store.remove_pending(account)?;
            }
            Err(e) if e.consumes_pending() => {
                self.store.remove_pending(account)?;
            }
            Err(_) => {}
        }
        result
    }

    /// The account, or `UnknownAccount`.
    pub fn get(&self, name: &str) -> Result<Account, AccountError> {
        self.store
            .get_account(name)?
            .ok_or_else(|| AccountError::UnknownAccount(name.to_owned()))
    }

    /// A token set valid for at least `skew` more seconds, refreshed (and
    /// stored) when needed or when `force` is set. The flag is true when
    /// this call refreshed.
    ///
    /// One refresh at a time per account, across threads and processes:
    /// a refresh happens under the account's lock, and a caller that had to
    /// wait for it re-reads the store. When the tokens changed while it
    /// waited (another caller refreshed, or the account was authorized
    /// again) and are not expired, it returns them without refreshing,
    /// `force` or not: a forced refresh is satisfied by one that happened
    /// after the call began. [`AccountError::Busy`] when the lock cannot be
    /// had within the lock timeout.
    pub fn fresh_tokens(
        &self,
        name: &str,
        skew: u32,
        force: bool,
    ) -> Result<(Account, bool), AccountError> {
        let seen = self.get(name)?;
        if seen.revoked {
            return Err(AccountError::Revoked(name.to_owned()));
        }
        if !force && fresh_enough(&seen.tokens, unix_now(), skew) {
            return Ok((seen, false));
        }
        let _lock = self.lock(name)?;
        let mut account = self.get(name)?;
        if account.revoked {
            return Err(AccountError::Revoked(name.to_owned()));
        }
        if account.tokens != seen.tokens && fresh_enough(&account.tokens, unix_now(), 0) {
            return Ok((account, false));
        }
        let mut s = self
            .plugin
            .session(self.http_for_provider(&account.provider))?;
        let now = unix_now();
        let (tokens, refreshed) = if account.grant == Grant::ClientCredentials {
            // App-only tokens have no refresh token: grant again.
            let mut t = s.client_credentials(
                &account.provider,
                &account.client,
                &account.tokens.scopes,
                now,
            )?;
            t.scopes = account.tokens.scopes.clone();
            (t, true)
        } else if force {
            let t = s.refresh(&account.provider, &account.client, &account.tokens, now)?;
            (t, true)
        } else {
            s.ensure_fresh(
                &account.provider,
                &account.client,
                &account.tokens,
                now,
                skew,
            )?
        };
        if refreshed {
            self.store.update_tokens(name, &tokens)?;
            account.tokens = tokens;
            account.updated_at = now;
        }
        Ok((account, refreshed))
    }

    /// The XOAUTH2 string for the account, with a fresh token.
    pub fn xoauth2(&self, name: &str, user: Option<&str>) -> Result<Secret, AccountError> {
        let (account, _) = self.fresh_tokens(name, 60, false)?;
        let user = user
            .map(str::to_owned)
            .or(account.login.clone())
            .or(account.tokens.account_email.clone())
            .unwrap_or_default();
        let mut s = self.plugin.session(self.http_for([]))?;
        Ok(s.xoauth2(&user, &account.tokens.access_token)?)
    }

    /// Revokes the account's grant at the provider: the refresh token when
    /// there is one (which ends the grant), else the access token. The local
    /// record is kept; `remove` deletes it. Under the account's lock, so it
    /// revokes the current refresh token, not one a refresh is replacing.
    ///
    /// Once revoked, the account's tokens are refused (`token`, `xoauth2`,
    /// mail checks fail with [`AccountError::Revoked`]) until it is
    /// authorized again: a revoked access token may still work at some
    /// servers until it expires, and a password command must not keep
    /// feeding it.
    pub fn revoke(&self, name: &str) -> Result<TokenKind, AccountError> {
        let _lock = self.lock(name)?;
        let account = self.get(name)?;
        let mut s = self
            .plugin
            .session(self.http_for_provider(&account.provider))?;
        let (token, kind) = match &account.tokens.refresh_token {
            Some(rt) => (rt, TokenKind::RefreshToken),
            None => (&account.tokens.access_token, TokenKind::AccessToken),
        };
        s.revoke(&account.provider, &account.client, token, kind)?;
        self.store.set_revoked(name, true)?;
        Ok(kind)
    }

    /// Deletes the local record (after any refresh in progress), and the
    /// account's lock file.
    pub fn remove(&self, name: &str) -> Result<bool, AccountError> {
        let lock = self.lock(name)?;
        let removed = self.store.remove_account(name)?;
        lock.discard()?;
        Ok(removed)
    }

    /// The server for `protocol`: `server` when given, else the provider's
    /// first one for that protocol.
    pub fn mail_server(
        &self,
        account: &Account,
        protocol: MailProtocol,
        server: Option<Server>,
    ) -> Result<Server, AccountError> {
        server
            .or_else(|| {
                account
                    .provider
                    .mail_servers
                    .iter()
                    .find(|m| m.protocol == protocol)
                    .map(|m| m.server.clone())
            })
            .ok_or(AccountError::NoMailServer(protocol))
    }

    /// Mail connections allowed to reach `server` and nothing else.
    pub fn transports_for(&self, server: &Server) -> Result<Arc<Transports>, AccountError> {
        let tls = match self.tls.get() {
            Some(tls) => tls.clone(),
            None => {
                let mut roots = TlsRoots::system();
                for file in &self.network.ca_files {
                    roots
                        .add_pem_file(file)
                        .map_err(|e| AccountError::TlsRoots(e.to_string()))?;
                }
                let config = roots
                    .client_config()
                    .map_err(|e| AccountError::TlsRoots(e.to_string()))?;
                self.tls.get_or_init(|| config).clone()
            }
        };
        let policy = EgressPolicy::deny_all()
            .allow_loopback(self.network.allow_loopback)
            .allow_host_port(&server.host, server.port)
            .map_err(|e| Error::OAuth(OAuthError::InvalidInput(e.to_string())))?;
        let limits = self.network.transport_limits.clone().unwrap_or_default();
        Ok(Arc::new(Transports::new(policy, limits, tls)))
    }

    /// Runs a mail dialogue for the account with refreshable credentials,
    /// and stores refreshed tokens whatever the outcome.
    ///
    /// The component may refresh at any point of the dialogue: before
    /// connecting when the token has expired, or after the server rejects
    /// it. So when the account has a refresh token, the whole dialogue runs
    /// under the account's lock, with the tokens read under it; concurrent
    /// mail sessions and refreshes of the account wait (a `token` call whose
    /// stored token is still fresh does not). The lock is bounded by the
    /// dialogue's own connect and I/O timeouts.
    fn with_mail_session(
        &self,
        name: &str,
        protocol: MailProtocol,
        server: Option<Server>,
        user: Option<&str>,
        mechanism: Option<Mechanism>,
        dialogue: impl FnOnce(&mut Session, &Server, &Login) -> Result<Report, MailFailure>,
    ) -> Result<(Server, Report), AccountError> {
        let (account, _lock) = self.mail_account(name)?;
        let server = self.mail_server(&account, protocol, server)?;
        let login = self.login(&account, user, mechanism);
        let mut s = self.plugin.session_with(SessionConfig {
            http: self.http_for_provider(&account.provider),
            transports: Some(self.transports_for(&server)?),
            limits: self.network.call_limits.clone().unwrap_or_default(),
        })?;
        let outcome = dialogue(&mut s, &server, &login);
        Ok((server, self.settle(name, outcome)?))
    }

    /// The mail login of `account`: `user`, else the account's login.
    /// Refreshable credentials, except for app-only tokens (a bare token,
    /// granted again by the host).
    fn login(&self, account: &Account, user: Option<&str>, mechanism: Option<Mechanism>) -> Login {
        let credentials = match account.grant {
            Grant::ClientCredentials => {
                Credentials::AccessToken(account.tokens.access_token.clone())
            }
            Grant::User => Credentials::Refreshable(Box::new(Refreshable {
                provider: account.provider.clone(),
                client: account.client.clone(),
                tokens: account.tokens.clone(),
                now: unix_now(),
            })),
        };
        Login {
            user: user
                .map(str::to_owned)
                .or(account.login.clone())
                .or(account.tokens.account_email.clone())
                .unwrap_or_default(),
            credentials,
            mechanism,
        }
    }

    /// Verifies that a mail API (Gmail, Graph) accepts the account's token,
    /// or sends `message` through it; stores refreshed tokens whatever the
    /// outcome.
    pub fn mail_api(
        &self,
        name: &str,
        api: MailApi,
        user: Option<&str>,
        message: Option<&TestMessage>,
    ) -> Result<Report, AccountError> {
        let (account, _lock) = self.mail_account(name)?;
        let login = self.login(&account, user, None);
        let api_url = match api {
            MailApi::Gmail => "https://gmail.googleapis.com/",
            MailApi::Graph => "https://graph.microsoft.com/",
        };
        let urls = [api_url, account.provider.token_endpoint.as_str()];
        let mut s = self.plugin.session(self.http_for(urls))?;
        let outcome = match message {
            Some(message) => s.send_via_api(api, &login, message),
            None => s.verify_api(api, &login),
        };
        self.settle(name, outcome)
    }

    /// The account for a mail operation, and its lock when the component may
    /// refresh its tokens during it. A revoked account is refused; app-only
    /// tokens are granted again first when they expire (the component gets
    /// them as a bare token, with no lock).
    fn mail_account(&self, name: &str) -> Result<(Account, Option<AccountLock<'_>>), AccountError> {
        let mut account = self.get(name)?;
        if account.revoked {
            return Err(AccountError::Revoked(name.to_owned()));
        }
        if account.grant == Grant::ClientCredentials {
            account = self.fresh_tokens(name, 60, false)?.0;
        }
        // Without a refresh token the component cannot refresh: no lock.
        match account.tokens.refresh_token {
            Some(_) => {
                let lock = self.lock(name)?;
                Ok((self.get(name)?, Some(lock)))
            }
            None => Ok((account, None)),
        }
    }

    /// Stores the tokens a mail operation refreshed, whatever its outcome
    /// (the refresh token may have rotated), then returns the outcome.
    fn settle(
        &self,
        name: &str,
        outcome: Result<Report, MailFailure>,
    ) -> Result<Report, AccountError> {
        let (result, refreshed) = match outcome {
            Ok(report) => {
                let refreshed = report.refreshed.clone();
                (Ok(report), refreshed)
            }
            Err(failure) => (Err(failure.error), failure.refreshed.map(|t| *t)),
        };
        if let Some(tokens) = refreshed {
            self.store.update_tokens(name, &tokens)?;
        }
        Ok(result?)
    }

    /// Verifies that the account's token opens its mailbox over `protocol`.
    pub fn check_mail(
        &self,
        name: &str,
        protocol: MailProtocol,
        server: Option<Server>,
        user: Option<&str>,
        mechanism: Option<Mechanism>,
    ) -> Result<(Server, Report), AccountError> {
        self.with_mail_session(
            name,
            protocol,
            server,
            user,
            mechanism,
            |s, server, login| match protocol {
                MailProtocol::Imap => s.verify_imap(server, login),
                MailProtocol::Pop3 => s.verify_pop3(server, login),
                MailProtocol::Smtp => s.verify_smtp(server, login),
            },
        )
    }

    /// Sends a test message through the account's SMTP server. `sender`
    /// defaults to the login; another sender needs `send_as`.
    #[allow(clippy::too_many_arguments)]
    pub fn send_test(
        &self,
        name: &str,
        server: Option<Server>,
        user: Option<&str>,
        sender: Option<&str>,
        recipients: Vec<String>,
        subject: &str,
        body: &str,
        send_as: bool,
    ) -> Result<(Server, Report), AccountError> {
        self.with_mail_session(
            name,
            MailProtocol::Smtp,
            server,
            user,
            None,
            |s, server, login| {
                let message = TestMessage {
                    sender: sender
                        .map(str::to_owned)
                        .unwrap_or_else(|| login.user.clone()),
                    recipients,
                    subject: subject.to_owned(),
                    body: body.to_owned(),
                    send_as,
                    now: unix_now(),
                };
                s.send_test_message(server, login, &message)
            },
        )
    }

    /// A one-line summary of a token set for display, without any secret.
    pub fn summary(tokens: &TokenSet) -> String {
        format!(
            "expires_at={} refresh_token={} scopes={}",
            tokens
                .expires_at
                .map(|e| e.to_string())
                .unwrap_or_else(|| "unknown".into()),
            if tokens.refresh_token.is_some() {
                "yes"
            } else {
                "no"
            },
            tokens.scopes.join(" ")
        )
    }
}
