//! The test message: headers, CRLF normalisation, dot-stuffing, RFC 2047
//! subjects, transfer encodings, the sender rule, and the SMTP transaction.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mail_oauth_guest::mail::message::{compose, rfc5322_date};
use mail_oauth_guest::mail::{
    CommandRejection, MailError, Security, TestMessage, send_test_message,
};

use crate::mail_common::*;

const HOST: &str = "smtp.example.test";

fn message() -> TestMessage {
    TestMessage {
        sender: USER.to_owned(),
        recipients: vec!["bob@example.org".into(), "carol@example.net".into()],
        subject: "Test".into(),
        body: "Hello\n.dot line\r\n..two\rlast".into(),
        send_as: false,
        now: 1_709_251_199,
    }
}

#[test]
fn rfc5322_dates_in_utc() {
    for (now, date) in [
        (0, "Thu, 01 Jan 1970 00:00:00 +0000"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"),
        (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 +0000"),
        (1_767_225_599, "Wed, 31 Dec 2025 23:59:59 +0000"),
        (4_102_444_800, "Fri, 01 Jan 2100 00:00:00 +0000"),
    ] {
        assert_eq!(rfc5322_date(now), date, "{now}");
    }
}

#[test]
fn an_ascii_message_is_7bit_crlf_and_dot_stuffed() {
    let composed = compose(&message(), true, "0123abcd");
    assert!(!composed.eight_bit);
    let expected = "Date: Thu, 29 Feb 2024 23:59:59 +0000\r\n\
        From: alice@example.com\r\n\
        To: bob@example.org,\r\n carol@example.net\r\n\
        Subject: Test\r\n\
        Message-ID: <0123abcd@example.com>\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: text/plain; charset=UTF-8\r\n\
        Content-Transfer-Encoding: 7bit\r\n\
        \r\n\
        Hello\r\n\
        ..dot line\r\n\
        ...two\r\n\
        last\r\n\
        .\r\n";
    assert_eq!(String::from_utf8(composed.data).unwrap(), expected);
}

#[test]
fn a_final_newline_adds_no_empty_line_and_a_lone_dot_is_stuffed() {
    let mut msg = message();
    msg.body = ".\nend\n".into();
    let data = String::from_utf8(compose(&msg, false, "x").data).unwrap();
    assert!(data.ends_with("\r\n\r\n..\r\nend\r\n.\r\n"), "{data:?}");
}

#[test]
fn a_non_ascii_subject_is_rfc2047_encoded() {
    let mut msg = message();
    msg.subject = "Test d'envoi — réussi ✓".into();
    let data = String::from_utf8(compose(&msg, false, "x").data).unwrap();
    assert!(
        data.contains("\r\nSubject: =?UTF-8?B?VGVzdCBkJ2Vudm9pIOKAlCByw6l1c3NpIOKckw==?=\r\n"),
        "{data}"
    );
}

#[test]
fn a_long_non_ascii_subject_is_folded_into_short_whole_words() {
    let mut msg = message();
    msg.subject = "é".repeat(20) + &"漢".repeat(30);
    let data = String::from_utf8(compose(&msg, false, "x").data).unwrap();
    let start = data.find("Subject: ").unwrap() + "Subject: ".len();
    let end = data[start..].find("\r\nMessage-ID").unwrap() + start;
    let mut decoded = Vec::new();
    for word in data[start..end].split("\r\n ") {
        assert!(word.len() <= 75, "{word}");
        let b64 = word
            .strip_prefix("=?UTF-8?B?")
            .and_then(|w| w.strip_suffix("?="))
            .unwrap();
        let bytes = STANDARD.decode(b64).unwrap();
        // Each word decodes alone: no character is split across words.
        String::from_utf8(bytes.clone()).unwrap();
        decoded.extend(bytes);
    }
    assert_eq!(String::from_utf8(decoded).unwrap(), msg.subject);
}

#[test]
fn a_utf8_body_is_8bit_with_8bitmime_else_base64() {
    let mut msg = message();
    msg.body = "Réussi\n.ok".into();
    let composed = compose(&msg, true, "x");
    assert!(composed.eight_bit);
    let data = String::from_utf8(composed.data).unwrap();
    assert!(data.contains("Content-Transfer-Encoding: 8bit\r\n\r\nRéussi\r\n..ok\r\n.\r\n"));

    let composed = compose(&msg, false, "x");
    assert!(!composed.eight_bit);
    let data = String::from_utf8(composed.data).unwrap();
    let body = data
        .split_once("Content-Transfer-Encoding: base64\r\n\r\n")
        .unwrap()
        .1
        .strip_suffix("\r\n.\r\n")
        .unwrap();
    assert_eq!(
        STANDARD.decode(body.replace("\r\n", "")).unwrap(),
        "Réussi\r\n.ok".as_bytes()
    );
}

#[test]
fn the_message_is_sent_after_auth() {
    let server = server(HOST, 465, Security::ImplicitTls);
    let script = Script::new()
        .server("220 ready")
        .client("EHLO localhost")
        .server("250-smtp.example.test")
        .server("250 AUTH XOAUTH2")
        .client(&format!("AUTH XOAUTH2 {}", xoauth2(USER, TOKEN)))
        .server("235 ok")
        .client("MAIL FROM:<alice@example.com>")
        .server("250 2.1.0 OK")
        .client("RCPT TO:<bob@example.org>")
        .server("250 2.1.5 OK")
        .client("RCPT TO:<carol@example.net>")
        .server("251 2.1.5 will forward")
        .client("DATA")
        .server("354 go ahead")
        .client_check(|data| {
            let text = String::from_utf8(data.to_vec()).unwrap();
            let expected = String::from_utf8(compose(&message(), false, "ID").data).unwrap();
            // Only the random Message-ID differs.
            let id_line = text
                .lines()
                .find(|l| l.starts_with("Message-ID: <"))
                .unwrap();
            let unique = &id_line["Message-ID: <".len()..id_line.find('@').unwrap()];
            assert_eq!(unique.len(), 32, "{id_line}");
            assert!(unique.bytes().all(|b| b.is_ascii_hexdigit()));
            assert_eq!(text.replace(unique, "ID"), expected);
        })
        .server("250 2.0.0 OK queued")
        .client("QUIT")
        .server("221 bye");
    let transport = FakeTransport::new(&server, script);
    let report =
        send_test_message(&transport, &NoHttp, &server, &login(TOKEN), &message()).unwrap();
    transport.assert_done();
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "connect",
            "greeting",
            "ehlo",
            "authenticate",
            "mail-from",
            "rcpt",
            "rcpt",
            "data",
            "message",
            "quit"
        ]
    );
}

