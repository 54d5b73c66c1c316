//! A test message whose sender is not the authorized account, without a
//! declared send-as right, is `sender-not-authorized` before any connection
//! (library and CLI); with `--send-as`, the real Postfix refuses the
//! envelope at RCPT (`reject_sender_login_mismatch`, 553).

use std::time::Duration;

use crate::common::{
    TempStore, assert_never_connected, authorized_account, last_json, local_server, mail_session,
    run, token_login, untouched_listener,
};
use mail_oauth_runtime::OAuthError;
use mail_oauth_runtime::error::Error;
use mail_oauth_runtime::model::{Secret, Security, TestMessage};
use mail_oauth_runtime::transport::TransportLimits;
use mail_oauth_store::SqliteStore;
use mail_oauth_store::accounts::{AccountError, Accounts, NetworkOptions, unix_now};
use mail_oauth_tests::peers;

fn message(sender: &str, send_as: bool) -> TestMessage {
    TestMessage {
        sender: sender.to_owned(),
        recipients: vec![peers::ALICE.to_owned()],
        subject: "sender mismatch".to_owned(),
        body: "must not be sent".to_owned(),
        send_as,
        now: unix_now(),
    }
}

/// The library: the component refuses before asking the host to connect;
/// the SMTP "server" (a listener nobody accepts from) never sees a handshake.
#[test]
fn library_refuses_another_sender_before_connecting() {
    let store = TempStore::new("mismatch-lib");
    let listener = untouched_listener();
    let server = local_server(listener.local_addr().unwrap().port(), Security::Plain);
    let accounts = store.accounts(true);
    let token = Secret::new("token-that-must-not-travel");
    let login = token_login(peers::ALICE, &token, None);

    let failure = mail_session(&accounts, &server)
        .send_test_message(&server, &login, &message(peers::BOB, false))
        .expect_err("another sender without send-as");
    match &failure.error {
        Error::OAuth(OAuthError::SenderNotAuthorized { sender, user }) => {
            assert_eq!(sender, peers::BOB);
            assert_eq!(user, peers::ALICE);
        }
        other => panic!("expected sender-not-authorized, got {other:?}"),
    }
    assert!(failure.refreshed.is_none());
    assert!(!format!("{failure} {failure:?}").contains(token.expose()));
    assert_never_connected(&listener);

    // Positive control: the same sender with a different case is the
    // account itself, and then the component does connect (the listener
    // sees the handshake; nothing answers, so it ends in a transport error).
    let upper = peers::ALICE.to_ascii_uppercase();
    let quick = Accounts::new(
        crate::common::plugin(),
        SqliteStore::open(&store.dir).unwrap(),
        NetworkOptions {
            allow_loopback: true,
            transport_limits: Some(TransportLimits {
                io_timeout: Duration::from_millis(300),
                ..TransportLimits::default()
            }),
            ..NetworkOptions::default()
        },
    );
    let failure = mail_session(&quick, &server)
        .send_test_message(&server, &login, &message(&upper, false))
        .expect_err("nobody answers");
    assert!(
        matches!(failure.error, Error::OAuth(OAuthError::Transport(_))),
        "{failure:?}"
    );
    assert!(listener.accept().is_ok(), "the allowed sender did connect");
}

/// The CLI: exit 1 with the kind `sender_not_authorized`, no connection.
#[test]
fn cli_refuses_another_sender_before_connecting() {
    peers::ensure_up();
    let store = TempStore::new("mismatch-cli");
    let account = authorized_account(&store, "alice", peers::ALICE, peers::PUBLIC_CLIENT_ID);
    let listener = untouched_listener();
    let (out, stdout, stderr) = run(store
        .cli()
        .args([
            "--allow-loopback",
            "--json",
            "send-test",
            "--account",
            "alice",
        ])
        .arg("--server")
        .arg(listener.local_addr().unwrap().to_string())
        .args([
            "--security",
            "plain",
            "--to",
            peers::ALICE,
            "--from",
            peers::BOB,
        ]));
    assert_eq!(out.status.code(), Some(1), "{stdout} {stderr}");
    let error = &last_json(&stdout)["error"];
    assert_eq!(error["kind"], "sender_not_authorized", "{stdout}");
    let text = error["message"].as_str().unwrap();
    assert!(
        text.contains(peers::BOB) && text.contains(peers::ALICE),
        "{text}"
    );
    assert!(!stdout.contains(account.tokens.access_token.expose()));
    assert_never_connected(&listener);
}

/// A declared send-as right the server does not grant: Postfix refuses the
/// recipient (the sender check is delayed to RCPT) with 553.
#[test]
fn send_as_without_the_right_is_refused_by_postfix_at_rcpt() {
    peers::ensure_mail_up();
    let store = TempStore::new("mismatch-send-as");
    authorized_account(&store, "alice", peers::ALICE, peers::PUBLIC_CLIENT_ID);
    let server = local_server(peers::SUBMISSION_PORT, Security::Starttls);

    let err = store
        .accounts(true)
        .send_test(
            "alice",
            Some(server),
            None,
            Some(peers::BOB),
            vec![peers::ALICE.to_owned()],
            "send-as refused",
            "must not be delivered",
            true,
        )
        .expect_err("Postfix refuses bob@ for alice's login");
    match &err {
        AccountError::Plugin(Error::OAuth(OAuthError::CommandRejected { step, reply, .. })) => {
            assert_eq!(step, "rcpt", "{reply}");
            assert!(reply.starts_with("553"), "{reply}");
            assert!(reply.contains(peers::BOB), "{reply}");
        }
        other => panic!("expected command-rejected at rcpt, got {other:?}"),
    }

    // The CLI says the same.
    let (out, stdout, stderr) = run(store
        .cli()
        .args([
            "--allow-loopback",
            "--json",
            "send-test",
            "--account",
            "alice",
        ])
        .arg("--server")
        .arg(format!("{}:{}", peers::HOST, peers::SUBMISSIONS_PORT))
        .args([
            "--security",
            "tls",
            "--to",
            peers::ALICE,
            "--from",
            peers::BOB,
        ])
        .arg("--send-as"));
    assert_eq!(out.status.code(), Some(1), "{stdout} {stderr}");
    let error = &last_json(&stdout)["error"];
    assert_eq!(error["kind"], "command_rejected", "{stdout}");
    assert!(
        error["message"].as_str().unwrap().contains("553"),
        "{stdout}"
    );
}
