//! Embedding the component in a multi-tenant host: one pooled runtime, one
//! loaded component, a registry of tenants each with its own egress policy
//! and limits, and the lifecycle calls (metrics, health, replacement).
//!
//! `cargo run -p mail-oauth-runtime --example multi_tenant` (the artifacts
//! crate builds the component). It makes no network request: the calls shown
//! need none.

use std::sync::Arc;
use std::time::Duration;

use mail_oauth_artifacts::COMPONENT;
use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::http_client::HttpLimits;
use mail_oauth_runtime::model::Secret;
use mail_oauth_runtime::transport::TransportLimits;
use mail_oauth_runtime::{
    CallLimits, EngineOptions, HostOptions, LoadOptions, Runtime, TenantConfig, TenantHost,
};

fn main() -> anyhow::Result<()> {
    // One runtime per process: a pool of 1,000 live instances, 10 ms ticks.
    let runtime = Arc::new(Runtime::new(EngineOptions::multi_tenant(1_000))?);
    let component = std::fs::read(COMPONENT)?;
    let host = TenantHost::new(
        runtime,
        &component,
        HostOptions {
            load: LoadOptions {
                cache_dir: Some(std::env::temp_dir().join("mail-oauth-cache")),
            },
            tls: None, // the system's roots for mail servers
        },
    )?;

    // A Google Workspace tenant: its token endpoint, Gmail's IMAP and SMTP.
    host.add_tenant(
        "acme",
        TenantConfig {
            http_policy: EgressPolicy::deny_all()
                .allow_url("https://oauth2.googleapis.com/token")?
                .allow_url("https://oauth2.googleapis.com/revoke")?,
            mail_policy: EgressPolicy::deny_all()
                .allow_host_port("imap.gmail.com", 993)?
                .allow_host_port("smtp.gmail.com", 465)?,
            http_limits: HttpLimits {
                total_timeout: Duration::from_secs(15),
                ..HttpLimits::default()
            },
            transport_limits: TransportLimits {
                max_connections: Some(4),
                ..TransportLimits::default()
            },
            call_limits: CallLimits {
                max_memory_bytes: 8 << 20,
                max_guest_time: Duration::from_millis(200),
                ..CallLimits::default()
            },
        },
    );
    // A Microsoft 365 tenant with default limits.
    host.add_tenant(
        "globex",
        TenantConfig {
            http_policy: EgressPolicy::deny_all()
                .allow_origin("https://login.microsoftonline.com")?,
            mail_policy: EgressPolicy::deny_all()
                .allow_host_port("outlook.office365.com", 993)?
                .allow_host_port("smtp.office365.com", 587)?,
            ..TenantConfig::deny_all()
        },
    );

    // Each call runs in a fresh instance under the tenant's policy and limits.
    let token = Secret::new("example-access-token".to_owned());
    for (tenant, user) in [
        ("acme", "alice@acme.example"),
        ("globex", "bob@globex.example"),
    ] {
        let answer = host
            .call(tenant, |s| s.xoauth2(user, &token))
            .expect("registered tenant")?;
        println!(
            "{tenant}: XOAUTH2 response of {} bytes",
            answer.expose().len()
        );
    }
    // A typed error is counted under its kind; the next call is unaffected.
    let refused = host
        .call("acme", |s| s.xoauth2("alice\r\n@acme.example", &token))
        .expect("registered tenant");
    println!(
        "acme: CR/LF in the user name -> {}",
        refused.unwrap_err().kind()
    );

    let metrics = host.metrics("acme").expect("registered tenant");
    println!(
        "acme: {} calls, failures {:?}, {:?} in the guest",
        metrics.calls, metrics.failures, metrics.guest_time
    );
    let health = host.health();
    println!(
        "health: ok={} component {}… generation {}",
        health.ok,
        &health.component.digest[..12],
        health.component.generation
    );
    anyhow::ensure!(health.ok, "unhealthy: {:?}", health.problem);
    Ok(())
}
