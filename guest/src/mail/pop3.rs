//! The POP3 dialogue (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH):
//! greeting, CAPA, STLS, AUTH in two steps, STAT, QUIT.

use std::time::Instant;

use crate::http::Http;
use crate::transport::{Connection, Security, Transport, TransportError};
use crate::types::Server;

use super::dialogue::{
    LineBudget, Login, MailError, MailFailure, Mechanism, Outcome, Report, Sasl, Session,
    choose_mechanism, run_with_refresh, strip_prefix_ignore_case,
};

/// Authenticates on POP3, runs STAT and quits.
///
/// `AUTH <mechanism>` is always sent alone and the response only after the
/// server's `+` (Microsoft requires it; RFC 5034's optional initial response is
/// never used). The mechanisms come from CAPA's `SASL` line; a server without
/// CAPA, or without that line, publishes no list: only a forced mechanism is
/// then tried.
pub fn verify_pop3(
    transport: &impl Transport,
    http: &dyn Http,
    server: &Server,
    login: &Login,
) -> Result<Report, MailFailure> {
    run_with_refresh(http, server, login, |sasl, steps| {
        let session = Session::open(transport, server, sasl, steps)?;
        Pop3 { session }.run(server.security, login.mechanism, sasl)
    })
}

/// One POP3 server line, classified.
enum Line {
    /// `+OK …`; the whole line.
    Ok(String),
    /// `-ERR …`; the whole line.
    Err(String),
    /// `+` or `+ <base64>`: a continuation; the text after `+`.
    Continuation(String),
}

struct Pop3<'a, C: Connection> {
    session: Session<'a, C>,
}

