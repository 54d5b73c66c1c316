//! `preset-for-host` through the component and the runtime: the hosts the
//! WIT names, and every mail server of every preset, map back to their
//! preset; the matching is Thunderbird's (case, trailing dot, leading labels
//! dropped, an address read from its `@`); unknown hosts are `none`. No
//! request is made: the session's HTTP may reach nothing.

use std::sync::Arc;

use crate::common::plugin;
use mail_oauth_runtime::Session;
use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::http_client::{HttpClient, HttpLimits};
use mail_oauth_runtime::model::PresetKind;

/// A component instance that may reach nothing.
fn offline_session() -> Session {
    plugin()
        .session(Arc::new(HttpClient::new(
            EgressPolicy::deny_all(),
            HttpLimits::default(),
        )))
        .expect("component instantiates")
}

/// A printable, comparable name of a preset kind (the generated variant
/// has no `PartialEq`).
fn name(kind: &PresetKind) -> String {
    match kind {
        PresetKind::Google => "google".into(),
        PresetKind::Microsoft(tenant) => format!("microsoft({tenant})"),
        PresetKind::Yahoo => "yahoo".into(),
        PresetKind::Aol => "aol".into(),
        PresetKind::Fastmail => "fastmail".into(),
        PresetKind::Yandex => "yandex".into(),
        PresetKind::MailRu => "mail-ru".into(),
        PresetKind::Comcast => "comcast".into(),
        PresetKind::Seznam => "seznam".into(),
    }
}

fn lookup(session: &mut Session, host: &str) -> Option<String> {
    session
        .preset_for_host(host)
        .unwrap_or_else(|e| panic!("preset_for_host({host:?}): {e}"))
        .as_ref()
        .map(name)
}

#[test]
fn the_hosts_named_in_the_wit_map_to_their_preset() {
    let mut session = offline_session();
    let cases = [
        ("imap.gmail.com", "google"),
        ("gmail.com", "google"),
        ("googlemail.com", "google"),
        ("outlook.office365.com", "microsoft(common)"),
        ("smtp.office365.com", "microsoft(common)"),
        ("outlook.com", "microsoft(common)"),
        ("hotmail.com", "microsoft(common)"),
    ];
    for (host, expected) in cases {
        assert_eq!(
            lookup(&mut session, host).as_deref(),
            Some(expected),
            "{host}"
        );
    }
}

#[test]
fn every_presets_mail_servers_map_back_to_it() {
    let mut session = offline_session();
    let providers = session.providers().expect("providers");
    let ids: Vec<&str> = providers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "google",
            "microsoft",
            "yahoo",
            "aol",
            "fastmail",
            "yandex",
            "mail-ru",
            "comcast",
            "seznam"
        ],
        "the presets the WIT lists, in its order"
    );
    let mut checked = 0;
    for provider in &providers {
        assert!(
            !provider.mail_servers.is_empty(),
            "{} names no mail server",
            provider.id
        );
        for mail_server in &provider.mail_servers {
            let host = &mail_server.server.host;
            let kind = session
                .preset_for_host(host)
                .expect("preset_for_host")
                .unwrap_or_else(|| panic!("{host} ({}) maps to no preset", provider.id));
            if let PresetKind::Microsoft(tenant) = &kind {
                assert_eq!(tenant, "common", "{host}");
            }
            let preset = session.preset(kind.clone()).expect("the preset builds");
            assert_eq!(
                preset.id,
                provider.id,
                "{host} maps to {}, not to the preset that lists it",
                name(&kind)
            );
            assert_eq!(
                &preset,
                provider,
                "preset({}) is the provider `providers` lists",
                name(&kind)
            );
            checked += 1;
        }
    }
    assert!(checked >= providers.len(), "{checked} hosts checked");
}

#[test]
fn matching_is_thunderbirds_case_dot_labels_and_addresses() {
    let mut session = offline_session();
    let cases = [
        ("IMAP.GMail.COM", "google"),
        ("imap.gmail.com.", "google"),
        ("a.b.imap.gmail.com", "google"),
        ("alice@gmail.com", "google"),
        ("Bob@HotMail.com", "microsoft(common)"),
        ("carol@imap.googlemail.com.", "google"),
    ];
    for (host, expected) in cases {
        assert_eq!(
            lookup(&mut session, host).as_deref(),
            Some(expected),
            "{host}"
        );
    }
}

#[test]
fn unknown_hosts_are_none() {
    let mut session = offline_session();
    for host in [
        "",
        ".",
        "com",
        "example.test",
        "imap.example.test",
        "alice@example.test",
        "127.0.0.1",
        "::1",
        "localhost",
        // Labels, not string suffixes: these merely end like a known name.
        "notgmail.com",
        "evilhotmail.com",
        // A known name inside another domain is not that domain.
        "gmail.com.example.test",
        "imap.gmail.com.evil.test",
        "gmail",
        "alice@",
    ] {
        assert_eq!(lookup(&mut session, host), None, "{host:?}");
    }
}
