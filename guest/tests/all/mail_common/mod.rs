//! A scripted fake [`Transport`]: each connection follows a script of what the
//! server says and the exact bytes the client must write, in order. Any
//! deviation fails the test at once, naming the expected event.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the fixtures"
)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mail_oauth_guest::mail::{
    Connection, Credentials, Login, Security, Server, Transport, TransportError,
};

/// Checks one client write whose bytes have a random part.
pub type WriteCheck = Box<dyn FnOnce(&[u8])>;

/// One event of a connection's script.
pub enum Event {
    /// The server sends this line (CRLF added).
    Line(String),
    /// The server sends these raw bytes, read with `read_exact`.
    Raw(Vec<u8>),
    /// The next read fails with this error.
    Fail(TransportError),
    /// The client writes exactly these bytes (possibly over several writes).
    Write(Vec<u8>),
    /// The client's next single write is checked by this function (for bytes
    /// with a random part).
    WriteCheck(WriteCheck),
    /// The client upgrades to TLS.
    Upgrade,
}

/// The script of one connection, built fluently.
#[derive(Default)]
pub struct Script {
    events: VecDeque<Event>,
}

impl Script {
    pub fn new() -> Self {
        Script::default()
    }

    /// The server sends `line`.
    pub fn server(mut self, line: &str) -> Self {
        self.events.push_back(Event::Line(line.to_owned()));
        self
    }

    /// The server sends the bytes of a literal.
    pub fn raw(mut self, bytes: &[u8]) -> Self {
        self.events.push_back(Event::Raw(bytes.to_vec()));
        self
    }

    /// The client writes `line` and CRLF.
    pub fn client(mut self, line: &str) -> Self {
        self.events
            .push_back(Event::Write(format!("{line}\r\n").into_bytes()));
        self
    }

    /// The client's next write is handed to `check`.
    pub fn client_check(mut self, check: impl FnOnce(&[u8]) + 'static) -> Self {
        self.events.push_back(Event::WriteCheck(Box::new(check)));
        self
    }

    /// The next read fails with `error`.
    pub fn fail(mut self, error: TransportError) -> Self {
        self.events.push_back(Event::Fail(error));
        self
    }

    /// The client upgrades to TLS.
    pub fn upgrade(mut self) -> Self {
        self.events.push_back(Event::Upgrade);
        self
    }
}

/// What one connection saw, for assertions after the dialogue.
#[derive(Clone, Default)]
pub struct Seen {
    /// Every write, with whether TLS had been started (by `upgrade_tls` or by
    /// implicit TLS) when it was made.
    pub writes: Vec<(bool, Vec<u8>)>,
    /// The max length of every `read_line`.
    pub max_lens: Vec<u32>,
}

struct State {
    events: VecDeque<Event>,
    pending: Vec<u8>,
    tls: bool,
    seen: Seen,
}

/// One scripted connection.
pub struct FakeConn(Rc<RefCell<State>>);

impl FakeConn {
    fn next(&self, doing: &str) -> Event {
        let mut state = self.0.borrow_mut();
        assert!(
            state.pending.is_empty(),
            "the client {doing} after a partial write: {:?}",
            String::from_utf8_lossy(&state.pending)
        );
        state
            .events
            .pop_front()
            .unwrap_or_else(|| panic!("the client {doing} after the end of the script"))
    }
}

fn describe(event: &Event) -> String {
    match event {
        Event::Line(line) => format!("the server to send {line:?}"),
        Event::Raw(bytes) => format!("a literal of {} bytes", bytes.len()),
        Event::Fail(error) => format!("a read failing with {error:?}"),
        Event::Write(bytes) => format!("the client to write {:?}", String::from_utf8_lossy(bytes)),
        Event::WriteCheck(_) => "a checked client write".to_owned(),
        Event::Upgrade => "a TLS upgrade".to_owned(),
    }
}

impl Connection for FakeConn {
    fn read_line(&mut self, max_len: u32) -> Result<Vec<u8>, TransportError> {
        self.0.borrow_mut().seen.max_lens.push(max_len);
        match self.next("read a line") {
            Event::Line(line) => {
                let bytes = format!("{line}\r\n").into_bytes();
                if bytes.len() > max_len as usize {
                    return Err(TransportError::LineTooLong);
                }
                Ok(bytes)
            }
            Event::Fail(error) => Err(error),
            other => panic!("the client read a line, expected {}", describe(&other)),
        }
    }

