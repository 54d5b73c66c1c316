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

use exports::mail_oauth::plugin::{oauth, sasl};
use mail_oauth::plugin::{http as wit_http, types as wit};

use crate::http::{Header, HttpError, HttpRequest, HttpResponse};
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
