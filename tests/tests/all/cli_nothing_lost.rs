//! Nothing is lost to a callback that does not complete an authorization: a
//! forged or incomplete callback, a stray request, a garbage paste or a token
//! endpoint that is down or says "later" leave the pending authorization for
//! the genuine callback (the loopback listener keeps waiting; `complete` can
//! be run again). Only a definitive answer about the code spends it. And a
//! revoked account's tokens are refused until it is authorized again.

use std::process::Command;
use std::time::Duration;

use crate::common::{
    PendingCli, TempStore, authorize_local, authorize_through_browser, last_json, run,
};
use mail_oauth_tests::browser::{Browser, callback_params};
use mail_oauth_tests::peers;
use mail_oauth_tests::scripted::{Behaviour, ScriptedHttpServer};

/// `callback` without its `code` parameter (the `state` is the genuine one).
fn without_code(callback: &str) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let params: Vec<(String, String)> = callback_params(callback)
        .into_iter()
        .filter(|(k, _)| k != "code")
        .collect();
    url.query_pairs_mut().clear().extend_pairs(params);
    url.into()
}

/// `callback` with another `state`.
fn with_state(callback: &str, state: &str) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let params: Vec<(String, String)> = callback_params(callback)
        .into_iter()
        .map(|(k, v)| {
            if k == "state" {
                (k, state.to_owned())
            } else {
                (k, v)
            }
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(params);
    url.into()
}

/// The same origin as `redirect_uri`, another path.
fn other_path(redirect_uri: &str) -> String {
    let mut url = url::Url::parse(redirect_uri).unwrap();
    url.set_path("/other");
    url.into()
}

#[test]
fn loopback_listener_refuses_bad_callbacks_and_stray_paths_and_keeps_waiting() {
    peers::ensure_up();
    let store = TempStore::new("lost-loopback");
    let cli = PendingCli::spawn(authorize_local(&store, "alice", peers::ALICE));
    let mut browser = Browser::new();
    let callback = browser
        .authorize(&cli.authorization_url, &cli.redirect_uri)
        .expect("reaches the callback");

    let forged = browser
        .get(&with_state(&callback, "forged-state-0000000000000000"))
        .expect("the listener answers");
    assert_eq!(forged.status, 400, "{}", forged.body);
    assert!(forged.body.contains("still waiting"), "{}", forged.body);

    let stray = browser
        .get(&other_path(&cli.redirect_uri))
        .expect("the listener answers");
    assert_eq!(stray.status, 404, "{}", stray.body);

    // The genuine state without a code: not a completion either.
    let no_code = browser
        .get(&without_code(&callback))
        .expect("the listener answers");
    assert_eq!(no_code.status, 400, "{}", no_code.body);
    assert!(no_code.body.contains("still waiting"), "{}", no_code.body);

    let page = browser.get(&callback).expect("the listener answers");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("authorized"), "{}", page.body);
    let (code, stdout, stderr) = cli.finish();
    assert_eq!(code, 0, "{stdout} {stderr}");
    assert_eq!(last_json(&stdout)["account_email"], peers::ALICE);
    let account = store
        .accounts(true)
        .get("alice")
        .expect("the account is saved");
    assert!(account.tokens.refresh_token.is_some());
}

#[test]
fn loopback_listener_keeps_waiting_when_the_token_endpoint_says_later() {
    peers::ensure_up();
    let store = TempStore::new("lost-loopback-503");
    let later = ScriptedHttpServer::start(Behaviour::json(
        503,
        r#"{"error":"temporarily_unavailable"}"#,
    ));
    let mut cmd = store.cli();
    cmd.args(["--allow-loopback", "authorize", "--account", "flaky"])
        .arg("--auth-url")
        .arg(authorization_endpoint(&store))
        .arg("--token-url")
        .arg(format!("{}/token", later.url()))
        .args(["--client-id", peers::PUBLIC_CLIENT_ID])
        .args(["--scope", "openid", "--scope", "email", "--scope", "mail"])
        .args([
            "--login-hint",
            peers::ALICE,
            "--no-browser",
            "--timeout",
            "60",
        ]);
    let mut cli = PendingCli::spawn(cmd);
    let mut browser = Browser::new();
    let callback = browser
        .authorize(&cli.authorization_url, &cli.redirect_uri)
        .expect("reaches the callback");
    // Delivered, then reloaded: each time the code exchange is tried, fails
    // with "later", and the listener answers and goes on waiting.
    for attempt in 1..=2 {
        let page = browser.get(&callback).expect("the listener answers");
        assert_eq!(page.status, 400, "attempt {attempt}: {}", page.body);
        assert!(page.body.contains("still waiting"), "{}", page.body);
        let requests = later.wait_for_requests(attempt, Duration::from_secs(10));
        assert_eq!(requests.len(), attempt);
        assert_eq!(
            requests[attempt - 1].form_value("grant_type").as_deref(),
            Some("authorization_code")
        );
    }
    // The second attempt reached the listener: the first left it waiting.
    cli.child.kill().unwrap();
    let (_, _, stderr) = cli.finish();
    assert!(stderr.contains("ignored a callback"), "{stderr}");
    assert!(
        store
            .accounts(true)
            .store()
            .get_account("flaky")
            .unwrap()
            .is_none()
    );
}

