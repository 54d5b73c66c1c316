//! Real HTTP(S) for the component's `http` import, under an [`EgressPolicy`].
//!
//! Every request is checked against the policy twice: the URL before anything
//! else (scheme, host, port), then every address its host resolves to (inside
//! ureq's resolver, so the connection goes to exactly the addresses that were
//! checked). Redirects are never followed — a 3xx is a response the component
//! refuses on its own — no proxy is taken from the environment, and request and
//! response bodies are capped.
//!
//! Error texts name the target host and port, never a path, a query, a header
//! value or a body: an OAuth URL or body may carry a code or a token.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use ureq::config::Config;
use ureq::http;
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use url::Url;

use crate::egress::{EgressPolicy, PolicyDenial};

/// Time and size limits of one [`HttpClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLimits {
    /// How long name resolution may take, and then how long the TCP
    /// connection and TLS handshake may take together (default 10 s each).
    pub connect_timeout: Duration,
    /// How long the whole exchange may take, response body included
    /// (default 30 s). A server that accepts and never answers costs this much.
    pub total_timeout: Duration,
    /// The largest response body accepted (default 1 MiB); a larger one is
    /// [`HttpError::TooLarge`]. Token and discovery responses are a few KiB.
    pub max_response_bytes: u64,
    /// The largest request body sent (default 64 KiB); a larger one is
    /// [`HttpError::TooLarge`] and nothing is sent.
    pub max_request_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_response_bytes: 1024 * 1024,
            max_request_bytes: 64 * 1024,
        }
    }
}

