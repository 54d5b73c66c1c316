//! The mail transport through its public API (`Transports::connect`,
//! `MailConnection`, `TlsRoots`): the egress policy, TLS and STARTTLS, limits
//! and faults against scripted local servers, and the real local Dovecot and
//! Postfix (`tests/peers/up.sh`).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::transport::{
    MailConnection, Security, TlsRoots, TransportError, TransportLimits, Transports,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, StreamOwned};

use crate::support::{assert_never_connected, untouched_listener};

// ---- helpers ----------------------------------------------------------

/// The CA of the local mail servers (`tests/peers/up.sh`).
fn peers_ca() -> PathBuf {
    let root = std::env::var("PEERS_ROOT").unwrap_or_else(|_| "/tmp/mail-oauth-peers".to_owned());
    PathBuf::from(root).join("tls/ca.crt")
}

/// System roots plus the local peers' CA.
fn peers_tls() -> Arc<ClientConfig> {
    let mut roots = TlsRoots::system();
    let path = peers_ca();
    roots
        .add_pem_file(&path)
        .unwrap_or_else(|e| panic!("{e}: are the local mail servers up? (bash tests/peers/up.sh)"));
    roots.client_config().unwrap()
}

/// Only the throwaway test CA below.
fn test_ca_tls() -> Arc<ClientConfig> {
    let mut roots = TlsRoots::empty();
    assert_eq!(roots.add_pem(TEST_CA_PEM.as_bytes()).unwrap(), 1);
    roots.client_config().unwrap()
}

fn loopback_policy(host: &str, port: u16) -> EgressPolicy {
    EgressPolicy::deny_all()
        .allow_host_port(host, port)
        .unwrap()
        .allow_loopback(true)
}

fn transports(policy: EgressPolicy, limits: TransportLimits) -> Transports {
    Transports::new(policy, limits, test_ca_tls())
}

/// Serves one connection on 127.0.0.1 with `script`.
fn serve<T: Send + 'static>(
    script: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (SocketAddr, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        script(stream)
    });
    (addr, handle)
}

fn read_client_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line
}

// A throwaway CA and a `localhost`/`127.0.0.1` certificate it signed
// (P-256, valid 2000-2126), made once with openssl for these tests only.
const TEST_CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBgTCCASegAwIBAgIBATAKBggqhkjOPQQDAjAnMSUwIwYDVQQDDBxtYWlsLW9h
dXRoIHRyYW5zcG9ydCB0ZXN0IENBMCAXDTAwMDEwMTAwMDAwMFoYDzIxMjYwMTAx
MDAwMDAwWjAnMSUwIwYDVQQDDBxtYWlsLW9hdXRoIHRyYW5zcG9ydCB0ZXN0IENB
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEG7b4scQN6kwLM4dGR0KsLsaGy7qQ
VlAPCmfduKI/aLzUG936ylroVynB90M7TVU6iVZWlSpIPM+fr70VELgQQqNCMEAw
DwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFOmPwUz6
qSEXLgtZi6KU2oUSg+pNMAoGCCqGSM49BAMCA0gAMEUCIAlzxqXTUW+ulZfnsmVf
oQVHxJvvWyaFGSCWwQ/OMv3EAiEAzBnQJa9Z9wrhhfQhJZ8zqDM9aXDBU/avhzh4
34ifAvE=
-----END CERTIFICATE-----
";
const TEST_SERVER_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBvzCCAWWgAwIBAgIBAjAKBggqhkjOPQQDAjAnMSUwIwYDVQQDDBxtYWlsLW9h
dXRoIHRyYW5zcG9ydCB0ZXN0IENBMCAXDTAwMDEwMTAwMDAwMFoYDzIxMjYwMTAx
MDAwMDAwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQGHMuV2mLkq8zeSlyBOX81dcTfnnci3kaiDyADFrzvUu2RUzp11ovl
GTWa2IWzyfeJ3l80HAa+MrsV967CIEOAo4GSMIGPMBoGA1UdEQQTMBGCCWxvY2Fs
aG9zdIcEfwAAATATBgNVHSUEDDAKBggrBgEFBQcDATAMBgNVHRMBAf8EAjAAMA4G
A1UdDwEB/wQEAwIHgDAfBgNVHSMEGDAWgBTpj8FM+qkhFy4LWYuilNqFEoPqTTAd
BgNVHQ4EFgQUpG6D4oggd2R2HFzG94QeeqvaoVUwCgYIKoZIzj0EAwIDSAAwRQIh
AOjkzT3hkerPKwh51sY3VNLx2rOce0drolUJ3ROb5hyLAiBv7X+zb+aTYHsuzIEM
FBVTIK4sfMMkbDW+IzHaMwj/dg==
-----END CERTIFICATE-----
";
const TEST_SERVER_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2Sog6rD6SMGDTmdn
XInIMAVcSV5IF4WUdCVSyuYPQ4mhRANCAAQGHMuV2mLkq8zeSlyBOX81dcTfnnci
3kaiDyADFrzvUu2RUzp11ovlGTWa2IWzyfeJ3l80HAa+MrsV967CIEOA
-----END PRIVATE KEY-----
";

