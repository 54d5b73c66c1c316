//! The errors a host sees when it calls the component.

use crate::http_client::HttpError;

/// What an exported function reported, as the WIT `error` variant. No case
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
        }
    }
}

/// A failed call into the component.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The component returned a typed error.
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    /// The component trapped or could not be called (a bug, or a host limit).
    #[error("the component failed: {0:#}")]
    Trap(#[from] anyhow::Error),
}

impl From<wasmtime::Error> for Error {
    fn from(e: wasmtime::Error) -> Self {
        Error::Trap(e.into())
    }
}

impl Error {
    /// A stable machine name, as [`OAuthError::kind`], or `trap`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::OAuth(e) => e.kind(),
            Error::Trap(_) => "trap",
        }
    }

    /// The typed error, when the component returned one.
    pub fn oauth(&self) -> Option<&OAuthError> {
        match self {
            Error::OAuth(e) => Some(e),
            Error::Trap(_) => None,
        }
    }
}
