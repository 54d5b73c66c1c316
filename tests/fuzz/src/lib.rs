//! What the fuzz targets share: a mail connection fed with the fuzzer's
//! bytes, HTTP fakes, the fixed secrets the properties look for, and the
//! property checks themselves.
//!
//! The fakes behave as the host's: a line is cut at its LF, no LF within the
//! cap is `line-too-long`, the end of the input is `closed`, `upgrade-tls` is
//! refused on anything but a not yet upgraded STARTTLS connection.

use std::cell::RefCell;

use mail_oauth_guest::http::{Http, HttpError, HttpRequest, HttpResponse};
use mail_oauth_guest::mail::{Connection, Security, Transport, TransportError};
use mail_oauth_guest::{Client, ClientAuth, Provider};

/// The access token the dialogues start with.
pub const TOKEN: &str = "tk29_old-ACCESS-token-0123456789abcdefghij";
/// The access token a refresh hands out.
pub const FRESH: &str = "tk29_new-ACCESS-token-9876543210zyxwvutsrq";
/// The refresh token.
pub const REFRESH: &str = "rt//refresh-TOKEN-0123456789abcdefghijklmn";
/// The client secret.
pub const CLIENT_SECRET: &str = "CLISEC-client-SECRET-0123456789abcdef";
/// The mailbox.
pub const USER: &str = "alice@example.com";
/// The token endpoint of [`provider`].
pub const TOKEN_URL: &str = "https://auth.example.test/token";

/// How many leading bytes of a secret count as showing it (the redaction's
/// partial-echo rule).
pub const ECHO: usize = 16;

/// Panics when any of `secrets` (whole, or its first [`ECHO`] bytes) appears
/// in `shown`.
pub fn assert_hidden(shown: &str, secrets: &[&str], context: &str) {
    for secret in secrets {
        let probe = &secret[..secret.len().min(ECHO)];
        assert!(
            !shown.contains(probe),
            "{context}: a secret ({probe}…) is shown in {shown:?}"
        );
    }
}

/// The provider every target uses: a confidential client at [`TOKEN_URL`].
pub fn provider() -> Provider {
    Provider {
        id: "example".into(),
        display_name: "Example".into(),
        issuer: Some("https://auth.example.test".into()),
        authorization_endpoint: "https://auth.example.test/authorize".into(),
        token_endpoint: TOKEN_URL.into(),
        device_authorization_endpoint: Some("https://auth.example.test/device".into()),
        revocation_endpoint: Some("https://auth.example.test/revoke".into()),
        default_scopes: vec!["openid".into(), "email".into(), "mail".into()],
        extra_parameters: Vec::new(),
        mail_servers: Vec::new(),
        client_auth: ClientAuth::Basic,
        pkce: true,
    }
}

/// The confidential client of [`provider`].
pub fn client() -> Client {
    Client {
        id: "mail-client".into(),
        secret: Some(CLIENT_SECRET.into()),
        redirect_uri: "http://127.0.0.1:8765/callback".into(),
    }
}

/// The host's line cap (`TransportLimits::max_line_bytes`).
const HOST_LINE_CAP: u32 = 64 * 1024;

/// What a connection saw the component do.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// The security it was opened with.
    pub security: Option<Security>,
    /// Bytes written before `upgrade-tls` succeeded (all of them on a
    /// connection that never upgraded).
    pub before_tls: Vec<u8>,
    /// Bytes written after.
    pub after_tls: Vec<u8>,
    /// Whether it was upgraded.
    pub upgraded: bool,
}

/// A transport whose every connection reads from one shared input: the
/// first connection reads from its start, a reconnection (the retry after a
/// refresh) goes on where the previous one stopped.
pub struct FuzzTransport<'a> {
    input: RefCell<&'a [u8]>,
    seen: RefCell<Vec<Seen>>,
}

impl<'a> FuzzTransport<'a> {
    /// A transport serving `input` as everything the servers say.
    pub fn new(input: &'a [u8]) -> Self {
        Self {
            input: RefCell::new(input),
            seen: RefCell::new(Vec::new()),
        }
    }

