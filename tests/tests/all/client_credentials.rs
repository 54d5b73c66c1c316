//! The client credentials grant (RFC 6749 §4.4) through the component and
//! the runtime against the real provider: app-only tokens of the
//! confidential client, without a refresh token, that act for the mailbox
//! svc@example.test on the real Dovecot (IMAP, POP3) and Postfix (SMTP
//! submission, a test message from svc to svc). A public client is refused
//! before any request; a wrong secret is the provider's `invalid_client`.

use std::sync::Arc;

use crate::common::{
    TempStore, introspect, local_server, mail_session, plugin, token_login, unique_id,
};
use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::error::Error;
use mail_oauth_runtime::http_client::{HttpClient, HttpLimits};
use mail_oauth_runtime::model::{
    Client, ClientAuth, Mechanism, Provider, Report, Secret, Security, TestMessage, TokenSet,
};
use mail_oauth_runtime::{OAuthError, Session};
use mail_oauth_store::accounts::unix_now;
use mail_oauth_tests::peers;
use mail_oauth_tests::scripted::{Behaviour, ScriptedHttpServer};

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

/// The local provider, discovered through the component. The confidential
/// client is registered for `client_secret_basic`, which discovery picks
/// (the provider offers it, and RFC 6749 §2.3.1 makes it the default).
fn local_provider(session: &mut Session) -> Provider {
    let provider = session
        .discover(peers::AS_ISSUER)
        .expect("discovery at the local provider");
    assert_eq!(provider.client_auth, ClientAuth::Basic);
    provider
}

fn confidential_client(secret: Option<&str>) -> Client {
    Client {
        id: peers::CONFIDENTIAL_CLIENT_ID.to_owned(),
        secret: secret.map(Secret::new),
        redirect_uri: String::new(),
    }
}

fn mail_scope() -> Vec<String> {
    vec![peers::MAIL_SCOPE.to_owned()]
}

/// App-only tokens from the real provider.
fn app_tokens() -> TokenSet {
    let mut session = session_for(peers::AS_ISSUER);
    let provider = local_provider(&mut session);
    let now = unix_now();
    let tokens = session
        .client_credentials(
            &provider,
            &confidential_client(Some(peers::CONFIDENTIAL_CLIENT_SECRET)),
            &mail_scope(),
            now,
        )
        .unwrap_or_else(|e| panic!("client credentials: {e} ({e:?})"));
    assert!(!tokens.access_token.expose().is_empty());
    assert!(
        tokens.refresh_token.is_none(),
        "client credentials never give a refresh token"
    );
    assert!(tokens.id_token.is_none() && tokens.account_email.is_none());
    assert_eq!(tokens.scopes, mail_scope());
    let ttl = peers::ACCESS_TOKEN_TTL.as_secs();
    assert!(
        tokens
            .expires_at
            .is_some_and(|t| t > now && t <= now + ttl + 1),
        "{:?}",
        tokens.expires_at
    );
    assert!(
        !format!("{tokens:?}").contains(tokens.access_token.expose()),
        "the access token is a secret"
    );
    tokens
}

