//! The frame every mail dialogue runs in, and the records of the WIT `mail`
//! interface: the input checks and SASL responses built before connecting,
//! the refresh-once retry ([`run_with_refresh`]), and the [`Session`] that
//! keeps credentials out of every step and error it records.

use std::fmt;
use std::time::Instant;

use crate::error::{Error, SaslError};
use crate::http::{Http, HttpError};
use crate::transport::{Connection, Transport, TransportError};
use crate::types::{Client, CommandRejection, Provider, SaslRejection, Server, TokenSet};

/// The longest line asked of the transport. Replies are short; 64 KiB leaves room
/// for a large CAPABILITY or EHLO answer while bounding what a hostile server can
/// make the component buffer.
pub const MAX_LINE: u32 = 64 * 1024;

/// The most lines accepted in one reply, so a server streaming untagged data
/// forever is cut off even when each line is short.
const MAX_REPLY_LINES: usize = 10_000;

/// Longest server text kept in a step detail or an error, in characters.
const MAX_TEXT: usize = 512;

/// The SASL mechanism to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// Google/Microsoft XOAUTH2.
    Xoauth2,
    /// RFC 7628 OAUTHBEARER.
    Oauthbearer,
}

impl Mechanism {
    /// The mechanism's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Xoauth2 => "XOAUTH2",
            Mechanism::Oauthbearer => "OAUTHBEARER",
        }
    }

    /// What the client answers to an error challenge so the server can finish
    /// the exchange with its failure reply: an empty response for XOAUTH2
    /// (Google's and Microsoft's documented behaviour), a single `%x01` for
    /// OAUTHBEARER (RFC 7628 §3.2.3), base64 `AQ==`.
    pub(crate) fn error_ack(self) -> &'static str {
        match self {
            Mechanism::Xoauth2 => "",
            Mechanism::Oauthbearer => "AQ==",
        }
    }
}

/// A token set the component may refresh once, when the access token is expired
/// at `now` or the server rejects it (`401` / `invalid_token`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refreshable {
    /// The provider that issued the tokens.
    pub provider: Provider,
    /// The client they were issued to.
    pub client: Client,
    /// The current tokens.
    pub tokens: TokenSet,
    /// Unix seconds.
    pub now: u64,
}

/// What to authenticate with.
#[derive(Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "built once per call, mirroring the WIT variant; a Box would only burden callers"
)]
pub enum Credentials {
    /// A bare access token; no refresh possible. Secret.
    AccessToken(String),
    /// A token set, refreshed once if needed.
    Refreshable(Refreshable),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::AccessToken(_) => f.write_str("AccessToken([redacted])"),
            // `TokenSet` and `Client` redact their own secrets.
            Credentials::Refreshable(refreshable) => {
                f.debug_tuple("Refreshable").field(refreshable).finish()
            }
        }
    }
}

/// Who logs in and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// The SASL identity: the mailbox address (for a shared mailbox on IMAP, the
    /// shared address; on SMTP, the delegate who logs in).
    pub user: String,
    /// The token.
    pub credentials: Credentials,
    /// Force a mechanism; `None` picks XOAUTH2 when offered, else OAUTHBEARER.
    pub mechanism: Option<Mechanism>,
}

/// One step of a dialogue, for the admin's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What was done: `connect`, `greeting`, `capability`, `starttls`,
    /// `authenticate`, `select`, `stat`, `mail-from`, `data`, `logout`…
    pub name: String,
    /// How long it took, in milliseconds.
    pub millis: u32,
    /// What the server said (its reply line, never a credential).
    pub detail: String,
}

/// The result of a successful dialogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The server's greeting line.
    pub greeting: String,
    /// The capabilities / extensions advertised (after STARTTLS when used).
    pub capabilities: Vec<String>,
    /// The SASL mechanism used; `None` for a mail API.
    pub mechanism: Option<Mechanism>,
    /// Every step, in order (a failed first attempt and the refresh included).
    pub steps: Vec<Step>,
    /// The new token set when the component refreshed; the host must store it
    /// (a rotated refresh token replaces the old one).
    pub refreshed: Option<TokenSet>,
}

