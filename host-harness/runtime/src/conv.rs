//! Every conversion between the generated bindings ([`crate::bindings`]) and
//! the runtime's own types ([`crate::model`], [`crate::error`], the
//! transport's and HTTP client's types), as `From` impls.
//!
//! Towards the guest a secret is exposed (it must cross); from the guest it
//! is wrapped in [`Secret`] at once. Records the runtime re-exports from the
//! bindings (no secret in them) need no conversion.

use crate::bindings::{
    http as wit_http, mail as wit_mail, sasl as wit_sasl, transport as wit_transport, types as wit,
};
use crate::error::{Error, MailFailure, OAuthError};
use crate::http_client::{HttpError, HttpRequest, HttpResponse};
use crate::model::{
    Client, ClientAuth, Credentials, DeviceAuthorization, DevicePoll, Login, MailProtocol,
    MailServer, PendingAuthorization, Provider, Refreshable, Report, Secret, Server, TokenSet,
};
use crate::transport::{Security, TransportError};

fn expose(secret: &Secret) -> String {
    secret.expose().to_owned()
}

// ---------------------------------------------------------------- http

impl From<wit_http::Request> for HttpRequest {
    fn from(r: wit_http::Request) -> Self {
        Self {
            method: r.method,
            url: r.url,
            headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: r.body,
        }
    }
}

impl From<HttpResponse> for wit_http::Response {
    fn from(r: HttpResponse) -> Self {
        Self {
            status: r.status,
            headers: r
                .headers
                .into_iter()
                .map(|(name, value)| wit_http::Header { name, value })
                .collect(),
            body: r.body,
        }
    }
}

impl From<HttpError> for wit_http::HttpError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Denied(s) => Self::Denied(s),
            HttpError::Unreachable(s) => Self::Unreachable(s),
            HttpError::Timeout => Self::Timeout,
            HttpError::Tls(s) => Self::Tls(s),
            HttpError::TooLarge => Self::TooLarge,
            HttpError::Other(s) => Self::Other(s),
        }
    }
}

impl From<wit_http::HttpError> for HttpError {
    fn from(e: wit_http::HttpError) -> Self {
        match e {
            wit_http::HttpError::Denied(s) => Self::Denied(s),
            wit_http::HttpError::Unreachable(s) => Self::Unreachable(s),
            wit_http::HttpError::Timeout => Self::Timeout,
            wit_http::HttpError::Tls(s) => Self::Tls(s),
            wit_http::HttpError::TooLarge => Self::TooLarge,
            wit_http::HttpError::Other(s) => Self::Other(s),
        }
    }
}

// ---------------------------------------------------------------- transport

impl From<wit_transport::Security> for Security {
    fn from(s: wit_transport::Security) -> Self {
        match s {
            wit_transport::Security::ImplicitTls => Self::ImplicitTls,
            wit_transport::Security::Starttls => Self::Starttls,
            wit_transport::Security::Plain => Self::Plain,
        }
    }
}

impl From<Security> for wit_transport::Security {
    fn from(s: Security) -> Self {
        match s {
            Security::ImplicitTls => Self::ImplicitTls,
            Security::Starttls => Self::Starttls,
            Security::Plain => Self::Plain,
        }
    }
}

impl From<TransportError> for wit_transport::TransportError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Denied(s) => Self::Denied(s),
            TransportError::Refused(s) => Self::Refused(s),
            TransportError::Timeout => Self::Timeout,
            TransportError::Tls(s) => Self::Tls(s),
            TransportError::Closed => Self::Closed,
            TransportError::LineTooLong => Self::LineTooLong,
            TransportError::Other(s) => Self::Other(s),
        }
    }
}

