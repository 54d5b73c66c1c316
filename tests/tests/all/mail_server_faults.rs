//! Mail servers that misbehave — scripted on 127.0.0.1 (security `plain`,
//! loopback allowed) — give typed errors quickly: a connection dropped in
//! the middle of AUTH, a greeting that never comes, an endless line,
//! garbage instead of a reply, a `PREAUTH` greeting. None hangs, and no
//! error text carries the token.

use std::time::{Duration, Instant};

use crate::common::{
    Act, ScriptedMailServer, TempStore, local_server, mail_session, token_login, unique_id,
};
use mail_oauth_runtime::OAuthError;
use mail_oauth_runtime::error::{Error, MailFailure};
use mail_oauth_runtime::model::{MailProtocol, Report, Secret, Security};
use mail_oauth_runtime::transport::{TransportError, TransportLimits};
use mail_oauth_store::SqliteStore;
use mail_oauth_store::accounts::{Accounts, NetworkOptions};

/// The I/O timeout of these tests' transport: a silent server costs this.
const IO_TIMEOUT: Duration = Duration::from_millis(500);

/// No fault may take longer than this (the default I/O timeout is 30 s).
const QUICK: Duration = Duration::from_secs(5);

const IMAP_GREETING: &str =
    "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER] scripted ready";

/// Runs one dialogue of `protocol` against `server` with a made-up token;
/// returns the failure and the token.
fn run_against(
    store: &TempStore,
    protocol: MailProtocol,
    server: &ScriptedMailServer,
) -> (MailFailure, Secret, Duration) {
    let accounts = Accounts::new(
        crate::common::plugin(),
        SqliteStore::open(&store.dir).unwrap(),
        NetworkOptions {
            allow_loopback: true,
            transport_limits: Some(TransportLimits {
                io_timeout: IO_TIMEOUT,
                ..TransportLimits::default()
            }),
            ..NetworkOptions::default()
        },
    );
    let target = local_server(server.port(), Security::Plain);
    let token = Secret::new(format!("fault-token-{}", unique_id()));
    let login = token_login("alice@example.test", &token, None);
    let started = Instant::now();
    let result: Result<Report, MailFailure> = {
        // The session (and so the connection) is gone when this block ends.
        let mut session = mail_session(&accounts, &target);
        match protocol {
            MailProtocol::Imap => session.verify_imap(&target, &login),
            MailProtocol::Pop3 => session.verify_pop3(&target, &login),
            MailProtocol::Smtp => session.verify_smtp(&target, &login),
        }
    };
    let elapsed = started.elapsed();
    let failure = match result {
        Ok(report) => panic!("a scripted fault passed: {:?}", report.steps),
        Err(failure) => failure,
    };
    assert!(elapsed < QUICK, "{protocol:?} took {elapsed:?}: {failure}");
    let shown = format!("{failure} {failure:?}");
    assert!(
        !shown.contains(token.expose()),
        "the error shows the token: {shown}"
    );
    assert!(failure.refreshed.is_none());
    (failure, token, elapsed)
}