/// A test message (GLPI's "Test d'envoi").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestMessage {
    /// Envelope and header sender. Must be the login user unless `send_as`.
    pub sender: String,
    /// Recipients (envelope and `To`).
    pub recipients: Vec<String>,
    /// Subject (UTF-8; RFC 2047 encoded when not ASCII).
    pub subject: String,
    /// Plain-text body (UTF-8); line endings become CRLF, leading dots are stuffed.
    pub body: String,
    /// The caller declares a send-as / shared-mailbox right.
    pub send_as: bool,
    /// Unix seconds, for the `Date` header.
    pub now: u64,
}

/// Every failure of the mail functions, mirroring the WIT `mail-error`
/// variant case by case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailError {
    /// A refresh was needed and failed (`ReauthorizeRequired`, `Http`…).
    OAuth(Error),
    /// An input refused before connecting (an empty or control-bearing user,
    /// token, host, address); the text names the field.
    InvalidInput(String),
    /// The host could not connect, read or write.
    Transport(TransportError),
    /// The host could not deliver a mail API request.
    Http(HttpError),
    /// The server refused the token.
    SaslRejected(SaslRejection),
    /// The server offers neither XOAUTH2 nor OAUTHBEARER (or not the forced
    /// one): the mechanisms it offers.
    NoMechanism(Vec<String>),
    /// STARTTLS/STLS was asked for and the server does not offer or refuses it.
    TlsUnavailable(String),
    /// A well-formed refusal for good: of the connection (`greeting`), of a
    /// command after authentication (`select`, `stat`), of the envelope
    /// (`rcpt`…), or a mail API's 4xx.
    CommandRejected(CommandRejection),
    /// A reply that breaks the protocol (garbage, wrong tag, malformed code).
    ProtocolViolation(CommandRejection),
    /// The server said "later" (IMAP `[UNAVAILABLE]`, SMTP 4xx, POP3
    /// `[SYS/TEMP]` / `[IN-USE]`, a mail API's 429/503).
    TemporaryFailure(CommandRejection),
    /// The test message's sender is not the login user and `send_as` is not
    /// set. Nothing was sent.
    SenderNotAuthorized {
        /// The message's sender.
        sender: String,
        /// The login user.
        user: String,
    },
}

impl From<Error> for MailError {
    fn from(error: Error) -> Self {
        MailError::OAuth(error)
    }
}

impl From<SaslError> for MailError {
    fn from(error: SaslError) -> Self {
        MailError::InvalidInput(error.0)
    }
}

impl From<TransportError> for MailError {
    fn from(error: TransportError) -> Self {
        MailError::Transport(error)
    }
}

/// Whether a refusal means "later": an SMTP 4xx, or a response code of IMAP
/// (`[UNAVAILABLE]`, RFC 5530) or POP3 (`[SYS/TEMP]`, `[IN-USE]`, RFC 3206 /
/// RFC 2449).
pub(crate) fn is_temporary(reply: &str, code: Option<u16>) -> bool {
    if let Some(code) = code {
        return (400..500).contains(&code);
    }
    let upper = reply.to_ascii_uppercase();
    ["[UNAVAILABLE]", "[SYS/TEMP]", "[IN-USE]"]
        .iter()
        .any(|marker| upper.contains(marker))
}

impl MailError {
    /// Shorthand for an invalid-input error naming the field.
    pub(crate) fn input(what: impl Into<String>) -> Self {
        MailError::InvalidInput(what.into())
    }

    fn rejection(step: &str, reply: String, code: Option<u16>) -> CommandRejection {
        CommandRejection {
            step: step.to_owned(),
            reply,
            code,
        }
    }

    /// A [`MailError::ProtocolViolation`] at `step`.
    pub(crate) fn protocol(step: &str, reply: String) -> Self {
        MailError::ProtocolViolation(Self::rejection(step, reply, None))
    }

