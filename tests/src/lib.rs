//! Support code for the mail-oauth cross-crate integration tests.
//!
//! The tests drive the component (through the host harness) against real
//! servers on 127.0.0.1, started by `tests/peers/up.sh` before `cargo test`
//! runs (`tests/run-all.sh` does both). This crate gives them:
//!
//! - [`peers`]: where those servers are (ports, accounts, OAuth clients, the
//!   test CA) and [`peers::ensure_up`], which fails a test early and clearly
//!   when they are not running;
//! - [`browser`]: a [`browser::Browser`] that plays the user in an
//!   authorization code flow (cookies + redirects, loopback only);
//! - [`scripted`]: a [`scripted::ScriptedHttpServer`] for the faults no real
//!   provider produces on demand (500s, garbage, huge bodies, hangs).
//!
//! Tests never start servers themselves: the test command does.

pub mod browser;
pub mod peers;
pub mod scripted;

use std::time::Duration;

/// An HTTP agent for talking to loopback test servers from test code.
///
/// Redirects are not followed (callers see every 3xx), non-2xx statuses are
/// returned as responses rather than errors (tests assert on them), proxies
/// from the environment are ignored (loopback traffic must never go to a
/// proxy) and every call is bounded by `timeout`, so a silent server fails a
/// test instead of hanging it.
pub fn loopback_agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(timeout))
            .build(),
    )
}

/// Whether `url` is a plain-HTTP URL on 127.0.0.1, the only place the test
/// support code is allowed to send requests to.
pub fn is_loopback_http(url: &url::Url) -> bool {
    url.scheme() == "http"
        && url.host() == Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
        && url.username().is_empty()
        && url.password().is_none()
}
