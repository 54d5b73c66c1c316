//! What a command reports when it fails: a typed kind, a message that
//! holds no secret, and the exit status.

use mail_oauth_runtime::error::{Error, OAuthError};
use mail_oauth_runtime::http_client::HttpError;
use mail_oauth_runtime::transport::TransportError;
use mail_oauth_store::AccountError;

/// Exit status 1: an error.
const ERROR: u8 = 1;
/// Exit status 3: the account must be authorized again (a mail client's
/// password command can tell this apart from a network failure).
const REAUTHORIZE: u8 = 3;

/// A failed command.
pub(crate) struct Failure {
    /// A stable machine name (`--json` prints it).
    pub(crate) kind: &'static str,
    /// For the admin.
    pub(crate) message: String,
    /// The process's exit status.
    pub(crate) code: u8,
    /// For `http` and `transport` failures, the precise reason (`denied`,
    /// `refused`, `timeout`, `tls`…).
    pub(crate) reason: Option<&'static str>,
}

/// The `http-error` case of an HTTP failure.
fn http_reason(e: &HttpError) -> &'static str {
    match e {
        HttpError::Denied(_) => "denied",
        HttpError::Unreachable(_) => "unreachable",
        HttpError::Timeout => "timeout",
        HttpError::Tls(_) => "tls",
        HttpError::TooLarge => "too_large",
        HttpError::Other(_) => "other",
    }
}

/// The `transport-error` case of a mail connection failure.
fn transport_reason(e: &TransportError) -> &'static str {
    match e {
        TransportError::Denied(_) => "denied",
        TransportError::Refused(_) => "refused",
        TransportError::Timeout => "timeout",
        TransportError::Tls(_) => "tls",
        TransportError::Closed => "closed",
        TransportError::LineTooLong => "line_too_long",
        TransportError::Other(_) => "other",
    }
}

/// The reason, and the option that fixes it when one does: a denied
/// loopback target, an unknown certificate issuer, TLS spoken to a port
/// that starts in plaintext.
fn network_hint(e: &OAuthError) -> Option<(&'static str, &'static str)> {
    let (reason, text) = match e {
        OAuthError::Http(h) => (
            http_reason(h),
            match h {
                HttpError::Denied(t) | HttpError::Tls(t) => t.as_str(),
                _ => "",
            },
        ),
        OAuthError::Transport(t) => (
            transport_reason(t),
            match t {
                TransportError::Denied(t) | TransportError::Tls(t) => t.as_str(),
                _ => "",
            },
        ),
        _ => return None,
    };
    let lower = text.to_ascii_lowercase();
    let hint = if reason == "denied" && (lower.contains("loopback") || lower.contains("plain")) {
        "; for a local test server, add --allow-loopback"
    } else if reason == "tls"
        && (lower.contains("unknownissuer") || lower.contains("unknown issuer"))
    {
        "; the certificate's issuer is not trusted: add its CA with --ca-file PEM"
    } else if reason == "tls"
        && (lower.contains("corrupt message") || lower.contains("invalidcontenttype"))
    {
        "; the server answered in plaintext: this port may expect STARTTLS (--security starttls)"
    } else {
        ""
    };
    Some((reason, hint))
}

impl From<AccountError> for Failure {
    fn from(e: AccountError) -> Self {
        // The library says what is wrong; the CLI says which command fixes it.
        let hint = match &e {
            AccountError::UnknownAccount(name) => {
                format!(": run `mail-oauth authorize --account {name}` first")
            }
            AccountError::NoMailServer(_) => ": give one with --server host:port".to_owned(),
            AccountError::NoPendingAuthorization(_) => {
                ": run `mail-oauth authorize --no-listen` again".to_owned()
            }
            AccountError::Revoked(name) => {
                format!(" (`mail-oauth authorize --account {name}`)")
            }
            _ => String::new(),
        };
        let network = match &e {
            AccountError::Plugin(Error::OAuth(oauth)) => network_hint(oauth),
            _ => None,
        };
        Failure {
            kind: e.kind(),
            code: if e.is_reauthorize_required() {
                REAUTHORIZE
            } else {
                ERROR
            },
            message: format!("{e}{hint}{}", network.map_or("", |(_, h)| h)),
            reason: network.map(|(r, _)| r),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure {
            kind: "host",
            message: format!("{e:#}"),
            code: ERROR,
            reason: None,
        }
    }
}

/// A failure of `kind`, exit status 1.
pub(crate) fn failure(kind: &'static str, message: impl Into<String>) -> Failure {
    Failure {
        kind,
        message: message.into(),
        code: ERROR,
        reason: None,
    }
}
