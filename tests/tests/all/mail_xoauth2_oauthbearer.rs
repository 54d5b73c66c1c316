//! XOAUTH2 and OAUTHBEARER against the real Dovecot (IMAP, POP3) and Postfix
//! (SMTP submission), each over implicit TLS and over STARTTLS/STLS, through
//! the component and the reference host, with a token from a real
//! authorization code flow; and once through the CLI's `check --json`.

use crate::common::{
    TempStore, authorized_account, last_json, local_server, mail_session, run, token_login,
};
use mail_oauth_runtime::model::{MailProtocol, Mechanism, Report, Secret, Security};
use mail_oauth_tests::peers;

/// The (port, security) pairs of one protocol on the peers.
fn endpoints(protocol: MailProtocol) -> [(u16, Security); 2] {
    match protocol {
        MailProtocol::Imap => [
            (peers::IMAPS_PORT, Security::ImplicitTls),
            (peers::IMAP_PORT, Security::Starttls),
        ],
        MailProtocol::Pop3 => [
            (peers::POP3S_PORT, Security::ImplicitTls),
            (peers::POP3_PORT, Security::Starttls),
        ],
        MailProtocol::Smtp => [
            (peers::SUBMISSIONS_PORT, Security::ImplicitTls),
            (peers::SUBMISSION_PORT, Security::Starttls),
        ],
    }
}

fn step_names(report: &Report) -> Vec<&str> {
    report.steps.iter().map(|s| s.name.as_str()).collect()
}

/// Everything a successful report must show, whatever the protocol.
fn assert_report(
    protocol: MailProtocol,
    security: Security,
    mechanism: Mechanism,
    report: &Report,
    secrets: &[&str],
) {
    let names = step_names(report);
    let context = format!(
        "{protocol:?} {security:?} {mechanism:?}: steps {names:?}, capabilities {:?}",
        report.capabilities
    );
    assert_eq!(report.mechanism, Some(mechanism), "{context}");
    assert_eq!(names.first(), Some(&"connect"), "{context}");
    assert!(names.contains(&"authenticate"), "{context}");
    let after_auth = match protocol {
        MailProtocol::Imap => "select",
        MailProtocol::Pop3 => "stat",
        MailProtocol::Smtp => "quit",
    };
    let auth_at = names.iter().position(|n| *n == "authenticate").unwrap();
    let next_at = names.iter().position(|n| *n == after_auth).expect(&context);
    assert!(auth_at < next_at, "{context}");
    let auth_detail = &report.steps[auth_at].detail;
    assert!(
        auth_detail.contains(match mechanism {
            Mechanism::Xoauth2 => "XOAUTH2",
            Mechanism::Oauthbearer => "OAUTHBEARER",
        }),
        "{auth_detail}"
    );
    assert!(
        report.refreshed.is_none(),
        "a bare access token is never refreshed"
    );

    // The mechanism list read last is the one the choice was made from.
    let caps = &report.capabilities;
    let upper: Vec<String> = caps.iter().map(|c| c.to_ascii_uppercase()).collect();
    let offers = |m: &str| match protocol {
        MailProtocol::Imap => upper.iter().any(|c| *c == format!("AUTH={m}")),
        MailProtocol::Pop3 | MailProtocol::Smtp => upper.iter().any(|c| {
            (c.starts_with("SASL ") || c.starts_with("AUTH ")) && c.split(' ').any(|w| w == m)
        }),
    };
    assert!(offers("XOAUTH2") && offers("OAUTHBEARER"), "{context}");

    let (tls_step, tls_word) = match protocol {
        MailProtocol::Imap => ("starttls", "STARTTLS"),
        MailProtocol::Pop3 => ("stls", "STLS"),
        MailProtocol::Smtp => ("starttls", "STARTTLS"),
    };
    let capability_step = match protocol {
        MailProtocol::Imap => "capability",
        MailProtocol::Pop3 => "capa",
        MailProtocol::Smtp => "ehlo",
    };
    match security {
        Security::Starttls => {
            let tls_at = names
                .iter()
                .position(|n| *n == tls_step)
                .unwrap_or_else(|| panic!("no {tls_step} step: {context}"));
            // The capabilities were asked for again over TLS, before AUTH.
            let caps_at = names
                .iter()
                .rposition(|n| *n == capability_step)
                .unwrap_or_else(|| panic!("no {capability_step} step: {context}"));
            assert!(tls_at < caps_at && caps_at < auth_at, "{context}");
            // What the server says over TLS no longer offers TLS: these are
            // not the plaintext capabilities. (Dovecot keeps LOGINDISABLED
            // after TLS too: only OAuth mechanisms are configured, so LOGIN
            // is never possible.)
            assert!(!upper.iter().any(|c| c == tls_word), "{context}");
            if protocol == MailProtocol::Imap {
                // The greeting's plaintext CAPABILITY code did offer it.
                assert!(report.greeting.contains("STARTTLS"), "{}", report.greeting);
            }
        }
        Security::ImplicitTls => {
            assert!(!names.contains(&tls_step), "{context}");
            assert!(!upper.iter().any(|c| c == tls_word), "{context}");
        }
        Security::Plain => unreachable!(),
    }

    // No credential anywhere in the report.
    for secret in secrets {
        assert!(!report.greeting.contains(secret), "{context}");
        for c in caps {
            assert!(!c.contains(secret), "{context}");
        }
        for step in &report.steps {
            assert!(
                !step.detail.contains(secret),
                "step {} leaks a credential",
                step.name
            );
        }
    }
}

