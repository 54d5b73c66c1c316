//! `send-test-message` delivers through the real Postfix submission service:
//! the message is read back from alice's INBOX on the real Dovecot (a minimal
//! IMAP reader over the host's TLS transport, authenticated with the
//! component's XOAUTH2 string) and its headers and body are checked: From,
//! To, an RFC 2047 Subject, Date, Message-ID, MIME-Version, Postfix's
//! `Authenticated sender`, and a body whose dot-led lines survive
//! dot-stuffing.

use std::time::Duration;

use crate::common::{
    TempStore, authorized_account, last_json, local_server, mail_session, run, unique_id,
};
use base64::Engine as _;
use mail_oauth_runtime::model::{Mechanism, Secret, Security};
use mail_oauth_runtime::transport::MailConnection;
use mail_oauth_tests::peers;

/// A bare IMAP client for reading messages back: one command at a time,
/// literals collected.
struct ImapReader {
    conn: MailConnection,
    tag: u32,
}

/// The untagged lines of one reply and the literals they carried.
struct ImapReply {
    untagged: Vec<String>,
    literals: Vec<Vec<u8>>,
}

impl ImapReader {
    /// Connects to the implicit-TLS IMAP port and authenticates with XOAUTH2.
    fn login(store: &TempStore, xoauth2: &Secret) -> Self {
        let server = local_server(peers::IMAPS_PORT, Security::ImplicitTls);
        let transports = store
            .accounts(true)
            .transports_for(&server)
            .expect("transports");
        let conn = transports
            .connect(&server.host, server.port, server.security)
            .expect("TLS connection to Dovecot");
        let mut reader = Self { conn, tag: 0 };
        let greeting = reader.line();
        assert!(greeting.starts_with("* OK"), "{greeting}");
        reader.command(&format!("AUTHENTICATE XOAUTH2 {}", xoauth2.expose()));
        reader.command("EXAMINE INBOX");
        reader
    }

    fn line(&mut self) -> String {
        let bytes = self.conn.read_line(1 << 20).expect("IMAP line");
        String::from_utf8_lossy(&bytes).trim_end().to_owned()
    }

    /// Sends `command` and reads to its tagged OK (anything else panics).
    fn command(&mut self, command: &str) -> ImapReply {
        self.tag += 1;
        let tag = format!("R{}", self.tag);
        self.conn
            .write(format!("{tag} {command}\r\n").as_bytes())
            .expect("IMAP write");
        let mut reply = ImapReply {
            untagged: Vec::new(),
            literals: Vec::new(),
        };
        loop {
            let line = self.line();
            if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
                assert!(
                    rest.starts_with("OK"),
                    "{}: {line}",
                    command.split(' ').next().unwrap()
                );
                return reply;
            }
            if let Some(len) = line
                .strip_suffix('}')
                .and_then(|l| l.rsplit_once('{'))
                .and_then(|(_, n)| n.parse::<u32>().ok())
            {
                reply
                    .literals
                    .push(self.conn.read_exact(len).expect("literal"));
            }
            reply.untagged.push(line);
        }
    }

    /// Polls `SEARCH HEADER Subject <needle>` until one message matches
    /// (delivery through LMTP is asynchronous); bounded to about 10 s.
    fn wait_for(&mut self, needle: &str) -> u32 {
        for _ in 0..100 {
            // NOOP lets Dovecot report (and see) newly delivered mail.
            self.command("NOOP");
            let reply = self.command(&format!("SEARCH HEADER Subject \"{needle}\""));
            let hits: Vec<u32> = reply
                .untagged
                .iter()
                .filter_map(|l| l.strip_prefix("* SEARCH"))
                .flat_map(|l| l.split_ascii_whitespace())
                .map(|n| n.parse().unwrap())
                .collect();
            match hits.as_slice() {
                [] => std::thread::sleep(Duration::from_millis(100)),
                [n] => return *n,
                more => panic!("{needle} matches several messages: {more:?}"),
            }
        }
        panic!("no message with {needle} in its subject after 10 s");
    }

    /// The raw message `n`.
    fn fetch(&mut self, n: u32) -> Vec<u8> {
        let mut reply = self.command(&format!("FETCH {n} BODY.PEEK[]"));
        assert_eq!(reply.literals.len(), 1, "{:?}", reply.untagged);
        reply.literals.pop().unwrap()
    }
}

/// A parsed message: unfolded headers in order, and the body.
struct Message {
    headers: Vec<(String, String)>,
    body: String,
}

impl Message {
    fn parse(raw: &[u8]) -> Self {
        let text = String::from_utf8(raw.to_vec()).expect("UTF-8 message");
        let (head, body) = text.split_once("\r\n\r\n").expect("header/body separator");
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().expect("continuation after a header");
                last.1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').expect("header line");
                headers.push((name.to_owned(), value.trim_start().to_owned()));
            }
        }
        Self {
            headers,
            body: body.to_owned(),
        }
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn one(&self, name: &str) -> &str {
        match self.all(name).as_slice() {
            [v] => v,
            other => panic!("{name}: expected one header, got {other:?}"),
        }
    }
}

/// Decodes a header of RFC 2047 `B` encoded words (whitespace between
/// adjacent encoded words is dropped, RFC 2047 §6.2).
fn decode_words(value: &str) -> String {
    let mut out = Vec::new();
    for word in value.split_ascii_whitespace() {
        let inner = word
            .strip_prefix("=?UTF-8?B?")
            .and_then(|w| w.strip_suffix("?="))
            .unwrap_or_else(|| panic!("not a UTF-8 B encoded word: {word:?} in {value:?}"));
        out.extend(
            base64::engine::general_purpose::STANDARD
                .decode(inner)
                .expect("base64 encoded word"),
        );
    }
    String::from_utf8(out).expect("UTF-8 subject")
}

