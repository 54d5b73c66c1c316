//! What the callback can say besides a code: `error=`, a foreign `iss`, a
//! duplicated parameter, no code, or a redirect to somewhere else.

use mail_oauth_guest::authorize::{begin_authorization, complete_authorization};
use mail_oauth_guest::{
    AuthorizationOptions, ClientAuth, Error, PendingAuthorization, Provider, ProviderFailure,
    TokenSet,
};

use crate::common::*;

fn pending() -> PendingAuthorization {
    begin_authorization(
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &AuthorizationOptions::default(),
    )
    .unwrap()
}

/// Completes with no scripted HTTP: these callbacks must never reach the token
/// endpoint.
fn complete(
    provider: &Provider,
    pending: &PendingAuthorization,
    callback: &str,
) -> Result<TokenSet, Error> {
    let http = FakeHttp::new();
    complete_authorization(&http, provider, &confidential(), pending, callback, 1_000)
}

#[test]
fn access_denied_carries_the_description() {
    let p = pending();
    let callback = format!(
        "error=access_denied&error_description=The+user+said+no&state={}",
        p.state
    );
    assert_eq!(
        complete(&custom_provider(ClientAuth::Basic), &p, &callback),
        Err(Error::AccessDenied(Some("The user said no".into())))
    );
    let callback = format!("?error=access_denied&state={}", p.state);
    assert_eq!(
        complete(&custom_provider(ClientAuth::Basic), &p, &callback),
        Err(Error::AccessDenied(None))
    );
}

#[test]
fn other_errors_are_provider_errors() {
    let p = pending();
    let callback = format!(
        "{REDIRECT}?error=invalid_scope&error_description=unknown%20scope&state={}",
        p.state
    );
    assert_eq!(
        complete(&custom_provider(ClientAuth::Basic), &p, &callback),
        Err(Error::ProviderError(ProviderFailure {
            code: "invalid_scope".into(),
            description: Some("unknown scope".into()),
        }))
    );
}

#[test]
fn a_foreign_issuer_is_a_mix_up() {
    let p = pending();
    let callback = format!("code=abc&iss=https%3A%2F%2Fevil.example&state={}", p.state);
    assert_eq!(
        complete(&custom_provider(ClientAuth::Basic), &p, &callback),
        Err(Error::IssuerMismatch {
            expected: ISSUER.into(),
            received: "https://evil.example".into(),
        })
    );
}

#[test]
fn iss_is_checked_before_error() {
    let p = pending();
    let callback = format!(
        "error=access_denied&iss=https%3A%2F%2Fevil.example&state={}",
        p.state
    );
    assert!(matches!(
        complete(&custom_provider(ClientAuth::Basic), &p, &callback),
        Err(Error::IssuerMismatch { .. })
    ));
}

#[test]
fn duplicated_parameters_are_refused() {
    let p = pending();
    let provider = custom_provider(ClientAuth::Basic);
    for callback in [
        format!("code=a&code=b&state={}", p.state),
        format!("code=a&state={0}&state={0}", p.state),
    ] {
        match complete(&provider, &p, &callback) {
            Err(Error::InvalidInput(text)) => {
                assert!(text.starts_with("callback"), "{text}");
                assert!(!text.contains(&p.state), "{text}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn no_code_is_invalid_input() {
    let p = pending();
    let provider = custom_provider(ClientAuth::Basic);
    for callback in [
        format!("state={}", p.state),
        format!("code=&state={}", p.state),
    ] {
        assert_eq!(
            complete(&provider, &p, &callback),
            Err(Error::InvalidInput("callback: has no code".into()))
        );
    }
}

#[test]
fn a_callback_to_another_place_is_refused() {
    let p = pending();
    let provider = custom_provider(ClientAuth::Basic);
    for base in [
        "http://127.0.0.1:8765/elsewhere",
        "http://127.0.0.1:9999/callback",
        "https://127.0.0.1:8765/callback",
        "http://evil.example:8765/callback",
    ] {
        let callback = format!("{base}?code=abc&state={}", p.state);
        match complete(&provider, &p, &callback) {
            Err(Error::InvalidInput(text)) => assert!(text.starts_with("callback"), "{text}"),
            other => panic!("{base}: {other:?}"),
        }
    }
}
