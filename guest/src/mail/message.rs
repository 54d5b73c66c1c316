//! The test message: input checks, the sender rule, and the RFC 5322 / MIME text
//! sent after DATA (CRLF line endings, dot-stuffed, terminated by `.`).
//!
//! Transfer encoding: `7bit` for an ASCII body; `8bit` (with `BODY=8BITMIME` on
//! MAIL FROM) for a UTF-8 body when the server offers 8BITMIME; otherwise, or
//! when a line exceeds SMTP's 998 octets, `base64`, which every server carries
//! and every client decodes. Quoted-printable would read better raw but gains
//! nothing for a test message.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::dialogue::{MailError, TestMessage};

/// The longest line SMTP carries, without its CRLF (RFC 5321 §4.5.3.1.6).
const MAX_SMTP_LINE: usize = 998;

/// Base64 line length for a body (RFC 2045 §6.8).
const BASE64_LINE: usize = 76;

/// Bytes of UTF-8 per RFC 2047 encoded word: 45 bytes make 60 base64 characters,
/// and with `=?UTF-8?B?` and `?=` the word stays within 75 (RFC 2047 §2).
const ENCODED_WORD_BYTES: usize = 45;

/// Checks the message before anything is sent: every address usable on the
/// SMTP command line and in a header, a header-safe subject, and the sender
/// being `user` unless `send_as` (addresses compared case-insensitively).
pub fn check(message: &TestMessage, user: &str) -> Result<(), MailError> {
    address("message.sender", &message.sender)?;
    if message.recipients.is_empty() {
        return Err(MailError::input("message.recipients: empty"));
    }
    for recipient in &message.recipients {
        address("message.recipients", recipient)?;
    }
    if message.subject.chars().any(char::is_control) {
        return Err(MailError::input(
            "message.subject: holds a control character",
        ));
    }
    if !message.send_as && !message.sender.eq_ignore_ascii_case(user) {
        return Err(MailError::SenderNotAuthorized {
            sender: message.sender.clone(),
            user: user.to_owned(),
        });
    }
    Ok(())
}

/// An address as `MAIL FROM:<…>`, `RCPT TO:<…>` and the headers need it: one
/// `local@domain` with no control, space or angle bracket (which would inject
/// commands or headers). Non-ASCII addresses would need SMTPUTF8, which this
/// dialogue does not negotiate.
fn address(field: &str, value: &str) -> Result<(), MailError> {
    if value.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(MailError::input(format!(
            "{field}: holds a control character or a space"
        )));
    }
    if value.contains(['<', '>']) {
        return Err(MailError::input(format!("{field}: holds < or >")));
    }
    if !value.is_ascii() {
        return Err(MailError::input(format!(
            "{field}: not ASCII (SMTPUTF8 is not supported)"
        )));
    }
    let Some((local, domain)) = value
        .rsplit_once('@')
        .filter(|(local, domain)| !local.is_empty() && !domain.is_empty())
    else {
        return Err(MailError::input(format!("{field}: not local@domain")));
    };
    // RFC 5321 §4.5.3.1: a longer address no server accepts, and it would
    // make a header line longer than the 998 octets a line may have.
    if local.len() > MAX_LOCAL_PART || domain.len() > MAX_DOMAIN || value.len() > MAX_PATH {
        return Err(MailError::input(format!(
            "{field}: longer than RFC 5321 allows (local part {MAX_LOCAL_PART}, domain \
             {MAX_DOMAIN}, address {MAX_PATH} octets)"
        )));
    }
    Ok(())
}

/// RFC 5321 §4.5.3.1.1: the longest local part.
const MAX_LOCAL_PART: usize = 64;
/// RFC 5321 §4.5.3.1.2: the longest domain.
const MAX_DOMAIN: usize = 255;
/// RFC 5321 §4.5.3.1.3: the longest path is 256 octets with its angle
/// brackets, so 254 without.
const MAX_PATH: usize = 254;

/// The message text ready to follow DATA, and whether MAIL FROM must declare
/// `BODY=8BITMIME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composed {
    /// Headers, blank line and body with CRLF line endings, dot-stuffed, ending
    /// with `\r\n.\r\n`.
    pub data: Vec<u8>,
    /// True when the body is sent as `8bit`.
    pub eight_bit: bool,
}