    fn read_exact(&mut self, len: u32) -> Result<Vec<u8>, TransportError> {
        match self.next("read a literal") {
            Event::Raw(bytes) => {
                assert_eq!(bytes.len(), len as usize, "literal length");
                Ok(bytes)
            }
            Event::Fail(error) => Err(error),
            other => panic!("the client read {len} bytes, expected {}", describe(&other)),
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<(), TransportError> {
        let mut state = self.0.borrow_mut();
        let tls = state.tls;
        state.seen.writes.push((tls, data.to_vec()));
        if state.pending.is_empty() && matches!(state.events.front(), Some(Event::WriteCheck(_))) {
            let Some(Event::WriteCheck(check)) = state.events.pop_front() else {
                unreachable!()
            };
            drop(state);
            check(data);
            return Ok(());
        }
        state.pending.extend_from_slice(data);
        let pending = state.pending.clone();
        match state.events.front() {
            Some(Event::Write(expected)) if *expected == pending => {
                state.events.pop_front();
                state.pending.clear();
                Ok(())
            }
            Some(Event::Write(expected)) if expected.starts_with(&pending) => Ok(()),
            Some(Event::Write(expected)) => panic!(
                "the client wrote {:?}, expected {:?}",
                String::from_utf8_lossy(&pending),
                String::from_utf8_lossy(expected)
            ),
            Some(other) => panic!(
                "the client wrote {:?}, expected {}",
                String::from_utf8_lossy(&pending),
                describe(other)
            ),
            None => panic!(
                "the client wrote {:?} after the end of the script",
                String::from_utf8_lossy(&pending)
            ),
        }
    }

    fn upgrade_tls(&mut self) -> Result<(), TransportError> {
        match self.next("upgraded to TLS") {
            Event::Upgrade => {
                self.0.borrow_mut().tls = true;
                Ok(())
            }
            other => panic!("the client upgraded to TLS, expected {}", describe(&other)),
        }
    }
}

/// A transport whose connections follow scripts, one per expected connect.
pub struct FakeTransport {
    expected: RefCell<VecDeque<(Server, Result<Script, TransportError>)>>,
    opened: RefCell<Vec<Rc<RefCell<State>>>>,
    connects: RefCell<usize>,
}

impl FakeTransport {
    /// A transport expecting no connection at all.
    pub fn none() -> Self {
        FakeTransport {
            expected: RefCell::new(VecDeque::new()),
            opened: RefCell::new(Vec::new()),
            connects: RefCell::new(0),
        }
    }

    /// A transport expecting one connection to `server`, following `script`.
    pub fn new(server: &Server, script: Script) -> Self {
        FakeTransport::none().then(server, script)
    }

    /// Expects one more connection.
    pub fn then(self, server: &Server, script: Script) -> Self {
        self.expected
            .borrow_mut()
            .push_back((server.clone(), Ok(script)));
        self
    }

    /// Expects one more connection attempt, failing with `error`.
    pub fn then_refuse(self, server: &Server, error: TransportError) -> Self {
        self.expected
            .borrow_mut()
            .push_back((server.clone(), Err(error)));
        self
    }

    /// How many times `connect` was called.
    pub fn connects(&self) -> usize {
        *self.connects.borrow()
    }

    /// What connection `n` (from 0) saw.
    pub fn seen(&self, n: usize) -> Seen {
        self.opened.borrow()[n].borrow().seen.clone()
    }

    /// Every byte the client wrote on connection `n`, as text.
    pub fn written(&self, n: usize) -> String {
        self.seen(n)
            .writes
            .iter()
            .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
            .collect()
    }

    /// Fails the test unless every connection happened and every script ran to
    /// its end.
    pub fn assert_done(&self) {
        let left = self.expected.borrow().len();
        assert_eq!(left, 0, "{left} scripted connection(s) were not opened");
        for (n, state) in self.opened.borrow().iter().enumerate() {
            let state = state.borrow();
            assert!(
                state.events.is_empty(),
                "connection {n} stopped before {}",
                describe(&state.events[0])
            );
            assert!(state.pending.is_empty(), "connection {n}: partial write");
        }
    }
}

impl Transport for FakeTransport {
    type Conn = FakeConn;

    fn connect(
        &self,
        host: &str,
        port: u16,
        security: Security,
    ) -> Result<FakeConn, TransportError> {
        *self.connects.borrow_mut() += 1;
        let (server, script) = self
            .expected
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected connection to {host}:{port}"));
        assert_eq!(
            (host, port, security),
            (server.host.as_str(), server.port, server.security),
            "connect"
        );
        let script = script?;
        let state = Rc::new(RefCell::new(State {
            events: script.events,
            pending: Vec::new(),
            tls: security == Security::ImplicitTls,
            seen: Seen::default(),
        }));
        self.opened.borrow_mut().push(Rc::clone(&state));
        Ok(FakeConn(state))
    }
}

/// An HTTP fake that fails the test on any request (no refresh expected).
pub struct NoHttp;

impl mail_oauth_guest::http::Http for NoHttp {
    fn send(
        &self,
        req: mail_oauth_guest::http::HttpRequest,
    ) -> Result<mail_oauth_guest::http::HttpResponse, mail_oauth_guest::http::HttpError> {
        panic!("unexpected HTTP request: {req:?}")
    }
}

pub const USER: &str = "alice@example.com";
/// Long enough (≥ 8 characters) for the scrubbing of known secrets to apply.
pub const TOKEN: &str = "fake.ACCESS-token-0123456789abcdef";

pub fn server(host: &str, port: u16, security: Security) -> Server {
    Server {
        host: host.to_owned(),
        port,
        security,
    }
}

/// A login with a bare access token and no forced mechanism.
pub fn login(token: &str) -> Login {
    Login {
        user: USER.to_owned(),
        credentials: Credentials::AccessToken(token.to_owned()),
        mechanism: None,
    }
}

/// The XOAUTH2 initial response, built here independently of the crate.
pub fn xoauth2(user: &str, token: &str) -> String {
    STANDARD.encode(format!("user={user}\x01auth=Bearer {token}\x01\x01"))
}

/// The OAUTHBEARER initial response, built here independently of the crate.
pub fn oauthbearer(user: &str, host: &str, port: u16, token: &str) -> String {
    STANDARD.encode(format!(
        "n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"
    ))
}

/// A base64 JSON error challenge.
pub fn challenge(json: &str) -> String {
    STANDARD.encode(json)
}
