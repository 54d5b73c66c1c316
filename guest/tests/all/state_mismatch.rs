//! The callback's `state` is checked first: missing or different means
//! `state-mismatch`, and nothing is sent to the token endpoint.

use mail_oauth_guest::authorize::{begin_authorization, complete_authorization};
use mail_oauth_guest::{AuthorizationOptions, ClientAuth, Error, PendingAuthorization};

use crate::common::*;

fn pending() -> PendingAuthorization {
    begin_authorization(
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &AuthorizationOptions::default(),
    )
    .unwrap()
}

fn complete(
    pending: &PendingAuthorization,
    callback: &str,
) -> Result<mail_oauth_guest::TokenSet, Error> {
    // No scripted response: any request would fail the test.
    let http = FakeHttp::new();
    complete_authorization(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        pending,
        callback,
        1_000,
    )
}

#[test]
fn a_different_state_is_refused() {
    let p = pending();
    let other = format!("{}x", p.state);
    assert_eq!(
        complete(&p, &format!("code=abc&state={other}")),
        Err(Error::StateMismatch)
    );
}

#[test]
fn a_missing_or_empty_state_is_refused() {
    let p = pending();
    assert_eq!(complete(&p, "code=abc"), Err(Error::StateMismatch));
    assert_eq!(complete(&p, "?code=abc&state="), Err(Error::StateMismatch));
}

#[test]
fn state_is_checked_before_error_iss_code_and_redirect() {
    let p = pending();
    // Each of these would fail for another reason if state were not checked first.
    for callback in [
        "error=access_denied&state=wrong".to_owned(),
        "iss=https://evil.example&code=abc&state=wrong".to_owned(),
        "state=wrong".to_owned(),
        "https://evil.example/elsewhere?code=abc&state=wrong".to_owned(),
    ] {
        assert_eq!(
            complete(&p, &callback),
            Err(Error::StateMismatch),
            "{callback}"
        );
    }
}

#[test]
fn a_state_from_another_authorization_is_refused() {
    let first = pending();
    let second = pending();
    let callback = format!("{REDIRECT}?code=abc&state={}", first.state);
    assert_eq!(complete(&second, &callback), Err(Error::StateMismatch));
}
