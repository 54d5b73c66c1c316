//! The SMTP dialogue (RFC 5321, RFC 3207 STARTTLS, RFC 4954 AUTH): greeting,
//! EHLO, STARTTLS, AUTH, and for the test message MAIL FROM, RCPT TO, DATA; QUIT.

use std::time::Instant;

use crate::http::Http;
use crate::transport::{Connection, Security, Transport, TransportError};
use crate::types::Server;

use super::dialogue::{
    LineBudget, Login, MailError, MailFailure, Mechanism, Outcome, Report, Sasl, Session,
    TestMessage, choose_mechanism, run_with_refresh, strip_prefix_ignore_case,
};
use super::message::{self, Composed};

/// The longest AUTH command line with its initial response, CRLF included
/// (RFC 4954 §4): longer responses are sent after the `334` continuation.
const MAX_AUTH_LINE: usize = 512;

/// The name given in EHLO. The component does not know the host's name, and
/// `localhost` is what submission servers accept from any client.
const CLIENT_NAME: &str = "localhost";

/// EHLO, STARTTLS when asked, AUTH, QUIT.
pub fn verify_smtp(
    transport: &impl Transport,
    http: &dyn Http,
    server: &Server,
    login: &Login,
) -> Result<Report, MailFailure> {
    run_with_refresh(http, server, login, |sasl, steps| {
        let session = Session::open(transport, server, sasl, steps)?;
        Smtp { session }.run(server.security, login.mechanism, sasl, None)
    })
}

/// Authenticates on SMTP and sends `message`.
///
/// Everything about the message is checked before connecting: a sender other
/// than `login.user` without `send_as` is `sender-not-authorized`, an unusable
/// address or subject is `invalid-input`; in both cases no byte is sent.
pub fn send_test_message(
    transport: &impl Transport,
    http: &dyn Http,
    server: &Server,
    login: &Login,
    message: &TestMessage,
) -> Result<Report, MailFailure> {
    message::check(message, &login.user)?;
    let unique = message::unique_id()?;
    run_with_refresh(http, server, login, |sasl, steps| {
        let session = Session::open(transport, server, sasl, steps)?;
        let send = Some((message, unique.as_str()));
        Smtp { session }.run(server.security, login.mechanism, sasl, send)
    })
}

/// One reply: its code and the text of each line.
struct Reply {
    code: u16,
    texts: Vec<String>,
    /// The last line, whole: what a step or an error shows.
    last: String,
}

impl Reply {
    /// All lines, for a step's detail.
    fn summary(&self) -> String {
        format!("{} {}", self.code, self.texts.join(", "))
    }
}

struct Smtp<'a, C: Connection> {
    session: Session<'a, C>,
}

