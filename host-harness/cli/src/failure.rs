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
        // The library says what is wrong; the CLI says which command fixes it.
        let hint = match &e {
            AccountError::UnknownAccount(name) => {
                format!(": run `mail-oauth authorize --account {name}` first")
            }
            AccountError::NoMailServer(_) => ": give one with --server host:port".to_owned(),
            AccountError::NoPendingAuthorization(_) => {
                ": run `mail-oauth authorize --no-listen` again".to_owned()
            }
            _ => String::new(),
        };
        Failure {
            kind: e.kind(),
            code: if e.is_reauthorize_required() {
                REAUTHORIZE
            } else {
                ERROR
            },
            message: format!("{e}{hint}"),
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
