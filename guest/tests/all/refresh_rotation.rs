//! Refresh: the exact request, rotation of the refresh token, and what is kept
//! from the old token set when the answer omits it.

use mail_oauth_guest::token::refresh;
use mail_oauth_guest::{ClientAuth, Error, TokenSet};
use serde_json::json;

use crate::common::*;

const NOW: u64 = 2_000_000;

fn old_tokens() -> TokenSet {
    TokenSet {
        access_token: "old-access".into(),
        refresh_token: Some("old-refresh".into()),
        expires_at: Some(NOW - 5),
        scopes: vec!["openid".into(), "mail".into()],
        id_token: Some("old.id.token".into()),
        account_email: Some("alice@example.com".into()),
    }
}

fn expect_basic() -> Expect {
    Expect::post(
        TOKEN_URL,
        Some(basic("client id&1", "s3cret+/=value")),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "old-refresh"),
        ],
    )
}

fn run(body: serde_json::Value) -> TokenSet {
    let http = FakeHttp::new().then(expect_basic(), json(200, &body.to_string()));
    let tokens = refresh(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &old_tokens(),
        NOW,
    )
    .unwrap();
    http.assert_done();
    tokens
}

#[test]
fn a_rotated_refresh_token_replaces_the_old_one() {
    let id_token = jwt(&json!({"email": "bob@example.com"}));
    let tokens = run(json!({
        "access_token": "new-access", "token_type": "Bearer", "expires_in": 3600,
        "refresh_token": "new-refresh", "scope": "mail", "id_token": id_token,
    }));
    assert_eq!(tokens.access_token, "new-access");
    assert_eq!(tokens.refresh_token.as_deref(), Some("new-refresh"));
    assert_eq!(tokens.expires_at, Some(NOW + 3600));
    assert_eq!(tokens.scopes, ["mail"]);
    assert_eq!(tokens.id_token, Some(id_token));
    assert_eq!(tokens.account_email.as_deref(), Some("bob@example.com"));
}

#[test]
fn without_a_new_refresh_token_the_old_one_is_kept() {
    let tokens =
        run(json!({"access_token": "new-access", "token_type": "Bearer", "expires_in": 60}));
    assert_eq!(tokens.access_token, "new-access");
    assert_eq!(tokens.refresh_token.as_deref(), Some("old-refresh"));
    assert_eq!(tokens.expires_at, Some(NOW + 60));
    assert_eq!(tokens.scopes, ["openid", "mail"]);
    assert_eq!(tokens.id_token.as_deref(), Some("old.id.token"));
    assert_eq!(tokens.account_email.as_deref(), Some("alice@example.com"));
}

#[test]
fn microsoft_post_auth_sends_credentials_and_the_granted_scopes_in_the_body() {
    let provider = mail_oauth_guest::providers::microsoft("contoso.com").unwrap();
    let expect = Expect::post(
        "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token",
        None,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "old-refresh"),
            ("client_id", "client id&1"),
            ("client_secret", "s3cret+/=value"),
            // Microsoft gets the granted scopes on a refresh.
            ("scope", "openid mail"),
        ],
    );
    let http = FakeHttp::new().then(
        expect,
        json(200, r#"{"access_token":"a","token_type":"Bearer"}"#),
    );
    let tokens = refresh(&http, &provider, &confidential(), &old_tokens(), NOW).unwrap();
    http.assert_done();
    assert_eq!(tokens.expires_at, None);
}

#[test]
fn no_refresh_token_requires_reauthorization_without_a_request() {
    let mut tokens = old_tokens();
    tokens.refresh_token = None;
    let http = FakeHttp::new();
    match refresh(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &tokens,
        NOW,
    ) {
        Err(Error::ReauthorizeRequired(failure)) => {
            assert_eq!(failure.code, "no_refresh_token");
            assert!(failure.description.is_some());
        }
        other => panic!("{other:?}"),
    }
}
