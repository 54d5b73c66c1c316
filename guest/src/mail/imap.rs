//! The IMAP dialogue (RFC 9051 / RFC 3501): greeting, CAPABILITY, STARTTLS,
//! AUTHENTICATE with XOAUTH2 or OAUTHBEARER, one real command, LOGOUT.

use std::time::Instant;

use crate::http::Http;
use crate::transport::{Connection, Security, Transport, TransportError};
use crate::types::Server;

use super::dialogue::{
    LineBudget, Login, MAX_LINE, MailError, MailFailure, Mechanism, Outcome, Report, Sasl, Session,
    choose_mechanism, run_with_refresh, strip_prefix_ignore_case,
};

/// Authenticates on IMAP, examines INBOX and logs out.
///
/// The command after authentication is `EXAMINE INBOX` (the read-only SELECT:
/// no `\Recent` flags are cleared): Microsoft can accept AUTHENTICATE and refuse
/// the mailbox, which only a real command shows (`command-rejected` at step
/// `select`). A `* PREAUTH` greeting is refused as `mail-protocol`: the server
/// skips authentication, so the token cannot be verified, and with STARTTLS
/// requested it would bypass TLS (RFC 9051 §7.1.5).
pub fn verify_imap(
    transport: &impl Transport,
    http: &dyn Http,
    server: &Server,
    login: &Login,
) -> Result<Report, MailFailure> {
    run_with_refresh(http, server, login, |sasl, steps| {
        let session = Session::open(transport, server, sasl, steps)?;
        Imap { session, tags: 0 }.run(server.security, login.mechanism, sasl)
    })
}

/// The completion status of a tagged reply.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    No,
    Bad,
}

/// One logical server line (literals consumed).
enum Line {
    /// `* …`: untagged data, tolerated wherever it comes; the text after `* `.
    Untagged(String),
    /// `+ …`: a continuation request; the text after `+`.
    Continuation(String),
    /// `<our tag> OK|NO|BAD …`; the whole line.
    Tagged(Status, String),
}

/// A command's result: its tagged line and the untagged lines before it.
struct Reply {
    status: Status,
    line: String,
    untagged: Vec<String>,
}

struct Imap<'a, C: Connection> {
    session: Session<'a, C>,
    tags: u32,
}

