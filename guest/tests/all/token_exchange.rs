//! The code exchange: the exact token request for each client-auth method and
//! client type, and the token set built from the answer.

use mail_oauth_guest::authorize::{begin_authorization, complete_authorization};
use mail_oauth_guest::providers::{google, microsoft};
use mail_oauth_guest::{
    AuthorizationOptions, Client, ClientAuth, Error, PendingAuthorization, Provider, TokenSet,
};
use serde_json::json;

use crate::common::*;

const NOW: u64 = 1_700_000_000;

fn begin(provider: &Provider, client: &Client) -> PendingAuthorization {
    begin_authorization(provider, client, &AuthorizationOptions::default()).unwrap()
}

fn code_form<'a>(
    pending: &'a PendingAuthorization,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", "the-code"),
        ("code_verifier", pending.pkce_verifier.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    form.extend_from_slice(extra);
    form
}

fn run(
    provider: &Provider,
    client: &Client,
    pending: &PendingAuthorization,
    expect: Expect,
    body: &str,
    callback: &str,
) -> Result<TokenSet, Error> {
    let http = FakeHttp::new().then(expect, json(200, body));
    let result = complete_authorization(&http, provider, client, pending, callback, NOW);
    http.assert_done();
    result
}

#[test]
fn basic_client_auth_sends_url_encoded_credentials_in_the_header() {
    let provider = custom_provider(ClientAuth::Basic);
    let client = confidential();
    let pending = begin(&provider, &client);
    let id_token =
        jwt(&json!({"iss": ISSUER, "nonce": pending.nonce, "email": "alice@example.com"}));
    let expect = Expect::post(
        TOKEN_URL,
        Some(basic("client id&1", "s3cret+/=value")),
        &code_form(&pending, &[]),
    );
    let body = json!({
        "access_token": "at-1", "token_type": "Bearer", "expires_in": 3599,
        "refresh_token": "rt-1", "scope": "openid email mail", "id_token": id_token,
    });
    let callback = format!(
        "{REDIRECT}?code=the-code&state={}&iss={ISSUER}",
        pending.state
    );
    let tokens = run(
        &provider,
        &client,
        &pending,
        expect,
        &body.to_string(),
        &callback,
    )
    .unwrap();
    assert_eq!(tokens.access_token, "at-1");
    assert_eq!(tokens.refresh_token.as_deref(), Some("rt-1"));
    assert_eq!(tokens.expires_at, Some(NOW + 3599));
    assert_eq!(tokens.scopes, ["openid", "email", "mail"]);
    assert_eq!(tokens.id_token, Some(id_token));
    assert_eq!(tokens.account_email.as_deref(), Some("alice@example.com"));
}

#[test]
fn post_client_auth_sends_the_secret_in_the_body() {
    let provider = google();
    let client = confidential();
    let pending = begin(&provider, &client);
    let expect = Expect::post(
        "https://oauth2.googleapis.com/token",
        None,
        &code_form(
            &pending,
            &[
                ("client_id", "client id&1"),
                ("client_secret", "s3cret+/=value"),
            ],
        ),
    );
    let body = json!({"access_token": "at", "token_type": "Bearer", "expires_in": 10});
    let callback = format!("?state={}&code=the-code", pending.state);
    let tokens = run(
        &provider,
        &client,
        &pending,
        expect,
        &body.to_string(),
        &callback,
    )
    .unwrap();
    // No scope in the answer: the requested ones.
    assert_eq!(tokens.scopes, google().default_scopes);
    assert_eq!(tokens.refresh_token, None);
    assert_eq!(tokens.id_token, None);
    assert_eq!(tokens.account_email, None);
}

#[test]
fn public_client_sends_its_id_in_the_body_even_with_basic() {
    let provider = custom_provider(ClientAuth::Basic);
    let client = public();
    let pending = begin(&provider, &client);
    let expect = Expect::post(
        TOKEN_URL,
        None,
        &code_form(&pending, &[("client_id", "public-client")]),
    );
    let body = json!({"access_token": "at", "token_type": "bearer"});
    let callback = format!("code=the-code&state={}", pending.state);
    let tokens = run(
        &provider,
        &client,
        &pending,
        expect,
        &body.to_string(),
        &callback,
    )
    .unwrap();
    assert_eq!(tokens.expires_at, None, "no expires_in: unknown expiry");
}

#[test]
fn microsoft_account_falls_back_to_preferred_username_then_upn() {
    let provider = microsoft("common").unwrap();
    let client = public();
    for (claims_extra, expected) in [
        (
            json!({"preferred_username": "bob@contoso.com", "upn": "x@y"}),
            "bob@contoso.com",
        ),
        (json!({"upn": "carol@contoso.com"}), "carol@contoso.com"),
    ] {
        let pending = begin(&provider, &client);
        let mut claims = claims_extra.clone();
        claims["nonce"] = json!(pending.nonce);
        // Microsoft's issuer is the user's tenant: no `iss` check for `common`.
        let expect = Expect::post(
            "https://login.microsoftonline.com/common/oauth2/v2.0/token",
            None,
            &code_form(&pending, &[("client_id", "public-client")]),
        );
        let body = json!({"access_token": "at", "token_type": "Bearer", "id_token": jwt(&claims)});
        let callback = format!(
            "code=the-code&state={}&iss=https://login.microsoftonline.com/tid/v2.0",
            pending.state
        );
        let tokens = run(
            &provider,
            &client,
            &pending,
            expect,
            &body.to_string(),
            &callback,
        )
        .unwrap();
        assert_eq!(tokens.account_email.as_deref(), Some(expected));
    }
}

#[test]
fn an_id_token_with_another_nonce_is_refused() {
    let provider = custom_provider(ClientAuth::Basic);
    let client = confidential();
    let pending = begin(&provider, &client);
    assert!(pending.nonce.is_some());
    for claims in [
        json!({"nonce": "replayed", "email": "a@b"}),
        json!({"email": "a@b"}),
    ] {
        let expect = Expect::post(
            TOKEN_URL,
            Some(basic("client id&1", "s3cret+/=value")),
            &code_form(&pending, &[]),
        );
        let body = json!({"access_token": "at", "token_type": "Bearer", "id_token": jwt(&claims)});
        let callback = format!("code=the-code&state={}", pending.state);
        match run(
            &provider,
            &client,
            &pending,
            expect,
            &body.to_string(),
            &callback,
        ) {
            Err(Error::InvalidResponse {
                status: 200,
                detail,
            }) => assert!(detail.contains("nonce"), "{detail}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_callback_url_with_the_default_port_spelled_out_matches() {
    let provider = custom_provider(ClientAuth::Post);
    let mut client = public();
    client.redirect_uri = "https://app.example.test/oauth/callback".into();
    let pending = begin(&provider, &client);
    let mut form = code_form(&pending, &[("client_id", "public-client")]);
    form.retain(|(k, _)| *k != "redirect_uri");
    form.push(("redirect_uri", "https://app.example.test/oauth/callback"));
    let expect = Expect::post(TOKEN_URL, None, &form);
    let body = json!({"access_token": "at", "token_type": "Bearer"});
    let callback = format!(
        "https://app.example.test:443/oauth/callback?code=the-code&state={}",
        pending.state
    );
    assert!(
        run(
            &provider,
            &client,
            &pending,
            expect,
            &body.to_string(),
            &callback
        )
        .is_ok()
    );
}
