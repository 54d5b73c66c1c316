//! The loopback test peers started by `tests/peers/up.sh`: an OpenID provider
//! (npm `oidc-provider`, see `tests/peers/as/server.mjs`), Dovecot and Postfix.
//!
//! Everything listens on 127.0.0.1 only. The accounts, clients and secrets
//! below are public test fixtures defined by the files in `tests/peers/`;
//! keep the two in sync.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

/// The address every peer listens on.
pub const HOST: &str = "127.0.0.1";

/// Issuer of the OpenID provider; discovery lives under
/// `/.well-known/openid-configuration` (and `/.well-known/oauth-authorization-server`).
pub const AS_ISSUER: &str = "http://127.0.0.1:10090";
/// Port of the OpenID provider (plain HTTP).
pub const AS_PORT: u16 = 10090;
/// The provider's discovery document.
pub const AS_DISCOVERY_URL: &str = "http://127.0.0.1:10090/.well-known/openid-configuration";

/// IMAP, plain with STARTTLS (Dovecot; it treats loopback as secure, so it
/// offers AUTH before STARTTLS too).
pub const IMAP_PORT: u16 = 10143;
/// IMAP over implicit TLS (Dovecot).
pub const IMAPS_PORT: u16 = 10993;
/// POP3, plain with STLS (Dovecot).
pub const POP3_PORT: u16 = 10110;
/// POP3 over implicit TLS (Dovecot).
pub const POP3S_PORT: u16 = 10995;
/// SMTP submission; AUTH is only offered after STARTTLS (Postfix).
pub const SUBMISSION_PORT: u16 = 10587;
/// SMTP submission over implicit TLS, RFC 8314 (Postfix).
pub const SUBMISSIONS_PORT: u16 = 10465;
/// Plain inbound SMTP without AUTH, accepting mail for example.test only;
/// for injecting test messages into the mailboxes.
pub const SMTP_INBOUND_PORT: u16 = 10025;

/// A mailbox and OpenID account; the provider's `sub` and `email` are this address.
pub const ALICE: &str = "alice@example.test";
/// A second mailbox and account (for wrong-user checks).
pub const BOB: &str = "bob@example.test";
/// The mailbox that client-credentials tokens of [`CONFIDENTIAL_CLIENT_ID`] act for
/// (like Microsoft 365 app-only mail access).
pub const SVC: &str = "svc@example.test";
/// A `login_hint` for which the provider answers the authorization request
/// with `error=access_denied` (the user refuses consent).
pub const DENY_LOGIN_HINT: &str = "deny@example.test";

/// Public native client: PKCE (S256, mandatory), loopback redirect
/// `http://127.0.0.1:<any port>/callback`, grants code, refresh and device code.
pub const PUBLIC_CLIENT_ID: &str = "mail-public";
/// Confidential client: `client_secret_basic` or `client_secret_post`, grants
/// code, refresh, device code and client credentials.
pub const CONFIDENTIAL_CLIENT_ID: &str = "mail-confidential";
/// Secret of [`CONFIDENTIAL_CLIENT_ID`].
pub const CONFIDENTIAL_CLIENT_SECRET: &str = "mail-confidential-secret";
/// Public client whose access tokens live [`SHORT_ACCESS_TOKEN_TTL`] only.
pub const SHORT_CLIENT_ID: &str = "mail-short";
/// Lifetime of [`SHORT_CLIENT_ID`]'s access tokens.
pub const SHORT_ACCESS_TOKEN_TTL: Duration = Duration::from_secs(3);
/// Lifetime of every other access token.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(600);
/// The resource server (Dovecot) allowed to call the introspection endpoint.
pub const INTROSPECTION_CLIENT_ID: &str = "dovecot";
/// Secret of [`INTROSPECTION_CLIENT_ID`].
pub const INTROSPECTION_CLIENT_SECRET: &str = "dovecot-secret";

/// Path of the loopback redirect URI registered for every client
/// (`http://127.0.0.1/callback`, any port accepted per RFC 8252).
pub const REDIRECT_PATH: &str = "/callback";
/// The scope Dovecot and Postfix require in an access token.
pub const MAIL_SCOPE: &str = "mail";

/// The folder holding the stack's runtime state (rendered configs, test CA,
/// logs, mailboxes, pid files): `$PEERS_ROOT`, by default
/// `${TMPDIR:-/tmp}/mail-oauth-peers`, exactly as `tests/peers/up.sh` computes it.
pub fn peers_root() -> PathBuf {
    if let Some(root) = std::env::var_os("PEERS_ROOT").filter(|v| !v.is_empty()) {
        return PathBuf::from(root);
    }
    let tmp = std::env::var_os("TMPDIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    tmp.join("mail-oauth-peers")
}

/// The private test CA (PEM) that signed the Dovecot and Postfix certificate
/// (SAN `localhost`, `127.0.0.1`, `::1`). TLS clients in tests trust this file only.
pub fn ca_cert_path() -> PathBuf {
    peers_root().join("tls").join("ca.crt")
}

/// A loopback redirect URI on `port`, as a native client's listener would use.
pub fn loopback_redirect_uri(port: u16) -> String {
    format!("http://{HOST}:{port}{REDIRECT_PATH}")
}

/// Panics with instructions unless the OpenID provider answers its discovery
/// document with the expected issuer.
///
/// Call it first in every test that needs the provider, so a missing stack
/// reads as "run tests/peers/up.sh" rather than as a connection error deep in
/// the code under test.
pub fn ensure_up() {
    if let Err(why) = check_as() {
        panic!(
            "the loopback OpenID provider is not answering at {AS_DISCOVERY_URL} ({why}).\n\
             Start the test peers first: `tests/peers/up.sh` (or `tests/peers/up.sh --as-only`), \
             or run everything with `tests/run-all.sh`."
        );
    }
}

/// Like [`ensure_up`], and also checks that the Dovecot and Postfix ports
/// accept connections (the full stack, `tests/peers/up.sh` without `--as-only`).
pub fn ensure_mail_up() {
    ensure_up();
    let ports = [
        IMAP_PORT,
        IMAPS_PORT,
        POP3_PORT,
        POP3S_PORT,
        SUBMISSION_PORT,
        SUBMISSIONS_PORT,
        SMTP_INBOUND_PORT,
    ];
    for port in ports {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        if let Err(e) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            panic!(
                "the loopback mail servers are not running: 127.0.0.1:{port} refused ({e}).\n\
                 Start the full test stack first: `tests/peers/up.sh` (without --as-only), \
                 or run everything with `tests/run-all.sh`."
            );
        }
    }
}

fn check_as() -> Result<(), String> {
    let agent = crate::loopback_agent(Duration::from_secs(5));
    let mut response = agent
        .get(AS_DISCOVERY_URL)
        .call()
        .map_err(|e| e.to_string())?;
    if response.status() != 200 {
        return Err(format!("HTTP {}", response.status()));
    }
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    let doc: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("not JSON: {e}"))?;
    match doc.get("issuer").and_then(|i| i.as_str()) {
        Some(AS_ISSUER) => Ok(()),
        other => Err(format!("unexpected issuer {other:?}")),
    }
}
