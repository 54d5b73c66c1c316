//! The CLI's rough edges, each its own test: where reports and errors go,
//! the hint an error carries for the option that fixes it, the warnings for
//! a request that cannot open a mailbox, options that must be honoured
//! (`--client-auth`, saved mail servers), and the preset table.

use std::process::Command;

use crate::common::{
    TempStore, authorize_local, authorize_through_browser, authorized_account, cli_path, last_json,
    run,
};
use mail_oauth_runtime::model::{ClientAuth, Security};
use mail_oauth_tests::browser::Browser;
use mail_oauth_tests::peers;

/// `host:port` of a peer.
fn at(port: u16) -> String {
    format!("{}:{port}", peers::HOST)
}

/// A store with alice authorized (the library's code flow, the public client).
fn store_with_alice(name: &str) -> TempStore {
    let store = TempStore::new(name);
    authorized_account(&store, "alice", peers::ALICE, peers::PUBLIC_CLIENT_ID);
    store
}

/// `check imap --account alice` with `args`: (exit code, stdout, stderr).
fn check_imap(cmd: &mut Command, args: &[&str]) -> (i32, String, String) {
    let (out, stdout, stderr) = run(cmd.args(args).args(["check", "imap", "--account", "alice"]));
    (out.status.code().expect("an exit code"), stdout, stderr)
}

/// `check imap` at `server` with `security`, as `extra` global options say.
fn check_imap_at(
    cmd: &mut Command,
    extra: &[&str],
    server: &str,
    security: &str,
) -> (i32, String, String) {
    let (out, stdout, stderr) = run(cmd.args(extra).args([
        "check",
        "imap",
        "--account",
        "alice",
        "--server",
        server,
        "--security",
        security,
    ]));
    (out.status.code().expect("an exit code"), stdout, stderr)
}

#[test]
fn check_report_goes_to_stdout_and_errors_to_stderr() {
    peers::ensure_mail_up();
    let store = store_with_alice("edge-streams");
    let (code, stdout, stderr) = check_imap_at(
        &mut store.cli(),
        &["--allow-loopback"],
        &at(peers::IMAPS_PORT),
        "tls",
    );
    assert_eq!(code, 0, "{stdout} {stderr}");
    let first = stdout.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!(
            "IMAP {}:{} (implicit TLS): OK with XOAUTH2",
            peers::HOST,
            peers::IMAPS_PORT
        ),
        "{stdout}"
    );
    for step in ["connect", "greeting", "authenticate", "logout"] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(step)),
            "no {step} step on stdout: {stdout}"
        );
    }
    assert!(!stderr.contains("error"), "{stderr}");

    // A failure: the message on stderr, nothing on stdout.
    let (code, stdout, stderr) = check_imap_at(
        &mut store.cli(),
        &["--allow-loopback"],
        &at(peers::IMAP_PORT),
        "tls",
    );
    assert_eq!(code, 1, "{stdout} {stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.starts_with("error: "), "{stderr}");
}

#[test]
fn a_denied_loopback_server_is_transport_denied_with_the_fix() {
    peers::ensure_mail_up();
    let store = store_with_alice("edge-denied");
    let (code, stdout, stderr) =
        check_imap_at(&mut store.cli(), &["--json"], &at(peers::IMAPS_PORT), "tls");
    assert_eq!(code, 1, "{stdout} {stderr}");
    let error = &last_json(&stdout)["error"];
    assert_eq!(error["kind"], "transport", "{error}");
    assert_eq!(error["reason"], "denied", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("--allow-loopback"),
        "{error}"
    );
}

#[test]
fn tls_to_a_plaintext_port_suggests_starttls() {
    peers::ensure_mail_up();
    let store = store_with_alice("edge-plain-port");
    let (code, stdout, stderr) = check_imap_at(
        &mut store.cli(),
        &["--allow-loopback", "--json"],
        &at(peers::IMAP_PORT),
        "tls",
    );
    assert_eq!(code, 1, "{stdout} {stderr}");
    let error = &last_json(&stdout)["error"];
    assert_eq!(error["kind"], "transport", "{error}");
    assert_eq!(error["reason"], "tls", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("--security starttls"),
        "{error}"
    );
}

#[test]
fn an_unknown_certificate_issuer_suggests_ca_file() {
    peers::ensure_mail_up();
    let store = store_with_alice("edge-no-ca");
    // The peers' certificate is signed by the test CA, which is not among the
    // system's roots: without --ca-file it is an unknown issuer.
    let (code, stdout, stderr) = check_imap_at(
        &mut store.cli_without_ca(),
        &["--allow-loopback", "--json"],
        &at(peers::IMAPS_PORT),
        "tls",
    );
    assert_eq!(code, 1, "{stdout} {stderr}");
    let error = &last_json(&stdout)["error"];
    assert_eq!(error["kind"], "transport", "{error}");
    assert_eq!(error["reason"], "tls", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("--ca-file"),
        "{error}"
    );
}

