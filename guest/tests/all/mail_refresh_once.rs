//! Refresh once: an expired token is refreshed before connecting; a token the
//! server calls invalid (`401` / `invalid_token`) is refreshed once and the
//! dialogue retried once on a new connection; nothing is retried twice.

use mail_oauth_guest::mail::{
    Credentials, Login, MailError, Refreshable, SaslRejection, Security, verify_imap, verify_smtp,
};
use mail_oauth_guest::{ClientAuth, Error, TokenSet};

use crate::common::*;
use crate::mail_common::*;

const NOW: u64 = 1_700_000_000;
const HOST: &str = "imap.example.test";
const OLD: &str = "old-access-token-0123456789";
const FRESH: &str = "fresh-access-token-0123456789";
const REFRESH: &str = "refresh-token-0123456789";

fn tokens(expires_at: Option<u64>, refresh_token: Option<&str>) -> TokenSet {
    TokenSet {
        access_token: OLD.into(),
        refresh_token: refresh_token.map(str::to_owned),
        expires_at,
        scopes: vec!["mail".into()],
        id_token: None,
        account_email: None,
    }
}

fn refreshable(tokens: TokenSet) -> Login {
    Login {
        user: USER.into(),
        credentials: Credentials::Refreshable(Refreshable {
            provider: custom_provider(ClientAuth::Basic),
            client: confidential(),
            tokens,
            now: NOW,
        }),
        mechanism: None,
    }
}

fn token_endpoint(
    answer: Result<mail_oauth_guest::http::HttpResponse, mail_oauth_guest::http::HttpError>,
) -> FakeHttp {
    FakeHttp::new().then(
        Expect::post(
            TOKEN_URL,
            Some(basic("client id&1", "s3cret+/=value")),
            &[("grant_type", "refresh_token"), ("refresh_token", REFRESH)],
        ),
        answer,
    )
}

