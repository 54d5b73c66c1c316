//! An expired access token is refreshed once during a mail check, against
//! the real provider (client `mail-short`: 3 s access tokens, rotating
//! refresh tokens) and the real Dovecot: the check succeeds, the report shows
//! the `refresh` step, and the store holds the new token set.

use std::time::Duration;

use crate::common::{TempStore, authorized_account, introspect, last_json, local_server, run};
use mail_oauth_runtime::model::{MailProtocol, Security, TokenSet};
use mail_oauth_store::Account;
use mail_oauth_store::accounts::unix_now;
use mail_oauth_tests::peers;

/// Polls until the provider says `token` is no longer active and, when
/// `expires_at` is known, the clock has passed it. Bounded: a 3 s token that
/// is still active after 20 s fails the test.
fn wait_until_expired(token: &str, expires_at: Option<u64>) {
    for _ in 0..200 {
        let clock_passed = expires_at.is_none_or(|at| unix_now() >= at);
        if clock_passed && introspect(token)["active"] == false {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the access token is still active or unexpired after 20 s");
}

/// The new token set replaced the old one in the store and is usable.
fn assert_rotated(before: &Account, after: &Account) {
    let old = &before.tokens;
    let new = &after.tokens;
    assert_ne!(
        new.access_token, old.access_token,
        "no new access token stored"
    );
    let (Some(old_rt), Some(new_rt)) = (&old.refresh_token, &new.refresh_token) else {
        panic!("a refresh token is missing before or after");
    };
    assert_ne!(new_rt, old_rt, "the provider rotates refresh tokens");
    assert!(new.expires_at.unwrap() >= old.expires_at.unwrap());
    let info = introspect(new.access_token.expose());
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["email"], peers::ALICE);
    assert_eq!(info["client_id"], peers::SHORT_CLIENT_ID);
    // The old access token stays dead.
    assert_eq!(introspect(old.access_token.expose())["active"], false);
}

/// Expired by the clock: the component refreshes before connecting. Through
/// the CLI.
#[test]
fn cli_check_refreshes_an_expired_token_first() {
    peers::ensure_mail_up();
    let store = TempStore::new("expired-cli");
    let before = authorized_account(&store, "short", peers::ALICE, peers::SHORT_CLIENT_ID);
    assert!(before.tokens.refresh_token.is_some());
    wait_until_expired(
        before.tokens.access_token.expose(),
        before.tokens.expires_at,
    );

    let (out, stdout, stderr) = run(store
        .cli()
        .args([
            "--allow-loopback",
            "--json",
            "check",
            "imap",
            "--account",
            "short",
        ])
        .arg("--server")
        .arg(format!("{}:{}", peers::HOST, peers::IMAPS_PORT))
        .args(["--security", "tls"]));
    assert!(out.status.success(), "{stdout} {stderr}");
    let v = last_json(&stdout);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["refreshed"], true, "{v}");
    let steps = v["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "refresh",
            "connect",
            "greeting",
            "authenticate",
            "select",
            "logout"
        ],
        "{v}"
    );
    assert!(
        steps[0]["detail"].as_str().unwrap().contains("expired"),
        "{v}"
    );

    let after = store.accounts(true).get("short").unwrap();
    assert_rotated(&before, &after);
    for secret in [
        &after.tokens.access_token,
        after.tokens.refresh_token.as_ref().unwrap(),
    ] {
        assert!(!stdout.contains(secret.expose()) && !stderr.contains(secret.expose()));
    }
}

/// Expiry unknown to the host (the store's `expires_at` cleared, as for a
/// provider that omits `expires_in`): the component sends the dead token,
/// Dovecot answers `invalid_token`, the component refreshes once, reconnects
/// and succeeds. Through the library's `Accounts::check_mail`.
#[test]
fn library_check_refreshes_after_the_server_rejects_the_token() {
    peers::ensure_mail_up();
    let store = TempStore::new("expired-lib");
    let before = authorized_account(&store, "short", peers::ALICE, peers::SHORT_CLIENT_ID);
    wait_until_expired(
        before.tokens.access_token.expose(),
        before.tokens.expires_at,
    );
    let accounts = store.accounts(true);
    let unknown_expiry = TokenSet {
        expires_at: None,
        ..before.tokens.clone()
    };
    accounts
        .store()
        .update_tokens("short", &unknown_expiry)
        .unwrap();

    let server = local_server(peers::POP3_PORT, Security::Starttls);
    let (used, report) = accounts
        .check_mail(
            "short",
            MailProtocol::Pop3,
            Some(server.clone()),
            None,
            None,
        )
        .unwrap_or_else(|e| panic!("check failed: {e}"));
    assert_eq!(used, server);
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    let refresh_at = names
        .iter()
        .position(|n| *n == "refresh")
        .unwrap_or_else(|| panic!("no refresh step: {names:?}"));
    assert!(
        report.steps[refresh_at].detail.contains("rejected"),
        "{:?}",
        report.steps[refresh_at]
    );
    // One rejected attempt, then one successful one on a new connection.
    assert_eq!(
        names.iter().filter(|n| **n == "connect").count(),
        2,
        "{names:?}"
    );
    assert_eq!(
        &names[refresh_at..],
        [
            "refresh",
            "connect",
            "greeting",
            "capa",
            "stls",
            "capa",
            "authenticate",
            "stat",
            "quit"
        ],
        "{names:?}"
    );
    assert!(
        !names[..refresh_at].contains(&"stat"),
        "the first attempt got past authentication: {names:?}"
    );
    // `Accounts` stored the refreshed set, and the report says which it was.
    let after = accounts.get("short").unwrap();
    assert_rotated(&before, &after);
    assert_eq!(report.refreshed.as_ref(), Some(&after.tokens));
}
