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

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{SocketAddr, TcpListener};
    use std::sync::mpsc;
    use std::thread;

    use super::*;

    /// What the scripted server received.
    #[derive(Debug)]
    struct Received {
        request_line: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    fn read_request(stream: impl Read) -> io::Result<Received> {
        let mut reader = BufReader::new(stream);
        let mut request_line = String::new();
        reader.read_line(&mut request_line)?;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        let len = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map(|(_, v)| v.parse::<usize>().unwrap())
            .unwrap_or(0);
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        Ok(Received {
            request_line: request_line.trim_end().to_owned(),
            headers,
            body,
        })
    }

    /// Serves one connection: reads one request, writes `response`, and
    /// reports what it received.
    fn serve_once(response: Vec<u8>) -> (SocketAddr, mpsc::Receiver<Received>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let received = read_request(&mut stream).unwrap();
            stream.write_all(&response).unwrap();
            stream.flush().unwrap();
            tx.send(received).unwrap();
        });
        (addr, rx)
    }

    /// A listener that must never see a connection.
    fn untouched_listener() -> TcpListener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        listener
    }

    fn assert_never_connected(listener: &TcpListener) {
        let err = listener.accept().expect_err("a connection was made");
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }

    fn loopback_client(addr: SocketAddr, limits: HttpLimits) -> HttpClient {
        let policy = EgressPolicy::deny_all()
            .allow_url(&format!("http://{addr}/"))
            .unwrap()
            .allow_loopback(true);
        HttpClient::new(policy, limits)
    }

    fn get(url: String) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            url,
            headers: vec![],
            body: vec![],
        }
    }

    #[test]
    fn loopback_get_round_trip() {
        let (addr, rx) = serve_once(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Twice: a\r\n\
              X-Twice: b\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"
                .to_vec(),
        );
        let client = loopback_client(addr, HttpLimits::default());
        let mut req = get(format!(
            "http://{addr}/.well-known/openid-configuration?x=1#frag"
        ));
        req.headers
            .push(("Accept".into(), "application/json".into()));
        let resp = client.send(req).unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, b"{\"ok\":true}");
        assert!(
            resp.headers
                .contains(&("content-type".into(), "application/json".into()))
        );
        let twice: Vec<&str> = resp
            .headers
            .iter()
            .filter(|(n, _)| n == "x-twice")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(twice, ["a", "b"]);

        let got = rx.recv().unwrap();
        assert_eq!(
            got.request_line,
            "GET /.well-known/openid-configuration?x=1 HTTP/1.1"
        );
        assert!(
            got.headers
                .contains(&("accept".into(), "application/json".into()))
        );
        assert!(got.body.is_empty());
    }

    #[test]
    fn loopback_post_round_trip_returns_error_statuses_as_responses() {
        let (addr, rx) = serve_once(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 25\r\n\r\n{\"error\":\"invalid_grant\"}"
                .to_vec(),
        );
        let client = loopback_client(addr, HttpLimits::default());
        let resp = client
            .send(HttpRequest {
                method: "POST".into(),
                url: format!("http://{addr}/token"),
                headers: vec![
                    (
                        "Content-Type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ),
                    ("Authorization".into(), "Basic Y2xpZW50OnNlY3JldA==".into()),
                ],
                body: b"grant_type=refresh_token&refresh_token=r1".to_vec(),
            })
            .unwrap();
        assert_eq!(resp.status, 400);
        assert_eq!(resp.body, b"{\"error\":\"invalid_grant\"}");

        let got = rx.recv().unwrap();
        assert_eq!(got.request_line, "POST /token HTTP/1.1");
        assert_eq!(got.body, b"grant_type=refresh_token&refresh_token=r1");
        assert!(
            got.headers
                .contains(&("authorization".into(), "Basic Y2xpZW50OnNlY3JldA==".into()))
        );
        assert!(got.headers.contains(&(
            "content-type".into(),
            "application/x-www-form-urlencoded".into()
        )));
    }

    #[test]
    fn host_not_in_policy_is_denied_without_connecting() {
        let listener = untouched_listener();
        let addr = listener.local_addr().unwrap();
        let client = HttpClient::new(
            EgressPolicy::deny_all()
                .allow_url("http://127.0.0.1:1/")
                .unwrap()
                .allow_loopback(true),
            HttpLimits::default(),
        );
        let err = client
            .send(get(format!("http://{addr}/token?code=SECRETCODE")))
            .unwrap_err();
        let HttpError::Denied(text) = &err else {
            panic!("expected Denied, got {err:?}");
        };
        assert!(
            text.contains(&format!("127.0.0.1:{}", addr.port())),
            "{text}"
        );
        assert!(!text.contains("SECRETCODE"), "{text}");
        assert_never_connected(&listener);
    }

    #[test]
    fn plain_http_to_loopback_is_refused_without_allow_loopback() {
        let listener = untouched_listener();
        let addr = listener.local_addr().unwrap();
        let client = HttpClient::new(
            EgressPolicy::deny_all()
                .allow_url(&format!("http://{addr}/"))
                .unwrap(),
            HttpLimits::default(),
        );
        let err = client.send(get(format!("http://{addr}/"))).unwrap_err();
        assert!(matches!(err, HttpError::Denied(_)), "{err:?}");
        assert_never_connected(&listener);
    }

    #[test]
    fn name_resolving_to_loopback_is_refused_after_resolution() {
        // `localhost` is allowed by name (over https, so the URL check passes),
        // but it resolves to loopback, which the policy does not allow.
        let listener = untouched_listener();
        let port = listener.local_addr().unwrap().port();
        let client = HttpClient::new(
            EgressPolicy::deny_all()
                .allow_url(&format!("https://localhost:{port}/"))
                .unwrap(),
            HttpLimits::default(),
        );
        let err = client
            .send(get(format!("https://localhost:{port}/token")))
            .unwrap_err();
        let HttpError::Denied(text) = &err else {
            panic!("expected Denied, got {err:?}");
        };
        assert!(text.contains("localhost resolves to"), "{text}");
        assert!(text.contains("loopback"), "{text}");
        assert_never_connected(&listener);
    }

    #[test]
    fn redirect_is_returned_not_followed() {
        let target = untouched_listener();
        let target_addr = target.local_addr().unwrap();
        let (addr, rx) = serve_once(
            format!(
                "HTTP/1.1 302 Found\r\nLocation: http://{target_addr}/stolen\r\n\
                 Content-Length: 0\r\n\r\n"
            )
            .into_bytes(),
        );
        // Both origins are allowed: only the no-redirect rule keeps the
        // client away from the second one.
        let policy = EgressPolicy::deny_all()
            .allow_url(&format!("http://{addr}/"))
            .unwrap()
            .allow_url(&format!("http://{target_addr}/"))
            .unwrap()
            .allow_loopback(true);
        let client = HttpClient::new(policy, HttpLimits::default());
        let resp = client.send(get(format!("http://{addr}/token"))).unwrap();
        assert_eq!(resp.status, 302);
        assert!(
            resp.headers
                .iter()
                .any(|(n, v)| n == "location" && v == &format!("http://{target_addr}/stolen"))
        );
        rx.recv().unwrap();
        assert_never_connected(&target);
    }

    #[test]
    fn oversized_response_body_is_too_large() {
        let body = vec![b'x'; 2048];
        let mut response =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        response.extend_from_slice(&body);
        let (addr, _rx) = serve_once(response);
        let limits = HttpLimits {
            max_response_bytes: 1024,
            ..HttpLimits::default()
        };
        let err = loopback_client(addr, limits)
            .send(get(format!("http://{addr}/")))
            .unwrap_err();
        assert_eq!(err, HttpError::TooLarge);
    }

    #[test]
    fn response_body_exactly_at_the_cap_is_accepted() {
        let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n".to_vec();
        response.extend_from_slice(&[b'y'; 1024]);
        let (addr, _rx) = serve_once(response);
        let limits = HttpLimits {
            max_response_bytes: 1024,
            ..HttpLimits::default()
        };
        let resp = loopback_client(addr, limits)
            .send(get(format!("http://{addr}/")))
            .unwrap();
        assert_eq!(resp.body.len(), 1024);
    }

    #[test]
    fn oversized_request_body_is_too_large_and_not_sent() {
        let listener = untouched_listener();
        let addr = listener.local_addr().unwrap();
        let limits = HttpLimits {
            max_request_bytes: 16,
            ..HttpLimits::default()
        };
        let err = loopback_client(addr, limits)
            .send(HttpRequest {
                method: "POST".into(),
                url: format!("http://{addr}/token"),
                headers: vec![],
                body: vec![b'a'; 17],
            })
            .unwrap_err();
        assert_eq!(err, HttpError::TooLarge);
        assert_never_connected(&listener);
    }

    #[test]
    fn server_that_never_answers_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let holder = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            // Hold the socket open, never answer; returns once the client
            // gives up and closes its end.
            let mut sink = Vec::new();
            let _ = stream.read_to_end(&mut sink);
        });
        let limits = HttpLimits {
            total_timeout: Duration::from_millis(300),
            ..HttpLimits::default()
        };
        let started = std::time::Instant::now();
        let err = loopback_client(addr, limits)
            .send(get(format!("http://{addr}/token")))
            .unwrap_err();
        assert_eq!(err, HttpError::Timeout);
        assert!(started.elapsed() < Duration::from_secs(10));
        holder.join().unwrap();
    }

    #[test]
    fn connection_refused_is_unreachable() {
        let addr = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let err = loopback_client(addr, HttpLimits::default())
            .send(get(format!("http://{addr}/")))
            .unwrap_err();
        let HttpError::Unreachable(text) = &err else {
            panic!("expected Unreachable, got {err:?}");
        };
        assert!(text.contains(&addr.to_string()), "{text}");
    }

    #[test]
    fn tls_to_a_plain_http_server_is_a_tls_error() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        });
        let policy = EgressPolicy::deny_all()
            .allow_url(&format!("https://{addr}/"))
            .unwrap()
            .allow_loopback(true);
        let err = HttpClient::new(policy, HttpLimits::default())
            .send(get(format!("https://{addr}/")))
            .unwrap_err();
        assert!(matches!(err, HttpError::Tls(_)), "{err:?}");
    }

    #[test]
    fn refuses_other_methods_host_owned_headers_and_get_bodies() {
        let listener = untouched_listener();
        let addr = listener.local_addr().unwrap();
        let client = loopback_client(addr, HttpLimits::default());
        let mut put = get(format!("http://{addr}/"));
        put.method = "PUT".into();
        assert!(matches!(client.send(put), Err(HttpError::Other(_))));
        let mut smuggle = get(format!("http://{addr}/"));
        smuggle
            .headers
            .push(("Transfer-Encoding".into(), "chunked".into()));
        assert!(matches!(client.send(smuggle), Err(HttpError::Other(_))));
        let mut with_body = get(format!("http://{addr}/"));
        with_body.body = b"x".to_vec();
        assert!(matches!(client.send(with_body), Err(HttpError::Other(_))));
        assert_never_connected(&listener);
    }

    // A throwaway CA and a `localhost`/`127.0.0.1` certificate it signed
    // (P-256, valid 2000-2126), for the TLS tests only. Never trusted outside
    // this module.
    const TEST_CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBbTCCAROgAwIBAgIBATAKBggqhkjOPQQDAjAdMRswGQYDVQQDDBJtYWlsLW9h