fn test_server_tls() -> Arc<rustls::ServerConfig> {
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
    Arc::new(config)
}

type ServerTls = StreamOwned<rustls::ServerConnection, TcpStream>;

fn accept_tls(tcp: TcpStream) -> io::Result<ServerTls> {
    let mut tls = rustls::ServerConnection::new(test_server_tls()).unwrap();
    let mut tcp = tcp;
    while tls.is_handshaking() {
        tls.complete_io(&mut tcp)?;
    }
    Ok(StreamOwned::new(tls, tcp))
}

/// Reads lines until one starts with `end` (a tagged IMAP reply, SMTP's
/// last `250 ` line) and returns them all.
fn read_until(conn: &mut MailConnection, end: &str) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let line = conn.read_line(4096).unwrap();
        let line = String::from_utf8(line).unwrap();
        assert!(line.ends_with('\n'), "{line:?}");
        let done = line.starts_with(end);
        lines.push(line);
        if done {
            return lines;
        }
        assert!(lines.len() < 100, "no `{end}` line: {lines:?}");
    }
}

// ---- the real local mail servers (tests/peers) --------------------------

#[test]
fn imap_implicit_tls_greeting_from_dovecot() {
    for host in ["localhost", "127.0.0.1"] {
        let t = Transports::new(
            loopback_policy(host, 10993),
            TransportLimits::default(),
            peers_tls(),
        );
        let mut conn = t.connect(host, 10993, Security::ImplicitTls).unwrap();
        assert!(conn.is_tls());
        let greeting = conn.read_line(1024).unwrap();
        assert!(greeting.starts_with(b"* OK"), "{host}: {greeting:?}");
        conn.write(b"z LOGOUT\r\n").unwrap();
        read_until(&mut conn, "z ");
    }
}

#[test]
fn imap_starttls_with_dovecot_shows_xoauth2_after_upgrade() {
    let t = Transports::new(
        loopback_policy("localhost", 10143),
        TransportLimits::default(),
        peers_tls(),
    );
    let mut conn = t.connect("localhost", 10143, Security::Starttls).unwrap();
    assert!(!conn.is_tls());
    assert!(conn.read_line(1024).unwrap().starts_with(b"* OK"));
    conn.write(b"a STARTTLS\r\n").unwrap();
    let reply = read_until(&mut conn, "a ");
    assert!(reply.last().unwrap().starts_with("a OK"), "{reply:?}");
    conn.upgrade_tls().unwrap();
    assert!(conn.is_tls());
    conn.write(b"b CAPABILITY\r\n").unwrap();
    let caps = read_until(&mut conn, "b ");
    assert!(caps.last().unwrap().starts_with("b OK"), "{caps:?}");
    assert!(caps.iter().any(|l| l.contains("AUTH=XOAUTH2")), "{caps:?}");
    // A second upgrade is refused and leaves the connection usable.
    assert!(matches!(conn.upgrade_tls(), Err(TransportError::Other(_))));
    conn.write(b"c LOGOUT\r\n").unwrap();
    read_until(&mut conn, "c ");
}

