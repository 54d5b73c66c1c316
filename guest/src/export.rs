//! The export layer: maps the WIT contract onto the core and implements the core
//! [`Http`](crate::http::Http) over the host's `http` import. The generated
//! bindings stay private to this module.

#![allow(
    unsafe_code,
    reason = "wit-bindgen's generated glue and `export!` use unsafe ABI code; this module writes none itself"
)]

wit_bindgen::generate!({
    path: "../wit",
    world: "plugin",
});

use exports::mail_oauth::plugin::{mail as wit_mail, oauth, sasl};
use mail_oauth::plugin::{http as wit_http, transport as wit_transport, types as wit};

use crate::http::{Header, HttpError, HttpRequest, HttpResponse};
use crate::mail::{self as core_mail, MailError, MailFailure, TransportError};
use crate::{Error, ProviderFailure, authorize, discovery, providers, token, types as core};

/// The component: stateless, so a unit struct.
struct Component;

export!(Component);

/// [`crate::http::Http`] over the host import.
struct HostHttp;

impl crate::http::Http for HostHttp {
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let request = wit_http::Request {
            method: req.method,
            url: req.url,
            headers: req.headers.into_iter().map(header_to_wit).collect(),
            body: req.body,
        };
        match wit_http::send(&request) {
            Ok(response) => Ok(HttpResponse {
                status: response.status,
                headers: response
                    .headers
                    .into_iter()
                    .map(|h| Header::new(h.name, h.value))
                    .collect(),
                body: response.body,
            }),
            Err(error) => Err(match error {
                wit_http::HttpError::Denied(t) => HttpError::Denied(t),
                wit_http::HttpError::Unreachable(t) => HttpError::Unreachable(t),
                wit_http::HttpError::Timeout => HttpError::Timeout,
                wit_http::HttpError::Tls(t) => HttpError::Tls(t),
                wit_http::HttpError::TooLarge => HttpError::TooLarge,
                wit_http::HttpError::Other(t) => HttpError::Other(t),
            }),
        }
    }
}

fn header_to_wit(header: Header) -> wit_http::Header {
    wit_http::Header {
        name: header.name,
        value: header.value,
    }
}

fn http_error_to_wit(error: HttpError) -> wit_http::HttpError {
    match error {
        HttpError::Denied(t) => wit_http::HttpError::Denied(t),
        HttpError::Unreachable(t) => wit_http::HttpError::Unreachable(t),
        HttpError::Timeout => wit_http::HttpError::Timeout,
        HttpError::Tls(t) => wit_http::HttpError::Tls(t),
        HttpError::TooLarge => wit_http::HttpError::TooLarge,
        HttpError::Other(t) => wit_http::HttpError::Other(t),
    }
}

fn failure_to_wit(failure: ProviderFailure) -> wit::ProviderFailure {
    wit::ProviderFailure {
        code: failure.code,
        description: failure.description,
    }
}

fn error_to_wit(error: Error) -> wit::Error {
    match error {
        Error::ReauthorizeRequired(f) => wit::Error::ReauthorizeRequired(failure_to_wit(f)),
        Error::AccessDenied(d) => wit::Error::AccessDenied(d),
        Error::StateMismatch => wit::Error::StateMismatch,
        Error::IssuerMismatch { expected, received } => {
            wit::Error::IssuerMismatch(wit::IssuerMismatch { expected, received })
        }
        Error::ProviderError(f) => wit::Error::ProviderError(failure_to_wit(f)),
        Error::Http(e) => wit::Error::Http(http_error_to_wit(e)),
        Error::InvalidResponse { status, detail } => {
            wit::Error::InvalidResponse(wit::InvalidResponse { status, detail })
        }
        Error::InvalidInput(what) => wit::Error::InvalidInput(what),
    }
}