/// `authorize --no-listen` at the local issuer with `args`: (stdout, stderr).
fn two_step_at_issuer(store: &TempStore, account: &str, args: &[&str]) -> (String, String) {
    let (out, stdout, stderr) = run(store
        .cli()
        .args(["--allow-loopback", "--json", "authorize", "--no-listen"])
        .args(["--redirect-uri", &peers::loopback_redirect_uri(45921)])
        .args(["--account", account, "--issuer", peers::AS_ISSUER])
        .args(args));
    assert!(out.status.success(), "{stdout} {stderr}");
    (stdout, stderr)
}

#[test]
fn only_identity_scopes_warn_of_no_mail_scope() {
    peers::ensure_up();
    let store = TempStore::new("edge-scope-warning");
    let (_, stderr) = two_step_at_issuer(
        &store,
        "a",
        &[
            "--client-id",
            peers::PUBLIC_CLIENT_ID,
            "--scope",
            "openid",
            "--scope",
            "email",
        ],
    );
    assert!(stderr.contains("warning: no mail scope"), "{stderr}");

    let (_, stderr) = two_step_at_issuer(
        &store,
        "b",
        &[
            "--client-id",
            peers::PUBLIC_CLIENT_ID,
            "--scope",
            "openid",
            "--scope",
            "mail",
        ],
    );
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn an_account_without_a_login_name_is_warned_about() {
    peers::ensure_up();
    let store = TempStore::new("edge-no-login");
    // No `email` scope: the ID token carries no e-mail; and no --login-hint.
    let mut cmd = store.cli();
    cmd.args(["--allow-loopback", "authorize", "--account", "anon"])
        .args(["--issuer", peers::AS_ISSUER])
        .args(["--client-id", peers::PUBLIC_CLIENT_ID])
        .args(["--scope", "openid", "--scope", "mail"])
        .args(["--no-browser", "--timeout", "60"]);
    let (saved, stderr) = authorize_through_browser(cmd);
    assert_eq!(saved["login"], serde_json::Value::Null, "{saved}");
    assert_eq!(saved["account_email"], serde_json::Value::Null, "{saved}");
    assert!(stderr.contains("has no login name"), "{stderr}");
    assert!(stderr.contains("--login-hint"), "{stderr}");

    // With a login hint there is a login name, and no warning.
    let mut cmd = store.cli();
    cmd.args(["--allow-loopback", "authorize", "--account", "named"])
        .args(["--issuer", peers::AS_ISSUER])
        .args(["--client-id", peers::PUBLIC_CLIENT_ID])
        .args(["--scope", "openid", "--scope", "mail"])
        .args([
            "--login-hint",
            peers::BOB,
            "--no-browser",
            "--timeout",
            "60",
        ]);
    let (saved, stderr) = authorize_through_browser(cmd);
    assert_eq!(saved["login"], peers::BOB, "{saved}");
    assert!(!stderr.contains("has no login name"), "{stderr}");
}

#[test]
fn client_auth_post_is_honoured_with_an_issuer() {
    peers::ensure_up();
    let store = TempStore::new("edge-client-auth");
    let confidential = [
        "--client-id",
        peers::CONFIDENTIAL_CLIENT_ID,
        "--scope",
        "openid",
        "--scope",
        "email",
        "--scope",
        "mail",
        "--login-hint",
        peers::ALICE,
    ];
    let secret = (
        "MAIL_OAUTH_CLIENT_SECRET",
        peers::CONFIDENTIAL_CLIENT_SECRET,
    );
    let pending_auth = |account: &str| {
        store
            .accounts(true)
            .store()
            .get_pending(account)
            .unwrap()
            .expect("a pending authorization")
            .provider
            .client_auth
    };
    // Discovery picks basic (the provider offers it); --client-auth post wins.
    let (out, _, stderr) = run(store
        .cli()
        .args(["--allow-loopback", "--json", "authorize", "--no-listen"])
        .args(["--redirect-uri", &peers::loopback_redirect_uri(45922)])
        .args(["--account", "default", "--issuer", peers::AS_ISSUER])
        .args(confidential)
        .env(secret.0, secret.1));
    assert!(out.status.success(), "{stderr}");
    assert_eq!(pending_auth("default"), ClientAuth::Basic);

    let redirect = peers::loopback_redirect_uri(45923);
    let (out, stdout, stderr) = run(store
        .cli()
        .args(["--allow-loopback", "--json", "authorize", "--no-listen"])
        .args(["--redirect-uri", &redirect])
        .args(["--account", "post", "--issuer", peers::AS_ISSUER])
        .args(confidential)
        .args(["--client-auth", "post"])
        .env(secret.0, secret.1));
    assert!(out.status.success(), "{stderr}");
    assert_eq!(pending_auth("post"), ClientAuth::Post);

    // The provider accepts client_secret_post too: the account works with it.
    let url = last_json(&stdout)["authorization_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let callback = Browser::new().authorize(&url, &redirect).unwrap();
    let (out, stdout, stderr) = run(store
        .cli()
        .args([
            "--allow-loopback",
            "--json",
            "complete",
            "--account",
            "post",
        ])
        .args(["--callback-url", &callback]));
    assert!(out.status.success(), "{stdout} {stderr}");
    let account = store.accounts(true).get("post").unwrap();
    assert_eq!(account.provider.client_auth, ClientAuth::Post);
    let (out, stdout, stderr) = run(store.cli().args([
        "--allow-loopback",
        "--json",
        "token",
        "--account",
        "post",
        "--force-refresh",
    ]));
    assert!(out.status.success(), "{stdout} {stderr}");
    assert_eq!(last_json(&stdout)["refreshed"], true);
}

#[test]
fn a_file_that_is_not_a_component_is_one_line_naming_it() {
    let store = TempStore::new("edge-not-component");
    // A text file, as `/etc/hostname` is (and every machine has this one).
    let file = store.dir.join("hostname-not-a-component");
    std::fs::write(&file, "vm\n").unwrap();
    let (out, stdout, stderr) = run(Command::new(cli_path())
        .arg("--store")
        .arg(store.dir.join("store"))
        .arg("--component")
        .arg(&file)
        .arg("providers")
        .env_remove("MAIL_OAUTH_COMPONENT"));
    assert_eq!(out.status.code(), Some(1), "{stdout} {stderr}");
    assert_eq!(stdout, "");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains("hostname-not-a-component"), "{stderr:?}");
}

#[test]
fn saved_mail_servers_need_no_server_option() {
    peers::ensure_mail_up();
    let store = TempStore::new("edge-saved-servers");
    let mut cmd = authorize_local(&store, "alice", peers::ALICE);
    cmd.args(["--imap-server", &at(peers::IMAPS_PORT)]).args([
        "--smtp-server",
        &format!("{}/starttls", at(peers::SUBMISSION_PORT)),
    ]);
    authorize_through_browser(cmd);

    let (code, stdout, stderr) = check_imap(&mut store.cli(), &["--allow-loopback", "--json"]);
    assert_eq!(code, 0, "{stdout} {stderr}");
    let report = last_json(&stdout);
    assert_eq!(report["server"]["port"], peers::IMAPS_PORT, "{report}");

    let (out, stdout, stderr) = run(store.cli().args([
        "--allow-loopback",
        "--json",
        "check",
        "smtp",
        "--account",
        "alice",
    ]));
    assert!(out.status.success(), "{stdout} {stderr}");
    let report = last_json(&stdout);
    assert_eq!(report["server"]["port"], peers::SUBMISSION_PORT, "{report}");
    let steps: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(steps.contains(&"starttls"), "{report}");

    let saved = store.accounts(true).get("alice").unwrap().provider;
    let smtp = saved
        .mail_servers
        .iter()
        .find(|m| m.protocol == mail_oauth_runtime::model::MailProtocol::Smtp)
        .expect("the SMTP server is saved");
    assert_eq!(smtp.server.security, Security::Starttls);
}

#[test]
fn sasl_rejected_names_the_scope_the_server_asks_for() {
    peers::ensure_mail_up();
    let store = TempStore::new("edge-no-mail-scope");
    let mut cmd = store.cli();
    cmd.args(["--allow-loopback", "authorize", "--account", "alice"])
        .args(["--issuer", peers::AS_ISSUER])
        .args(["--client-id", peers::PUBLIC_CLIENT_ID])
        .args(["--scope", "openid", "--scope", "email"])
        .args([
            "--login-hint",
            peers::ALICE,
            "--no-browser",
            "--timeout",
            "60",
        ]);
    let (saved, _) = authorize_through_browser(cmd);
    assert_eq!(saved["login"], peers::ALICE, "{saved}");

    let (code, stdout, stderr) = check_imap_at(
        &mut store.cli(),
        &["--allow-loopback", "--json"],
        &at(peers::IMAPS_PORT),
        "tls",
    );
    assert_eq!(code, 1, "{stdout} {stderr}");
    let error = &last_json(&stdout)["error"];
    assert_eq!(error["kind"], "sasl_rejected", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("it asks for scope mail"),
        "{error}"
    );
}

#[test]
fn nine_presets_and_provider_for_an_address() {
    let store = TempStore::new("edge-presets");
    let (out, stdout, stderr) = run(store.cli().args(["--json", "providers"]));
    assert!(out.status.success(), "{stderr}");
    let list: serde_json::Value = serde_json::from_str(stdout.trim()).expect("a JSON list");
    let ids: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| p["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(
        ids,
        [
            "google",
            "microsoft",
            "yahoo",
            "aol",
            "fastmail",
            "yandex",
            "mail-ru",
            "comcast",
            "seznam"
        ]
    );

    let (out, stdout, stderr) = run(store.cli().args([
        "authorize",
        "--provider-for",
        "me@yahoo.com",
        "--no-listen",
        "--redirect-uri",
        "http://127.0.0.1:1/cb",
        "--client-id",
        "x",
        "--account",
        "y",
    ]));
    assert!(out.status.success(), "{stderr}");
    let url = stdout.trim();
    assert!(
        url.starts_with("https://api.login.yahoo.com/oauth2/request_auth?"),
        "{url}"
    );
    let pending = store
        .accounts(false)
        .store()
        .get_pending("y")
        .unwrap()
        .expect("kept");
    assert_eq!(pending.provider.id, "yahoo");
}
