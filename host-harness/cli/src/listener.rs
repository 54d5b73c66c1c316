//! The loopback redirect listener (RFC 8252): the provider sends the
//! browser back to `http://127.0.0.1:<port>/callback`, and this answers it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mail_oauth_store::AccountError;

use crate::failure::{Failure, failure};

/// How long the browser may take to send its request line and headers.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of a request that is read.
const MAX_REQUEST_BYTES: u64 = 16 * 1024;

/// Waits for the browser's GET /callback, runs `complete` on it, and answers
/// the browser with what happened. Other paths (a favicon) get a 404. A
/// callback that does not complete the authorization without spending it (a
/// wrong or missing `state`, no code, the provider unreachable or saying
/// "later") gets an error page and the wait goes on: the right callback, or
/// the same one reloaded, can still complete it. Only tokens or a definitive
/// refusal of the code end the wait, or the timeout.
pub(crate) fn wait_for_callback<T>(
    listener: TcpListener,
    timeout: Duration,
    mut complete: impl FnMut(&str) -> Result<T, AccountError>,
) -> Result<T, Failure> {
    let deadline = Instant::now() + timeout;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            match read_request_target(&mut stream) {
                Some(target) if target == "/callback" || target.starts_with("/callback?") => {
                    if tx.send((stream, target)).is_err() {
                        return;
                    }
                }
                _ => respond(&mut stream, 404, "Not found", "This is not the callback."),
            }
        }
    });
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (mut stream, target) = rx.recv_timeout(left).map_err(|_| {
            failure(
                "timeout",
                format!("no callback within {} s", timeout.as_secs()),
            )
        })?;
        let port = stream.local_addr().map(|a| a.port()).unwrap_or_default();
        let callback = format!("http://127.0.0.1:{port}{target}");
        match complete(&callback) {
            Ok(v) => {
                respond(
                    &mut stream,
                    200,
                    "Mailbox authorized",
                    "The mailbox is authorized. You can close this window.",
                );
                return Ok(v);
            }
            Err(e) if e.consumes_pending() => {
                respond(&mut stream, 400, "Authorization failed", &e.to_string());
                return Err(e.into());
            }
            Err(e) => {
                eprintln!(
                    "ignored a callback that did not complete the authorization: {}",
                    crate::text::printable(&e.to_string())
                );
                respond(
                    &mut stream,
                    400,
                    "Not completed",
                    &format!(
                        "{e}. The authorization is still waiting: finish the sign-in in the \
                         window that started it (or reload this page once the provider is \
                         reachable again)."
                    ),
                );
            }
        }
    }
}

/// The request target of a GET, or `None` for anything else.
fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    stream.set_read_timeout(Some(READ_TIMEOUT)).ok()?;
    let mut reader = BufReader::new(stream.take(MAX_REQUEST_BYTES));
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    // Drain the headers so the browser sees a clean response.
    let mut header = String::new();
    while reader.read_line(&mut header).ok()? > 2 {
        header.clear();
    }
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) => Some(target.to_owned()),
        _ => None,
    }
}

fn respond(stream: &mut TcpStream, status: u16, title: &str, text: &str) {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>{t}</title><h1>{t}</h1><p>{x}</p>",
        t = html_escape(title),
        x = html_escape(text)
    );
    let reason = if status == 200 { "OK" } else { "Error" };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
