//! The device authorization grant (RFC 8628) through the component and the
//! runtime against the real provider: discovery finds the device endpoint,
//! polling before the user decides is `pending` (with the interval to wait),
//! the user approves over HTTP (the provider's own verification pages) and
//! the next poll is `granted`, with tokens that open alice's mailbox on the
//! real Dovecot; the user aborting on the confirmation page is
//! `access-denied`. A device authorization past its `expires-at` is
//! `device-expired` without a request.
//!
//! oidc-provider 9 never answers `slow_down` (its `SlowDown` error is
//! defined but thrown nowhere) and its device codes live 600 s, so its
//! `slow_down` and `expired_token` answers come from a scripted token
//! endpoint: the faults no real server produces on demand.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{TempStore, introspect, local_server, mail_session, plugin, token_login};
use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::error::Error;
use mail_oauth_runtime::http_client::{HttpClient, HttpLimits};
use mail_oauth_runtime::model::{
    AuthorizationOptions, Client, ClientAuth, DeviceAuthorization, DevicePoll, Mechanism, Provider,
    Secret, Security, TokenSet,
};
use mail_oauth_runtime::{OAuthError, Session};
use mail_oauth_store::accounts::unix_now;
use mail_oauth_tests::browser::Browser;
use mail_oauth_tests::peers;
use mail_oauth_tests::scripted::{Behaviour, ScriptedHttpServer};

/// What the tests ask for: OpenID with the e-mail claim, a refresh token,
/// and the scope Dovecot requires.
const SCOPES: [&str; 4] = ["openid", "email", "offline_access", peers::MAIL_SCOPE];

/// A component instance whose HTTP may reach `origin` only (loopback
/// allowed: the peers listen on 127.0.0.1).
fn session_for(origin: &str) -> Session {
    let policy = EgressPolicy::deny_all()
        .allow_loopback(true)
        .allow_origin(origin)
        .expect("a valid origin");
    plugin()
        .session(Arc::new(HttpClient::new(policy, HttpLimits::default())))
        .expect("component instantiates")
}

/// The local provider, discovered through the component.
fn local_provider(session: &mut Session) -> Provider {
    let provider = session
        .discover(peers::AS_ISSUER)
        .expect("discovery at the local provider");
    assert_eq!(
        provider.device_authorization_endpoint.as_deref(),
        Some(format!("{}/device/auth", peers::AS_ISSUER).as_str()),
        "the discovery document's device_authorization_endpoint"
    );
    provider
}

/// The public client: no secret, and no redirect URI (the device flow has
/// none).
fn public_client() -> Client {
    Client {
        id: peers::PUBLIC_CLIENT_ID.to_owned(),
        secret: None,
        redirect_uri: String::new(),
    }
}

fn options() -> AuthorizationOptions {
    AuthorizationOptions {
        scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        login_hint: None,
    }
}

/// Begins a device authorization at the local provider and checks what the
/// host gets to show the user.
fn begin(session: &mut Session, provider: &Provider) -> DeviceAuthorization {
    let now = unix_now();
    let device = session
        .begin_device_authorization(provider, &public_client(), &options(), now)
        .expect("the device authorization starts");
    assert!(!device.user_code.is_empty());
    assert!(!device.device_code.expose().is_empty());
    assert_eq!(
        device.verification_uri,
        format!("{}/device", peers::AS_ISSUER)
    );
    let complete = device
        .verification_uri_complete
        .as_deref()
        .expect("oidc-provider sends verification_uri_complete");
    assert!(
        complete.starts_with(&device.verification_uri) && complete.contains(&device.user_code),
        "{complete}"
    );
    // oidc-provider's device codes live 600 s.
    assert_eq!(device.expires_at, now + 600, "expires_in is 600 s");
    // oidc-provider sends no `interval`: RFC 8628 §3.2's default applies.
    assert_eq!(device.interval, 5);
    assert_eq!(device.scopes, SCOPES);
    let shown = format!("{device:?}");
    assert!(
        !shown.contains(device.device_code.expose()),
        "the device code is a secret: {shown}"
    );
    device
}

/// Polls once, now.
fn poll(
    session: &mut Session,
    provider: &Provider,
    device: &DeviceAuthorization,
) -> Result<DevicePoll, Error> {
    session.poll_device_authorization(provider, &public_client(), device, unix_now())
}

/// The tokens of a poll that must be `granted`.
fn granted(result: Result<DevicePoll, Error>) -> TokenSet {
    match result {
        Ok(DevicePoll::Granted(tokens)) => tokens,
        Ok(DevicePoll::Pending(secs)) => panic!("still pending ({secs} s) after approval"),
        Err(e) => panic!("the poll after approval failed: {e} ({e:?})"),
    }
}

