//! HTTP as the core sees it: records mirroring the WIT `http` interface, the
//! [`Http`] trait the host import (or a test fake) implements, and the adapter that
//! lets the `oauth2` crate send its requests through it.

use std::cell::RefCell;
use std::fmt;

use oauth2::http as h;

/// One HTTP header. Names are case-insensitive.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    /// Header name, e.g. `content-type`.
    pub name: String,
    /// Header value.
    pub value: String,
}

impl Header {
    /// Builds a header from its name and value.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `authorization` carries client credentials: never print its value.
        if self.name.eq_ignore_ascii_case("authorization") {
            write!(f, "{}: [redacted]", self.name)
        } else {
            write!(f, "{}: {}", self.name, self.value)
        }
    }
}

/// A request the core asks the host to send.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// Absolute `http` or `https` URL.
    pub url: String,
    /// Request headers, in order.
    pub headers: Vec<Header>,
    /// Request body; empty for `GET`. Holds secrets for token requests.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body of a token request holds codes, verifiers, tokens and secrets.
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field(
                "body",
                &format_args!("[{} bytes redacted]", self.body.len()),
            )
            .finish()
    }
}

/// The response the host received, whatever its status.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code; a 3xx is returned as is (redirects are not followed).
    pub status: u16,
    /// Response headers, in order.
    pub headers: Vec<Header>,
    /// The whole body. Holds tokens for token responses.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field(
                "body",
                &format_args!("[{} bytes redacted]", self.body.len()),
            )
            .finish()
    }
}

fn find_header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case(name))
        .map(|header| header.value.as_str())
}

/// Why the host could not deliver a response (mirrors WIT `http-error`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// The host's egress policy forbids the target.
    Denied(String),
    /// Name resolution or the TCP connection failed.
    Unreachable(String),
    /// The server did not answer in time.
    Timeout,
    /// The TLS handshake or certificate validation failed.
    Tls(String),
    /// The response body exceeded the host's size cap.
    TooLarge,
    /// Any other transport failure.
    Other(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Denied(target) => write!(f, "denied by the egress policy: {target}"),
            HttpError::Unreachable(reason) => write!(f, "unreachable: {reason}"),
            HttpError::Timeout => f.write_str("timed out"),
            HttpError::Tls(reason) => write!(f, "TLS failure: {reason}"),
            HttpError::TooLarge => f.write_str("response too large"),
            HttpError::Other(reason) => write!(f, "transport failure: {reason}"),
        }
    }
}

impl std::error::Error for HttpError {}

/// Sends HTTP requests: the host import in the component, a scripted fake in tests.
pub trait Http {
    /// Sends `req` and returns the response, or why there is none. Must not follow
    /// redirects.
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, HttpError>;
}

/// HTTP statuses that mean "try again later", for OAuth endpoints and mail
/// APIs alike (`temporary-failure`).
pub(crate) const LATER_STATUSES: [u16; 4] = [429, 502, 503, 504];

/// What the adapter tells `oauth2` when it cannot hand it a response.
#[derive(Debug)]
pub(crate) enum AdapterError {
    /// The host failed; kept as the error source so it can be found again.
    Host(HttpError),
    /// The server answered with a redirect, which a token endpoint never does.
    Redirect(u16),
    /// The status is not a valid HTTP status code.
    BadStatus(u16),
}

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdapterError::Host(_) => f.write_str("the host could not deliver the request"),
            AdapterError::Redirect(status) => write!(f, "refused redirect (HTTP {status})"),
            AdapterError::BadStatus(status) => write!(f, "invalid HTTP status {status}"),
        }
    }
}

impl std::error::Error for AdapterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AdapterError::Host(error) => Some(error),
            AdapterError::Redirect(_) | AdapterError::BadStatus(_) => None,
        }
    }
}

/// The last response the adapter saw, kept so errors can report its status and
/// a scrubbed excerpt when `oauth2` only says "could not parse".
#[derive(Clone)]
pub(crate) struct SeenResponse {
    pub status: u16,
    pub content_type: Option<String>,
    /// The `Retry-After` header, for a "later" status.
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

impl SeenResponse {
    /// What errors need of `response`.
    pub(crate) fn of(response: HttpResponse) -> Self {
        SeenResponse {
            status: response.status,
            content_type: response.header("content-type").map(str::to_owned),
            retry_after: response.header("retry-after").map(str::to_owned),
            body: response.body,
        }
    }
}

/// `oauth2::SyncHttpClient` over a core [`Http`].
pub(crate) struct OAuthHttp<'a> {
    http: &'a dyn Http,
    last: RefCell<Option<SeenResponse>>,
}

impl<'a> OAuthHttp<'a> {
    pub(crate) fn new(http: &'a dyn Http) -> Self {
        OAuthHttp {
            http,
            last: RefCell::new(None),
        }
    }

    /// The last response received, if any.
    pub(crate) fn last_response(&self) -> Option<SeenResponse> {
        self.last.borrow().clone()
    }
}

impl oauth2::SyncHttpClient for OAuthHttp<'_> {
    type Error = AdapterError;

    fn call(&self, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, AdapterError> {
        let (parts, body) = request.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                Header::new(name.as_str(), String::from_utf8_lossy(value.as_bytes()))
            })
            .collect();
        let req = HttpRequest {
            method: parts.method.as_str().to_owned(),
            url: parts.uri.to_string(),
            headers,
            body,
        };
        let response = self.http.send(req).map_err(AdapterError::Host)?;
        *self.last.borrow_mut() = Some(SeenResponse {
            status: response.status,
            content_type: response.header("content-type").map(str::to_owned),
            retry_after: response.header("retry-after").map(str::to_owned),
            body: response.body.clone(),
        });
        if (300..400).contains(&response.status) {
            return Err(AdapterError::Redirect(response.status));
        }
        let mut builder = h::Response::builder().status(response.status);
        // `oauth2` reads no response header but `content-type`: pass only that one
        // (all its values, in order), which spares parsing every header name.
        for header in &response.headers {
            if header.name.eq_ignore_ascii_case("content-type")
                && let Ok(value) = h::HeaderValue::from_str(&header.value)
            {
                builder = builder.header(h::header::CONTENT_TYPE, value);
            }
        }
        // Only an out-of-range status can fail here.
        builder
            .body(response.body)
            .map_err(|_| AdapterError::BadStatus(response.status))
    }
}
