//! The `mail-oauth` CLI's first run against its warm run, as whole processes
//! (issue #9's goal: `mail-oauth check imap` first run ≤ 40 ms over the warm
//! run's time).
//!
//! One account, alice, is authorized for real at the local OpenID provider
//! into a throw-away store; then `mail-oauth check imap` (TLS to the local
//! Dovecot, AUTHENTICATE XOAUTH2, EXAMINE, LOGOUT) runs, alternating:
//! - **embedded, first run**: the CLI as built, with an empty cache directory
//!   every time: it loads the component precompiled into its binary;
//! - **warm run**: the same CLI and the same cache directory run after run
//!   (the baseline);
//! - **compile, first run**: `--component` naming the same file, with an
//!   empty cache directory every time: it compiles, as every first run did
//!   before the CLI carried its component.
//!
//! Medians of 15 runs each. Needs the peers (`tests/peers/up.sh`) and the
//! release CLI (`cargo build --release -p mail-oauth-cli`, which this runs).
//! Prints a table; asserts nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mail_oauth_runtime::model::{AuthorizationOptions, Client};
use mail_oauth_runtime::{LoadOptions, Plugin};
use mail_oauth_store::{Accounts, NetworkOptions, PendingRecord, SqliteStore};
use mail_oauth_tests::browser::Browser;
use mail_oauth_tests::peers;

const RUNS: usize = 15;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists benchmarks; this one has no test
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--release", "-p", "mail-oauth-cli"])
        .current_dir(&root)
        .status()
        .expect("cargo build --release -p mail-oauth-cli");
    assert!(status.success(), "the release CLI did not build");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let cli = target.join("release/mail-oauth");

    let work = std::env::temp_dir().join(format!("mail-oauth-bench-cli-{}", std::process::id()));
    let store = work.join("store");
    authorize_alice(&store);

    let check = |cache: &Path, component: Option<&str>| -> Duration {
        let mut cmd = Command::new(&cli);
        cmd.arg("--store")
            .arg(&store)
            .arg("--ca-file")
            .arg(peers::ca_cert_path())
            .arg("--cache-dir")
            .arg(cache)
            .args([
                "--allow-loopback",
                "--json",
                "check",
                "imap",
                "--account",
                "alice",
            ])
            .arg("--server")
            .arg(format!("{}:{}", peers::HOST, peers::IMAPS_PORT))
            .args(["--security", "tls"])
            .env_remove("MAIL_OAUTH_COMPONENT");
        if let Some(path) = component {
            cmd.arg("--component").arg(path);
        }
        let t = Instant::now();
        let out = cmd.output().expect("run mail-oauth");
        let took = t.elapsed();
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("\"ok\":true"),
            "mail-oauth check imap failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        took
    };
    let fresh_cache = |i: usize, what: &str| {
        let dir = work.join(format!("cache-{what}-{i}"));
        assert!(!dir.exists());
        dir
    };
    let warm_cache = work.join("cache-warm");
    check(&warm_cache, None); // the warm run's cache and the OS's file cache
    let (mut embedded, mut warm, mut compiled) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..RUNS {
        embedded.push(check(&fresh_cache(i, "embedded"), None));
        warm.push(check(&warm_cache, None));
        compiled.push(check(
            &fresh_cache(i, "compile"),
            Some(mail_oauth_artifacts::COMPONENT),
        ));
    }
    let _ = std::fs::remove_dir_all(&work);

    let (e, w, c) = (median(embedded), median(warm), median(compiled));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("mail-oauth check imap, whole process, median of {RUNS} (alternating):");
    println!("| run | time | over the warm run | goal |");
    println!("| --- | --- | --- | --- |");
    println!("| warm run (baseline) | {:.1} ms | — | |", ms(w));
    println!(
        "| first run, embedded precompiled component | {:.1} ms | {:+.1} ms | ≤ +40 ms {} |",
        ms(e),
        ms(e) - ms(w),
        if ms(e) - ms(w) <= 40.0 {
            "✓"
        } else {
            "— missed"
        }
    );
    println!(
        "| first run, `--component` compiled | {:.1} ms | {:+.1} ms | |",
        ms(c),
        ms(c) - ms(w)
    );
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Authorizes alice at the local provider into the store in `dir`, through
/// the same component and library the CLI uses.
fn authorize_alice(dir: &Path) {
    let plugin = Plugin::from_bytes(
        mail_oauth_artifacts::COMPONENT_BYTES,
        &LoadOptions::default(),
    )
    .expect("the component loads");
    let accounts = Accounts::new(
        std::sync::Arc::new(plugin),
        SqliteStore::open(dir).expect("the store opens"),
        NetworkOptions {
            allow_loopback: true,
            ..NetworkOptions::default()
        },
    );
    let provider = accounts.discover(peers::AS_ISSUER).expect("discovery");
    let client = Client {
        id: peers::PUBLIC_CLIENT_ID.into(),
        secret: None,
        // Nothing listens there: the browser stops at the redirect.
        redirect_uri: peers::loopback_redirect_uri(43211),
    };
    let options = AuthorizationOptions {
        scopes: vec!["openid".into(), "email".into(), peers::MAIL_SCOPE.into()],
        login_hint: Some(peers::ALICE.into()),
    };
    let pending = accounts.begin(&provider, &client, &options).expect("begin");
    let callback = Browser::new()
        .authorize(&pending.url, &client.redirect_uri)
        .expect("login and consent");
    let record = PendingRecord {
        account: "alice".into(),
        provider,
        client,
        login: Some(peers::ALICE.into()),
        pending,
        created_at: 0,
    };
    accounts
        .complete(&record, &callback)
        .expect("code exchange");
}
