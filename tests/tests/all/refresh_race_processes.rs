//! Refresh races between processes sharing one store, against the real
//! provider (refresh tokens rotate, and reuse of a rotated one revokes the
//! grant): concurrent `mail-oauth token` processes on an account whose
//! stored access token has expired all print a valid access token, one of
//! them refreshes, and the grant survives. Also with threads of this
//! process racing a CLI process.
//!
//! Starting processes "together" leaves them milliseconds apart, longer than
//! a refresh takes, so the race would rarely happen. To line them up, each
//! CLI reads its component from a named pipe ([`StartLine`]): `open` blocks
//! until this test opens the pipe's other end, which tells the test that the
//! process is waiting; once every process is, the test writes the component
//! to each pipe and closes them all at once. The processes then go from
//! loading the component to the `token` command within about a millisecond
//! of each other.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Barrier, mpsc};
use std::time::Duration;

use crate::common::{
    TempStore, cache_dir, cli_path, component_path, expired_account, introspect, last_json,
};
use mail_oauth_runtime::model::Secret;
use mail_oauth_store::accounts::Accounts;
use mail_oauth_tests::peers;

/// Named pipes that hold back processes until [`StartLine::release`].
struct StartLine {
    fifos: Vec<PathBuf>,
}

impl StartLine {
    /// `n` named pipes in the store directory.
    fn new(store: &TempStore, n: usize) -> Self {
        let fifos: Vec<PathBuf> = (0..n)
            .map(|i| store.dir.join(format!("component-{i}.wasm")))
            .collect();
        let status = Command::new("mkfifo")
            .args(&fifos)
            .status()
            .expect("mkfifo runs");
        assert!(status.success(), "mkfifo failed");
        Self { fifos }
    }

    /// Waits until a process has opened every pipe (each `open` for writing
    /// returns once its reader is there), then gives each the component
    /// and closes all of them, which ends every reader's read at once.
    fn release(self) {
        drop(self.ready());
    }

    /// [`Self::release`] up to the closing: the processes go when the
    /// returned pipes are dropped.
    fn ready(self) -> Vec<File> {
        let component = std::fs::read(component_path()).unwrap();
        let (tx, rx) = mpsc::channel();
        for fifo in self.fifos.clone() {
            let tx = tx.clone();
            // `open` blocks; a thread per pipe lets the wait be bounded.
            std::thread::spawn(move || {
                let _ = tx.send(OpenOptions::new().write(true).open(fifo));
            });
        }
        let mut writers: Vec<File> = (0..self.fifos.len())
            .map(|_| {
                rx.recv_timeout(Duration::from_secs(60))
                    .expect("a CLI process did not open its component within 60 s")
                    .expect("a pipe opens for writing")
            })
            .collect();
        // Every process is now blocked reading its pipe. Fill each pipe (a
        // write returns once its reader has taken all but the pipe's buffer),
        // then close them together.
        for w in &mut writers {
            w.write_all(&component).expect("the component is written");
        }
        writers
    }
}

/// Starts `mail-oauth --json token --account <name>` without waiting; with a
/// start line, the process reads the component from the pipe `fifo`.
fn spawn_token(store: &TempStore, name: &str, fifo: Option<&PathBuf>) -> Child {
    let mut cmd = match fifo {
        None => store.cli(),
        Some(fifo) => {
            // `store.cli()` already names the component; the same, apart
            // from the component.
            let mut c = Command::new(cli_path());
            c.arg("--store")
                .arg(&store.dir)
                .arg("--component")
                .arg(fifo)
                .env("MAIL_OAUTH_CACHE_DIR", cache_dir())
                .env_remove("MAIL_OAUTH_KEY")
                .stdin(Stdio::null());
            c
        }
    };
    cmd.args(["--allow-loopback", "--json", "token", "--account", name])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("CLI spawns")
}

/// Waits for a `token` process; asserts it succeeded and returns (access
/// token, refreshed).
fn token_output(child: Child) -> (String, bool) {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(
        out.status.code(),
        Some(3),
        "reauthorize-required: {stdout} {stderr}"
    );
    assert!(out.status.success(), "{:?}: {stdout} {stderr}", out.status);
    let v = last_json(&stdout);
    (
        v["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned(),
        v["refreshed"].as_bool().expect("refreshed"),
    )
}

fn assert_active(token: &str, what: &str) {
    let info = introspect(token);
    assert_eq!(info["active"], true, "{what} is not active: {info}");
}

/// What every race ends with: the store holds a live, rotated refresh token
/// whose access token is the one every caller got, and the replaced refresh
/// token is dead.
fn assert_one_live_grant(accounts: &Accounts, name: &str, old_refresh: &Secret, got: &[String]) {
    let stored = accounts.get(name).unwrap().tokens;
    for token in got {
        assert_eq!(
            token,
            stored.access_token.expose(),
            "a caller got another token"
        );
    }
    assert_active(stored.access_token.expose(), "the access token");
    let refresh = stored.refresh_token.expect("a refresh token");
    assert_ne!(&refresh, old_refresh, "the provider rotates refresh tokens");
    assert_active(refresh.expose(), "the stored refresh token");
    assert_eq!(introspect(old_refresh.expose())["active"], false);
}

#[test]
fn four_cli_processes_share_one_refresh() {
    peers::ensure_up();
    let store = TempStore::new("race-processes");
    let accounts = store.accounts(true);
    let old_refresh = expired_account(&store, &accounts, "alice");

    let start = StartLine::new(&store, 4);
    let children: Vec<Child> = start
        .fifos
        .iter()
        .map(|fifo| spawn_token(&store, "alice", Some(fifo)))
        .collect();
    start.release();
    let results: Vec<(String, bool)> = children.into_iter().map(token_output).collect();

    let refreshed = results.iter().filter(|(_, r)| *r).count();
    assert_eq!(refreshed, 1, "exactly one process refreshes: {results:?}");
    let got: Vec<String> = results.into_iter().map(|(t, _)| t).collect();
    assert_one_live_grant(&accounts, "alice", &old_refresh, &got);
}

#[test]
fn threads_and_a_cli_process_share_one_refresh() {
    peers::ensure_up();
    let store = TempStore::new("race-mixed");
    let accounts = store.accounts(true);
    let old_refresh = expired_account(&store, &accounts, "alice");

    const THREADS: usize = 8;
    let line = StartLine::new(&store, 1);
    let start = Barrier::new(THREADS + 1);
    let (threads, cli) = std::thread::scope(|s| {
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    accounts.fresh_tokens("alice", 60, false)
                })
            })
            .collect();
        // The process is held on its start line, then released with the
        // threads.
        let child = spawn_token(&store, "alice", Some(&line.fifos[0]));
        let pipes = line.ready();
        start.wait();
        drop(pipes);
        let threads: Vec<_> = threads
            .into_iter()
            .map(|t| t.join().expect("no thread panics"))
            .collect();
        (threads, token_output(child))
    });

    let mut results = vec![cli];
    for r in threads {
        let (account, refreshed) = r.unwrap_or_else(|e| panic!("{}: {e}", e.kind()));
        results.push((account.tokens.access_token.expose().to_owned(), refreshed));
    }
    let refreshed = results.iter().filter(|(_, r)| *r).count();
    assert_eq!(refreshed, 1, "exactly one caller refreshes");
    let got: Vec<String> = results.into_iter().map(|(t, _)| t).collect();
    assert_one_live_grant(&accounts, "alice", &old_refresh, &got);
}