// Not inlined: called from six places, and each copy of its list conversion
// is large (a few hundred bytes off the optimised component).
#[inline(never)]
fn provider_from_wit(p: wit::Provider) -> core::Provider {
    core::Provider {
        id: p.id,
        display_name: p.display_name,
        issuer: p.issuer,
        authorization_endpoint: p.authorization_endpoint,
        token_endpoint: p.token_endpoint,
        revocation_endpoint: p.revocation_endpoint,
        default_scopes: p.default_scopes,
        extra_parameters: p.extra_parameters,
        client_auth: match p.client_auth {
            wit::ClientAuth::Basic => core::ClientAuth::Basic,
            wit::ClientAuth::Post => core::ClientAuth::Post,
        },
        mail_servers: p
            .mail_servers
            .into_iter()
            .map(|m| core_mail::MailServer {
                protocol: match m.protocol {
                    wit::MailProtocol::Imap => core_mail::MailProtocol::Imap,
                    wit::MailProtocol::Pop3 => core_mail::MailProtocol::Pop3,
                    wit::MailProtocol::Smtp => core_mail::MailProtocol::Smtp,
                },
                server: server_from_wit(m.server),
            })
            .collect(),
    }
}

fn provider_to_wit(p: core::Provider) -> wit::Provider {
    wit::Provider {
        id: p.id,
        display_name: p.display_name,
        issuer: p.issuer,
        authorization_endpoint: p.authorization_endpoint,
        token_endpoint: p.token_endpoint,
        revocation_endpoint: p.revocation_endpoint,
        default_scopes: p.default_scopes,
        extra_parameters: p.extra_parameters,
        client_auth: match p.client_auth {
            core::ClientAuth::Basic => wit::ClientAuth::Basic,
            core::ClientAuth::Post => wit::ClientAuth::Post,
        },
        mail_servers: p
            .mail_servers
            .into_iter()
            .map(|m| wit::MailServer {
                protocol: match m.protocol {
                    core_mail::MailProtocol::Imap => wit::MailProtocol::Imap,
                    core_mail::MailProtocol::Pop3 => wit::MailProtocol::Pop3,
                    core_mail::MailProtocol::Smtp => wit::MailProtocol::Smtp,
                },
                server: server_to_wit(m.server),
            })
            .collect(),
    }
}

fn client_from_wit(c: wit::Client) -> core::Client {
    core::Client {
        id: c.id,
        secret: c.secret,
        redirect_uri: c.redirect_uri,
    }
}

fn pending_from_wit(p: wit::PendingAuthorization) -> core::PendingAuthorization {
    core::PendingAuthorization {
        url: p.url,
        state: p.state,
        pkce_verifier: p.pkce_verifier,
        nonce: p.nonce,
        redirect_uri: p.redirect_uri,
        scopes: p.scopes,
    }
}

fn pending_to_wit(p: core::PendingAuthorization) -> wit::PendingAuthorization {
    wit::PendingAuthorization {
        url: p.url,
        state: p.state,
        pkce_verifier: p.pkce_verifier,
        nonce: p.nonce,
        redirect_uri: p.redirect_uri,
        scopes: p.scopes,
    }
}

#[inline(never)]
fn tokens_from_wit(t: wit::TokenSet) -> core::TokenSet {
    core::TokenSet {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_at: t.expires_at,
        scopes: t.scopes,
        id_token: t.id_token,
        account_email: t.account_email,
    }
}

#[inline(never)]
fn tokens_to_wit(t: core::TokenSet) -> wit::TokenSet {
    wit::TokenSet {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_at: t.expires_at,
        scopes: t.scopes,
        id_token: t.id_token,
        account_email: t.account_email,
    }
}

impl oauth::Guest for Component {
    fn providers() -> Vec<wit::Provider> {
        providers::providers()
            .into_iter()
            .map(provider_to_wit)
            .collect()
    }