#[test]
fn pop3_implicit_tls_greeting_from_dovecot() {
    let t = Transports::new(
        loopback_policy("localhost", 10995),
        TransportLimits::default(),
        peers_tls(),
    );
    let mut conn = t
        .connect("localhost", 10995, Security::ImplicitTls)
        .unwrap();
    let greeting = conn.read_line(1024).unwrap();
    assert!(greeting.starts_with(b"+OK"), "{greeting:?}");
    conn.write(b"QUIT\r\n").unwrap();
    assert!(conn.read_line(1024).unwrap().starts_with(b"+OK"));
}

#[test]
fn smtp_starttls_with_postfix_shows_auth_after_upgrade() {
    let t = Transports::new(
        loopback_policy("localhost", 10587),
        TransportLimits::default(),
        peers_tls(),
    );
    let mut conn = t.connect("localhost", 10587, Security::Starttls).unwrap();
    let greeting = read_until(&mut conn, "220 ");
    assert!(greeting.last().unwrap().starts_with("220 "), "{greeting:?}");
    conn.write(b"EHLO client.test\r\n").unwrap();
    let ehlo = read_until(&mut conn, "250 ");
    assert!(ehlo.iter().any(|l| l.contains("STARTTLS")), "{ehlo:?}");
    conn.write(b"STARTTLS\r\n").unwrap();
    let go = conn.read_line(1024).unwrap();
    assert!(go.starts_with(b"220"), "{go:?}");
    conn.upgrade_tls().unwrap();
    conn.write(b"EHLO client.test\r\n").unwrap();
    let ehlo = read_until(&mut conn, "250 ");
    assert!(ehlo.iter().any(|l| l.contains("AUTH")), "{ehlo:?}");
    conn.write(b"QUIT\r\n").unwrap();
    assert!(conn.read_line(1024).unwrap().starts_with(b"221"));
}

// ---- the policy ---------------------------------------------------------

#[test]
fn target_not_in_policy_is_denied_without_connecting() {
    let listener = untouched_listener();
    let port = listener.local_addr().unwrap().port();
    let other_port = port.wrapping_add(1).max(1);
    let t = transports(
        loopback_policy("127.0.0.1", other_port),
        TransportLimits::default(),
    );
    for security in [Security::Plain, Security::Starttls, Security::ImplicitTls] {
        let err = t.connect("127.0.0.1", port, security).unwrap_err();
        let TransportError::Denied(text) = &err else {
            panic!("expected Denied, got {err:?}");
        };
        assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    }
    let err = transports(EgressPolicy::deny_all(), TransportLimits::default())
        .connect("localhost", port, Security::ImplicitTls)
        .unwrap_err();
    assert!(matches!(err, TransportError::Denied(_)), "{err:?}");
    assert_never_connected(&listener);
    assert_eq!(t.live_connections(), 0);
}

#[test]
fn name_resolving_to_loopback_is_denied_when_loopback_is_not_allowed() {
    let listener = untouched_listener();
    let port = listener.local_addr().unwrap().port();
    let policy = EgressPolicy::deny_all()
        .allow_host_port("localhost", port)
        .unwrap();
    let err = transports(policy, TransportLimits::default())
        .connect("localhost", port, Security::ImplicitTls)
        .unwrap_err();
    let TransportError::Denied(text) = &err else {
        panic!("expected Denied, got {err:?}");
    };
    assert!(text.contains("localhost resolves to"), "{text}");
    assert!(text.contains("loopback"), "{text}");
    assert_never_connected(&listener);
}

