//! A gigantic request body: above the tenant's hostcall data cap the call is
//! stopped (typed `limit_hostcall_data`); above the HTTP client's request cap
//! but under the hostcall cap the component gets a typed `too-large`. Either
//! way nothing is sent.

use crate::common::hostile::{assert_serves, attack, hostile_host};
use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::http_client::{HttpError, HttpLimits};
use mail_oauth_runtime::{CallLimits, Error, LimitExceeded, OAuthError, TenantConfig};
use mail_oauth_tests::scripted::{Behaviour, ScriptedHttpServer};

#[test]
fn gigantic_bodies_are_stopped_before_anything_is_sent() {
    let server = ScriptedHttpServer::start(Behaviour::json(200, "{}"));
    let host = hostile_host();
    let hostcall_cap = 1 << 20;
    host.add_tenant(
        "victim",
        TenantConfig {
            http_policy: EgressPolicy::deny_all()
                .allow_loopback(true)
                .allow_origin(&server.url())
                .unwrap(),
            http_limits: HttpLimits {
                max_request_bytes: 64 << 10,
                ..HttpLimits::default()
            },
            call_limits: CallLimits {
                max_hostcall_bytes: hostcall_cap,
                ..CallLimits::default()
            },
            ..TenantConfig::deny_all()
        },
    );
    let url = format!("{}/token", server.url());

    // 4 MiB: over the hostcall cap, the call is stopped.
    let err = attack(&host, "victim", "http-post", &format!("{} {url}", 4 << 20)).unwrap_err();
    assert!(
        matches!(err, Error::Limit(LimitExceeded::HostcallData { limit }) if limit == hostcall_cap),
        "{err:?}"
    );

    // 512 KiB: under the hostcall cap, over the HTTP request cap: the
    // component is told `too-large` and nothing goes out.
    let err = attack(
        &host,
        "victim",
        "http-post",
        &format!("{} {url}", 512 << 10),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::OAuth(OAuthError::Http(HttpError::TooLarge))),
        "{err:?}"
    );
    assert!(
        server.requests().is_empty(),
        "no oversized request was sent"
    );

    // A small body goes through; the tenant is not blocked.
    assert_eq!(
        attack(&host, "victim", "http-post", &format!("100 {url}")).unwrap(),
        "status 200"
    );
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.requests()[0].body.len(), 100);
    assert_serves(&host, "victim");
}