    fn preset(kind: wit::PresetKind) -> Result<wit::Provider, wit::Error> {
        let kind = match kind {
            wit::PresetKind::Google => core::PresetKind::Google,
            wit::PresetKind::Microsoft(tenant) => core::PresetKind::Microsoft(tenant),
        };
        providers::preset(&kind)
            .map(provider_to_wit)
            .map_err(error_to_wit)
    }

    fn discover(issuer: String) -> Result<wit::Provider, wit::Error> {
        discovery::discover(&HostHttp, &issuer)
            .map(provider_to_wit)
            .map_err(error_to_wit)
    }

    fn begin_authorization(
        provider: wit::Provider,
        client: wit::Client,
        options: wit::AuthorizationOptions,
    ) -> Result<wit::PendingAuthorization, wit::Error> {
        let options = core::AuthorizationOptions {
            scopes: options.scopes,
            login_hint: options.login_hint,
        };
        authorize::begin_authorization(
            &provider_from_wit(provider),
            &client_from_wit(client),
            &options,
        )
        .map(pending_to_wit)
        .map_err(error_to_wit)
    }

    fn complete_authorization(
        provider: wit::Provider,
        client: wit::Client,
        pending: wit::PendingAuthorization,
        callback: String,
        now: u64,
    ) -> Result<wit::TokenSet, wit::Error> {
        authorize::complete_authorization(
            &HostHttp,
            &provider_from_wit(provider),
            &client_from_wit(client),
            &pending_from_wit(pending),
            &callback,
            now,
        )
        .map(tokens_to_wit)
        .map_err(error_to_wit)
    }

    fn refresh(
        provider: wit::Provider,
        client: wit::Client,
        tokens: wit::TokenSet,
        now: u64,
    ) -> Result<wit::TokenSet, wit::Error> {
        token::refresh(
            &HostHttp,
            &provider_from_wit(provider),
            &client_from_wit(client),
            &tokens_from_wit(tokens),
            now,
        )
        .map(tokens_to_wit)
        .map_err(error_to_wit)
    }

    fn ensure_fresh(
        provider: wit::Provider,
        client: wit::Client,
        tokens: wit::TokenSet,
        now: u64,
        skew: u32,
    ) -> Result<wit::FreshTokens, wit::Error> {
        token::ensure_fresh(
            &HostHttp,
            &provider_from_wit(provider),
            &client_from_wit(client),
            &tokens_from_wit(tokens),
            now,
            skew,
        )
        .map(|fresh| wit::FreshTokens {
            tokens: tokens_to_wit(fresh.tokens),
            refreshed: fresh.refreshed,
        })
        .map_err(error_to_wit)
    }

    fn revoke(
        provider: wit::Provider,
        client: wit::Client,
        token: String,
        kind: wit::TokenKind,
    ) -> Result<(), wit::Error> {
        let kind = match kind {
            wit::TokenKind::AccessToken => core::TokenKind::AccessToken,
            wit::TokenKind::RefreshToken => core::TokenKind::RefreshToken,
        };
        token::revoke(
            &HostHttp,
            &provider_from_wit(provider),
            &client_from_wit(client),
            &token,
            kind,
        )
        .map_err(error_to_wit)
    }
}

impl sasl::Guest for Component {
    fn xoauth2(user: String, access_token: String) -> Result<String, wit::Error> {
        crate::sasl::xoauth2(&user, &access_token).map_err(error_to_wit)
    }

    fn oauthbearer(
        user: String,
        host: String,
        port: u16,
        access_token: String,
    ) -> Result<String, wit::Error> {
        crate::sasl::oauthbearer(&user, &host, port, &access_token).map_err(error_to_wit)
    }

    fn parse_failure(challenge: String) -> Result<wit::SaslFailure, wit::Error> {
        crate::sasl::parse_failure(&challenge)
            .map(|f| wit::SaslFailure {
                status: f.status,
                schemes: f.schemes,
                scope: f.scope,
            })
            .map_err(error_to_wit)
    }
}