fn step_names(report: &Report) -> Vec<&str> {
    report.steps.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn app_only_tokens_open_svc_on_imap_pop3_and_smtp_and_send() {
    peers::ensure_mail_up();
    let tokens = app_tokens();
    let token = &tokens.access_token;

    // What Dovecot and Postfix will see: the token acts for svc.
    let intro = introspect(token.expose());
    assert_eq!(intro["active"], true, "{intro}");
    assert_eq!(intro["client_id"], peers::CONFIDENTIAL_CLIENT_ID, "{intro}");
    assert_eq!(intro["email"], peers::SVC, "{intro}");

    let store = TempStore::new("client-credentials");
    let accounts = store.accounts(true);
    let login = token_login(peers::SVC, token, None);

    let imap = local_server(peers::IMAPS_PORT, Security::ImplicitTls);
    let report = mail_session(&accounts, &imap)
        .verify_imap(&imap, &login)
        .unwrap_or_else(|e| panic!("IMAP as svc: {e} ({:?})", e.error));
    assert_eq!(report.mechanism, Some(Mechanism::Xoauth2));
    assert!(step_names(&report).contains(&"select"), "{report:?}");

    let pop3 = local_server(peers::POP3S_PORT, Security::ImplicitTls);
    let report = mail_session(&accounts, &pop3)
        .verify_pop3(&pop3, &login)
        .unwrap_or_else(|e| panic!("POP3 as svc: {e} ({:?})", e.error));
    assert!(step_names(&report).contains(&"stat"), "{report:?}");

    let smtp = local_server(peers::SUBMISSION_PORT, Security::Starttls);
    let report = mail_session(&accounts, &smtp)
        .verify_smtp(&smtp, &login)
        .unwrap_or_else(|e| panic!("SMTP as svc: {e} ({:?})", e.error));
    assert!(step_names(&report).contains(&"authenticate"), "{report:?}");

    // The sender is the mailbox the application acts for: no send-as needed.
    let message = TestMessage {
        sender: peers::SVC.to_owned(),
        recipients: vec![peers::SVC.to_owned()],
        subject: format!("client credentials {}", unique_id()),
        body: "Sent with an app-only token.".to_owned(),
        send_as: false,
        now: unix_now(),
    };
    let submissions = local_server(peers::SUBMISSIONS_PORT, Security::ImplicitTls);
    let report = mail_session(&accounts, &submissions)
        .send_test_message(&submissions, &login, &message)
        .unwrap_or_else(|e| panic!("sending as svc: {e} ({:?})", e.error));
    let names = step_names(&report);
    assert_eq!(
        names,
        [
            "connect",
            "greeting",
            "ehlo",
            "authenticate",
            "mail-from",
            "rcpt",
            "data",
            "message",
            "quit"
        ],
        "{report:?}"
    );
    let queued = &report.steps[names.iter().position(|n| *n == "message").unwrap()].detail;
    assert!(queued.contains("250 "), "Postfix queued it: {queued}");
    for step in &report.steps {
        assert!(!step.detail.contains(token.expose()), "{}", step.name);
    }
}

#[test]
fn a_public_client_is_invalid_input_without_a_request() {
    let server = ScriptedHttpServer::start(Behaviour::json(
        200,
        r#"{"access_token":"must-not-be-asked-for","token_type":"Bearer"}"#,
    ));
    let provider = Provider {
        id: "scripted".into(),
        display_name: "Scripted".into(),
        issuer: None,
        authorization_endpoint: format!("{}/auth", server.url()),
        token_endpoint: format!("{}/token", server.url()),
        device_authorization_endpoint: None,
        revocation_endpoint: None,
        default_scopes: mail_scope(),
        extra_parameters: Vec::new(),
        client_auth: ClientAuth::Basic,
        pkce: true,
        mail_servers: Vec::new(),
    };
    let mut session = session_for(&server.url());
    for secret in [None, Some("")] {
        let client = Client {
            id: peers::PUBLIC_CLIENT_ID.to_owned(),
            ..confidential_client(secret)
        };
        match session.client_credentials(&provider, &client, &mail_scope(), unix_now()) {
            Err(Error::OAuth(OAuthError::InvalidInput(field))) => {
                assert!(field.contains("secret"), "{field}");
            }
            other => panic!("expected invalid-input for secret {secret:?}, got {other:?}"),
        }
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn a_wrong_secret_is_the_providers_invalid_client() {
    peers::ensure_up();
    let wrong = "not-the-mail-confidential-secret";
    let mut session = session_for(peers::AS_ISSUER);
    let provider = local_provider(&mut session);
    let err = session
        .client_credentials(
            &provider,
            &confidential_client(Some(wrong)),
            &mail_scope(),
            unix_now(),
        )
        .expect_err("a wrong secret is refused");
    assert!(!format!("{err} {err:?}").contains(wrong), "{err:?}");
    match err {
        Error::OAuth(OAuthError::ProviderError { code, .. }) => assert_eq!(code, "invalid_client"),
        other => panic!("expected provider-error invalid_client, got {other:?}"),
    }
}
