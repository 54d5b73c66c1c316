//! The host refuses, before connecting, a mail server its egress policy does
//! not name, and loopback unless loopback is allowed: the component gets
//! `transport(denied)` and the refused listener never sees a handshake.

use std::sync::Arc;

use crate::common::{
    TempStore, assert_never_connected, authorized_account, local_server, token_login,
    untouched_listener,
};
use mail_oauth_runtime::OAuthError;
use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::error::{Error, MailFailure};
use mail_oauth_runtime::model::{Mechanism, Report, Secret, Security};
use mail_oauth_runtime::transport::{TlsRoots, TransportError, TransportLimits, Transports};
use mail_oauth_tests::peers;

/// Transports trusting the peers' CA only, under `policy`.
fn transports(policy: EgressPolicy) -> Arc<Transports> {
    let mut roots = TlsRoots::empty();
    roots
        .add_pem_file(&peers::ca_cert_path())
        .expect("the peers' CA");
    Arc::new(Transports::new(
        policy,
        TransportLimits::default(),
        roots.client_config().unwrap(),
    ))
}

fn denied(result: Result<Report, MailFailure>) -> String {
    match result {
        Err(MailFailure {
            error: Error::OAuth(OAuthError::Transport(TransportError::Denied(target))),
            refreshed: None,
        }) => target,
        Err(other) => panic!("expected transport(denied), got {other:?}"),
        Ok(report) => panic!(
            "expected transport(denied), got a report: {:?}",
            report.steps
        ),
    }
}

/// A policy naming 127.0.0.1:10993 only: Dovecot there works, the listener
/// on another port is refused whatever the security, and never connected.
#[test]
fn a_server_outside_the_policy_is_refused_before_connecting() {
    peers::ensure_mail_up();
    let store = TempStore::new("mail-egress");
    let account = authorized_account(&store, "alice", peers::ALICE, peers::PUBLIC_CLIENT_ID);
    let policy = EgressPolicy::deny_all()
        .allow_loopback(true)
        .allow_host_port(peers::HOST, peers::IMAPS_PORT)
        .unwrap();
    let transports = transports(policy);
    let http = store.accounts(true).http_for([]);
    let login = token_login(peers::ALICE, &account.tokens.access_token, None);

    // Positive control: the named server is reachable and accepts the token.
    let allowed = local_server(peers::IMAPS_PORT, Security::ImplicitTls);
    let report = crate::common::plugin()
        .mail_session(http.clone(), transports.clone())
        .unwrap()
        .verify_imap(&allowed, &login)
        .unwrap_or_else(|e| panic!("the allowed server: {e}"));
    assert_eq!(report.mechanism, Some(Mechanism::Xoauth2));

    let listener = untouched_listener();
    let port = listener.local_addr().unwrap().port();
    for security in [Security::ImplicitTls, Security::Starttls, Security::Plain] {
        let outside = local_server(port, security);
        let mut session = crate::common::plugin()
            .mail_session(http.clone(), transports.clone())
            .unwrap();
        let target = denied(session.verify_imap(&outside, &login));
        assert!(target.contains(&port.to_string()), "{target}");
        assert!(!target.contains(account.tokens.access_token.expose()));
        // Same host, another protocol on a port the policy does not name.
        let target = denied(session.verify_smtp(&outside, &login));
        assert!(target.contains(&port.to_string()), "{target}");
    }
    // The allowed address with another port of the real servers: refused too.
    let other_dovecot = local_server(peers::IMAP_PORT, Security::Starttls);
    let mut session = crate::common::plugin()
        .mail_session(http, transports.clone())
        .unwrap();
    denied(session.verify_imap(&other_dovecot, &login));
    assert_never_connected(&listener);
    assert_eq!(transports.live_connections(), 0);
}

/// A policy naming the listener exactly, but not allowing loopback: the
/// address is refused. Through `Transports` directly and through
/// `Accounts` (`NetworkOptions { allow_loopback: false }`).
#[test]
fn loopback_is_refused_unless_allowed() {
    let store = TempStore::new("mail-egress-loopback");
    let listener = untouched_listener();
    let port = listener.local_addr().unwrap().port();
    let token = Secret::new("token-that-must-not-travel");
    let login = token_login(peers::ALICE, &token, Some(Mechanism::Oauthbearer));
    let http = store.accounts(false).http_for([]);

    let policy = EgressPolicy::deny_all()
        .allow_loopback(false)
        .allow_host_port(peers::HOST, port)
        .unwrap();
    let transports = transports(policy);
    for security in [Security::ImplicitTls, Security::Starttls, Security::Plain] {
        let server = local_server(port, security);
        let mut session = crate::common::plugin()
            .mail_session(http.clone(), transports.clone())
            .unwrap();
        let target = denied(session.verify_pop3(&server, &login));
        assert!(!target.contains(token.expose()), "{target}");
    }

    // The same through `Accounts`, as the CLI builds it without --allow-loopback.
    let accounts = store.accounts(false);
    for security in [Security::ImplicitTls, Security::Plain] {
        let server = local_server(port, security);
        let transports = accounts.transports_for(&server).unwrap();
        let mut session = crate::common::plugin()
            .mail_session(accounts.http_for([]), transports)
            .unwrap();
        denied(session.verify_imap(&server, &login));
    }
    assert_never_connected(&listener);
}
