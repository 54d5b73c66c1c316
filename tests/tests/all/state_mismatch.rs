//! A callback whose `state` is not the pending one is refused before any code
//! exchange, and spends nothing: through the CLI's listener (the browser sees
//! an error page, the listener keeps waiting for the genuine callback) and
//! through the library.

use crate::common::{PendingCli, TempStore, authorize_local, last_json};
use mail_oauth_runtime::OAuthError;
use mail_oauth_runtime::error::Error;
use mail_oauth_runtime::model::{AuthorizationOptions, Client};
use mail_oauth_store::PendingRecord;
use mail_oauth_store::accounts::AccountError;
use mail_oauth_tests::browser::{Browser, callback_params};
use mail_oauth_tests::peers;

fn replace_state(callback: &str, state: &str) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let params: Vec<(String, String)> = callback_params(callback)
        .into_iter()
        .map(|(k, v)| {
            if k == "state" {
                (k, state.to_owned())
            } else {
                (k, v)
            }
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(params);
    url.into()
}

#[test]
fn cli_listener_refuses_a_forged_state_and_keeps_waiting() {
    peers::ensure_up();
    let store = TempStore::new("state-cli");
    let cli = PendingCli::spawn(authorize_local(&store, "alice", peers::ALICE));
    let mut browser = Browser::new();
    let callback = browser
        .authorize(&cli.authorization_url, &cli.redirect_uri)
        .expect("reaches the callback");

    // A forged state, and none at all: refused with an error page, and the
    // pending authorization is not spent on them.
    for forged in [
        replace_state(&callback, "forged-state-value-00000000000000"),
        callback.replace("state=", "stat="),
    ] {
        let page = browser.get(&forged).expect("the listener answers");
        assert_eq!(page.status, 400, "{forged}: {}", page.body);
        assert!(page.body.contains("still waiting"), "{}", page.body);
    }
    assert!(
        store
            .accounts(true)
            .store()
            .get_account("alice")
            .unwrap()
            .is_none()
    );

    // The listener is still there, and the genuine callback completes it.
    let page = browser.get(&callback).expect("the listener answers");
    assert_eq!(page.status, 200, "{}", page.body);
    let (code, stdout, stderr) = cli.finish();
    assert_eq!(code, 0, "{stdout} {stderr}");
    assert_eq!(last_json(&stdout)["account_email"], peers::ALICE);
    assert_eq!(
        stderr
            .matches("ignored a callback that did not complete the authorization")
            .count(),
        2,
        "{stderr}"
    );
    let account = store.accounts(true).get("alice").expect("saved");
    assert_eq!(account.tokens.account_email.as_deref(), Some(peers::ALICE));
}

#[test]
fn library_refuses_missing_or_wrong_state() {
    peers::ensure_up();
    let store = TempStore::new("state-lib");
    let accounts = store.accounts(true);
    let provider = accounts.discover(peers::AS_ISSUER).unwrap();
    let client = Client {
        id: peers::PUBLIC_CLIENT_ID.into(),
        secret: None,
        redirect_uri: peers::loopback_redirect_uri(43123),
    };
    let options = AuthorizationOptions {
        scopes: vec!["openid".into(), "email".into(), "mail".into()],
        login_hint: Some(peers::ALICE.into()),
    };
    let pending = accounts.begin(&provider, &client, &options).unwrap();
    let callback = Browser::new()
        .authorize(&pending.url, &client.redirect_uri)
        .unwrap();
    let record = PendingRecord {
        account: "alice".into(),
        provider,
        client,
        login: None,
        pending,
        created_at: 0,
    };
    for bad in [
        replace_state(&callback, "x"),
        callback.replace("state=", "stat="),
    ] {
        match accounts.complete(&record, &bad) {
            Err(AccountError::Plugin(Error::OAuth(OAuthError::StateMismatch))) => {}
            other => panic!("expected state-mismatch for {bad}, got {other:?}"),
        }
    }
    // The genuine callback still works afterwards: nothing was consumed.
    let account = accounts
        .complete(&record, &callback)
        .expect("genuine callback");
    assert_eq!(account.tokens.account_email.as_deref(), Some(peers::ALICE));
}
