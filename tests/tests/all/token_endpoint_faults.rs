//! Faults no real provider produces on demand, from a scripted token endpoint,
//! through the built component and the real host: each is a typed error that
//! names what happened and carries no secret.

use std::time::Duration;

use crate::common::TempStore;
use mail_oauth_runtime::OAuthError;
use mail_oauth_runtime::error::Error;
use mail_oauth_runtime::http_client::{HttpError, HttpLimits};
use mail_oauth_runtime::model::{Client, ClientAuth, Provider, Secret, TokenSet};
use mail_oauth_store::SqliteStore;
use mail_oauth_store::accounts::{Accounts, NetworkOptions, unix_now};
use mail_oauth_tests::scripted::{Behaviour, ScriptedHttpServer};

const REFRESH_TOKEN: &str = "rt-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const CLIENT_SECRET: &str = "client-secret-0123456789abcdefghijklmnop";

fn provider(token_endpoint: &str) -> Provider {
    Provider {
        id: "custom".into(),
        display_name: "Scripted".into(),
        issuer: None,
        authorization_endpoint: format!("{token_endpoint}/authorize"),
        token_endpoint: format!("{token_endpoint}/token"),
        device_authorization_endpoint: None,
        revocation_endpoint: None,
        default_scopes: vec!["mail".into()],
        extra_parameters: Vec::new(),
        client_auth: ClientAuth::Basic,
        pkce: true,
        mail_servers: Vec::new(),
    }
}

/// Refreshes through the component against `behaviour`; returns the error.
fn refresh_against(behaviour: Behaviour) -> (OAuthError, ScriptedHttpServer) {
    let server = ScriptedHttpServer::start(behaviour);
    let store = TempStore::new("faults");
    let accounts = Accounts::new(
        crate::common::plugin(),
        SqliteStore::open(&store.dir).unwrap(),
        NetworkOptions {
            allow_loopback: true,
            limits: Some(HttpLimits {
                total_timeout: Duration::from_millis(800),
                max_response_bytes: 64 * 1024,
                ..HttpLimits::default()
            }),
            ..NetworkOptions::default()
        },
    );
    let provider = provider(&server.url());
    let client = Client {
        id: "scripted-client".into(),
        secret: Some(Secret::new(CLIENT_SECRET)),
        redirect_uri: "http://127.0.0.1:1/callback".into(),
    };
    let tokens = TokenSet {
        access_token: Secret::new("old-access-token-0123456789abcdefghij"),
        refresh_token: Some(Secret::new(REFRESH_TOKEN)),
        expires_at: Some(0),
        scopes: vec!["mail".into()],
        id_token: None,
        account_email: None,
    };
    let mut session = crate::common::plugin()
        .session(accounts.http_for_provider(&provider))
        .unwrap();
    let err = session
        .refresh(&provider, &client, &tokens, unix_now())
        .expect_err("the fault is an error");
    let text = format!("{err} {err:?}");
    for secret in [REFRESH_TOKEN, CLIENT_SECRET] {
        assert!(!text.contains(secret), "secret leaked into {text}");
    }
    match err {
        Error::OAuth(e) => (e, server),
        other => panic!("a host failure instead of a typed error: {other}"),
    }
}

#[test]
fn status_500_with_html_is_invalid_response() {
    let (err, server) = refresh_against(Behaviour::html(
        500,
        "<html><body>Internal Server Error</body></html>",
    ));
    assert!(
        matches!(err, OAuthError::InvalidResponse { status: 500, .. }),
        "{err:?}"
    );
    // The request was the refresh grant, authenticated with HTTP Basic.
    let req = &server.requests()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.form_value("grant_type").as_deref(),
        Some("refresh_token")
    );
    assert!(req.header("authorization").unwrap().starts_with("Basic "));
}

#[test]
fn html_body_with_200_is_invalid_response() {
    let (err, _) = refresh_against(Behaviour::html(
        200,
        "<!doctype html><title>Sign in</title>",
    ));
    assert!(
        matches!(err, OAuthError::InvalidResponse { status: 200, .. }),
        "{err:?}"
    );
}

#[test]
fn invalid_json_is_invalid_response() {
    let (err, _) = refresh_against(Behaviour::json(200, "{\"access_token\": \"abc\", "));
    assert!(
        matches!(err, OAuthError::InvalidResponse { status: 200, .. }),
        "{err:?}"
    );
}

#[test]
fn oauth_error_json_with_500_is_provider_error() {
    let (err, _) = refresh_against(Behaviour::json(
        500,
        r#"{"error":"server_error","error_description":"oops"}"#,
    ));
    match err {
        OAuthError::ProviderError { code, description } => {
            assert_eq!(code, "server_error");
            assert_eq!(description.as_deref(), Some("oops"));
        }
        other => panic!("expected provider-error, got {other:?}"),
    }
}

#[test]
fn temporarily_unavailable_and_503_are_temporary_failures() {
    let (err, _) = refresh_against(Behaviour::json(
        500,
        r#"{"error":"temporarily_unavailable","error_description":"try later"}"#,
    ));
    assert!(
        matches!(&err, OAuthError::TemporaryFailure { detail, .. } if detail == "try later"),
        "{err:?}"
    );
    let (err, _) = refresh_against(Behaviour::html(503, "<p>maintenance</p>"));
    assert!(
        matches!(&err, OAuthError::TemporaryFailure { detail, .. } if detail.contains("503")),
        "{err:?}"
    );
}

#[test]
fn a_response_that_never_comes_is_a_timeout() {
    let (err, _) = refresh_against(Behaviour::Hang);
    assert_eq!(err, OAuthError::Http(HttpError::Timeout));
}

#[test]
fn an_oversized_body_is_too_large() {
    let (err, _) = refresh_against(Behaviour::Oversized(1024 * 1024));
    assert_eq!(err, OAuthError::Http(HttpError::TooLarge));
}

#[test]
fn a_redirect_is_not_followed() {
    let target = ScriptedHttpServer::start(Behaviour::json(
        200,
        r#"{"access_token":"x","token_type":"bearer"}"#,
    ));
    let (err, _) = refresh_against(Behaviour::Redirect(format!("{}/token", target.url())));
    assert!(
        matches!(err, OAuthError::InvalidResponse { status: 302, .. }),
        "{err:?}"
    );
    assert!(
        target.requests().is_empty(),
        "the redirect target was contacted"
    );
}

#[test]
fn a_dropped_connection_is_an_http_error() {
    let (err, _) = refresh_against(Behaviour::DropConnection);
    assert!(matches!(err, OAuthError::Http(_)), "{err:?}");
}

#[test]
fn deeply_nested_json_is_invalid_response_not_a_stack_overflow() {
    // The component runs on a 128 KiB stack (guest/build.rs): nesting past
    // serde_json's recursion limit, inside a member the component skips and
    // inside one it reads, is refused with a typed error before it gets deep.
    for body in [
        format!(
            "{{\"access_token\": \"abc\", \"token_type\": \"Bearer\", \"x\": {}1{}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        format!("{}{}", "{\"a\":".repeat(5_000), "}".repeat(5_000)),
    ] {
        let (err, _) = refresh_against(Behaviour::json(200, &body));
        assert!(
            matches!(err, OAuthError::InvalidResponse { status: 200, .. }),
            "{err:?}"
        );
    }
}
