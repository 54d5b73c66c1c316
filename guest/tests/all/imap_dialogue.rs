//! The IMAP dialogue: the exact bytes sent for SASL-IR and continuation
//! AUTHENTICATE, STARTTLS ordering, mechanism choice, error challenges, and the
//! command after authentication.

use mail_oauth_guest::mail::{
    CommandRejection, MailError, Mechanism, SaslRejection, Security, verify_imap,
};

use crate::mail_common::*;

const HOST: &str = "imap.example.test";

#[test]
fn sasl_ir_sends_the_initial_response_inline() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let ir = xoauth2(USER, TOKEN);
    let script = Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=PLAIN] ready")
        .client(&format!("A1 AUTHENTICATE XOAUTH2 {ir}"))
        .server("* CAPABILITY IMAP4rev1 IDLE")
        .server("A1 OK Success")
        .client("A2 EXAMINE INBOX")
        .server("* FLAGS (\\Answered \\Seen)")
        .server("* 3 EXISTS")
        .server("* OK [UIDVALIDITY 1] UIDs valid")
        .server("A2 OK [READ-ONLY] EXAMINE completed")
        .client("A3 LOGOUT")
        .server("* BYE logging out")
        .server("A3 OK done");
    let transport = FakeTransport::new(&server, script);
    let report = verify_imap(&transport, &NoHttp, &server, &login(TOKEN)).unwrap();
    transport.assert_done();

    assert_eq!(report.mechanism, Some(Mechanism::Xoauth2));
    assert_eq!(
        report.greeting,
        "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=PLAIN] ready"
    );
    assert_eq!(
        report.capabilities,
        ["IMAP4rev1", "SASL-IR", "AUTH=XOAUTH2", "AUTH=PLAIN"]
    );
    assert_eq!(report.refreshed, None);
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["connect", "greeting", "authenticate", "select", "logout"]
    );
    let auth = &report.steps[2];
    assert_eq!(
        auth.detail,
        "AUTHENTICATE XOAUTH2 [initial response] → A1 OK Success"
    );
    assert!(
        report.steps[3].detail.contains("3 messages"),
        "{:?}",
        report.steps[3]
    );
    assert_eq!(report.steps[4].detail, "A3 OK done");
}

#[test]
fn without_sasl_ir_the_response_follows_the_continuation() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let ir = xoauth2(USER, TOKEN);
    let script = Script::new()
        .server("* OK IMAP ready")
        .client("A1 CAPABILITY")
        .server("* CAPABILITY IMAP4rev1 AUTH=XOAUTH2")
        .server("A1 OK CAPABILITY completed")
        .client("A2 AUTHENTICATE XOAUTH2")
        .server("+ ")
        .client(&ir)
        .server("A2 OK authenticated")
        .client("A3 EXAMINE INBOX")
        .server("A3 OK [READ-ONLY] done")
        .client("A4 LOGOUT")
        .server("* BYE")
        .server("A4 OK bye");
    let transport = FakeTransport::new(&server, script);
    let report = verify_imap(&transport, &NoHttp, &server, &login(TOKEN)).unwrap();
    transport.assert_done();
    assert_eq!(report.capabilities, ["IMAP4rev1", "AUTH=XOAUTH2"]);
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "connect",
            "greeting",
            "capability",
            "authenticate",
            "select",
            "logout"
        ]
    );
}

#[test]
fn starttls_rereads_capabilities_and_authenticates_only_over_tls() {
    let server = server(HOST, 143, Security::Starttls);
    // Before TLS the server (or an attacker) claims XOAUTH2 and SASL-IR; after
    // TLS only OAUTHBEARER without SASL-IR: the client must follow the latter.
    let ir = oauthbearer(USER, HOST, 143, TOKEN);
    let script = Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 STARTTLS SASL-IR AUTH=XOAUTH2] hi")
        .client("A1 STARTTLS")
        .server("A1 OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] Begin TLS now")
        .upgrade()
        .client("A2 CAPABILITY")
        .server("* CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER")
        .server("A2 OK done")
        .client("A3 AUTHENTICATE OAUTHBEARER")
        .server("+")
        .client(&ir)
        .server("A3 OK welcome")
        .client("A4 EXAMINE INBOX")
        .server("A4 OK done")
        .client("A5 LOGOUT")
        .server("A5 OK bye");
    let transport = FakeTransport::new(&server, script);
    let report = verify_imap(&transport, &NoHttp, &server, &login(TOKEN)).unwrap();
    transport.assert_done();
    assert_eq!(report.mechanism, Some(Mechanism::Oauthbearer));
    assert_eq!(report.capabilities, ["IMAP4rev1", "AUTH=OAUTHBEARER"]);

    let seen = transport.seen(0);
    let carrying: Vec<bool> = seen
        .writes
        .iter()
        .filter(|(_, bytes)| String::from_utf8_lossy(bytes).contains(&ir))
        .map(|(tls, _)| *tls)
        .collect();
    assert_eq!(carrying, [true], "the response is sent once, over TLS");
    assert!(!seen.writes[0].0, "STARTTLS itself goes before TLS");
    assert!(
        !transport.written(0).contains(TOKEN),
        "the raw token never travels"
    );
}

