//! The lifecycle a platform needs: replace the component while a call is in
//! flight (the call finishes on the old version, new calls use the new one),
//! per-tenant metrics, a health check, unknown tenants.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use crate::common::hostile::{component_bytes, host_with, hostile_bytes};
use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::model::Secret;
use mail_oauth_runtime::{Error, TenantConfig};

/// An issuer whose discovery answer waits: `arrived` fires when the request
/// is in, and the answer goes out when `release` is sent.
fn gated_issuer() -> (String, mpsc::Receiver<()>, mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let (arrived_tx, arrived) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let doc = format!(
        r#"{{"issuer":"{issuer}","authorization_endpoint":"{issuer}/auth","token_endpoint":"{issuer}/token"}}"#
    );
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        // The request head ends with an empty line (a GET has no body).
        while reader.read_line(&mut line).unwrap() > 0 && line != "\r\n" {
            line.clear();
        }
        arrived_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{doc}",
            doc.len()
        )
        .unwrap();
    });
    (issuer, arrived, release)
}

#[test]
fn replacing_the_component_lets_calls_in_flight_finish_on_the_old_version() {
    let host = host_with(&component_bytes(), 8);
    let (issuer, arrived, release) = gated_issuer();
    host.add_tenant(
        "acme",
        TenantConfig {
            http_policy: EgressPolicy::deny_all()
                .allow_loopback(true)
                .allow_origin(&issuer)
                .unwrap(),
            ..TenantConfig::deny_all()
        },
    );
    let v1 = host.component();
    assert_eq!(v1.generation, 0);

    std::thread::scope(|scope| {
        let in_flight = scope.spawn(|| host.call("acme", |s| s.discover(&issuer)).unwrap());
        arrived.recv().unwrap(); // the v1 call is blocked in the host's HTTP import

        let v2 = host.replace_component(&hostile_bytes()).unwrap();
        assert_eq!(v2.generation, 1);
        assert_ne!(v2.digest, v1.digest);
        assert_eq!(host.component(), v2);
        // A call started now runs the new version.
        let answer = host
            .call("acme", |s| s.discover("whoami "))
            .unwrap()
            .unwrap();
        assert_eq!(answer.display_name, "hostile");
        assert_eq!(host.calls_in_flight(), 1);

        release.send(()).unwrap();
        // The call that started on v1 finishes on v1: v2 cannot discover.
        let provider = in_flight
            .join()
            .unwrap()
            .expect("v1 completes the discovery");
        assert_eq!(provider.token_endpoint, format!("{issuer}/token"));
    });
    assert_eq!(host.calls_in_flight(), 0);

    // Back to the real component: the replacement works both ways.
    let v3 = host.replace_component(&component_bytes()).unwrap();
    assert_eq!((v3.generation, &v3.digest), (2, &v1.digest));
    assert!(host.health().ok);
}

#[test]
fn a_full_pool_refuses_new_calls_with_a_typed_error_until_a_slot_frees() {
    let host = host_with(&component_bytes(), 2);
    let (first, first_in, first_go) = gated_issuer();
    let (second, second_in, second_go) = gated_issuer();
    let mut policy = EgressPolicy::deny_all().allow_loopback(true);
    for issuer in [&first, &second] {
        policy = policy.allow_origin(issuer).unwrap();
    }
    host.add_tenant(
        "acme",
        TenantConfig {
            http_policy: policy,
            ..TenantConfig::deny_all()
        },
    );
    std::thread::scope(|scope| {
        let a = scope.spawn(|| host.call("acme", |s| s.discover(&first)).unwrap());
        let b = scope.spawn(|| host.call("acme", |s| s.discover(&second)).unwrap());
        first_in.recv().unwrap();
        second_in.recv().unwrap();
        // Both slots are held by calls blocked in the HTTP import.
        let err = host
            .call("acme", |s| s.xoauth2("a@acme.test", &Secret::new("t")))
            .unwrap()
            .unwrap_err();
        assert_eq!(err.kind(), "pool_full", "{err}");
        let health = host.health();
        assert!(!health.ok, "no slot for the probe either: {health:?}");
        first_go.send(()).unwrap();
        second_go.send(()).unwrap();
        a.join().unwrap().expect("the first call completes");
        b.join().unwrap().expect("the second call completes");
    });
    // Slots are free again.
    let health = host.health();
    assert!(health.ok, "{health:?}");
    assert_eq!(
        health.pooled_instances,
        Some(1),
        "only the probe's own instance"
    );
    assert_eq!(
        host.metrics("acme").unwrap().failures.get("pool_full"),
        Some(&1)
    );
}

#[test]
fn a_broken_replacement_keeps_the_current_version() {
    let host = host_with(&component_bytes(), 4);
    let before = host.component();
    let err = host
        .replace_component(b"\0asm not really a component")
        .expect_err("garbage does not load");
    assert!(!err.to_string().is_empty());
    assert_eq!(host.component(), before);
    assert!(host.health().ok);
}

#[test]
fn health_reports_the_version_and_whether_it_answers_correctly() {
    let host = host_with(&component_bytes(), 4);
    host.add_tenant("acme", TenantConfig::deny_all());
    let health = host.health();
    assert!(health.ok, "{health:?}");
    assert_eq!(health.problem, None);
    assert_eq!(health.tenants, 1);
    assert_eq!(health.calls_in_flight, 0);
    assert_eq!(health.component, host.component());

    // A component that loads but answers wrongly is unhealthy, with a reason.
    host.replace_component(&hostile_bytes()).unwrap();
    let health = host.health();
    assert!(!health.ok);
    assert!(
        health.problem.as_deref().unwrap().contains("sasl.xoauth2"),
        "{health:?}"
    );
}

#[test]
fn metrics_count_calls_failures_by_kind_and_time_per_tenant() {
    let host = host_with(&component_bytes(), 4);
    host.add_tenant("acme", TenantConfig::deny_all());
    host.add_tenant("globex", TenantConfig::deny_all());
    let token = Secret::new("t".to_owned());

    for _ in 0..3 {
        host.call("acme", |s| s.xoauth2("a@acme.test", &token))
            .unwrap()
            .unwrap();
    }
    // Typed failures: bad input, and a request the (deny-all) policy refuses.
    let bad = host
        .call("acme", |s| s.xoauth2("a\r\n@acme.test", &token))
        .unwrap()
        .unwrap_err();
    assert_eq!(bad.kind(), "invalid_input");
    let denied = host
        .call("acme", |s| s.discover("https://login.acme.test"))
        .unwrap()
        .unwrap_err();
    assert_eq!(denied.kind(), "http");

    let acme = host.metrics("acme").unwrap();
    assert_eq!(acme.calls, 5);
    assert_eq!(
        acme.failures
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect::<Vec<_>>(),
        [("http", 1), ("invalid_input", 1)]
    );
    assert!(acme.guest_time > std::time::Duration::ZERO);
    assert!(
        acme.host_time > std::time::Duration::ZERO,
        "the denied request ran in the host"
    );

    let globex = host.metrics("globex").unwrap();
    assert_eq!((globex.calls, globex.failures.len()), (0, 0));

    // Unknown tenants are not served, and not counted anywhere.
    let r: Option<Result<(), Error>> = host.call("initech", |_| Ok(()));
    assert!(r.is_none());
    assert!(host.metrics("initech").is_none());
    assert!(host.remove_tenant("globex"));
    assert!(host.call("globex", |_| Ok::<_, Error>(())).is_none());
}
