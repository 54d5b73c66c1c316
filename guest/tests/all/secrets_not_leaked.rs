//! No token, code, verifier, state, nonce or client secret ever appears in an
//! error's text or Debug output, even when the server echoes them back, and the
//! records holding them redact their Debug output.

use mail_oauth_guest::authorize::{begin_authorization, complete_authorization};
use mail_oauth_guest::http::{Header, HttpError, HttpRequest, HttpResponse};
use mail_oauth_guest::token::{refresh, revoke};
use mail_oauth_guest::{
    AuthorizationOptions, Client, ClientAuth, Error, PendingAuthorization, TokenKind, TokenSet,
};

use crate::common::*;

const CLIENT_SECRET: &str = "fake-client-SECRET-abc123";
const CODE: &str = "4/0AX4XfWjCODEsecret-xyz";
const ACCESS: &str = "fake.accesstoken-ACCESSsecret-0123456789";
const REFRESH: &str = "fake-refresh-REFRESHsecretXYZ-0123456789abcdef";
const SHORT_ACCESS: &str = "shortAT1";

fn client() -> Client {
    Client {
        id: "app".into(),
        secret: Some(CLIENT_SECRET.into()),
        redirect_uri: REDIRECT.into(),
    }
}

fn pending() -> PendingAuthorization {
    begin_authorization(
        &custom_provider(ClientAuth::Post),
        &client(),
        &AuthorizationOptions::default(),
    )
    .unwrap()
}

fn tokens() -> TokenSet {
    TokenSet {
        access_token: ACCESS.into(),
        refresh_token: Some(REFRESH.into()),
        expires_at: Some(1),
        scopes: vec!["mail".into()],
        id_token: Some("eyJhbGciOi.eyJzdWIiOiIxIn0.SIGNATUREsecret".into()),
        account_email: None,
    }
}

fn assert_clean(error: &Error, secrets: &[&str]) {
    let texts = [error.to_string(), format!("{error:?}")];
    for text in &texts {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "secret {secret:?} leaked in {text:?}"
            );
        }
    }
}

fn all_secrets(pending: &PendingAuthorization) -> Vec<String> {
    let mut secrets = vec![
        CLIENT_SECRET.to_owned(),
        CODE.to_owned(),
        ACCESS.to_owned(),
        REFRESH.to_owned(),
        SHORT_ACCESS.to_owned(),
        pending.state.clone(),
        pending.pkce_verifier.clone(),
        "SIGNATUREsecret".to_owned(),
    ];
    secrets.extend(pending.nonce.clone());
    secrets
}

/// Runs the code exchange against one canned answer and returns the error.
fn exchange_error(
    pending: &PendingAuthorization,
    answer: Result<HttpResponse, HttpError>,
) -> Error {
    let expect = Expect::post(
        TOKEN_URL,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", CODE),
            ("code_verifier", &pending.pkce_verifier),
            ("redirect_uri", REDIRECT),
            ("client_id", "app"),
            ("client_secret", CLIENT_SECRET),
        ],
    );
    let http = FakeHttp::new().then(expect, answer);
    let callback = format!("{REDIRECT}?code={}&state={}", urlenc(CODE), pending.state);
    complete_authorization(
        &http,
        &custom_provider(ClientAuth::Post),
        &client(),
        pending,
        &callback,
        0,
    )
    .expect_err("the exchange must fail")
}

