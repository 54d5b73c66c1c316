//! A mail server that greets and then drips one byte at a time, never a
//! newline, each byte well within the I/O timeout: the call ends at its
//! deadline (`max_call_time`) with `timeout`, the account's lock is
//! released with it, and `token` for the same account works at once.

use std::io::Write;
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{TempStore, authorize_local, authorize_through_browser, plugin};
use mail_oauth_runtime::error::Error;
use mail_oauth_runtime::model::{MailProtocol, Security, Server};
use mail_oauth_runtime::transport::TransportError;
use mail_oauth_runtime::{CallLimits, OAuthError};
use mail_oauth_store::SqliteStore;
use mail_oauth_store::accounts::{AccountError, Accounts, NetworkOptions};
use mail_oauth_tests::peers;

const CALL_TIME: Duration = Duration::from_secs(2);

#[test]
fn a_dripping_server_holds_a_call_and_the_account_lock_no_longer_than_the_call_deadline() {
    peers::ensure_up();
    let store = TempStore::new("drip");
    authorize_through_browser(authorize_local(&store, "alice", peers::ALICE));

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.write_all(b"* OK").unwrap();
        // A byte every 100 ms (the I/O timeout is 30 s), until told to stop
        // or the client hangs up.
        while stopped.recv_timeout(Duration::from_millis(100)).is_err() {
            if tcp.write_all(b".").is_err() {
                break;
            }
        }
    });

    let accounts = Accounts::new(
        plugin(),
        SqliteStore::open(&store.dir).unwrap(),
        NetworkOptions {
            allow_loopback: true,
            call_limits: Some(CallLimits {
                max_call_time: CALL_TIME,
                ..CallLimits::default()
            }),
            ..NetworkOptions::default()
        },
    );
    let target = Server {
        host: peers::HOST.to_owned(),
        port,
        security: Security::Plain,
    };
    let started = Instant::now();
    let err = accounts
        .check_mail("alice", MailProtocol::Imap, Some(target), None, None)
        .unwrap_err();
    let took = started.elapsed();
    match &err {
        AccountError::Plugin(Error::OAuth(OAuthError::Transport(TransportError::Timeout))) => {}
        AccountError::Plugin(Error::Limit(limit)) if limit.kind() == "limit_call_time" => {}
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(took >= CALL_TIME, "ended before its deadline: {took:?}");
    // Bounded by the call's deadline, not by the server (which would drip
    // for ever) nor the 30 s I/O timeout; generous for a loaded machine.
    assert!(took < CALL_TIME * 4, "the call took {took:?}");

    // The lock is free: another handle, which would wait at most 100 ms,
    // gets the account's token at once.
    let other = Accounts::new(
        plugin(),
        SqliteStore::open(&store.dir).unwrap(),
        NetworkOptions {
            allow_loopback: true,
            ..NetworkOptions::default()
        },
    )
    .with_lock_timeout(Duration::from_millis(100));
    let (account, _) = other.fresh_tokens("alice", 60, true).unwrap();
    assert!(!account.tokens.access_token.expose().is_empty());

    let _ = stop.send(());
    server.join().unwrap();
}