#[test]
fn utf8_with_8bitmime_declares_body_8bitmime() {
    let server = server(HOST, 465, Security::ImplicitTls);
    let mut msg = message();
    msg.recipients.truncate(1);
    msg.body = "Réussi".into();
    let script = Script::new()
        .server("220 ready")
        .client("EHLO localhost")
        .server("250-smtp.example.test")
        .server("250-8BITMIME")
        .server("250 AUTH XOAUTH2")
        .client(&format!("AUTH XOAUTH2 {}", xoauth2(USER, TOKEN)))
        .server("235 ok")
        .client("MAIL FROM:<alice@example.com> BODY=8BITMIME")
        .server("250 OK")
        .client("RCPT TO:<bob@example.org>")
        .server("250 OK")
        .client("DATA")
        .server("354 go ahead")
        .client_check(|data| {
            let text = String::from_utf8(data.to_vec()).unwrap();
            assert!(text.ends_with("8bit\r\n\r\nRéussi\r\n.\r\n"), "{text}");
        })
        .server("250 OK")
        .client("QUIT")
        .server("221 bye");
    let transport = FakeTransport::new(&server, script);
    send_test_message(&transport, &NoHttp, &server, &login(TOKEN), &msg).unwrap();
    transport.assert_done();
}

#[test]
fn a_sender_other_than_the_user_is_refused_before_connecting() {
    let server = server(HOST, 465, Security::ImplicitTls);
    let mut msg = message();
    msg.sender = "shared@example.com".into();
    let transport = FakeTransport::none();
    let error = send_test_message(&transport, &NoHttp, &server, &login(TOKEN), &msg)
        .unwrap_err()
        .error;
    assert_eq!(
        error,
        MailError::SenderNotAuthorized {
            sender: "shared@example.com".into(),
            user: USER.into(),
        }
    );
    assert_eq!(transport.connects(), 0, "no connection, no byte sent");
}

#[test]
fn the_sender_matches_the_user_case_insensitively() {
    let server = server(HOST, 465, Security::ImplicitTls);
    let mut msg = message();
    msg.sender = "Alice@Example.COM".into();
    msg.recipients.truncate(1);
    let script = Script::new()
        .server("220 ready")
        .client("EHLO localhost")
        .server("250-smtp.example.test")
        .server("250 AUTH XOAUTH2")
        .client(&format!("AUTH XOAUTH2 {}", xoauth2(USER, TOKEN)))
        .server("235 ok")
        .client("MAIL FROM:<Alice@Example.COM>")
        .server("250 OK")
        .client("RCPT TO:<bob@example.org>")
        .server("250 OK")
        .client("DATA")
        .server("354 go")
        .client_check(|_| {})
        .server("250 OK")
        .client("QUIT")
        .server("221 bye");
    let transport = FakeTransport::new(&server, script);
    send_test_message(&transport, &NoHttp, &server, &login(TOKEN), &msg).unwrap();
    transport.assert_done();
}

