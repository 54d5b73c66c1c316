//! Accounts: the component's flows glued to the encrypted store and to an
//! HTTP client whose egress policy allows exactly the account's provider.
//!
//! This is what the `mail-oauth` CLI does, as a library, so that a platform
//! (or a test) can do the same without spawning the CLI.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::egress::EgressPolicy;
use crate::error::{Error, OAuthError};
use crate::http_client::{HttpClient, HttpLimits};
use crate::model::{
    AuthorizationOptions, Client, PendingAuthorization, Provider, Secret, TokenKind, TokenSet,
};
use crate::plugin::Plugin;
use crate::store::{Account, AccountStore, PendingRecord, StoreError};

/// Network settings shared by every request an [`Accounts`] makes.
#[derive(Debug, Clone, Default)]
pub struct NetworkOptions {
    /// Allow plain `http` and loopback addresses (local test servers only).
    pub allow_loopback: bool,
    /// Limits of the HTTP client; defaults when `None`.
    pub limits: Option<HttpLimits>,
}

/// A failure of an account operation.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The component reported an error (or trapped).
    #[error(transparent)]
    Plugin(#[from] Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such account.
    #[error("no account named {0:?}: run `mail-oauth authorize --account {0}` first")]
    UnknownAccount(String),
    /// No pending authorization for this account.
    #[error(
        "no pending authorization for {0:?} (it expired or was already completed): run `mail-oauth authorize --no-listen` again"
    )]
    NoPendingAuthorization(String),
}

impl AccountError {
    /// A stable machine name for the case.
    pub fn kind(&self) -> &'static str {
        match self {
            AccountError::Plugin(e) => e.kind(),
            AccountError::Store(_) => "store",
            AccountError::UnknownAccount(_) => "unknown_account",
            AccountError::NoPendingAuthorization(_) => "no_pending_authorization",
        }
    }

    /// True when the user must run `authorize` again.
    pub fn is_reauthorize_required(&self) -> bool {
        matches!(
            self,
            AccountError::Plugin(Error::OAuth(OAuthError::ReauthorizeRequired { .. }))
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

/// The CLI's account operations over one plugin and one store.
pub struct Accounts {
    plugin: Arc<Plugin>,
    store: AccountStore,
    network: NetworkOptions,
}

impl Accounts {
    /// Ties a loaded plugin to a store.
    pub fn new(plugin: Arc<Plugin>, store: AccountStore, network: NetworkOptions) -> Self {
        Self {
            plugin,
            store,
            network,
        }
    }

    /// The store.
    pub fn store(&self) -> &AccountStore {
        &self.store
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

    /// An HTTP client for one provider: its token and revocation endpoints.
    pub fn http_for_provider(&self, provider: &Provider) -> Arc<HttpClient> {
        let urls = std::iter::once(provider.token_endpoint.as_str())
            .chain(provider.revocation_endpoint.as_deref());
        self.http_for(urls)
    }

    /// The built-in provider presets.
    pub fn providers(&self) -> Result<Vec<Provider>, AccountError> {
        let mut s = self.plugin.session(self.http_for([]))?;
        Ok(s.providers()?)
    }

    /// Google, or Microsoft for a tenant.
    pub fn preset(&self, name: &str, tenant: Option<&str>) -> Result<Provider, AccountError> {
        let mut s = self.plugin.session(self.http_for([]))?;
        Ok(match name {
            "google" => s.google()?,
            "microsoft" => s.microsoft(tenant.unwrap_or("common"))?,
            other => {
                return Err(Error::OAuth(OAuthError::InvalidInput(format!(
                    "unknown provider {other:?} (google, microsoft)"
                )))
                .into());
            }
        })
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
        let account = Account {
            name: record.account.clone(),
            provider: record.provider.clone(),
            client: record.client.clone(),
            login: record
                .login
                .clone()
                .or_else(|| tokens.account_email.clone()),
            tokens,
            created_at: now,
            updated_at: now,
        };
        self.store.put_account(&account)?;
        Ok(account)
    }

    /// Keeps a pending authorization for the two-step (`--no-listen`) mode.
    pub fn save_pending(&self, record: &PendingRecord) -> Result<(), AccountError> {
        Ok(self.store.put_pending(&record.account, record)?)
    }

    /// Second half of the two-step mode.
    pub fn complete_pending(&self, account: &str, callback: &str) -> Result<Account, AccountError> {
        let record = self
            .store
            .take_pending(account)?
            .ok_or_else(|| AccountError::NoPendingAuthorization(account.to_owned()))?;
        self.complete(&record, callback)
    }

    /// The account, or `UnknownAccount`.
    pub fn get(&self, name: &str) -> Result<Account, AccountError> {
        self.store
            .get_account(name)?
            .ok_or_else(|| AccountError::UnknownAccount(name.to_owned()))
    }

    /// A token set valid for at least `skew` more seconds, refreshed (and
    /// stored) when needed or when `force` is set.
    pub fn fresh_tokens(
        &self,
        name: &str,
        skew: u32,
        force: bool,
    ) -> Result<(Account, bool), AccountError> {
        let mut account = self.get(name)?;
        let mut s = self
            .plugin
            .session(self.http_for_provider(&account.provider))?;
        let now = unix_now();
        let (tokens, refreshed) = if force {
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
    /// record is kept; `remove` deletes it.
    pub fn revoke(&self, name: &str) -> Result<TokenKind, AccountError> {
        let account = self.get(name)?;
        let mut s = self
            .plugin
            .session(self.http_for_provider(&account.provider))?;
        let (token, kind) = match &account.tokens.refresh_token {
            Some(rt) => (rt, TokenKind::RefreshToken),
            None => (&account.tokens.access_token, TokenKind::AccessToken),
        };
        s.revoke(&account.provider, &account.client, token, kind)?;
        Ok(kind)
    }

    /// Deletes the local record.
    pub fn remove(&self, name: &str) -> Result<bool, AccountError> {
        Ok(self.store.remove_account(name)?)
    }

    /// Validates a token set's presence for display without exposing it.
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
