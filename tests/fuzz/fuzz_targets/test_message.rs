//! The test-message composer: for every message `message::check` accepts,
//! the text after DATA has only CRLF line endings and lines of at most 998
//! octets, its only `CRLF.CRLF` is the terminator, its headers are exactly
//! the composer's (no injected header), and un-stuffing and decoding it gives
//! back the subject and the normalised body. The mail-API form (`raw`) is the
//! same message without stuffing or terminator.
#![no_main]

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use mail_oauth_guest::mail::TestMessage;
use mail_oauth_guest::mail::message::{check, compose, raw};

#[derive(Arbitrary, Debug)]
struct Input {
    sender: String,
    recipients: Vec<String>,
    subject: String,
    body: String,
    eight_bit_mime: bool,
    now: u64,
}

const HEADERS: [&str; 8] = [
    "Date",
    "From",
    "To",
    "Subject",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
];

fuzz_target!(|input: Input| {
    let message = TestMessage {
        sender: input.sender.clone(),
        recipients: input.recipients,
        subject: input.subject,
        body: input.body,
        send_as: true,
        now: input.now % 253_402_300_800, // up to the year 9999
    };
    if check(&message, &input.sender).is_err() {
        return;
    }
    let composed = compose(&message, input.eight_bit_mime, "0123456789abcdef");
    let data = &composed.data;
    assert!(data.ends_with(b"\r\n.\r\n"), "no terminator");
    let text = &data[..data.len() - 3]; // keeps the CRLF ending the last line
    assert!(
        !windows(text, b"\r\n.\r\n") && !text.starts_with(b".\r\n"),
        "an early end of data"
    );
    let lines = crlf_lines(text);
    for line in &lines {
        assert!(
            line.len() <= 998,
            "a line of {} octets: {:?}",
            line.len(),
            String::from_utf8_lossy(&line[..line.len().min(60)])
        );
    }
    if !composed.eight_bit {
        assert!(data.is_ascii(), "8-bit data without BODY=8BITMIME");
    }
    // Un-stuff: one leading dot removed from each line that has one.
    let unstuffed: Vec<&[u8]> = lines
        .iter()
        .map(|line| line.strip_prefix(b".").unwrap_or(line))
        .collect();
    // The mail-API form is the message an 8BITMIME server gets (a UTF-8
    // body as `8bit`), without stuffing or terminator.
    let eight_bit = if input.eight_bit_mime {
        data.clone()
    } else {
        compose(&message, true, "0123456789abcdef").data
    };
    let eight_bit = &eight_bit[..eight_bit.len() - 3];
    let mut joined = Vec::new();
    for line in crlf_lines(eight_bit) {
        joined.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        joined.extend_from_slice(b"\r\n");
    }
    let raw_form = raw(&message, "0123456789abcdef");
    assert_eq!(
        joined, raw_form,
        "un-stuffed DATA differs from the raw message"
    );

    let blank = unstuffed
        .iter()
        .position(|l| l.is_empty())
        .expect("a blank line");
    let (head, body) = (&unstuffed[..blank], &unstuffed[blank + 1..]);
    let mut names = Vec::new();
    let mut values: Vec<String> = Vec::new();
    for line in head {
        let line = std::str::from_utf8(line).expect("headers are UTF-8");
        if let Some(rest) = line.strip_prefix(' ') {
            values
                .last_mut()
                .expect("a first header")
                .push_str(&format!("\n {rest}"));
        } else {
            let (name, value) = line.split_once(": ").expect("name: value");
            names.push(name.to_owned());
            values.push(value.to_owned());
        }
    }
    assert_eq!(names, HEADERS, "headers");
    assert_eq!(decode_subject(&values[3]), message.subject, "subject");
    let expected = normalised(&message.body);
    let got = match values[7].as_str() {
        "7bit" | "8bit" => body.join(&b"\r\n"[..]),
        "base64" => {
            let encoded: Vec<u8> = body.concat();
            STANDARD.decode(encoded).expect("valid base64")
        }
        other => panic!("unknown encoding {other}"),
    };
    assert_eq!(got, expected.as_bytes(), "body");
});

fn windows(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The CRLF-terminated lines of `text`; a bare CR or LF fails.
fn crlf_lines(text: &[u8]) -> Vec<&[u8]> {
    assert!(text.ends_with(b"\r\n"), "the last line has no CRLF");
    let mut lines = Vec::new();
    let mut rest = &text[..text.len() - 2];
    loop {
        match rest.windows(2).position(|w| w == b"\r\n") {
            Some(at) => {
                lines.push(&rest[..at]);
                rest = &rest[at + 2..];
            }
            None => {
                lines.push(rest);
                break;
            }
        }
    }
    for line in &lines {
        assert!(
            !line.contains(&b'\r') && !line.contains(&b'\n'),
            "a bare CR or LF in {line:?}"
        );
    }
    lines
}

/// The body as the message must carry it: line endings CRLF, no final one.
fn normalised(body: &str) -> String {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let body = body.strip_suffix('\n').unwrap_or(&body);
    body.replace('\n', "\r\n")
}

/// A `Subject` value decoded: plain, or RFC 2047 `B` words on folded lines.
fn decode_subject(value: &str) -> String {
    if !value.starts_with("=?UTF-8?B?") {
        return value.to_owned();
    }
    let mut bytes = Vec::new();
    for word in value.split("\n ") {
        let inner = word
            .strip_prefix("=?UTF-8?B?")
            .and_then(|w| w.strip_suffix("?="))
            .expect("an encoded word");
        assert!(
            word.len() <= 75,
            "an encoded word of {} characters",
            word.len()
        );
        bytes.extend(STANDARD.decode(inner).expect("base64 in an encoded word"));
    }
    String::from_utf8(bytes).expect("each word holds whole characters")
}
