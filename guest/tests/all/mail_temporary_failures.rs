//! "Later" from a mail server is `temporary-failure`, never a token rejection:
//! IMAP `[UNAVAILABLE]`, POP3 `[SYS/TEMP]` / `[IN-USE]`, SMTP 4xx (with the
//! reply code kept); SMTP 5xx on the envelope is `command-rejected`.

use mail_oauth_guest::mail::{
    CommandRejection, Credentials, Login, MailError, Refreshable, SaslRejection, Security,
    TestMessage, send_test_message, verify_imap, verify_pop3, verify_smtp,
};
use mail_oauth_guest::{ClientAuth, TokenSet};

use crate::common::{FakeHttp, confidential, custom_provider};
use crate::mail_common::*;

fn rejection(step: &str, reply: &str, code: Option<u16>) -> CommandRejection {
    CommandRejection {
        step: step.into(),
        reply: reply.into(),
        code,
    }
}

/// A login the component could refresh: a temporary failure must not make it
/// try (the scripted HTTP fake has no request to answer).
fn refreshable() -> Login {
    Login {
        user: USER.into(),
        credentials: Credentials::Refreshable(Refreshable {
            provider: custom_provider(ClientAuth::Basic),
            client: confidential(),
            tokens: TokenSet {
                access_token: TOKEN.into(),
                refresh_token: Some("refresh-token-0123456789".into()),
                expires_at: None,
                scopes: vec!["mail".into()],
                id_token: None,
                account_email: None,
            },
            now: 1_700_000_000,
        }),
        mechanism: None,
    }
}

#[test]
fn imap_no_unavailable_at_authenticate_is_temporary_and_not_retried() {
    let server = server("imap.example.test", 993, Security::ImplicitTls);
    let reply = "A1 NO [UNAVAILABLE] Service temporarily unavailable, try again later";
    let script = Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi")
        .client(&format!("A1 AUTHENTICATE XOAUTH2 {}", xoauth2(USER, TOKEN)))
        .server(reply);
    let transport = FakeTransport::new(&server, script);
    let http = FakeHttp::new();
    let failure = verify_imap(&transport, &http, &server, &refreshable()).unwrap_err();
    transport.assert_done();
    assert_eq!(transport.connects(), 1);
    assert_eq!(
        failure.error,
        MailError::TemporaryFailure(rejection("authenticate", reply, None))
    );
    assert!(failure.refreshed.is_none());
}

#[test]
fn imap_no_unavailable_before_the_continuation_is_temporary() {
    let server = server("imap.example.test", 993, Security::ImplicitTls);
    // The response code is matched case-insensitively.
    let script = Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] hi")
        .client("A1 AUTHENTICATE XOAUTH2")
        .server("A1 NO [unavailable] backend down");
    let transport = FakeTransport::new(&server, script);
    let error = verify_imap(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(
        error,
        MailError::TemporaryFailure(rejection(
            "authenticate",
            "A1 NO [unavailable] backend down",
            None
        ))
    );
}

#[test]
fn imap_authenticationfailed_stays_a_token_rejection() {
    let server = server("imap.example.test", 993, Security::ImplicitTls);
    let script = Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi")
        .client(&format!("A1 AUTHENTICATE XOAUTH2 {}", xoauth2(USER, TOKEN)))
        .server("A1 NO [AUTHENTICATIONFAILED] Invalid credentials");
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
            server_text: "A1 NO [AUTHENTICATIONFAILED] Invalid credentials".into(),
        })
    );
}