/// Checks the granted tokens and that they open alice's INBOX on Dovecot.
fn assert_opens_alices_mailbox(tokens: &TokenSet, device: &DeviceAuthorization) {
    assert!(!tokens.access_token.expose().is_empty());
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access was asked for"
    );
    assert!(tokens.id_token.is_some(), "openid was asked for");
    assert!(
        tokens.scopes.iter().any(|s| s == peers::MAIL_SCOPE),
        "{:?}",
        tokens.scopes
    );
    // The test provider signs the user in as alice (no login_hint in the
    // device flow).
    let user = tokens.account_email.as_deref().unwrap_or(peers::ALICE);
    assert_eq!(user, peers::ALICE, "the ID token's email");
    assert!(
        tokens.expires_at.is_some_and(|t| t > unix_now()),
        "{:?}",
        tokens.expires_at
    );
    for secret in [&tokens.access_token, &device.device_code] {
        assert!(!format!("{tokens:?}").contains(secret.expose()));
    }

    let intro = introspect(tokens.access_token.expose());
    assert_eq!(intro["active"], true, "{intro}");
    assert_eq!(intro["email"], peers::ALICE, "{intro}");

    let store = TempStore::new("device-imap");
    let accounts = store.accounts(true);
    let server = local_server(peers::IMAPS_PORT, Security::ImplicitTls);
    let report = mail_session(&accounts, &server)
        .verify_imap(&server, &token_login(user, &tokens.access_token, None))
        .unwrap_or_else(|e| panic!("IMAP with the device-flow token: {e} ({:?})", e.error));
    assert_eq!(report.mechanism, Some(Mechanism::Xoauth2));
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"authenticate") && names.contains(&"select"),
        "{names:?}"
    );
}

#[test]
fn pending_then_approved_over_http_grants_tokens_that_open_the_mailbox() {
    peers::ensure_mail_up();
    let mut session = session_for(peers::AS_ISSUER);
    let provider = local_provider(&mut session);
    let mut device = begin(&mut session, &provider);

    // Nobody has looked at the code yet.
    let wait = match poll(&mut session, &provider, &device) {
        Ok(DevicePoll::Pending(secs)) => secs,
        other => panic!("expected pending before approval, got {other:?}"),
    };
    assert!(wait >= device.interval, "{wait} < {}", device.interval);
    device.interval = wait;

    // The user opens verification_uri_complete on another device.
    let mut browser = Browser::new();
    let complete = device.verification_uri_complete.clone().unwrap();
    browser
        .approve_device(&complete, &device.user_code)
        .unwrap_or_else(|e| panic!("{e}; {:#?}", browser.history()));

    // The host waits what the component said before polling again.
    std::thread::sleep(Duration::from_secs(u64::from(device.interval)));
    let tokens = granted(poll(&mut session, &provider, &device));
    assert_opens_alices_mailbox(&tokens, &device);

    // A device code grants once: polled again, the provider answers
    // invalid_grant, a dead grant (the user authorizes again).
    match poll(&mut session, &provider, &device) {
        Err(Error::OAuth(OAuthError::ReauthorizeRequired { code, .. })) => {
            assert_eq!(code, "invalid_grant");
        }
        other => panic!("a used device code must not poll again: {other:?}"),
    }
}

#[test]
fn the_user_may_type_the_code_at_the_bare_verification_uri() {
    peers::ensure_mail_up();
    let mut session = session_for(peers::AS_ISSUER);
    let provider = local_provider(&mut session);
    let device = begin(&mut session, &provider);

    // Approved before the first poll: that poll is the one that succeeds.
    let mut browser = Browser::new();
    browser
        .approve_device(&device.verification_uri, &device.user_code)
        .unwrap_or_else(|e| panic!("{e}; {:#?}", browser.history()));
    let tokens = granted(poll(&mut session, &provider, &device));
    assert_opens_alices_mailbox(&tokens, &device);
}

#[test]
fn the_real_provider_answers_immediate_polls_with_pending_not_slow_down() {
    // Why slow_down is scripted below: oidc-provider 9 keeps answering
    // authorization_pending however fast it is polled.
    peers::ensure_up();
    let mut session = session_for(peers::AS_ISSUER);
    let provider = local_provider(&mut session);
    let device = begin(&mut session, &provider);
    for _ in 0..2 {
        match poll(&mut session, &provider, &device) {
            Ok(DevicePoll::Pending(secs)) => assert_eq!(secs, device.interval),
            other => panic!("expected pending, got {other:?}"),
        }
    }
}