fn urlenc(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[test]
fn code_exchange_errors_never_echo_secrets() {
    let p = pending();
    let echo = format!(
        "code={CODE} code_verifier={} state={} client_secret={CLIENT_SECRET}",
        p.pkce_verifier, p.state
    );
    let answers = vec![
        response(
            500,
            "text/html",
            &format!("<html><p>Bad request: {echo}</p></html>"),
        ),
        json(
            400,
            &format!(r#"{{"error":"invalid_grant","error_description":"bad {echo}"}}"#),
        ),
        json(
            400,
            &format!(r#"{{"error":"invalid_request {CODE}","error_description":"x"}}"#),
        ),
        json(
            200,
            &format!(r#"{{"access_token":"{SHORT_ACCESS}","refresh_token":"{REFRESH}"}}"#),
        ),
        json(
            200,
            &format!(
                r#"{{"access_token": "{ACCESS}", "token_type": 5, "id_token": "{}"}}"#,
                tokens().id_token.unwrap()
            ),
        ),
        json(200, &format!(r#"{{"access_token": "{ACCESS}", oops"#)),
        response(
            200,
            "text/plain",
            &format!("access_token={ACCESS}&refresh_token={REFRESH}"),
        ),
        json(302, &format!(r#"{{"access_token":"{ACCESS}"}}"#)),
        json(
            200,
            &format!(
                r#"{{"access_token":"{ACCESS}","token_type":"Bearer","id_token":"{}"}}"#,
                jwt(&serde_json::json!({"nonce": "other", "email": "a@b"}))
            ),
        ),
    ];
    for answer in answers {
        let error = exchange_error(&p, answer);
        let secrets = all_secrets(&p);
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        assert_clean(&error, &secrets);
    }
}

#[test]
fn callback_error_descriptions_never_echo_the_state_or_code() {
    let p = pending();
    let callback = format!(
        "error=server_error&error_description={}&state={}",
        urlenc(&format!(
            "state {} verifier {} code {CODE}",
            p.state, p.pkce_verifier
        )),
        p.state
    );
    let http = FakeHttp::new();
    let error = complete_authorization(
        &http,
        &custom_provider(ClientAuth::Post),
        &client(),
        &p,
        &callback,
        0,
    )
    .unwrap_err();
    assert!(matches!(error, Error::ProviderError(_)));
    let secrets = all_secrets(&p);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_clean(&error, &secrets);
}

#[test]
fn refresh_and_revoke_errors_never_echo_tokens() {
    let secrets = [ACCESS, REFRESH, CLIENT_SECRET, "SIGNATUREsecret"];
    let refresh_expect = || {
        Expect::post(
            TOKEN_URL,
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", REFRESH),
                ("client_id", "app"),
                ("client_secret", CLIENT_SECRET),
            ],
        )
    };
    for answer in [
        json(
            400,
            &format!(r#"{{"error":"invalid_grant","error_description":"{REFRESH} is revoked"}}"#),
        ),
        json(
            401,
            &format!(
                r#"{{"error":"invalid_client","error_description":"secret {CLIENT_SECRET}"}}"#
            ),
        ),
        response(502, "text/html", &format!("<pre>{REFRESH} {ACCESS}</pre>")),
        json(200, &format!(r#"{{"refresh_token":"{REFRESH}"}}"#)),
        Ok(HttpResponse {
            status: 307,
            headers: vec![Header::new(
                "location",
                format!("https://x.example/?t={REFRESH}"),
            )],
            body: format!("moved: {REFRESH}").into_bytes(),
        }),
    ] {
        let http = FakeHttp::new().then(refresh_expect(), answer);
        let error = refresh(
            &http,
            &custom_provider(ClientAuth::Post),
            &client(),
            &tokens(),
            0,
        )
        .unwrap_err();
        assert_clean(&error, &secrets);
    }

    let revoke_expect = Expect::post(
        REVOKE_URL,
        None,
        &[
            ("token", ACCESS),
            ("token_type_hint", "access_token"),
            ("client_id", "app"),
            ("client_secret", CLIENT_SECRET),
        ],
    );
    let http = FakeHttp::new().then(
        revoke_expect,
        json(
            400,
            &format!(r#"{{"error":"invalid_token","error_description":"{ACCESS} unknown"}}"#),
        ),
    );
    let error = revoke(
        &http,
        &custom_provider(ClientAuth::Post),
        &client(),
        ACCESS,
        TokenKind::AccessToken,
    )
    .unwrap_err();
    assert_clean(&error, &secrets);
}

#[test]
fn records_holding_secrets_redact_their_debug_output() {
    let p = pending();
    let printed = [
        format!("{:?}", client()),
        format!("{p:?}"),
        format!("{:?}", tokens()),
        format!(
            "{:?}",
            HttpRequest {
                method: "POST".into(),
                url: TOKEN_URL.into(),
                headers: vec![Header::new("Authorization", basic("app", CLIENT_SECRET))],
                body: format!("refresh_token={REFRESH}").into_bytes(),
            }
        ),
    ];
    let basic_header = basic("app", CLIENT_SECRET);
    let secrets = all_secrets(&p);
    for text in &printed {
        for secret in secrets
            .iter()
            .map(String::as_str)
            .chain([basic_header.as_str()])
        {
            assert!(!text.contains(secret), "{secret:?} in {text}");
        }
    }
}
