//! "Later" is its own case: `error=temporarily_unavailable` at the redirect
//! URI, and HTTP 429, 502, 503 and 504 from the token endpoint, whatever the
//! body; a 500 stays an invalid response.

use mail_oauth_guest::authorize::{begin_authorization, complete_authorization};
use mail_oauth_guest::http::{HttpError, HttpResponse};
use mail_oauth_guest::token::{client_credentials, refresh};
use mail_oauth_guest::{AuthorizationOptions, ClientAuth, Error, PendingAuthorization, TokenSet};

use crate::common::*;

const NOW: u64 = 1_700_000_000;

fn pending() -> PendingAuthorization {
    begin_authorization(
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &AuthorizationOptions::default(),
    )
    .unwrap()
}

#[test]
fn a_temporarily_unavailable_callback_is_a_temporary_failure_without_a_request() {
    let p = pending();
    let http = FakeHttp::new();
    let complete = |callback: &str| {
        complete_authorization(
            &http,
            &custom_provider(ClientAuth::Basic),
            &confidential(),
            &p,
            callback,
            NOW,
        )
    };
    assert_eq!(
        complete(&format!(
            "{REDIRECT}?error=temporarily_unavailable&error_description=Try+again+later&state={}",
            p.state
        )),
        Err(Error::TemporaryFailure("Try again later".into()))
    );
    assert_eq!(
        complete(&format!("?state={}&error=temporarily_unavailable", p.state)),
        Err(Error::TemporaryFailure("temporarily_unavailable".into()))
    );
    // `server_error` is not "later": a provider error.
    assert!(matches!(
        complete(&format!("error=server_error&state={}", p.state)),
        Err(Error::ProviderError(_))
    ));
}

/// The code exchange answered by `answer`.
fn exchange(answer: Result<HttpResponse, HttpError>) -> Error {
    let p = pending();
    let http = FakeHttp::new().then(
        Expect::post(
            TOKEN_URL,
            Some(basic("client id&1", "s3cret+/=value")),
            &[
                ("grant_type", "authorization_code"),
                ("code", "the-code"),
                ("code_verifier", &p.pkce_verifier),
                ("redirect_uri", REDIRECT),
            ],
        ),
        answer,
    );
    let callback = format!("{REDIRECT}?code=the-code&state={}", p.state);
    let result = complete_authorization(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &p,
        &callback,
        NOW,
    );
    http.assert_done();
    result.expect_err("the exchange must fail")
}

/// A refresh answered by `answer`.
fn refreshing(answer: Result<HttpResponse, HttpError>) -> Error {
    let tokens = TokenSet {
        access_token: "old-access".into(),
        refresh_token: Some("old-refresh".into()),
        expires_at: Some(NOW),
        scopes: vec!["mail".into()],
        id_token: None,
        account_email: None,
    };
    let http = FakeHttp::new().then(
        Expect::post(
            TOKEN_URL,
            Some(basic("client id&1", "s3cret+/=value")),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "old-refresh"),
            ],
        ),
        answer,
    );
    let result = refresh(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &tokens,
        NOW,
    );
    http.assert_done();
    result.expect_err("the refresh must fail")
}

/// A client credentials grant answered by `answer`.
fn granting(answer: Result<HttpResponse, HttpError>) -> Error {
    let http = FakeHttp::new().then(
        Expect::post(
            TOKEN_URL,
            Some(basic("client id&1", "s3cret+/=value")),
            &[("grant_type", "client_credentials"), ("scope", "mail")],
        ),
        answer,
    );
    let result = client_credentials(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &["mail".to_owned()],
        NOW,
    );
    http.assert_done();
    result.expect_err("the grant must fail")
}

type Call = fn(Result<HttpResponse, HttpError>) -> Error;

const CALLS: [(&str, Call); 3] = [
    ("code exchange", exchange),
    ("refresh", refreshing),
    ("client credentials", granting),
];

#[test]
fn later_statuses_are_temporary_failures_whatever_the_body() {
    for (name, call) in CALLS {
        for status in [429, 502, 503, 504] {
            let bodies = [
                response(status, "text/html", "<html>Service Unavailable</html>"),
                json(status, r#"{"error":"server_error"}"#),
                response(status, "text/plain", ""),
            ];
            for body in bodies {
                assert_eq!(
                    call(body),
                    Error::TemporaryFailure(format!("the provider answered HTTP {status}")),
                    "{name}: {status}"
                );
            }
        }
        let with_retry = answer(503, &[("Retry-After", "30")], "");
        assert_eq!(
            call(with_retry),
            Error::TemporaryFailure("the provider answered HTTP 503, retry after 30".into()),
            "{name}"
        );
    }
}

#[test]
fn a_500_is_an_invalid_response() {
    for (name, call) in CALLS {
        match call(response(
            500,
            "text/html",
            "<html>Internal Server Error</html>",
        )) {
            Error::InvalidResponse { status, detail } => {
                assert_eq!(status, 500, "{name}");
                assert!(detail.contains("HTTP 500"), "{name}: {detail}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn text_that_is_no_callback_is_invalid_input_and_a_missing_state_is_a_mismatch() {
    let provider = custom_provider(ClientAuth::Basic);
    let client = confidential();
    let pending =
        begin_authorization(&provider, &client, &AuthorizationOptions::default()).unwrap();
    let http = FakeHttp::new();
    for garbage in ["hello", "", "   ", "https://example.com/?x=1"] {
        let error =
            complete_authorization(&http, &provider, &client, &pending, garbage, 1).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput(text) if text.starts_with("callback:")),
            "{garbage:?}: {error:?}"
        );
    }
    // A code without a state is a callback that does not answer this request.
    let error =
        complete_authorization(&http, &provider, &client, &pending, "?code=abc", 1).unwrap_err();
    assert_eq!(error, Error::StateMismatch);
    http.assert_done();
}