    /// A refusal at `step`: [`MailError::TemporaryFailure`] when the reply
    /// says "later", else [`MailError::CommandRejected`].
    pub(crate) fn refused(step: &str, reply: String, code: Option<u16>) -> Self {
        if is_temporary(&reply, code) {
            MailError::TemporaryFailure(Self::rejection(step, reply, code))
        } else {
            MailError::CommandRejected(Self::rejection(step, reply, code))
        }
    }
}

impl fmt::Display for MailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailError::OAuth(error) => error.fmt(f),
            MailError::InvalidInput(what) => write!(f, "invalid input: {what}"),
            MailError::Transport(error) => error.fmt(f),
            MailError::Http(error) => write!(f, "HTTP request failed: {error}"),
            MailError::SaslRejected(rejection) => {
                write!(f, "the server refused the token: {}", rejection.server_text)?;
                if let Some(status) = &rejection.status {
                    write!(f, " (status {status}")?;
                    if let Some(scope) = &rejection.scope {
                        write!(f, ", scope {scope}")?;
                    }
                    f.write_str(")")?;
                }
                Ok(())
            }
            MailError::NoMechanism(offered) => write!(
                f,
                "the server offers no usable SASL mechanism (offered: {})",
                offered.join(" ")
            ),
            MailError::TlsUnavailable(reason) => write!(f, "STARTTLS unavailable: {reason}"),
            MailError::CommandRejected(CommandRejection { step, reply, .. }) => {
                write!(f, "the server refused {step}: {reply}")
            }
            MailError::ProtocolViolation(CommandRejection { step, reply, .. }) => {
                write!(f, "protocol violation at {step}: {reply}")
            }
            MailError::TemporaryFailure(CommandRejection { step, reply, .. }) => {
                write!(
                    f,
                    "the server is temporarily unavailable at {step}: {reply}"
                )
            }
            MailError::SenderNotAuthorized { sender, user } => write!(
                f,
                "{sender} is not the authorized account {user} and no send-as right was declared"
            ),
        }
    }
}

impl std::error::Error for MailError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MailError::OAuth(error) => Some(error),
            MailError::Transport(error) => Some(error),
            MailError::Http(error) => Some(error),
            _ => None,
        }
    }
}

/// The SASL initial responses for one access token, built (and so validated)
/// before connecting. Secret: `Debug` prints nothing of it.
pub(crate) struct Sasl {
    xoauth2: String,
    oauthbearer: String,
    /// The texts to scrub from anything shown: the token and both responses.
    secrets: Vec<String>,
}

impl fmt::Debug for Sasl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sasl([redacted])")
    }
}

impl Sasl {
    fn new(user: &str, server: &Server, access_token: &str) -> Result<Self, MailError> {
        let xoauth2 = crate::sasl::xoauth2(user, access_token)?;
        let oauthbearer = crate::sasl::oauthbearer(user, &server.host, server.port, access_token)?;
        let secrets = vec![
            access_token.to_owned(),
            xoauth2.clone(),
            oauthbearer.clone(),
        ];
        Ok(Sasl {
            xoauth2,
            oauthbearer,
            secrets,
        })
    }

    /// The same, also scrubbing what `earlier` scrubbed: the retry after a
    /// refresh must not show the token it replaced either.
    fn scrubbing_also(mut self, earlier: &Sasl) -> Self {
        self.secrets.extend(earlier.secrets.iter().cloned());
        self
    }

    /// The same, also scrubbing the login's other secrets: the access token
    /// it came with (replaced by a refresh before the first connection, but
    /// perhaps still valid), the refresh token and the client secret.
    fn scrubbing_credentials(mut self, credentials: &Credentials) -> Self {
        match credentials {
            Credentials::AccessToken(token) => self.secrets.push(token.clone()),
            Credentials::Refreshable(r) => {
                self.secrets.push(r.tokens.access_token.clone());
                self.secrets.extend(r.tokens.refresh_token.iter().cloned());
                self.secrets.extend(r.client.secret.iter().cloned());
            }
        }
        self
    }

