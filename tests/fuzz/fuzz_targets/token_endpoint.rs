//! The token endpoint's callers — code exchange, refresh, client
//! credentials, device polling, revocation — against a server answering
//! any status, headers and body (or a host failure): no panic, one request,
//! and no secret the component sent (refresh token, client secret, code,
//! PKCE verifier, device code, the token being revoked) in any error, its
//! Display or its Debug, even when the server echoes it.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mail_oauth_fuzz::*;
use mail_oauth_guest::http::{Header, HttpError, HttpResponse};
use mail_oauth_guest::{TokenKind, TokenSet, authorize, device, token};

const CODE: &str = "auth-CODE-0123456789abcdefghijklmnop";

#[derive(Arbitrary, Debug)]
enum Answer {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    Failure(u8, String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    call: u8,
    post: bool,
    answer: Answer,
}

fuzz_target!(|input: Input| {
    let answer = match input.answer {
        Answer::Response {
            status,
            headers,
            body,
        } => Ok(HttpResponse {
            status,
            headers: headers
                .into_iter()
                .map(|(name, value)| Header::new(name, value))
                .collect(),
            body,
        }),
        Answer::Failure(kind, text) => Err(match kind % 6 {
            0 => HttpError::Denied(text),
            1 => HttpError::Unreachable(text),
            2 => HttpError::Timeout,
            3 => HttpError::Tls(text),
            4 => HttpError::TooLarge,
            _ => HttpError::Other(text),
        }),
    };
    let http = ScriptedHttp::new(vec![answer]);
    let mut provider = provider();
    if input.post {
        provider.client_auth = mail_oauth_guest::ClientAuth::Post;
    }
    let client = client();
    let tokens = TokenSet {
        access_token: TOKEN.into(),
        refresh_token: Some(REFRESH.into()),
        expires_at: Some(1_000),
        scopes: vec!["mail".into()],
        id_token: None,
        account_email: None,
    };
    let now = 1_700_000_000;
    let shown = match input.call % 6 {
        0 => show(token::refresh(&http, &provider, &client, &tokens, now)),
        1 => show(token::ensure_fresh(
            &http, &provider, &client, &tokens, now, 60,
        )),
        2 => show(token::client_credentials(
            &http,
            &provider,
            &client,
            &["https://outlook.office365.com/.default".into()],
            now,
        )),
        3 => show(device::poll_device_authorization(
            &http,
            &provider,
            &client,
            &device(),
            now,
        )),
        4 => show(token::revoke(
            &http,
            &provider,
            &client,
            REFRESH,
            TokenKind::RefreshToken,
        )),
        _ => show(authorize::complete_authorization(
            &http,
            &provider,
            &client,
            &pending(),
            &format!("?state={STATE}&code={CODE}"),
            now,
        )),
    };
    assert_eq!(http.requests().len(), 1, "one request");
    if let Some(shown) = shown {
        assert_hidden(
            &shown,
            &[
                REFRESH,
                CLIENT_SECRET,
                CODE,
                VERIFIER,
                DEVICE_CODE,
                STATE,
                NONCE,
            ],
            "the error",
        );
    }
});

/// The error's Display and Debug; `None` on success (whose token set prints
/// its tokens redacted, and holds the provider's own words otherwise).
fn show<T>(result: Result<T, mail_oauth_guest::Error>) -> Option<String> {
    result.err().map(|e| format!("{e} {e:?}"))
}
