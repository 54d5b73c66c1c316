//! Revocation (RFC 7009): the exact request per client-auth method, what counts
//! as success, and providers without an endpoint.

use mail_oauth_guest::http::{HttpError, HttpResponse};
use mail_oauth_guest::providers::{google, microsoft};
use mail_oauth_guest::token::revoke;
use mail_oauth_guest::{ClientAuth, Error, ProviderFailure, TokenKind};

use crate::common::*;

#[test]
fn basic_auth_revocation_of_a_refresh_token() {
    let http = FakeHttp::new().then(
        Expect::post(
            REVOKE_URL,
            Some(basic("client id&1", "s3cret+/=value")),
            &[("token", "rt-123"), ("token_type_hint", "refresh_token")],
        ),
        Ok(HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: Vec::new(),
        }),
    );
    revoke(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        "rt-123",
        TokenKind::RefreshToken,
    )
    .unwrap();
    http.assert_done();
}

#[test]
fn google_revocation_of_an_access_token_with_post_auth() {
    let http = FakeHttp::new().then(
        Expect::post(
            "https://oauth2.googleapis.com/revoke",
            None,
            &[
                ("token", "at-1"),
                ("token_type_hint", "access_token"),
                ("client_id", "client id&1"),
                ("client_secret", "s3cret+/=value"),
            ],
        ),
        json(200, "{}"),
    );
    revoke(
        &http,
        &google(),
        &confidential(),
        "at-1",
        TokenKind::AccessToken,
    )
    .unwrap();
    http.assert_done();
}

#[test]
fn a_public_client_sends_its_id() {
    let http = FakeHttp::new().then(
        Expect::post(
            REVOKE_URL,
            None,
            &[
                ("token", "at-1"),
                ("token_type_hint", "access_token"),
                ("client_id", "public-client"),
            ],
        ),
        response(200, "text/plain", ""),
    );
    revoke(
        &http,
        &custom_provider(ClientAuth::Basic),
        &public(),
        "at-1",
        TokenKind::AccessToken,
    )
    .unwrap();
    http.assert_done();
}

#[test]
fn no_revocation_endpoint_is_unsupported_before_any_request() {
    let http = FakeHttp::new();
    let result = revoke(
        &http,
        &microsoft("common").unwrap(),
        &confidential(),
        "rt",
        TokenKind::RefreshToken,
    );
    assert!(
        matches!(&result, Err(Error::Unsupported(text))
            if text.contains("revocation endpoint") && text.contains("account")),
        "{result:?}"
    );
}

#[test]
fn errors_are_mapped() {
    let provider = custom_provider(ClientAuth::Basic);
    let expect = || {
        Expect::post(
            REVOKE_URL,
            Some(basic("client id&1", "s3cret+/=value")),
            &[("token", "rt"), ("token_type_hint", "refresh_token")],
        )
    };
    let run = |answer| {
        let http = FakeHttp::new().then(expect(), answer);
        revoke(
            &http,
            &provider,
            &confidential(),
            "rt",
            TokenKind::RefreshToken,
        )
        .unwrap_err()
    };
    assert_eq!(
        run(json(400, r#"{"error":"unsupported_token_type"}"#)),
        Error::ProviderError(ProviderFailure {
            code: "unsupported_token_type".into(),
            description: None
        })
    );
    assert!(matches!(
        run(response(503, "text/html", "<p>down</p>")),
        Error::TemporaryFailure(_)
    ));
    assert!(matches!(
        run(response(500, "text/html", "<p>oops</p>")),
        Error::InvalidResponse { status: 500, .. }
    ));
    assert!(matches!(
        run(json(301, "{}")),
        Error::InvalidResponse { status: 301, .. }
    ));
    assert_eq!(
        run(Err(HttpError::Timeout)),
        Error::Http(HttpError::Timeout)
    );
}
