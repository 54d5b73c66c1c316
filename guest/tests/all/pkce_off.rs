//! A provider with `pkce: false`: the authorization URL carries no challenge
//! and the code exchange no verifier; everything else is unchanged.

use mail_oauth_guest::authorize::{begin_authorization, complete_authorization};
use mail_oauth_guest::{AuthorizationOptions, ClientAuth, Provider};

use crate::common::*;

fn without_pkce() -> Provider {
    let mut provider = custom_provider(ClientAuth::Basic);
    provider.pkce = false;
    provider
}

fn parameter_names(url: &str) -> Vec<String> {
    let mut names: Vec<String> = url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_authorization_url_has_no_code_challenge() {
    let options = AuthorizationOptions::default();
    let pending = begin_authorization(&without_pkce(), &confidential(), &options).unwrap();
    assert_eq!(
        parameter_names(&pending.url),
        [
            "client_id",
            "nonce",
            "redirect_uri",
            "response_type",
            "scope",
            "state"
        ]
    );
    assert_eq!(
        query_param(&pending.url, "scope").as_deref(),
        Some("openid email mail")
    );

    // The same provider with PKCE on: the two challenge parameters come back.
    let with = begin_authorization(
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &options,
    )
    .unwrap();
    let names = parameter_names(&with.url);
    assert!(names.contains(&"code_challenge".to_owned()), "{names:?}");
    assert!(names.contains(&"code_challenge_method".to_owned()));
    assert_eq!(names.len(), 8);
}

#[test]
fn the_code_exchange_sends_no_code_verifier() {
    let provider = without_pkce();
    let pending =
        begin_authorization(&provider, &confidential(), &AuthorizationOptions::default()).unwrap();
    // The exact form: no code_verifier among the pairs.
    let http = FakeHttp::new().then(
        Expect::post(
            TOKEN_URL,
            Some(basic("client id&1", "s3cret+/=value")),
            &[
                ("grant_type", "authorization_code"),
                ("code", "the-code"),
                ("redirect_uri", REDIRECT),
            ],
        ),
        json(
            200,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":60}"#,
        ),
    );
    let callback = format!("{REDIRECT}?code=the-code&state={}", pending.state);
    let tokens =
        complete_authorization(&http, &provider, &confidential(), &pending, &callback, 100)
            .unwrap();
    http.assert_done();
    assert_eq!(tokens.access_token, "at");
    assert_eq!(tokens.expires_at, Some(160));
    assert_eq!(tokens.scopes, ["openid", "email", "mail"]);
}