/// A request from the component (the WIT `http.request`).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET` or `POST`; anything else is refused.
    pub method: String,
    /// Absolute `https` URL (`http` only to an allowed loopback target).
    pub url: String,
    /// Headers in order; repeated names are sent repeatedly.
    pub headers: Vec<(String, String)>,
    /// Body; must be empty for `GET`.
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpRequest {
    // Header values (Authorization), the body (a code, a refresh token) and
    // the URL query may all carry secrets: print only their shape.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = Url::parse(&self.url)
            .ok()
            .and_then(|u| target_of(&u))
            .unwrap_or_else(|| "[unparsable]".to_owned());
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("target", &target)
            .field("header_names", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The response the host received, whatever its status (the WIT
/// `http.response`).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code; a 3xx included, since redirects are not followed.
    pub status: u16,
    /// Headers in order; values that are not UTF-8 are converted lossily.
    pub headers: Vec<(String, String)>,
    /// The whole body, at most [`HttpLimits::max_response_bytes`].
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpResponse {
    // A token response body is a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("header_names", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Why no response could be delivered; mirrors the WIT `http-error` variant
/// case for case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The egress policy forbids the scheme, host, port or a resolved address.
    #[error("denied: {0}")]
    Denied(String),
    /// Name resolution or the TCP connection failed.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The server did not answer within [`HttpLimits`]'s time limits.
    #[error("timeout")]
    Timeout,
    /// The TLS handshake or certificate validation failed.
    #[error("tls: {0}")]
    Tls(String),
    /// The request body or the response (body or header) exceeded its cap.
    #[error("too large")]
    TooLarge,
    /// Anything else: a malformed request or response, an I/O error.
    #[error("other: {0}")]
    Other(String),
}

/// Request headers the host owns: letting the component set them would let it
/// smuggle a second request or lie about the body's framing.
const HOST_OWNED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "proxy-connection",
    "proxy-authorization",
];

/// Sends the component's HTTP requests under an [`EgressPolicy`] and
/// [`HttpLimits`]. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    policy: Arc<EgressPolicy>,
    limits: HttpLimits,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("policy", &self.policy)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client that trusts the Mozilla root certificates (webpki roots).
    pub fn new(policy: EgressPolicy, limits: HttpLimits) -> Self {
        Self::build(policy, limits, RootCerts::WebPki)
    }

    /// A client that trusts only the certificates in `pem` (one or more PEM
    /// `CERTIFICATE` blocks), instead of the webpki roots: for tests against a
    /// local TLS server with its own CA. ureq takes either its built-in roots
    /// or an explicit list, so the two cannot be combined here.
    pub fn with_ca_pem(
        policy: EgressPolicy,
        limits: HttpLimits,
        pem: &[u8],
    ) -> Result<Self, HttpError> {
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
                Ok(_) => {}
                Err(e) => return Err(HttpError::Tls(format!("invalid CA PEM: {e}"))),
            }
        }
        if certs.is_empty() {
            return Err(HttpError::Tls("the CA PEM holds no certificate".to_owned()));
        }
        Ok(Self::build(
            policy,
            limits,
            RootCerts::new_with_certs(&certs),
        ))
    }

    fn build(policy: EgressPolicy, limits: HttpLimits, roots: RootCerts) -> Self {
        let policy = Arc::new(policy);
        let config = Config::builder()
            // A 4xx/5xx is a response the component interprets (an OAuth
            // error body), not a transport failure.
            .http_status_as_error(false)
            // Never follow: the component must see (and refuse) a redirect,
            // and a followed redirect would bypass the URL check.
            .max_redirects(0)
            // Explicitly none: HTTPS_PROXY from the environment would send
            // tokens through a host the policy never approved.
            .proxy(None)
            .timeout_global(Some(limits.total_timeout))
            .timeout_resolve(Some(limits.connect_timeout))
            .timeout_connect(Some(limits.connect_timeout))
            .user_agent(concat!("mail-oauth/", env!("CARGO_PKG_VERSION")))
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        let resolver = PolicyResolver {
            policy: Arc::clone(&policy),
        };
        let agent = ureq::Agent::with_parts(config, DefaultConnector::new(), resolver);
        Self {
            agent,
            policy,
            limits,
        }
    }

    /// The policy this client enforces.
    pub fn policy(&self) -> &EgressPolicy {
        &self.policy
    }

    /// The limits this client enforces.
    pub fn limits(&self) -> &HttpLimits {
        &self.limits
    }

    /// Sends `req` and returns the response whatever its status, or why there
    /// is none. The URL is checked against the policy before anything else;
    /// nothing is sent when the policy, the method, a header or the body size
    /// is refused.
    pub fn send(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let mut url =
            Url::parse(&req.url).map_err(|e| HttpError::Other(format!("invalid URL: {e}")))?;
        // A fragment is never sent over HTTP; drop it before ureq sees it.
        url.set_fragment(None);
        self.policy
            .check_url(&url)
            .map_err(|d| HttpError::Denied(d.to_string()))?;
        let target = target_of(&url).unwrap_or_default();

        let method = if req.method.eq_ignore_ascii_case("GET") {
            http::Method::GET
        } else if req.method.eq_ignore_ascii_case("POST") {
            http::Method::POST
        } else {
            return Err(HttpError::Other(format!(
                "method {} is not supported (GET or POST only)",
                printable(&req.method)
            )));
        };
        if req.body.len() > self.limits.max_request_bytes {
            return Err(HttpError::TooLarge);
        }
        if method == http::Method::GET && !req.body.is_empty() {
            return Err(HttpError::Other("a GET request has no body".to_owned()));
        }

        let mut builder = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str());
        for (name, value) in &req.headers {
            if HOST_OWNED_HEADERS
                .iter()
                .any(|owned| name.eq_ignore_ascii_case(owned))
            {
                return Err(HttpError::Other(format!(
                    "header {} is set by the host",
                    printable(name)
                )));
            }
            builder = builder.header(name.as_str(), value.as_str());
        }

        let result = if method == http::Method::GET {
            builder
                .body(())
                .map_err(invalid_request)
                .and_then(|r| self.agent.run(r).map_err(|e| map_error(e, &target)))
        } else {
            builder
                .body(req.body)
                .map_err(invalid_request)
                .and_then(|r| self.agent.run(r).map_err(|e| map_error(e, &target)))
        };
        let response = result?;

        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .into_body()
            .into_with_config()
            .limit(self.limits.max_response_bytes)
            .read_to_vec()
            .map_err(|e| map_error(e, &target))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// `host:port` of a URL, for error texts (never its path or query).
fn target_of(url: &Url) -> Option<String> {
    let host = url.host()?;
    let port = url.port_or_known_default()?;
    Some(match host {
        url::Host::Ipv6(ip) => format!("[{ip}]:{port}"),
        other => format!("{other}:{port}"),
    })
}

/// A guest-supplied token for a message: short and printable, or elided.
fn printable(s: &str) -> String {
    if s.len() <= 40 && s.chars().all(|c| c.is_ascii_graphic()) {
        format!("`{s}`")
    } else {
        "[unprintable]".to_owned()
    }
}

fn invalid_request(e: http::Error) -> HttpError {
    // http's messages name the kind of problem ("invalid HTTP header value"),
    // never the offending value.
    HttpError::Other(format!("invalid request: {e}"))
}

/// A name-resolution failure, carried through ureq's `Error::Other`.
#[derive(Debug)]
struct ResolveFailure(String);