fn security_from_wit(s: wit_transport::Security) -> core_mail::Security {
    match s {
        wit_transport::Security::ImplicitTls => core_mail::Security::ImplicitTls,
        wit_transport::Security::Starttls => core_mail::Security::Starttls,
        wit_transport::Security::Plain => core_mail::Security::Plain,
    }
}

fn security_to_wit(s: core_mail::Security) -> wit_transport::Security {
    match s {
        core_mail::Security::ImplicitTls => wit_transport::Security::ImplicitTls,
        core_mail::Security::Starttls => wit_transport::Security::Starttls,
        core_mail::Security::Plain => wit_transport::Security::Plain,
    }
}

fn server_from_wit(s: wit::Server) -> core_mail::Server {
    core_mail::Server {
        host: s.host,
        port: s.port,
        security: security_from_wit(s.security),
    }
}

fn server_to_wit(s: core_mail::Server) -> wit::Server {
    wit::Server {
        host: s.host,
        port: s.port,
        security: security_to_wit(s.security),
    }
}

fn transport_error_from_wit(e: wit_transport::TransportError) -> TransportError {
    match e {
        wit_transport::TransportError::Denied(t) => TransportError::Denied(t),
        wit_transport::TransportError::Refused(t) => TransportError::Refused(t),
        wit_transport::TransportError::Timeout => TransportError::Timeout,
        wit_transport::TransportError::Tls(t) => TransportError::Tls(t),
        wit_transport::TransportError::Closed => TransportError::Closed,
        wit_transport::TransportError::LineTooLong => TransportError::LineTooLong,
        wit_transport::TransportError::Other(t) => TransportError::Other(t),
    }
}

fn transport_error_to_wit(e: TransportError) -> wit_transport::TransportError {
    match e {
        TransportError::Denied(t) => wit_transport::TransportError::Denied(t),
        TransportError::Refused(t) => wit_transport::TransportError::Refused(t),
        TransportError::Timeout => wit_transport::TransportError::Timeout,
        TransportError::Tls(t) => wit_transport::TransportError::Tls(t),
        TransportError::Closed => wit_transport::TransportError::Closed,
        TransportError::LineTooLong => wit_transport::TransportError::LineTooLong,
        TransportError::Other(t) => wit_transport::TransportError::Other(t),
    }
}

fn command_rejection_to_wit(r: core_mail::CommandRejection) -> wit::CommandRejection {
    wit::CommandRejection {
        step: r.step,
        reply: r.reply,
    }
}

fn mail_error_to_wit(error: MailError) -> wit::Error {
    match error {
        MailError::OAuth(e) => error_to_wit(e),
        MailError::Transport(e) => wit::Error::Transport(transport_error_to_wit(e)),
        MailError::SaslRejected(r) => wit::Error::SaslRejected(wit::SaslRejection {
            status: r.status,
            scope: r.scope,
            server_text: r.server_text,
        }),
        MailError::NoMechanism(offered) => wit::Error::NoMechanism(offered),
        MailError::TlsUnavailable(t) => wit::Error::TlsUnavailable(t),
        MailError::CommandRejected(r) => wit::Error::CommandRejected(command_rejection_to_wit(r)),
        MailError::MailProtocol(r) => wit::Error::MailProtocol(command_rejection_to_wit(r)),
        MailError::SenderNotAuthorized { sender, user } => {
            wit::Error::SenderNotAuthorized(wit::SenderMismatch { sender, user })
        }
    }
}

fn mail_failure_to_wit(failure: MailFailure) -> wit_mail::MailFailure {
    wit_mail::MailFailure {
        error: mail_error_to_wit(failure.error),
        refreshed: failure.refreshed.map(|t| tokens_to_wit(*t)),
    }
}

/// The core [`core_mail::Transport`] over the host's `transport` import.
struct HostTransport;