fn fresh_answer() -> FakeHttp {
    token_endpoint(json(
        200,
        &format!(r#"{{"access_token":"{FRESH}","token_type":"Bearer","expires_in":3600}}"#),
    ))
}

/// An IMAP connection that accepts `token`.
fn accepting(token: &str) -> Script {
    Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi")
        .client(&format!("A1 AUTHENTICATE XOAUTH2 {}", xoauth2(USER, token)))
        .server("A1 OK in")
        .client("A2 EXAMINE INBOX")
        .server("A2 OK done")
        .client("A3 LOGOUT")
        .server("A3 OK bye")
}

/// An IMAP connection that rejects `token` with an error challenge of `status`.
fn rejecting(token: &str, status: &str) -> Script {
    let json = format!(r#"{{"status":"{status}","schemes":"bearer"}}"#);
    Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi")
        .client(&format!("A1 AUTHENTICATE XOAUTH2 {}", xoauth2(USER, token)))
        .server(&format!("+ {}", challenge(&json)))
        .client("")
        .server("A1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
}

fn names(steps: &[mail_oauth_guest::mail::Step]) -> Vec<&str> {
    steps.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn an_expired_token_is_refreshed_before_connecting() {
    let server = server(HOST, 993, Security::ImplicitTls);
    for expires_at in [NOW, NOW - 1] {
        let http = fresh_answer();
        // The only connection already carries the fresh token.
        let transport = FakeTransport::new(&server, accepting(FRESH));
        let login = refreshable(tokens(Some(expires_at), Some(REFRESH)));
        let report = verify_imap(&transport, &http, &server, &login).unwrap();
        http.assert_done();
        transport.assert_done();
        let refreshed = report.refreshed.expect("the new token set is returned");
        assert_eq!(refreshed.access_token, FRESH);
        assert_eq!(refreshed.refresh_token.as_deref(), Some(REFRESH));
        assert_eq!(refreshed.expires_at, Some(NOW + 3600));
        assert_eq!(names(&report.steps)[..2], ["refresh", "connect"]);
    }
}

#[test]
fn a_valid_token_is_not_refreshed() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let http = FakeHttp::new();
    let transport = FakeTransport::new(&server, accepting(OLD));
    let login = refreshable(tokens(Some(NOW + 1), Some(REFRESH)));
    let report = verify_imap(&transport, &http, &server, &login).unwrap();
    transport.assert_done();
    assert_eq!(report.refreshed, None);
}

#[test]
fn a_401_rejection_refreshes_once_and_retries_on_a_new_connection() {
    let server = server(HOST, 993, Security::ImplicitTls);
    for status in ["401", "invalid_token"] {
        let http = fresh_answer();
        let transport =
            FakeTransport::new(&server, rejecting(OLD, status)).then(&server, accepting(FRESH));
        let login = refreshable(tokens(Some(NOW + 600), Some(REFRESH)));
        let report = verify_imap(&transport, &http, &server, &login).unwrap();
        http.assert_done();
        transport.assert_done();
        assert_eq!(transport.connects(), 2);
        assert_eq!(report.refreshed.unwrap().access_token, FRESH);
        assert_eq!(
            names(&report.steps),
            [
                "connect",
                "greeting",
                "refresh",
                "connect",
                "greeting",
                "authenticate",
                "select",
                "logout"
            ]
        );
    }
}

#[test]
fn smtp_retries_the_same_way() {
    let server = server("smtp.example.test", 465, Security::ImplicitTls);
    let json = r#"{"status":"401","schemes":"bearer"}"#;
    let start = |token: &str| {
        Script::new()
            .server("220 ready")
            .client("EHLO localhost")
            .server("250-smtp.example.test")
            .server("250 AUTH XOAUTH2")
            .client(&format!("AUTH XOAUTH2 {}", xoauth2(USER, token)))
    };
    let first = start(OLD)
        .server(&format!("334 {}", challenge(json)))
        .client("")
        .server("535 5.7.8 rejected");
    let second = start(FRESH)
        .server("235 ok")
        .client("QUIT")
        .server("221 bye");
    let http = fresh_answer();
    let transport = FakeTransport::new(&server, first).then(&server, second);
    let login = refreshable(tokens(None, Some(REFRESH)));
    let report = verify_smtp(&transport, &http, &server, &login).unwrap();
    http.assert_done();
    transport.assert_done();
    assert_eq!(report.refreshed.unwrap().access_token, FRESH);
}

#[test]
fn a_second_rejection_is_not_retried() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let http = fresh_answer();
    let transport =
        FakeTransport::new(&server, rejecting(OLD, "401")).then(&server, rejecting(FRESH, "401"));
    let login = refreshable(tokens(Some(NOW + 600), Some(REFRESH)));
    let error = verify_imap(&transport, &http, &server, &login)
        .unwrap_err()
        .error;
    http.assert_done();
    transport.assert_done();
    assert_eq!(transport.connects(), 2);
    assert_eq!(
        error,
        MailError::SaslRejected(SaslRejection {
            status: Some("401".into()),
            scope: None,
            server_text: "A1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)".into(),
        })
    );
}

#[test]
fn a_token_refreshed_for_expiry_is_not_refreshed_again_on_rejection() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let http = fresh_answer();
    let transport = FakeTransport::new(&server, rejecting(FRESH, "401"));
    let login = refreshable(tokens(Some(NOW - 10), Some(REFRESH)));
    let error = verify_imap(&transport, &http, &server, &login)
        .unwrap_err()
        .error;
    http.assert_done();
    transport.assert_done();
    assert!(matches!(error, MailError::SaslRejected(_)), "{error:?}");
}

#[test]
fn other_rejections_and_tokens_without_refresh_are_not_retried() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let cases = [
        // A scope problem: a new token for the same grant does not help.
        (refreshable(tokens(Some(NOW + 600), Some(REFRESH))), "400"),
        (refreshable(tokens(Some(NOW + 600), None)), "401"),
        (login(OLD), "401"),
    ];
    for (login, status) in cases {
        let http = FakeHttp::new();
        let transport = FakeTransport::new(&server, rejecting(OLD, status));
        let error = verify_imap(&transport, &http, &server, &login)
            .unwrap_err()
            .error;
        transport.assert_done();
        assert_eq!(transport.connects(), 1);
        assert!(
            matches!(&error, MailError::SaslRejected(r) if r.status.as_deref() == Some(status)),
            "{error:?}"
        );
    }
}