impl fmt::Display for ResolveFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for ResolveFailure {}

/// Resolves like ureq's default resolver, then refuses the whole name when any
/// address is forbidden. Because ureq connects only to the addresses its
/// resolver returns, the checked addresses are the ones connected to.
#[derive(Debug)]
struct PolicyResolver {
    policy: Arc<EgressPolicy>,
}

impl Resolver for PolicyResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri
            .host()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let scheme = uri.scheme_str().unwrap_or_default();
        let addrs = match DefaultResolver::default().resolve(uri, config, timeout) {
            Ok(addrs) => addrs,
            Err(e @ ureq::Error::Timeout(_)) => return Err(e),
            Err(e) => {
                let reason = match e {
                    ureq::Error::Io(io) => io.to_string(),
                    ureq::Error::HostNotFound => "no address".to_owned(),
                    other => other.to_string(),
                };
                return Err(ureq::Error::Other(Box::new(ResolveFailure(format!(
                    "cannot resolve {host}: {reason}"
                )))));
            }
        };
        self.policy
            .check_resolved(scheme, &host, &addrs)
            .map_err(|denial| ureq::Error::Other(Box::new(denial)))?;
        Ok(addrs)
    }
}

/// Maps a ureq error onto the WIT variant, naming `target` (host:port).
fn map_error(err: ureq::Error, target: &str) -> HttpError {
    match err {
        ureq::Error::Other(inner) => {
            if let Some(denial) = inner.downcast_ref::<PolicyDenial>() {
                HttpError::Denied(denial.to_string())
            } else if let Some(failure) = inner.downcast_ref::<ResolveFailure>() {
                HttpError::Unreachable(failure.to_string())
            } else {
                HttpError::Other(format!("request to {target} failed: {inner}"))
            }
        }
        ureq::Error::Timeout(_) => HttpError::Timeout,
        ureq::Error::HostNotFound => HttpError::Unreachable(format!("cannot resolve {target}")),
        ureq::Error::ConnectionFailed => {
            HttpError::Unreachable(format!("cannot connect to {target}"))
        }
        ureq::Error::Io(io) => map_io(&io, target),
        ureq::Error::Tls(reason) => HttpError::Tls(format!("{target}: {reason}")),
        ureq::Error::Rustls(e) => HttpError::Tls(format!("{target}: {e}")),
        ureq::Error::Pem(e) => HttpError::Tls(format!("{target}: PEM: {e:?}")),
        ureq::Error::TlsRequired => HttpError::Tls(format!("{target}: no TLS transport")),
        ureq::Error::BodyExceedsLimit(_) | ureq::Error::LargeResponseHeader(..) => {
            HttpError::TooLarge
        }
        // The protocol error may quote the server's bytes (a header line):
        // keep them out of the guest-visible text.
        ureq::Error::Protocol(_) => {
            HttpError::Other(format!("malformed HTTP response from {target}"))
        }
        ureq::Error::Http(e) => HttpError::Other(format!("invalid request to {target}: {e}")),
        ureq::Error::BadUri(_) => HttpError::Other(format!("invalid URL for {target}")),
        other => HttpError::Other(format!("request to {target} failed: {other}")),
    }
}

fn map_io(io: &io::Error, target: &str) -> HttpError {
    // rustls must be the version ureq links (0.23); if ureq moves on, this
    // downcast stops matching and `untrusted_certificate_is_a_tls_error` fails.
    if let Some(tls) = find_source::<rustls::Error>(io) {
        return HttpError::Tls(format!("{target}: {tls}"));
    }
    match io.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => HttpError::Timeout,
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::NetworkUnreachable
        | io::ErrorKind::NetworkDown
        | io::ErrorKind::AddrNotAvailable => {
            HttpError::Unreachable(format!("cannot connect to {target}: {io}"))
        }
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof => {
            HttpError::Other(format!("{target} closed the connection: {}", io.kind()))
        }
        kind => HttpError::Other(format!("I/O error with {target}: {kind}")),
    }
}

/// The first error of type `T` in the chain of what `err` wraps (rustls
/// reports handshake failures as an `io::Error` wrapping a `rustls::Error`).
/// Shared with the mail transport, which meets the same wrapping.
pub(crate) fn find_source<T: StdError + 'static>(err: &io::Error) -> Option<&T> {
    let mut current: Option<&(dyn StdError + 'static)> = match err.get_ref() {
        Some(inner) => Some(inner),
        None => None,
    };
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}
