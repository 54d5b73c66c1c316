//! Transport faults and broken servers: each surfaces as its own error case,
//! never as a panic or a hang.

use mail_oauth_guest::mail::{
    Credentials, MAX_LINE, MailError, Security, TransportError, verify_imap, verify_pop3,
    verify_smtp,
};

use crate::mail_common::*;

const HOST: &str = "imap.example.test";

#[test]
fn a_connection_closed_during_auth_is_transport_closed() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let script = Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] hi")
        .client("A1 AUTHENTICATE XOAUTH2")
        .server("+ ")
        .client(&xoauth2(USER, TOKEN))
        .fail(TransportError::Closed);
    let transport = FakeTransport::new(&server, script);
    let error = verify_imap(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(error, MailError::Transport(TransportError::Closed));
}

#[test]
fn a_greeting_timeout_is_transport_timeout() {
    let smtp = server("smtp.example.test", 465, Security::ImplicitTls);
    let transport = FakeTransport::new(&smtp, Script::new().fail(TransportError::Timeout));
    let error = verify_smtp(&transport, &NoHttp, &smtp, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(error, MailError::Transport(TransportError::Timeout));
}

#[test]
fn a_refused_connection_is_transport_refused() {
    let server = server("pop.example.test", 995, Security::ImplicitTls);
    let refused = TransportError::Refused("connection refused".into());
    let transport = FakeTransport::none().then_refuse(&server, refused.clone());
    let error = verify_pop3(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(error, MailError::Transport(refused));
}

#[test]
fn every_read_is_bounded_and_a_longer_line_is_line_too_long() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let long = format!("* CAPABILITY IMAP4rev1 {}", "X".repeat(MAX_LINE as usize));
    let script = Script::new()
        .server("* OK hi")
        .client("A1 CAPABILITY")
        .server(&long);
    let transport = FakeTransport::new(&server, script);
    let error = verify_imap(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(error, MailError::Transport(TransportError::LineTooLong));
    assert_eq!(MAX_LINE, 64 * 1024);
    assert!(
        transport
            .seen(0)
            .max_lens
            .iter()
            .all(|max| *max == MAX_LINE)
    );
}

#[test]
fn garbage_is_mail_protocol_with_the_step_and_an_excerpt() {
    let imap = server(HOST, 993, Security::ImplicitTls);
    let cases = [
        (Script::new().server("HTTP/1.1 400 Bad Request"), "greeting"),
        (
            Script::new()
                .server("* OK hi")
                .client("A1 CAPABILITY")
                .server("A7 OK not our tag"),
            "capability",
        ),
        (
            Script::new()
                .server("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi")
                .client(&format!("A1 AUTHENTICATE XOAUTH2 {}", xoauth2(USER, TOKEN)))
                .server("A1 MAYBE"),
            "authenticate",
        ),
    ];
    for (script, step) in cases {
        let transport = FakeTransport::new(&imap, script);
        let error = verify_imap(&transport, &NoHttp, &imap, &login(TOKEN))
            .unwrap_err()
            .error;
        transport.assert_done();
        assert!(
            matches!(&error, MailError::ProtocolViolation(r) if r.step == step),
            "{step}: {error:?}"
        );
    }

    let pop = server("pop.example.test", 995, Security::ImplicitTls);
    let transport = FakeTransport::new(&pop, Script::new().server("220 wrong protocol"));
    let error = verify_pop3(&transport, &NoHttp, &pop, &login(TOKEN))
        .unwrap_err()
        .error;
    assert_eq!(
        error,
        MailError::ProtocolViolation(mail_oauth_guest::mail::CommandRejection {
            step: "greeting".into(),
            reply: "220 wrong protocol".into(),
            code: None,
        })
    );
}

#[test]
fn a_long_garbage_line_is_cut_in_the_error() {
    let smtp = server("smtp.example.test", 465, Security::ImplicitTls);
    let garbage = "<html>".repeat(1000);
    let transport = FakeTransport::new(&smtp, Script::new().server(&garbage));
    let error = verify_smtp(&transport, &NoHttp, &smtp, &login(TOKEN))
        .unwrap_err()
        .error;
    match error {
        MailError::ProtocolViolation(r) => {
            assert!(r.reply.chars().count() <= 513, "{}", r.reply.len())
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unusable_login_values_are_refused_before_connecting() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let mut bad_user = login(TOKEN);
    bad_user.user = "alice@example.com\r\nA9 LOGOUT".into();
    let mut empty_token = login(TOKEN);
    empty_token.credentials = Credentials::AccessToken(String::new());
    let mut bad_token = login(TOKEN);
    bad_token.credentials = Credentials::AccessToken("tok\x01en-0123456789".into());
    for login in [bad_user, empty_token, bad_token] {
        let transport = FakeTransport::none();
        let error = verify_imap(&transport, &NoHttp, &server, &login)
            .unwrap_err()
            .error;
        assert!(matches!(error, MailError::InvalidInput(_)), "{error:?}");
        assert_eq!(transport.connects(), 0);
    }
}
