//! The connection to a mail server as the dialogues see it, mirroring the WIT
//! `transport` interface. At the bottom of the crate with [`http`](crate::http):
//! [`types`](crate::types) uses [`Security`], the dialogues in
//! [`mail`](crate::mail) use the rest.
//!
//! The host owns the socket and all of TLS (certificate validation included); the
//! component reads and writes plaintext. The export layer implements
//! [`Transport`] over the host import; the tests implement it with a script.
//!
//! Shape: one trait to open connections and one for an open connection, so a
//! dialogue can be written once against `impl Transport` and reconnect (the
//! refresh-once retry needs a second connection). [`Connection`] methods take
//! `&mut self` although the WIT resource's take `&self`: a connection is used by
//! one dialogue at a time, and a fake then needs no interior mutability.

use std::fmt;

/// How a connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte: IMAP 993, POP3 995, SMTP 465.
    ImplicitTls,
    /// Plain at first; the dialogue sends STARTTLS (IMAP, SMTP) or STLS (POP3)
    /// and calls [`Connection::upgrade_tls`] before any credential is sent.
    Starttls,
    /// No TLS at all; hosts allow it only where their policy says so.
    Plain,
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Security::ImplicitTls => "implicit TLS",
            Security::Starttls => "STARTTLS",
            Security::Plain => "plain",
        })
    }
}

/// Why the host could not connect, read or write (mirrors WIT `transport-error`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The host's egress policy forbids this host, port, address or security.
    Denied(String),
    /// Name resolution failed or the server refused or reset the connection.
    Refused(String),
    /// The server did not answer within the host's time limit.
    Timeout,
    /// The TLS handshake or certificate validation failed.
    Tls(String),
    /// The server closed the connection (end of stream).
    Closed,
    /// A line exceeded the requested maximum or the host's cap; the connection
    /// is unusable afterwards.
    LineTooLong,
    /// Any other I/O failure.
    Other(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Denied(target) => write!(f, "denied by the egress policy: {target}"),
            TransportError::Refused(reason) => write!(f, "connection refused: {reason}"),
            TransportError::Timeout => f.write_str("the server did not answer in time"),
            TransportError::Tls(reason) => write!(f, "TLS failure: {reason}"),
            TransportError::Closed => f.write_str("the server closed the connection"),
            TransportError::LineTooLong => f.write_str("the server sent a line that is too long"),
            TransportError::Other(reason) => write!(f, "I/O failure: {reason}"),
        }
    }
}

impl std::error::Error for TransportError {}

/// Opens connections to mail servers: the host import in the component, a
/// scripted fake in tests.
pub trait Transport {
    /// The connection type this transport opens.
    type Conn: Connection;

    /// Opens a connection; with [`Security::ImplicitTls`] the TLS handshake is
    /// done when this returns.
    fn connect(
        &self,
        host: &str,
        port: u16,
        security: Security,
    ) -> Result<Self::Conn, TransportError>;
}

/// One open connection. Dropping it closes the socket.
pub trait Connection {
    /// Reads one line, up to and including its LF, at most `max_len` bytes;
    /// [`TransportError::LineTooLong`] if no LF came within `max_len`.
    fn read_line(&mut self, max_len: u32) -> Result<Vec<u8>, TransportError>;

    /// Reads exactly `len` bytes (an IMAP literal).
    fn read_exact(&mut self, len: u32) -> Result<Vec<u8>, TransportError>;

    /// Writes all of `data`.
    fn write(&mut self, data: &[u8]) -> Result<(), TransportError>;

    /// Starts TLS on a [`Security::Starttls`] connection after the server agreed.
    fn upgrade_tls(&mut self) -> Result<(), TransportError>;
}