impl<C: Connection> Smtp<'_, C> {
    fn run(
        mut self,
        security: Security,
        forced: Option<Mechanism>,
        sasl: &Sasl,
        send: Option<(&TestMessage, &str)>,
    ) -> Result<Outcome, MailError> {
        let greeting = self.greeting()?;
        let mut extensions = self.ehlo()?;
        if security == Security::Starttls {
            self.starttls(&extensions)?;
            // Only what the server says over TLS counts.
            extensions = self.ehlo()?;
        }
        let offered: Vec<String> = extensions
            .iter()
            .filter_map(|e| {
                strip_prefix_ignore_case(e, "AUTH ")
                    .or_else(|| strip_prefix_ignore_case(e, "AUTH="))
            })
            .flat_map(str::split_ascii_whitespace)
            .map(str::to_owned)
            .collect();
        let mechanism = choose_mechanism(forced, Some(&offered))?;
        self.authenticate(mechanism, sasl)?;
        if let Some((message, unique)) = send {
            let eight_bit_mime = extensions
                .iter()
                .any(|e| e.eq_ignore_ascii_case("8BITMIME"));
            let composed = message::compose(message, eight_bit_mime, unique);
            self.transaction(message, &composed)?;
        }
        self.quit();
        Ok(Outcome {
            greeting,
            capabilities: extensions,
            mechanism,
        })
    }

    fn greeting(&mut self) -> Result<String, MailError> {
        let started = Instant::now();
        let reply = self.read("greeting")?;
        if reply.code != 220 {
            return Err(self
                .session
                .rejected_with("greeting", &reply.last, reply.code));
        }
        self.session.record("greeting", started, &reply.summary());
        Ok(self.session.clean(&reply.summary()))
    }

    /// EHLO; the extension lines (the first line, the server's name, dropped).
    fn ehlo(&mut self) -> Result<Vec<String>, MailError> {
        let started = Instant::now();
        let reply = self.command("ehlo", &format!("EHLO {CLIENT_NAME}"))?;
        if reply.code != 250 {
            return Err(self.session.rejected_with("ehlo", &reply.last, reply.code));
        }
        self.session.record("ehlo", started, &reply.summary());
        Ok(reply.texts.into_iter().skip(1).collect())
    }

    fn starttls(&mut self, extensions: &[String]) -> Result<(), MailError> {
        if !extensions
            .iter()
            .any(|e| e.eq_ignore_ascii_case("STARTTLS"))
        {
            return Err(MailError::TlsUnavailable(
                "the server does not advertise STARTTLS".into(),
            ));
        }
        let started = Instant::now();
        let reply = self.command("starttls", "STARTTLS")?;
        if reply.code != 220 {
            return Err(MailError::TlsUnavailable(self.session.clean(&reply.last)));
        }
        self.session.upgrade_tls()?;
        self.session.record("starttls", started, &reply.last);
        Ok(())
    }

    fn authenticate(&mut self, mechanism: Mechanism, sasl: &Sasl) -> Result<(), MailError> {
        const STEP: &str = "authenticate";
        let started = Instant::now();
        let name = mechanism.name();
        let response = sasl.response(mechanism);
        let inline = format!("AUTH {name} {response}");
        let (summary, mut reply) = if inline.len() + 2 <= MAX_AUTH_LINE {
            let reply = self.command(STEP, &inline)?;
            (format!("AUTH {name} [initial response]"), reply)
        } else {
            let reply = self.command(STEP, &format!("AUTH {name}"))?;
            match reply.code {
                334 => {}
                // Authenticated without credentials: not a verification.
                200..=399 => return Err(self.session.protocol(STEP, &reply.last)),
                _ => {
                    return Err(self
                        .session
                        .auth_refused(None, &reply.last, Some(reply.code)));
                }
            }
            let reply = self.command(STEP, response)?;
            (format!("AUTH {name}, 334 then [initial response]"), reply)
        };
        let mut challenge = None;
        if reply.code == 334 {
            // An error challenge: acknowledge it so the server sends its 535.
            challenge = Some(reply.texts.join(""));
            reply = self.command(STEP, mechanism.error_ack())?;
        }
        match reply.code {
            235 => {
                let detail = format!("{summary} → {}", reply.last);
                self.session.record(STEP, started, &detail);
                Ok(())
            }
            400..=599 => {
                Err(self
                    .session
                    .auth_refused(challenge.as_deref(), &reply.last, Some(reply.code)))
            }
            _ => Err(self.session.protocol(STEP, &reply.last)),
        }
    }

    fn transaction(&mut self, message: &TestMessage, composed: &Composed) -> Result<(), MailError> {
        let body = if composed.eight_bit {
            " BODY=8BITMIME"
        } else {
            ""
        };
        self.expect(
            "mail-from",
            &format!("MAIL FROM:<{}>{body}", message.sender),
            &[250],
        )?;
        for recipient in &message.recipients {
            self.expect("rcpt", &format!("RCPT TO:<{recipient}>"), &[250, 251])?;
        }
        self.expect("data", "DATA", &[354])?;
        let started = Instant::now();
        self.session.send(&composed.data)?;
        let reply = self.read("message")?;
        if reply.code != 250 {
            return Err(self
                .session
                .rejected_with("message", &reply.last, reply.code));
        }
        let detail = format!("{} bytes → {}", composed.data.len(), reply.last);
        self.session.record("message", started, &detail);
        Ok(())
    }

    /// Sends `command`; a reply other than `codes` is `command-rejected` at `step`.
    fn expect(&mut self, step: &str, command: &str, codes: &[u16]) -> Result<(), MailError> {
        let started = Instant::now();
        let reply = self.command(step, command)?;
        if !codes.contains(&reply.code) {
            return Err(self.session.rejected_with(step, &reply.last, reply.code));
        }
        self.session.record(step, started, &reply.last);
        Ok(())
    }

    /// QUIT, best effort: the work is already done.
    fn quit(&mut self) {
        let started = Instant::now();
        let detail = match self.command("quit", "QUIT") {
            Ok(reply) => reply.last,
            Err(MailError::Transport(TransportError::Closed)) => {
                "the server closed the connection".to_owned()
            }
            Err(error) => error.to_string(),
        };
        self.session.record("quit", started, &detail);
    }

    fn command(&mut self, step: &str, line: &str) -> Result<Reply, MailError> {
        self.session.send_line(line)?;
        self.read(step)
    }

    /// Reads one reply, multi-line (`250-…` … `250 …`) or not. A line without a
    /// three-digit code, or whose code differs from the first line's, breaks the
    /// protocol.
    fn read(&mut self, step: &str) -> Result<Reply, MailError> {
        let mut code = None;
        let mut texts = Vec::new();
        let mut budget = LineBudget::new();
        loop {
            budget.spend(step)?;
            let line = self.session.read_line()?;
            let bytes = line.as_bytes();
            let valid = bytes.len() >= 3
                && bytes[..3].iter().all(u8::is_ascii_digit)
                && matches!(bytes.get(3), None | Some(b' ' | b'-'));
            let this: Option<u16> = if valid { line[..3].parse().ok() } else { None };
            match (this, code) {
                (Some(this), None) => code = Some(this),
                (Some(this), Some(first)) if this == first => {}
                _ => return Err(self.session.protocol(step, &line)),
            }
            texts.push(line.get(4..).unwrap_or_default().to_owned());
            if bytes.get(3) != Some(&b'-') {
                return Ok(Reply {
                    code: this.unwrap_or_default(),
                    texts,
                    last: line,
                });
            }
        }
    }
}