    /// The base64 initial response for `mechanism`.
    pub(crate) fn response(&self, mechanism: Mechanism) -> &str {
        match mechanism {
            Mechanism::Xoauth2 => &self.xoauth2,
            Mechanism::Oauthbearer => &self.oauthbearer,
        }
    }
}

/// What a successful dialogue learnt, before the frame adds steps and tokens.
pub(crate) struct Outcome {
    pub greeting: String,
    pub capabilities: Vec<String>,
    pub mechanism: Mechanism,
}

/// Picks the mechanism: the forced one when the server offers it, else XOAUTH2,
/// else OAUTHBEARER. `offered` is `None` when the server publishes no list at all
/// (a POP3 server without CAPA): a forced mechanism is then tried blindly, an
/// unforced choice fails.
pub(crate) fn choose_mechanism(
    forced: Option<Mechanism>,
    offered: Option<&[String]>,
) -> Result<Mechanism, MailError> {
    let Some(offered) = offered else {
        return forced.ok_or(MailError::NoMechanism(Vec::new()));
    };
    let has = |m: Mechanism| offered.iter().any(|o| o.eq_ignore_ascii_case(m.name()));
    let candidates = match forced {
        Some(m) => vec![m],
        None => vec![Mechanism::Xoauth2, Mechanism::Oauthbearer],
    };
    candidates
        .into_iter()
        .find(|m| has(*m))
        .ok_or_else(|| MailError::NoMechanism(offered.to_vec()))
}

/// One connection's dialogue state shared by the three protocols: the
/// connection, the step log and the secrets to keep out of it.
pub(crate) struct Session<'a, C: Connection> {
    conn: C,
    steps: &'a mut Vec<Step>,
    secrets: &'a [String],
}

impl<'a, C: Connection> Session<'a, C> {
    /// Connects and logs the `connect` step.
    pub(crate) fn open<T: Transport<Conn = C>>(
        transport: &T,
        server: &Server,
        sasl: &'a Sasl,
        steps: &'a mut Vec<Step>,
    ) -> Result<Self, MailError> {
        let started = Instant::now();
        let conn = transport.connect(&server.host, server.port, server.security)?;
        let mut session = Session {
            conn,
            steps,
            secrets: &sasl.secrets,
        };
        let detail = format!("{}:{} ({})", server.host, server.port, server.security);
        session.record("connect", started, &detail);
        Ok(session)
    }

    /// Writes `data` whole.
    pub(crate) fn send(&mut self, data: &[u8]) -> Result<(), MailError> {
        Ok(self.conn.write(data)?)
    }

    /// Writes `line` followed by CRLF.
    pub(crate) fn send_line(&mut self, line: &str) -> Result<(), MailError> {
        let mut data = Vec::with_capacity(line.len() + 2);
        data.extend_from_slice(line.as_bytes());
        data.extend_from_slice(b"\r\n");
        self.send(&data)
    }

    /// Reads one line, without its line ending, as (lossy) UTF-8.
    pub(crate) fn read_line(&mut self) -> Result<String, MailError> {
        let bytes = self.conn.read_line(MAX_LINE)?;
        let text = String::from_utf8_lossy(&bytes);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        Ok(text.to_owned())
    }

    /// Reads `len` bytes (an IMAP literal).
    pub(crate) fn read_exact(&mut self, len: u32) -> Result<Vec<u8>, MailError> {
        Ok(self.conn.read_exact(len)?)
    }

    /// Starts TLS on the connection.
    pub(crate) fn upgrade_tls(&mut self) -> Result<(), MailError> {
        Ok(self.conn.upgrade_tls()?)
    }

    /// `text` made fit to show: credentials removed, control characters
    /// replaced, cut to [`MAX_TEXT`] characters.
    pub(crate) fn clean(&self, text: &str) -> String {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        clean(text, &secrets)
    }

