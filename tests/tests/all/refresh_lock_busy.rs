//! The per-account refresh lock as `Accounts` users see it: a caller that
//! needs a refresh while another process holds the account's lock gets the
//! typed `busy` error after the lock timeout (and changes nothing), other
//! accounts are not blocked, a still-valid token is returned without waiting,
//! and once the lock is released the refresh goes through.

use std::time::Duration;

use crate::common::{TempStore, authorized_account};
use mail_oauth_runtime::model::TokenSet;
use mail_oauth_store::accounts::{AccountError, unix_now};
use mail_oauth_tests::peers;

#[test]
fn a_held_lock_makes_refreshes_busy_and_nothing_else() {
    peers::ensure_up();
    let store = TempStore::new("lock-busy");
    let account = authorized_account(&store, "alice", peers::ALICE, peers::PUBLIC_CLIENT_ID);
    // A second store handle has its own in-process gates: only the lock
    // file stands between the two, as between two processes.
    let other_process = store.accounts(true);
    let expired = TokenSet {
        expires_at: Some(unix_now() - 10),
        ..account.tokens.clone()
    };
    other_process
        .store()
        .update_tokens("alice", &expired)
        .unwrap();

    const TIMEOUT: Duration = Duration::from_millis(300);
    let accounts = store.accounts(true).with_lock_timeout(TIMEOUT);
    let held = other_process.lock("alice").unwrap();
    for force in [false, true] {
        let err = accounts
            .fresh_tokens("alice", 60, force)
            .expect_err("the lock is held elsewhere");
        assert!(
            matches!(&err, AccountError::Busy { account, waited } if account == "alice" && *waited == TIMEOUT),
            "{err:?}"
        );
        assert_eq!(err.kind(), "busy");
        assert!(!err.is_reauthorize_required());
        assert!(err.to_string().contains("busy"), "{err}");
    }
    // Nothing was refreshed meanwhile.
    assert_eq!(accounts.get("alice").unwrap().tokens, expired);
    // Another account's lock is free.
    drop(
        accounts
            .lock("bob")
            .expect("another account is not blocked"),
    );

    drop(held);
    let (fresh, refreshed) = accounts.fresh_tokens("alice", 60, false).unwrap();
    assert!(refreshed);
    assert_ne!(fresh.tokens.refresh_token, account.tokens.refresh_token);

    // A token that needs no refresh is returned even while the lock is held.
    let held = other_process.lock("alice").unwrap();
    let (same, refreshed) = accounts.fresh_tokens("alice", 60, false).unwrap();
    assert!(!refreshed);
    assert_eq!(same.tokens, fresh.tokens);
    drop(held);
}
