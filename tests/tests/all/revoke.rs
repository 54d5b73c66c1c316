//! `mail-oauth revoke` ends the grant at the provider: the access token is no
//! longer active and the next refresh is `reauthorize-required` (exit 3).

use crate::common::{PendingCli, TempStore, authorize_local, introspect, last_json, run};
use mail_oauth_tests::browser::Browser;
use mail_oauth_tests::peers;

#[test]
fn revoke_then_refresh_requires_reauthorization() {
    peers::ensure_up();
    let store = TempStore::new("revoke");
    let cli = PendingCli::spawn(authorize_local(&store, "bob", peers::BOB));
    Browser::new()
        .authorize_and_deliver(&cli.authorization_url)
        .expect("browser completes");
    let (code, _, stderr) = cli.finish();
    assert_eq!(code, 0, "{stderr}");

    let access = store.accounts(true).get("bob").unwrap().tokens.access_token;
    assert_eq!(introspect(access.expose())["active"], true);

    let (out, stdout, stderr) =
        run(store
            .cli()
            .args(["--allow-loopback", "--json", "revoke", "--account", "bob"]));
    assert!(out.status.success(), "{stderr}");
    assert_eq!(last_json(&stdout)["revoked"], "refresh_token");
    assert_eq!(introspect(access.expose())["active"], false);

    let (out, stdout, stderr) = run(store.cli().args([
        "--allow-loopback",
        "--json",
        "token",
        "--account",
        "bob",
        "--force-refresh",
    ]));
    // A revoked account is refused before any refresh: exit 3, and no token.
    assert_eq!(out.status.code(), Some(3), "{stdout} {stderr}");
    let err = &last_json(&stdout)["error"];
    assert_eq!(err["kind"], "revoked");
    assert!(!stdout.contains(access.expose()));
}