impl From<wit_transport::TransportError> for TransportError {
    fn from(e: wit_transport::TransportError) -> Self {
        match e {
            wit_transport::TransportError::Denied(s) => Self::Denied(s),
            wit_transport::TransportError::Refused(s) => Self::Refused(s),
            wit_transport::TransportError::Timeout => Self::Timeout,
            wit_transport::TransportError::Tls(s) => Self::Tls(s),
            wit_transport::TransportError::Closed => Self::Closed,
            wit_transport::TransportError::LineTooLong => Self::LineTooLong,
            wit_transport::TransportError::Other(s) => Self::Other(s),
        }
    }
}

// ---------------------------------------------------------------- types: servers

impl From<&Server> for wit::Server {
    fn from(s: &Server) -> Self {
        Self {
            host: s.host.clone(),
            port: s.port,
            security: s.security.into(),
        }
    }
}

impl From<wit::Server> for Server {
    fn from(s: wit::Server) -> Self {
        Self {
            host: s.host,
            port: s.port,
            security: s.security.into(),
        }
    }
}

impl From<MailProtocol> for wit::MailProtocol {
    fn from(p: MailProtocol) -> Self {
        match p {
            MailProtocol::Imap => Self::Imap,
            MailProtocol::Pop3 => Self::Pop3,
            MailProtocol::Smtp => Self::Smtp,
        }
    }
}

impl From<wit::MailProtocol> for MailProtocol {
    fn from(p: wit::MailProtocol) -> Self {
        match p {
            wit::MailProtocol::Imap => Self::Imap,
            wit::MailProtocol::Pop3 => Self::Pop3,
            wit::MailProtocol::Smtp => Self::Smtp,
        }
    }
}

impl From<&MailServer> for wit::MailServer {
    fn from(m: &MailServer) -> Self {
        Self {
            protocol: m.protocol.into(),
            server: (&m.server).into(),
        }
    }
}

impl From<wit::MailServer> for MailServer {
    fn from(m: wit::MailServer) -> Self {
        Self {
            protocol: m.protocol.into(),
            server: m.server.into(),
        }
    }
}

// ---------------------------------------------------------------- types: OAuth

impl From<ClientAuth> for wit::ClientAuth {
    fn from(a: ClientAuth) -> Self {
        match a {
            ClientAuth::Basic => Self::Basic,
            ClientAuth::Post => Self::Post,
        }
    }
}

impl From<wit::ClientAuth> for ClientAuth {
    fn from(a: wit::ClientAuth) -> Self {
        match a {
            wit::ClientAuth::Basic => Self::Basic,
            wit::ClientAuth::Post => Self::Post,
        }
    }
}

impl From<&Provider> for wit::Provider {
    fn from(p: &Provider) -> Self {
        Self {
            id: p.id.clone(),
            display_name: p.display_name.clone(),
            issuer: p.issuer.clone(),
            authorization_endpoint: p.authorization_endpoint.clone(),
            token_endpoint: p.token_endpoint.clone(),
            device_authorization_endpoint: p.device_authorization_endpoint.clone(),
            revocation_endpoint: p.revocation_endpoint.clone(),
            default_scopes: p.default_scopes.clone(),
            extra_parameters: p.extra_parameters.clone(),
            client_auth: p.client_auth.into(),
            pkce: p.pkce,
            mail_servers: p.mail_servers.iter().map(Into::into).collect(),
        }
    }
}

