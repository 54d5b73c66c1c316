//! `play-browser`: completes an authorization URL against the loopback test
//! provider as the user's browser would, so that the redirect reaches the
//! client's loopback listener (the `mail-oauth authorize` CLI in
//! `tests/demo.sh`).
//!
//! ```text
//! play-browser AUTHORIZATION_URL
//! play-browser --url-file FILE [--timeout SECS]   # waits for FILE to hold the URL
//! ```
//!
//! With `--url-file`, the first complete line of FILE that is an `http://`
//! URL, or a JSON object with an `authorization_url` field (what
//! `mail-oauth authorize --json` prints first), is used.
//!
//! The redirect URI is read from the URL's `redirect_uri` parameter. Prints
//! the callback URL on stdout; exits 0 when it carried a `code` and the
//! listener answered 2xx, 1 otherwise, 2 on bad usage.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mail_oauth_tests::browser::{Browser, callback_params};

const USAGE: &str =
    "usage: play-browser AUTHORIZATION_URL | play-browser --url-file FILE [--timeout SECS]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = match parse_args(&args) {
        Ok(Source::Url(url)) => url,
        Ok(Source::File(path, timeout)) => match wait_for_url(&path, timeout) {
            Ok(url) => url,
            Err(e) => {
                eprintln!("play-browser: {e}");
                return ExitCode::FAILURE;
            }
        },
        Err(e) => {
            eprintln!("play-browser: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut browser = Browser::new();
    let delivered = match browser.authorize_and_deliver(&url) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("play-browser: {e}");
            eprintln!("play-browser: visited {:#?}", browser.history());
            return ExitCode::FAILURE;
        }
    };
    println!("{}", delivered.callback_url);
    let params = callback_params(&delivered.callback_url);
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    eprintln!(
        "play-browser: callback carried {names:?}; the listener answered HTTP {}",
        delivered.page.status
    );
    let has_code = names.contains(&"code");
    if has_code && (200..300).contains(&delivered.page.status) {
        ExitCode::SUCCESS
    } else {
        if let Some((_, e)) = params.iter().find(|(k, _)| k == "error") {
            eprintln!("play-browser: authorization error {e}");
        }
        ExitCode::FAILURE
    }
}

enum Source {
    Url(String),
    File(PathBuf, Duration),
}

fn parse_args(args: &[String]) -> Result<Source, String> {
    match args {
        [url] if !url.starts_with("--") => Ok(Source::Url(url.clone())),
        [flag, file] if flag == "--url-file" => {
            Ok(Source::File(file.into(), Duration::from_secs(60)))
        }
        [flag, file, t, secs] | [t, secs, flag, file]
            if flag == "--url-file" && t == "--timeout" =>
        {
            let secs: u64 = secs.parse().map_err(|_| format!("bad --timeout {secs}"))?;
            Ok(Source::File(file.into(), Duration::from_secs(secs)))
        }
        _ => Err("bad arguments".into()),
    }
}

/// Polls `path` until it holds a complete line (the writer finished it) with
/// the URL, or `timeout` passes. Polling is the point here: the CLI writes
/// the file whenever it is ready, and nothing else signals it.
fn wait_for_url(path: &PathBuf, timeout: Duration) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            // Only lines ended by a newline: the last one may still be being written.
            let complete = text.rsplit_once('\n').map_or("", |(done, _)| done);
            if let Some(url) = complete.lines().find_map(url_in_line) {
                return Ok(url);
            }
        }
        if Instant::now() >= deadline {
            return Err(format!("no URL in {} after {timeout:?}", path.display()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The authorization URL a line carries: the line itself, or the
/// `authorization_url` of a JSON object.
fn url_in_line(line: &str) -> Option<String> {
    let line = line.trim();
    if line.starts_with("http://") {
        return Some(line.to_owned());
    }
    let json: serde_json::Value = serde_json::from_str(line).ok()?;
    json.get("authorization_url")?.as_str().map(str::to_owned)
}