dXRoIHRlc3QgQ0EwIBcNMDAwMTAxMDAwMDAwWhgPMjEyNjAxMDEwMDAwMDBaMB0x
GzAZBgNVBAMMEm1haWwtb2F1dGggdGVzdCBDQTBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABGw1wl1loiDr/S8VTKuO/2l0o8wIYwNdn60jz71OYeKcsBZUeUz4JMWc
rhDdn0OgEeoNfM1aKFyn/K8R4bqWtDOjQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYD
VR0PAQH/BAQDAgEGMB0GA1UdDgQWBBQU0eZ1uGrmABUYXS0T96OdMTPWsjAKBggq
hkjOPQQDAgNIADBFAiBrfiRXLEh1YcxlSpmiVXlbeeXv3dwASsoDuDeHnREOIQIh
AJPMlMzfdv7WR2eIp7Cf3UudWq8IZxMeaJgsbU3N5dQw
-----END CERTIFICATE-----
";
    const TEST_SERVER_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBtTCCAVugAwIBAgIBAjAKBggqhkjOPQQDAjAdMRswGQYDVQQDDBJtYWlsLW9h
dXRoIHRlc3QgQ0EwIBcNMDAwMTAxMDAwMDAwWhgPMjEyNjAxMDEwMDAwMDBaMBQx
EjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLnv
BmIMYYKLNGnSWCwuyvHNDPCAVnqx9lWdbm16jjxJzVT/85Yn6WEn8h++2TiPHJ4Q
8S/iHLMelHWr+6ZVImqjgZIwgY8wGgYDVR0RBBMwEYIJbG9jYWxob3N0hwR/AAAB
MAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQMMAoGCCsGAQUF
BwMBMB8GA1UdIwQYMBaAFBTR5nW4auYAFRhdLRP3o50xM9ayMB0GA1UdDgQWBBRf
O2QzSsy02IttB0dWfvtBMHNfuDAKBggqhkjOPQQDAgNIADBFAiAO+28flKVDf9dG
dfHiOa1THMzoWDHwKcbxV+9ehAn9zQIhANAlik+byhEyaUGy7Oadm0CBj96LKiEX
xndMqVBdEY4k
-----END CERTIFICATE-----
";
    const TEST_SERVER_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/dnmnKsmiS5sFl9P