#[test]
fn plain_to_loopback_needs_the_policy_to_allow_loopback() {
    let listener = untouched_listener();
    let port = listener.local_addr().unwrap().port();
    let closed = EgressPolicy::deny_all()
        .allow_host_port("localhost", port)
        .unwrap();
    let err = transports(closed, TransportLimits::default())
        .connect("localhost", port, Security::Plain)
        .unwrap_err();
    let TransportError::Denied(text) = &err else {
        panic!("expected Denied, got {err:?}");
    };
    assert!(text.contains("plain"), "{text}");
    assert!(text.contains(&format!("localhost:{port}")), "{text}");
    assert_never_connected(&listener);

    let (addr, server) = serve(|mut tcp| {
        tcp.write_all(b"* OK plain test server\r\n").unwrap();
        let mut reader = BufReader::new(tcp);
        read_client_line(&mut reader)
    });
    let t = transports(
        loopback_policy("localhost", addr.port()),
        TransportLimits::default(),
    );
    let mut conn = t
        .connect("localhost", addr.port(), Security::Plain)
        .unwrap();
    assert!(conn.peer_addr().ip().is_loopback());
    assert_eq!(conn.read_line(100).unwrap(), b"* OK plain test server\r\n");
    conn.write(b"a LOGOUT\r\n").unwrap();
    assert_eq!(server.join().unwrap(), "a LOGOUT\r\n");
}

#[test]
fn connection_refused_is_refused_and_frees_the_slot() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let t = transports(
        loopback_policy("127.0.0.1", port),
        TransportLimits::default(),
    );
    let err = t.connect("127.0.0.1", port, Security::Plain).unwrap_err();
    let TransportError::Refused(text) = &err else {
        panic!("expected Refused, got {err:?}");
    };
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert_eq!(t.live_connections(), 0);
}

#[test]
fn max_connections_is_enforced_and_released_on_drop() {
    // The kernel completes connections into the backlog; nobody needs to
    // accept them for `connect` to succeed.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let limits = TransportLimits {
        max_connections: Some(2),
        ..TransportLimits::default()
    };
    let t = transports(loopback_policy("127.0.0.1", port), limits);
    let first = t.connect("127.0.0.1", port, Security::Plain).unwrap();
    let second = t
        .clone()
        .connect("127.0.0.1", port, Security::Plain)
        .unwrap();
    assert_eq!(t.live_connections(), 2);
    let err = t.connect("127.0.0.1", port, Security::Plain).unwrap_err();
    assert_eq!(err, TransportError::Denied("too many connections".into()));
    drop(first);
    assert_eq!(t.live_connections(), 1);
    let third = t.connect("127.0.0.1", port, Security::Plain).unwrap();
    assert_eq!(t.live_connections(), 2);
    drop((second, third));
    assert_eq!(t.live_connections(), 0);
    // Another `Transports` has its own count.
    let other = transports(
        loopback_policy("127.0.0.1", port),
        TransportLimits {
            max_connections: Some(0),
            ..TransportLimits::default()
        },
    );
    assert!(matches!(
        other.connect("127.0.0.1", port, Security::Plain),
        Err(TransportError::Denied(_))
    ));
}

// ---- TLS ----------------------------------------------------------------

#[test]
fn implicit_tls_to_an_ip_literal_validates_the_ip_san() {
    let (addr, server) = serve(|tcp| {
        let mut tls = accept_tls(tcp).unwrap();
        tls.write_all(b"* OK tls test server\r\n").unwrap();
        let mut reader = BufReader::new(tls);
        read_client_line(&mut reader)
    });
    let t = transports(
        loopback_policy("127.0.0.1", addr.port()),
        TransportLimits::default(),
    );
    let mut conn = t
        .connect("127.0.0.1", addr.port(), Security::ImplicitTls)
        .unwrap();
    assert_eq!(conn.read_line(100).unwrap(), b"* OK tls test server\r\n");
    conn.write(b"a LOGOUT\r\n").unwrap();
    assert_eq!(server.join().unwrap(), "a LOGOUT\r\n");
    assert!(matches!(conn.upgrade_tls(), Err(TransportError::Other(_))));
}

