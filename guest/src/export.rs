//! The export layer: implements the WIT exports over the core, and the core's
//! [`Http`](crate::http::Http) and [`Transport`](crate::transport::Transport)
//! over the host's imports. Every type conversion is a `From` impl in
//! [`conv`](crate::conv); this layer only calls `.into()`.

#![allow(
    unsafe_code,
    reason = "wit-bindgen's `export!` expands to unsafe ABI code; this module writes none itself"
)]

use crate::bindings::{oauth, sasl, wit, wit_http, wit_mail, wit_transport};
use crate::http::{Http, HttpError, HttpRequest, HttpResponse};
use crate::mail::{self as core_mail, MailFailure};
use crate::transport::{Connection, Security, Transport, TransportError};
use crate::{authorize, device, discovery, providers, token};

/// The component: stateless, so a unit struct.
struct Component;

crate::bindings::export!(Component);

/// [`Http`] over the host import.
struct HostHttp;

impl Http for HostHttp {
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        wit_http::send(&req.into())
            .map(Into::into)
            .map_err(Into::into)
    }
}

impl oauth::Guest for Component {
    fn providers() -> Vec<wit::Provider> {
        providers::providers().into_iter().map(Into::into).collect()
    }

    fn preset(kind: wit::PresetKind) -> Result<wit::Provider, wit::OauthError> {
        providers::preset(&kind.into())
            .map(Into::into)
            .map_err(Into::into)
    }

    fn preset_for_host(host: String) -> Option<wit::PresetKind> {
        providers::preset_for_host(&host).map(Into::into)
    }