fn transport_error(failure: &MailFailure) -> &TransportError {
    match &failure.error {
        Error::OAuth(OAuthError::Transport(e)) => e,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

fn protocol_error(failure: &MailFailure) -> (&str, &str) {
    match &failure.error {
        Error::OAuth(OAuthError::ProtocolViolation { step, reply }) => (step, reply),
        other => panic!("expected mail-protocol, got {other:?}"),
    }
}

#[test]
fn imap_connection_dropped_during_authenticate_is_closed() {
    let store = TempStore::new("fault-drop-imap");
    let server = ScriptedMailServer::start(vec![Act::line(IMAP_GREETING), Act::ReadLine]);
    let (failure, token, _) = run_against(&store, MailProtocol::Imap, &server);
    assert_eq!(transport_error(&failure), &TransportError::Closed);
    // The dialogue got as far as AUTHENTICATE (with SASL-IR, inline).
    let received = server.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(
        received[0].starts_with("A1 AUTHENTICATE XOAUTH2 "),
        "{:?}",
        received[0].split(' ').take(3).collect::<Vec<_>>()
    );
    assert!(!failure.to_string().contains(token.expose()));
}

#[test]
fn smtp_connection_dropped_during_auth_is_closed() {
    let store = TempStore::new("fault-drop-smtp");
    let server = ScriptedMailServer::start(vec![
        Act::line("220 scripted ESMTP"),
        Act::ReadLine,
        Act::line("250-scripted\r\n250 AUTH XOAUTH2 OAUTHBEARER"),
        Act::ReadLine,
    ]);
    let (failure, _, _) = run_against(&store, MailProtocol::Smtp, &server);
    assert_eq!(transport_error(&failure), &TransportError::Closed);
    let received = server.received();
    assert_eq!(received.len(), 2, "{received:?}");
    assert!(received[0].starts_with("EHLO "), "{:?}", received[0]);
    assert!(received[1].starts_with("AUTH XOAUTH2 "));
}

#[test]
fn a_greeting_that_never_comes_times_out() {
    let store = TempStore::new("fault-silent");
    for protocol in [MailProtocol::Imap, MailProtocol::Pop3, MailProtocol::Smtp] {
        let server = ScriptedMailServer::start(vec![Act::Silent]);
        let (failure, _, elapsed) = run_against(&store, protocol, &server);
        assert_eq!(
            transport_error(&failure),
            &TransportError::Timeout,
            "{protocol:?}"
        );
        assert!(elapsed >= IO_TIMEOUT, "{protocol:?}: {elapsed:?}");
        // The server saw nothing: the client waited for the greeting.
        assert!(server.received().is_empty());
    }
}

#[test]
fn a_ten_megabyte_line_is_line_too_long_quickly() {
    let store = TempStore::new("fault-long");
    let mut endless = vec![b'x'; 10 * 1024 * 1024];
    endless.extend_from_slice(b"\r\n");
    for protocol in [MailProtocol::Imap, MailProtocol::Smtp] {
        let mut start = match protocol {
            MailProtocol::Imap => b"* OK ".to_vec(),
            _ => b"220 ".to_vec(),
        };
        start.extend_from_slice(&endless);
        let server = ScriptedMailServer::start(vec![Act::Send(start)]);
        let (failure, _, elapsed) = run_against(&store, protocol, &server);
        assert_eq!(
            transport_error(&failure),
            &TransportError::LineTooLong,
            "{protocol:?}"
        );
        assert!(
            elapsed < Duration::from_secs(2),
            "{protocol:?}: {elapsed:?}"
        );
        server.received();
    }
}

#[test]
fn garbage_instead_of_a_reply_is_a_protocol_error() {
    let store = TempStore::new("fault-garbage");

    // Instead of the greeting.
    let server = ScriptedMailServer::start(vec![Act::line("HTTP/1.1 400 Bad Request")]);
    let (failure, _, _) = run_against(&store, MailProtocol::Imap, &server);
    assert_eq!(protocol_error(&failure).0, "greeting");
    server.received();

    // Instead of the answer to AUTHENTICATE.
    let server = ScriptedMailServer::start(vec![
        Act::line(IMAP_GREETING),
        Act::ReadLine,
        Act::line("\u{1}\u{2} garbage \u{7f}"),
    ]);
    let (failure, _, _) = run_against(&store, MailProtocol::Imap, &server);
    let (step, reply) = protocol_error(&failure);
    assert_eq!(step, "authenticate", "{reply}");
    assert!(reply.contains("garbage"), "{reply}");
    assert!(!reply.chars().any(char::is_control), "{reply:?}");
    server.received();

    // SMTP: a reply without a code.
    let server = ScriptedMailServer::start(vec![
        Act::line("220 scripted ESMTP"),
        Act::ReadLine,
        Act::line("hello there"),
    ]);
    let (failure, _, _) = run_against(&store, MailProtocol::Smtp, &server);
    assert_eq!(protocol_error(&failure).0, "ehlo");
    server.received();

    // POP3: neither +OK nor -ERR.
    let server = ScriptedMailServer::start(vec![Act::line("* OK this is IMAP")]);
    let (failure, _, _) = run_against(&store, MailProtocol::Pop3, &server);
    assert_eq!(protocol_error(&failure).0, "greeting");
    server.received();
}

#[test]
fn a_preauth_greeting_is_a_protocol_error_and_nothing_is_sent() {
    let store = TempStore::new("fault-preauth");
    let server = ScriptedMailServer::start(vec![
        Act::line("* PREAUTH [CAPABILITY IMAP4rev1] logged in as alice"),
        Act::ReadLine,
    ]);
    let (failure, _, _) = run_against(&store, MailProtocol::Imap, &server);
    let (step, reply) = protocol_error(&failure);
    assert_eq!(step, "greeting");
    assert!(reply.contains("PREAUTH"), "{reply}");
    // The client hung up without sending a command (let alone a token).
    assert!(server.received().is_empty());
}
