//! `authorize --client-credentials` through the CLI: app-only tokens of the
//! confidential client for the mailbox svc@example.test, with no browser and
//! no refresh token. `token` and `xoauth2` print them, the real Dovecot and
//! Postfix accept them (IMAP, POP3, SMTP, a test message), and once expired
//! they are granted again rather than refreshed.

use base64::Engine as _;

use crate::common::{TempStore, introspect, last_json, run};
use mail_oauth_store::Grant;
use mail_oauth_tests::peers;

/// `authorize --client-credentials` for `account`, the secret from the
/// environment; returns what the CLI printed about the saved account.
fn authorize_app(store: &TempStore, account: &str) -> serde_json::Value {
    let (out, stdout, stderr) = run(store
        .cli()
        .args([
            "--allow-loopback",
            "--json",
            "authorize",
            "--client-credentials",
        ])
        .args(["--user", peers::SVC, "--account", account])
        .args(["--issuer", peers::AS_ISSUER])
        .args(["--client-id", peers::CONFIDENTIAL_CLIENT_ID])
        .args(["--client-auth", "basic", "--scope", peers::MAIL_SCOPE])
        .env(
            "MAIL_OAUTH_CLIENT_SECRET",
            peers::CONFIDENTIAL_CLIENT_SECRET,
        ));
    assert!(out.status.success(), "{stdout} {stderr}");
    assert!(!stdout.contains(peers::CONFIDENTIAL_CLIENT_SECRET));
    let saved = last_json(&stdout);
    assert_eq!(saved["account"], account, "{saved}");
    assert_eq!(saved["grant"], "client_credentials", "{saved}");
    assert_eq!(saved["refresh_token"], false, "{saved}");
    assert_eq!(saved["login"], peers::SVC, "{saved}");
    saved
}

/// `mail-oauth --allow-loopback <args>` on `store`: (success, stdout, stderr).
fn cli(store: &TempStore, args: &[&str]) -> (bool, String, String) {
    let (out, stdout, stderr) = run(store.cli().arg("--allow-loopback").args(args));
    (out.status.success(), stdout, stderr)
}

#[test]
fn app_only_token_and_xoauth2() {
    peers::ensure_up();
    let store = TempStore::new("cli-cc-token");
    authorize_app(&store, "app");

    let (ok, token, stderr) = cli(&store, &["token", "--account", "app"]);
    assert!(ok, "{stderr}");
    let token = token.trim();
    let info = introspect(token);
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["client_id"], peers::CONFIDENTIAL_CLIENT_ID, "{info}");
    assert_eq!(info["email"], peers::SVC, "{info}");

    let (ok, sasl, stderr) = cli(&store, &["xoauth2", "--account", "app"]);
    assert!(ok, "{stderr}");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(sasl.trim())
        .expect("base64");
    assert_eq!(
        decoded,
        format!("user={}\x01auth=Bearer {token}\x01\x01", peers::SVC).into_bytes()
    );
}

#[test]
fn app_only_account_opens_imap_pop3_smtp_and_sends() {
    peers::ensure_mail_up();
    let store = TempStore::new("cli-cc-mail");
    authorize_app(&store, "app");
    let server = |port: u16| format!("{}:{port}", peers::HOST);
    let checks = [
        ("imap", server(peers::IMAPS_PORT), "tls"),
        ("pop3", server(peers::POP3S_PORT), "tls"),
        ("smtp", server(peers::SUBMISSION_PORT), "starttls"),
    ];
    for (protocol, server, security) in &checks {
        let (ok, stdout, stderr) = cli(
            &store,
            &[
                "--json",
                "check",
                protocol,
                "--account",
                "app",
                "--server",
                server,
                "--security",
                security,
            ],
        );
        assert!(ok, "{protocol}: {stdout} {stderr}");
        let report = last_json(&stdout);
        assert_eq!(report["ok"], true, "{protocol}: {report}");
        assert_eq!(report["refreshed"], false, "{protocol}: {report}");
    }

    let (ok, stdout, stderr) = cli(
        &store,
        &[
            "--json",
            "send-test",
            "--account",
            "app",
            "--server",
            &server(peers::SUBMISSION_PORT),
            "--security",
            "starttls",
            "--to",
            peers::SVC,
        ],
    );
    assert!(ok, "{stdout} {stderr}");
    let report = last_json(&stdout);
    let queued = report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == "message")
        .unwrap_or_else(|| panic!("no message step: {report}"));
    assert!(
        queued["detail"].as_str().unwrap().contains("250"),
        "{report}"
    );
}

#[test]
fn client_credentials_without_a_user_is_a_usage_error() {
    let store = TempStore::new("cli-cc-usage");
    let (out, stdout, stderr) = run(store.cli().args([
        "--allow-loopback",
        "authorize",
        "--client-credentials",
        "--account",
        "app",
        "--issuer",
        peers::AS_ISSUER,
        "--client-id",
        peers::CONFIDENTIAL_CLIENT_ID,
    ]));
    assert_eq!(out.status.code(), Some(2), "{stdout} {stderr}");
    assert!(stderr.contains("--user"), "{stderr}");
}

#[test]
fn an_expired_app_only_account_is_granted_again() {
    peers::ensure_up();
    let store = TempStore::new("cli-cc-expired");
    authorize_app(&store, "app");
    let accounts = store.accounts(true);
    let before = accounts.get("app").unwrap();
    let expired = mail_oauth_runtime::model::TokenSet {
        expires_at: Some(1),
        ..before.tokens.clone()
    };
    accounts.store().update_tokens("app", &expired).unwrap();

    let (ok, stdout, stderr) = cli(&store, &["--json", "token", "--account", "app"]);
    assert!(ok, "{stdout} {stderr}");
    let v = last_json(&stdout);
    assert_eq!(v["refreshed"], true, "{v}");
    let token = v["access_token"].as_str().expect("a token");
    assert_ne!(token, before.tokens.access_token.expose());
    assert_eq!(introspect(token)["active"], true);

    let after = accounts.get("app").unwrap();
    assert_eq!(after.tokens.access_token.expose(), token, "not stored");
    assert!(after.tokens.refresh_token.is_none());
    assert!(after.tokens.expires_at.unwrap() > mail_oauth_store::unix_now());
    assert_eq!(after.grant, Grant::ClientCredentials);
    assert_eq!(after.tokens.scopes, [peers::MAIL_SCOPE]);
}
