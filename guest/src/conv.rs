//! Every conversion between the generated bindings ([`crate::bindings`]) and
//! the core types, as `From` impls, in the order of the WIT interfaces (`http`,
//! `transport`, `types`, `mail`). Both sides are this crate's types, so the
//! orphan rule allows either direction; only the directions the export layer
//! uses exist. Every conversion is infallible: the WIT and the core agree case
//! by case.

use crate::bindings::{sasl as wit_sasl, wit, wit_http, wit_mail, wit_transport};
use crate::http::{Header, HttpError, HttpRequest, HttpResponse};
use crate::mail::{
    Credentials, Login, MailApi, MailError, MailFailure, Mechanism, Refreshable, Report, Step,
    TestMessage,
};
use crate::transport::{Security, TransportError};
use crate::types::{
    AuthorizationOptions, Client, ClientAuth, CommandRejection, DeviceAuthorization, DevicePoll,
    FreshTokens, MailProtocol, MailServer, PendingAuthorization, PresetKind, Provider, SaslFailure,
    SaslRejection, Server, TokenKind, TokenSet,
};
use crate::{Error, ProviderFailure, SaslError};

// http

impl From<Header> for wit_http::Header {
    fn from(header: Header) -> Self {
        Self {
            name: header.name,
            value: header.value,
        }
    }
}

impl From<wit_http::Header> for Header {
    fn from(header: wit_http::Header) -> Self {
        Header::new(header.name, header.value)
    }
}

impl From<HttpRequest> for wit_http::Request {
    fn from(req: HttpRequest) -> Self {
        Self {
            method: req.method,
            url: req.url,
            headers: req.headers.into_iter().map(Into::into).collect(),
            body: req.body,
        }
    }
}

impl From<wit_http::Response> for HttpResponse {
    fn from(response: wit_http::Response) -> Self {
        Self {
            status: response.status,
            headers: response.headers.into_iter().map(Into::into).collect(),
            body: response.body,
        }
    }
}

impl From<wit_http::HttpError> for HttpError {
    fn from(error: wit_http::HttpError) -> Self {
        use wit_http::HttpError as W;
        match error {
            W::Denied(t) => Self::Denied(t),
            W::Unreachable(t) => Self::Unreachable(t),
            W::Timeout => Self::Timeout,
            W::Tls(t) => Self::Tls(t),
            W::TooLarge => Self::TooLarge,
            W::Other(t) => Self::Other(t),
        }
    }
}

impl From<HttpError> for wit_http::HttpError {
    fn from(error: HttpError) -> Self {
        match error {
            HttpError::Denied(t) => Self::Denied(t),
            HttpError::Unreachable(t) => Self::Unreachable(t),
            HttpError::Timeout => Self::Timeout,
            HttpError::Tls(t) => Self::Tls(t),
            HttpError::TooLarge => Self::TooLarge,
            HttpError::Other(t) => Self::Other(t),
        }
    }
}

// transport

impl From<wit_transport::Security> for Security {
    fn from(security: wit_transport::Security) -> Self {
        use wit_transport::Security as W;
        match security {
            W::ImplicitTls => Self::ImplicitTls,
            W::Starttls => Self::Starttls,
            W::Plain => Self::Plain,
        }
    }
}

impl From<Security> for wit_transport::Security {
    fn from(security: Security) -> Self {
        match security {
            Security::ImplicitTls => Self::ImplicitTls,
            Security::Starttls => Self::Starttls,
            Security::Plain => Self::Plain,
        }
    }
}

impl From<wit_transport::TransportError> for TransportError {
    fn from(error: wit_transport::TransportError) -> Self {
        use wit_transport::TransportError as W;
        match error {
            W::Denied(t) => Self::Denied(t),
            W::Refused(t) => Self::Refused(t),
            W::Timeout => Self::Timeout,
            W::Tls(t) => Self::Tls(t),
            W::Closed => Self::Closed,
            W::LineTooLong => Self::LineTooLong,
            W::Other(t) => Self::Other(t),
        }
    }
}