impl<C: Connection> Imap<'_, C> {
    fn run(
        mut self,
        security: Security,
        forced: Option<Mechanism>,
        sasl: &Sasl,
    ) -> Result<Outcome, MailError> {
        let (greeting, mut capabilities) = self.greeting()?;
        if security == Security::Starttls {
            self.starttls(capabilities.as_deref())?;
            // Anything learnt before TLS may have been forged: ask again.
            capabilities = None;
        }
        let capabilities = match capabilities {
            Some(capabilities) => capabilities,
            None => self.capability()?,
        };
        let offered: Vec<String> = capabilities
            .iter()
            .filter_map(|c| strip_prefix_ignore_case(c, "AUTH="))
            .map(str::to_owned)
            .collect();
        let mechanism = choose_mechanism(forced, Some(&offered))?;
        let inline = has(&capabilities, "SASL-IR");
        self.authenticate(mechanism, sasl, inline)?;
        self.examine_inbox()?;
        self.logout();
        Ok(Outcome {
            greeting,
            capabilities,
            mechanism,
        })
    }

    fn next_tag(&mut self) -> String {
        self.tags += 1;
        format!("A{}", self.tags)
    }

    /// Reads the greeting; returns it and the capabilities of its
    /// `[CAPABILITY …]` response code, if any.
    fn greeting(&mut self) -> Result<(String, Option<Vec<String>>), MailError> {
        let started = Instant::now();
        let line = self.read_logical("greeting")?;
        if let Some(text) = strip_prefix_ignore_case(&line, "* OK") {
            self.session.record("greeting", started, &line);
            let capabilities = strip_prefix_ignore_case(text.trim_start(), "[CAPABILITY ")
                .and_then(|rest| rest.split_once(']'))
                .map(|(list, _)| atoms(list));
            Ok((self.session.clean(&line), capabilities))
        } else if strip_prefix_ignore_case(&line, "* BYE").is_some() {
            Err(self.session.rejected("greeting", &line))
        } else if strip_prefix_ignore_case(&line, "* PREAUTH").is_some() {
            let reply = format!("{line} (pre-authenticated: the token cannot be verified)");
            Err(self.session.protocol("greeting", &reply))
        } else {
            Err(self.session.protocol("greeting", &line))
        }
    }

    fn starttls(&mut self, capabilities: Option<&[String]>) -> Result<(), MailError> {
        if capabilities.is_some_and(|c| !has(c, "STARTTLS")) {
            return Err(MailError::TlsUnavailable(
                "the server does not advertise STARTTLS".into(),
            ));
        }
        let started = Instant::now();
        let reply = self.command("starttls", "STARTTLS")?;
        if reply.status != Status::Ok {
            return Err(MailError::TlsUnavailable(self.session.clean(&reply.line)));
        }
        self.session.upgrade_tls()?;
        self.session.record("starttls", started, &reply.line);
        Ok(())
    }

    fn capability(&mut self) -> Result<Vec<String>, MailError> {
        let started = Instant::now();
        let reply = self.command("capability", "CAPABILITY")?;
        if reply.status != Status::Ok {
            return Err(self.session.protocol("capability", &reply.line));
        }
        let Some(line) = reply
            .untagged
            .iter()
            .find(|u| strip_prefix_ignore_case(u, "CAPABILITY ").is_some())
        else {
            return Err(self.session.protocol("capability", &reply.line));
        };
        self.session.record("capability", started, line);
        Ok(atoms(&line["CAPABILITY ".len()..]))
    }

    /// AUTHENTICATE, the initial response inline only with SASL-IR (RFC 4959),
    /// otherwise after the first continuation request.
    fn authenticate(
        &mut self,
        mechanism: Mechanism,
        sasl: &Sasl,
        inline: bool,
    ) -> Result<(), MailError> {
        const STEP: &str = "authenticate";
        let started = Instant::now();
        let tag = self.next_tag();
        let name = mechanism.name();
        let response = sasl.response(mechanism);
        let summary = if inline {
            self.session
                .send_line(&format!("{tag} AUTHENTICATE {name} {response}"))?;
            format!("AUTHENTICATE {name} [initial response]")
        } else {
            self.session
                .send_line(&format!("{tag} AUTHENTICATE {name}"))?;
            loop {
                match self.read(STEP, &tag)? {
                    Line::Untagged(_) => {}
                    Line::Continuation(_) => break,
                    Line::Tagged(Status::Ok, line) => {
                        // Authenticated without credentials: not a verification.
                        return Err(self.session.protocol(STEP, &line));
                    }
                    Line::Tagged(_, line) => {
                        return Err(self.session.auth_refused(None, &line, None));
                    }
                }
            }
            self.session.send_line(response)?;
            format!("AUTHENTICATE {name}, + then [initial response]")
        };
        let mut challenge = None;
        let mut budget = LineBudget::new();
        loop {
            budget.spend(STEP)?;
            match self.read(STEP, &tag)? {
                Line::Untagged(_) => {}
                Line::Continuation(text) if challenge.is_none() => {
                    // An error challenge: acknowledge it so the server sends
                    // its tagged NO.
                    self.session.send_line(mechanism.error_ack())?;
                    challenge = Some(text);
                }
                Line::Continuation(text) => {
                    return Err(self.session.protocol(STEP, &format!("+ {text}")));
                }
                Line::Tagged(Status::Ok, line) => {
                    self.session
                        .record(STEP, started, &format!("{summary} → {line}"));
                    return Ok(());
                }
                Line::Tagged(_, line) => {
                    return Err(self.session.auth_refused(challenge.as_deref(), &line, None));
                }
            }
        }
    }

    fn examine_inbox(&mut self) -> Result<(), MailError> {
        let started = Instant::now();
        let reply = self.command("select", "EXAMINE INBOX")?;
        if reply.status != Status::Ok {
            return Err(self.session.rejected("select", &reply.line));
        }
        let exists = reply.untagged.iter().find_map(|u| {
            u.strip_suffix(" EXISTS")
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        });
        let detail = match exists {
            Some(n) => format!("EXAMINE INBOX ({n} messages) → {}", reply.line),
            None => format!("EXAMINE INBOX → {}", reply.line),
        };
        self.session.record("select", started, &detail);
        Ok(())
    }

    /// LOGOUT, best effort: the verification is already done, so a server that
    /// closes early or answers oddly only shows in the step's detail.
    fn logout(&mut self) {
        let started = Instant::now();
        let tag = self.next_tag();
        let detail = match self.logout_reply(&tag) {
            Ok(line) => line,
            Err(MailError::Transport(TransportError::Closed)) => {
                "the server closed the connection".to_owned()
            }
            Err(error) => error.to_string(),
        };
        self.session.record("logout", started, &detail);
    }

    fn logout_reply(&mut self, tag: &str) -> Result<String, MailError> {
        self.session.send_line(&format!("{tag} LOGOUT"))?;
        let mut budget = LineBudget::new();
        loop {
            budget.spend("logout")?;
            match self.read("logout", tag)? {
                Line::Tagged(_, line) => return Ok(line),
                Line::Untagged(_) | Line::Continuation(_) => {}
            }
        }
    }

    /// Sends `command` under a new tag and reads up to its tagged reply.
    fn command(&mut self, step: &str, command: &str) -> Result<Reply, MailError> {
        let tag = self.next_tag();
        self.session.send_line(&format!("{tag} {command}"))?;
        let mut untagged = Vec::new();
        let mut budget = LineBudget::new();
        loop {
            budget.spend(step)?;
            match self.read(step, &tag)? {
                Line::Untagged(text) => untagged.push(text),
                Line::Continuation(text) => {
                    return Err(self.session.protocol(step, &format!("+ {text}")));
                }
                Line::Tagged(status, line) => {
                    return Ok(Reply {
                        status,
                        line,
                        untagged,
                    });
                }
            }
        }
    }

    /// Reads and classifies one logical line. A line that is neither untagged,
    /// a continuation nor tagged with `tag` breaks the protocol.
    fn read(&mut self, step: &str, tag: &str) -> Result<Line, MailError> {
        let line = self.read_logical(step)?;
        if let Some(text) = line.strip_prefix("* ") {
            return Ok(Line::Untagged(text.to_owned()));
        }
        if let Some(text) = line.strip_prefix('+') {
            return Ok(Line::Continuation(text.trim_start().to_owned()));
        }
        let status = line
            .strip_prefix(tag)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(|rest| rest.split(' ').next().unwrap_or_default());
        match status {
            Some(s) if s.eq_ignore_ascii_case("OK") => Ok(Line::Tagged(Status::Ok, line)),
            Some(s) if s.eq_ignore_ascii_case("NO") => Ok(Line::Tagged(Status::No, line)),
            Some(s) if s.eq_ignore_ascii_case("BAD") => Ok(Line::Tagged(Status::Bad, line)),
            _ => Err(self.session.protocol(step, &line)),
        }
    }

    /// Reads one line and, while it ends with a literal `{n}` or `{n+}`, the
    /// literal's `n` bytes and the line that continues it. The literal's bytes
    /// are dropped: nothing this dialogue needs travels in a literal.
    fn read_logical(&mut self, step: &str) -> Result<String, MailError> {
        let mut line = self.session.read_line()?;
        let mut last = line.clone();
        let mut budget = LineBudget::new();
        // Only the newest segment can announce a literal.
        while let Some(len) = literal_len(&last) {
            budget.spend(step)?;
            if len > MAX_LINE {
                return Err(self.session.protocol(step, &line));
            }
            self.session.read_exact(len)?;
            last = self.session.read_line()?;
            line.push_str(&last);
        }
        Ok(line)
    }
}

/// The length of the literal announced at the end of `line`, if any.
fn literal_len(line: &str) -> Option<u32> {
    let open = line.strip_suffix('}')?.rfind('{')?;
    let inner = &line[open + 1..line.len() - 1];
    let digits = inner.strip_suffix('+').unwrap_or(inner);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Too many digits for a u32 is an absurd literal; report it as huge.
    Some(digits.parse().unwrap_or(u32::MAX))
}

fn atoms(list: &str) -> Vec<String> {
    list.split_ascii_whitespace().map(str::to_owned).collect()
}

fn has(capabilities: &[String], name: &str) -> bool {
    capabilities.iter().any(|c| c.eq_ignore_ascii_case(name))
}