    /// Logs a step that began at `started`; `detail` is cleaned first.
    pub(crate) fn record(&mut self, name: &str, started: Instant, detail: &str) {
        let detail = self.clean(detail);
        self.steps.push(step(name, started, detail));
    }

    /// A [`MailError::ProtocolViolation`] at `step` with `reply` cleaned.
    pub(crate) fn protocol(&self, step: &str, reply: &str) -> MailError {
        MailError::protocol(step, self.clean(reply))
    }

    /// A refusal at `step` with `reply` cleaned (IMAP, POP3: no reply code).
    pub(crate) fn rejected(&self, step: &str, reply: &str) -> MailError {
        MailError::refused(step, self.clean(reply), None)
    }

    /// A refusal at `step` with SMTP reply `code`.
    pub(crate) fn rejected_with(&self, step: &str, reply: &str, code: u16) -> MailError {
        MailError::refused(step, self.clean(reply), Some(code))
    }

    /// A refused AUTH: [`MailError::TemporaryFailure`] when the reply says
    /// "later" (SMTP 454, IMAP `NO [UNAVAILABLE]`, POP3 `[SYS/TEMP]`), else
    /// [`MailError::SaslRejected`] from the optional error challenge.
    pub(crate) fn auth_refused(
        &self,
        challenge: Option<&str>,
        reply: &str,
        code: Option<u16>,
    ) -> MailError {
        if is_temporary(reply, code) {
            return MailError::refused("authenticate", self.clean(reply), code);
        }
        self.sasl_rejected(challenge, reply)
    }

    /// A [`MailError::SaslRejected`] from an optional error challenge and the
    /// final reply.
    pub(crate) fn sasl_rejected(&self, challenge: Option<&str>, reply: &str) -> MailError {
        // A challenge that is not base64 JSON still means "rejected"; only its
        // details are lost.
        let failure = challenge.and_then(|c| crate::sasl::parse_failure(c).ok());
        MailError::SaslRejected(SaslRejection {
            status: failure.as_ref().map(|f| self.clean(&f.status)),
            scope: failure.and_then(|f| f.scope).map(|s| self.clean(&s)),
            server_text: self.clean(reply),
        })
    }
}

/// `text` made fit to show: `secrets` removed, control characters replaced,
/// cut to [`MAX_TEXT`] characters. Every server text a step or an error
/// shows, socket dialogue or mail API, passes through it.
pub(crate) fn clean(text: &str, secrets: &[&str]) -> String {
    let text = crate::redact::scrub_known(text, secrets);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_TEXT)
        .collect();
    if text.chars().count() > MAX_TEXT {
        out.push('…');
    }
    out
}

/// A step that began at `started`.
pub(crate) fn step(name: &str, started: Instant, detail: String) -> Step {
    Step {
        name: name.to_owned(),
        millis: u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX),
        detail,
    }
}

/// Counts the lines of one reply and fails once there are too many.
pub(crate) struct LineBudget(usize);

impl LineBudget {
    /// A fresh budget of [`MAX_REPLY_LINES`].
    pub(crate) fn new() -> Self {
        LineBudget(MAX_REPLY_LINES)
    }

    /// Spends one line; a protocol error at `step` once the budget is gone.
    pub(crate) fn spend(&mut self, step: &str) -> Result<(), MailError> {
        self.0 = self
            .0
            .checked_sub(1)
            .ok_or_else(|| MailError::protocol(step, "endless reply".into()))?;
        Ok(())
    }
}

/// The frame of every entry point: validate, refresh when expired, run the
/// dialogue, and on a `401`/`invalid_token` rejection refresh once and retry
/// once on a new connection. A failure after a successful refresh carries the
/// new token set ([`MailFailure::refreshed`]): a rotated refresh token must
/// reach the host's store whatever the dialogue's outcome.
pub(crate) fn run_with_refresh(
    http: &dyn Http,
    server: &Server,
    login: &Login,
    mut dialogue: impl FnMut(&Sasl, &mut Vec<Step>) -> Result<Outcome, MailError>,
) -> Result<Report, MailFailure> {
    // One copy of the frame for every dialogue: the closure is called through `dyn`.
    run_with_refresh_dyn(http, server, login, &mut dialogue)
}