impl From<TransportError> for wit_transport::TransportError {
    fn from(error: TransportError) -> Self {
        match error {
            TransportError::Denied(t) => Self::Denied(t),
            TransportError::Refused(t) => Self::Refused(t),
            TransportError::Timeout => Self::Timeout,
            TransportError::Tls(t) => Self::Tls(t),
            TransportError::Closed => Self::Closed,
            TransportError::LineTooLong => Self::LineTooLong,
            TransportError::Other(t) => Self::Other(t),
        }
    }
}

// types

impl From<wit::ClientAuth> for ClientAuth {
    fn from(auth: wit::ClientAuth) -> Self {
        match auth {
            wit::ClientAuth::Basic => Self::Basic,
            wit::ClientAuth::Post => Self::Post,
        }
    }
}

impl From<ClientAuth> for wit::ClientAuth {
    fn from(auth: ClientAuth) -> Self {
        match auth {
            ClientAuth::Basic => Self::Basic,
            ClientAuth::Post => Self::Post,
        }
    }
}

impl From<wit::Server> for Server {
    fn from(server: wit::Server) -> Self {
        Self {
            host: server.host,
            port: server.port,
            security: server.security.into(),
        }
    }
}

impl From<Server> for wit::Server {
    fn from(server: Server) -> Self {
        Self {
            host: server.host,
            port: server.port,
            security: server.security.into(),
        }
    }
}

impl From<wit::MailProtocol> for MailProtocol {
    fn from(protocol: wit::MailProtocol) -> Self {
        match protocol {
            wit::MailProtocol::Imap => Self::Imap,
            wit::MailProtocol::Pop3 => Self::Pop3,
            wit::MailProtocol::Smtp => Self::Smtp,
        }
    }
}

impl From<MailProtocol> for wit::MailProtocol {
    fn from(protocol: MailProtocol) -> Self {
        match protocol {
            MailProtocol::Imap => Self::Imap,
            MailProtocol::Pop3 => Self::Pop3,
            MailProtocol::Smtp => Self::Smtp,
        }
    }
}

impl From<wit::MailServer> for MailServer {
    fn from(server: wit::MailServer) -> Self {
        Self {
            protocol: server.protocol.into(),
            server: server.server.into(),
        }
    }
}

impl From<MailServer> for wit::MailServer {
    fn from(server: MailServer) -> Self {
        Self {
            protocol: server.protocol.into(),
            server: server.server.into(),
        }
    }
}

