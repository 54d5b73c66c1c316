//! Helpers shared by the integration tests: the built CLI and component, a
//! throw-away account store, the AS's introspection endpoint, and for the
//! mail tests real authorized accounts, mail sessions and scripted TCP
//! servers.

#![allow(dead_code)] // each test file uses its own subset

pub mod hostile;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use mail_oauth_runtime::model::{
    AuthorizationOptions, Client, Credentials, Login, Mechanism, Secret, Security, Server,
};
use mail_oauth_runtime::{LoadOptions, Plugin, Session};
use mail_oauth_store::accounts::{Accounts, NetworkOptions};
use mail_oauth_store::{Account, PendingRecord, SqliteStore};
use mail_oauth_tests::browser::Browser;
use mail_oauth_tests::peers;

/// The workspace's `target/` directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The `mail-oauth` binary: `MAIL_OAUTH_BIN`, else the workspace's debug
/// build, which the first call brings up to date with `cargo build -p
/// mail-oauth-cli` (a no-op when it is), so that `cargo test` needs no
/// script to have run first.
pub fn cli_path() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("MAIL_OAUTH_BIN") {
                return PathBuf::from(path);
            }
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "--quiet", "-p", "mail-oauth-cli"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("run cargo build -p mail-oauth-cli");
            assert!(status.success(), "cargo build -p mail-oauth-cli failed");
            let path = target_dir().join("debug/mail-oauth");
            assert!(path.exists(), "{} was not built", path.display());
            path
        })
        .clone()
}

/// The shipped component, built by `mail-oauth-artifacts` (the same profile
/// and wasm-opt step as `tests/build-component.sh`).
pub fn component_path() -> PathBuf {
    PathBuf::from(mail_oauth_artifacts::COMPONENT)
}

/// The component, compiled once per test binary.
pub fn plugin() -> Arc<Plugin> {
    static PLUGIN: OnceLock<Arc<Plugin>> = OnceLock::new();
    PLUGIN
        .get_or_init(|| {
            let options = LoadOptions {
                cache_dir: Some(cache_dir()),
            };
            Arc::new(Plugin::load(&component_path(), &options).expect("component loads"))
        })
        .clone()
}

/// The precompiled-artifact cache shared by the tests and the CLI runs.
pub fn cache_dir() -> PathBuf {
    target_dir().join("mail-oauth-test-cache")
}

/// A fresh, empty account store directory, removed on drop.
pub struct TempStore {
    pub dir: PathBuf,
}

impl TempStore {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mail-oauth-test-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    /// The library's view of the same store the CLI uses.
    pub fn accounts(&self, allow_loopback: bool) -> Accounts {
        Accounts::new(
            plugin(),
            SqliteStore::open(&self.dir).expect("store opens"),
            NetworkOptions {
                allow_loopback,
                // The local mail servers' certificates come from the peers' test CA.
                ca_files: vec![peers::ca_cert_path()],
                ..NetworkOptions::default()
            },
        )
    }

    /// A `mail-oauth` command on this store, with the component it carries,
    /// the peers' CA trusted, and no browser.
    pub fn cli(&self) -> Command {
        let mut c = Command::new(cli_path());
        c.arg("--store")
            .arg(&self.dir)
            .arg("--ca-file")
            .arg(peers::ca_cert_path())
            // Should the embedded code not fit this machine: one precompiled
            // artifact for every test's CLI runs.
            .env("MAIL_OAUTH_CACHE_DIR", cache_dir())
            .env_remove("MAIL_OAUTH_COMPONENT")
            .env_remove("MAIL_OAUTH_KEY")
            .env_remove("MAIL_OAUTH_CLIENT_SECRET")
            .stdin(Stdio::null());
        c
    }
}

impl TempStore {
    /// Like [`TempStore::cli`], but trusting the system's roots only: no
    /// `--ca-file`, so the peers' test CA is unknown.
    pub fn cli_without_ca(&self) -> Command {
        let mut c = Command::new(cli_path());
        c.arg("--store")
            .arg(&self.dir)
            .env("MAIL_OAUTH_CACHE_DIR", cache_dir())
            .env_remove("MAIL_OAUTH_COMPONENT")
            .env_remove("MAIL_OAUTH_KEY")
            .env_remove("MAIL_OAUTH_CLIENT_SECRET")
            .env_remove("MAIL_OAUTH_CA_FILE")
            .stdin(Stdio::null());
        c
    }
}

