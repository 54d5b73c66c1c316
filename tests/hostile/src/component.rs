//! The exports (wasm32 only: the bindings import host functions).

#![allow(
    unsafe_code,
    reason = "wit-bindgen's generated glue and `export!` use unsafe ABI code; this module writes none itself"
)]

wit_bindgen::generate!({
    path: "../../wit",
    world: "plugin",
});

use std::hint::black_box;

use exports::mail_oauth::plugin::{mail as wit_mail, oauth, sasl};
use mail_oauth::plugin::{http as wit_http, transport as wit_transport, types as wit};

struct Hostile;

export!(Hostile);

fn refuse<T>() -> Result<T, wit::Error> {
    Err(wit::Error::InvalidInput(
        "the hostile test component implements only sasl.xoauth2".to_owned(),
    ))
}

fn bad_argument<T>(what: &str) -> Result<T, wit::Error> {
    Err(wit::Error::InvalidInput(format!("bad argument: {what}")))
}

/// Allocates 1 MiB at a time, touching every page, and never frees.
fn memory_bomb() -> Result<String, wit::Error> {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![0xA5; 1 << 20]);
        black_box(&hoard);
    }
}

fn infinite_loop() -> Result<String, wit::Error> {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

#[allow(unconditional_recursion, reason = "the point: exhaust the wasm stack")]
fn recurse(depth: u64) -> u64 {
    black_box(recurse(black_box(depth + 1)) + 1)
}

fn send(method: &str, url: &str, body: Vec<u8>) -> Result<String, wit::Error> {
    let request = wit_http::Request {
        method: method.to_owned(),
        url: url.to_owned(),
        headers: Vec::new(),
        body,
    };
    match wit_http::send(&request) {
        Ok(response) => Ok(format!("status {}", response.status)),
        Err(e) => Err(wit::Error::Http(e)),
    }
}

/// Opens up to `count` connections and holds them until the call ends; says
/// how many it got and why it stopped.
fn connect_many(count: u32, host: &str, port: u16) -> Result<String, wit::Error> {
    let mut held = Vec::new();
    for _ in 0..count {
        match wit_transport::connect(host, port, wit_transport::Security::Plain) {
            Ok(c) => held.push(c),
            Err(e) => return Ok(format!("opened {}; then {e:?}", held.len())),
        }
    }
    Ok(format!("opened {}", held.len()))
}

impl sasl::Guest for Hostile {
    fn xoauth2(user: String, access_token: String) -> Result<String, wit::Error> {
        let args: Vec<&str> = access_token.split(' ').collect();
        match (user.as_str(), args.as_slice()) {
            ("whoami", _) => Ok("hostile".to_owned()),
            ("memory-bomb", _) => memory_bomb(),
            ("infinite-loop", _) => infinite_loop(),
            ("stack-overflow", _) => Ok(recurse(0).to_string()),
            ("http-get", [url]) => send("GET", url, Vec::new()),
            ("http-post", [bytes, url]) => match bytes.parse::<usize>() {
                Ok(n) => send("POST", url, vec![b'x'; n]),
                Err(_) => bad_argument(bytes),
            },
            ("connect-many", [count, host, port]) => {
                match (count.parse::<u32>(), port.parse::<u16>()) {
                    (Ok(count), Ok(port)) => connect_many(count, host, port),
                    _ => bad_argument(&access_token),
                }
            }
            _ => bad_argument(&user),
        }
    }

    fn oauthbearer(_: String, _: String, _: u16, _: String) -> Result<String, wit::Error> {
        refuse()
    }

    fn parse_failure(_: String) -> Result<wit::SaslFailure, wit::Error> {
        refuse()
    }
}

impl oauth::Guest for Hostile {
    fn providers() -> Vec<wit::Provider> {
        Vec::new()
    }

    fn preset(_: wit::PresetKind) -> Result<wit::Provider, wit::Error> {
        refuse()
    }

    fn discover(_: String) -> Result<wit::Provider, wit::Error> {
        refuse()
    }

    fn begin_authorization(
        _: wit::Provider,
        _: wit::Client,
        _: wit::AuthorizationOptions,
    ) -> Result<wit::PendingAuthorization, wit::Error> {
        refuse()
    }

    fn complete_authorization(
        _: wit::Provider,
        _: wit::Client,
        _: wit::PendingAuthorization,
        _: String,
        _: u64,
    ) -> Result<wit::TokenSet, wit::Error> {
        refuse()
    }

    fn refresh(
        _: wit::Provider,
        _: wit::Client,
        _: wit::TokenSet,
        _: u64,
    ) -> Result<wit::TokenSet, wit::Error> {
        refuse()
    }

    fn ensure_fresh(
        _: wit::Provider,
        _: wit::Client,
        _: wit::TokenSet,
        _: u64,
        _: u32,
    ) -> Result<wit::FreshTokens, wit::Error> {
        refuse()
    }

    fn revoke(
        _: wit::Provider,
        _: wit::Client,
        _: String,
        _: wit::TokenKind,
    ) -> Result<(), wit::Error> {
        refuse()
    }
}

type MailResult = Result<wit_mail::Report, wit_mail::MailFailure>;

fn refuse_mail() -> MailResult {
    Err(wit_mail::MailFailure {
        error: wit::Error::InvalidInput("the hostile test component sends no mail".to_owned()),
        refreshed: None,
    })
}

impl wit_mail::Guest for Hostile {
    fn verify_imap(_: wit::Server, _: wit_mail::Login) -> MailResult {
        refuse_mail()
    }

    fn verify_pop3(_: wit::Server, _: wit_mail::Login) -> MailResult {
        refuse_mail()
    }

    fn verify_smtp(_: wit::Server, _: wit_mail::Login) -> MailResult {
        refuse_mail()
    }

    fn send_test_message(
        _: wit::Server,
        _: wit_mail::Login,
        _: wit_mail::TestMessage,
    ) -> MailResult {
        refuse_mail()
    }
}
