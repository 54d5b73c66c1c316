//! `cargo bench -p mail-oauth-tests --bench imap_login` (needs `tests/peers/up.sh`)
//!
//! One IMAP XOAUTH2 login — connect with implicit TLS, authenticate, EXAMINE
//! INBOX, LOGOUT — through the component (a fresh instance per login, as a
//! host runs it) against Python's `imaplib` doing the same against the same
//! local Dovecot, in one run. Prints medians and the ratio; asserts nothing.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::model::{
    AuthorizationOptions, Client, Credentials, Login, Mechanism, Security, Server,
};
use mail_oauth_runtime::transport::{TlsRoots, TransportLimits, Transports};
use mail_oauth_runtime::{LoadOptions, Plugin};
use mail_oauth_store::accounts::{Accounts, NetworkOptions};
use mail_oauth_store::{PendingRecord, SqliteStore};
use mail_oauth_tests::browser::Browser;
use mail_oauth_tests::peers;

const LOGINS: usize = 60;

/// The Python side: the same dialogue with imaplib, timed per login.
const PYTHON: &str = r#"
import imaplib, json, ssl, sys, time
host, port, ca, user, token, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
ctx = ssl.create_default_context(cafile=ca)
sasl = f"user={user}\x01auth=Bearer {token}\x01\x01".encode()
times = []
for _ in range(n + 5):
    t = time.perf_counter()
    m = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
    m.authenticate("XOAUTH2", lambda _: sasl)
    typ, _ = m.select("INBOX", readonly=True)
    assert typ == "OK"
    m.logout()
    times.append(time.perf_counter() - t)
print(json.dumps(times[5:]))
"#;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    peers::ensure_mail_up();
    let component = mail_oauth_artifacts::COMPONENT;
    let cache = std::env::temp_dir().join("mail-oauth-bench-cache");
    let plugin = Arc::new(
        Plugin::load(
            component.as_ref(),
            &LoadOptions {
                cache_dir: Some(cache),
            },
        )
        .expect("component loads (build it with --profile component)"),
    );

    // A real token for alice, from the local provider, through the component.
    let store_dir = std::env::temp_dir().join(format!("mail-oauth-bench-{}", std::process::id()));
    let accounts = Accounts::new(
        plugin.clone(),
        SqliteStore::open(&store_dir).unwrap(),
        NetworkOptions {
            allow_loopback: true,
            ..NetworkOptions::default()
        },
    );
    let provider = accounts.discover(peers::AS_ISSUER).unwrap();
    let client = Client {
        id: peers::PUBLIC_CLIENT_ID.into(),
        secret: None,
        redirect_uri: peers::loopback_redirect_uri(47001),
    };
    let options = AuthorizationOptions {
        scopes: vec!["openid".into(), "email".into(), "mail".into()],
        login_hint: Some(peers::ALICE.into()),
    };
    let pending = accounts.begin(&provider, &client, &options).unwrap();
    let callback = Browser::new()
        .authorize(&pending.url, &client.redirect_uri)
        .unwrap();
    let record = PendingRecord {
        account: "bench".into(),
        provider,
        client,
        login: None,
        pending,
        created_at: 0,
    };
    let token = accounts
        .complete(&record, &callback)
        .unwrap()
        .tokens
        .access_token;

    let server = Server {
        host: peers::HOST.into(),
        port: peers::IMAPS_PORT,
        security: Security::ImplicitTls,
    };
    let mut roots = TlsRoots::empty();
    roots.add_pem_file(&peers::ca_cert_path()).unwrap();
    let tls = roots.client_config().unwrap();
    let policy = EgressPolicy::deny_all()
        .allow_loopback(true)
        .allow_host_port(&server.host, server.port)
        .unwrap();
    let transports = Arc::new(Transports::new(policy, TransportLimits::default(), tls));
    let http = accounts.http_for([]);
    let login = Login {
        user: peers::ALICE.into(),
        credentials: Credentials::AccessToken(token.clone()),
        mechanism: Some(Mechanism::Xoauth2),
    };

    let mut ours = Vec::with_capacity(LOGINS);
    for i in 0..LOGINS + 5 {
        let t = Instant::now();
        let mut session = plugin
            .mail_session(http.clone(), transports.clone())
            .unwrap();
        session.verify_imap(&server, &login).expect("login works");
        if i >= 5 {
            ours.push(t.elapsed());
        }
    }

    let out = Command::new("python3")
        .args(["-c", PYTHON, peers::HOST, &peers::IMAPS_PORT.to_string()])
        .arg(peers::ca_cert_path())
        .args([peers::ALICE, token.expose(), &LOGINS.to_string()])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "imaplib side failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<f64> = serde_json::from_slice(&out.stdout).expect("timings");
    let theirs = median(theirs.into_iter().map(Duration::from_secs_f64).collect());
    let ours = median(ours);
    println!(
        "IMAP XOAUTH2 login against local Dovecot (connect+TLS, AUTHENTICATE, EXAMINE, LOGOUT), medians of {LOGINS}"
    );
    println!(
        "{:<48} {:>9.2} ms",
        "Python imaplib (baseline)",
        theirs.as_secs_f64() * 1e3
    );
    println!(
        "{:<48} {:>9.2} ms   ({:.2}x imaplib)",
        "component via mail.verify-imap (fresh instance)",
        ours.as_secs_f64() * 1e3,
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(store_dir);
}
