//! The host's peer names and egress classification: the policy check and
//! the connection normalize a host identically (the key the check compares
//! is the name the transport resolves and connects to), normalizing twice
//! changes nothing, a host allowed by one spelling is allowed by its
//! normalized one, and an IP literal's verdict is its address class's.
#![no_main]

use std::net::SocketAddr;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mail_oauth_fuzz::egress::{EgressPolicy, PeerName, PolicyDenial};

#[derive(Arbitrary, Debug)]
struct Input {
    host: String,
    other: String,
    port: u16,
    loopback: bool,
    private: bool,
}

fuzz_target!(|input: Input| {
    let Input {
        host,
        other,
        port,
        loopback,
        private,
    } = input;
    let open = EgressPolicy::deny_all()
        .allow_loopback(loopback)
        .allow_private(private);
    let peer = PeerName::parse(&host);
    // Nothing allowed: the denial names the key the check compared.
    match (open.check_host_port(&host, port), &peer) {
        (
            Err(PolicyDenial::NotAllowed {
                host: key, port: p, ..
            }),
            Ok(peer),
        ) => {
            assert_eq!(
                key,
                peer.to_string(),
                "check and connect disagree on {host:?}"
            );
            assert_eq!(p, port);
        }
        (Err(PolicyDenial::MissingHost), Err(_)) => return,
        (verdict, peer) => panic!("{host:?}: check {verdict:?}, parse {peer:?}"),
    }
    let peer = peer.expect("parsed above");
    let key = peer.to_string();
    assert_eq!(
        PeerName::parse(&key).as_ref(),
        Ok(&peer),
        "normalizing {key:?} again"
    );

    let policy = open
        .clone()
        .allow_host_port(&host, port)
        .expect("parsed above");
    let verdict = policy.check_host_port(&host, port);
    assert_eq!(
        verdict,
        policy.check_host_port(&key, port),
        "{host:?} vs {key:?}"
    );
    match &peer {
        PeerName::Ip(ip) => {
            // A literal address: allowed exactly when its class is.
            let addr = SocketAddr::new(*ip, port);
            assert_eq!(verdict.is_ok(), policy.check_addr(addr).is_ok(), "{ip}");
            assert_eq!(
                verdict.is_ok(),
                policy.check_resolved("tcp", &key, &[addr]).is_ok(),
                "{ip}"
            );
        }
        PeerName::Dns(name) => {
            assert!(verdict.is_ok(), "an allowed name refused: {verdict:?}");
            assert!(
                name.is_ascii() && *name == name.to_ascii_lowercase(),
                "{name:?}"
            );
        }
    }
    // Another host is allowed exactly when it normalizes to the same key.
    if let Ok(other_peer) = PeerName::parse(&other) {
        let same = other_peer == peer;
        let allowed = !matches!(
            policy.check_host_port(&other, port),
            Err(PolicyDenial::NotAllowed { .. })
        );
        assert_eq!(same, allowed, "{other:?} against {host:?}");
    }
});
