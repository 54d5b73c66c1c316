//! Refresh with rotation against the real provider (rotation always on):
//! the rotated refresh token replaces the old one in the store, and the old
//! one is dead (reuse is `reauthorize-required`).

use crate::common::{PendingCli, TempStore, authorize_local, introspect, last_json, run};
use mail_oauth_runtime::OAuthError;
use mail_oauth_runtime::error::Error;
use mail_oauth_store::accounts::unix_now;
use mail_oauth_tests::browser::Browser;
use mail_oauth_tests::peers;

#[test]
fn refresh_rotates_and_old_refresh_token_is_dead() {
    peers::ensure_up();
    let store = TempStore::new("rotation");
    let cli = PendingCli::spawn(authorize_local(&store, "alice", peers::ALICE));
    Browser::new()
        .authorize_and_deliver(&cli.authorization_url)
        .expect("browser completes");
    let (code, _, stderr) = cli.finish();
    assert_eq!(code, 0, "{stderr}");

    let accounts = store.accounts(true);
    let before = accounts.get("alice").unwrap();
    let old_refresh = before
        .tokens
        .refresh_token
        .clone()
        .expect("refresh token issued");

    // The CLI refreshes and stores the rotated refresh token.
    let (out, stdout, stderr) = run(store.cli().args([
        "--allow-loopback",
        "--json",
        "token",
        "--account",
        "alice",
        "--force-refresh",
    ]));
    assert!(out.status.success(), "{stderr}");
    let v = last_json(&stdout);
    assert_eq!(v["refreshed"], true);
    let new_access = v["access_token"].as_str().unwrap().to_owned();
    assert_ne!(new_access, before.tokens.access_token.expose());
    assert_eq!(introspect(&new_access)["active"], true);

    let after = accounts.get("alice").unwrap();
    let new_refresh = after.tokens.refresh_token.clone().expect("kept");
    assert_ne!(
        new_refresh, old_refresh,
        "the provider rotates refresh tokens"
    );
    assert!(after.tokens.expires_at.unwrap() > unix_now());

    // Presenting the old refresh token again is a dead grant.
    let plugin = crate::common::plugin();
    let mut session = plugin
        .session(accounts.http_for_provider(&before.provider))
        .unwrap();
    let err = session
        .refresh(&before.provider, &before.client, &before.tokens, unix_now())
        .expect_err("reuse of a rotated refresh token fails");
    match err {
        Error::OAuth(OAuthError::ReauthorizeRequired { code, .. }) => {
            assert_eq!(code, "invalid_grant")
        }
        other => panic!("expected reauthorize-required, got {other:?}"),
    }

    // oidc-provider treats reuse as theft and revokes the whole grant: the CLI
    // now says the account must be authorized again, with exit status 3.
    let (out, stdout, _) = run(store.cli().args([
        "--allow-loopback",
        "--json",
        "token",
        "--account",
        "alice",
        "--force-refresh",
    ]));
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(last_json(&stdout)["error"]["kind"], "reauthorize_required");
}
