//! Self-check of the test-support code against the real loopback OpenID
//! provider (`tests/peers/up.sh`): the discovery document, the `Browser`
//! completing and refusing code flows, and every `ScriptedHttpServer`
//! behaviour. The token exchange here is raw HTTP on purpose: these tests
//! check the support code, not the product.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mail_oauth_tests::browser::{Browser, BrowserError, MAX_HOPS, callback_params};
use mail_oauth_tests::loopback_agent;
use mail_oauth_tests::peers::{self, AS_ISSUER};
use mail_oauth_tests::scripted::{Behaviour, ScriptedHttpServer};
use sha2::{Digest, Sha256};

/// A PKCE verifier (43 base64url chars) and its S256 challenge.
fn pkce() -> (String, String) {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seed = format!(
        "{:?}-{}-{}",
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap(),
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let verifier = URL_SAFE_NO_PAD.encode(Sha256::digest(seed.as_bytes()));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorization_url(
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    challenge: &str,
    login_hint: Option<&str>,
) -> String {
    let mut url = url::Url::parse(&format!("{AS_ISSUER}/auth")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "openid email mail offline_access")
        .append_pair("state", state)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    if let Some(hint) = login_hint {
        url.query_pairs_mut().append_pair("login_hint", hint);
    }
    url.into()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn get_json(url: &str) -> (u16, serde_json::Value) {
    let mut r = loopback_agent(Duration::from_secs(10))
        .get(url)
        .call()
        .expect(url);
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)),
    )
}

fn post_form(url: &str, fields: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let mut r = loopback_agent(Duration::from_secs(10))
        .post(url)
        .send_form(fields.iter().copied())
        .expect(url);
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)),
    )
}

#[test]
fn discovery_document_is_served_with_iss_and_pkce() {
    peers::ensure_up();
    let (status, doc) = get_json(peers::AS_DISCOVERY_URL);
    assert_eq!(status, 200);
    assert_eq!(doc["issuer"], AS_ISSUER);
    assert_eq!(doc["authorization_endpoint"], format!("{AS_ISSUER}/auth"));
    assert_eq!(doc["token_endpoint"], format!("{AS_ISSUER}/token"));
    assert_eq!(
        doc["revocation_endpoint"],
        format!("{AS_ISSUER}/token/revocation")
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    let methods = doc["code_challenge_methods_supported"].as_array().unwrap();
    assert!(methods.iter().any(|m| m == "S256"), "{methods:?}");
    assert!(
        doc["scopes_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == peers::MAIL_SCOPE)
    );
}

#[test]
fn browser_completes_a_code_flow_on_an_arbitrary_loopback_port() {
    peers::ensure_up();
    // Any port is accepted for the registered http://127.0.0.1/callback (RFC 8252 §7.3);
    // nothing listens there: `authorize` stops before fetching the callback.
    let redirect_uri = peers::loopback_redirect_uri(54_321);
    let (verifier, challenge) = pkce();
    let state = "state-code-flow";
    let url = authorization_url(
        peers::PUBLIC_CLIENT_ID,
        &redirect_uri,
        state,
        &challenge,
        Some(peers::BOB),
    );

    let mut browser = Browser::new();
    let callback = browser
        .authorize(&url, &redirect_uri)
        .unwrap_or_else(|e| panic!("{e}; {:#?}", browser.history()));
    assert!(
        callback.starts_with(&format!("{redirect_uri}?")),
        "{callback}"
    );
    let params = callback_params(&callback);
    assert_eq!(param(&params, "state"), Some(state));
    assert_eq!(param(&params, "iss"), Some(AS_ISSUER), "RFC 9207 iss");
    let code = param(&params, "code").expect("code in the callback");
    assert!(
        browser
            .history()
            .iter()
            .any(|u| u.contains("/interaction/")),
        "went through the interaction: {:#?}",
        browser.history()
    );

    let (status, tokens) = post_form(
        &format!("{AS_ISSUER}/token"),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", &verifier),
            ("client_id", peers::PUBLIC_CLIENT_ID),
        ],
    );
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(
        tokens["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(
        tokens["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let scope = tokens["scope"].as_str().unwrap();
    assert!(scope.split(' ').any(|s| s == peers::MAIL_SCOPE), "{scope}");

    // The token belongs to the login_hint account.
    let mut r = loopback_agent(Duration::from_secs(10))
        .post(format!("{AS_ISSUER}/token/introspection"))
        .header(
            "Authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    peers::INTROSPECTION_CLIENT_ID,
                    peers::INTROSPECTION_CLIENT_SECRET
                ))
            ),
        )
        .send_form([("token", tokens["access_token"].as_str().unwrap())])
        .unwrap();
    let intro: serde_json::Value =
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(intro["active"], true, "{intro}");
    assert_eq!(intro["email"], peers::BOB, "{intro}");
}

#[test]
fn deny_login_hint_yields_access_denied() {
    peers::ensure_up();
    let redirect_uri = peers::loopback_redirect_uri(54_322);
    let (_, challenge) = pkce();
    let url = authorization_url(
        peers::PUBLIC_CLIENT_ID,
        &redirect_uri,
        "state-deny",
        &challenge,
        Some(peers::DENY_LOGIN_HINT),
    );
    let callback = Browser::new().authorize(&url, &redirect_uri).unwrap();
    let params = callback_params(&callback);
    assert_eq!(param(&params, "error"), Some("access_denied"), "{callback}");
    assert_eq!(param(&params, "state"), Some("state-deny"));
    assert_eq!(param(&params, "iss"), Some(AS_ISSUER));
    assert_eq!(param(&params, "code"), None);
}

#[test]
fn browser_delivers_the_callback_to_the_listener() {
    peers::ensure_up();
    // The scripted server plays a native client's loopback listener.
    let listener =
        ScriptedHttpServer::start(Behaviour::html(200, "<p>You can close this window.</p>"));
    let redirect_uri = format!("{}/callback", listener.url());
    let (_, challenge) = pkce();
    let url = authorization_url(
        peers::PUBLIC_CLIENT_ID,
        &redirect_uri,
        "state-deliver",
        &challenge,
        None,
    );

    let delivered = Browser::new().authorize_and_deliver(&url).unwrap();
    assert_eq!(delivered.page.status, 200);
    assert!(delivered.page.body.contains("close this window"));
    let got = listener.requests();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].method, "GET");
    let received = format!("{}{}", listener.url(), got[0].path);
    assert_eq!(received, delivered.callback_url);
    let params = callback_params(&received);
    assert!(param(&params, "code").is_some(), "{received}");
    assert_eq!(param(&params, "state"), Some("state-deliver"));
}

