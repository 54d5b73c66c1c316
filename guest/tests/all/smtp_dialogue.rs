//! The SMTP dialogue: multi-line replies, STARTTLS ordering, the RFC 4954
//! 512-octet rule for the initial response, and error challenges.

use mail_oauth_guest::mail::{MailError, Mechanism, SaslRejection, Security, verify_smtp};

use crate::mail_common::*;

const HOST: &str = "smtp.example.test";

fn ehlo_reply(script: Script, auth: &str) -> Script {
    script
        .server("250-smtp.example.test at your service, [192.0.2.1]")
        .server("250-SIZE 35882577")
        .server("250-8BITMIME")
        .server(&format!("250-AUTH {auth}"))
        .server("250-ENHANCEDSTATUSCODES")
        .server("250 SMTPUTF8")
}

#[test]
fn a_short_response_goes_on_the_auth_line() {
    let server = server(HOST, 465, Security::ImplicitTls);
    let ir = xoauth2(USER, TOKEN);
    let script = Script::new()
        .server("220-smtp.example.test ESMTP")
        .server("220 ready")
        .client("EHLO localhost");
    let script = ehlo_reply(script, "LOGIN PLAIN XOAUTH2 OAUTHBEARER")
        .client(&format!("AUTH XOAUTH2 {ir}"))
        .server("235 2.7.0 Accepted")
        .client("QUIT")
        .server("221 2.0.0 closing connection");
    let transport = FakeTransport::new(&server, script);
    let report = verify_smtp(&transport, &NoHttp, &server, &login(TOKEN)).unwrap();
    transport.assert_done();
    assert_eq!(report.mechanism, Some(Mechanism::Xoauth2));
    assert_eq!(report.greeting, "220 smtp.example.test ESMTP, ready");
    assert_eq!(
        report.capabilities,
        [
            "SIZE 35882577",
            "8BITMIME",
            "AUTH LOGIN PLAIN XOAUTH2 OAUTHBEARER",
            "ENHANCEDSTATUSCODES",
            "SMTPUTF8"
        ]
    );
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["connect", "greeting", "ehlo", "authenticate", "quit"]
    );
    assert_eq!(
        report.steps[3].detail,
        "AUTH XOAUTH2 [initial response] → 235 2.7.0 Accepted"
    );
}

#[test]
fn a_long_response_is_sent_after_334() {
    let server = server(HOST, 465, Security::ImplicitTls);
    let token = "t".repeat(600);
    let ir = xoauth2(USER, &token);
    let script = Script::new().server("220 ready").client("EHLO localhost");
    let script = ehlo_reply(script, "XOAUTH2")
        .client("AUTH XOAUTH2")
        .server("334 ")
        .client(&ir)
        .server("235 2.7.0 Accepted")
        .client("QUIT")
        .server("221 bye");
    let transport = FakeTransport::new(&server, script);
    let report = verify_smtp(&transport, &NoHttp, &server, &login(&token)).unwrap();
    transport.assert_done();
    assert_eq!(report.mechanism, Some(Mechanism::Xoauth2));
}

#[test]
fn the_512_octet_limit_decides_inline_or_continuation() {
    let server = server(HOST, 465, Security::ImplicitTls);
    let mut seen = (false, false);
    for len in 325..345 {
        let token = "k".repeat(len);
        let ir = xoauth2(USER, &token);
        let line = format!("AUTH XOAUTH2 {ir}\r\n");
        let script = Script::new().server("220 ready").client("EHLO localhost");
        let script = ehlo_reply(script, "XOAUTH2");
        let script = if line.len() <= 512 {
            seen.0 = true;
            script.client(&format!("AUTH XOAUTH2 {ir}"))
        } else {
            seen.1 = true;
            script.client("AUTH XOAUTH2").server("334 ").client(&ir)
        };
        let script = script.server("235 ok").client("QUIT").server("221 bye");
        let transport = FakeTransport::new(&server, script);
        verify_smtp(&transport, &NoHttp, &server, &login(&token)).unwrap();
        transport.assert_done();
    }
    assert_eq!(seen, (true, true), "both sides of the limit were exercised");
}

