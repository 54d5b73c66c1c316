//! The client credentials grant (RFC 6749 §4.4): the exact request per client
//! authentication, the token set (no refresh token), and its errors.

use mail_oauth_guest::http::{HttpError, HttpResponse};
use mail_oauth_guest::providers::microsoft;
use mail_oauth_guest::token::client_credentials;
use mail_oauth_guest::{Client, ClientAuth, Error, ProviderFailure, TokenSet};

use crate::common::*;

const NOW: u64 = 1_700_000_000;

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn expect_basic(scope: &str) -> Expect {
    Expect::post(
        TOKEN_URL,
        Some(basic("client id&1", "s3cret+/=value")),
        &[("grant_type", "client_credentials"), ("scope", scope)],
    )
}

fn grant_answering(answer: Result<HttpResponse, HttpError>) -> Result<TokenSet, Error> {
    let http = FakeHttp::new().then(expect_basic("mail"), answer);
    let result = client_credentials(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &strings(&["mail"]),
        NOW,
    );
    http.assert_done();
    result
}

#[test]
fn basic_auth_and_the_default_scopes() {
    let http = FakeHttp::new().then(
        expect_basic("openid email mail"),
        json(
            200,
            r#"{"access_token":"app-token","token_type":"Bearer","expires_in":3599}"#,
        ),
    );
    let tokens = client_credentials(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &[],
        NOW,
    )
    .unwrap();
    http.assert_done();
    assert_eq!(
        tokens,
        TokenSet {
            access_token: "app-token".into(),
            refresh_token: None,
            expires_at: Some(NOW + 3599),
            scopes: strings(&["openid", "email", "mail"]),
            id_token: None,
            account_email: None,
        }
    );
}

#[test]
fn microsoft_app_only_sends_the_credentials_in_the_body() {
    let provider = microsoft("contoso.onmicrosoft.com").unwrap();
    let http = FakeHttp::new().then(
        Expect::post(
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "https://outlook.office365.com/.default"),
                ("client_id", "client id&1"),
                ("client_secret", "s3cret+/=value"),
            ],
        ),
        json(
            200,
            r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAi.app.only"}"#,
        ),
    );
    let tokens = client_credentials(
        &http,
        &provider,
        &confidential(),
        &strings(&["https://outlook.office365.com/.default"]),
        NOW,
    )
    .unwrap();
    http.assert_done();
    assert_eq!(tokens.access_token, "eyJ0eXAi.app.only");
    assert_eq!(tokens.refresh_token, None);
    assert_eq!(tokens.expires_at, Some(NOW + 3599));
    assert_eq!(tokens.scopes, ["https://outlook.office365.com/.default"]);
}

#[test]
fn a_client_without_a_secret_is_refused_before_any_request() {
    for secret in [None, Some(String::new())] {
        let client = Client {
            secret,
            ..confidential()
        };
        let http = FakeHttp::new();
        match client_credentials(
            &http,
            &custom_provider(ClientAuth::Basic),
            &client,
            &[],
            NOW,
        ) {
            Err(Error::InvalidInput(text)) => assert!(text.starts_with("client.secret"), "{text}"),
            other => panic!("{client:?}: {other:?}"),
        }
    }
}

#[test]
fn invalid_client_is_a_provider_error() {
    assert_eq!(
        grant_answering(json(
            401,
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#
        )),
        Err(Error::ProviderError(ProviderFailure {
            code: "invalid_client".into(),
            description: Some("AADSTS7000215: Invalid client secret provided.".into()),
        }))
    );
}

#[test]
fn too_many_requests_is_a_temporary_failure_naming_retry_after() {
    let limited = answer(
        429,
        &[("content-type", "application/json"), ("Retry-After", "120")],
        r#"{"error":"too_many_requests"}"#,
    );
    assert_eq!(
        grant_answering(limited),
        Err(Error::TemporaryFailure(
            "the provider answered HTTP 429, retry after 120".into()
        ))
    );
    let busy = answer(503, &[("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT")], "");
    assert_eq!(
        grant_answering(busy),
        Err(Error::TemporaryFailure(
            "the provider answered HTTP 503, retry after Wed, 21 Oct 2026 07:28:00 GMT".into()
        ))
    );
}

#[test]
fn the_client_secret_never_appears_in_an_error() {
    let secret = "s3cret+/=value";
    for answer in [
        json(
            401,
            &format!(r#"{{"error":"invalid_client","error_description":"bad secret {secret}"}}"#),
        ),
        response(500, "text/plain", &format!("client_secret={secret}")),
        json(200, &format!(r#"{{"echo":"{secret}"}}"#)),
    ] {
        let error = grant_answering(answer).unwrap_err();
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

#[test]
fn a_refresh_token_in_the_answer_is_not_kept() {
    let tokens = grant_answering(json(
        200,
        r#"{"access_token":"a","token_type":"Bearer","refresh_token":"rt-should-not"}"#,
    ))
    .unwrap();
    assert_eq!(tokens.refresh_token, None);
}

#[test]
fn an_empty_or_spaced_scope_answer_names_no_empty_scope() {
    let tokens = grant_answering(json(
        200,
        r#"{"access_token":"a","token_type":"Bearer","scope":""}"#,
    ))
    .unwrap();
    assert_eq!(tokens.scopes, ["mail"], "the requested scopes stand in");
    let tokens = grant_answering(json(
        200,
        r#"{"access_token":"a","token_type":"Bearer","scope":"mail  openid"}"#,
    ))
    .unwrap();
    assert_eq!(tokens.scopes, ["mail", "openid"]);
}
