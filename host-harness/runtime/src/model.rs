//! The runtime's types for the contract's records.
//!
//! The generated bindings derive `Debug` on every record, which would print
//! tokens and client secrets. The records that carry a secret, or that the
//! account store keeps (with their own serde names), are written here, every
//! secret wrapped in [`Secret`], whose `Debug` and `Display` print
//! `[redacted]`. The records that carry no secret are the generated ones,
//! re-exported. Conversions between the two sets are in [`crate::conv`].

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
    /// Device authorization endpoint (RFC 8628), when there is one.
    #[serde(default)]
    pub device_authorization_endpoint: Option<String>,
    /// Revocation endpoint (RFC 7009), when there is one.
    pub revocation_endpoint: Option<String>,
    /// Scopes requested when the caller names none.
    pub default_scopes: Vec<String>,
    /// Extra authorization-request parameters.
    pub extra_parameters: Vec<(String, String)>,
    /// Client authentication at the token endpoint.
    pub client_auth: ClientAuth,
    /// Whether the code flow uses PKCE (S256).
    #[serde(default = "pkce_default")]
    pub pkce: bool,
    /// The provider's mail servers (presets only).
    #[serde(default)]
    pub mail_servers: Vec<MailServer>,
}

/// Accounts stored before 0.2 have no `pkce` member: they used PKCE.
fn pkce_default() -> bool {
    true
}

pub use crate::bindings::mail::{MailApi, Mechanism, Step, TestMessage};
pub use crate::bindings::types::{AuthorizationOptions, PresetKind, SaslFailure, TokenKind};
pub use crate::transport::Security;

/// A mail server to talk to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// How the connection is secured.
    pub security: Security,
}

/// A mail protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailProtocol {
    /// IMAP.
    Imap,
    /// POP3.
    Pop3,
    /// SMTP submission.
    Smtp,
}

/// One of a provider's mail servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailServer {
    /// What it speaks.
    pub protocol: MailProtocol,
    /// Where it is.
    pub server: Server,
}

/// A token set the component may refresh once during a mail dialogue.
#[derive(Debug, Clone)]
pub struct Refreshable {
    /// The issuing provider.
    pub provider: Provider,
    /// The client.
    pub client: Client,
    /// The tokens.
    pub tokens: TokenSet,
    /// Unix seconds.
    pub now: u64,
}

/// What a mail login authenticates with.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A bare access token.
    AccessToken(Secret),
    /// A token set the component may refresh once.
    Refreshable(Box<Refreshable>),
}

/// Who logs in to a mail server and how.
#[derive(Debug, Clone)]
pub struct Login {
    /// The SASL identity (the mailbox).
    pub user: String,
    /// The token.
    pub credentials: Credentials,
    /// Force a mechanism; `None` lets the component choose.
    pub mechanism: Option<Mechanism>,
}

/// The result of a successful mail dialogue.
#[derive(Debug, Clone)]
pub struct Report {
    /// The server's greeting.
    pub greeting: String,
    /// Capabilities / extensions advertised.
    pub capabilities: Vec<String>,
    /// The SASL mechanism used; `None` for a mail API.
    pub mechanism: Option<Mechanism>,
    /// Every step, in order.
    pub steps: Vec<Step>,
    /// New tokens to store, when the component refreshed.
    pub refreshed: Option<TokenSet>,
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

/// What the host keeps between the two halves of the code flow. `Debug`
/// shows the URL with its `state` and `nonce` replaced by `[redacted]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("url", &redacted_url(&self.url))
            .field("state", &self.state)
            .field("pkce_verifier", &self.pkce_verifier)
            .field("nonce", &self.nonce)
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// An authorization URL for printing: the values of `state` and `nonce` (and
/// any URL credentials) replaced by `[redacted]`; an unparsable URL is not
/// shown at all.
pub fn redacted_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "[unparsable URL]".to_owned();
    };
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if matches!(&*k, "state" | "nonce") {
                "[redacted]".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    if !pairs.is_empty() {
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("[redacted]"));
    }
    parsed.into()
}

/// A device authorization in progress (RFC 8628): what the host shows the
/// user and keeps while it polls (the WIT `device-authorization`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAuthorization {
    /// The code the user types.
    pub user_code: String,
    /// Where the user types it.
    pub verification_uri: String,
    /// The same with the code filled in, when the provider gives one.
    pub verification_uri_complete: Option<String>,
    /// When the device code expires, unix seconds.
    pub expires_at: u64,
    /// Seconds between polls.
    pub interval: u32,
    /// The device code.
    pub device_code: Secret,
    /// The scopes requested.
    pub scopes: Vec<String>,
}

/// What one poll of a device authorization found (the WIT `device-poll`).
#[derive(Debug, Clone)]
pub enum DevicePoll {
    /// Not decided yet: wait this many seconds, and use it as the interval
    /// of later polls.
    Pending(u32),
    /// Approved.
    Granted(TokenSet),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> PendingAuthorization {
        PendingAuthorization {
            url: "https://as.example/auth?client_id=c&state=STATE-4f1c0e9a&nonce=NONCE-77aa21&scope=openid+mail".into(),
            state: Secret::new("STATE-4f1c0e9a"),
            pkce_verifier: Secret::new("VERIFIER-0b9d"),
            nonce: Some(Secret::new("NONCE-77aa21")),
            redirect_uri: "http://127.0.0.1:8765/callback".into(),
            scopes: vec!["openid".into(), "mail".into()],
        }
    }

    #[test]
    fn debug_of_a_pending_authorization_shows_no_state_nonce_or_verifier() {
        let shown = format!("{:?} {:#?}", pending(), pending());
        for secret in ["STATE-4f1c0e9a", "NONCE-77aa21", "VERIFIER-0b9d"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("https://as.example/auth?client_id=c&state=%5Bredacted%5D"),
            "{shown}"
        );
        assert!(shown.contains("scope=openid+mail"), "{shown}");
    }

    #[test]
    fn redacted_url_hides_credentials_and_unparsable_urls() {
        assert_eq!(redacted_url("not a url state=x"), "[unparsable URL]");
        let shown = redacted_url("https://user:pw-secret@as.example/auth?nonce=n1");
        assert!(
            !shown.contains("pw-secret") && !shown.contains("n1"),
            "{shown}"
        );
        assert_eq!(
            redacted_url("https://as.example/auth"),
            "https://as.example/auth"
        );
    }
}
