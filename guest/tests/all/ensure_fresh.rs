//! ensure-fresh refreshes exactly when the access token expires within `skew`.

use mail_oauth_guest::token::ensure_fresh;
use mail_oauth_guest::{ClientAuth, TokenSet};

use crate::common::*;

const NOW: u64 = 1_000_000;

fn tokens(expires_at: Option<u64>) -> TokenSet {
    TokenSet {
        access_token: "current".into(),
        refresh_token: Some("rt".into()),
        expires_at,
        scopes: vec!["mail".into()],
        id_token: None,
        account_email: None,
    }
}

fn refresh_script() -> FakeHttp {
    FakeHttp::new().then(
        Expect::post(
            TOKEN_URL,
            Some(basic("client id&1", "s3cret+/=value")),
            &[("grant_type", "refresh_token"), ("refresh_token", "rt")],
        ),
        json(
            200,
            r#"{"access_token":"fresh","token_type":"Bearer","expires_in":3600}"#,
        ),
    )
}

#[test]
fn a_token_valid_beyond_the_skew_is_returned_as_is() {
    let http = FakeHttp::new();
    let given = tokens(Some(NOW + 61));
    let fresh = ensure_fresh(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &given,
        NOW,
        60,
    )
    .unwrap();
    assert!(!fresh.refreshed);
    assert_eq!(fresh.tokens, given);
}

#[test]
fn a_token_expiring_within_the_skew_is_refreshed() {
    for expires_at in [NOW + 60, NOW, NOW - 1000] {
        let http = refresh_script();
        let fresh = ensure_fresh(
            &http,
            &custom_provider(ClientAuth::Basic),
            &confidential(),
            &tokens(Some(expires_at)),
            NOW,
            60,
        )
        .unwrap();
        http.assert_done();
        assert!(fresh.refreshed);
        assert_eq!(fresh.tokens.access_token, "fresh");
        assert_eq!(fresh.tokens.expires_at, Some(NOW + 3600));
        assert_eq!(fresh.tokens.refresh_token.as_deref(), Some("rt"));
    }
}

#[test]
fn an_unknown_expiry_is_returned_as_is() {
    let http = FakeHttp::new();
    let given = tokens(None);
    let fresh = ensure_fresh(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &given,
        NOW,
        3600,
    )
    .unwrap();
    assert!(!fresh.refreshed);
    assert_eq!(fresh.tokens, given);
}