/// The local provider's authorization endpoint, from its discovery document.
fn authorization_endpoint(store: &TempStore) -> String {
    store
        .accounts(true)
        .discover(peers::AS_ISSUER)
        .expect("discovery at the local provider")
        .authorization_endpoint
}

/// `authorize --no-listen` for `account` with `provider_args`; returns the
/// authorization URL and the redirect URI.
fn begin_two_step(store: &TempStore, account: &str, provider_args: &[String]) -> (String, String) {
    let redirect = peers::loopback_redirect_uri(45911);
    let (out, stdout, stderr) = run(store
        .cli()
        .args(["--allow-loopback", "--json", "authorize", "--no-listen"])
        .args(["--redirect-uri", &redirect, "--account", account])
        .args(provider_args)
        .args(["--client-id", peers::PUBLIC_CLIENT_ID])
        .args(["--scope", "openid", "--scope", "email", "--scope", "mail"])
        .args(["--login-hint", peers::ALICE]));
    assert!(out.status.success(), "{stdout} {stderr}");
    let url = last_json(&stdout)["authorization_url"]
        .as_str()
        .expect("an authorization URL")
        .to_owned();
    (url, redirect)
}

/// The local provider by discovery.
fn local_issuer() -> Vec<String> {
    vec!["--issuer".into(), peers::AS_ISSUER.into()]
}

/// `complete --json`: the exit code and the last JSON line.
fn complete(store: &TempStore, account: &str, callback: &str) -> (i32, serde_json::Value) {
    let (out, stdout, stderr) = run(store
        .cli()
        .args([
            "--allow-loopback",
            "--json",
            "complete",
            "--account",
            account,
        ])
        .args(["--callback-url", callback]));
    let code = out.status.code().expect("an exit code");
    assert!(!stdout.is_empty(), "no JSON; stderr: {stderr}");
    (code, last_json(&stdout))
}

fn still_pending(store: &TempStore, account: &str) -> bool {
    store
        .accounts(true)
        .store()
        .get_pending(account)
        .unwrap()
        .is_some()
}

#[test]
fn two_step_survives_a_garbage_paste_and_a_wrong_state() {
    peers::ensure_up();
    let store = TempStore::new("lost-two-step");
    let (url, redirect) = begin_two_step(&store, "web", &local_issuer());
    let callback = Browser::new().authorize(&url, &redirect).unwrap();

    let (code, v) = complete(&store, "web", "hello");
    assert_eq!(code, 1, "{v}");
    assert!(still_pending(&store, "web"), "a garbage paste spent it");

    let (code, v) = complete(&store, "web", &with_state(&callback, "not-the-state"));
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "state_mismatch", "{v}");
    assert!(still_pending(&store, "web"), "a wrong state spent it");

    let (code, v) = complete(&store, "web", &callback);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["account_email"], peers::ALICE);
    assert_eq!(v["refresh_token"], true);
    assert!(!still_pending(&store, "web"));

    let (code, v) = complete(&store, "web", &callback);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "no_pending_authorization", "{v}");
}

#[test]
fn a_garbage_paste_is_invalid_input() {
    peers::ensure_up();
    let store = TempStore::new("lost-garbage");
    begin_two_step(&store, "web", &local_issuer());
    let (code, v) = complete(&store, "web", "hello");
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "invalid_input", "{v}");
    assert!(still_pending(&store, "web"));
}

/// A custom provider: the local authorization endpoint, and `token_url`.
fn custom_provider(store: &TempStore, token_url: &str) -> Vec<String> {
    vec![
        "--auth-url".into(),
        authorization_endpoint(store),
        "--token-url".into(),
        token_url.into(),
    ]
}