/// One host connection; the WIT resource is closed when this is dropped.
struct HostConnection(wit_transport::Connection);

impl core_mail::Transport for HostTransport {
    type Conn = HostConnection;

    fn connect(
        &self,
        host: &str,
        port: u16,
        security: core_mail::Security,
    ) -> Result<HostConnection, TransportError> {
        wit_transport::connect(host, port, security_to_wit(security))
            .map(HostConnection)
            .map_err(transport_error_from_wit)
    }
}

impl core_mail::Connection for HostConnection {
    fn read_line(&mut self, max_len: u32) -> Result<Vec<u8>, TransportError> {
        self.0.read_line(max_len).map_err(transport_error_from_wit)
    }

    fn read_exact(&mut self, len: u32) -> Result<Vec<u8>, TransportError> {
        self.0.read_exact(len).map_err(transport_error_from_wit)
    }

    fn write(&mut self, data: &[u8]) -> Result<(), TransportError> {
        self.0.write(data).map_err(transport_error_from_wit)
    }

    fn upgrade_tls(&mut self) -> Result<(), TransportError> {
        self.0.upgrade_tls().map_err(transport_error_from_wit)
    }
}

fn login_from_wit(login: wit_mail::Login) -> core_mail::Login {
    core_mail::Login {
        user: login.user,
        credentials: match login.credentials {
            wit_mail::Credentials::AccessToken(t) => core_mail::Credentials::AccessToken(t),
            wit_mail::Credentials::Refreshable(r) => {
                core_mail::Credentials::Refreshable(core_mail::Refreshable {
                    provider: provider_from_wit(r.provider),
                    client: client_from_wit(r.client),
                    tokens: tokens_from_wit(r.tokens),
                    now: r.now,
                })
            }
        },
        mechanism: login.mechanism.map(|m| match m {
            wit_mail::Mechanism::Xoauth2 => core_mail::Mechanism::XOAuth2,
            wit_mail::Mechanism::Oauthbearer => core_mail::Mechanism::OAuthBearer,
        }),
    }
}

fn report_to_wit(report: core_mail::Report) -> wit_mail::Report {
    wit_mail::Report {
        greeting: report.greeting,
        capabilities: report.capabilities,
        mechanism: match report.mechanism {
            core_mail::Mechanism::XOAuth2 => wit_mail::Mechanism::Xoauth2,
            core_mail::Mechanism::OAuthBearer => wit_mail::Mechanism::Oauthbearer,
        },
        steps: report
            .steps
            .into_iter()
            .map(|s| wit_mail::Step {
                name: s.name,
                millis: s.millis,
                detail: s.detail,
            })
            .collect(),
        refreshed: report.refreshed.map(tokens_to_wit),
    }
}

type MailResult = Result<wit_mail::Report, wit_mail::MailFailure>;

/// The signature shared by the core's `verify_*` dialogues, for this host.
type Verify = fn(
    &HostTransport,
    &dyn crate::http::Http,
    &core_mail::Server,
    &core_mail::Login,
) -> Result<core_mail::Report, MailFailure>;

fn mail_result(result: Result<core_mail::Report, MailFailure>) -> MailResult {
    result.map(report_to_wit).map_err(mail_failure_to_wit)
}

fn verify(dialogue: Verify, server: wit::Server, login: wit_mail::Login) -> MailResult {
    let server = server_from_wit(server);
    mail_result(dialogue(
        &HostTransport,
        &HostHttp,
        &server,
        &login_from_wit(login),
    ))
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
        let server = server_from_wit(server);
        let message = core_mail::TestMessage {
            sender: message.sender,
            recipients: message.recipients,
            subject: message.subject,
            body: message.body,
            send_as: message.send_as,
            now: message.now,
        };
        mail_result(core_mail::send_test_message(
            &HostTransport,
            &HostHttp,
            &server,
            &login_from_wit(login),
            &message,
        ))
    }
}
