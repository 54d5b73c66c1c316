//! The access token and the SASL strings never appear in a step, an error, or
//! Debug output, even when a server echoes them back; on the wire the token
//! travels only base64-encoded inside the AUTH exchange.

use mail_oauth_guest::mail::{MailError, Security, verify_imap, verify_smtp};

use crate::mail_common::*;

const HOST: &str = "imap.example.test";

#[test]
fn an_echoing_server_cannot_make_a_secret_appear_in_the_report_or_error() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let ir = xoauth2(USER, TOKEN);
    let script = Script::new()
        .server(&format!(
            "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] {TOKEN}"
        ))
        .client(&format!("A1 AUTHENTICATE XOAUTH2 {ir}"))
        .server(&format!("A1 OK welcome {ir} {TOKEN}"))
        .client("A2 EXAMINE INBOX")
        .server(&format!("A2 OK {TOKEN}"))
        .client("A3 LOGOUT")
        .server(&format!("A3 OK {ir}"));
    let transport = FakeTransport::new(&server, script);
    let report = verify_imap(&transport, &NoHttp, &server, &login(TOKEN)).unwrap();
    transport.assert_done();
    let shown = format!("{report:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(!shown.contains(&ir), "{shown}");
    assert!(!report.greeting.contains(TOKEN));

    let script = Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi")
        .client(&format!("A1 AUTHENTICATE XOAUTH2 {ir}"))
        .server(&format!("A1 NO bad token {TOKEN} in {ir}"));
    let transport = FakeTransport::new(&server, script);
    let error = verify_imap(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    for shown in [format!("{error:?}"), error.to_string()] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(!shown.contains(&ir), "{shown}");
    }
    assert!(matches!(error, MailError::SaslRejected(_)));
}

#[test]
fn a_server_quoting_the_start_of_the_token_cannot_show_it_either() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let ir = xoauth2(USER, TOKEN);
    // A server that cuts what it quotes: 16 bytes of the token, 40 of the
    // SASL response.
    let script = Script::new()
        .server(&format!(
            "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] {}",
            &TOKEN[..16]
        ))
        .client(&format!("A1 AUTHENTICATE XOAUTH2 {ir}"))
        .server(&format!(
            "A1 NO no such token {}... ({})",
            &TOKEN[..20],
            &ir[..40]
        ));
    let transport = FakeTransport::new(&server, script);
    let failure = verify_imap(&transport, &NoHttp, &server, &login(TOKEN)).unwrap_err();
    let shown = format!("{:?} {}", failure.error, failure.error);
    assert!(!shown.contains(&TOKEN[..16]), "{shown}");
    assert!(!shown.contains(&ir[..16]), "{shown}");
}

#[test]
fn the_login_debug_output_redacts_the_token() {
    let shown = format!("{:?}", login(TOKEN));
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
}

#[test]
fn the_token_travels_only_base64_encoded_in_the_auth_command() {
    let server = server("smtp.example.test", 465, Security::ImplicitTls);
    let ir = xoauth2(USER, TOKEN);
    let script = Script::new()
        .server("220 ready")
        .client("EHLO localhost")
        .server("250-smtp.example.test")
        .server("250 AUTH XOAUTH2")
        .client(&format!("AUTH XOAUTH2 {ir}"))
        .server("235 ok")
        .client("QUIT")
        .server("221 bye");
    let transport = FakeTransport::new(&server, script);
    verify_smtp(&transport, &NoHttp, &server, &login(TOKEN)).unwrap();
    transport.assert_done();
    let writes = transport.seen(0).writes;
    let carrying: Vec<String> = writes
        .iter()
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .filter(|text| text.contains(&ir))
        .collect();
    assert_eq!(carrying, [format!("AUTH XOAUTH2 {ir}\r\n")]);
    assert!(!transport.written(0).contains(TOKEN));
}