    fn discover(issuer: String) -> Result<wit::Provider, wit::OauthError> {
        discovery::discover(&HostHttp, &issuer)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn begin_authorization(
        provider: wit::Provider,
        client: wit::Client,
        options: wit::AuthorizationOptions,
    ) -> Result<wit::PendingAuthorization, wit::OauthError> {
        authorize::begin_authorization(&provider.into(), &client.into(), &options.into())
            .map(Into::into)
            .map_err(Into::into)
    }

    fn complete_authorization(
        provider: wit::Provider,
        client: wit::Client,
        pending: wit::PendingAuthorization,
        callback: String,
        now: u64,
    ) -> Result<wit::TokenSet, wit::OauthError> {
        authorize::complete_authorization(
            &HostHttp,
            &provider.into(),
            &client.into(),
            &pending.into(),
            &callback,
            now,
        )
        .map(Into::into)
        .map_err(Into::into)
    }

    fn begin_device_authorization(
        provider: wit::Provider,
        client: wit::Client,
        options: wit::AuthorizationOptions,
        now: u64,
    ) -> Result<wit::DeviceAuthorization, wit::OauthError> {
        device::begin_device_authorization(
            &HostHttp,
            &provider.into(),
            &client.into(),
            &options.into(),
            now,
        )
        .map(Into::into)
        .map_err(Into::into)
    }

    fn poll_device_authorization(
        provider: wit::Provider,
        client: wit::Client,
        device: wit::DeviceAuthorization,
        now: u64,
    ) -> Result<wit::DevicePoll, wit::OauthError> {
        device::poll_device_authorization(
            &HostHttp,
            &provider.into(),
            &client.into(),
            &device.into(),
            now,
        )
        .map(Into::into)
        .map_err(Into::into)
    }

    fn client_credentials(
        provider: wit::Provider,
        client: wit::Client,
        scopes: Vec<String>,
        now: u64,
    ) -> Result<wit::TokenSet, wit::OauthError> {
        token::client_credentials(&HostHttp, &provider.into(), &client.into(), &scopes, now)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn refresh(
        provider: wit::Provider,
        client: wit::Client,
        tokens: wit::TokenSet,
        now: u64,
    ) -> Result<wit::TokenSet, wit::OauthError> {
        token::refresh(
            &HostHttp,
            &provider.into(),
            &client.into(),
            &tokens.into(),
            now,
        )
        .map(Into::into)
        .map_err(Into::into)
    }

    fn ensure_fresh(
        provider: wit::Provider,
        client: wit::Client,
        tokens: wit::TokenSet,
        now: u64,
        skew: u32,
    ) -> Result<wit::FreshTokens, wit::OauthError> {
        token::ensure_fresh(
            &HostHttp,
            &provider.into(),
            &client.into(),
            &tokens.into(),
            now,
            skew,
        )
        .map(Into::into)
        .map_err(Into::into)
    }

    fn revoke(
        provider: wit::Provider,
        client: wit::Client,
        token: String,
        kind: wit::TokenKind,
    ) -> Result<(), wit::OauthError> {
        token::revoke(
            &HostHttp,
            &provider.into(),
            &client.into(),
            &token,
            kind.into(),
        )
        .map_err(Into::into)
    }
}

impl sasl::Guest for Component {
    fn xoauth2(user: String, access_token: String) -> Result<String, sasl::SaslError> {
        crate::sasl::xoauth2(&user, &access_token).map_err(Into::into)
    }

    fn oauthbearer(
        user: String,
        host: String,
        port: u16,
        access_token: String,
    ) -> Result<String, sasl::SaslError> {
        crate::sasl::oauthbearer(&user, &host, port, &access_token).map_err(Into::into)
    }

    fn parse_failure(challenge: String) -> Result<wit::SaslFailure, sasl::SaslError> {
        crate::sasl::parse_failure(&challenge)
            .map(Into::into)
            .map_err(Into::into)
    }
}

/// The core [`Transport`] over the host's `transport` import.
struct HostTransport;

/// One host connection; the WIT resource is closed when this is dropped.
struct HostConnection(wit_transport::Connection);

impl Transport for HostTransport {
    type Conn = HostConnection;

    fn connect(
        &self,
        host: &str,
        port: u16,
        security: Security,
    ) -> Result<HostConnection, TransportError> {
        wit_transport::connect(host, port, security.into())
            .map(HostConnection)
            .map_err(Into::into)
    }
}

impl Connection for HostConnection {
    fn read_line(&mut self, max_len: u32) -> Result<Vec<u8>, TransportError> {
        self.0.read_line(max_len).map_err(Into::into)
    }

    fn read_exact(&mut self, len: u32) -> Result<Vec<u8>, TransportError> {
        self.0.read_exact(len).map_err(Into::into)
    }

    fn write(&mut self, data: &[u8]) -> Result<(), TransportError> {
        self.0.write(data).map_err(Into::into)
    }

    fn upgrade_tls(&mut self) -> Result<(), TransportError> {
        self.0.upgrade_tls().map_err(Into::into)
    }
}

type MailResult = Result<wit_mail::Report, wit_mail::MailFailure>;

/// The signature shared by the core's `verify_*` dialogues, for this host.
type Verify = fn(
    &HostTransport,
    &dyn Http,
    &core_mail::Server,
    &core_mail::Login,
) -> Result<core_mail::Report, MailFailure>;

fn verify(dialogue: Verify, server: wit::Server, login: wit_mail::Login) -> MailResult {
    dialogue(&HostTransport, &HostHttp, &server.into(), &login.into())
        .map(Into::into)
        .map_err(Into::into)
}

impl wit_mail::Guest for Component {
    fn verify_imap(server: wit::Server, login: wit_mail::Login) -> MailResult {
        verify(core_mail::verify_imap, server, login)
    }

    fn verify_pop3(server: wit::Server, login: wit_mail::Login) -> MailResult {
        verify(core_mail::verify_pop3, server, login)
    }

    fn verify_smtp(server: wit::Server, login: wit_mail::Login) -> MailResult {
        verify(core_mail::verify_smtp, server, login)
    }

    fn send_test_message(
        server: wit::Server,
        login: wit_mail::Login,
        message: wit_mail::TestMessage,
    ) -> MailResult {
        core_mail::send_test_message(
            &HostTransport,
            &HostHttp,
            &server.into(),
            &login.into(),
            &message.into(),
        )
        .map(Into::into)
        .map_err(Into::into)
    }

    fn verify_api(api: wit_mail::MailApi, login: wit_mail::Login) -> MailResult {
        core_mail::verify_api(&HostHttp, api.into(), &login.into())
            .map(Into::into)
            .map_err(Into::into)
    }

    fn send_via_api(
        api: wit_mail::MailApi,
        login: wit_mail::Login,
        message: wit_mail::TestMessage,
    ) -> MailResult {
        core_mail::send_via_api(&HostHttp, api.into(), &login.into(), &message.into())
            .map(Into::into)
            .map_err(Into::into)
    }
}
