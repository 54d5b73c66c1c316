//! `preset_for_host`: every known mail host and e-mail domain finds its preset,
//! matched as Thunderbird does (ASCII lower case, a trailing dot dropped,
//! leading labels dropped one by one); anything else finds none.

use mail_oauth_guest::PresetKind::{
    self, Aol, Comcast, Fastmail, Google, MailRu, Seznam, Yahoo, Yandex,
};
use mail_oauth_guest::providers::{preset, preset_for_host, providers};

fn microsoft() -> PresetKind {
    PresetKind::Microsoft("common".into())
}

/// Every name of the table in `providers.rs`, with the preset it stands for.
fn table() -> Vec<(&'static str, PresetKind)> {
    vec![
        ("gmail.com", Google),
        ("googlemail.com", Google),
        ("office365.com", microsoft()),
        ("outlook.com", microsoft()),
        ("hotmail.com", microsoft()),
        ("live.com", microsoft()),
        ("msn.com", microsoft()),
        ("graph.microsoft.com", microsoft()),
        ("yahoo.com", Yahoo),
        ("att.net", Yahoo),
        ("ymail.com", Yahoo),
        ("rocketmail.com", Yahoo),
        ("aol.com", Aol),
        ("fastmail.com", Fastmail),
        ("fastmail.fm", Fastmail),
        ("yandex.com", Yandex),
        ("yandex.ru", Yandex),
        ("ya.ru", Yandex),
        ("mail.ru", MailRu),
        ("comcast.net", Comcast),
        ("seznam.cz", Seznam),
        ("email.cz", Seznam),
        ("post.cz", Seznam),
    ]
}

#[test]
fn every_name_of_the_table_and_its_subdomains_find_their_preset() {
    for (name, kind) in table() {
        assert_eq!(preset_for_host(name), Some(kind.clone()), "{name}");
        for prefix in ["imap.", "smtp.", "pop3.", "a.b.c."] {
            let host = format!("{prefix}{name}");
            assert_eq!(preset_for_host(&host), Some(kind.clone()), "{host}");
        }
    }
}

#[test]
fn the_wit_examples_find_their_preset() {
    let cases = [
        ("imap.gmail.com", Google),
        ("gmail.com", Google),
        ("googlemail.com", Google),
        ("outlook.office365.com", microsoft()),
        ("smtp.office365.com", microsoft()),
        ("outlook.com", microsoft()),
        ("hotmail.com", microsoft()),
        ("imap.mail.yahoo.com", Yahoo),
        ("yahoo.com", Yahoo),
        ("att.net", Yahoo),
        ("aol.com", Aol),
        ("imap.aol.com", Aol),
        ("imap.fastmail.com", Fastmail),
        ("imap.yandex.com", Yandex),
        ("smtp.yandex.com", Yandex),
        ("imap.mail.ru", MailRu),
        ("imap.comcast.net", Comcast),
        ("imap.seznam.cz", Seznam),
    ];
    for (host, kind) in cases {
        assert_eq!(preset_for_host(host), Some(kind), "{host}");
    }
}

#[test]
fn case_a_trailing_dot_and_an_address_do_not_matter() {
    let cases = [
        ("IMAP.GMAIL.COM", Google),
        ("imap.gmail.com.", Google),
        ("Outlook.Office365.COM.", microsoft()),
        ("me@Yahoo.com", Yahoo),
        ("First.Last@GoogleMail.com", Google),
        ("bob@att.net.", Yahoo),
        ("  smtp.fastmail.com  ", Fastmail),
    ];
    for (host, kind) in cases {
        assert_eq!(preset_for_host(host), Some(kind), "{host:?}");
    }
}

#[test]
fn unknown_names_find_none() {
    for host in [
        "",
        ".",
        "@",
        "com",
        "example.com",
        "imap.example.com",
        "notgmail.com",
        "gmail.co",
        "gmail.com.evil.example",
        "mail.ru.evil.example",
        "yahoo.com@evil.example",
        "outlook.office.evil",
        "gmail",
    ] {
        assert_eq!(preset_for_host(host), None, "{host:?}");
    }
}

#[test]
fn every_preset_mail_server_finds_its_own_preset() {
    let kinds = [
        Google,
        microsoft(),
        Yahoo,
        Aol,
        Fastmail,
        Yandex,
        MailRu,
        Comcast,
        Seznam,
    ];
    let list = providers();
    assert_eq!(list.len(), kinds.len());
    for (provider, kind) in list.iter().zip(kinds) {
        assert_eq!(&preset(&kind).unwrap(), provider);
        assert!(!provider.mail_servers.is_empty(), "{}", provider.id);
        for mail in &provider.mail_servers {
            assert_eq!(
                preset_for_host(&mail.server.host),
                Some(kind.clone()),
                "{}: {}",
                provider.id,
                mail.server.host
            );
        }
    }
}
