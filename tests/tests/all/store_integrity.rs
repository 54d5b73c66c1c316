//! Someone who can write the account database but has no key points an
//! account's token endpoint at their own server and marks the token expired,
//! so that the next `token` would post the refresh token and the client
//! secret there. The row is bound to its sealed secrets: every command that
//! uses the account fails with the typed `integrity` error, and the
//! attacker's listener receives nothing. Restoring the row restores the
//! account.

use std::io::ErrorKind;
use std::net::TcpListener;

use crate::common::{TempStore, authorize_local, authorize_through_browser, last_json, run};
use mail_oauth_store::sqlite::DB_FILE;
use mail_oauth_tests::peers;

#[test]
fn a_token_endpoint_changed_in_the_database_gets_nothing() {
    peers::ensure_mail_up();
    let store = TempStore::new("integrity");
    authorize_through_browser(authorize_local(&store, "alice", peers::ALICE));

    let attacker = TcpListener::bind("127.0.0.1:0").unwrap();
    attacker.set_nonblocking(true).unwrap();
    let evil = format!(
        "http://127.0.0.1:{}/token",
        attacker.local_addr().unwrap().port()
    );
    let db = rusqlite::Connection::open(store.dir.join(DB_FILE)).unwrap();
    let provider: String = db
        .query_row(
            "SELECT provider FROM accounts WHERE name = 'alice'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let expires_at: Option<i64> = db
        .query_row(
            "SELECT expires_at FROM accounts WHERE name = 'alice'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut tampered: serde_json::Value = serde_json::from_str(&provider).unwrap();
    assert_ne!(tampered["token_endpoint"], evil.as_str());
    tampered["token_endpoint"] = evil.clone().into();
    let n = db
        .execute(
            "UPDATE accounts SET provider = ?1, expires_at = 1 WHERE name = 'alice'",
            [tampered.to_string()],
        )
        .unwrap();
    assert_eq!(n, 1);

    let imaps = format!("{}:{}", peers::HOST, peers::IMAPS_PORT);
    for args in [
        vec!["token", "--account", "alice"],
        vec!["xoauth2", "--account", "alice"],
        vec!["check", "imap", "--account", "alice", "--server", &imaps],
        vec!["revoke", "--account", "alice"],
    ] {
        let mut cmd = store.cli();
        cmd.args(["--allow-loopback", "--json"]).args(&args);
        let (out, stdout, stderr) = run(&mut cmd);
        assert!(!out.status.success(), "{args:?}: {stdout} {stderr}");
        let error = &last_json(&stdout)["error"];
        assert_eq!(error["kind"], "integrity", "{args:?}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains("alice"),
            "{error}"
        );
        match attacker.accept() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!("{args:?}: the changed endpoint was contacted: {other:?}"),
        }
    }

    // Nothing was lost: with both columns put back, the row opens and works.
    // (The very text: the digest covers the column's bytes.)
    db.execute(
        "UPDATE accounts SET provider = ?1 WHERE name = 'alice'",
        [&provider],
    )
    .unwrap();
    // expires_at is bound too: still refused until it is put back.
    let (out, stdout, _) = run(store.cli().args(["--json", "token", "--account", "alice"]));
    assert!(!out.status.success());
    assert_eq!(last_json(&stdout)["error"]["kind"], "integrity");
    db.execute(
        "UPDATE accounts SET expires_at = ?1 WHERE name = 'alice'",
        [expires_at],
    )
    .unwrap();
    let (out, stdout, stderr) = run(store.cli().args(["--json", "token", "--account", "alice"]));
    assert!(out.status.success(), "{stdout} {stderr}");
    assert!(last_json(&stdout)["access_token"].is_string(), "{stdout}");
}