#[test]
fn a_token_endpoint_down_or_saying_later_keeps_the_pending_authorization() {
    peers::ensure_up();
    let store = TempStore::new("lost-transient");
    let later = ScriptedHttpServer::start(Behaviour::json(
        503,
        r#"{"error":"temporarily_unavailable"}"#,
    ));
    let token_url = format!("{}/token", later.url());
    let (url, redirect) = begin_two_step(&store, "flaky", &custom_provider(&store, &token_url));
    let callback = Browser::new().authorize(&url, &redirect).unwrap();
    let code_value = callback_params(&callback)
        .into_iter()
        .find(|(k, _)| k == "code")
        .expect("a code")
        .1;

    let (code, v) = complete(&store, "flaky", &callback);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "temporary_failure", "{v}");
    let requests = later.wait_for_requests(1, Duration::from_secs(5));
    assert_eq!(requests[0].form_value("code"), Some(code_value));
    assert!(still_pending(&store, "flaky"), "a 503 spent it");

    // Now nothing listens at the token endpoint.
    drop(later);
    let (code, v) = complete(&store, "flaky", &callback);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "http", "{v}");
    assert_eq!(v["error"]["reason"], "unreachable", "{v}");
    assert!(
        still_pending(&store, "flaky"),
        "an unreachable endpoint spent it"
    );
    assert!(
        store
            .accounts(true)
            .store()
            .get_account("flaky")
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_refused_code_spends_the_pending_authorization() {
    peers::ensure_up();
    let store = TempStore::new("lost-refused");
    let refusing = ScriptedHttpServer::start(Behaviour::json(
        400,
        r#"{"error":"invalid_grant","error_description":"code expired"}"#,
    ));
    let token_url = format!("{}/token", refusing.url());
    let (url, redirect) = begin_two_step(&store, "refused", &custom_provider(&store, &token_url));
    let callback = Browser::new().authorize(&url, &redirect).unwrap();

    let (code, v) = complete(&store, "refused", &callback);
    assert_eq!(code, 3, "{v}");
    assert_eq!(v["error"]["kind"], "reauthorize_required", "{v}");
    assert_eq!(refusing.requests().len(), 1);
    assert!(!still_pending(&store, "refused"), "a refused code was kept");

    let (code, v) = complete(&store, "refused", &callback);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "no_pending_authorization", "{v}");
    assert_eq!(
        refusing.requests().len(),
        1,
        "the spent code was tried again"
    );
}

/// `mail-oauth --allow-loopback --json <args>` on `store`.
fn json_cli(store: &TempStore, args: &[String]) -> Command {
    let mut cmd = store.cli();
    cmd.args(["--allow-loopback", "--json"]).args(args);
    cmd
}

/// The commands that use account bob's tokens.
fn token_users() -> Vec<Vec<String>> {
    let imaps = format!("{}:{}", peers::HOST, peers::IMAPS_PORT);
    [
        vec!["token", "--account", "bob"],
        vec!["xoauth2", "--account", "bob"],
        vec!["check", "imap", "--account", "bob", "--server", &imaps],
    ]
    .into_iter()
    .map(|args| args.into_iter().map(str::to_owned).collect())
    .collect()
}

#[test]
fn a_revoked_account_is_refused_until_authorized_again() {
    peers::ensure_mail_up();
    let store = TempStore::new("lost-revoked");
    authorize_through_browser(authorize_local(&store, "bob", peers::BOB));
    let (out, stdout, stderr) = run(&mut json_cli(
        &store,
        &["revoke".into(), "--account".into(), "bob".into()],
    ));
    assert!(out.status.success(), "{stdout} {stderr}");
    let old = store.accounts(true).get("bob").unwrap().tokens.access_token;

    for args in token_users() {
        let (out, stdout, stderr) = run(&mut json_cli(&store, &args));
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stdout} {stderr}");
        let error = &last_json(&stdout)["error"];
        assert_eq!(error["kind"], "revoked", "{args:?}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains("authorize"),
            "{error}"
        );
        assert!(
            !stdout.contains(old.expose()),
            "{args:?} printed the revoked token"
        );
    }

    authorize_through_browser(authorize_local(&store, "bob", peers::BOB));
    assert!(!store.accounts(true).get("bob").unwrap().revoked);
    for args in token_users() {
        let (out, stdout, stderr) = run(&mut json_cli(&store, &args));
        assert!(out.status.success(), "{args:?}: {stdout} {stderr}");
    }
}
