//! The POP3 dialogue: CAPA, STLS ordering, AUTH in two steps (the response only
//! after `+`), error challenges, STAT.

use mail_oauth_guest::mail::{
    CommandRejection, MailError, Mechanism, SaslRejection, Security, verify_pop3,
};

use crate::mail_common::*;

const HOST: &str = "pop.example.test";

#[test]
fn xoauth2_is_sent_in_two_steps_then_stat_and_quit() {
    let server = server(HOST, 995, Security::ImplicitTls);
    let script = Script::new()
        .server("+OK POP3 ready")
        .client("CAPA")
        .server("+OK capability list follows")
        .server("USER")
        .server("SASL PLAIN XOAUTH2 OAUTHBEARER")
        .server("UIDL")
        .server(".")
        .client("AUTH XOAUTH2")
        .server("+ ")
        .client(&xoauth2(USER, TOKEN))
        .server("+OK User successfully authenticated.")
        .client("STAT")
        .server("+OK 2 320")
        .client("QUIT")
        .server("+OK bye");
    let transport = FakeTransport::new(&server, script);
    let report = verify_pop3(&transport, &NoHttp, &server, &login(TOKEN)).unwrap();
    transport.assert_done();
    assert_eq!(report.mechanism, Some(Mechanism::Xoauth2));
    assert_eq!(report.greeting, "+OK POP3 ready");
    assert_eq!(
        report.capabilities,
        ["USER", "SASL PLAIN XOAUTH2 OAUTHBEARER", "UIDL"]
    );
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "connect",
            "greeting",
            "capa",
            "authenticate",
            "stat",
            "quit"
        ]
    );
    assert_eq!(report.steps[4].detail, "+OK 2 320");
    assert!(
        report.steps[3].detail.contains("[initial response]"),
        "{:?}",
        report.steps[3]
    );
}

#[test]
fn stls_comes_first_and_capa_is_asked_again_over_tls() {
    let server = server(HOST, 110, Security::Starttls);
    let ir = oauthbearer(USER, HOST, 110, TOKEN);
    let script = Script::new()
        .server("+OK ready")
        .client("CAPA")
        .server("+OK")
        .server("STLS")
        .server("SASL XOAUTH2")
        .server(".")
        .client("STLS")
        .server("+OK Begin TLS")
        .upgrade()
        .client("CAPA")
        .server("+OK")
        .server("SASL OAUTHBEARER")
        .server(".")
        .client("AUTH OAUTHBEARER")
        .server("+")
        .client(&ir)
        .server("+OK in")
        .client("STAT")
        .server("+OK 0 0")
        .client("QUIT")
        .fail(mail_oauth_guest::mail::TransportError::Closed);
    let transport = FakeTransport::new(&server, script);
    let report = verify_pop3(&transport, &NoHttp, &server, &login(TOKEN)).unwrap();
    transport.assert_done();
    assert_eq!(report.mechanism, Some(Mechanism::Oauthbearer));
    assert_eq!(report.capabilities, ["SASL OAUTHBEARER"]);
    let seen = transport.seen(0);
    for (tls, bytes) in &seen.writes {
        if String::from_utf8_lossy(bytes).contains(&ir) {
            assert!(tls, "the response travels only over TLS");
        }
    }
}

#[test]
fn stls_not_advertised_is_tls_unavailable() {
    let server = server(HOST, 110, Security::Starttls);
    let script = Script::new()
        .server("+OK ready")
        .client("CAPA")
        .server("+OK")
        .server("SASL XOAUTH2")
        .server(".");
    let transport = FakeTransport::new(&server, script);
    let error = verify_pop3(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert!(matches!(error, MailError::TlsUnavailable(_)), "{error:?}");
}

#[test]
fn without_capa_only_a_forced_mechanism_is_tried() {
    let server = server(HOST, 995, Security::ImplicitTls);
    let script = Script::new()
        .server("+OK ready")
        .client("CAPA")
        .server("-ERR unknown command");
    let transport = FakeTransport::new(&server, script);
    let error = verify_pop3(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(error, MailError::NoMechanism(Vec::new()));

    let script = Script::new()
        .server("+OK ready")
        .client("CAPA")
        .server("-ERR unknown command")
        .client("AUTH XOAUTH2")
        .server("+ ")
        .client(&xoauth2(USER, TOKEN))
        .server("+OK")
        .client("STAT")
        .server("+OK 1 10")
        .client("QUIT")
        .server("+OK");
    let transport = FakeTransport::new(&server, script);
    let mut login = login(TOKEN);
    login.mechanism = Some(Mechanism::Xoauth2);
    let report = verify_pop3(&transport, &NoHttp, &server, &login).unwrap();
    transport.assert_done();
    assert!(report.capabilities.is_empty());
}

#[test]
fn an_error_challenge_is_acknowledged_and_the_err_is_sasl_rejected() {
    let server = server(HOST, 995, Security::ImplicitTls);
    let json = r#"{"status":"invalid_token","scope":"pop"}"#;
    for (name, ir, ack) in [
        ("XOAUTH2", xoauth2(USER, TOKEN), ""),
        ("OAUTHBEARER", oauthbearer(USER, HOST, 995, TOKEN), "AQ=="),
    ] {
        let script = Script::new()
            .server("+OK ready")
            .client("CAPA")
            .server("+OK")
            .server(&format!("SASL {name}"))
            .server(".")
            .client(&format!("AUTH {name}"))
            .server("+ ")
            .client(&ir)
            .server(&format!("+ {}", challenge(json)))
            .client(ack)
            .server("-ERR Authentication failed.");
        let transport = FakeTransport::new(&server, script);
        let error = verify_pop3(&transport, &NoHttp, &server, &login(TOKEN))
            .unwrap_err()
            .error;
        transport.assert_done();
        assert_eq!(
            error,
            MailError::SaslRejected(SaslRejection {
                status: Some("invalid_token".into()),
                scope: Some("pop".into()),
                server_text: "-ERR Authentication failed.".into(),
            })
        );
    }
}

#[test]
fn stat_refused_after_authentication_is_command_rejected() {
    let server = server(HOST, 995, Security::ImplicitTls);
    let script = Script::new()
        .server("+OK ready")
        .client("CAPA")
        .server("+OK")
        .server("SASL XOAUTH2")
        .server(".")
        .client("AUTH XOAUTH2")
        .server("+ ")
        .client(&xoauth2(USER, TOKEN))
        .server("+OK")
        .client("STAT")
        .server("-ERR mailbox locked");
    let transport = FakeTransport::new(&server, script);
    let error = verify_pop3(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(
        error,
        MailError::CommandRejected(CommandRejection {
            step: "stat".into(),
            reply: "-ERR mailbox locked".into(),
            code: None,
        })
    );
}
