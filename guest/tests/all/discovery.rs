//! Discovery: OpenID configuration first, RFC 8414 metadata as the fallback, the
//! issuer check, and the provider built from the document.

use mail_oauth_guest::discovery::discover;
use mail_oauth_guest::http::HttpError;
use mail_oauth_guest::{ClientAuth, Error};
use serde_json::json;

use crate::common::*;

fn metadata(issuer: &str, extra: serde_json::Value) -> String {
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
    });
    for (key, value) in extra.as_object().unwrap() {
        doc[key] = value.clone();
    }
    doc.to_string()
}

#[test]
fn openid_configuration_builds_a_provider() {
    let http = FakeHttp::new().then(
        Expect::get("https://auth.example.test/.well-known/openid-configuration"),
        json(
            200,
            &metadata(ISSUER, json!({"revocation_endpoint": REVOKE_URL})),
        ),
    );
    let provider = discover(&http, ISSUER).unwrap();
    http.assert_done();
    assert_eq!(provider.id, "auth.example.test");
    assert_eq!(provider.display_name, ISSUER);
    assert_eq!(provider.issuer.as_deref(), Some(ISSUER));
    assert_eq!(
        provider.authorization_endpoint,
        "https://auth.example.test/auth"
    );
    assert_eq!(provider.token_endpoint, "https://auth.example.test/token");
    assert_eq!(provider.revocation_endpoint.as_deref(), Some(REVOKE_URL));
    assert_eq!(
        provider.default_scopes,
        ["openid", "email", "offline_access"]
    );
    assert!(provider.extra_parameters.is_empty());
    assert_eq!(
        provider.client_auth,
        ClientAuth::Basic,
        "absent methods: basic is the default"
    );
}

#[test]
fn client_auth_follows_the_supported_methods() {
    for (methods, expected) in [
        (json!(["client_secret_post"]), ClientAuth::Post),
        (
            json!(["private_key_jwt", "client_secret_basic"]),
            ClientAuth::Basic,
        ),
        (json!(["none"]), ClientAuth::Post),
    ] {
        let http = FakeHttp::new().then(
            Expect::get("https://auth.example.test/.well-known/openid-configuration"),
            json(
                200,
                &metadata(
                    ISSUER,
                    json!({"token_endpoint_auth_methods_supported": methods}),
                ),
            ),
        );
        assert_eq!(
            discover(&http, ISSUER).unwrap().client_auth,
            expected,
            "{methods}"
        );
    }
}

#[test]
fn falls_back_to_rfc8414_with_the_issuer_path_after_the_well_known_segment() {
    let issuer = "https://auth.example.test/tenant1";
    for unusable in [
        response(404, "text/html", "<h1>Not Found</h1>"),
        response(200, "text/html", "<html>login</html>"),
        json(200, r#"{"issuer":"https://auth.example.test/tenant1"}"#),
    ] {
        let http = FakeHttp::new()
            .then(
                Expect::get("https://auth.example.test/tenant1/.well-known/openid-configuration"),
                unusable,
            )
            .then(
                Expect::get(
                    "https://auth.example.test/.well-known/oauth-authorization-server/tenant1",
                ),
                json(200, &metadata(issuer, json!({}))),
            );
        let provider = discover(&http, issuer).unwrap();
        http.assert_done();
        assert_eq!(
            provider.token_endpoint,
            "https://auth.example.test/tenant1/token"
        );
        assert_eq!(provider.revocation_endpoint, None);
    }
}

#[test]
fn a_document_naming_another_issuer_is_a_mix_up() {
    let http = FakeHttp::new().then(
        Expect::get("https://auth.example.test/.well-known/openid-configuration"),
        json(200, &metadata("https://evil.example", json!({}))),
    );
    assert_eq!(
        discover(&http, ISSUER),
        Err(Error::IssuerMismatch {
            expected: ISSUER.into(),
            received: "https://evil.example".into()
        })
    );
}

#[test]
fn neither_document_usable_is_an_invalid_response() {
    let http = FakeHttp::new()
        .then(
            Expect::get("https://auth.example.test/.well-known/openid-configuration"),
            response(404, "text/plain", ""),
        )
        .then(
            Expect::get("https://auth.example.test/.well-known/oauth-authorization-server"),
            response(500, "text/plain", "oops"),
        );
    match discover(&http, ISSUER) {
        Err(Error::InvalidResponse {
            status: 500,
            detail,
        }) => {
            assert!(
                detail.contains("HTTP 404") && detail.contains("oops"),
                "{detail}"
            );
        }
        other => panic!("{other:?}"),
    }
    http.assert_done();
}

#[test]
fn a_host_failure_is_an_http_error() {
    let http = FakeHttp::new().then(
        Expect::get("https://auth.example.test/.well-known/openid-configuration"),
        Err(HttpError::Denied("auth.example.test:443".into())),
    );
    assert_eq!(
        discover(&http, ISSUER),
        Err(Error::Http(HttpError::Denied(
            "auth.example.test:443".into()
        )))
    );
}

#[test]
fn a_malformed_issuer_is_invalid_input() {
    let http = FakeHttp::new();
    for issuer in [
        "auth.example.test",
        "ftp://auth.example.test",
        "https://auth.example.test/?q=1",
    ] {
        assert!(
            matches!(discover(&http, issuer), Err(Error::InvalidInput(t)) if t.starts_with("issuer")),
            "{issuer}"
        );
    }
}
