//! What the token endpoint can answer besides tokens, and the error each answer
//! becomes: dead grants, other OAuth errors, host failures, and responses the
//! protocol does not allow.

use mail_oauth_guest::http::{Header, HttpError, HttpResponse};
use mail_oauth_guest::token::refresh;
use mail_oauth_guest::{ClientAuth, Error, ProviderFailure, TokenSet};

use crate::common::*;

fn tokens() -> TokenSet {
    TokenSet {
        access_token: "old-access".into(),
        refresh_token: Some("old-refresh".into()),
        expires_at: Some(10),
        scopes: vec!["mail".into()],
        id_token: None,
        account_email: Some("alice@example.com".into()),
    }
}

fn refresh_answering(answer: Result<HttpResponse, HttpError>) -> Error {
    let expect = Expect::post(
        TOKEN_URL,
        None,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "old-refresh"),
            ("client_id", "client id&1"),
            ("client_secret", "s3cret+/=value"),
        ],
    );
    let http = FakeHttp::new().then(expect, answer);
    let result = refresh(
        &http,
        &custom_provider(ClientAuth::Post),
        &confidential(),
        &tokens(),
        100,
    );
    http.assert_done();
    result.expect_err("the refresh must fail")
}

fn invalid_response(error: Error) -> (u16, String) {
    match error {
        Error::InvalidResponse { status, detail } => (status, detail),
        other => panic!("expected invalid-response, got {other:?}"),
    }
}

#[test]
fn invalid_grant_requires_reauthorization() {
    let error = refresh_answering(json(
        400,
        r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
    ));
    assert_eq!(
        error,
        Error::ReauthorizeRequired(ProviderFailure {
            code: "invalid_grant".into(),
            description: Some("Token has been expired or revoked.".into()),
        })
    );
}

#[test]
fn interaction_consent_and_login_required_require_reauthorization() {
    for code in ["interaction_required", "consent_required", "login_required"] {
        let error = refresh_answering(json(400, &format!(r#"{{"error":"{code}"}}"#)));
        assert!(
            matches!(&error, Error::ReauthorizeRequired(f) if f.code == code),
            "{error:?}"
        );
    }
}

#[test]
fn microsoft_aadsts_codes_of_a_dead_grant_require_reauthorization() {
    for aadsts in [
        "AADSTS50173",
        "AADSTS700082",
        "AADSTS50076",
        "AADSTS65001",
        "AADSTS54005",
        "AADSTS70008",
    ] {
        let body = format!(
            r#"{{"error":"invalid_request","error_description":"{aadsts}: The provided grant has expired. Trace ID: 1"}}"#
        );
        let error = refresh_answering(json(400, &body));
        assert!(
            matches!(&error, Error::ReauthorizeRequired(f) if f.code == "invalid_request"),
            "{aadsts}: {error:?}"
        );
    }
}

#[test]
fn other_aadsts_codes_and_oauth_errors_are_provider_errors() {
    // AADSTS7000215: invalid client secret; a longer number than AADSTS70000.
    let error = refresh_answering(json(
        401,
        r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#,
    ));
    assert_eq!(
        error,
        Error::ProviderError(ProviderFailure {
            code: "invalid_client".into(),
            description: Some("AADSTS7000215: Invalid client secret provided.".into()),
        })
    );
    // "Later" is its own case, by status or by OAuth error code.
    let error = refresh_answering(json(503, r#"{"error":"temporarily_unavailable"}"#));
    assert!(matches!(error, Error::TemporaryFailure(_)), "{error:?}");
    let error = refresh_answering(json(
        400,
        r#"{"error":"temporarily_unavailable","error_description":"maintenance"}"#,
    ));
    assert_eq!(error, Error::TemporaryFailure("maintenance".into()));
}

#[test]
fn a_500_without_oauth_json_is_an_invalid_response() {
    let (status, detail) = invalid_response(refresh_answering(response(
        500,
        "text/plain",
        "upstream broke",
    )));
    assert_eq!(status, 500);
    assert!(detail.contains("server error"), "{detail}");
    assert!(detail.contains("upstream broke"), "{detail}");
}

#[test]
fn an_html_page_is_an_invalid_response() {
    let html = "<html><body><h1>Sign in</h1></body></html>";
    let (status, detail) = invalid_response(refresh_answering(response(200, "text/html", html)));
    assert_eq!(status, 200);
    assert!(
        detail.contains("non-JSON content-type (text/html)"),
        "{detail}"
    );
    assert!(detail.contains("<h1>Sign in</h1>"), "{detail}");
}

#[test]
fn invalid_json_is_an_invalid_response() {
    let (status, detail) = invalid_response(refresh_answering(json(200, "{not json")));
    assert_eq!(status, 200);
    assert!(detail.contains("invalid JSON"), "{detail}");
}

#[test]
fn json_without_access_token_is_an_invalid_response() {
    let (status, detail) =
        invalid_response(refresh_answering(json(200, r#"{"token_type":"Bearer"}"#)));
    assert_eq!(status, 200);
    assert!(detail.contains("without an access_token"), "{detail}");
}

#[test]
fn a_redirect_is_never_followed() {
    let answer = Ok(HttpResponse {
        status: 302,
        headers: vec![Header::new("location", "https://login.example.test/")],
        body: Vec::new(),
    });
    let (status, detail) = invalid_response(refresh_answering(answer));
    assert_eq!(status, 302);
    assert!(detail.contains("redirect"), "{detail}");
    // Even a redirect whose body looks like an OAuth error is refused.
    let (status, _) =
        invalid_response(refresh_answering(json(307, r#"{"error":"invalid_grant"}"#)));
    assert_eq!(status, 307);
}

#[test]
fn an_empty_error_body_is_an_invalid_response() {
    let (status, detail) = invalid_response(refresh_answering(response(401, "text/plain", "")));
    assert_eq!(status, 401);
    assert!(detail.contains("empty body"), "{detail}");
}

#[test]
fn host_failures_surface_with_their_reason() {
    for host_error in [
        HttpError::Denied("auth.example.test:443".into()),
        HttpError::Unreachable("connection refused".into()),
        HttpError::Timeout,
        HttpError::Tls("certificate expired".into()),
        HttpError::TooLarge,
        HttpError::Other("malformed chunk".into()),
    ] {
        let error = refresh_answering(Err(host_error.clone()));
        assert_eq!(error, Error::Http(host_error.clone()));
        if let HttpError::Unreachable(reason) = &host_error {
            assert!(error.to_string().contains(reason.as_str()));
        }
    }
}

#[test]
fn error_codes_are_taken_as_they_are_and_malformed_members_refused() {
    // The code is compared case-sensitively (RFC 6749 codes are lowercase).
    let error = refresh_answering(json(400, r#"{"error":"INVALID_Grant","error_uri":null}"#));
    assert_eq!(
        error,
        Error::ProviderError(ProviderFailure {
            code: "INVALID_Grant".into(),
            description: None,
        })
    );
    // A member of the wrong type, or given twice, is no OAuth error response.
    for body in [
        r#"{"error":"invalid_grant","error_uri":7}"#,
        r#"{"error":"invalid_grant","error_description":["x"]}"#,
        r#"{"error":"invalid_grant","error":"invalid_request"}"#,
        r#"{"error":null}"#,
    ] {
        let (status, _) = invalid_response(refresh_answering(json(400, body)));
        assert_eq!(status, 400, "{body}");
    }
}
