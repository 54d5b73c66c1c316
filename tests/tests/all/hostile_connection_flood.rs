//! Thousands of connections: the tenant's connection cap lets the component
//! hold only so many sockets; the rest are refused with a typed `denied`, and
//! every socket is closed when the call ends.

use std::io::Read;
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use crate::common::hostile::{assert_serves, attack, hostile_host};
use mail_oauth_runtime::TenantConfig;
use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::transport::TransportLimits;

/// Accepts connections forever; sends one message per connection when the
/// peer closes it.
fn closing_listener() -> (u16, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (closed, closes) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let closed = closed.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 64];
                // EOF (or a reset) means the host closed the socket.
                while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
                let _ = closed.send(());
            });
        }
    });
    (port, closes)
}

#[test]
fn a_connection_flood_is_capped_and_cleaned_up() {
    let (port, closes) = closing_listener();
    let cap = 16;
    let host = hostile_host();
    host.add_tenant(
        "victim",
        TenantConfig {
            mail_policy: EgressPolicy::deny_all()
                .allow_loopback(true)
                .allow_host_port("127.0.0.1", port)
                .unwrap(),
            transport_limits: TransportLimits {
                max_connections: Some(cap),
                ..TransportLimits::default()
            },
            ..TenantConfig::deny_all()
        },
    );

    for round in 0..2 {
        let answer = attack(
            &host,
            "victim",
            "connect-many",
            &format!("5000 127.0.0.1 {port}"),
        )
        .unwrap();
        assert!(
            answer.starts_with(&format!("opened {cap}; then TransportError::Denied(")),
            "round {round}: {answer}"
        );
        // Every socket the call held is closed now that it has ended. The
        // timeout only bounds a failure.
        for i in 0..cap {
            closes
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("round {round}: socket {i} was left open"));
        }
        assert!(
            closes.try_recv().is_err(),
            "no more than {cap} sockets were opened"
        );
    }
    assert_serves(&host, "victim");
    assert_serves(&host, "bystander");
}