/// One SASL dialogue on a new connection, as [`run_with_refresh`] runs it.
type Dialogue<'a> = dyn FnMut(&Sasl, &mut Vec<Step>) -> Result<Outcome, MailError> + 'a;

fn run_with_refresh_dyn(
    http: &dyn Http,
    server: &Server,
    login: &Login,
    dialogue: &mut Dialogue<'_>,
) -> Result<Report, MailFailure> {
    // The SASL core checks user and host; a placeholder token lets it do so
    // before any refresh, so bad input costs no token request.
    Sasl::new(&login.user, server, "placeholder")?;
    let mut steps = Vec::new();
    let (mut access_token, refreshable) = match &login.credentials {
        Credentials::AccessToken(token) => (token.clone(), None),
        Credentials::Refreshable(r) => (r.tokens.access_token.clone(), Some(r)),
    };
    let mut refreshed: Option<TokenSet> = None;
    if let Some(r) = refreshable
        && r.tokens.expires_at.is_some_and(|at| at <= r.now)
    {
        let tokens = refresh(http, r, &mut steps, "the access token had expired")?;
        access_token = tokens.access_token.clone();
        refreshed = Some(tokens);
    }
    let failed = |error: MailError, refreshed: &Option<TokenSet>| MailFailure {
        error,
        refreshed: refreshed.clone().map(Box::new),
    };
    let sasl = Sasl::new(&login.user, server, &access_token)
        .map(|sasl| sasl.scrubbing_credentials(&login.credentials))
        .map_err(|e| failed(e, &refreshed))?;
    let first = dialogue(&sasl, &mut steps);
    // Retry only for a token the server calls invalid, only once, and only when
    // there is a refresh token to use.
    let retry = match (&first, refreshable) {
        (Err(MailError::SaslRejected(rejection)), Some(r))
            if rejection.token_invalid()
                && refreshed.is_none()
                && r.tokens.refresh_token.is_some() =>
        {
            Some(r)
        }
        _ => None,
    };
    let outcome = match retry {
        Some(r) => {
            let tokens = refresh(http, r, &mut steps, "the server rejected the access token")?;
            let retry_sasl = Sasl::new(&login.user, server, &tokens.access_token)
                .map(|retry_sasl| retry_sasl.scrubbing_also(&sasl));
            refreshed = Some(tokens);
            let retry_sasl = retry_sasl.map_err(|e| failed(e, &refreshed))?;
            dialogue(&retry_sasl, &mut steps).map_err(|e| failed(e, &refreshed))?
        }
        None => first.map_err(|e| failed(e, &refreshed))?,
    };
    Ok(Report {
        greeting: outcome.greeting,
        capabilities: outcome.capabilities,
        mechanism: Some(outcome.mechanism),
        steps,
        refreshed,
    })
}

/// A failed dialogue.
#[derive(Debug)]
pub struct MailFailure {
    /// What went wrong.
    pub error: MailError,
    /// The tokens refreshed before the failure, if any: the host must store
    /// them, since the provider may have rotated the refresh token. Boxed:
    /// the error path stays small.
    pub refreshed: Option<Box<TokenSet>>,
}

impl From<MailError> for MailFailure {
    fn from(error: MailError) -> Self {
        Self {
            error,
            refreshed: None,
        }
    }
}

impl fmt::Display for MailFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for MailFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

pub(crate) fn refresh(
    http: &dyn Http,
    r: &Refreshable,
    steps: &mut Vec<Step>,
    why: &str,
) -> Result<TokenSet, MailError> {
    let started = Instant::now();
    let tokens = crate::token::refresh(http, &r.provider, &r.client, &r.tokens, r.now)?;
    steps.push(step("refresh", started, format!("{why}; refreshed")));
    Ok(tokens)
}

/// `text` without `prefix`, compared ASCII case-insensitively.
pub(crate) fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}
