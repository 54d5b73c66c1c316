//! Helpers shared by the integration tests: the built CLI and component, a
//! throw-away account store, and the AS's introspection endpoint.

#![allow(dead_code)] // each test file uses its own subset

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, OnceLock};

use mail_oauth_host::accounts::{Accounts, NetworkOptions};
use mail_oauth_host::store::AccountStore;
use mail_oauth_host::{LoadOptions, Plugin};
use mail_oauth_tests::peers;

/// The workspace's `target/` directory.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The `mail-oauth` binary (`cargo build -p mail-oauth-host` builds it;
/// `tests/run-all.sh` does so before the tests).
pub fn cli_path() -> PathBuf {
    let path = std::env::var_os("MAIL_OAUTH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug/mail-oauth"));
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p mail-oauth-host` (tests/run-all.sh does)",
        path.display()
    );
    path
}

/// The release component (`cargo build -p mail-oauth-guest --target wasm32-wasip2 --profile component`).
pub fn component_path() -> PathBuf {
    let path = PathBuf::from(mail_oauth_host::plugin::DEFAULT_COMPONENT_PATH);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p mail-oauth-guest --target wasm32-wasip2 --profile component` (tests/run-all.sh does)",
        path.display()
    );
    path
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
            AccountStore::open(&self.dir).expect("store opens"),
            NetworkOptions {
                allow_loopback,
                // The local mail servers' certificates come from the peers' test CA.
                ca_files: vec![peers::ca_cert_path()],
                ..NetworkOptions::default()
            },
        )
    }

    /// A `mail-oauth` command on this store, with loopback allowed and no browser.
    pub fn cli(&self) -> Command {
        let mut c = Command::new(cli_path());
        c.arg("--store")
            .arg(&self.dir)
            .arg("--ca-file")
            .arg(peers::ca_cert_path())
            .arg("--component")
            .arg(component_path())
            // One precompiled artifact for every test's CLI runs.
            .env("MAIL_OAUTH_CACHE_DIR", cache_dir())
            .env_remove("MAIL_OAUTH_KEY")
            .env_remove("MAIL_OAUTH_CLIENT_SECRET")
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
