//! The hostile test component (`tests/hostile`) and multi-tenant hosts that
//! load it or the real component.

use std::path::PathBuf;
use std::sync::Arc;

use mail_oauth_runtime::{
    EngineOptions, Error, HostOptions, LoadOptions, Runtime, TenantConfig, TenantHost,
};

use super::{cache_dir, component_path};

/// The hostile component, built by `mail-oauth-artifacts` (feature
/// `hostile`).
pub fn hostile_path() -> PathBuf {
    PathBuf::from(mail_oauth_artifacts::HOSTILE)
}

/// The hostile component's bytes.
pub fn hostile_bytes() -> Vec<u8> {
    std::fs::read(hostile_path()).expect("read the hostile component")
}

/// The real component's bytes.
pub fn component_bytes() -> Vec<u8> {
    std::fs::read(component_path()).expect("read the component")
}

/// A pooled, time-limited host (`max_live` slots, 10 ms ticks) serving
/// `component`.
pub fn host_with(component: &[u8], max_live: u32) -> TenantHost {
    let runtime = Arc::new(Runtime::new(EngineOptions::multi_tenant(max_live)).expect("runtime"));
    TenantHost::new(
        runtime,
        component,
        HostOptions {
            load: LoadOptions {
                cache_dir: Some(cache_dir()),
            },
            tls: None,
        },
    )
    .expect("the component loads")
}

/// A host serving the hostile component, with tenants `victim` and
/// `bystander` that may reach nothing; add or replace tenants as needed.
pub fn hostile_host() -> TenantHost {
    let host = host_with(&hostile_bytes(), 8);
    host.add_tenant("victim", TenantConfig::deny_all());
    host.add_tenant("bystander", TenantConfig::deny_all());
    host
}

/// Runs one hostile command as `tenant`.
pub fn attack(
    host: &TenantHost,
    tenant: &str,
    command: &str,
    argument: &str,
) -> Result<String, Error> {
    // The hostile component takes its commands as `oauth.discover`'s
    // issuer, whose error is the OAuth one (with its typed `http` case).
    host.call(tenant, |s| {
        s.discover(&format!("{command} {argument}"))
            .map(|answer| answer.display_name)
    })
    .expect("the tenant exists")
}

/// Asserts that `tenant` is served normally: a fresh instance answers.
pub fn assert_serves(host: &TenantHost, tenant: &str) {
    assert_eq!(
        attack(host, tenant, "whoami", "").expect("a normal call works"),
        "hostile"
    );
}
