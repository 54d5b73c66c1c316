//! A component that never returns is stopped when the tenant's guest-time
//! budget is spent (epoch interruption); other tenants are served while it
//! spins, and the tenant's next call works.

use std::time::Duration;

use crate::common::hostile::{assert_serves, attack, hostile_host};
use mail_oauth_runtime::{CallLimits, Error, LimitExceeded, TenantConfig};

#[test]
fn infinite_loop_is_stopped_and_others_are_served_meanwhile() {
    let host = hostile_host();
    let budget = Duration::from_secs(2);
    host.add_tenant(
        "victim",
        TenantConfig {
            call_limits: CallLimits {
                max_guest_time: budget,
                ..CallLimits::default()
            },
            ..TenantConfig::deny_all()
        },
    );

    std::thread::scope(|scope| {
        let spinning = scope.spawn(|| attack(&host, "victim", "infinite-loop", ""));
        // Wait until the loop's call has started (it cannot end before its
        // 2 s budget is spent).
        while host.calls_in_flight() == 0 {
            std::thread::yield_now();
        }
        for _ in 0..50 {
            assert_serves(&host, "bystander");
        }
        assert!(
            !spinning.is_finished(),
            "the bystander's 50 calls were served while the loop ran"
        );
        let err = spinning.join().unwrap().expect_err("the loop is stopped");
        assert!(
            matches!(err, Error::Limit(LimitExceeded::GuestTime { limit }) if limit == budget),
            "{err:?}"
        );
    });

    assert_serves(&host, "victim");
    let victim = host.metrics("victim").unwrap();
    assert_eq!(victim.failures.get("limit_guest_time"), Some(&1));
    assert!(
        victim.guest_time >= budget,
        "the loop's time is counted as guest time: {victim:?}"
    );
    let bystander = host.metrics("bystander").unwrap();
    assert_eq!((bystander.calls, bystander.failures.len()), (50, 0));
}

#[test]
fn stack_overflow_is_a_trap_for_that_call_only() {
    let host = hostile_host();
    let err = attack(&host, "victim", "stack-overflow", "").expect_err("overflow traps");
    assert!(matches!(err, Error::Trap(_)), "{err:?}");
    assert_eq!(err.kind(), "trap");
    assert_serves(&host, "victim");
    assert_eq!(
        host.metrics("victim").unwrap().failures.get("trap"),
        Some(&1)
    );
}
