//! Refresh races between the threads of one process, against the real
//! provider (refresh tokens rotate, and reuse of a rotated one revokes the
//! grant): 50 threads released together on one `Accounts` whose stored
//! access token has expired all get a valid access token, one refresh
//! happens, and the grant survives.

use std::collections::BTreeSet;
use std::sync::Barrier;

use crate::common::{TempStore, expired_account, introspect};
use mail_oauth_store::Account;
use mail_oauth_store::accounts::{AccountError, Accounts, unix_now};
use mail_oauth_tests::peers;

const THREADS: usize = 50;

/// `fresh_tokens(name, 60, force)` on `THREADS` threads released together.
fn race(
    accounts: &Accounts,
    name: &str,
    force: bool,
) -> Vec<Result<(Account, bool), AccountError>> {
    let start = Barrier::new(THREADS);
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    accounts.fresh_tokens(name, 60, force)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("no thread panics"))
            .collect()
    })
}

/// Every call succeeded; returns (how many refreshed, the distinct access
/// tokens returned).
fn successes(results: Vec<Result<(Account, bool), AccountError>>) -> (usize, BTreeSet<String>) {
    let failures: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|e| format!("{}: {e}", e.kind()))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {THREADS} calls failed: {failures:?}",
        failures.len()
    );
    let mut refreshed = 0;
    let mut tokens = BTreeSet::new();
    for (account, r) in results.into_iter().map(Result::unwrap) {
        refreshed += usize::from(r);
        assert!(account.tokens.expires_at.unwrap() > unix_now());
        tokens.insert(account.tokens.access_token.expose().to_owned());
    }
    (refreshed, tokens)
}

fn assert_active(token: &str, what: &str) {
    let info = introspect(token);
    assert_eq!(info["active"], true, "{what} is not active: {info}");
}

#[test]
fn fifty_threads_share_one_refresh() {
    peers::ensure_up();
    let store = TempStore::new("race-threads");
    let accounts = store.accounts(true);
    let old_refresh = expired_account(&store, &accounts, "alice");

    let (refreshed, tokens) = successes(race(&accounts, "alice", false));
    assert_eq!(refreshed, 1, "exactly one thread refreshes");
    // The others waited for that refresh and got its result.
    let stored = accounts.get("alice").unwrap().tokens;
    assert_eq!(
        tokens,
        BTreeSet::from([stored.access_token.expose().to_owned()]),
        "every thread got the stored access token"
    );
    assert_active(stored.access_token.expose(), "the access token");

    let new_refresh = stored.refresh_token.clone().expect("a refresh token");
    assert_ne!(
        new_refresh, old_refresh,
        "the provider rotates refresh tokens"
    );
    assert_active(new_refresh.expose(), "the stored refresh token");
    let info = introspect(old_refresh.expose());
    assert_eq!(info["active"], false, "the replaced refresh token: {info}");

    // The grant is alive: a forced refresh works and stores a new set.
    let (after, again) = accounts.fresh_tokens("alice", 60, true).unwrap();
    assert!(again);
    assert_ne!(after.tokens.refresh_token, Some(new_refresh));
    assert_active(
        after.tokens.access_token.expose(),
        "the re-refreshed access token",
    );
}

#[test]
fn fifty_forced_refreshes_keep_the_grant() {
    peers::ensure_up();
    let store = TempStore::new("race-threads-forced");
    let accounts = store.accounts(true);
    let old_refresh = expired_account(&store, &accounts, "alice");

    // Each forced call refreshes unless another refresh happened while it
    // waited; how many do depends on the schedule.
    let (refreshed, tokens) = successes(race(&accounts, "alice", true));
    assert!((1..=THREADS).contains(&refreshed), "{refreshed} refreshes");
    for token in &tokens {
        assert_active(token, "a returned access token");
    }
    let stored = accounts.get("alice").unwrap().tokens;
    assert!(tokens.contains(stored.access_token.expose()));
    let stored_refresh = stored.refresh_token.expect("a refresh token");
    assert_ne!(stored_refresh, old_refresh);
    assert_active(stored_refresh.expose(), "the stored refresh token");
    assert_eq!(introspect(old_refresh.expose())["active"], false);
    // And it still refreshes.
    let (after, again) = accounts.fresh_tokens("alice", 60, true).unwrap();
    assert!(again);
    assert_active(after.tokens.access_token.expose(), "the next access token");
}