#[test]
fn starttls_then_ehlo_again_and_only_tls_extensions_count() {
    let server = server(HOST, 587, Security::Starttls);
    let ir = oauthbearer(USER, HOST, 587, TOKEN);
    let script = Script::new()
        .server("220 ready")
        .client("EHLO localhost")
        .server("250-smtp.example.test")
        .server("250-STARTTLS")
        .server("250 AUTH XOAUTH2")
        .client("STARTTLS")
        .server("220 2.0.0 Ready to start TLS")
        .upgrade()
        .client("EHLO localhost")
        .server("250-smtp.example.test")
        .server("250 AUTH=OAUTHBEARER")
        .client(&format!("AUTH OAUTHBEARER {ir}"))
        .server("235 ok")
        .client("QUIT")
        .server("221 bye");
    let transport = FakeTransport::new(&server, script);
    let report = verify_smtp(&transport, &NoHttp, &server, &login(TOKEN)).unwrap();
    transport.assert_done();
    assert_eq!(report.mechanism, Some(Mechanism::Oauthbearer));
    assert_eq!(report.capabilities, ["AUTH=OAUTHBEARER"]);
    let seen = transport.seen(0);
    for (tls, bytes) in &seen.writes {
        if String::from_utf8_lossy(bytes).contains(&ir) {
            assert!(tls, "the response travels only over TLS");
        }
    }
}

#[test]
fn starttls_not_advertised_is_tls_unavailable() {
    let server = server(HOST, 587, Security::Starttls);
    let script = Script::new()
        .server("220 ready")
        .client("EHLO localhost")
        .server("250-smtp.example.test")
        .server("250 AUTH XOAUTH2");
    let transport = FakeTransport::new(&server, script);
    let error = verify_smtp(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert!(matches!(error, MailError::TlsUnavailable(_)), "{error:?}");
}

#[test]
fn a_334_challenge_is_acknowledged_and_535_is_sasl_rejected() {
    let server = server(HOST, 465, Security::ImplicitTls);
    let json = r#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#;
    for (name, ir, ack) in [
        ("XOAUTH2", xoauth2(USER, TOKEN), ""),
        ("OAUTHBEARER", oauthbearer(USER, HOST, 465, TOKEN), "AQ=="),
    ] {
        let script = Script::new().server("220 ready").client("EHLO localhost");
        let script = ehlo_reply(script, name)
            .client(&format!("AUTH {name} {ir}"))
            .server(&format!("334 {}", challenge(json)))
            .client(ack)
            .server("535-5.7.8 Username and Password not accepted.")
            .server("535 5.7.8 https://support.example.test/answer");
        let transport = FakeTransport::new(&server, script);
        let error = verify_smtp(&transport, &NoHttp, &server, &login(TOKEN))
            .unwrap_err()
            .error;
        transport.assert_done();
        assert_eq!(
            error,
            MailError::SaslRejected(SaslRejection {
                status: Some("401".into()),
                scope: Some("https://mail.google.com/".into()),
                server_text: "535 5.7.8 https://support.example.test/answer".into(),
            })
        );
    }
}

#[test]
fn a_reply_whose_code_changes_or_is_not_three_digits_breaks_the_protocol() {
    let server = server(HOST, 465, Security::ImplicitTls);
    for (lines, bad) in [
        (
            vec!["250-smtp.example.test", "220 AUTH XOAUTH2"],
            "220 AUTH XOAUTH2",
        ),
        (
            vec!["250-smtp.example.test", "25 AUTH XOAUTH2"],
            "25 AUTH XOAUTH2",
        ),
        (vec!["2500 smtp.example.test"], "2500 smtp.example.test"),
        (
            vec!["250-smtp.example.test", "250+AUTH XOAUTH2"],
            "250+AUTH XOAUTH2",
        ),
    ] {
        let mut script = Script::new().server("220 ready").client("EHLO localhost");
        for line in lines {
            script = script.server(line);
        }
        let transport = FakeTransport::new(&server, script);
        let error = verify_smtp(&transport, &NoHttp, &server, &login(TOKEN))
            .unwrap_err()
            .error;
        transport.assert_done();
        match error {
            MailError::ProtocolViolation(rejection) => {
                assert_eq!(rejection.step, "ehlo");
                assert_eq!(rejection.reply, bad);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_554_greeting_is_refused() {
    let server = server(HOST, 465, Security::ImplicitTls);
    let transport = FakeTransport::new(&server, Script::new().server("554 no service"));
    let error = verify_smtp(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert!(
        matches!(&error, MailError::CommandRejected(r) if r.step == "greeting" && r.reply == "554 no service"),
        "{error:?}"
    );
}
