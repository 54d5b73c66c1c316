//! Per-account locks: one refresh at a time per account, across the threads
//! of a process and across the processes that share a store directory.
//!
//! With refresh-token rotation, two refreshes of one account with the same
//! refresh token fail the second one (`invalid_grant`), and a provider may
//! take the second use for a stolen token and revoke the whole grant (the
//! test provider does). So whoever refreshes an account holds its lock from
//! reading the stored tokens to storing the new ones, and whoever waited
//! re-reads the store and uses that result.
//!
//! A lock has two layers, taken in this order:
//!
//! 1. In the process, a gate per account name (a flag and a condition
//!    variable), so that threads queue on a condition variable instead of
//!    polling a file. The map holds only weak references and drops an
//!    entry when its last user is gone: it never grows past the accounts in
//!    use.
//! 2. Across processes, an advisory `flock` on
//!    `<store>/locks/<sha256 of the name>.lock` (through `std::fs::File`'s
//!    locking, no extra crate). The kernel releases it when the holder
//!    exits or dies, so a crashed process never leaves an account locked.
//!    The file name is a hash because account names may hold any printable
//!    character, `/` included.
//!
//! Why a file lock rather than SQLite: the refresh is an HTTP call that
//! may take seconds. Holding a SQLite write transaction across it would
//! block every write to the store, every account's included; a lease row
//! would need an expiry guessed in advance and a clean-up for dead holders.
//! A `flock` blocks only this account and dies with its holder.
//!
//! `flock` has no timeout, so a waiter polls it (2 ms, doubling up to
//! 50 ms) until its deadline, then fails with [`LockError::Busy`]. The
//! file must be a local one: `flock` on NFS is not reliable, but neither is
//! SQLite's WAL mode, which the store already requires.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::private;

/// The folder of lock files inside the store directory.
pub const LOCKS_DIR: &str = "locks";

/// First and longest pause between two attempts at another process's
/// file lock.
const FIRST_PAUSE: Duration = Duration::from_millis(2);
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// The in-process gate of one account.
#[derive(Default)]
struct Gate {
    /// True while a thread of this process holds the account's lock.
    held: Mutex<bool>,
    /// Signalled when `held` turns false.
    freed: Condvar,
}

/// Why a lock could not be had. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another thread or process held the lock for longer than `waited`.
    #[error(
        "account {account:?} is busy: another caller held its refresh lock for more than {} s",
        waited.as_secs_f64()
    )]
    Busy {
        /// The account.
        account: String,
        /// How long this caller waited.
        waited: Duration,
    },
    /// The lock file or its folder could not be created, opened or locked.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// The locks of one store directory (owned by its
/// [`SqliteStore`](crate::sqlite::SqliteStore)).
pub(crate) struct FileLocks {
    dir: PathBuf,
    gates: Mutex<HashMap<String, Weak<Gate>>>,
}

impl FileLocks {
    /// Locks for the store in `store_dir`.
    pub(crate) fn new(store_dir: &Path) -> Self {
        Self {
            dir: store_dir.join(LOCKS_DIR),
            gates: Mutex::new(HashMap::new()),
        }
    }

    /// Takes the lock of account `name`, waiting at most `timeout` in all.
    /// The name must already be validated.
    pub(crate) fn lock(&self, name: &str, timeout: Duration) -> Result<FileLock<'_>, LockError> {
        let deadline = Instant::now() + timeout;
        let busy = || LockError::Busy {
            account: name.to_owned(),
            waited: timeout,
        };
        // Layer 1: the gate, shared by this process's threads.
        let mut lock = FileLock {
            locks: self,
            name: name.to_owned(),
            gate: Some(self.gate(name)),
            gate_held: false,
            file: None,
            path: self.dir.join(lock_file_name(name)),
        };
        {
            let gate = lock.gate.as_ref().expect("set above");
            let mut held = relock(&gate.held);
            while *held {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    // Dropping `lock` forgets the gate if nobody else uses it.
                    return Err(busy());
                }
                held = gate
                    .freed
                    .wait_timeout(held, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            *held = true;
        }
        lock.gate_held = true;
        // Layer 2: the file, shared with other processes. On failure,
        // dropping `lock` opens the gate again.
        lock.file = Some(self.lock_file(&lock.path, deadline).map_err(|e| match e {
            FileLockError::Busy => busy(),
            FileLockError::Io(path, source) => LockError::Io { path, source },
        })?);
        Ok(lock)
    }

