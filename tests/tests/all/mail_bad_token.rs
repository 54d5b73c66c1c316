//! A token the servers do not accept — a made-up one, and a real one that was
//! revoked — is a typed `sasl-rejected` carrying the server's error status
//! (Dovecot: `401` for XOAUTH2, `invalid_token` for OAUTHBEARER) on IMAP,
//! POP3 and SMTP; never a hang, never the token in the error.

use std::time::{Duration, Instant};

use crate::common::{
    TempStore, authorized_account, introspect, local_server, mail_session, token_login, unique_id,
};
use mail_oauth_runtime::OAuthError;
use mail_oauth_runtime::error::Error;
use mail_oauth_runtime::model::{MailProtocol, Mechanism, Secret, Security, Server};
use mail_oauth_tests::peers;

/// The servers tried for each protocol: implicit TLS for IMAP and POP3, and
/// submission with STARTTLS for SMTP.
fn server(protocol: MailProtocol) -> Server {
    match protocol {
        MailProtocol::Imap => local_server(peers::IMAPS_PORT, Security::ImplicitTls),
        MailProtocol::Pop3 => local_server(peers::POP3S_PORT, Security::ImplicitTls),
        MailProtocol::Smtp => local_server(peers::SUBMISSION_PORT, Security::Starttls),
    }
}

/// What the server's final reply looks like for a rejected token.
fn rejection_text(protocol: MailProtocol) -> &'static str {
    match protocol {
        MailProtocol::Imap => "NO",
        MailProtocol::Pop3 => "-ERR",
        MailProtocol::Smtp => "535",
    }
}

/// Tries `token` with both mechanisms on `protocol` and checks each rejection.
fn assert_rejected(store: &TempStore, protocol: MailProtocol, token: &Secret) {
    let accounts = store.accounts(true);
    let server = server(protocol);
    for (mechanism, status) in [
        (Mechanism::Xoauth2, "401"),
        (Mechanism::Oauthbearer, "invalid_token"),
    ] {
        let started = Instant::now();
        let mut session = mail_session(&accounts, &server);
        let login = token_login(peers::ALICE, token, Some(mechanism));
        let result = match protocol {
            MailProtocol::Imap => session.verify_imap(&server, &login),
            MailProtocol::Pop3 => session.verify_pop3(&server, &login),
            MailProtocol::Smtp => session.verify_smtp(&server, &login),
        };
        let elapsed = started.elapsed();
        let failure = match result {
            Ok(report) => panic!(
                "{protocol:?} {mechanism:?}: the token was accepted: {:?}",
                report.steps
            ),
            Err(failure) => failure,
        };
        let shown = format!("{failure} {failure:?}");
        assert!(
            !shown.contains(token.expose()),
            "{protocol:?} {mechanism:?}: the error shows the token"
        );
        assert!(failure.refreshed.is_none());
        match &failure.error {
            Error::OAuth(OAuthError::SaslRejected {
                status: Some(got),
                scope,
                server_text,
            }) => {
                assert_eq!(got, status, "{protocol:?} {mechanism:?}: {shown}");
                if mechanism == Mechanism::Xoauth2 {
                    // Dovecot's XOAUTH2 challenge names the scope it requires.
                    assert_eq!(scope.as_deref(), Some(peers::MAIL_SCOPE), "{shown}");
                }
                assert!(
                    server_text.contains(rejection_text(protocol)),
                    "{protocol:?} {mechanism:?}: {server_text}"
                );
            }
            other => panic!(
                "{protocol:?} {mechanism:?}: expected sasl-rejected with a status, got {other:?}"
            ),
        }
        // Dovecot delays a failed authentication by about 2 s; anything near
        // the transport's 30 s I/O timeout would mean a read that hung.
        assert!(
            elapsed < Duration::from_secs(15),
            "{protocol:?} {mechanism:?}: took {elapsed:?}"
        );
    }
}

fn made_up_token() -> Secret {
    Secret::new(format!("made-up-token-{}", unique_id()))
}

/// A real token for alice, then revoked at the provider (the grant: the
/// refresh token, which takes the access token with it).
fn revoked_token(store: &TempStore) -> Secret {
    let account = authorized_account(store, "alice", peers::ALICE, peers::PUBLIC_CLIENT_ID);
    let token = account.tokens.access_token.clone();
    assert_eq!(introspect(token.expose())["active"], true);
    store.accounts(true).revoke("alice").expect("revocation");
    assert_eq!(
        introspect(token.expose())["active"],
        false,
        "the revoked grant's access token is still active"
    );
    token
}

#[test]
fn imap_rejects_a_made_up_token() {
    peers::ensure_mail_up();
    let store = TempStore::new("bad-imap");
    assert_rejected(&store, MailProtocol::Imap, &made_up_token());
}

#[test]
fn imap_rejects_a_revoked_token() {
    peers::ensure_mail_up();
    let store = TempStore::new("revoked-imap");
    let token = revoked_token(&store);
    assert_rejected(&store, MailProtocol::Imap, &token);
}

#[test]
fn pop3_rejects_a_made_up_token() {
    peers::ensure_mail_up();
    let store = TempStore::new("bad-pop3");
    assert_rejected(&store, MailProtocol::Pop3, &made_up_token());
}

#[test]
fn pop3_rejects_a_revoked_token() {
    peers::ensure_mail_up();
    let store = TempStore::new("revoked-pop3");
    let token = revoked_token(&store);
    assert_rejected(&store, MailProtocol::Pop3, &token);
}

#[test]
fn smtp_rejects_a_made_up_token() {
    peers::ensure_mail_up();
    let store = TempStore::new("bad-smtp");
    assert_rejected(&store, MailProtocol::Smtp, &made_up_token());
}

#[test]
fn smtp_rejects_a_revoked_token() {
    peers::ensure_mail_up();
    let store = TempStore::new("revoked-smtp");
    let token = revoked_token(&store);
    assert_rejected(&store, MailProtocol::Smtp, &token);
}