#[test]
fn a_failed_refresh_is_the_oauth_error() {
    let server = server(HOST, 993, Security::ImplicitTls);
    // Expired: the refresh fails before any connection.
    let http = token_endpoint(json(
        400,
        r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
    ));
    let transport = FakeTransport::none();
    let login = refreshable(tokens(Some(NOW - 1), Some(REFRESH)));
    let error = verify_imap(&transport, &http, &server, &login)
        .unwrap_err()
        .error;
    http.assert_done();
    assert_eq!(transport.connects(), 0);
    assert!(
        matches!(&error, MailError::OAuth(Error::ReauthorizeRequired(f)) if f.code == "invalid_grant"),
        "{error:?}"
    );

    // Rejected: the refresh fails after the first connection, no second one.
    let http = token_endpoint(json(400, r#"{"error":"invalid_grant"}"#));
    let transport = FakeTransport::new(&server, rejecting(OLD, "401"));
    let login = refreshable(tokens(Some(NOW + 600), Some(REFRESH)));
    let error = verify_imap(&transport, &http, &server, &login)
        .unwrap_err()
        .error;
    http.assert_done();
    transport.assert_done();
    assert!(
        matches!(error, MailError::OAuth(Error::ReauthorizeRequired(_))),
        "{error:?}"
    );
}

#[test]
fn an_expired_token_without_refresh_token_requires_reauthorization() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let transport = FakeTransport::none();
    let login = refreshable(tokens(Some(NOW - 1), None));
    let error = verify_imap(&transport, &FakeHttp::new(), &server, &login)
        .unwrap_err()
        .error;
    assert_eq!(transport.connects(), 0);
    assert!(
        matches!(error, MailError::OAuth(Error::ReauthorizeRequired(_))),
        "{error:?}"
    );
}

#[test]
fn a_failure_after_a_refresh_still_returns_the_new_tokens() {
    // The provider rotates the refresh token; the mailbox then refuses the
    // next command. The host must still get the rotated token set to store.
    let server = server(HOST, 993, Security::ImplicitTls);
    let http = token_endpoint(json(
        200,
        &format!(
            r#"{{"access_token":"{FRESH}","refresh_token":"rotated-refresh-0123456789","token_type":"Bearer","expires_in":3600}}"#
        ),
    ));
    let script = Script::new()
        .server("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi")
        .client(&format!("A1 AUTHENTICATE XOAUTH2 {}", xoauth2(USER, FRESH)))
        .server("A1 OK in")
        .client("A2 EXAMINE INBOX")
        .server("A2 NO mailbox unavailable");
    let transport = FakeTransport::new(&server, script);
    let login = refreshable(tokens(Some(NOW - 1), Some(REFRESH)));
    let failure = verify_imap(&transport, &http, &server, &login).unwrap_err();
    http.assert_done();
    assert!(
        matches!(failure.error, MailError::CommandRejected(ref r) if r.step == "select"),
        "{:?}",
        failure.error
    );
    let refreshed = failure
        .refreshed
        .expect("the rotated tokens reach the host");
    assert_eq!(refreshed.access_token, FRESH);
    assert_eq!(
        refreshed.refresh_token.as_deref(),
        Some("rotated-refresh-0123456789")
    );
}

#[test]
fn the_retry_after_a_refresh_scrubs_the_old_token_and_the_new_one() {
    let server = server(HOST, 993, Security::ImplicitTls);
    let http = fresh_answer();
    // The second connection's server quotes both tokens back, whole and cut.
    let retry = Script::new()
        .server(&format!(
            "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi {OLD}"
        ))
        .client(&format!("A1 AUTHENTICATE XOAUTH2 {}", xoauth2(USER, FRESH)))
        .server(&format!(
            "A1 NO [AUTHENTICATIONFAILED] {} and {FRESH}",
            &OLD[..18]
        ));
    let transport = FakeTransport::new(&server, rejecting(OLD, "401")).then(&server, retry);
    let login = refreshable(tokens(Some(NOW + 600), Some(REFRESH)));
    let failure = verify_imap(&transport, &http, &server, &login).unwrap_err();
    transport.assert_done();
    let shown = format!("{:?} {}", failure.error, failure.error);
    for secret in [&OLD[..16], &FRESH[..16]] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[test]
fn a_dialogue_after_a_refresh_for_expiry_scrubs_the_replaced_token_and_the_refresh_token() {
    // Found by the imap/smtp_dialogue fuzz targets: the token refreshed away
    // before connecting (expired, but perhaps still valid) and the refresh
    // token were not among the texts scrubbed from what the server says.
    let server = server(HOST, 993, Security::ImplicitTls);
    let http = fresh_answer();
    let script = Script::new().server(&format!(
        "* BYE {} {} {}",
        &OLD[..17],
        &REFRESH[..17],
        &FRESH[..17]
    ));
    let transport = FakeTransport::new(&server, script);
    let login = refreshable(tokens(Some(NOW - 1), Some(REFRESH)));
    let failure = verify_imap(&transport, &http, &server, &login).unwrap_err();
    transport.assert_done();
    assert!(failure.refreshed.is_some());
    let shown = format!("{:?} {}", failure.error, failure.error);
    for secret in [&OLD[..16], &REFRESH[..16], &FRESH[..16]] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}
