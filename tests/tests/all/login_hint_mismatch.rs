//! An authorization asked for one mailbox (`--login-hint`) but the user
//! signed in with another (the ID token's e-mail differs): the grant is not
//! saved, the account already there is kept as it was, and the error is the
//! typed `account_mismatch`.

use crate::common::TempStore;
use mail_oauth_runtime::model::{Client, Secret, TokenSet};
use mail_oauth_store::{AccountError, Grant};

fn tokens(access: &str, email: &str) -> TokenSet {
    TokenSet {
        access_token: Secret::new(access),
        refresh_token: Some(Secret::new(format!("refresh-{access}"))),
        expires_at: Some(2_000_000_000),
        scopes: vec!["https://mail.google.com/".into()],
        id_token: None,
        account_email: Some(email.into()),
    }
}

#[test]
fn a_grant_for_another_mailbox_than_the_login_hint_is_not_saved() {
    let store = TempStore::new("login-hint");
    let accounts = store.accounts(false);
    let provider = accounts.preset("google", None).unwrap();
    let client = Client {
        id: "client-id".into(),
        secret: None,
        redirect_uri: "http://127.0.0.1/callback".into(),
    };
    let hint = Some("alice@example.com".to_owned());
    // The same address in another case is the same mailbox.
    accounts
        .save_granted(
            "work",
            &provider,
            &client,
            hint.clone(),
            tokens("first", "Alice@Example.com"),
            Grant::User,
        )
        .unwrap();

    let err = accounts
        .save_granted(
            "work",
            &provider,
            &client,
            hint,
            tokens("second", "mallory@example.com"),
            Grant::User,
        )
        .unwrap_err();
    assert!(
        matches!(&err, AccountError::AccountMismatch { expected, got }
            if expected == "alice@example.com" && got == "mallory@example.com"),
        "{err:?}"
    );
    assert_eq!(err.kind(), "account_mismatch");
    assert!(err.consumes_pending());
    let kept = accounts.get("work").unwrap();
    assert_eq!(kept.tokens.access_token.expose(), "first");
    assert_eq!(kept.login.as_deref(), Some("alice@example.com"));
}
