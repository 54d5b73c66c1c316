//! A component cannot park a host thread on a timer: `wasi:io/poll` is linked
//! for its types only, and waiting through it traps at once. Epoch
//! interruption could not stop a thread blocked inside the host, so without
//! this a one-hour `sleep` would hold the thread (and its pool slot) for an
//! hour, whatever the call's time budget.

use crate::common::hostile::{assert_serves, attack, hostile_host};

#[test]
fn waiting_on_a_timer_traps_instead_of_blocking_the_host() {
    let host = hostile_host();
    let err = attack(&host, "victim", "sleep", "3600").expect_err("the wait is refused");
    assert_eq!(err.kind(), "trap", "{err}");
    assert!(
        err.to_string().contains("does not let a component wait"),
        "{err}"
    );
    // The tenant's next call works: the trap cost it nothing but that call.
    assert_serves(&host, "victim");
}