#[test]
fn aborting_on_the_confirmation_page_is_access_denied() {
    peers::ensure_up();
    let mut session = session_for(peers::AS_ISSUER);
    let provider = local_provider(&mut session);
    let device = begin(&mut session, &provider);

    let mut browser = Browser::new();
    let complete = device.verification_uri_complete.clone().unwrap();
    let page = browser
        .deny_device(&complete, &device.user_code)
        .unwrap_or_else(|e| panic!("{e}; {:#?}", browser.history()));
    assert!(
        page.body.contains("The Sign-in request was interrupted"),
        "the provider's answer to [ Abort ]: {}",
        page.body
    );

    match poll(&mut session, &provider, &device) {
        Err(Error::OAuth(OAuthError::AccessDenied(description))) => {
            assert_eq!(
                description.as_deref(),
                Some("End-User aborted interaction"),
                "oidc-provider's error_description"
            );
        }
        other => panic!("expected access-denied, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// What the real provider does not produce on demand: a scripted token endpoint.
// ---------------------------------------------------------------------------

/// A provider whose token endpoint is `server`.
fn scripted_provider(server: &ScriptedHttpServer) -> Provider {
    Provider {
        id: "scripted".into(),
        display_name: "Scripted device provider".into(),
        issuer: None,
        authorization_endpoint: format!("{}/auth", server.url()),
        token_endpoint: format!("{}/token", server.url()),
        device_authorization_endpoint: Some(format!("{}/device/auth", server.url())),
        revocation_endpoint: None,
        default_scopes: vec![peers::MAIL_SCOPE.into()],
        extra_parameters: Vec::new(),
        client_auth: ClientAuth::Basic,
        pkce: true,
        mail_servers: Vec::new(),
    }
}

const DEVICE_CODE: &str = "device-code-secret-0123456789abcdefghijklmnop";

/// A device authorization as the host stored it.
fn stored_device(expires_at: u64, interval: u32) -> DeviceAuthorization {
    DeviceAuthorization {
        user_code: "WDJB-MJHT".into(),
        verification_uri: "http://127.0.0.1:1/device".into(),
        verification_uri_complete: None,
        expires_at,
        interval,
        device_code: Secret::new(DEVICE_CODE),
        scopes: vec![peers::MAIL_SCOPE.into()],
    }
}

/// Polls the scripted provider once with `device`.
fn poll_scripted(
    server: &ScriptedHttpServer,
    device: &DeviceAuthorization,
) -> Result<DevicePoll, Error> {
    let provider = scripted_provider(server);
    session_for(&server.url()).poll_device_authorization(
        &provider,
        &public_client(),
        device,
        unix_now(),
    )
}

/// The one device-code token request `server` received.
fn assert_one_device_poll(server: &ScriptedHttpServer) {
    let got = server.requests();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].path, "/token");
    assert_eq!(
        got[0].form_value("grant_type").as_deref(),
        Some("urn:ietf:params:oauth:grant-type:device_code")
    );
    assert_eq!(
        got[0].form_value("device_code").as_deref(),
        Some(DEVICE_CODE)
    );
    assert_eq!(
        got[0].form_value("client_id").as_deref(),
        Some(peers::PUBLIC_CLIENT_ID)
    );
    assert_eq!(got[0].header("authorization"), None, "a public client");
}

#[test]
fn slow_down_adds_five_seconds_to_the_interval() {
    for interval in [5, 12] {
        let server = ScriptedHttpServer::start(Behaviour::json(
            400,
            r#"{"error":"slow_down","error_description":"polling too fast"}"#,
        ));
        let device = stored_device(unix_now() + 600, interval);
        match poll_scripted(&server, &device) {
            Ok(DevicePoll::Pending(secs)) => assert_eq!(secs, interval + 5),
            other => panic!("expected pending(interval + 5), got {other:?}"),
        }
        assert_one_device_poll(&server);
    }
}

#[test]
fn past_expires_at_is_device_expired_without_a_request() {
    let server =
        ScriptedHttpServer::start(Behaviour::json(400, r#"{"error":"authorization_pending"}"#));
    let device = stored_device(unix_now() - 1, 5);
    match poll_scripted(&server, &device) {
        Err(Error::OAuth(OAuthError::DeviceExpired)) => {}
        other => panic!("expected device-expired, got {other:?}"),
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn the_providers_expired_token_is_device_expired() {
    let server = ScriptedHttpServer::start(Behaviour::json(
        400,
        r#"{"error":"expired_token","error_description":"device code is expired"}"#,
    ));
    let device = stored_device(unix_now() + 600, 5);
    match poll_scripted(&server, &device) {
        Err(e @ Error::OAuth(OAuthError::DeviceExpired)) => {
            assert_eq!(e.kind(), "device_expired");
            assert!(!format!("{e} {e:?}").contains(DEVICE_CODE));
        }
        other => panic!("expected device-expired, got {other:?}"),
    }
    assert_one_device_poll(&server);
}