impl Drop for TempStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `cmd` to completion and returns its output with stdout/stderr as text.
pub fn run(cmd: &mut Command) -> (Output, String, String) {
    let out = cmd.output().expect("CLI runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

/// Parses the last JSON line of `stdout`.
pub fn last_json(stdout: &str) -> serde_json::Value {
    let line = stdout
        .lines()
        .rfind(|l| l.trim_start().starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line in {stdout:?}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

/// A running `mail-oauth authorize` waiting on its loopback listener.
pub struct PendingCli {
    pub child: Child,
    pub authorization_url: String,
    pub redirect_uri: String,
    stdout: BufReader<std::process::ChildStdout>,
}

impl PendingCli {
    /// Spawns `authorize --json` and reads its first line (the URL to open).
    pub fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd
            .arg("--json")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("CLI spawns");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).expect("reads the first line");
        let v: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "{e}: first line {line:?}; stderr: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            }
        };
        Self {
            authorization_url: v["authorization_url"].as_str().expect("url").to_owned(),
            redirect_uri: v["redirect_uri"].as_str().expect("redirect_uri").to_owned(),
            child,
            stdout,
        }
    }

    /// Waits for the CLI to exit; returns (exit code, the rest of stdout, stderr).
    pub fn finish(mut self) -> (i32, String, String) {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stdout, &mut rest).unwrap();
        let out = self.child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            rest,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// `authorize` arguments for the local AS with the public client.
pub fn authorize_local(store: &TempStore, account: &str, login_hint: &str) -> Command {
    let mut c = store.cli();
    c.args([
        "--allow-loopback",
        "authorize",
        "--account",
        account,
        "--issuer",
        peers::AS_ISSUER,
        "--client-id",
        peers::PUBLIC_CLIENT_ID,
        "--scope",
        "openid",
        "--scope",
        "email",
        "--scope",
        "mail",
        "--login-hint",
        login_hint,
        "--no-browser",
        "--timeout",
        "60",
    ]);
    c
}

/// Runs a loopback `authorize` command (such as [`authorize_local`]'s) to
/// the end, the scripted browser playing the user; panics unless the browser
/// sees the success page and the CLI exits 0. Returns the JSON the CLI
/// printed about the saved account, and its stderr.
pub fn authorize_through_browser(cmd: Command) -> (serde_json::Value, String) {
    let cli = PendingCli::spawn(cmd);
    let delivered = Browser::new()
        .authorize_and_deliver(&cli.authorization_url)
        .expect("the browser completes login and consent");
    assert_eq!(delivered.page.status, 200, "{}", delivered.page.body);
    let (code, stdout, stderr) = cli.finish();
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    (last_json(&stdout), stderr)
}

/// RFC 7662 introspection at the local AS, as Dovecot does it.
pub fn introspect(token: &str) -> serde_json::Value {
    let agent = mail_oauth_tests::loopback_agent(std::time::Duration::from_secs(10));
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!(
            "{}:{}",
            peers::INTROSPECTION_CLIENT_ID,
            peers::INTROSPECTION_CLIENT_SECRET
        ),
    );
    let mut resp = agent
        .post(format!("{}/token/introspection", peers::AS_ISSUER))
        .header("Authorization", format!("Basic {basic}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(format!("token={}", urlencode(token)))
        .expect("introspection answers");
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

// ---------------------------------------------------------------------------
// Mail helpers (issue #3): real tokens, mail sessions, scripted TCP servers.
// ---------------------------------------------------------------------------

/// The scopes every mail test requests (`mail` is what Dovecot requires).
pub const MAIL_SCOPES: [&str; 3] = ["openid", "email", peers::MAIL_SCOPE];

/// Authorizes `name` through the real code flow at the local provider (the
/// library's `begin` / `complete`, the scripted browser as the user) and
/// returns the saved account. The account is in `store` afterwards, so the
/// CLI sees it too.
pub fn authorized_account(
    store: &TempStore,
    name: &str,
    login_hint: &str,
    client_id: &str,
) -> Account {
    let accounts = store.accounts(true);
    let provider = accounts
        .discover(peers::AS_ISSUER)
        .expect("discovery at the local provider");
    // Nothing listens there: the browser stops at the redirect.
    let client = Client {
        id: client_id.to_owned(),
        secret: None,
        redirect_uri: peers::loopback_redirect_uri(43210),
    };
    let options = AuthorizationOptions {
        scopes: MAIL_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        login_hint: Some(login_hint.to_owned()),
    };
    let pending = accounts
        .begin(&provider, &client, &options)
        .expect("begin authorization");
    let callback = Browser::new()
        .authorize(&pending.url, &client.redirect_uri)
        .expect("the browser completes login and consent");
    let record = PendingRecord {
        account: name.to_owned(),
        provider,
        client,
        login: Some(login_hint.to_owned()),
        pending,
        created_at: 0,
    };
    let account = accounts
        .complete(&record, &callback)
        .expect("code exchange");
    assert_eq!(
        account.tokens.account_email.as_deref(),
        Some(login_hint),
        "the provider authorized another account"
    );
    account
}

/// A mail server on the peers' address.
pub fn local_server(port: u16, security: Security) -> Server {
    Server {
        host: peers::HOST.to_owned(),
        port,
        security,
    }
}

/// A login with a bare access token (no refresh possible).
pub fn token_login(user: &str, token: &Secret, mechanism: Option<Mechanism>) -> Login {
    Login {
        user: user.to_owned(),
        credentials: Credentials::AccessToken(token.clone()),
        mechanism,
    }
}

/// A fresh component instance whose transport may reach `server` only, under
/// `accounts`' network options (loopback, the peers' CA, transport limits),
/// and whose HTTP may reach nothing.
pub fn mail_session(accounts: &Accounts, server: &Server) -> Session {
    let transports = accounts
        .transports_for(server)
        .expect("transports for the server");
    plugin()
        .mail_session(accounts.http_for([]), transports)
        .expect("component instantiates")
}

/// A value unique to this run, for subjects and message searches.
pub fn unique_id() -> String {
    use sha2::Digest as _;
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = sha2::Sha256::new();
    h.update(std::process::id().to_le_bytes());
    h.update(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            .to_le_bytes(),
    );
    h.update(
        COUNTER
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            .to_le_bytes(),
    );
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A listener on 127.0.0.1 that must never see a connection: it is never
/// accepted from, so [`assert_never_connected`] can tell whether a client
/// completed a TCP handshake with it.
pub fn untouched_listener() -> TcpListener {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    listener
}

/// Panics when a connection is waiting on `listener` (the kernel completes
/// handshakes without `accept`, so a client that connected left one here).
pub fn assert_never_connected(listener: &TcpListener) {
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("a client connected from {peer}"),
        Err(e) => panic!("unexpected accept error: {e}"),
    }
}

/// One action of a [`ScriptedMailServer`].
#[derive(Debug, Clone)]
pub enum Act {
    /// Writes these bytes (write errors are ignored: the client may be gone).
    Send(Vec<u8>),
    /// Reads one line from the client and records it (EOF ends the script).
    ReadLine,
    /// Reads and discards until the client closes the connection (or the
    /// server's 30 s safety timeout): a server that never answers.
    Silent,
}

impl Act {
    /// [`Act::Send`] of a text line; CRLF is appended.
    pub fn line(text: &str) -> Self {
        Act::Send(format!("{text}\r\n").into_bytes())
    }
}

/// A one-connection TCP server on 127.0.0.1 playing a script on a thread,
/// then closing the connection.
pub struct ScriptedMailServer {
    addr: SocketAddr,
    handle: Option<JoinHandle<Vec<String>>>,
}

impl ScriptedMailServer {
    /// Binds 127.0.0.1:0 and serves one connection with `script`.
    pub fn start(script: Vec<Act>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accepts one connection");
            play(stream, script)
        });
        Self {
            addr,
            handle: Some(handle),
        }
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Waits for the script to end (bounded by the server's socket timeouts)
    /// and returns the lines the client sent.
    pub fn received(mut self) -> Vec<String> {
        self.handle
            .take()
            .unwrap()
            .join()
            .expect("the scripted server did not panic")
    }
}

fn play(mut stream: TcpStream, script: Vec<Act>) -> Vec<String> {
    // Safety net only: a client that misbehaves cannot hold the thread forever.
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut received = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    for act in script {
        match act {
            Act::Send(bytes) => {
                let _ = stream.write_all(&bytes);
                let _ = stream.flush();
            }
            Act::ReadLine => loop {
                if let Some(end) = pending.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    received.push(String::from_utf8_lossy(&line).trim_end().to_owned());
                    break;
                }
                let mut chunk = [0u8; 4096];
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => return received,
                    Ok(n) => pending.extend_from_slice(&chunk[..n]),
                }
            },
            Act::Silent => {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = stream.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                }
            }
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    received
}

/// Authorizes `name` (public client) and marks its stored access token as
/// expired, keeping the real refresh token: the next `fresh_tokens` must
/// refresh. Returns the stored refresh token.
pub fn expired_account(store: &TempStore, accounts: &Accounts, name: &str) -> Secret {
    let account = authorized_account(store, name, peers::ALICE, peers::PUBLIC_CLIENT_ID);
    let expired = mail_oauth_runtime::model::TokenSet {
        expires_at: Some(mail_oauth_store::accounts::unix_now() - 10),
        ..account.tokens.clone()
    };
    accounts.store().update_tokens(name, &expired).unwrap();
    account.tokens.refresh_token.expect("a refresh token")
}