    /// What each connection saw, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.borrow().clone()
    }
}

/// One connection of a [`FuzzTransport`].
pub struct FuzzConnection<'t, 'a> {
    transport: &'t FuzzTransport<'a>,
    index: usize,
    security: Security,
    upgraded: bool,
    broken: bool,
}

impl<'t, 'a> Transport for &'t FuzzTransport<'a> {
    type Conn = FuzzConnection<'t, 'a>;

    fn connect(
        &self,
        _host: &str,
        _port: u16,
        security: Security,
    ) -> Result<Self::Conn, TransportError> {
        let mut seen = self.seen.borrow_mut();
        seen.push(Seen {
            security: Some(security),
            ..Seen::default()
        });
        Ok(FuzzConnection {
            transport: self,
            index: seen.len() - 1,
            security,
            upgraded: false,
            broken: false,
        })
    }
}

impl FuzzConnection<'_, '_> {
    fn usable(&self) -> Result<(), TransportError> {
        if self.broken {
            Err(TransportError::Other("unusable".into()))
        } else {
            Ok(())
        }
    }

    fn fail(&mut self, err: TransportError) -> TransportError {
        self.broken = true;
        err
    }
}

impl Connection for FuzzConnection<'_, '_> {
    fn read_line(&mut self, max_len: u32) -> Result<Vec<u8>, TransportError> {
        self.usable()?;
        let cap = max_len.min(HOST_LINE_CAP) as usize;
        if cap == 0 {
            return Err(TransportError::LineTooLong);
        }
        let mut input = self.transport.input.borrow_mut();
        let window = &input[..input.len().min(cap)];
        match window.iter().position(|&b| b == b'\n') {
            Some(lf) => {
                let line = window[..=lf].to_vec();
                *input = &input[lf + 1..];
                Ok(line)
            }
            None if input.len() >= cap => {
                *input = &input[cap..];
                drop(input);
                Err(self.fail(TransportError::LineTooLong))
            }
            None => {
                *input = &[];
                drop(input);
                Err(self.fail(TransportError::Closed))
            }
        }
    }

    fn read_exact(&mut self, len: u32) -> Result<Vec<u8>, TransportError> {
        self.usable()?;
        if len > HOST_LINE_CAP {
            return Err(self.fail(TransportError::LineTooLong));
        }
        let mut input = self.transport.input.borrow_mut();
        let len = len as usize;
        if input.len() < len {
            *input = &[];
            drop(input);
            return Err(self.fail(TransportError::Closed));
        }
        let out = input[..len].to_vec();
        *input = &input[len..];
        Ok(out)
    }

    fn write(&mut self, data: &[u8]) -> Result<(), TransportError> {
        self.usable()?;
        let mut seen = self.transport.seen.borrow_mut();
        let seen = &mut seen[self.index];
        if self.upgraded || self.security == Security::ImplicitTls {
            seen.after_tls.extend_from_slice(data);
        } else {
            seen.before_tls.extend_from_slice(data);
        }
        Ok(())
    }

    fn upgrade_tls(&mut self) -> Result<(), TransportError> {
        self.usable()?;
        if self.security != Security::Starttls || self.upgraded {
            return Err(TransportError::Other("cannot upgrade".into()));
        }
        self.upgraded = true;
        self.transport.seen.borrow_mut()[self.index].upgraded = true;
        Ok(())
    }
}

/// An HTTP fake answering every request with the next scripted answer (and
/// then with a connection failure), recording the requests.
pub struct ScriptedHttp {
    answers: RefCell<Vec<Result<HttpResponse, HttpError>>>,
    requests: RefCell<Vec<HttpRequest>>,
}

impl ScriptedHttp {
    /// Answers `answers`, first to last.
    pub fn new(mut answers: Vec<Result<HttpResponse, HttpError>>) -> Self {
        answers.reverse();
        Self {
            answers: RefCell::new(answers),
            requests: RefCell::new(Vec::new()),
        }
    }

    /// The requests sent so far.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.requests.borrow().clone()
    }
}

