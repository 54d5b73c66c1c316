//! The core OAuth error type, mirroring the WIT `oauth-error` variant case by
//! case, and the SASL encodings' own error.

use std::fmt;

use crate::http::HttpError;

/// An OAuth error as the provider reported it (RFC 6749 §5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderFailure {
    /// The `error` code, e.g. `invalid_grant`.
    pub code: String,
    /// The `error_description`, when given.
    pub description: Option<String>,
}

/// Every failure of the core. Each case says what the admin or host must do next;
/// no case ever carries a token, an authorization code, a PKCE verifier, a state or
/// a client secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The grant is dead: the user must authorize again.
    ReauthorizeRequired(ProviderFailure),
    /// The user or an admin policy refused consent (`error=access_denied`).
    AccessDenied(Option<String>),
    /// The callback's `state` is missing or is not the pending one.
    StateMismatch,
    /// The callback's `iss` or a discovery document names another issuer.
    IssuerMismatch {
        /// The issuer we expected.
        expected: String,
        /// The issuer we received.
        received: String,
    },
    /// Any other OAuth error reported by the provider.
    ProviderError(ProviderFailure),
    /// The host could not deliver the request.
    Http(HttpError),
    /// The provider answered something the protocol does not allow.
    InvalidResponse {
        /// The HTTP status received.
        status: u16,
        /// Why it was rejected, with a scrubbed excerpt of the body.
        detail: String,
    },
    /// The caller's input is unusable; the text names the field, never its value.
    InvalidInput(String),
    /// The provider cannot do what was asked; the text names the alternative.
    Unsupported(String),
    /// The device code expired before the user approved (RFC 8628).
    DeviceExpired,
    /// The provider said "later" (`temporarily_unavailable`, HTTP 429/502/503/504).
    TemporaryFailure(String),
}

/// The only failure of the SASL encodings (the WIT `sasl-error`): unusable
/// input. The text names the field, never its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaslError(pub String);

impl fmt::Display for SaslError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid input: {}", self.0)
    }
}

impl std::error::Error for SaslError {}

impl From<SaslError> for Error {
    fn from(error: SaslError) -> Self {
        Error::InvalidInput(error.0)
    }
}

impl Error {
    /// Shorthand for [`Error::InvalidInput`].
    pub(crate) fn input(what: impl Into<String>) -> Self {
        Error::InvalidInput(what.into())
    }
}

fn fmt_failure(f: &mut fmt::Formatter<'_>, failure: &ProviderFailure) -> fmt::Result {
    write!(f, "{}", failure.code)?;
    if let Some(description) = &failure.description {
        write!(f, ": {description}")?;
    }
    Ok(())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ReauthorizeRequired(failure) => {
                f.write_str("the grant is no longer valid, authorize again (")?;
                fmt_failure(f, failure)?;
                f.write_str(")")
            }
            Error::AccessDenied(Some(description)) => write!(f, "access denied: {description}"),
            Error::AccessDenied(None) => f.write_str("access denied"),
            Error::StateMismatch => f.write_str("the callback state does not match"),
            Error::IssuerMismatch { expected, received } => {
                write!(
                    f,
                    "issuer mismatch: expected {expected}, received {received}"
                )
            }
            Error::ProviderError(failure) => {
                f.write_str("the provider reported an error: ")?;
                fmt_failure(f, failure)
            }
            Error::Http(error) => write!(f, "HTTP request failed: {error}"),
            Error::InvalidResponse { status, detail } => {
                write!(f, "invalid response (HTTP {status}): {detail}")
            }
            Error::InvalidInput(what) => write!(f, "invalid input: {what}"),
            Error::Unsupported(what) => write!(f, "unsupported: {what}"),
            Error::DeviceExpired => {
                f.write_str("the device code expired before the user approved; start again")
            }
            Error::TemporaryFailure(why) => {
                write!(f, "the provider is temporarily unavailable: {why}")
            }
        }
    }
}

impl std::error::Error for Error {}
