//! The CLI's loopback flow (RFC 8252) against the real OpenID provider:
//! `authorize` listens on 127.0.0.1, the browser comes back with the code,
//! the account is saved; `token` and `xoauth2` then work with it.

use crate::common::{PendingCli, TempStore, authorize_local, introspect, last_json, run};
use base64::Engine as _;
use mail_oauth_tests::browser::Browser;
use mail_oauth_tests::peers;

#[test]
fn authorize_then_token_then_xoauth2() {
    peers::ensure_up();
    let store = TempStore::new("authorize");
    let cli = PendingCli::spawn(authorize_local(&store, "alice", peers::ALICE));

    assert!(cli.redirect_uri.starts_with("http://127.0.0.1:"));
    assert!(cli.authorization_url.contains("code_challenge_method=S256"));
    let delivered = Browser::new()
        .authorize_and_deliver(&cli.authorization_url)
        .expect("the browser completes login and consent");
    assert!(delivered.callback_url.contains("code="));
    assert_eq!(delivered.page.status, 200, "{}", delivered.page.body);
    assert!(delivered.page.body.contains("authorized"));

    let (code, stdout, stderr) = cli.finish();
    assert_eq!(code, 0, "stderr: {stderr}");
    let saved = last_json(&stdout);
    assert_eq!(saved["account"], "alice");
    assert_eq!(saved["account_email"], peers::ALICE);
    assert_eq!(saved["refresh_token"], true);

    // `token` prints an access token the provider considers active for alice.
    let (out, token, stderr) =
        run(store
            .cli()
            .args(["--allow-loopback", "token", "--account", "alice"]));
    assert!(out.status.success(), "{stderr}");
    let token = token.trim();
    let info = introspect(token);
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["email"], peers::ALICE);

    // `xoauth2` encodes that same token for alice.
    let (out, sasl, stderr) =
        run(store
            .cli()
            .args(["--allow-loopback", "xoauth2", "--account", "alice"]));
    assert!(out.status.success(), "{stderr}");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(sasl.trim())
        .expect("base64");
    assert_eq!(
        decoded,
        format!("user={}\x01auth=Bearer {token}\x01\x01", peers::ALICE).into_bytes()
    );

    // The account list shows the account and no secret.
    let (out, list, _) = run(store.cli().args(["--json", "accounts", "list"]));
    assert!(out.status.success());
    assert!(list.contains("alice"));
    assert!(!list.contains(token));
}
