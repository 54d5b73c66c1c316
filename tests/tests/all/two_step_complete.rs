//! The two-step mode for web and headless hosts: `authorize --no-listen`
//! prints the URL and keeps the pending authorization (encrypted, in the
//! store); `complete --callback-url` finishes it, once.

use crate::common::{TempStore, last_json, run};
use mail_oauth_tests::browser::Browser;
use mail_oauth_tests::peers;

#[test]
fn no_listen_then_complete() {
    peers::ensure_up();
    let store = TempStore::new("two-step");
    // A web platform's callback: nothing listens there; the platform receives
    // the redirect and hands it to `complete`.
    let redirect = peers::loopback_redirect_uri(45901);
    let (out, stdout, stderr) = run(store
        .cli()
        .args([
            "--allow-loopback",
            "--json",
            "authorize",
            "--no-listen",
            "--redirect-uri",
            &redirect,
            "--account",
            "web",
            "--issuer",
            peers::AS_ISSUER,
            "--client-id",
            peers::CONFIDENTIAL_CLIENT_ID,
            "--scope",
            "openid",
            "--scope",
            "email",
            "--scope",
            "mail",
            "--login-hint",
            peers::ALICE,
        ])
        .env(
            "MAIL_OAUTH_CLIENT_SECRET",
            peers::CONFIDENTIAL_CLIENT_SECRET,
        ));
    assert!(out.status.success(), "{stderr}");
    let url = last_json(&stdout)["authorization_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let callback = Browser::new().authorize(&url, &redirect).unwrap();

    let complete = |cb: &str| {
        run(store.cli().args([
            "--allow-loopback",
            "--json",
            "complete",
            "--account",
            "web",
            "--callback-url",
            cb,
        ]))
    };
    let (out, stdout, stderr) = complete(&callback);
    assert!(out.status.success(), "{stdout} {stderr}");
    assert_eq!(last_json(&stdout)["account_email"], peers::ALICE);
    // The confidential client's secret is stored encrypted, not in clear.
    for file in ["accounts.sqlite3", "accounts.sqlite3-wal"] {
        let bytes = std::fs::read(store.dir.join(file)).unwrap_or_default();
        let secret = peers::CONFIDENTIAL_CLIENT_SECRET.as_bytes();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret),
            "client secret in clear in {file}"
        );
    }

    // The pending authorization was consumed: a replay finds nothing.
    let (out, stdout, _) = complete(&callback);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        last_json(&stdout)["error"]["kind"],
        "no_pending_authorization"
    );
}
