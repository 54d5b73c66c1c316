//! The host's own view of the contract's records.
//!
//! The generated bindings derive `Debug` on every record, which would print
//! tokens and client secrets. These types wrap every secret in [`Secret`], whose
//! `Debug` and `Display` print `[redacted]`; the generated types stay private to
//! [`crate::plugin`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// A string that must never be printed: a token, a client secret, a PKCE
/// verifier, an OAuth `state`.
///
/// It serializes as the plain string (the account store encrypts it before it
/// reaches the disk); `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send it on.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How a confidential client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// HTTP Basic (`client_secret_basic`).
    Basic,
    /// Form body (`client_secret_post`).
    Post,
}

/// One authorization server's endpoints and defaults (the WIT `provider`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    /// Short machine name (`google`, `microsoft`, or the host's own).
    pub id: String,
    /// Human name.
    pub display_name: String,
    /// Issuer identifier, when known (checked against RFC 9207 `iss`).
    pub issuer: Option<String>,
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// Revocation endpoint (RFC 7009), when there is one.
    pub revocation_endpoint: Option<String>,
    /// Scopes requested when the caller names none.
    pub default_scopes: Vec<String>,
    /// Extra authorization-request parameters.
    pub extra_parameters: Vec<(String, String)>,
    /// Client authentication at the token endpoint.
    pub client_auth: ClientAuth,
}

/// The OAuth client registered with the provider (the WIT `client`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// Client id.
    pub id: String,
    /// Client secret; `None` for a public client.
    pub secret: Option<Secret>,
    /// Registered redirect URI.
    pub redirect_uri: String,
}

/// Options of one authorization request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationOptions {
    /// Scopes; empty means the provider's defaults.
    pub scopes: Vec<String>,
    /// Expected mailbox (`login_hint`).
    pub login_hint: Option<String>,
}

/// What the host keeps between the two halves of the code flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// The URL to open in the user's browser.
    pub url: String,
    /// The `state` value.
    pub state: Secret,
    /// The PKCE code verifier.
    pub pkce_verifier: Secret,
    /// The OIDC nonce, when `openid` was requested.
    pub nonce: Option<Secret>,
    /// The redirect URI of the request.
    pub redirect_uri: String,
    /// The scopes requested.
    pub scopes: Vec<String>,
}

/// Tokens from a successful grant (the WIT `token-set`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    /// Bearer access token.
    pub access_token: Secret,
    /// Refresh token, when issued.
    pub refresh_token: Option<Secret>,
    /// Expiry of the access token, unix seconds.
    pub expires_at: Option<u64>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Raw ID token, when issued.
    pub id_token: Option<Secret>,
    /// Unverified account e-mail from the ID token.
    pub account_email: Option<String>,
}

/// Which token to revoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// The access token.
    AccessToken,
    /// The refresh token.
    RefreshToken,
}