impl Http for ScriptedHttp {
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.requests.borrow_mut().push(req);
        self.answers
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| Err(HttpError::Unreachable("no more answers".into())))
    }
}

/// A token endpoint's answer handing out [`FRESH`] (and [`REFRESH`] again).
pub fn fresh_tokens() -> Result<HttpResponse, HttpError> {
    let body = format!(
        r#"{{"access_token":"{FRESH}","token_type":"Bearer","expires_in":3600,"refresh_token":"{REFRESH}"}}"#
    );
    Ok(HttpResponse {
        status: 200,
        headers: vec![mail_oauth_guest::http::Header::new(
            "content-type",
            "application/json",
        )],
        body: body.into_bytes(),
    })
}

/// The mail protocol a dialogue target drives.
#[derive(Clone, Copy, Debug)]
pub enum Protocol {
    /// `verify-imap`.
    Imap,
    /// `verify-pop3`.
    Pop3,
    /// `verify-smtp`, or `send-test-message` when the input says so.
    Smtp,
}

/// One dialogue with the server saying `data` (after a first byte choosing
/// the security, the mechanism, the credentials and, for SMTP, whether a
/// test message is sent), and every property checked:
///
/// - no panic, and nothing the component returns shows a token, the client
///   secret or a SASL response (whole, or its first [`ECHO`] bytes);
/// - on a STARTTLS connection, nothing but the commands before STARTTLS
///   goes out before `upgrade-tls` succeeded: no AUTH, no credential;
/// - at most two connections (the refresh-once retry), at most one refresh.
pub fn dialogue(protocol: Protocol, data: &[u8]) {
    use mail_oauth_guest::TokenSet;
    use mail_oauth_guest::mail::{
        Credentials, Login, Mechanism, Refreshable, Server, TestMessage, send_test_message,
        verify_imap, verify_pop3, verify_smtp,
    };

    let Some((&choice, server_bytes)) = data.split_first() else {
        return;
    };
    let security = match choice & 3 {
        0 => Security::ImplicitTls,
        1 | 3 => Security::Starttls,
        _ => Security::Plain,
    };
    let mechanism = match (choice >> 2) & 3 {
        1 => Some(Mechanism::Xoauth2),
        2 => Some(Mechanism::Oauthbearer),
        _ => None,
    };
    let expired = choice & 0x10 != 0;
    let refreshable = choice & 0x20 != 0;
    let send = choice & 0x40 != 0;
    let server = Server {
        host: "mail.example.test".into(),
        port: 1993,
        security,
    };
    let credentials = if refreshable {
        Credentials::Refreshable(Refreshable {
            provider: provider(),
            client: client(),
            tokens: TokenSet {
                access_token: TOKEN.into(),
                refresh_token: Some(REFRESH.into()),
                expires_at: Some(if expired { 1_000 } else { 2_000_000_000 }),
                scopes: vec!["mail".into()],
                id_token: None,
                account_email: None,
            },
            now: 1_700_000_000,
        })
    } else {
        Credentials::AccessToken(TOKEN.into())
    };
    let login = Login {
        user: USER.into(),
        credentials,
        mechanism,
    };
    let transport = FuzzTransport::new(server_bytes);
    let http = ScriptedHttp::new(vec![fresh_tokens(), fresh_tokens()]);
    let result = match protocol {
        Protocol::Imap => verify_imap(&&transport, &http, &server, &login),
        Protocol::Pop3 => verify_pop3(&&transport, &http, &server, &login),
        Protocol::Smtp if send => {
            let message = TestMessage {
                sender: USER.into(),
                recipients: vec!["bob@example.org".into()],
                subject: "mail-oauth test".into(),
                body: "Hello.\n.\nBye.".into(),
                send_as: false,
                now: 1_700_000_000,
            };
            send_test_message(&&transport, &http, &server, &login, &message)
        }
        Protocol::Smtp => verify_smtp(&&transport, &http, &server, &login),
    };

    let sasl: Vec<String> = [TOKEN, FRESH]
        .iter()
        .flat_map(|token| {
            [
                mail_oauth_guest::sasl::xoauth2(USER, token).expect("valid input"),
                mail_oauth_guest::sasl::oauthbearer(USER, &server.host, server.port, token)
                    .expect("valid input"),
            ]
        })
        .collect();
    // The fresh token is a secret of the dialogue once a refresh handed it
    // out; before that the server can only guess it, and showing a guess
    // shows nothing.
    let refreshed = !http.requests().is_empty();
    let sasl = if refreshed { sasl } else { sasl[..2].to_vec() };
    let mut secrets = vec![TOKEN, REFRESH, CLIENT_SECRET];
    if refreshed {
        secrets.push(FRESH);
    }
    let shown = match &result {
        Ok(report) => format!("{report:?}"),
        Err(failure) => format!("{failure:?} {failure}"),
    };
    // The SASL responses begin with the user's name in base64, which is no
    // secret: for those only the whole string counts.
    assert_hidden(&shown, &secrets, "the result");
    for response in &sasl {
        assert!(
            !shown.contains(response.as_str()),
            "a SASL response is shown: {shown:?}"
        );
    }

    let seen = transport.seen();
    assert!(seen.len() <= 2, "{} connections", seen.len());
    assert!(
        http.requests().len() <= 1,
        "{} refreshes",
        http.requests().len()
    );
    for conn in &seen {
        if conn.security == Some(Security::Starttls) {
            let clear = String::from_utf8_lossy(&conn.before_tls).to_ascii_uppercase();
            assert!(!clear.contains("AUTH"), "AUTH before TLS: {clear:?}");
            assert!(
                !clear.contains("MAIL FROM"),
                "a message before TLS: {clear:?}"
            );
            assert_hidden(&clear, &[TOKEN, FRESH], "before TLS");
            for response in &sasl {
                assert!(!clear.contains(&response.to_ascii_uppercase()));
            }
        }
        if result.is_ok() && conn.security == Some(Security::Starttls) {
            // A dialogue that succeeded on STARTTLS upgraded (the last
            // connection is the one that succeeded).
            assert!(
                seen.last().is_some_and(|c| c.upgraded),
                "success without TLS"
            );
        }
    }
}

