//! A component that allocates without end is stopped at the tenant's memory
//! cap; the tenant's next call and the other tenants are served normally, and
//! repeated bombs do not exhaust the instance pool.

use crate::common::hostile::{assert_serves, attack, hostile_host};
use mail_oauth_runtime::{CallLimits, Error, LimitExceeded, TenantConfig};

#[test]
fn memory_bomb_is_stopped_at_the_tenant_cap() {
    let host = hostile_host();
    let cap = 8 << 20;
    host.add_tenant(
        "victim",
        TenantConfig {
            call_limits: CallLimits {
                max_memory_bytes: cap,
                ..CallLimits::default()
            },
            ..TenantConfig::deny_all()
        },
    );

    let err = attack(&host, "victim", "memory-bomb", "").expect_err("the bomb is stopped");
    assert!(
        matches!(err, Error::Limit(LimitExceeded::Memory { limit }) if limit == cap),
        "{err:?}"
    );
    assert_eq!(err.kind(), "limit_memory");

    // The call's instance is gone; the next one is fresh.
    assert_serves(&host, "victim");
    assert_serves(&host, "bystander");

    // Three times as many bombs as the pool has slots: each slot is given
    // back when its store is dropped.
    for _ in 0..24 {
        let err = attack(&host, "victim", "memory-bomb", "").unwrap_err();
        assert_eq!(err.kind(), "limit_memory");
    }
    assert_serves(&host, "bystander");

    let victim = host.metrics("victim").unwrap();
    assert_eq!(victim.calls, 26);
    assert_eq!(victim.failures.get("limit_memory"), Some(&25));
    let bystander = host.metrics("bystander").unwrap();
    assert_eq!(bystander.calls, 2);
    assert!(bystander.failures.is_empty(), "{bystander:?}");
}

#[test]
fn the_pool_slot_size_caps_a_generous_tenant() {
    // A tenant allowed 1 GiB still stops at the pool's slot size (16 MiB).
    let host = hostile_host();
    host.add_tenant(
        "greedy",
        TenantConfig {
            call_limits: CallLimits {
                max_memory_bytes: 1 << 30,
                ..CallLimits::default()
            },
            ..TenantConfig::deny_all()
        },
    );
    let err = attack(&host, "greedy", "memory-bomb", "").unwrap_err();
    assert!(
        matches!(err, Error::Limit(LimitExceeded::Memory { limit }) if limit == 16 << 20),
        "{err:?}"
    );
    assert_serves(&host, "greedy");
}
