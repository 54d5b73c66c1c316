//! `authorize --device` (RFC 8628) through the CLI: it prints the code and
//! the verification URI as its first JSON line, waits while the user approves
//! on another device, and saves the account; the account then opens the real
//! Dovecot mailbox. A preset that refuses mail scopes in the device flow
//! (Google) is refused before any request, pointing at the flows that work.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Stdio};

use crate::common::{TempStore, last_json, run};
use mail_oauth_tests::browser::Browser;
use mail_oauth_tests::peers;

/// A spawned `authorize --device`, killed if the test fails before it exits
/// (it would wait for the code to expire).
struct DeviceCli {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl DeviceCli {
    /// Waits for the CLI to exit: (exit code, the rest of stdout, stderr).
    fn finish(mut self) -> (i32, String, String) {
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        let status = self.child.wait().unwrap();
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut stderr).unwrap();
        }
        (status.code().unwrap_or(-1), rest, stderr)
    }
}

impl Drop for DeviceCli {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn device_flow_through_the_cli_opens_the_mailbox() {
    peers::ensure_mail_up();
    let store = TempStore::new("cli-device");
    let mut child = store
        .cli()
        .args(["--allow-loopback", "--json", "authorize", "--device"])
        .args(["--account", "dev", "--issuer", peers::AS_ISSUER])
        .args(["--client-id", peers::PUBLIC_CLIENT_ID])
        .args(["--scope", "openid", "--scope", "email"])
        .args(["--scope", "offline_access", "--scope", "mail"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("CLI spawns");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut cli = DeviceCli { child, stdout };

    let mut line = String::new();
    cli.stdout
        .read_line(&mut line)
        .expect("reads the first line");
    let device: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: first line {line:?}"));
    let user_code = device["user_code"]
        .as_str()
        .unwrap_or_else(|| panic!("user_code: not a string in {device}"));
    let verification_uri = device["verification_uri"]
        .as_str()
        .unwrap_or_else(|| panic!("verification_uri: not a string in {device}"));
    let complete = device["verification_uri_complete"]
        .as_str()
        .unwrap_or_else(|| panic!("verification_uri_complete: not a string in {device}"));
    let expires_at = device["expires_at"]
        .as_u64()
        .unwrap_or_else(|| panic!("expires_at: not a number in {device}"));
    let interval = device["interval"]
        .as_u64()
        .unwrap_or_else(|| panic!("interval: not a number in {device}"));
    assert!(!user_code.is_empty());
    assert!(
        verification_uri.starts_with(peers::AS_ISSUER),
        "{verification_uri}"
    );
    assert!(complete.starts_with(verification_uri), "{complete}");
    assert!(complete.contains("user_code="), "{complete}");
    assert!(expires_at > mail_oauth_store::unix_now(), "{device}");
    assert!((1..=60).contains(&interval), "{device}");

    // The user types the code at the verification URI on another device.
    let mut browser = Browser::new();
    browser
        .approve_device(verification_uri, user_code)
        .unwrap_or_else(|e| panic!("{e}; {:#?}", browser.history()));

    let (code, rest, stderr) = cli.finish();
    assert_eq!(code, 0, "{rest} {stderr}");
    let saved = last_json(&rest);
    assert_eq!(saved["account"], "dev", "{saved}");
    assert_eq!(saved["grant"], "user", "{saved}");
    assert_eq!(saved["refresh_token"], true, "{saved}");
    // Without a login hint the provider signs in its default user, alice.
    assert_eq!(saved["login"], peers::ALICE, "{saved}");
    let account = store.accounts(true).get("dev").expect("saved");
    assert!(account.tokens.refresh_token.is_some());
    assert!(!rest.contains(account.tokens.access_token.expose()));

    let (out, stdout, stderr) = run(store
        .cli()
        .args([
            "--allow-loopback",
            "--json",
            "check",
            "imap",
            "--account",
            "dev",
        ])
        .arg("--server")
        .arg(format!("{}:{}", peers::HOST, peers::IMAPS_PORT)));
    assert!(out.status.success(), "{stdout} {stderr}");
    let report = last_json(&stdout);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["mechanism"], "xoauth2", "{report}");
}

#[test]
fn google_device_flow_is_unsupported_and_points_at_the_alternatives() {
    let store = TempStore::new("cli-device-google");
    let (out, stdout, stderr) = run(store.cli().args([
        "--json",
        "authorize",
        "--device",
        "--provider",
        "google",
        "--account",
        "g",
        "--client-id",
        "some-client.apps.googleusercontent.com",
    ]));
    assert_eq!(out.status.code(), Some(1), "{stdout} {stderr}");
    let error = &last_json(&stdout)["error"];
    assert_eq!(error["kind"], "unsupported", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("loopback"), "{message}");
    assert!(message.contains("two-step"), "{message}");
    assert!(
        store
            .accounts(false)
            .store()
            .get_account("g")
            .unwrap()
            .is_none()
    );
}