+kfeotiAMmiq8n69BwH9UKIf7mWhRANCAAS57wZiDGGCizRp0lgsLsrxzQzwgFZ6
sfZVnW5teo48Sc1U//OWJ+lhJ/Ifvtk4jxyeEPEv4hyzHpR1q/umVSJq
-----END PRIVATE KEY-----
";

    /// Like `serve_once`, over TLS with the test certificate. A handshake the
    /// client rejects ends the server quietly, with nothing reported.
    fn serve_tls_once(response: Vec<u8>) -> (SocketAddr, mpsc::Receiver<Received>) {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};

        let cert = CertificateDer::from_pem_slice(TEST_SERVER_PEM.as_bytes()).unwrap();
        let key = PrivateKeyDer::from_pem_slice(TEST_SERVER_KEY.as_bytes()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let conn = rustls::ServerConnection::new(config).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let Ok(received) = read_request(&mut tls) else {
                return;
            };
            let _ = tls.write_all(&response);
            tls.conn.send_close_notify();
            let _ = tls.flush();
            let _ = tx.send(received);
        });
        (addr, rx)
    }

    fn tls_policy(port: u16) -> EgressPolicy {
        EgressPolicy::deny_all()
            .allow_url(&format!("https://localhost:{port}/"))
            .unwrap()
            .allow_loopback(true)
    }

    #[test]
    fn https_round_trip_with_an_extra_ca() {
        let (addr, rx) = serve_tls_once(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec());
        let client = HttpClient::with_ca_pem(
            tls_policy(addr.port()),
            HttpLimits::default(),
            TEST_CA_PEM.as_bytes(),
        )
        .unwrap();
        let resp = client
            .send(HttpRequest {
                method: "POST".into(),
                url: format!("https://localhost:{}/token", addr.port()),
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: b"hello".to_vec(),
            })
            .unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, b"ok");
        let got = rx.recv().unwrap();
        assert_eq!(got.request_line, "POST /token HTTP/1.1");
        assert_eq!(got.body, b"hello");
    }

    #[test]
    fn untrusted_certificate_is_a_tls_error() {
        let (addr, rx) = serve_tls_once(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec());
        let err = HttpClient::new(tls_policy(addr.port()), HttpLimits::default())
            .send(get(format!("https://localhost:{}/", addr.port())))
            .unwrap_err();
        let HttpError::Tls(text) = &err else {
            panic!("expected Tls, got {err:?}");
        };
        assert!(text.contains(&format!(":{}", addr.port())), "{text}");
        assert!(text.to_lowercase().contains("certificate"), "{text}");
        assert!(rx.recv().is_err(), "the server must not see a request");
    }

    #[test]
    fn ca_pem_without_a_certificate_is_refused() {
        let err = HttpClient::with_ca_pem(
            EgressPolicy::deny_all(),
            HttpLimits::default(),
            TEST_SERVER_KEY.as_bytes(),
        )
        .unwrap_err();
        assert!(matches!(err, HttpError::Tls(_)), "{err:?}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let req = HttpRequest {
            method: "POST".into(),
            url: "https://oauth2.googleapis.com/token?code=SECRETCODE".into(),
            headers: vec![("Authorization".into(), "Bearer SECRETTOKEN".into())],
            body: b"refresh_token=SECRETREFRESH".to_vec(),
        };
        let printed = format!("{req:?}");
        assert!(printed.contains("oauth2.googleapis.com:443"), "{printed}");
        for secret in ["SECRETCODE", "SECRETTOKEN", "SECRETREFRESH"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        let resp = HttpResponse {
            status: 200,
            headers: vec![],
            body: b"{\"access_token\":\"SECRETTOKEN\"}".to_vec(),
        };
        assert!(!format!("{resp:?}").contains("SECRETTOKEN"));
    }
}