#[test]
fn an_ip_literal_missing_from_the_certificate_is_a_tls_error() {
    // The test certificate names localhost and 127.0.0.1, not 127.0.0.2.
    let listener = TcpListener::bind("127.0.0.2:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        accept_tls(tcp).is_err()
    });
    let err = transports(
        loopback_policy("127.0.0.2", addr.port()),
        TransportLimits::default(),
    )
    .connect("127.0.0.2", addr.port(), Security::ImplicitTls)
    .unwrap_err();
    let TransportError::Tls(text) = &err else {
        panic!("expected Tls, got {err:?}");
    };
    assert!(
        text.contains(&format!("127.0.0.2:{}", addr.port())),
        "{text}"
    );
    assert!(server.join().unwrap(), "the server's handshake must fail");
}

#[test]
fn untrusted_certificate_is_a_tls_error() {
    let (addr, server) = serve(|tcp| accept_tls(tcp).is_err());
    // Trusts the system roots and the peers' CA, not the test CA.
    let t = Transports::new(
        loopback_policy("localhost", addr.port()),
        TransportLimits::default(),
        peers_tls(),
    );
    let err = t
        .connect("localhost", addr.port(), Security::ImplicitTls)
        .unwrap_err();
    let TransportError::Tls(text) = &err else {
        panic!("expected Tls, got {err:?}");
    };
    assert!(
        text.contains(&format!("localhost:{}", addr.port())),
        "{text}"
    );
    assert!(text.to_lowercase().contains("certificate"), "{text}");
    assert!(server.join().unwrap(), "the server's handshake must fail");
    assert_eq!(t.live_connections(), 0);
}

#[test]
fn tls_to_a_plain_server_is_a_tls_error() {
    let (addr, _server) = serve(|mut tcp| {
        let _ = tcp.write_all(b"* OK I speak no TLS\r\n");
    });
    let err = transports(
        loopback_policy("localhost", addr.port()),
        TransportLimits::default(),
    )
    .connect("localhost", addr.port(), Security::ImplicitTls)
    .unwrap_err();
    assert!(matches!(err, TransportError::Tls(_)), "{err:?}");
}

#[test]
fn starttls_keeps_reads_in_order_across_the_upgrade() {
    let (addr, server) = serve(|mut tcp| {
        tcp.write_all(b"* OK ready\r\n").unwrap();
        let mut line = [0u8; 12];
        tcp.read_exact(&mut line).unwrap();
        assert_eq!(&line, b"a STARTTLS\r\n");
        tcp.write_all(b"a OK begin TLS\r\n").unwrap();
        let mut tls = accept_tls(tcp).unwrap();
        // A line, a literal, and the rest of the line in one record.
        tls.write_all(b"* 1 FETCH (BODY[] {5}\r\nhello)\r\n")
            .unwrap();
        let mut reader = BufReader::new(tls);
        read_client_line(&mut reader)
    });
    let t = transports(
        loopback_policy("localhost", addr.port()),
        TransportLimits::default(),
    );
    let mut conn = t
        .connect("localhost", addr.port(), Security::Starttls)
        .unwrap();
    assert_eq!(conn.read_line(100).unwrap(), b"* OK ready\r\n");
    conn.write(b"a STARTTLS\r\n").unwrap();
    assert_eq!(conn.read_line(100).unwrap(), b"a OK begin TLS\r\n");
    conn.upgrade_tls().unwrap();
    assert_eq!(conn.read_line(100).unwrap(), b"* 1 FETCH (BODY[] {5}\r\n");
    assert_eq!(conn.read_exact(5).unwrap(), b"hello");
    assert_eq!(conn.read_line(100).unwrap(), b")\r\n");
    conn.write(b"b LOGOUT\r\n").unwrap();
    assert_eq!(server.join().unwrap(), "b LOGOUT\r\n");
}