#[test]
fn starttls_without_greeting_capabilities_is_sent_directly() {
    let server = server(HOST, 143, Security::Starttls);
    let ir = xoauth2(USER, TOKEN);
    let script = Script::new()
        .server("* OK hi")
        .client("A1 STARTTLS")
        .server("A1 OK go")
        .upgrade()
        .client("A2 CAPABILITY")
        .server("* CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER")
        .server("A2 OK done")
        .client(&format!("A3 AUTHENTICATE XOAUTH2 {ir}"))
        .server("A3 OK in")
        .client("A4 EXAMINE INBOX")
        .server("A4 OK done")
        .client("A5 LOGOUT")
        .fail(mail_oauth_guest::mail::TransportError::Closed);
    let transport = FakeTransport::new(&server, script);
    let report = verify_imap(&transport, &NoHttp, &server, &login(TOKEN)).unwrap();
    transport.assert_done();
    assert_eq!(
        report.mechanism,
        Some(Mechanism::Xoauth2),
        "XOAUTH2 preferred"
    );
    let logout = report.steps.last().unwrap();
    assert_eq!(logout.name, "logout");
    assert_eq!(logout.detail, "the server closed the connection");
}

#[test]
fn starttls_not_advertised_or_refused_is_tls_unavailable() {
    let server = server(HOST, 143, Security::Starttls);
    let script = Script::new().server("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] hi");
    let transport = FakeTransport::new(&server, script);
    let error = verify_imap(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert!(matches!(error, MailError::TlsUnavailable(_)), "{error:?}");
    assert_eq!(transport.written(0), "", "nothing is sent");

    let script = Script::new()
        .server("* OK hi")
        .client("A1 STARTTLS")
        .server("A1 BAD unknown command");
    let transport = FakeTransport::new(&server, script);
    let error = verify_imap(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(
        error,
        MailError::TlsUnavailable("A1 BAD unknown command".into())
    );
}

#[test]
fn oauthbearer_is_used_when_only_it_is_offered_or_when_forced() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let ir = oauthbearer(USER, HOST, 993, TOKEN);
    for (caps, forced) in [
        ("IMAP4rev1 SASL-IR AUTH=OAUTHBEARER", None),
        (
            "IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER",
            Some(Mechanism::Oauthbearer),
        ),
    ] {
        let script = Script::new()
            .server(&format!("* OK [CAPABILITY {caps}] hi"))
            .client(&format!("A1 AUTHENTICATE OAUTHBEARER {ir}"))
            .server("A1 OK in")
            .client("A2 EXAMINE INBOX")
            .server("A2 OK done")
            .client("A3 LOGOUT")
            .server("A3 OK bye");
        let transport = FakeTransport::new(&server, script);
        let mut login = login(TOKEN);
        login.mechanism = forced;
        let report = verify_imap(&transport, &NoHttp, &server, &login).unwrap();
        transport.assert_done();
        assert_eq!(report.mechanism, Some(Mechanism::Oauthbearer));
    }
}

#[test]
fn neither_mechanism_is_no_mechanism_with_the_auth_list() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let script =
        Script::new().server("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN SASL-IR] hi");
    let transport = FakeTransport::new(&server, script);
    let error = verify_imap(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(
        error,
        MailError::NoMechanism(vec!["PLAIN".into(), "LOGIN".into()])
    );

    // A forced mechanism the server does not offer fails the same way.
    let script = Script::new().server("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] hi");
    let transport = FakeTransport::new(&server, script);
    let mut login = login(TOKEN);
    login.mechanism = Some(Mechanism::Oauthbearer);
    let error = verify_imap(&transport, &NoHttp, &server, &login)
        .unwrap_err()
        .error;
    assert_eq!(error, MailError::NoMechanism(vec!["XOAUTH2".into()]));
}

#[test]
fn an_error_challenge_is_answered_and_decoded_into_sasl_rejected() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let json = r#"{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}"#;
    for (mechanism, ir, ack) in [
        (Mechanism::Xoauth2, xoauth2(USER, TOKEN), ""),
        (
            Mechanism::Oauthbearer,
            oauthbearer(USER, HOST, 993, TOKEN),
            "AQ==",
        ),
    ] {
        let name = if mechanism == Mechanism::Xoauth2 {
            "XOAUTH2"
        } else {
            "OAUTHBEARER"
        };
        let script = Script::new()
            .server("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER] hi")
            .client(&format!("A1 AUTHENTICATE {name} {ir}"))
            .server(&format!("+ {}", challenge(json)))
            .client(ack)
            .server("A1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)");
        let transport = FakeTransport::new(&server, script);
        let mut login = login(TOKEN);
        login.mechanism = Some(mechanism);
        let error = verify_imap(&transport, &NoHttp, &server, &login)
            .unwrap_err()
            .error;
        transport.assert_done();
        assert_eq!(
            error,
            MailError::SaslRejected(SaslRejection {
                status: Some("400".into()),
                scope: Some("https://mail.google.com/".into()),
                server_text: "A1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)".into(),
            })
        );
    }
}