#[test]
fn unregistered_redirect_uri_ends_on_the_provider_error_page() {
    peers::ensure_up();
    let redirect_uri = "http://127.0.0.1:54323/not-registered";
    let (_, challenge) = pkce();
    let url = authorization_url(peers::PUBLIC_CLIENT_ID, redirect_uri, "s", &challenge, None);
    match Browser::new().authorize(&url, redirect_uri) {
        Err(BrowserError::NoCallback(page)) => {
            assert_eq!(page.status, 400, "{page:?}");
            assert!(page.body.contains("redirect_uri"), "{page:?}");
        }
        other => panic!("expected the provider's error page, got {other:?}"),
    }
}

#[test]
fn browser_refuses_a_redirect_off_loopback_and_redirect_loops() {
    let away =
        ScriptedHttpServer::start(Behaviour::Redirect("http://mail.example.test/auth".into()));
    match Browser::new().get(&away.url()) {
        Err(BrowserError::NotLoopback(u)) => assert_eq!(u, "http://mail.example.test/auth"),
        other => panic!("expected NotLoopback, got {other:?}"),
    }
    assert_eq!(away.requests().len(), 1);

    let looping = ScriptedHttpServer::start(Behaviour::Redirect("/again".into()));
    let mut browser = Browser::new();
    match browser.get(&format!("{}/start", looping.url())) {
        Err(BrowserError::TooManyRedirects(h)) => assert_eq!(h.len(), MAX_HOPS + 1),
        other => panic!("expected TooManyRedirects, got {other:?}"),
    }
    let requests = looping.requests();
    assert_eq!(requests.len(), MAX_HOPS + 1);
    assert_eq!(requests[0].path, "/start");
    assert!(requests[1..].iter().all(|r| r.path == "/again"));
}

