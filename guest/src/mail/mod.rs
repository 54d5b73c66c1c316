//! Mail dialogues over a host [`Transport`] and mail APIs over its
//! [`Http`](crate::http::Http):
//! verify that an IMAP, POP3 or SMTP server, the Gmail API or Microsoft Graph
//! accepts the token, and send a test message. Mirrors the WIT `mail`
//! interface.
//!
//! Every entry point follows the same frame (`run_with_refresh`, in the private
//! `dialogue` module): check the input and build the SASL responses before
//! connecting (so a bad value never reaches a server), refresh an expired token
//! first, run the dialogue, and when the server rejects the token as invalid
//! (`401` / `invalid_token`) refresh once, reconnect and retry once.
//!
//! Secrets: the access token and the SASL strings travel only in the AUTH bytes.
//! Every text put into a [`Step`] or a [`MailError`] passes through
//! `Session::clean`, which removes them even when a server echoes them back.

pub mod api;
mod dialogue;
pub mod imap;
pub mod message;
pub mod pop3;
pub mod smtp;

pub use crate::transport::{self, Connection, Security, Transport, TransportError};
pub use crate::types::{CommandRejection, MailProtocol, MailServer, SaslRejection, Server};
pub use api::{MailApi, send_via_api, verify_api};
pub use dialogue::{
    Credentials, Login, MAX_LINE, MailError, MailFailure, Mechanism, Refreshable, Report, Step,
    TestMessage,
};
pub use imap::verify_imap;
pub use pop3::verify_pop3;
pub use smtp::{send_test_message, verify_smtp};
