//! The HTTP client through its public API (`HttpClient::send`,
//! `HttpClient::with_ca_pem`): round trips, the egress policy, redirects,
//! size and time limits, TLS, refused requests and secret-free `Debug`
//! output, against scripted local servers.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::http_client::{
    HttpClient, HttpError, HttpLimits, HttpRequest, HttpResponse,
};

use crate::support::{assert_never_connected, untouched_listener};

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
