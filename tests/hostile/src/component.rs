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

fn refuse<T>() -> Result<T, wit::OauthError> {
    Err(wit::OauthError::InvalidInput(
        "the hostile test component implements only oauth.discover".to_owned(),
    ))
}

fn refuse_sasl<T>() -> Result<T, sasl::SaslError> {
    Err(sasl::SaslError::InvalidInput(
        "the hostile test component implements only oauth.discover".to_owned(),
    ))
}

/// A provider whose display name carries a command's answer.
fn answer(text: String) -> wit::Provider {
    wit::Provider {
        id: "hostile".to_owned(),
        display_name: text,
        issuer: None,
        authorization_endpoint: String::new(),
        token_endpoint: String::new(),
        device_authorization_endpoint: None,
        revocation_endpoint: None,
        default_scopes: Vec::new(),
        extra_parameters: Vec::new(),
        client_auth: wit::ClientAuth::Post,
        pkce: true,
        mail_servers: Vec::new(),
    }
}

/// Runs one command: `<command> <argument words>`.
fn command(line: &str) -> Result<String, wit::OauthError> {
    let (user, argument) = line.split_once(' ').unwrap_or((line, ""));
    let args: Vec<&str> = argument.split(' ').collect();
    match (user, args.as_slice()) {
        ("whoami", _) => Ok("hostile".to_owned()),
        ("memory-bomb", _) => memory_bomb(),
        ("infinite-loop", _) => infinite_loop(),
        ("stack-overflow", _) => Ok(recurse(0).to_string()),
        ("sleep", [secs]) => match secs.parse::<u64>() {
            Ok(secs) => {
                // std waits through wasi:io/poll on a monotonic-clock pollable.
                std::thread::sleep(std::time::Duration::from_secs(secs));
                Ok("slept".to_owned())
            }
            Err(_) => bad_argument(secs),
        },
        ("random-bytes", [len]) => match len.parse::<u64>() {
            // Straight to wasi:random, as a component could: the host
            // allocates what is asked before copying it in.
            Ok(len) => Ok(format!(
                "{} bytes",
                wasip2::random::random::get_random_bytes(len).len()
            )),
            Err(_) => bad_argument(len),
        },
        ("resources", [count]) => match count.parse::<u32>() {
            // Each stdout handle is a host resource-table entry, kept alive.
            Ok(count) => {
                let held: Vec<_> = (0..count)
                    .map(|_| wasip2::cli::stdout::get_stdout())
                    .collect();
                Ok(format!("{} resources", held.len()))
            }
            Err(_) => bad_argument(count),
        },
        ("http-get", [url]) => send("GET", url, Vec::new()),
        ("http-post", [bytes, url]) => match bytes.parse::<usize>() {
            Ok(n) => send("POST", url, vec![b'x'; n]),
            Err(_) => bad_argument(bytes),
        },
        ("connect-many", [count, host, port]) => {
            match (count.parse::<u32>(), port.parse::<u16>()) {
                (Ok(count), Ok(port)) => connect_many(count, host, port),
                _ => bad_argument(argument),
            }
        }
        _ => bad_argument(user),
    }
}

fn bad_argument<T>(what: &str) -> Result<T, wit::OauthError> {
    Err(wit::OauthError::InvalidInput(format!(
        "bad argument: {what}"
    )))
}

/// Allocates 1 MiB at a time, touching every page, and never frees.
fn memory_bomb() -> Result<String, wit::OauthError> {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![0xA5; 1 << 20]);
        black_box(&hoard);
    }
}

fn infinite_loop() -> Result<String, wit::OauthError> {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

#[allow(unconditional_recursion, reason = "the point: exhaust the wasm stack")]
fn recurse(depth: u64) -> u64 {
    black_box(recurse(black_box(depth + 1)) + 1)
}

fn send(method: &str, url: &str, body: Vec<u8>) -> Result<String, wit::OauthError> {
    let request = wit_http::Request {
        method: method.to_owned(),
        url: url.to_owned(),
        headers: Vec::new(),
        body,
    };
    match wit_http::send(&request) {
        Ok(response) => Ok(format!("status {}", response.status)),
        Err(e) => Err(wit::OauthError::Http(e)),
    }
}

/// Opens up to `count` connections and holds them until the call ends; says
/// how many it got and why it stopped.
fn connect_many(count: u32, host: &str, port: u16) -> Result<String, wit::OauthError> {
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
    fn xoauth2(_: String, _: String) -> Result<String, sasl::SaslError> {
        refuse_sasl()
    }

    fn oauthbearer(_: String, _: String, _: u16, _: String) -> Result<String, sasl::SaslError> {
        refuse_sasl()
    }

    fn parse_failure(_: String) -> Result<wit::SaslFailure, sasl::SaslError> {
        refuse_sasl()
    }
}

impl oauth::Guest for Hostile {
    fn providers() -> Vec<wit::Provider> {
        Vec::new()
    }

    fn preset(_: wit::PresetKind) -> Result<wit::Provider, wit::OauthError> {
        refuse()
    }

    fn preset_for_host(_: String) -> Option<wit::PresetKind> {
        None
    }

    fn discover(line: String) -> Result<wit::Provider, wit::OauthError> {
        command(&line).map(answer)
    }

    fn begin_authorization(
        _: wit::Provider,
        _: wit::Client,
        _: wit::AuthorizationOptions,
    ) -> Result<wit::PendingAuthorization, wit::OauthError> {
        refuse()
    }

    fn complete_authorization(
        _: wit::Provider,
        _: wit::Client,
        _: wit::PendingAuthorization,
        _: String,
        _: u64,
    ) -> Result<wit::TokenSet, wit::OauthError> {
        refuse()
    }

    fn begin_device_authorization(
        _: wit::Provider,
        _: wit::Client,
        _: wit::AuthorizationOptions,
        _: u64,
    ) -> Result<wit::DeviceAuthorization, wit::OauthError> {
        refuse()
    }

    fn poll_device_authorization(
        _: wit::Provider,
        _: wit::Client,
        _: wit::DeviceAuthorization,
        _: u64,
    ) -> Result<wit::DevicePoll, wit::OauthError> {
        refuse()
    }

    fn client_credentials(
        _: wit::Provider,
        _: wit::Client,
        _: Vec<String>,
        _: u64,
    ) -> Result<wit::TokenSet, wit::OauthError> {
        refuse()
    }

    fn refresh(
        _: wit::Provider,
        _: wit::Client,
        _: wit::TokenSet,
        _: u64,
    ) -> Result<wit::TokenSet, wit::OauthError> {
        refuse()
    }

    fn ensure_fresh(
        _: wit::Provider,
        _: wit::Client,
        _: wit::TokenSet,
        _: u64,
        _: u32,
    ) -> Result<wit::FreshTokens, wit::OauthError> {
        refuse()
    }

    fn revoke(
        _: wit::Provider,
        _: wit::Client,
        _: String,
        _: wit::TokenKind,
    ) -> Result<(), wit::OauthError> {
        refuse()
    }
}

type MailResult = Result<wit_mail::Report, wit_mail::MailFailure>;

fn refuse_mail() -> MailResult {
    Err(wit_mail::MailFailure {
        error: wit_mail::MailError::InvalidInput(
            "the hostile test component sends no mail".to_owned(),
        ),
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

    fn verify_api(_: wit_mail::MailApi, _: wit_mail::Login) -> MailResult {
        refuse_mail()
    }

    fn send_via_api(
        _: wit_mail::MailApi,
        _: wit_mail::Login,
        _: wit_mail::TestMessage,
    ) -> MailResult {
        refuse_mail()
    }
}