#[test]
fn plaintext_injected_before_the_upgrade_is_refused() {
    let (addr, server) = serve(|mut tcp| {
        tcp.write_all(b"* OK ready\r\n").unwrap();
        let mut line = [0u8; 12];
        tcp.read_exact(&mut line).unwrap();
        // The go-ahead and an injected command, in one packet.
        tcp.write_all(b"a OK begin TLS\r\nINJECTED\r\n").unwrap();
        // Whatever the client sends next: it must not be a ClientHello.
        let mut rest = Vec::new();
        let _ = tcp.read_to_end(&mut rest);
        rest
    });
    let t = transports(
        loopback_policy("localhost", addr.port()),
        TransportLimits::default(),
    );
    let mut conn = t
        .connect("localhost", addr.port(), Security::Starttls)
        .unwrap();
    assert_eq!(conn.read_line(100).unwrap(), b"* OK ready\r\n");
    conn.write(b"a STARTTLS\r\n").unwrap();
    assert_eq!(conn.read_line(100).unwrap(), b"a OK begin TLS\r\n");
    let err = conn.upgrade_tls().unwrap_err();
    let TransportError::Other(text) = &err else {
        panic!("expected Other, got {err:?}");
    };
    assert!(text.contains("unexpected data before TLS"), "{text}");
    assert!(!text.contains("INJECTED"), "{text}");
    // The connection is done: nothing more is read or handed out.
    assert!(matches!(conn.read_line(100), Err(TransportError::Other(_))));
    drop(conn);
    assert_eq!(server.join().unwrap(), b"", "the client sent a ClientHello");
}

#[test]
fn upgrade_is_refused_on_plain_connections() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let t = transports(
        loopback_policy("127.0.0.1", port),
        TransportLimits::default(),
    );
    let mut conn = t.connect("127.0.0.1", port, Security::Plain).unwrap();
    let err = conn.upgrade_tls().unwrap_err();
    assert!(
        matches!(&err, TransportError::Other(t) if t.contains("plain")),
        "{err:?}"
    );
    // Still usable.
    conn.write(b"x\r\n").unwrap();
}

// ---- faults ---------------------------------------------------------------

#[test]
fn a_greeting_that_never_comes_times_out() {
    // Connected through the backlog, never accepted, never written to.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let limits = TransportLimits {
        io_timeout: Duration::from_millis(300),
        ..TransportLimits::default()
    };
    let t = transports(loopback_policy("127.0.0.1", port), limits);
    let mut conn = t.connect("127.0.0.1", port, Security::Plain).unwrap();
    let started = Instant::now();
    assert_eq!(conn.read_line(100), Err(TransportError::Timeout));
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

#[test]
fn a_tls_handshake_that_never_comes_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let limits = TransportLimits {
        connect_timeout: Duration::from_millis(300),
        ..TransportLimits::default()
    };
    let t = transports(loopback_policy("127.0.0.1", port), limits);
    let err = t
        .connect("127.0.0.1", port, Security::ImplicitTls)
        .unwrap_err();
    assert_eq!(err, TransportError::Timeout);
    assert_eq!(t.live_connections(), 0);
}

#[test]
fn an_endless_line_is_too_long_without_being_buffered() {
    const TEN_MB: usize = 10 * 1024 * 1024;
    let (addr, _server) = serve(|mut tcp| {
        // Fails once the client gives up and closes.
        let _ = tcp.write_all(&vec![b'x'; TEN_MB]);
    });
    let t = transports(
        loopback_policy("127.0.0.1", addr.port()),
        TransportLimits::default(),
    );
    let mut conn = t
        .connect("127.0.0.1", addr.port(), Security::Plain)
        .unwrap();
    let started = Instant::now();
    assert_eq!(conn.read_line(u32::MAX), Err(TransportError::LineTooLong));
    assert!(started.elapsed() < Duration::from_secs(2));
    // The connection is done; dropping it stops the server's write.
    assert!(matches!(conn.read_line(100), Err(TransportError::Other(_))));
}

