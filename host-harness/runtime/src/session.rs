//! One instance of the component in its own store, and the typed calls of
//! its exports.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::Instance;

use crate::bindings::{mail as wit_mail, oauth as wit_oauth, sasl as wit_sasl, types as wit};
use crate::error::{Error, MailFailure};
use crate::host::HostState;
use crate::limits::ticks_for;
use crate::model::{
    AuthorizationOptions, Client, DeviceAuthorization, DevicePoll, Login, MailApi,
    PendingAuthorization, PresetKind, Provider, Report, SaslFailure, Secret, Server, TestMessage,
    TokenKind, TokenSet,
};

/// Where each exported interface's functions are, resolved once per load.
/// A session type-checks an interface's functions (a walk over their WIT
/// types) only when it first calls into that interface.
pub(crate) struct ExportIndices {
    pub(crate) oauth: wit_oauth::GuestIndices,
    pub(crate) sasl: wit_sasl::GuestIndices,
    pub(crate) mail: wit_mail::GuestIndices,
}

/// One instance of the component in its own store.
pub struct Session {
    store: Store<HostState>,
    instance: Instance,
    exports: Arc<ExportIndices>,
    oauth: Option<wit_oauth::Guest>,
    sasl: Option<wit_sasl::Guest>,
    mail: Option<wit_mail::Guest>,
    tick: Option<Duration>,
}

impl Session {
    /// A session over a fresh instance; the plugin built both.
    pub(crate) fn new(
        store: Store<HostState>,
        instance: Instance,
        exports: Arc<ExportIndices>,
        tick: Option<Duration>,
    ) -> Self {
        Self {
            store,
            instance,
            exports,
            oauth: None,
            sasl: None,
            mail: None,
            tick,
        }
    }

    pub(crate) fn oauth(&mut self) -> wasmtime::Result<wit_oauth::Guest> {
        if let Some(guest) = &self.oauth {
            return Ok(guest.clone());
        }
        let guest = self.exports.oauth.load(&mut self.store, &self.instance)?;
        self.oauth = Some(guest.clone());
        Ok(guest)
    }

    pub(crate) fn sasl(&mut self) -> wasmtime::Result<wit_sasl::Guest> {
        if let Some(guest) = &self.sasl {
            return Ok(guest.clone());
        }
        let guest = self.exports.sasl.load(&mut self.store, &self.instance)?;
        self.sasl = Some(guest.clone());
        Ok(guest)
    }

    pub(crate) fn mail(&mut self) -> wasmtime::Result<wit_mail::Guest> {
        if let Some(guest) = &self.mail {
            return Ok(guest.clone());
        }
        let guest = self.exports.mail.load(&mut self.store, &self.instance)?;
        self.mail = Some(guest.clone());
        Ok(guest)
    }

    /// Restarts the per-call limits: each export call gets the full budget.
    fn begin(&mut self) {
        self.store.data_mut().meter.start();
        if let Some(tick) = self.tick {
            let budget = self.store.data().meter.limits().max_guest_time;
            self.store.set_epoch_deadline(ticks_for(budget, tick));
        }
    }

    /// Time this session's calls spent in host imports (HTTP, sockets).
    pub fn total_host_time(&self) -> Duration {
        self.store.data().meter.total_host_time
    }

