//! The user refuses consent: the provider redirects with
//! `error=access_denied`, which becomes the typed `access-denied` error.

use crate::common::{PendingCli, TempStore, authorize_local, last_json};
use mail_oauth_tests::browser::Browser;
use mail_oauth_tests::peers;

#[test]
fn denied_consent_is_access_denied() {
    peers::ensure_up();
    let store = TempStore::new("denied");
    let cli = PendingCli::spawn(authorize_local(&store, "denied", peers::DENY_LOGIN_HINT));
    let delivered = Browser::new()
        .authorize_and_deliver(&cli.authorization_url)
        .expect("the provider redirects back with an error");
    assert!(delivered.callback_url.contains("error=access_denied"));
    assert_eq!(delivered.page.status, 400);
    assert!(
        delivered.page.body.contains("denied"),
        "{}",
        delivered.page.body
    );

    let (code, stdout, _) = cli.finish();
    assert_eq!(code, 1);
    let err = &last_json(&stdout)["error"];
    assert_eq!(err["kind"], "access_denied");
    assert!(
        store
            .accounts(true)
            .store()
            .get_account("denied")
            .unwrap()
            .is_none()
    );
}