impl From<wit::Provider> for Provider {
    fn from(p: wit::Provider) -> Self {
        Self {
            id: p.id,
            display_name: p.display_name,
            issuer: p.issuer,
            authorization_endpoint: p.authorization_endpoint,
            token_endpoint: p.token_endpoint,
            device_authorization_endpoint: p.device_authorization_endpoint,
            revocation_endpoint: p.revocation_endpoint,
            default_scopes: p.default_scopes,
            extra_parameters: p.extra_parameters,
            client_auth: p.client_auth.into(),
            pkce: p.pkce,
            mail_servers: p.mail_servers.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<&Client> for wit::Client {
    fn from(c: &Client) -> Self {
        Self {
            id: c.id.clone(),
            secret: c.secret.as_ref().map(expose),
            redirect_uri: c.redirect_uri.clone(),
        }
    }
}

impl From<&PendingAuthorization> for wit::PendingAuthorization {
    fn from(p: &PendingAuthorization) -> Self {
        Self {
            url: p.url.clone(),
            state: expose(&p.state),
            pkce_verifier: expose(&p.pkce_verifier),
            nonce: p.nonce.as_ref().map(expose),
            redirect_uri: p.redirect_uri.clone(),
            scopes: p.scopes.clone(),
        }
    }
}

impl From<wit::PendingAuthorization> for PendingAuthorization {
    fn from(p: wit::PendingAuthorization) -> Self {
        Self {
            url: p.url,
            state: Secret::new(p.state),
            pkce_verifier: Secret::new(p.pkce_verifier),
            nonce: p.nonce.map(Secret::new),
            redirect_uri: p.redirect_uri,
            scopes: p.scopes,
        }
    }
}

impl From<&TokenSet> for wit::TokenSet {
    fn from(t: &TokenSet) -> Self {
        Self {
            access_token: expose(&t.access_token),
            refresh_token: t.refresh_token.as_ref().map(expose),
            expires_at: t.expires_at,
            scopes: t.scopes.clone(),
            id_token: t.id_token.as_ref().map(expose),
            account_email: t.account_email.clone(),
        }
    }
}

impl From<wit::TokenSet> for TokenSet {
    fn from(t: wit::TokenSet) -> Self {
        Self {
            access_token: Secret::new(t.access_token),
            refresh_token: t.refresh_token.map(Secret::new),
            expires_at: t.expires_at,
            scopes: t.scopes,
            id_token: t.id_token.map(Secret::new),
            account_email: t.account_email,
        }
    }
}

// ---------------------------------------------------------------- mail

impl From<&Refreshable> for wit_mail::Refreshable {
    fn from(r: &Refreshable) -> Self {
        Self {
            provider: (&r.provider).into(),
            client: (&r.client).into(),
            tokens: (&r.tokens).into(),
            now: r.now,
        }
    }
}

impl From<&Login> for wit_mail::Login {
    fn from(login: &Login) -> Self {
        Self {
            user: login.user.clone(),
            credentials: match &login.credentials {
                Credentials::AccessToken(t) => wit_mail::Credentials::AccessToken(expose(t)),
                Credentials::Refreshable(r) => wit_mail::Credentials::Refreshable((&**r).into()),
            },
            mechanism: login.mechanism,
        }
    }
}

impl From<wit_mail::Report> for Report {
    fn from(r: wit_mail::Report) -> Self {
        Self {
            greeting: r.greeting,
            capabilities: r.capabilities,
            mechanism: r.mechanism,
            steps: r.steps,
            refreshed: r.refreshed.map(Into::into),
        }
    }
}

impl From<wit_mail::MailFailure> for MailFailure {
    fn from(f: wit_mail::MailFailure) -> Self {
        Self {
            error: f.error.into(),
            refreshed: f.refreshed.map(|t| Box::new(t.into())),
        }
    }
}

impl From<&DeviceAuthorization> for wit::DeviceAuthorization {
    fn from(d: &DeviceAuthorization) -> Self {
        Self {
            user_code: d.user_code.clone(),
            verification_uri: d.verification_uri.clone(),
            verification_uri_complete: d.verification_uri_complete.clone(),
            expires_at: d.expires_at,
            interval: d.interval,
            device_code: expose(&d.device_code),
            scopes: d.scopes.clone(),
        }
    }
}

impl From<wit::DeviceAuthorization> for DeviceAuthorization {
    fn from(d: wit::DeviceAuthorization) -> Self {
        Self {
            user_code: d.user_code,
            verification_uri: d.verification_uri,
            verification_uri_complete: d.verification_uri_complete,
            expires_at: d.expires_at,
            interval: d.interval,
            device_code: Secret::new(d.device_code),
            scopes: d.scopes,
        }
    }
}

impl From<wit::DevicePoll> for DevicePoll {
    fn from(p: wit::DevicePoll) -> Self {
        match p {
            wit::DevicePoll::Pending(secs) => Self::Pending(secs),
            wit::DevicePoll::Granted(tokens) => Self::Granted(tokens.into()),
        }
    }
}

// ---------------------------------------------------------------- errors

impl From<wit::OauthError> for OAuthError {
    fn from(e: wit::OauthError) -> Self {
        let failure = |f: wit::ProviderFailure| (f.code, f.description);
        match e {
            wit::OauthError::ReauthorizeRequired(f) => {
                let (code, description) = failure(f);
                OAuthError::ReauthorizeRequired { code, description }
            }
            wit::OauthError::AccessDenied(d) => OAuthError::AccessDenied(d),
            wit::OauthError::StateMismatch => OAuthError::StateMismatch,
            wit::OauthError::IssuerMismatch(m) => OAuthError::IssuerMismatch {
                expected: m.expected,
                received: m.received,
            },
            wit::OauthError::ProviderError(f) => {
                let (code, description) = failure(f);
                OAuthError::ProviderError { code, description }
            }
            wit::OauthError::Http(e) => OAuthError::Http(e.into()),
            wit::OauthError::InvalidResponse(r) => OAuthError::InvalidResponse {
                status: r.status,
                detail: r.detail,
            },
            wit::OauthError::InvalidInput(s) => OAuthError::InvalidInput(s),
            wit::OauthError::Unsupported(s) => OAuthError::Unsupported(s),
            wit::OauthError::DeviceExpired => OAuthError::DeviceExpired,
            wit::OauthError::TemporaryFailure(detail) => OAuthError::TemporaryFailure {
                step: None,
                detail,
                code: None,
            },
        }
    }
}

impl From<wit::OauthError> for Error {
    fn from(e: wit::OauthError) -> Self {
        Error::OAuth(e.into())
    }
}

impl From<wit_sasl::SaslError> for Error {
    fn from(e: wit_sasl::SaslError) -> Self {
        match e {
            wit_sasl::SaslError::InvalidInput(s) => Error::OAuth(OAuthError::InvalidInput(s)),
        }
    }
}

impl From<wit_mail::MailError> for Error {
    fn from(e: wit_mail::MailError) -> Self {
        Error::OAuth(match e {
            wit_mail::MailError::Oauth(e) => e.into(),
            wit_mail::MailError::InvalidInput(s) => OAuthError::InvalidInput(s),
            wit_mail::MailError::Transport(e) => OAuthError::Transport(e.into()),
            wit_mail::MailError::Http(e) => OAuthError::Http(e.into()),
            wit_mail::MailError::SaslRejected(r) => OAuthError::SaslRejected {
                status: r.status,
                scope: r.scope,
                server_text: r.server_text,
            },
            wit_mail::MailError::NoMechanism(offered) => OAuthError::NoMechanism(offered),
            wit_mail::MailError::TlsUnavailable(s) => OAuthError::TlsUnavailable(s),
            wit_mail::MailError::CommandRejected(r) => OAuthError::CommandRejected {
                step: r.step,
                reply: r.reply,
                code: r.code,
            },
            wit_mail::MailError::ProtocolViolation(r) => OAuthError::ProtocolViolation {
                step: r.step,
                reply: r.reply,
            },
            wit_mail::MailError::TemporaryFailure(r) => OAuthError::TemporaryFailure {
                step: Some(r.step),
                detail: r.reply,
                code: r.code,
            },
            wit_mail::MailError::SenderNotAuthorized(m) => OAuthError::SenderNotAuthorized {
                sender: m.sender,
                user: m.user,
            },
        })
    }
}