#[test]
fn max_len_counts_the_lf_and_is_capped_by_the_host() {
    let (addr, _server) = serve(|mut tcp| {
        tcp.write_all(b"12345678\nabcdefghi\n").unwrap();
        let mut sink = Vec::new();
        let _ = tcp.read_to_end(&mut sink);
    });
    let limits = TransportLimits {
        max_line_bytes: 9,
        ..TransportLimits::default()
    };
    let t = transports(loopback_policy("127.0.0.1", addr.port()), limits);
    let mut conn = t
        .connect("127.0.0.1", addr.port(), Security::Plain)
        .unwrap();
    assert_eq!(conn.read_line(0), Err(TransportError::LineTooLong));
    // Exactly the cap, LF included: accepted.
    assert_eq!(conn.read_line(1000).unwrap(), b"12345678\n");
    // One byte over the host's cap, whatever the component asked.
    assert_eq!(conn.read_line(1000), Err(TransportError::LineTooLong));
}

#[test]
fn read_exact_beyond_the_cap_is_too_long() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let limits = TransportLimits {
        max_line_bytes: 1024,
        ..TransportLimits::default()
    };
    let t = transports(loopback_policy("127.0.0.1", port), limits);
    let mut conn = t.connect("127.0.0.1", port, Security::Plain).unwrap();
    assert_eq!(conn.read_exact(1025), Err(TransportError::LineTooLong));
}

#[test]
fn server_closing_mid_line_is_closed() {
    let (addr, server) = serve(|mut tcp| {
        tcp.write_all(b"* OK half a li").unwrap();
    });
    let t = transports(
        loopback_policy("127.0.0.1", addr.port()),
        TransportLimits::default(),
    );
    let mut conn = t
        .connect("127.0.0.1", addr.port(), Security::Plain)
        .unwrap();
    server.join().unwrap();
    assert_eq!(conn.read_line(100), Err(TransportError::Closed));
    assert_eq!(conn.read_line(100), Err(TransportError::Closed));
    assert_eq!(conn.read_exact(1), Err(TransportError::Closed));
}

#[test]
fn server_closing_mid_literal_over_tls_is_closed() {
    let (addr, _server) = serve(|tcp| {
        let mut tls = accept_tls(tcp).unwrap();
        tls.write_all(b"abc").unwrap();
        // No close_notify: a bare TCP close, as a crashed server does.
    });
    let t = transports(
        loopback_policy("localhost", addr.port()),
        TransportLimits::default(),
    );
    let mut conn = t
        .connect("localhost", addr.port(), Security::ImplicitTls)
        .unwrap();
    assert_eq!(conn.read_exact(10), Err(TransportError::Closed));
}

// ---- roots ----------------------------------------------------------------

#[test]
fn roots_from_pem() {
    let mut roots = TlsRoots::empty();
    assert!(roots.is_empty());
    assert!(roots.add_pem(TEST_SERVER_KEY.as_bytes()).is_err());
    assert!(roots.add_pem(b"not pem").is_err());
    assert!(roots.is_empty());
    let both = format!("{TEST_CA_PEM}{TEST_SERVER_KEY}");
    assert_eq!(roots.add_pem(both.as_bytes()).unwrap(), 1);
    assert_eq!(roots.len(), 1);
    let err = roots
        .add_pem_file(Path::new("/nonexistent/ca.pem"))
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    assert!(!TlsRoots::webpki().is_empty());
    assert!(!TlsRoots::system().is_empty());
}