    /// The built-in provider presets.
    pub fn providers(&mut self) -> Result<Vec<Provider>, Error> {
        self.begin();
        let list = self.oauth()?.call_providers(&mut self.store)?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Google.
    pub fn google(&mut self) -> Result<Provider, Error> {
        self.preset(wit::PresetKind::Google)
    }

    /// Microsoft identity platform v2 for `tenant`.
    pub fn microsoft(&mut self, tenant: &str) -> Result<Provider, Error> {
        self.preset(wit::PresetKind::Microsoft(tenant.to_owned()))
    }

    /// The preset named by `kind`.
    pub fn preset(&mut self, kind: PresetKind) -> Result<Provider, Error> {
        self.begin();
        let p = self.oauth()?.call_preset(&mut self.store, &kind)??;
        Ok(p.into())
    }

    /// The preset serving a mail server host name or an e-mail domain, as
    /// Thunderbird matches them; `None` when unknown.
    pub fn preset_for_host(&mut self, host: &str) -> Result<Option<PresetKind>, Error> {
        self.begin();
        Ok(self.oauth()?.call_preset_for_host(&mut self.store, host)?)
    }

    /// OIDC / RFC 8414 discovery from an issuer URL.
    pub fn discover(&mut self, issuer: &str) -> Result<Provider, Error> {
        self.begin();
        let p = self.oauth()?.call_discover(&mut self.store, issuer)??;
        Ok(p.into())
    }

    /// Builds the authorization URL and the secrets to keep.
    pub fn begin_authorization(
        &mut self,
        provider: &Provider,
        client: &Client,
        options: &AuthorizationOptions,
    ) -> Result<PendingAuthorization, Error> {
        self.begin();
        let p = self.oauth()?.call_begin_authorization(
            &mut self.store,
            &provider.into(),
            &client.into(),
            options,
        )??;
        Ok(p.into())
    }

    /// Checks the callback and exchanges the code.
    pub fn complete_authorization(
        &mut self,
        provider: &Provider,
        client: &Client,
        pending: &PendingAuthorization,
        callback: &str,
        now: u64,
    ) -> Result<TokenSet, Error> {
        self.begin();
        let t = self.oauth()?.call_complete_authorization(
            &mut self.store,
            &provider.into(),
            &client.into(),
            &pending.into(),
            callback,
            now,
        )??;
        Ok(t.into())
    }

    /// Starts a device authorization (RFC 8628).
    pub fn begin_device_authorization(
        &mut self,
        provider: &Provider,
        client: &Client,
        options: &AuthorizationOptions,
        now: u64,
    ) -> Result<DeviceAuthorization, Error> {
        self.begin();
        let d = self.oauth()?.call_begin_device_authorization(
            &mut self.store,
            &provider.into(),
            &client.into(),
            options,
            now,
        )??;
        Ok(d.into())
    }

    /// Polls a device authorization once.
    pub fn poll_device_authorization(
        &mut self,
        provider: &Provider,
        client: &Client,
        device: &DeviceAuthorization,
        now: u64,
    ) -> Result<DevicePoll, Error> {
        self.begin();
        let p = self.oauth()?.call_poll_device_authorization(
            &mut self.store,
            &provider.into(),
            &client.into(),
            &device.into(),
            now,
        )??;
        Ok(p.into())
    }

    /// The client credentials grant: app-only tokens, no refresh token.
    pub fn client_credentials(
        &mut self,
        provider: &Provider,
        client: &Client,
        scopes: &[String],
        now: u64,
    ) -> Result<TokenSet, Error> {
        self.begin();
        let t = self.oauth()?.call_client_credentials(
            &mut self.store,
            &provider.into(),
            &client.into(),
            scopes,
            now,
        )??;
        Ok(t.into())
    }

    /// Refreshes unconditionally.
    pub fn refresh(
        &mut self,
        provider: &Provider,
        client: &Client,
        tokens: &TokenSet,
        now: u64,
    ) -> Result<TokenSet, Error> {
        self.begin();
        let t = self.oauth()?.call_refresh(
            &mut self.store,
            &provider.into(),
            &client.into(),
            &tokens.into(),
            now,
        )??;
        Ok(t.into())
    }

    /// Refreshes when the access token expires within `skew` seconds; the
    /// boolean says whether it did (and so whether to store the result).
    pub fn ensure_fresh(
        &mut self,
        provider: &Provider,
        client: &Client,
        tokens: &TokenSet,
        now: u64,
        skew: u32,
    ) -> Result<(TokenSet, bool), Error> {
        self.begin();
        let f = self.oauth()?.call_ensure_fresh(
            &mut self.store,
            &provider.into(),
            &client.into(),
            &tokens.into(),
            now,
            skew,
        )??;
        Ok((f.tokens.into(), f.refreshed))
    }

    /// Revokes a token at the provider.
    pub fn revoke(
        &mut self,
        provider: &Provider,
        client: &Client,
        token: &Secret,
        kind: TokenKind,
    ) -> Result<(), Error> {
        self.begin();
        self.oauth()?.call_revoke(
            &mut self.store,
            &provider.into(),
            &client.into(),
            token.expose(),
            kind,
        )??;
        Ok(())
    }

    /// The XOAUTH2 initial client response (base64).
    pub fn xoauth2(&mut self, user: &str, access_token: &Secret) -> Result<Secret, Error> {
        self.begin();
        let s = self
            .sasl()?
            .call_xoauth2(&mut self.store, user, access_token.expose())??;
        Ok(Secret::new(s))
    }

    /// The OAUTHBEARER initial client response (base64).
    pub fn oauthbearer(
        &mut self,
        user: &str,
        host: &str,
        port: u16,
        access_token: &Secret,
    ) -> Result<Secret, Error> {
        self.begin();
        let s = self.sasl()?.call_oauthbearer(
            &mut self.store,
            user,
            host,
            port,
            access_token.expose(),
        )??;
        Ok(Secret::new(s))
    }

    /// Decodes a server's SASL error challenge.
    pub fn parse_sasl_failure(&mut self, challenge: &str) -> Result<SaslFailure, Error> {
        self.begin();
        Ok(self
            .sasl()?
            .call_parse_failure(&mut self.store, challenge)??)
    }
}

impl Session {
    /// Authenticates on IMAP, examines INBOX, logs out.
    pub fn verify_imap(&mut self, server: &Server, login: &Login) -> Result<Report, MailFailure> {
        self.begin();
        let r = self
            .mail()?
            .call_verify_imap(&mut self.store, &server.into(), &login.into())?;
        Ok(r?.into())
    }

