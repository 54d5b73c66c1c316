//! A scripted HTTP/1.1 server on loopback, for the faults no real provider
//! produces on demand: a token endpoint that answers 500, HTML, invalid JSON,
//! a body larger than the host accepts, a redirect, a closed connection, or
//! nothing at all.
//!
//! Each [`ScriptedHttpServer`] answers every request with one [`Behaviour`]
//! and records what it received, so a test can assert both what the code
//! under test did with the answer and what it sent. Point the code under test
//! at [`ScriptedHttpServer::url`] (e.g. as a provider's `token_endpoint`).
//!
//! One thread serves one connection at a time and closes each connection
//! after its answer (`Connection: close`). Dropping the server stops the
//! thread without waiting on clients: it sets a flag, shuts down the sockets
//! it still holds (a [`Behaviour::Hang`] connection, a half-read request) and
//! wakes the blocked `accept` with a connection of its own.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Largest request head (request line + headers) the server reads.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body the server reads.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// How long a connection may stay silent while the server reads its request.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a client may refuse to read what the server writes.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// How a [`ScriptedHttpServer`] answers every request.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Answer with this status, `Content-Type` and body (e.g. a 500 with a
    /// JSON error, a 200 with an HTML login page, a 200 with invalid JSON).
    Status(u16, String, Vec<u8>),
    /// Answer `302 Found` with this `Location`.
    Redirect(String),
    /// Answer `200 OK` with a body of this many bytes (`a`s, announced in
    /// `Content-Length`), for response-size caps.
    Oversized(usize),
    /// Read the request and never answer; the connection stays open until
    /// the server is dropped. For client timeouts.
    Hang,
    /// Read the request and close the connection without a byte of answer.
    DropConnection,
}

impl Behaviour {
    /// [`Behaviour::Status`] with `application/json`.
    pub fn json(status: u16, body: &str) -> Self {
        Self::Status(status, "application/json".into(), body.as_bytes().to_vec())
    }

    /// [`Behaviour::Status`] with `text/html; charset=utf-8`.
    pub fn html(status: u16, body: &str) -> Self {
        Self::Status(
            status,
            "text/html; charset=utf-8".into(),
            body.as_bytes().to_vec(),
        )
    }
}

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The request target as sent: path and query, e.g. `/token?x=1`.
    pub path: String,
    /// The headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked if it was sent chunked).
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as `application/x-www-form-urlencoded` pairs (what a
    /// token request carries).
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    /// The value of the form field `name` in the body, if present.
    pub fn form_value(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// A one-thread HTTP/1.1 server on `127.0.0.1:0` that answers every request
/// with one [`Behaviour`] and records the requests. Stops when dropped.
pub struct ScriptedHttpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    stopping: AtomicBool,
    requests: Mutex<Vec<RecordedRequest>>,
    arrived: Condvar,
    /// Sockets the thread may be blocked on, shut down on drop.
    open: Mutex<Vec<TcpStream>>,
}

impl ScriptedHttpServer {
    /// Binds an ephemeral port on 127.0.0.1 and starts serving `behaviour`.
    ///
    /// # Panics
    /// If the port cannot be bound or the thread cannot be spawned.
    pub fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name(format!("scripted-http-{}", addr.port()))
            .spawn({
                let shared = Arc::clone(&shared);
                move || serve(&listener, &behaviour, &shared)
            })
            .expect("spawn the scripted server thread");
        Self {
            addr,
            shared,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The requests received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Blocks until at least `n` requests were received, then returns all of
    /// them; a request is recorded as soon as it is read, before it is
    /// answered (or not).
    ///
    /// # Panics
    /// If fewer than `n` arrive within `timeout`.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let deadline = Instant::now() + timeout;
        let mut requests = lock(&self.shared.requests);
        while requests.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "scripted server {}: expected {n} request(s) within {timeout:?}, got {}",
                self.url(),
                requests.len()
            );
            requests = self
                .shared
                .arrived
                .wait_timeout(requests, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        requests.clone()
    }
}

impl Drop for ScriptedHttpServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        for stream in lock(&self.shared.open).drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        // Wake the blocking accept(); if the connect fails the listener is gone anyway.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn serve(listener: &TcpListener, behaviour: &Behaviour, shared: &Shared) {
    // Hung connections stay open here until the thread ends (drop shuts them down first).
    let mut held = Vec::new();
    for conn in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = conn else { continue };
        // Register a handle so drop can unblock a read or write on this socket.
        match stream.try_clone() {
            Ok(handle) => lock(&shared.open).push(handle),
            Err(_) => continue,
        }
        // The flag may have been set between accept and registration.
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        match handle_connection(stream, behaviour, shared) {
            Some(hung) => held.push(hung),
            // Finished: its handle is the last one registered (one thread, one connection at a time).
            None => drop(lock(&shared.open).pop()),
        }
    }
}

/// Serves one connection; returns it when it must be held open ([`Behaviour::Hang`]).
fn handle_connection(
    stream: TcpStream,
    behaviour: &Behaviour,
    shared: &Shared,
) -> Option<TcpStream> {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut reader = BufReader::new(stream);
    let request = read_request(&mut reader).ok()?;
    lock(&shared.requests).push(request);
    shared.arrived.notify_all();
    let mut stream = reader.into_inner();
    match behaviour {
        Behaviour::Hang => return Some(stream),
        Behaviour::DropConnection => {}
        Behaviour::Status(status, content_type, body) => {
            let _ = respond(
                &mut stream,
                *status,
                &[("Content-Type", content_type)],
                body,
            );
        }
        Behaviour::Redirect(location) => {
            let _ = respond(&mut stream, 302, &[("Location", location)], b"");
        }
        Behaviour::Oversized(n) => {
            let _ = respond_oversized(&mut stream, *n);
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    None
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

fn respond_oversized(stream: &mut TcpStream, n: usize) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    let chunk = [b'a'; 64 * 1024];
    let mut left = n;
    while left > 0 {
        // A client that stops reading at its cap closes the socket: the write fails, fine.
        let len = left.min(chunk.len());
        stream.write_all(&chunk[..len])?;
        left -= len;
    }
    stream.flush()
}

fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<RecordedRequest> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut head_len = 0;
    let mut line = String::new();
    let mut read_line = |line: &mut String| -> io::Result<()> {
        line.clear();
        let n = reader.by_ref().take(MAX_HEAD as u64).read_line(line)?;
        head_len += n;
        if n == 0 || head_len > MAX_HEAD {
            return Err(bad("connection closed or head too large"));
        }
        Ok(())
    };
    read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Err(bad("bad request line"));
    };
    let (method, path) = (method.to_owned(), path.to_owned());
    let mut headers = Vec::new();
    loop {
        read_line(&mut line)?;
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':').ok_or_else(|| bad("bad header"))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let header = |n: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(reader)?
    } else {
        let len: usize = header("content-length")
            .map(|v| v.parse().map_err(|_| bad("bad content-length")))
            .transpose()?
            .unwrap_or(0);
        if len > MAX_BODY {
            return Err(bad("body too large"));
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        body
    };
    Ok(RecordedRequest {
        method,
        path,
        headers,
        body,
    })
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> io::Result<Vec<u8>> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.by_ref().take(1024).read_line(&mut line)?;
        let size = line.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                line.clear();
                if reader.by_ref().take(1024).read_line(&mut line)? == 0 || line.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(bad("body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