/// Builds the message of a [`check`]ed `message`. `eight_bit_mime` says whether
/// the server offers 8BITMIME; `unique` is the left part of the `Message-ID`
/// (see [`unique_id`]).
pub fn compose(message: &TestMessage, eight_bit_mime: bool, unique: &str) -> Composed {
    let (lines, eight_bit) = lines(message, eight_bit_mime, unique);
    let mut data = Vec::new();
    for line in lines.iter().flat_map(|l| l.split("\r\n")) {
        // Dot-stuffing (RFC 5321 §4.5.2): a line starting with `.` gets one more.
        if line.starts_with('.') {
            data.push(b'.');
        }
        data.extend_from_slice(line.as_bytes());
        data.extend_from_slice(b"\r\n");
    }
    data.extend_from_slice(b".\r\n");
    Composed { data, eight_bit }
}

/// The RFC 5322 message of a [`check`]ed `message` as a mail API takes it:
/// CRLF line endings, no dot-stuffing, no terminator; a UTF-8 body as `8bit`.
pub fn raw(message: &TestMessage, unique: &str) -> Vec<u8> {
    let (lines, _) = lines(message, true, unique);
    let mut data = Vec::new();
    for line in &lines {
        data.extend_from_slice(line.as_bytes());
        data.extend_from_slice(b"\r\n");
    }
    data
}

/// The header and body lines (a folded header is one entry holding CRLFs),
/// and whether the body is `8bit`.
fn lines(message: &TestMessage, eight_bit_mime: bool, unique: &str) -> (Vec<String>, bool) {
    let body = normalise(&message.body);
    let fits = body.iter().all(|line| line.len() <= MAX_SMTP_LINE);
    let ascii = message.body.is_ascii();
    let (encoding, eight_bit) = match (ascii, fits, eight_bit_mime) {
        (true, true, _) => ("7bit", false),
        (false, true, true) => ("8bit", true),
        _ => ("base64", false),
    };
    let body = if encoding == "base64" {
        let encoded = STANDARD.encode(body.join("\r\n"));
        encoded
            .as_bytes()
            .chunks(BASE64_LINE)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect()
    } else {
        body
    };
    let domain = message
        .sender
        .rsplit_once('@')
        .map_or("localhost", |(_, domain)| domain);
    let mut lines = vec![
        format!("Date: {}", rfc5322_date(message.now)),
        format!("From: {}", message.sender),
        format!("To: {}", message.recipients.join(",\r\n ")),
        format!("Subject: {}", subject(&message.subject)),
        format!("Message-ID: <{unique}@{domain}>"),
        "MIME-Version: 1.0".to_owned(),
        "Content-Type: text/plain; charset=UTF-8".to_owned(),
        format!("Content-Transfer-Encoding: {encoding}"),
        String::new(),
    ];
    lines.extend(body);
    (lines, eight_bit)
}

/// A fresh random left part for a `Message-ID`: 128 bits, hex.
pub fn unique_id() -> Result<String, MailError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|_| MailError::input("randomness: unavailable from the host"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The body's lines, whatever its line endings (CRLF, LF or CR); a final line
/// ending does not make an extra empty line.
fn normalise(body: &str) -> Vec<String> {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let body = body.strip_suffix('\n').unwrap_or(&body);
    if body.is_empty() {
        return Vec::new();
    }
    body.split('\n').map(str::to_owned).collect()
}

/// The subject as a header value: as is when plain ASCII that cannot be
/// mistaken for an encoded word and fits a line, else RFC 2047 `B` encoded
/// words, one per folded line, never splitting a character.
fn subject(text: &str) -> String {
    if text.is_ascii() && !text.contains("=?") && text.len() <= MAX_SMTP_LINE - "Subject: ".len() {
        return text.to_owned();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > ENCODED_WORD_BYTES {
            words.push(encoded_word(&chunk));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(encoded_word(&chunk));
    }
    words.join("\r\n ")
}

fn encoded_word(text: &str) -> String {
    format!("=?UTF-8?B?{}?=", STANDARD.encode(text))
}

/// `now` (unix seconds) as an RFC 5322 date in UTC, e.g.
/// `Thu, 01 Jan 1970 00:00:00 +0000`.
pub fn rfc5322_date(now: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = now / 86_400;
    let secs = now % 86_400;
    let (year, month, day) = civil_date(days);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
    )
}

/// The Gregorian (year, month 1-12, day 1-31) of `days` since 1970-01-01.
///
/// Counts in 400-year eras starting on 1 March, so that the leap day is the
/// last day of a year and the month lengths before it follow a fixed pattern.
fn civil_date(days: u64) -> (u64, u64, u64) {
    // Days from 0000-03-01 to 1970-01-01.
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March: 153 days per 5 months.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}