#[test]
fn a_plain_no_without_challenge_is_sasl_rejected_without_status() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let script = Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] hi")
        .client("A1 AUTHENTICATE XOAUTH2")
        .server("+ ")
        .client(&xoauth2(USER, TOKEN))
        .server("A1 NO AUTHENTICATE failed.");
    let transport = FakeTransport::new(&server, script);
    let error = verify_imap(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(
        error,
        MailError::SaslRejected(SaslRejection {
            status: None,
            scope: None,
            server_text: "A1 NO AUTHENTICATE failed.".into(),
        })
    );
}

#[test]
fn examine_refused_after_authentication_is_command_rejected() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let script = Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi")
        .client(&format!("A1 AUTHENTICATE XOAUTH2 {}", xoauth2(USER, TOKEN)))
        .server("A1 OK AUTHENTICATE completed.")
        .client("A2 EXAMINE INBOX")
        .server("A2 NO User is authenticated but not connected.");
    let transport = FakeTransport::new(&server, script);
    let error = verify_imap(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(
        error,
        MailError::CommandRejected(CommandRejection {
            step: "select".into(),
            reply: "A2 NO User is authenticated but not connected.".into(),
            code: None,
        })
    );
}

#[test]
fn literals_and_untagged_data_are_consumed() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let script = Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi")
        .client(&format!("A1 AUTHENTICATE XOAUTH2 {}", xoauth2(USER, TOKEN)))
        .server("* ENABLED")
        .server("A1 OK in")
        .client("A2 EXAMINE INBOX")
        // A literal in untagged data: its bytes hold CRLF and look like a
        // tagged reply, and must not be read as lines.
        .server("* LIST () \"/\" {14}")
        .raw(b"A2 NO fake\r\nxy")
        .server(" and more {3+}")
        .raw(b"abc")
        .server("")
        .server("* 0 EXISTS")
        .server("A2 OK done")
        .client("A3 LOGOUT")
        .server("A3 OK bye");
    let transport = FakeTransport::new(&server, script);
    let report = verify_imap(&transport, &NoHttp, &server, &login(TOKEN)).unwrap();
    transport.assert_done();
    assert!(report.steps[3].detail.contains("0 messages"));
}

#[test]
fn a_bye_greeting_is_refused_and_preauth_cannot_verify() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let transport = FakeTransport::new(&server, Script::new().server("* BYE too many connections"));
    let error = verify_imap(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    assert_eq!(
        error,
        MailError::CommandRejected(CommandRejection {
            step: "greeting".into(),
            reply: "* BYE too many connections".into(),
            code: None,
        })
    );

    let transport = FakeTransport::new(&server, Script::new().server("* PREAUTH welcome"));
    let error = verify_imap(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert!(
        matches!(&error, MailError::ProtocolViolation(r) if r.step == "greeting"),
        "{error:?}"
    );
    assert_eq!(transport.written(0), "");
}
