//! The component asks the host for places outside its tenant's egress
//! policy: another port, another scheme, an unknown host, and a permitted
//! name that resolves to loopback (DNS rebinding). Each is refused with a
//! typed `denied` before a byte leaves, and the listener that would have been
//! reached sees no connection.

use std::io::ErrorKind;
use std::net::TcpListener;

use crate::common::hostile::{attack, hostile_host};
use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::http_client::HttpError;
use mail_oauth_runtime::{Error, OAuthError, TenantConfig};
use mail_oauth_tests::scripted::{Behaviour, ScriptedHttpServer};

fn assert_denied(result: Result<String, Error>) -> String {
    match result {
        Err(Error::OAuth(OAuthError::Http(HttpError::Denied(why)))) => why,
        other => panic!("expected a denied request, got {other:?}"),
    }
}

/// Nothing connected to `listener` (its backlog is empty).
fn assert_untouched(listener: &TcpListener) {
    listener.set_nonblocking(true).unwrap();
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("{peer} connected to a listener the policy forbids"),
        Err(e) => panic!("accept: {e}"),
    }
}

#[test]
fn requests_outside_the_tenant_policy_are_denied() {
    let allowed = ScriptedHttpServer::start(Behaviour::json(200, "{}"));
    let forbidden = ScriptedHttpServer::start(Behaviour::json(200, "{}"));
    let host = hostile_host();
    host.add_tenant(
        "victim",
        TenantConfig {
            http_policy: EgressPolicy::deny_all()
                .allow_loopback(true)
                .allow_origin(&allowed.url())
                .unwrap(),
            ..TenantConfig::deny_all()
        },
    );

    // The policy is not just "deny everything": its one origin is reachable.
    assert_eq!(
        attack(
            &host,
            "victim",
            "http-get",
            &format!("{}/token", allowed.url())
        )
        .unwrap(),
        "status 200"
    );
    assert_eq!(allowed.requests().len(), 1);

    let another_port = format!("{}/token", forbidden.url());
    let why = assert_denied(attack(&host, "victim", "http-get", &another_port));
    assert!(why.contains(&forbidden.port().to_string()), "{why}");
    let another_scheme = allowed.url().replace("http://", "https://");
    assert_denied(attack(&host, "victim", "http-get", &another_scheme));
    assert_denied(attack(
        &host,
        "victim",
        "http-get",
        "http://mail-oauth.invalid/exfiltrate",
    ));
    // Another tenant's policy is its own: the bystander may reach nothing.
    assert_denied(attack(&host, "bystander", "http-get", &allowed.url()));

    assert!(
        forbidden.requests().is_empty(),
        "nothing reached the forbidden server"
    );
    assert_eq!(
        allowed.requests().len(),
        1,
        "no further request reached the allowed one"
    );
}

#[test]
fn a_permitted_name_resolving_to_loopback_is_refused() {
    // The tenant may reach https://localhost:<port> and localhost:<port> by
    // name, but not loopback addresses: the name resolves to 127.0.0.1, so
    // the host refuses it after resolution (DNS rebinding).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let host = hostile_host();
    host.add_tenant(
        "victim",
        TenantConfig {
            http_policy: EgressPolicy::deny_all()
                .allow_origin(&format!("https://localhost:{port}"))
                .unwrap(),
            mail_policy: EgressPolicy::deny_all()
                .allow_host_port("localhost", port)
                .unwrap(),
            ..TenantConfig::deny_all()
        },
    );

    let why = assert_denied(attack(
        &host,
        "victim",
        "http-get",
        &format!("https://localhost:{port}/token"),
    ));
    assert!(why.contains("localhost resolves to"), "{why}");
    assert!(why.contains("loopback"), "{why}");

    let answer = attack(
        &host,
        "victim",
        "connect-many",
        &format!("1 localhost {port}"),
    )
    .unwrap();
    assert!(
        answer.starts_with("opened 0; then TransportError::Denied("),
        "{answer}"
    );
    assert!(answer.contains("loopback"), "{answer}");

    assert_untouched(&listener);
}