/// Runs both mechanisms over both securities of `protocol` with one token.
fn verify_all(protocol: MailProtocol, account_name: &str) {
    peers::ensure_mail_up();
    let store = TempStore::new(account_name);
    let account = authorized_account(&store, account_name, peers::ALICE, peers::PUBLIC_CLIENT_ID);
    let token: Secret = account.tokens.access_token.clone();
    let accounts = store.accounts(true);
    for (port, security) in endpoints(protocol) {
        let server = local_server(port, security);
        for mechanism in [Mechanism::Xoauth2, Mechanism::Oauthbearer] {
            let mut session = mail_session(&accounts, &server);
            let xoauth2 = session.xoauth2(peers::ALICE, &token).unwrap();
            let oauthbearer = session
                .oauthbearer(peers::ALICE, &server.host, server.port, &token)
                .unwrap();
            let login = token_login(peers::ALICE, &token, Some(mechanism));
            let result = match protocol {
                MailProtocol::Imap => session.verify_imap(&server, &login),
                MailProtocol::Pop3 => session.verify_pop3(&server, &login),
                MailProtocol::Smtp => session.verify_smtp(&server, &login),
            };
            let report = result.unwrap_or_else(|e| {
                panic!(
                    "{protocol:?} {port} {security:?} {mechanism:?}: {e} ({:?})",
                    e.error
                )
            });
            assert_report(
                protocol,
                security,
                mechanism,
                &report,
                &[token.expose(), xoauth2.expose(), oauthbearer.expose()],
            );
        }
    }
}

#[test]
fn imap_xoauth2_and_oauthbearer_over_tls_and_starttls() {
    verify_all(MailProtocol::Imap, "imap");
}

#[test]
fn pop3_xoauth2_and_oauthbearer_over_tls_and_stls() {
    verify_all(MailProtocol::Pop3, "pop3");
}

#[test]
fn smtp_xoauth2_and_oauthbearer_over_starttls_and_tls() {
    verify_all(MailProtocol::Smtp, "smtp");
}

/// protocol, port, `--security`, `--mechanism`, expected mechanism, expected steps.
type CliCase = (
    &'static str,
    u16,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static [&'static str],
);

/// The CLI's `check --json` against each protocol, one mechanism forced, one
/// chosen by the component (XOAUTH2 when offered).
#[test]
fn cli_check_json_reports_mechanism_and_steps() {
    peers::ensure_mail_up();
    let store = TempStore::new("cli-check");
    let account = authorized_account(&store, "alice", peers::ALICE, peers::PUBLIC_CLIENT_ID);
    let token = account.tokens.access_token.expose().to_owned();
    let cases: [CliCase; 4] = [
        (
            "imap",
            peers::IMAP_PORT,
            "starttls",
            Some("oauthbearer"),
            "oauthbearer",
            &[
                "connect",
                "greeting",
                "starttls",
                "capability",
                "authenticate",
                "select",
                "logout",
            ],
        ),
        (
            "imap",
            peers::IMAPS_PORT,
            "tls",
            None,
            "xoauth2",
            &["connect", "greeting", "authenticate", "select", "logout"],
        ),
        (
            "pop3",
            peers::POP3S_PORT,
            "tls",
            Some("xoauth2"),
            "xoauth2",
            &[
                "connect",
                "greeting",
                "capa",
                "authenticate",
                "stat",
                "quit",
            ],
        ),
        (
            "smtp",
            peers::SUBMISSION_PORT,
            "starttls",
            Some("oauthbearer"),
            "oauthbearer",
            &[
                "connect",
                "greeting",
                "ehlo",
                "starttls",
                "ehlo",
                "authenticate",
                "quit",
            ],
        ),
    ];
    for (protocol, port, security, forced, expected, steps) in cases {
        let mut cmd = store.cli();
        cmd.args([
            "--allow-loopback",
            "--json",
            "check",
            protocol,
            "--account",
            "alice",
        ])
        .arg("--server")
        .arg(format!("{}:{port}", peers::HOST))
        .args(["--security", security]);
        if let Some(m) = forced {
            cmd.args(["--mechanism", m]);
        }
        let (out, stdout, stderr) = run(&mut cmd);
        assert!(out.status.success(), "{protocol} {port}: {stdout} {stderr}");
        let v = last_json(&stdout);
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["mechanism"], expected, "{v}");
        assert_eq!(v["server"]["port"], port, "{v}");
        let names: Vec<&str> = v["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| s["name"].as_str().expect("step name"))
            .collect();
        assert_eq!(names, steps, "{protocol} {port}: {v}");
        assert!(!stdout.contains(&token) && !stderr.contains(&token));
    }
}