    /// The gate of `name`, created when no thread uses one.
    fn gate(&self, name: &str) -> Arc<Gate> {
        let mut gates = relock(&self.gates);
        if let Some(gate) = gates.get(name).and_then(Weak::upgrade) {
            return gate;
        }
        let gate = Arc::new(Gate::default());
        gates.insert(name.to_owned(), Arc::downgrade(&gate));
        gate
    }

    /// Drops the map's entry for `name` when its gate is no longer used.
    fn forget_unused(&self, name: &str) {
        let mut gates = relock(&self.gates);
        if gates.get(name).is_some_and(|g| g.strong_count() == 0) {
            gates.remove(name);
        }
    }

    /// How many gates the map holds (tests: entries do not leak).
    #[cfg(test)]
    fn gates_len(&self) -> usize {
        relock(&self.gates).len()
    }

    /// Opens `path` (creating it) and takes its `flock`, polling until
    /// `deadline`.
    fn lock_file(&self, path: &Path, deadline: Instant) -> Result<File, FileLockError> {
        let io_err = |path: &Path, e| FileLockError::Io(path.to_owned(), e);
        if !self.dir.is_dir() {
            private::dir_builder()
                .create(&self.dir)
                .map_err(|e| io_err(&self.dir, e))?;
        }
        let open = || {
            private::file_options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(|e| io_err(path, e))
        };
        let mut file = open()?;
        let mut pause = FIRST_PAUSE;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    // `FileLock::remove_file` may have unlinked the file
                    // between our open and our lock: a lock on an unlinked
                    // file excludes nobody, so start again on the new one.
                    if is_same_file(&file, path).map_err(|e| io_err(path, e))? {
                        return Ok(file);
                    }
                    file = open()?;
                    continue;
                }
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => return Err(io_err(path, e)),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(FileLockError::Busy);
            }
            std::thread::sleep(pause.min(left));
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }
}

enum FileLockError {
    Busy,
    Io(PathBuf, io::Error),
}

/// Whether the open `file` is still the file at `path`.
fn is_same_file(file: &File, path: &Path) -> io::Result<bool> {
    let open = file.metadata()?;
    match std::fs::metadata(path) {
        Ok(named) => Ok(private::same_file(&open, &named)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// `<hex sha256 of the name>.lock`: any account name maps to a plain file
/// name.
fn lock_file_name(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let mut file = String::with_capacity(digest.len() * 2 + 5);
    for b in digest {
        file.push_str(&format!("{b:02x}"));
    }
    file.push_str(".lock");
    file
}

/// The lock's state is a flag and a map, always consistent: a panic while
/// holding the mutex leaves nothing half done.
fn relock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One account's lock, held until dropped (or until the process ends,
/// however it ends).
pub struct FileLock<'a> {
    locks: &'a FileLocks,
    name: String,
    gate: Option<Arc<Gate>>,
    gate_held: bool,
    file: Option<File>,
    path: PathBuf,
}

impl std::fmt::Debug for FileLock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileLock")
            .field("account", &self.name)
            .field("file", &self.path)
            .finish()
    }
}

impl FileLock<'_> {
    /// The account this lock is for.
    pub fn account(&self) -> &str {
        &self.name
    }

    /// Deletes the lock file (when the account itself is removed), so that
    /// the locks folder does not keep one file per account ever used. Safe
    /// while others wait: a waiter that then locks the unlinked file sees
    /// that it is no longer the file at the path and locks the new one.
    pub fn remove_file(&self) -> Result<(), LockError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(LockError::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }
}

