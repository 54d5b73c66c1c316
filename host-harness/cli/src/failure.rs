//! What a command reports when it fails: a typed kind, a message that
//! holds no secret, and the exit status.

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
}

impl From<AccountError> for Failure {
    fn from(e: AccountError) -> Self {
        Failure {
            kind: e.kind(),
            code: if e.is_reauthorize_required() {
                REAUTHORIZE
            } else {
                ERROR
            },
            message: e.to_string(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure {
            kind: "host",
            message: format!("{e:#}"),
            code: ERROR,
        }
    }
}

/// A failure of `kind`, exit status 1.
pub(crate) fn failure(kind: &'static str, message: impl Into<String>) -> Failure {
    Failure {
        kind,
        message: message.into(),
        code: ERROR,
    }
}
