//! The errors a host sees when it calls the component.

use crate::http_client::HttpError;
use crate::limits::LimitExceeded;
use crate::model::TokenSet;
use crate::transport::TransportError;

/// What an exported function reported: the WIT `oauth-error`, `sasl-error`
/// and `mail-error` cases in one enum (a mail function's failed refresh is
/// its OAuth case, e.g. [`OAuthError::ReauthorizeRequired`]). No case
/// carries a token, code, verifier or client secret: the component never puts
/// them there, and these texts are safe to log and to show to an admin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The grant is dead: the user must authorize again.
    #[error("the authorization is no longer valid ({code}{}): authorize the account again", describe(.description))]
    ReauthorizeRequired {
        /// OAuth error code, e.g. `invalid_grant`.
        code: String,
        /// The provider's description.
        description: Option<String>,
    },
    /// The user or an admin policy refused consent.
    #[error("access was denied at the provider{}", describe(.0))]
    AccessDenied(Option<String>),
    /// The callback does not answer this authorization request.
    #[error("the callback's state does not match this authorization request")]
    StateMismatch,
    /// The callback or discovery document names another issuer.
    #[error("issuer mismatch: expected {expected}, received {received}")]
    IssuerMismatch {
        /// The provider's issuer.
        expected: String,
        /// What was received.
        received: String,
    },
    /// Another OAuth error from the provider.
    #[error("the provider refused: {code}{}", describe(.description))]
    ProviderError {
        /// OAuth error code.
        code: String,
        /// The provider's description.
        description: Option<String>,
    },
    /// The host could not deliver a request.
    #[error("HTTP request failed: {0}")]
    Http(HttpError),
    /// The provider's answer broke the protocol.
    #[error("invalid response from the provider (HTTP {status}): {detail}")]
    InvalidResponse {
        /// HTTP status.
        status: u16,
        /// Why, with a scrubbed excerpt.
        detail: String,
    },
    /// Unusable input.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The provider cannot do what was asked; the text names the alternative.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The device code expired before the user approved.
    #[error(
        "the device code expired before the user approved: start the device authorization again"
    )]
    DeviceExpired,
    /// A provider or mail server said "later".
    #[error("temporarily unavailable{}: {detail} (retry later)", step.as_deref().map(|s| format!(" at {s}")).unwrap_or_default())]
    TemporaryFailure {
        /// The mail dialogue's step, for a mail server.
        step: Option<String>,
        /// What the server or provider said.
        detail: String,
        /// SMTP's reply code or a mail API's HTTP status, when there is one.
        code: Option<u16>,
    },
    /// The host could not connect to, read from or write to a mail server.
    #[error("mail server connection failed: {0}")]
    Transport(TransportError),
    /// The mail server refused the token.
    #[error("the mail server refused the token{}{}: {server_text}", status.as_deref().map(|s| format!(" (status {s})")).unwrap_or_default(), scope.as_deref().map(|s| format!(", it asks for scope {s}")).unwrap_or_default())]
    SaslRejected {
        /// The error challenge's `status`, when there was one.
        status: Option<String>,
        /// The scope the server requires, when it said.
        scope: Option<String>,
        /// The server's final reply.
        server_text: String,
    },
    /// The server offers neither XOAUTH2 nor OAUTHBEARER.
    #[error("the server offers no OAuth2 SASL mechanism (it offers: {})", .0.join(" "))]
    NoMechanism(Vec<String>),
    /// STARTTLS was asked for and is not available.
    #[error("STARTTLS is not available: {0}")]
    TlsUnavailable(String),
    /// The server refused a command.
    #[error("the server refused {step}: {reply}")]
    CommandRejected {
        /// The step.
        step: String,
        /// The reply.
        reply: String,
        /// SMTP's reply code or a mail API's HTTP status, when there is one.
        code: Option<u16>,
    },
    /// The server's reply breaks the protocol.
    #[error("protocol violation at {step}: {reply}")]
    ProtocolViolation {
        /// The step.
        step: String,
        /// The reply excerpt.
        reply: String,
    },
    /// The test message's sender is not the authorized account.
    #[error(
        "{sender} is not the authorized account {user}: declare a send-as right to send as another address"
    )]
    SenderNotAuthorized {
        /// The sender asked for.
        sender: String,
        /// The authorized login.
        user: String,
    },
}

fn describe(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

impl OAuthError {
    /// A stable machine name for the case, for JSON output and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            OAuthError::ReauthorizeRequired { .. } => "reauthorize_required",
            OAuthError::AccessDenied(_) => "access_denied",
            OAuthError::StateMismatch => "state_mismatch",
            OAuthError::IssuerMismatch { .. } => "issuer_mismatch",
            OAuthError::ProviderError { .. } => "provider_error",
            OAuthError::Http(_) => "http",
            OAuthError::InvalidResponse { .. } => "invalid_response",
            OAuthError::InvalidInput(_) => "invalid_input",
            OAuthError::Unsupported(_) => "unsupported",
            OAuthError::DeviceExpired => "device_expired",
            OAuthError::TemporaryFailure { .. } => "temporary_failure",
            OAuthError::Transport(_) => "transport",
            OAuthError::SaslRejected { .. } => "sasl_rejected",
            OAuthError::NoMechanism(_) => "no_mechanism",
            OAuthError::TlsUnavailable(_) => "tls_unavailable",
            OAuthError::CommandRejected { .. } => "command_rejected",
            OAuthError::ProtocolViolation { .. } => "protocol_violation",
            OAuthError::SenderNotAuthorized { .. } => "sender_not_authorized",
        }
    }
}

/// A failed call into the component.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The component returned a typed error.
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    /// A host limit stopped the call (memory, time, hostcall data). The
    /// call's instance is gone; the next call works.
    #[error("the call was stopped: {0}")]
    Limit(#[from] LimitExceeded),
    /// The component trapped or could not be called (a bug, or no free slot
    /// in the instance pool).
    #[error("the component failed: {0:#}")]
    Trap(anyhow::Error),
}

impl From<wasmtime::Error> for Error {
    fn from(e: wasmtime::Error) -> Self {
        // A limit's error travels inside the trap, under wasmtime's
        // backtrace context.
        if let Some(limit) = e.downcast_ref::<LimitExceeded>() {
            return Error::Limit(limit.clone());
        }
        if let Some(full) = e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>() {
            return Error::Limit(LimitExceeded::PoolFull {
                detail: full.to_string(),
            });
        }
        Error::Trap(e.into())
    }
}

impl Error {
    /// A stable machine name, as [`OAuthError::kind`], or `trap`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::OAuth(e) => e.kind(),
            Error::Limit(l) => l.kind(),
            Error::Trap(_) => "trap",
        }
    }

    /// The typed error, when the component returned one.
    pub fn oauth(&self) -> Option<&OAuthError> {
        match self {
            Error::OAuth(e) => Some(e),
            Error::Limit(_) | Error::Trap(_) => None,
        }
    }
}

/// A failed mail dialogue, with the tokens refreshed on the way: store them
/// even though the dialogue failed (the refresh token may have rotated).
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct MailFailure {
    /// What went wrong.
    #[source]
    pub error: Error,
    /// New tokens, when a refresh happened before the failure (boxed: the
    /// error path stays small).
    pub refreshed: Option<Box<TokenSet>>,
}

impl From<Error> for MailFailure {
    fn from(error: Error) -> Self {
        Self {
            error,
            refreshed: None,
        }
    }
}

impl From<wasmtime::Error> for MailFailure {
    fn from(e: wasmtime::Error) -> Self {
        Error::from(e).into()
    }
}