impl Drop for FileLock<'_> {
    fn drop(&mut self) {
        // Release the other processes first, then this process's threads.
        if let Some(file) = self.file.take() {
            // Closing the file releases the lock anyway; unlocking first
            // makes it explicit.
            let _ = file.unlock();
        }
        if let Some(gate) = self.gate.take() {
            if self.gate_held {
                *relock(&gate.held) = false;
                gate.freed.notify_one();
            }
            drop(gate);
            self.locks.forget_unused(&self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::sync::{Barrier, atomic::AtomicUsize, atomic::Ordering};

    use super::*;

    struct TempDir(PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    fn tmp(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "mail-oauth-lock-{tag}-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    const LONG: Duration = Duration::from_secs(30);
    const SHORT: Duration = Duration::from_millis(200);

    #[test]
    fn lock_is_per_account_and_a_waiter_times_out() {
        let dir = tmp("per-account");
        let locks = FileLocks::new(&dir.0);
        let a = locks.lock("a", LONG).unwrap();
        // Another account is not blocked at all.
        let b = locks.lock("b", SHORT).unwrap();
        drop(b);
        // The same account, from another thread: busy after the timeout.
        std::thread::scope(|s| {
            let err = s
                .spawn(|| locks.lock("a", SHORT).unwrap_err())
                .join()
                .unwrap();
            assert!(
                matches!(&err, LockError::Busy { account, waited } if account == "a" && *waited == SHORT),
                "{err:?}"
            );
            assert_eq!(
                err.to_string(),
                "account \"a\" is busy: another caller held its refresh lock for more than 0.2 s"
            );
        });
        drop(a);
        // Released: the same account can be had again, and no gate is left.
        drop(locks.lock("a", SHORT).unwrap());
        assert_eq!(locks.gates_len(), 0);
    }

    #[test]
    fn another_process_lock_blocks_and_times_out() {
        // A second `FileLocks` on the same directory has its own gates:
        // only the file lock stands between them, as between two processes
        // (`flock` locks of two open files conflict even in one process).
        let dir = tmp("cross");
        let one = FileLocks::new(&dir.0);
        let two = FileLocks::new(&dir.0);
        let held = one.lock("shared", LONG).unwrap();
        assert!(matches!(
            two.lock("shared", SHORT),
            Err(LockError::Busy { .. })
        ));
        drop(two.lock("other", SHORT).unwrap());
        drop(held);
        drop(two.lock("shared", SHORT).unwrap());
    }

    #[test]
    fn waiters_are_served_one_at_a_time() {
        let dir = tmp("serial");
        let locks = FileLocks::new(&dir.0);
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let start = Barrier::new(8);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    start.wait();
                    for _ in 0..20 {
                        let _l = locks.lock("acct", LONG).unwrap();
                        let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(n, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 1);
        assert_eq!(locks.gates_len(), 0);
    }

    #[test]
    fn a_waiter_gets_the_lock_when_it_is_released() {
        let dir = tmp("handoff");
        let locks = FileLocks::new(&dir.0);
        let held = locks.lock("acct", LONG).unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                tx.send(()).unwrap();
                locks.lock("acct", LONG).map(|_| ())
            });
            rx.recv().unwrap();
            drop(held);
            waiter.join().unwrap().unwrap();
        });
    }

    #[test]
    fn removed_lock_file_is_recreated_and_still_excludes() {
        let dir = tmp("unlink");
        let one = FileLocks::new(&dir.0);
        let two = FileLocks::new(&dir.0);
        let held = one.lock("acct", LONG).unwrap();
        held.remove_file().unwrap();
        assert!(!held.path.exists());
        // A new holder locks a new file at the path ...
        let other = two.lock("acct", SHORT).unwrap();
        assert!(other.path.exists());
        // ... which a third handle cannot take while `other` holds it.
        let three = FileLocks::new(&dir.0);
        assert!(matches!(
            three.lock("acct", SHORT),
            Err(LockError::Busy { .. })
        ));
        drop(held);
        drop(other);
        drop(three.lock("acct", SHORT).unwrap());
    }

    #[test]
    fn lock_file_names_are_plain() {
        let name = lock_file_name("work/../../etc");
        assert_eq!(name.len(), 64 + 5);
        assert!(name.ends_with(".lock"));
        assert!(name[..64].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(lock_file_name("a"), lock_file_name("b"));
    }
}