/// The `state` of [`pending`].
pub const STATE: &str = "st4te-0123456789abcdefghij";
/// The PKCE verifier of [`pending`].
pub const VERIFIER: &str = "verifier-0123456789abcdefghijklmnopqrstuvwxyz0";
/// The nonce of [`pending`].
pub const NONCE: &str = "n0nce-0123456789abcdefghij";
/// The device code of [`device`].
pub const DEVICE_CODE: &str = "device-CODE-0123456789abcdefghijklmn";

/// A pending authorization of [`client`] with [`STATE`], [`VERIFIER`] and
/// [`NONCE`].
pub fn pending() -> mail_oauth_guest::PendingAuthorization {
    mail_oauth_guest::PendingAuthorization {
        url: format!("https://auth.example.test/authorize?state={STATE}&nonce={NONCE}"),
        state: STATE.into(),
        pkce_verifier: VERIFIER.into(),
        nonce: Some(NONCE.into()),
        redirect_uri: client().redirect_uri,
        scopes: vec!["openid".into(), "mail".into()],
    }
}

/// A device authorization with [`DEVICE_CODE`], valid until 2_000_000_000.
pub fn device() -> mail_oauth_guest::DeviceAuthorization {
    mail_oauth_guest::DeviceAuthorization {
        user_code: "ABCD-EFGH".into(),
        verification_uri: "https://auth.example.test/device".into(),
        verification_uri_complete: None,
        expires_at: 2_000_000_000,
        interval: 5,
        device_code: DEVICE_CODE.into(),
        scopes: vec!["mail".into()],
    }
}

/// The host's egress policy module, compiled here on its own (it needs only
/// `std` and `url`), so the fuzz build does not instrument all of wasmtime.
#[path = "../../../host-harness/runtime/src/egress.rs"]
#[allow(dead_code, missing_docs)]
pub mod egress;