impl From<wit::Provider> for Provider {
    // Not inlined: called from six places, and each copy of its list conversion
    // is large (a few hundred bytes off the optimised component).
    #[inline(never)]
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

impl From<Provider> for wit::Provider {
    fn from(p: Provider) -> Self {
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

impl From<wit::PresetKind> for PresetKind {
    fn from(kind: wit::PresetKind) -> Self {
        match kind {
            wit::PresetKind::Google => Self::Google,
            wit::PresetKind::Microsoft(tenant) => Self::Microsoft(tenant),
            wit::PresetKind::Yahoo => Self::Yahoo,
            wit::PresetKind::Aol => Self::Aol,
            wit::PresetKind::Fastmail => Self::Fastmail,
            wit::PresetKind::Yandex => Self::Yandex,
            wit::PresetKind::MailRu => Self::MailRu,
            wit::PresetKind::Comcast => Self::Comcast,
            wit::PresetKind::Seznam => Self::Seznam,
        }
    }
}

impl From<PresetKind> for wit::PresetKind {
    fn from(kind: PresetKind) -> Self {
        match kind {
            PresetKind::Google => Self::Google,
            PresetKind::Microsoft(tenant) => Self::Microsoft(tenant),
            PresetKind::Yahoo => Self::Yahoo,
            PresetKind::Aol => Self::Aol,
            PresetKind::Fastmail => Self::Fastmail,
            PresetKind::Yandex => Self::Yandex,
            PresetKind::MailRu => Self::MailRu,
            PresetKind::Comcast => Self::Comcast,
            PresetKind::Seznam => Self::Seznam,
        }
    }
}

impl From<wit::Client> for Client {
    fn from(c: wit::Client) -> Self {
        Self {
            id: c.id,
            secret: c.secret,
            redirect_uri: c.redirect_uri,
        }
    }
}

impl From<wit::AuthorizationOptions> for AuthorizationOptions {
    fn from(options: wit::AuthorizationOptions) -> Self {
        Self {
            scopes: options.scopes,
            login_hint: options.login_hint,
        }
    }
}

impl From<wit::PendingAuthorization> for PendingAuthorization {
    fn from(p: wit::PendingAuthorization) -> Self {
        Self {
            url: p.url,
            state: p.state,
            pkce_verifier: p.pkce_verifier,
            nonce: p.nonce,
            redirect_uri: p.redirect_uri,
            scopes: p.scopes,
        }
    }
}

impl From<PendingAuthorization> for wit::PendingAuthorization {
    fn from(p: PendingAuthorization) -> Self {
        Self {
            url: p.url,
            state: p.state,
            pkce_verifier: p.pkce_verifier,
            nonce: p.nonce,
            redirect_uri: p.redirect_uri,
            scopes: p.scopes,
        }
    }
}

impl From<wit::TokenSet> for TokenSet {
    #[inline(never)]
    fn from(t: wit::TokenSet) -> Self {
        Self {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            expires_at: t.expires_at,
            scopes: t.scopes,
            id_token: t.id_token,
            account_email: t.account_email,
        }
    }
}

impl From<TokenSet> for wit::TokenSet {
    #[inline(never)]
    fn from(t: TokenSet) -> Self {
        Self {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            expires_at: t.expires_at,
            scopes: t.scopes,
            id_token: t.id_token,
            account_email: t.account_email,
        }
    }
}

impl From<FreshTokens> for wit::FreshTokens {
    fn from(fresh: FreshTokens) -> Self {
        Self {
            tokens: fresh.tokens.into(),
            refreshed: fresh.refreshed,
        }
    }
}

impl From<wit::TokenKind> for TokenKind {
    fn from(kind: wit::TokenKind) -> Self {
        match kind {
            wit::TokenKind::AccessToken => Self::AccessToken,
            wit::TokenKind::RefreshToken => Self::RefreshToken,
        }
    }
}

impl From<ProviderFailure> for wit::ProviderFailure {
    fn from(failure: ProviderFailure) -> Self {
        Self {
            code: failure.code,
            description: failure.description,
        }
    }
}

impl From<SaslFailure> for wit::SaslFailure {
    fn from(f: SaslFailure) -> Self {
        Self {
            status: f.status,
            schemes: f.schemes,
            scope: f.scope,
        }
    }
}

impl From<SaslRejection> for wit::SaslRejection {
    fn from(r: SaslRejection) -> Self {
        Self {
            status: r.status,
            scope: r.scope,
            server_text: r.server_text,
        }
    }
}

impl From<CommandRejection> for wit::CommandRejection {
    fn from(r: CommandRejection) -> Self {
        Self {
            step: r.step,
            reply: r.reply,
            code: r.code,
        }
    }
}

impl From<Error> for wit::OauthError {
    fn from(error: Error) -> Self {
        match error {
            Error::ReauthorizeRequired(f) => Self::ReauthorizeRequired(f.into()),
            Error::AccessDenied(d) => Self::AccessDenied(d),
            Error::StateMismatch => Self::StateMismatch,
            Error::IssuerMismatch { expected, received } => {
                Self::IssuerMismatch(wit::IssuerMismatch { expected, received })
            }
            Error::ProviderError(f) => Self::ProviderError(f.into()),
            Error::Http(e) => Self::Http(e.into()),
            Error::InvalidResponse { status, detail } => {
                Self::InvalidResponse(wit::InvalidResponse { status, detail })
            }
            Error::InvalidInput(what) => Self::InvalidInput(what),
            Error::Unsupported(what) => Self::Unsupported(what),
            Error::DeviceExpired => Self::DeviceExpired,
            Error::TemporaryFailure(why) => Self::TemporaryFailure(why),
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
            device_code: d.device_code,
            scopes: d.scopes,
        }
    }
}

impl From<DeviceAuthorization> for wit::DeviceAuthorization {
    fn from(d: DeviceAuthorization) -> Self {
        Self {
            user_code: d.user_code,
            verification_uri: d.verification_uri,
            verification_uri_complete: d.verification_uri_complete,
            expires_at: d.expires_at,
            interval: d.interval,
            device_code: d.device_code,
            scopes: d.scopes,
        }
    }
}

impl From<DevicePoll> for wit::DevicePoll {
    fn from(poll: DevicePoll) -> Self {
        match poll {
            DevicePoll::Pending(secs) => Self::Pending(secs),
            DevicePoll::Granted(tokens) => Self::Granted(tokens.into()),
        }
    }
}

// sasl

impl From<SaslError> for wit_sasl::SaslError {
    fn from(error: SaslError) -> Self {
        Self::InvalidInput(error.0)
    }
}

// mail

impl From<wit_mail::Mechanism> for Mechanism {
    fn from(mechanism: wit_mail::Mechanism) -> Self {
        match mechanism {
            wit_mail::Mechanism::Xoauth2 => Self::Xoauth2,
            wit_mail::Mechanism::Oauthbearer => Self::Oauthbearer,
        }
    }
}

impl From<Mechanism> for wit_mail::Mechanism {
    fn from(mechanism: Mechanism) -> Self {
        match mechanism {
            Mechanism::Xoauth2 => Self::Xoauth2,
            Mechanism::Oauthbearer => Self::Oauthbearer,
        }
    }
}

impl From<wit_mail::MailApi> for MailApi {
    fn from(api: wit_mail::MailApi) -> Self {
        match api {
            wit_mail::MailApi::Gmail => Self::Gmail,
            wit_mail::MailApi::Graph => Self::Graph,
        }
    }
}

impl From<MailError> for wit_mail::MailError {
    fn from(error: MailError) -> Self {
        match error {
            MailError::OAuth(e) => Self::Oauth(e.into()),
            MailError::InvalidInput(what) => Self::InvalidInput(what),
            MailError::Transport(e) => Self::Transport(e.into()),
            MailError::Http(e) => Self::Http(e.into()),
            MailError::SaslRejected(r) => Self::SaslRejected(r.into()),
            MailError::NoMechanism(offered) => Self::NoMechanism(offered),
            MailError::TlsUnavailable(t) => Self::TlsUnavailable(t),
            MailError::CommandRejected(r) => Self::CommandRejected(r.into()),
            MailError::ProtocolViolation(r) => Self::ProtocolViolation(r.into()),
            MailError::TemporaryFailure(r) => Self::TemporaryFailure(r.into()),
            MailError::SenderNotAuthorized { sender, user } => {
                Self::SenderNotAuthorized(wit::SenderMismatch { sender, user })
            }
        }
    }
}

impl From<wit_mail::Refreshable> for Refreshable {
    fn from(r: wit_mail::Refreshable) -> Self {
        Self {
            provider: r.provider.into(),
            client: r.client.into(),
            tokens: r.tokens.into(),
            now: r.now,
        }
    }
}

impl From<wit_mail::Credentials> for Credentials {
    fn from(credentials: wit_mail::Credentials) -> Self {
        match credentials {
            wit_mail::Credentials::AccessToken(t) => Self::AccessToken(t),
            wit_mail::Credentials::Refreshable(r) => Self::Refreshable(r.into()),
        }
    }
}

impl From<wit_mail::Login> for Login {
    fn from(login: wit_mail::Login) -> Self {
        Self {
            user: login.user,
            credentials: login.credentials.into(),
            mechanism: login.mechanism.map(Into::into),
        }
    }
}

impl From<wit_mail::TestMessage> for TestMessage {
    fn from(message: wit_mail::TestMessage) -> Self {
        Self {
            sender: message.sender,
            recipients: message.recipients,
            subject: message.subject,
            body: message.body,
            send_as: message.send_as,
            now: message.now,
        }
    }
}

impl From<Step> for wit_mail::Step {
    fn from(step: Step) -> Self {
        Self {
            name: step.name,
            millis: step.millis,
            detail: step.detail,
        }
    }
}

impl From<Report> for wit_mail::Report {
    fn from(report: Report) -> Self {
        Self {
            greeting: report.greeting,
            capabilities: report.capabilities,
            mechanism: report.mechanism.map(Into::into),
            steps: report.steps.into_iter().map(Into::into).collect(),
            refreshed: report.refreshed.map(Into::into),
        }
    }
}

impl From<MailFailure> for wit_mail::MailFailure {
    fn from(failure: MailFailure) -> Self {
        Self {
            error: failure.error.into(),
            refreshed: failure.refreshed.map(|t| (*t).into()),
        }
    }
}