#[test]
fn an_imap_bye_unavailable_greeting_is_temporary() {
    let server = server("imap.example.test", 993, Security::ImplicitTls);
    let greeting = "* BYE [UNAVAILABLE] Server is busy, try later";
    let transport = FakeTransport::new(&server, Script::new().server(greeting));
    let error = verify_imap(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(transport.written(0), "", "nothing sent to a busy server");
    assert_eq!(
        error,
        MailError::TemporaryFailure(rejection("greeting", greeting, None))
    );
}

fn smtp_auth_script() -> Script {
    Script::new()
        .server("220 smtp.example.test ESMTP")
        .client("EHLO localhost")
        .server("250-smtp.example.test")
        .server("250 AUTH XOAUTH2")
        .client(&format!("AUTH XOAUTH2 {}", xoauth2(USER, TOKEN)))
}

#[test]
fn smtp_454_at_auth_is_temporary_with_its_code() {
    let server = server("smtp.example.test", 465, Security::ImplicitTls);
    let script = smtp_auth_script().server("454 4.7.0 Temporary authentication failure");
    let transport = FakeTransport::new(&server, script);
    let http = FakeHttp::new();
    let failure = verify_smtp(&transport, &http, &server, &refreshable()).unwrap_err();
    transport.assert_done();
    assert_eq!(transport.connects(), 1);
    assert_eq!(
        failure.error,
        MailError::TemporaryFailure(rejection(
            "authenticate",
            "454 4.7.0 Temporary authentication failure",
            Some(454)
        ))
    );
    assert!(failure.refreshed.is_none());
}

#[test]
fn smtp_454_after_an_error_challenge_is_temporary_too() {
    let server = server("smtp.example.test", 465, Security::ImplicitTls);
    let json = r#"{"status":"401","schemes":"bearer"}"#;
    let script = smtp_auth_script()
        .server(&format!("334 {}", challenge(json)))
        .client("")
        .server("454 4.7.0 Temporary authentication failure");
    let transport = FakeTransport::new(&server, script);
    let error = verify_smtp(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(
        error,
        MailError::TemporaryFailure(rejection(
            "authenticate",
            "454 4.7.0 Temporary authentication failure",
            Some(454)
        ))
    );
}

#[test]
fn smtp_421_greeting_is_temporary() {
    let server = server("smtp.example.test", 587, Security::Starttls);
    let greeting = "421 4.3.2 Service not available, closing transmission channel";
    let transport = FakeTransport::new(&server, Script::new().server(greeting));
    let error = verify_smtp(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(
        error,
        MailError::TemporaryFailure(rejection("greeting", greeting, Some(421)))
    );
}

fn one_recipient() -> TestMessage {
    TestMessage {
        sender: USER.into(),
        recipients: vec!["bob@example.org".into()],
        subject: "Test".into(),
        body: "Hello".into(),
        send_as: false,
        now: 1_700_000_000,
    }
}

/// An SMTP transaction up to RCPT TO, answered by `reply`.
fn rcpt_answered(reply: &str) -> MailError {
    let server = server("smtp.example.test", 465, Security::ImplicitTls);
    let script = smtp_auth_script()
        .server("235 2.7.0 Accepted")
        .client("MAIL FROM:<alice@example.com>")
        .server("250 2.1.0 OK")
        .client("RCPT TO:<bob@example.org>")
        .server(reply);
    let transport = FakeTransport::new(&server, script);
    let error = send_test_message(
        &transport,
        &NoHttp,
        &server,
        &login(TOKEN),
        &one_recipient(),
    )
    .unwrap_err()
    .error;
    transport.assert_done();
    error
}

#[test]
fn smtp_550_at_rcpt_is_rejected_with_its_code() {
    let reply = "550 5.1.1 The email account that you tried to reach does not exist.";
    assert_eq!(
        rcpt_answered(reply),
        MailError::CommandRejected(rejection("rcpt", reply, Some(550)))
    );
}

#[test]
fn smtp_451_at_rcpt_is_temporary_with_its_code() {
    let reply = "451 4.3.0 Mail server temporarily rejected message.";
    assert_eq!(
        rcpt_answered(reply),
        MailError::TemporaryFailure(rejection("rcpt", reply, Some(451)))
    );
}

#[test]
fn smtp_452_after_the_message_is_temporary() {
    let server = server("smtp.example.test", 465, Security::ImplicitTls);
    let script = smtp_auth_script()
        .server("235 2.7.0 Accepted")
        .client("MAIL FROM:<alice@example.com>")
        .server("250 2.1.0 OK")
        .client("RCPT TO:<bob@example.org>")
        .server("250 2.1.5 OK")
        .client("DATA")
        .server("354 Go ahead")
        .client_check(|data| assert!(data.ends_with(b"\r\nHello\r\n.\r\n")))
        .server("452 4.2.2 Mailbox full");
    let transport = FakeTransport::new(&server, script);
    let error = send_test_message(
        &transport,
        &NoHttp,
        &server,
        &login(TOKEN),
        &one_recipient(),
    )
    .unwrap_err()
    .error;
    transport.assert_done();
    assert_eq!(
        error,
        MailError::TemporaryFailure(rejection("message", "452 4.2.2 Mailbox full", Some(452)))
    );
}

fn pop3_start() -> Script {
    Script::new()
        .server("+OK POP3 ready")
        .client("CAPA")
        .server("+OK")
        .server("SASL XOAUTH2")
        .server(".")
        .client("AUTH XOAUTH2")
}

#[test]
fn pop3_sys_temp_at_auth_is_temporary() {
    let server = server("pop.example.test", 995, Security::ImplicitTls);
    let reply = "-ERR [SYS/TEMP] Authentication backend unavailable";
    let transport = FakeTransport::new(&server, pop3_start().server(reply));
    let http = FakeHttp::new();
    let failure = verify_pop3(&transport, &http, &server, &refreshable()).unwrap_err();
    transport.assert_done();
    assert_eq!(
        failure.error,
        MailError::TemporaryFailure(rejection("authenticate", reply, None))
    );
}

#[test]
fn pop3_sys_temp_or_in_use_after_the_response_is_temporary() {
    let server = server("pop.example.test", 995, Security::ImplicitTls);
    for reply in [
        "-ERR [SYS/TEMP] Try again later",
        "-ERR [IN-USE] Mailbox locked by another session",
    ] {
        let script = pop3_start()
            .server("+ ")
            .client(&xoauth2(USER, TOKEN))
            .server(reply);
        let transport = FakeTransport::new(&server, script);
        let error = verify_pop3(&transport, &NoHttp, &server, &login(TOKEN))
            .unwrap_err()
            .error;
        transport.assert_done();
        assert_eq!(
            error,
            MailError::TemporaryFailure(rejection("authenticate", reply, None))
        );
    }
}

#[test]
fn pop3_auth_err_stays_a_token_rejection() {
    let server = server("pop.example.test", 995, Security::ImplicitTls);
    let script = pop3_start()
        .server("+ ")
        .client(&xoauth2(USER, TOKEN))
        .server("-ERR [AUTH] Authentication failed.");
    let transport = FakeTransport::new(&server, script);
    let error = verify_pop3(&transport, &NoHttp, &server, &login(TOKEN))
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(
        error,
        MailError::SaslRejected(SaslRejection {
            status: None,
            scope: None,
            server_text: "-ERR [AUTH] Authentication failed.".into(),
        })
    );
}
