//! Shared fixtures: a scripted fake [`Http`] that asserts the exact request and
//! answers a canned response, and the providers and clients the tests use.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the fixtures"
)]

use std::cell::RefCell;
use std::collections::VecDeque;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mail_oauth_guest::http::{Header, Http, HttpError, HttpRequest, HttpResponse};
use mail_oauth_guest::{Client, ClientAuth, Provider};
use url::form_urlencoded;

/// The request a test expects, field by field.
pub struct Expect {
    pub method: &'static str,
    pub url: String,
    pub content_type: Option<&'static str>,
    pub authorization: Option<String>,
    /// The decoded form body, compared regardless of order.
    pub form: Vec<(String, String)>,
    /// When set, the request's whole header list, in order (names compared
    /// case-insensitively), checked instead of `content_type` and
    /// `authorization`.
    pub headers: Option<Vec<(String, String)>>,
    /// When set, how the body is checked instead of as a form.
    pub body: Option<Body>,
}

/// Checks a request body with a random part.
pub type BodyCheck = Box<dyn FnOnce(&[u8])>;

/// How an [`Expect::request`] checks the body of a request that is not a form.
pub enum Body {
    /// No body at all.
    Empty,
    /// Exactly this text.
    Text(String),
    /// This JSON value, compared parsed (member order and spacing do not count).
    Json(serde_json::Value),
    /// Handed to a function, for a body with a random part.
    Check(BodyCheck),
}

impl Body {
    /// A body checked by `check`.
    pub fn check(check: impl FnOnce(&[u8]) + 'static) -> Self {
        Body::Check(Box::new(check))
    }

    fn assert_matches(self, body: &[u8]) {
        match self {
            Body::Empty => assert!(
                body.is_empty(),
                "body: expected none, got {} bytes",
                body.len()
            ),
            Body::Text(text) => assert_eq!(String::from_utf8_lossy(body), text, "body"),
            Body::Json(value) => {
                let got: serde_json::Value = serde_json::from_slice(body).unwrap_or_else(|e| {
                    panic!("body: not JSON ({e}): {:?}", String::from_utf8_lossy(body))
                });
                assert_eq!(got, value, "JSON body");
            }
            Body::Check(check) => check(body),
        }
    }
}

impl Expect {
    /// A form POST to `url`.
    pub fn post(url: &str, authorization: Option<String>, form: &[(&str, &str)]) -> Self {
        Expect {
            method: "POST",
            url: url.to_owned(),
            content_type: Some("application/x-www-form-urlencoded"),
            authorization,
            form: pairs(form),
            headers: None,
            body: None,
        }
    }

    /// A body-less GET of `url`.
    pub fn get(url: &str) -> Self {
        Expect {
            method: "GET",
            url: url.to_owned(),
            content_type: None,
            authorization: None,
            form: Vec::new(),
            headers: None,
            body: None,
        }
    }

    /// Any request: `headers` is its whole header list, in order, and `body`
    /// says how its body is checked (a mail API call).
    pub fn request(method: &'static str, url: &str, headers: &[(&str, &str)], body: Body) -> Self {
        Expect {
            method,
            url: url.to_owned(),
            content_type: None,
            authorization: None,
            form: Vec::new(),
            headers: Some(
                headers
                    .iter()
                    .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                    .collect(),
            ),
            body: Some(body),
        }
    }
}

fn pairs(form: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<_> = form
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    pairs.sort();
    pairs
}

/// Answers each request with the next scripted response after checking it.
#[derive(Default)]
pub struct FakeHttp {
    script: RefCell<VecDeque<(Expect, Result<HttpResponse, HttpError>)>>,
}

impl FakeHttp {
    pub fn new() -> Self {
        FakeHttp::default()
    }

    /// Adds one expected request and its answer.
    pub fn then(self, expect: Expect, answer: Result<HttpResponse, HttpError>) -> Self {
        self.script.borrow_mut().push_back((expect, answer));
        self
    }

    /// Fails the test if a scripted request was not made.
    pub fn assert_done(&self) {
        let left = self.script.borrow().len();
        assert_eq!(left, 0, "{left} scripted request(s) were not made");
    }
}

impl Http for FakeHttp {
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (expect, answer) = self
            .script
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request: {req:?}"));
        assert_eq!(req.method, expect.method, "method");
        assert_eq!(req.url, expect.url, "url");
        if let Some(headers) = &expect.headers {
            let got: Vec<(String, String)> = req
                .headers
                .iter()
                .map(|h| (h.name.to_ascii_lowercase(), h.value.clone()))
                .collect();
            let want: Vec<(String, String)> = headers
                .iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
                .collect();
            assert_eq!(got, want, "headers");
        } else {
            assert_eq!(
                req.header("content-type"),
                expect.content_type,
                "content-type"
            );
            assert_eq!(
                req.header("authorization").map(str::to_owned),
                expect.authorization,
                "authorization"
            );
        }
        if let Some(body) = expect.body {
            body.assert_matches(&req.body);
            return answer;
        }
        let mut form: Vec<(String, String)> = form_urlencoded::parse(&req.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        form.sort();
        assert_eq!(form, expect.form, "form body");
        answer
    }
}

/// A response with `content-type` and `body`.
pub fn response(status: u16, content_type: &str, body: &str) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse {
        status,
        headers: vec![Header::new("content-type", content_type)],
        body: body.as_bytes().to_vec(),
    })
}

/// A response with every header of `headers` and `body`.
pub fn answer(
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(name, value)| Header::new(*name, *value))
            .collect(),
        body: body.as_bytes().to_vec(),
    })
}

/// A JSON response.
pub fn json(status: u16, body: &str) -> Result<HttpResponse, HttpError> {
    response(status, "application/json; charset=utf-8", body)
}

/// A JWT with `claims` as payload and a fake signature (the component never
/// verifies it).
pub fn jwt(claims: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
pub fn basic(id: &str, secret: &str) -> String {
    let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    let secret: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

pub const TOKEN_URL: &str = "https://auth.example.test/token";
pub const AUTH_URL: &str = "https://auth.example.test/authorize";
pub const REVOKE_URL: &str = "https://auth.example.test/revoke";
pub const DEVICE_URL: &str = "https://auth.example.test/device";
pub const ISSUER: &str = "https://auth.example.test";
pub const REDIRECT: &str = "http://127.0.0.1:8765/callback";

/// A host-built provider (the WaveSoft case) using `client_secret_basic`.
pub fn custom_provider(client_auth: ClientAuth) -> Provider {
    Provider {
        id: "example".into(),
        display_name: "Example".into(),
        issuer: Some(ISSUER.into()),
        authorization_endpoint: AUTH_URL.into(),
        token_endpoint: TOKEN_URL.into(),
        device_authorization_endpoint: Some(DEVICE_URL.into()),
        revocation_endpoint: Some(REVOKE_URL.into()),
        default_scopes: vec!["openid".into(), "email".into(), "mail".into()],
        extra_parameters: Vec::new(),
        client_auth,
        pkce: true,
        mail_servers: Vec::new(),
    }
}

/// A confidential client.
pub fn confidential() -> Client {
    Client {
        id: "client id&1".into(),
        secret: Some("s3cret+/=value".into()),
        redirect_uri: REDIRECT.into(),
    }
}

/// A public client (PKCE only).
pub fn public() -> Client {
    Client {
        id: "public-client".into(),
        secret: None,
        redirect_uri: REDIRECT.into(),
    }
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).expect("absolute URL");
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