#[test]
fn send_as_allows_a_shared_sender() {
    let server = server(HOST, 587, Security::ImplicitTls);
    let mut msg = message();
    msg.sender = "shared@example.com".into();
    msg.recipients.truncate(1);
    msg.send_as = true;
    let script = Script::new()
        .server("220 ready")
        .client("EHLO localhost")
        .server("250-smtp.example.test")
        .server("250 AUTH XOAUTH2")
        .client(&format!("AUTH XOAUTH2 {}", xoauth2(USER, TOKEN)))
        .server("235 ok")
        .client("MAIL FROM:<shared@example.com>")
        .server("250 OK")
        .client("RCPT TO:<bob@example.org>")
        .server("250 OK")
        .client("DATA")
        .server("354 go")
        .client_check(|data| {
            let text = String::from_utf8_lossy(data);
            assert!(text.contains("\r\nFrom: shared@example.com\r\n"), "{text}");
            assert!(text.contains("Message-ID: <"), "{text}");
            assert!(text.contains("@example.com>\r\n"), "{text}");
        })
        .server("250 OK")
        .client("QUIT")
        .server("221 bye");
    let transport = FakeTransport::new(&server, script);
    send_test_message(&transport, &NoHttp, &server, &login(TOKEN), &msg).unwrap();
    transport.assert_done();
}

#[test]
fn unusable_addresses_and_subjects_are_refused_before_connecting() {
    let server = server(HOST, 465, Security::ImplicitTls);
    let cases: [fn(&mut TestMessage); 11] = [
        // Beyond RFC 5321's sizes (found by the test_message fuzz target: a
        // 1,300-octet sender made a From line longer than 998 octets).
        |m| m.recipients = vec![format!("{}@example.org", "b".repeat(65))],
        |m| m.recipients = vec![format!("bob@{}", "e".repeat(256))],
        |m| {
            m.sender = format!("{}@{}", "a".repeat(64), "e".repeat(200));
            m.send_as = true;
        },
        |m| m.recipients = vec!["bob@example.org>\r\nRCPT TO:<x@y".into()],
        |m| m.recipients = vec!["<bob@example.org>".into()],
        |m| m.recipients = vec!["bob example.org".into()],
        |m| m.recipients = vec!["bob@".into()],
        |m| m.recipients = vec!["bøb@example.org".into()],
        |m| m.recipients.clear(),
        |m| m.subject = "Hi\r\nBcc: eve@example.org".into(),
        |m| {
            m.sender = "alice@example.com\n".into();
            m.send_as = true;
        },
    ];
    for (n, change) in cases.iter().enumerate() {
        let mut msg = message();
        change(&mut msg);
        let transport = FakeTransport::none();
        let error = send_test_message(&transport, &NoHttp, &server, &login(TOKEN), &msg)
            .unwrap_err()
            .error;
        assert!(
            matches!(error, MailError::InvalidInput(_)),
            "case {n}: {error:?}"
        );
        assert_eq!(transport.connects(), 0, "case {n}");
    }
}

#[test]
fn a_refused_recipient_is_command_rejected_at_rcpt() {
    let server = server(HOST, 587, Security::ImplicitTls);
    let script = Script::new()
        .server("220 ready")
        .client("EHLO localhost")
        .server("250-smtp.example.test")
        .server("250 AUTH XOAUTH2")
        .client(&format!("AUTH XOAUTH2 {}", xoauth2(USER, TOKEN)))
        .server("235 ok")
        .client("MAIL FROM:<alice@example.com>")
        .server("250 OK")
        .client("RCPT TO:<bob@example.org>")
        .server("553 5.7.1 <alice@example.com>: Sender address rejected: not owned by user bob");
    let transport = FakeTransport::new(&server, script);
    let error = send_test_message(&transport, &NoHttp, &server, &login(TOKEN), &message())
        .unwrap_err()
        .error;
    transport.assert_done();
    assert_eq!(
        error,
        MailError::CommandRejected(CommandRejection {
            step: "rcpt".into(),
            reply: "553 5.7.1 <alice@example.com>: Sender address rejected: not owned by user bob"
                .into(),
            code: Some(553),
        })
    );
}
