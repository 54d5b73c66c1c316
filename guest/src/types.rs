//! The records shared by the flows, mirroring the WIT `types` interface. Those
//! holding secrets print them as `[redacted]` in their `Debug` output.

use std::fmt;

use crate::transport::Security;

/// How the client authenticates at the token and revocation endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with the url-encoded client id and secret (`client_secret_basic`).
    Basic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    Post,
}

/// A mail protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailProtocol {
    /// IMAP4rev1.
    Imap,
    /// POP3.
    Pop3,
    /// SMTP submission.
    Smtp,
}

/// One of a provider's mail servers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailServer {
    /// What it speaks.
    pub protocol: MailProtocol,
    /// Where it is.
    pub server: Server,
}

/// A mail server to talk to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    /// Host name or address, e.g. `imap.gmail.com`.
    pub host: String,
    /// TCP port, e.g. 993.
    pub port: u16,
    /// How the connection is secured.
    pub security: Security,
}

/// Everything needed to talk to one authorization server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    /// Short machine name: `google`, `microsoft`, or any host-chosen id.
    pub id: String,
    /// Human name, e.g. `Google (Gmail)`.
    pub display_name: String,
    /// The issuer identifier, when known; a callback `iss` must equal it.
    pub issuer: Option<String>,
    /// The authorization endpoint the user's browser is sent to.
    pub authorization_endpoint: String,
    /// The token endpoint (code exchange, device polling, client credentials,
    /// refresh).
    pub token_endpoint: String,
    /// The device authorization endpoint (RFC 8628), when the provider has one.
    pub device_authorization_endpoint: Option<String>,
    /// The revocation endpoint (RFC 7009), when the provider has one.
    pub revocation_endpoint: Option<String>,
    /// The scopes requested when the caller names none.
    pub default_scopes: Vec<String>,
    /// Extra authorization-request parameters.
    pub extra_parameters: Vec<(String, String)>,
    /// The provider's mail servers (empty for discovered and custom ones).
    pub mail_servers: Vec<MailServer>,
    /// How a confidential client authenticates at the token endpoint.
    pub client_auth: ClientAuth,
    /// Whether the code flow carries a PKCE S256 challenge and verifier.
    pub pkce: bool,
}

/// Which preset provider to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PresetKind {
    /// Google (Gmail).
    Google,
    /// Microsoft identity platform v2, for the given tenant.
    Microsoft(String),
    /// Yahoo Mail (and AT&T).
    Yahoo,
    /// AOL Mail.
    Aol,
    /// Fastmail.
    Fastmail,
    /// Yandex Mail.
    Yandex,
    /// Mail.ru.
    MailRu,
    /// Comcast (Xfinity).
    Comcast,
    /// Seznam.cz.
    Seznam,
}

/// The OAuth client the admin registered with the provider.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// The client (application) id.
    pub id: String,
    /// The client secret; `None` for a public client. Secret.
    pub secret: Option<String>,
    /// The redirect URI registered with the provider.
    pub redirect_uri: String,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| Redacted))
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// Options of one authorization request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizationOptions {
    /// Scopes to request; empty means the provider's defaults.
    pub scopes: Vec<String>,
    /// The mailbox the user is expected to sign in with (`login_hint`).
    pub login_hint: Option<String>,
}

/// What the host keeps between `begin_authorization` and `complete_authorization`.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingAuthorization {
    /// The URL to send the user's browser to.
    pub url: String,
    /// The `state` value. Secret.
    pub state: String,
    /// The PKCE S256 code verifier. Secret.
    pub pkce_verifier: String,
    /// The OIDC nonce, present when `openid` was requested. Secret.
    pub nonce: Option<String>,
    /// The redirect URI used in the request.
    pub redirect_uri: String,
    /// The scopes requested.
    pub scopes: Vec<String>,
}

impl fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL carries the state too.
        f.debug_struct("PendingAuthorization")
            .field("url", &Redacted)
            .field("state", &Redacted)
            .field("pkce_verifier", &Redacted)
            .field("nonce", &self.nonce.as_ref().map(|_| Redacted))
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// A device authorization in progress (RFC 8628 §3.2).
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    /// The code the user types at `verification_uri`.
    pub user_code: String,
    /// Where the user goes.
    pub verification_uri: String,
    /// The same with the user code filled in, when given.
    pub verification_uri_complete: Option<String>,
    /// When the device code expires, in unix seconds.
    pub expires_at: u64,
    /// Seconds between two polls.
    pub interval: u32,
    /// The device code. Secret.
    pub device_code: String,
    /// The scopes requested.
    pub scopes: Vec<String>,
}

impl fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("verification_uri_complete", &self.verification_uri_complete)
            .field("expires_at", &self.expires_at)
            .field("interval", &self.interval)
            .field("device_code", &Redacted)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// What one poll of a device authorization found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DevicePoll {
    /// Not decided yet: the seconds to wait before the next poll.
    Pending(u32),
    /// Approved: the tokens.
    Granted(TokenSet),
}

/// The result of a successful grant. Every token in it is a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// The bearer access token.
    pub access_token: String,
    /// The refresh token, when the provider issued one.
    pub refresh_token: Option<String>,
    /// When the access token expires, in unix seconds.
    pub expires_at: Option<u64>,
    /// The scopes granted (the requested ones when the provider omits them).
    pub scopes: Vec<String>,
    /// The raw ID token, when one was issued.
    pub id_token: Option<String>,
    /// The unverified `email` (or `preferred_username`/`upn`) claim of the ID token.
    pub account_email: Option<String>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &Redacted)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| Redacted),
            )
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("id_token", &self.id_token.as_ref().map(|_| Redacted))
            .field("account_email", &self.account_email)
            .finish()
    }
}

/// The result of `ensure_fresh`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreshTokens {
    /// The token set to use.
    pub tokens: TokenSet,
    /// True when a refresh happened and the host must store `tokens`.
    pub refreshed: bool,
}

/// Which token `revoke` revokes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// The access token.
    AccessToken,
    /// The refresh token.
    RefreshToken,
}

/// A SASL error challenge decoded by `sasl::parse_failure` (RFC 7628 §3.2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaslFailure {
    /// The `status` member, e.g. `401` or `invalid_token`.
    pub status: String,
    /// The `schemes` member, e.g. `bearer`.
    pub schemes: Option<String>,
    /// The `scope` member.
    pub scope: Option<String>,
}

/// The server refused the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaslRejection {
    /// The `status` of the decoded error challenge, e.g. `401` or `invalid_token`.
    pub status: Option<String>,
    /// The `scope` of the decoded error challenge: the scope the server requires.
    pub scope: Option<String>,
    /// The server's final reply line.
    pub server_text: String,
}

impl SaslRejection {
    /// True when the challenge says the token itself is invalid or expired, the
    /// one case a refresh can cure.
    pub fn token_invalid(&self) -> bool {
        matches!(self.status.as_deref(), Some("401" | "invalid_token"))
    }
}

/// A server reply to a named step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRejection {
    /// The step, e.g. `select`, `rcpt`, `greeting`.
    pub step: String,
    /// The reply (an excerpt, cleaned of credentials).
    pub reply: String,
    /// SMTP's reply code or a mail API's HTTP status.
    pub code: Option<u16>,
}

/// Prints `[redacted]` in place of a secret.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}