    /// Authenticates on POP3, STAT, QUIT.
    pub fn verify_pop3(&mut self, server: &Server, login: &Login) -> Result<Report, MailFailure> {
        self.begin();
        let r = self
            .mail()?
            .call_verify_pop3(&mut self.store, &server.into(), &login.into())?;
        Ok(r?.into())
    }

    /// EHLO, STARTTLS when asked, AUTH, QUIT.
    pub fn verify_smtp(&mut self, server: &Server, login: &Login) -> Result<Report, MailFailure> {
        self.begin();
        let r = self
            .mail()?
            .call_verify_smtp(&mut self.store, &server.into(), &login.into())?;
        Ok(r?.into())
    }

    /// Authenticates on SMTP and sends a test message.
    pub fn send_test_message(
        &mut self,
        server: &Server,
        login: &Login,
        message: &TestMessage,
    ) -> Result<Report, MailFailure> {
        self.begin();
        let r = self.mail()?.call_send_test_message(
            &mut self.store,
            &server.into(),
            &login.into(),
            message,
        )?;
        Ok(r?.into())
    }

    /// Checks that a mail API (Gmail, Graph) accepts the token.
    pub fn verify_api(&mut self, api: MailApi, login: &Login) -> Result<Report, MailFailure> {
        self.begin();
        let r = self
            .mail()?
            .call_verify_api(&mut self.store, api, &login.into())?;
        Ok(r?.into())
    }

    /// Sends a test message through a mail API (Gmail, Graph).
    pub fn send_via_api(
        &mut self,
        api: MailApi,
        login: &Login,
        message: &TestMessage,
    ) -> Result<Report, MailFailure> {
        self.begin();
        let r = self
            .mail()?
            .call_send_via_api(&mut self.store, api, &login.into(), message)?;
        Ok(r?.into())
    }
}