#[test]
fn scripted_status_answers_and_records_the_request() {
    let server = ScriptedHttpServer::start(Behaviour::json(500, r#"{"error":"server_error"}"#));
    let (status, body) = post_form(
        &format!("{}/token?x=1", server.url()),
        &[("grant_type", "refresh_token"), ("refresh_token", "r t")],
    );
    assert_eq!(status, 500);
    assert_eq!(body["error"], "server_error");
    let got = server.requests();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].path, "/token?x=1");
    assert_eq!(
        got[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(got[0].form_value("refresh_token").as_deref(), Some("r t"));
    assert_eq!(
        got[0].form_value("grant_type").as_deref(),
        Some("refresh_token")
    );

    let html = ScriptedHttpServer::start(Behaviour::html(200, "<html>login</html>"));
    let mut r = loopback_agent(Duration::from_secs(10))
        .get(html.url())
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(r.body_mut().read_to_string().unwrap(), "<html>login</html>");

    let garbage = ScriptedHttpServer::start(Behaviour::json(200, "{not json"));
    let (status, body) = get_json(&garbage.url());
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::Value::String("{not json".into()));
}

#[test]
fn scripted_redirect_answers_302_with_location() {
    let server =
        ScriptedHttpServer::start(Behaviour::Redirect("http://127.0.0.1:9/elsewhere".into()));
    let r = loopback_agent(Duration::from_secs(10))
        .get(server.url())
        .call()
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "http://127.0.0.1:9/elsewhere");
}

#[test]
fn scripted_oversized_sends_the_announced_bytes() {
    let n = 3 * 1024 * 1024 + 7;
    let server = ScriptedHttpServer::start(Behaviour::Oversized(n));
    let mut r = loopback_agent(Duration::from_secs(20))
        .get(server.url())
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], n.to_string().as_str());
    let body = r
        .body_mut()
        .with_config()
        .limit(n as u64 + 1)
        .read_to_vec()
        .unwrap();
    assert_eq!(body.len(), n);

    // A client with a smaller cap gives up; the server must not wedge on it.
    let mut capped = loopback_agent(Duration::from_secs(20))
        .get(server.url())
        .call()
        .unwrap();
    let err = capped
        .body_mut()
        .with_config()
        .limit(1024)
        .read_to_vec()
        .unwrap_err();
    assert!(matches!(err, ureq::Error::BodyExceedsLimit(_)), "{err:?}");
    drop(capped);
    server.wait_for_requests(2, Duration::from_secs(5));
    let started = Instant::now();
    drop(server);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "drop took {:?}",
        started.elapsed()
    );
}

#[test]
fn scripted_hang_times_out_the_client_and_drop_does_not_hang() {
    let server = ScriptedHttpServer::start(Behaviour::Hang);
    let err = loopback_agent(Duration::from_millis(300))
        .post(server.url())
        .send("payload")
        .unwrap_err();
    assert!(matches!(err, ureq::Error::Timeout(_)), "{err:?}");
    let got = server.wait_for_requests(1, Duration::from_secs(5));
    assert_eq!(got[0].body, b"payload");

    // A second client is held too (the server keeps accepting while one hangs).
    let err = loopback_agent(Duration::from_millis(300))
        .get(server.url())
        .call()
        .unwrap_err();
    assert!(matches!(err, ureq::Error::Timeout(_)), "{err:?}");
    server.wait_for_requests(2, Duration::from_secs(5));

    let started = Instant::now();
    drop(server);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "drop took {:?}",
        started.elapsed()
    );
}

#[test]
fn scripted_hang_is_released_when_the_server_is_dropped() {
    let server = ScriptedHttpServer::start(Behaviour::Hang);
    let url = server.url();
    let client = std::thread::spawn(move || {
        let started = Instant::now();
        let result = loopback_agent(Duration::from_secs(30)).get(url).call();
        (result.map(|r| r.status()), started.elapsed())
    });
    server.wait_for_requests(1, Duration::from_secs(5));
    drop(server);
    let (result, elapsed) = client.join().unwrap();
    assert!(result.is_err(), "a hung request cannot succeed: {result:?}");
    assert!(
        elapsed < Duration::from_secs(10),
        "client released after {elapsed:?}"
    );
}

#[test]
fn scripted_drop_connection_closes_without_an_answer() {
    let server = ScriptedHttpServer::start(Behaviour::DropConnection);
    let err = loopback_agent(Duration::from_secs(10))
        .get(format!("{}/token", server.url()))
        .call()
        .unwrap_err();
    assert!(
        !matches!(err, ureq::Error::Timeout(_)),
        "closed, not timed out: {err:?}"
    );
    let got = server.wait_for_requests(1, Duration::from_secs(5));
    assert_eq!(got[0].path, "/token");
}