impl<C: Connection> Pop3<'_, C> {
    fn run(
        mut self,
        security: Security,
        forced: Option<Mechanism>,
        sasl: &Sasl,
    ) -> Result<Outcome, MailError> {
        let greeting = self.greeting()?;
        let mut capabilities = self.capa()?;
        if security == Security::Starttls {
            self.stls(capabilities.as_deref())?;
            // Never trust what was said before TLS.
            capabilities = self.capa()?;
        }
        let offered: Option<Vec<String>> = capabilities.as_ref().and_then(|lines| {
            lines.iter().find_map(|line| {
                strip_prefix_ignore_case(line, "SASL ")
                    .map(|list| list.split_ascii_whitespace().map(str::to_owned).collect())
            })
        });
        let mechanism = choose_mechanism(forced, offered.as_deref())?;
        self.authenticate(mechanism, sasl)?;
        self.stat()?;
        self.quit();
        Ok(Outcome {
            greeting,
            capabilities: capabilities.unwrap_or_default(),
            mechanism,
        })
    }

    fn greeting(&mut self) -> Result<String, MailError> {
        let started = Instant::now();
        match self.read("greeting")? {
            Line::Ok(line) => {
                self.session.record("greeting", started, &line);
                Ok(self.session.clean(&line))
            }
            Line::Err(line) => Err(self.session.rejected("greeting", &line)),
            Line::Continuation(text) => Err(self.session.protocol("greeting", &format!("+{text}"))),
        }
    }

    /// CAPA's lines, or `None` when the server does not know CAPA (`-ERR`).
    fn capa(&mut self) -> Result<Option<Vec<String>>, MailError> {
        const STEP: &str = "capa";
        let started = Instant::now();
        self.session.send_line("CAPA")?;
        match self.read(STEP)? {
            Line::Ok(_) => {}
            Line::Err(line) => {
                self.session.record(STEP, started, &line);
                return Ok(None);
            }
            Line::Continuation(text) => {
                return Err(self.session.protocol(STEP, &format!("+{text}")));
            }
        }
        let mut lines = Vec::new();
        let mut budget = LineBudget::new();
        loop {
            budget.spend(STEP)?;
            let line = self.session.read_line()?;
            if line == "." {
                break;
            }
            // Multi-line responses are dot-stuffed (RFC 1939 §3).
            let line = line.strip_prefix('.').unwrap_or(&line);
            lines.push(line.to_owned());
        }
        self.session.record(STEP, started, &lines.join(", "));
        Ok(Some(lines))
    }

    fn stls(&mut self, capabilities: Option<&[String]>) -> Result<(), MailError> {
        let advertised = |lines: &[String]| lines.iter().any(|l| l.eq_ignore_ascii_case("STLS"));
        if capabilities.is_some_and(|lines| !advertised(lines)) {
            return Err(MailError::TlsUnavailable(
                "the server does not advertise STLS".into(),
            ));
        }
        let started = Instant::now();
        self.session.send_line("STLS")?;
        match self.read("stls")? {
            Line::Ok(line) => {
                self.session.upgrade_tls()?;
                self.session.record("stls", started, &line);
                Ok(())
            }
            Line::Err(line) => Err(MailError::TlsUnavailable(self.session.clean(&line))),
            Line::Continuation(text) => Err(self.session.protocol("stls", &format!("+{text}"))),
        }
    }

    fn authenticate(&mut self, mechanism: Mechanism, sasl: &Sasl) -> Result<(), MailError> {
        const STEP: &str = "authenticate";
        let started = Instant::now();
        let name = mechanism.name();
        self.session.send_line(&format!("AUTH {name}"))?;
        match self.read(STEP)? {
            Line::Continuation(_) => {}
            Line::Err(line) => return Err(self.session.auth_refused(None, &line, None)),
            // Authenticated without credentials: not a verification.
            Line::Ok(line) => return Err(self.session.protocol(STEP, &line)),
        }
        self.session.send_line(sasl.response(mechanism))?;
        let line = match self.read(STEP)? {
            Line::Ok(line) => line,
            Line::Err(line) => return Err(self.session.auth_refused(None, &line, None)),
            Line::Continuation(challenge) => {
                // An error challenge: acknowledge it so the server sends -ERR.
                self.session.send_line(mechanism.error_ack())?;
                match self.read(STEP)? {
                    Line::Err(line) => {
                        return Err(self.session.auth_refused(Some(&challenge), &line, None));
                    }
                    Line::Ok(line) => line,
                    Line::Continuation(text) => {
                        return Err(self.session.protocol(STEP, &format!("+{text}")));
                    }
                }
            }
        };
        let detail = format!("AUTH {name}, + then [initial response] → {line}");
        self.session.record(STEP, started, &detail);
        Ok(())
    }

    fn stat(&mut self) -> Result<(), MailError> {
        let started = Instant::now();
        self.session.send_line("STAT")?;
        match self.read("stat")? {
            Line::Ok(line) => {
                self.session.record("stat", started, &line);
                Ok(())
            }
            Line::Err(line) => Err(self.session.rejected("stat", &line)),
            Line::Continuation(text) => Err(self.session.protocol("stat", &format!("+{text}"))),
        }
    }

    /// QUIT, best effort: the verification is already done.
    fn quit(&mut self) {
        let started = Instant::now();
        let reply = self
            .session
            .send_line("QUIT")
            .and_then(|()| self.session.read_line());
        let detail = match reply {
            Ok(line) => line,
            Err(MailError::Transport(TransportError::Closed)) => {
                "the server closed the connection".to_owned()
            }
            Err(error) => error.to_string(),
        };
        self.session.record("quit", started, &detail);
    }

    fn read(&mut self, step: &str) -> Result<Line, MailError> {
        let line = self.session.read_line()?;
        if strip_prefix_ignore_case(&line, "+OK").is_some() {
            Ok(Line::Ok(line))
        } else if strip_prefix_ignore_case(&line, "-ERR").is_some() {
            Ok(Line::Err(line))
        } else if line == "+" {
            Ok(Line::Continuation(String::new()))
        } else if let Some(text) = line.strip_prefix("+ ") {
            Ok(Line::Continuation(text.to_owned()))
        } else {
            Err(self.session.protocol(step, &line))
        }
    }
}