/// Checks the delivered message against what was sent.
fn assert_delivered(raw: &[u8], subject: &str, body_lines: &[&str], recipients: &[&str]) {
    let message = Message::parse(raw);
    let shown = String::from_utf8_lossy(raw);
    assert_eq!(message.one("From"), peers::ALICE, "{shown}");
    let to: Vec<&str> = message.one("To").split(',').map(str::trim).collect();
    assert_eq!(to, recipients, "{shown}");

    let raw_subject = message.one("Subject");
    if subject.is_ascii() {
        assert_eq!(raw_subject, subject);
    } else {
        assert!(
            raw_subject.is_ascii(),
            "unencoded 8-bit subject: {raw_subject:?}"
        );
        assert_eq!(decode_words(raw_subject), subject, "{raw_subject}");
    }

    let date = message.one("Date");
    assert!(date.ends_with(" +0000"), "{date}");
    assert_eq!(date.split(' ').count(), 6, "RFC 5322 date expected: {date}");
    let message_id = message.one("Message-ID");
    assert!(
        message_id.starts_with('<') && message_id.ends_with("@example.test>"),
        "{message_id}"
    );
    assert_eq!(message.one("MIME-Version"), "1.0");
    assert!(
        message.one("Content-Type").starts_with("text/plain"),
        "{shown}"
    );
    // Postfix (smtpd_sasl_authenticated_header) records who authenticated.
    assert!(
        message
            .all("Received")
            .iter()
            .any(|r| r.contains(&format!("(Authenticated sender: {})", peers::ALICE))),
        "{shown}"
    );

    let got: Vec<&str> = message
        .body
        .trim_end_matches("\r\n")
        .split("\r\n")
        .collect();
    assert_eq!(got, body_lines, "{shown}");
}

const BODY: [&str; 6] = [
    "Bonjour,",
    "ceci est un message de test — é à ü.",
    ".a line that starts with a dot",
    "..and one with two",
    ".",
    "Fin.",
];

#[test]
fn library_send_test_message_is_delivered_intact() {
    peers::ensure_mail_up();
    let store = TempStore::new("send-lib");
    let account = authorized_account(&store, "alice", peers::ALICE, peers::PUBLIC_CLIENT_ID);
    let id = unique_id();
    let subject = format!("Test d'envoi — é {id}");
    let recipients = [peers::ALICE, peers::BOB];

    let accounts = store.accounts(true);
    let server = local_server(peers::SUBMISSION_PORT, Security::Starttls);
    let (_, report) = accounts
        .send_test(
            "alice",
            Some(server),
            None,
            None,
            recipients.iter().map(|r| (*r).to_owned()).collect(),
            &subject,
            &BODY.join("\n"),
            false,
        )
        .unwrap_or_else(|e| panic!("send-test failed: {e}"));
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "connect",
            "greeting",
            "ehlo",
            "starttls",
            "ehlo",
            "authenticate",
            "mail-from",
            "rcpt",
            "rcpt",
            "data",
            "message",
            "quit"
        ],
        "{:?}",
        report.steps
    );
    assert_eq!(report.mechanism, Some(Mechanism::Xoauth2));
    let queued = &report.steps[names.iter().position(|n| *n == "message").unwrap()].detail;
    assert!(queued.contains("250"), "{queued}");

    let xoauth2 = mail_session(
        &accounts,
        &local_server(peers::IMAPS_PORT, Security::ImplicitTls),
    )
    .xoauth2(peers::ALICE, &account.tokens.access_token)
    .unwrap();
    let mut reader = ImapReader::login(&store, &xoauth2);
    let n = reader.wait_for(&id);
    let raw = reader.fetch(n);
    assert_delivered(&raw, &subject, &BODY, &recipients);
}

#[test]
fn cli_send_test_is_delivered() {
    peers::ensure_mail_up();
    let store = TempStore::new("send-cli");
    let account = authorized_account(&store, "alice", peers::ALICE, peers::PUBLIC_CLIENT_ID);
    let id = unique_id();
    let subject = format!("mail-oauth CLI test {id}");
    let body = ["Sent by the CLI over implicit TLS.", ".dot", "end"];

    let (out, stdout, stderr) = run(store
        .cli()
        .args([
            "--allow-loopback",
            "--json",
            "send-test",
            "--account",
            "alice",
        ])
        .arg("--server")
        .arg(format!("{}:{}", peers::HOST, peers::SUBMISSIONS_PORT))
        .args([
            "--security",
            "tls",
            "--to",
            peers::ALICE,
            "--subject",
            &subject,
        ])
        .args(["--body", &body.join("\n")]));
    assert!(out.status.success(), "{stdout} {stderr}");
    let v = last_json(&stdout);
    assert_eq!(v["ok"], true, "{v}");
    let names: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "connect",
            "greeting",
            "ehlo",
            "authenticate",
            "mail-from",
            "rcpt",
            "data",
            "message",
            "quit"
        ],
        "{v}"
    );
    assert!(!stdout.contains(account.tokens.access_token.expose()));

    let accounts = store.accounts(true);
    let xoauth2 = mail_session(
        &accounts,
        &local_server(peers::IMAPS_PORT, Security::ImplicitTls),
    )
    .xoauth2(peers::ALICE, &account.tokens.access_token)
    .unwrap();
    let mut reader = ImapReader::login(&store, &xoauth2);
    let n = reader.wait_for(&id);
    let raw = reader.fetch(n);
    assert_delivered(&raw, &subject, &body, &[peers::ALICE]);
}
