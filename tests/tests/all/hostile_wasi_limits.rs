//! What a component can make the host allocate through WASI is capped:
//! `get-random-bytes` beyond 64 KiB traps (wasmtime's own default lets one
//! call make the host allocate 64 MiB), and the resource table holds at most
//! 1,000 entries (a loop of `get-stdout` would otherwise grow host memory
//! until the guest-time limit). Each attack costs its call only.

use crate::common::hostile::{assert_serves, attack, hostile_host};

#[test]
fn a_64_mib_get_random_bytes_traps_and_a_small_one_works() {
    let host = hostile_host();
    assert_eq!(
        attack(&host, "victim", "random-bytes", "32").expect("32 bytes are fine"),
        "32 bytes"
    );
    let err = attack(&host, "victim", "random-bytes", &(64u64 << 20).to_string())
        .expect_err("64 MiB is refused");
    assert_eq!(err.kind(), "trap", "{err}");
    assert!(err.to_string().contains("exceeds limit"), "{err}");
    assert_serves(&host, "victim");
}

#[test]
fn resource_table_growth_traps_at_its_cap() {
    let host = hostile_host();
    assert_eq!(
        attack(&host, "victim", "resources", "100").expect("a hundred are fine"),
        "100 resources"
    );
    let err = attack(&host, "victim", "resources", "5000").expect_err("five thousand are not");
    assert_eq!(err.kind(), "trap", "{err}");
    assert_serves(&host, "victim");
}
