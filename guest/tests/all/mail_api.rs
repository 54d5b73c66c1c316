//! The Gmail API and Microsoft Graph over the host's HTTP: the exact requests
//! of `verify_api` and `send_via_api` (method, URL, headers, body), the
//! reports, and the refresh-once frame (an expired token refreshed first, a 401
//! refreshed once and retried once).

use std::cell::Cell;
use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use mail_oauth_guest::http::{HttpError, HttpResponse};
use mail_oauth_guest::mail::{
    Credentials, Login, MailApi, MailError, Refreshable, Report, SaslRejection, TestMessage,
    send_via_api, verify_api,
};
use mail_oauth_guest::{ClientAuth, TokenSet};

use crate::common::*;
use crate::mail_common::{TOKEN, USER, login};

const GMAIL_PROFILE: &str = "https://gmail.googleapis.com/gmail/v1/users/me/profile";
const GMAIL_SEND: &str = "https://gmail.googleapis.com/gmail/v1/users/me/messages/send";
const GRAPH_ME: &str = "https://graph.microsoft.com/v1.0/me";
const GRAPH_SEND: &str = "https://graph.microsoft.com/v1.0/me/sendMail";

const NOW: u64 = 1_700_000_000;
const OLD: &str = "old-access-token-0123456789";
const FRESH: &str = "fresh-access-token-0123456789";
const REFRESH: &str = "refresh-token-0123456789";

/// The message every send test uses. Nine `?` and nine `~` in a row hold an
/// aligned `???` and `~~~` whatever the offset: base64 of them has `/` and `+`,
/// which base64url must spell `_` and `-`.
fn message() -> TestMessage {
    TestMessage {
        sender: USER.into(),
        recipients: vec!["bob@example.org".into(), "carol@example.net".into()],
        subject: "Test d'envoi".into(),
        body: "Hello\n.dot line\r\n?????????~~~~~~~~~\rlast".into(),
        send_as: false,
        now: 1_709_251_199,
    }
}

/// The RFC 5322 text of [`message`] sent by `from`, `ID` standing for the
/// random Message-ID: CRLF endings, no dot-stuffing, no `.` terminator.
fn expected_raw(from: &str) -> String {
    format!(
        "Date: Thu, 29 Feb 2024 23:59:59 +0000\r\n\
         From: {from}\r\n\
         To: bob@example.org,\r\n carol@example.net\r\n\
         Subject: Test d'envoi\r\n\
         Message-ID: <ID@example.com>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         Content-Transfer-Encoding: 7bit\r\n\
         \r\n\
         Hello\r\n\
         .dot line\r\n\
         ?????????~~~~~~~~~\r\n\
         last\r\n"
    )
}

/// Checks a decoded message against [`expected_raw`] once its random
/// Message-ID (32 hex digits) is replaced by `ID`.
fn assert_raw(bytes: &[u8], from: &str) {
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8 message");
    let id_line = text
        .split("\r\n")
        .find(|l| l.starts_with("Message-ID: <"))
        .expect("a Message-ID header");
    let unique = &id_line["Message-ID: <".len()..id_line.find('@').unwrap()];
    assert_eq!(unique.len(), 32, "{id_line}");
    assert!(unique.bytes().all(|b| b.is_ascii_hexdigit()), "{id_line}");
    assert_eq!(text.replace(unique, "ID"), expected_raw(from));
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn get(url: &str, token: &str) -> Expect {
    Expect::request(
        "GET",
        url,
        &[
            ("authorization", &bearer(token)),
            ("accept", "application/json"),
        ],
        Body::Empty,
    )
}

/// The Gmail send request; `length` gets the decoded message's size.
fn gmail_send(token: &str, from: &'static str, length: Rc<Cell<usize>>) -> Expect {
    Expect::request(
        "POST",
        GMAIL_SEND,
        &[
            ("authorization", &bearer(token)),
            ("accept", "application/json"),
            ("content-type", "application/json"),
        ],
        Body::check(move |body| {
            let value: serde_json::Value = serde_json::from_slice(body).expect("a JSON body");
            let object = value.as_object().expect("a JSON object");
            assert_eq!(object.len(), 1, "only `raw`: {value}");
            let raw = object["raw"].as_str().expect("`raw` is a string");
            assert!(
                raw.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "base64url without padding: {raw}"
            );
            let bytes = URL_SAFE_NO_PAD.decode(raw).expect("base64url");
            assert_raw(&bytes, from);
            length.set(bytes.len());
        }),
    )
}

/// The Graph send request to `url`; `length` gets the decoded message's size.
fn graph_send(url: &str, token: &str, from: &'static str, length: Rc<Cell<usize>>) -> Expect {
    Expect::request(
        "POST",
        url,
        &[
            ("authorization", &bearer(token)),
            ("accept", "application/json"),
            ("content-type", "text/plain"),
        ],
        Body::check(move |body| {
            let text = std::str::from_utf8(body).expect("ASCII base64");
            assert!(text.contains('/'), "standard base64 alphabet: {text}");
            let bytes = STANDARD.decode(text).expect("base64 of the MIME message");
            assert_raw(&bytes, from);
            length.set(bytes.len());
        }),
    )
}

fn names(report: &Report) -> Vec<&str> {
    report.steps.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn gmail_verify_gets_the_profile_with_the_bearer_token() {
    let http = FakeHttp::new().then(
        get(GMAIL_PROFILE, TOKEN),
        json(
            200,
            r#"{"emailAddress":"alice@example.com","messagesTotal":42,"threadsTotal":40,"historyId":"12345"}"#,
        ),
    );
    let report = verify_api(&http, MailApi::Gmail, &login(TOKEN)).unwrap();
    http.assert_done();
    assert_eq!(report.greeting, "Gmail API: alice@example.com");
    assert!(report.capabilities.is_empty());
    assert_eq!(report.mechanism, None);
    assert_eq!(report.refreshed, None);
    assert_eq!(names(&report), ["profile"]);
    assert_eq!(
        report.steps[0].detail,
        "HTTP 200: alice@example.com, 42 messages"
    );
}

#[test]
fn graph_verify_gets_me_and_names_the_mail_or_the_upn() {
    let http = FakeHttp::new().then(
        get(GRAPH_ME, TOKEN),
        json(
            200,
            r#"{"displayName":"Alice","mail":"alice@contoso.com","userPrincipalName":"alice@contoso.onmicrosoft.com"}"#,
        ),
    );
    let report = verify_api(&http, MailApi::Graph, &login(TOKEN)).unwrap();
    http.assert_done();
    assert_eq!(report.greeting, "Microsoft Graph: alice@contoso.com");
    assert_eq!(report.mechanism, None);
    assert_eq!(names(&report), ["me"]);
    assert_eq!(report.steps[0].detail, "HTTP 200: alice@contoso.com");

    // No mailbox address (`mail` is null): the user principal name.
    let http = FakeHttp::new().then(
        get(GRAPH_ME, TOKEN),
        json(
            200,
            r#"{"mail":null,"userPrincipalName":"alice@contoso.onmicrosoft.com"}"#,
        ),
    );
    let report = verify_api(&http, MailApi::Graph, &login(TOKEN)).unwrap();
    http.assert_done();
    assert_eq!(
        report.greeting,
        "Microsoft Graph: alice@contoso.onmicrosoft.com"
    );
}

#[test]
fn gmail_send_posts_the_raw_message_base64url_in_json() {
    let length = Rc::new(Cell::new(0));
    let http = FakeHttp::new().then(
        gmail_send(TOKEN, USER, Rc::clone(&length)),
        json(
            200,
            r#"{"id":"18c2b0f3e4a5d6c7","threadId":"18c2b0f3e4a5d6c7","labelIds":["SENT"]}"#,
        ),
    );
    let report = send_via_api(&http, MailApi::Gmail, &login(TOKEN), &message()).unwrap();
    http.assert_done();
    assert_eq!(report.greeting, "Gmail API: alice@example.com");
    assert_eq!(report.mechanism, None);
    assert_eq!(report.refreshed, None);
    assert_eq!(names(&report), ["send"]);
    assert_eq!(
        report.steps[0].detail,
        format!(
            "HTTP 200: {} bytes sent, message id 18c2b0f3e4a5d6c7",
            length.get()
        )
    );
}

#[test]
fn graph_send_posts_the_mime_message_base64_as_text() {
    let length = Rc::new(Cell::new(0));
    let http = FakeHttp::new().then(
        graph_send(GRAPH_SEND, TOKEN, USER, Rc::clone(&length)),
        Ok(HttpResponse {
            status: 202,
            headers: Vec::new(),
            body: Vec::new(),
        }),
    );
    let report = send_via_api(&http, MailApi::Graph, &login(TOKEN), &message()).unwrap();
    http.assert_done();
    assert_eq!(report.greeting, "Microsoft Graph: alice@example.com");
    assert_eq!(report.mechanism, None);
    assert_eq!(names(&report), ["send"]);
    assert_eq!(
        report.steps[0].detail,
        format!("HTTP 202: {} bytes sent", length.get())
    );
}

#[test]
fn graph_send_as_posts_to_the_senders_mailbox() {
    let mut msg = message();
    msg.sender = "shared@example.com".into();
    msg.send_as = true;
    let http = FakeHttp::new().then(
        graph_send(
            "https://graph.microsoft.com/v1.0/users/shared%40example.com/sendMail",
            TOKEN,
            "shared@example.com",
            Rc::new(Cell::new(0)),
        ),
        response(202, "text/plain", ""),
    );
    let report = send_via_api(&http, MailApi::Graph, &login(TOKEN), &msg).unwrap();
    http.assert_done();
    assert_eq!(report.greeting, "Microsoft Graph: shared@example.com");
}

#[test]
fn gmail_send_as_keeps_the_users_endpoint_and_the_senders_from() {
    let mut msg = message();
    msg.sender = "shared@example.com".into();
    msg.send_as = true;
    let http = FakeHttp::new().then(
        gmail_send(TOKEN, "shared@example.com", Rc::new(Cell::new(0))),
        json(200, r#"{"id":"1"}"#),
    );
    send_via_api(&http, MailApi::Gmail, &login(TOKEN), &msg).unwrap();
    http.assert_done();
}

#[test]
fn a_sender_other_than_the_user_is_refused_before_any_request() {
    let mut msg = message();
    msg.sender = "shared@example.com".into();
    for api in [MailApi::Gmail, MailApi::Graph] {
        let http = FakeHttp::new();
        let failure = send_via_api(&http, api, &login(TOKEN), &msg).unwrap_err();
        assert_eq!(
            failure.error,
            MailError::SenderNotAuthorized {
                sender: "shared@example.com".into(),
                user: USER.into(),
            },
            "{api:?}"
        );
        assert!(failure.refreshed.is_none());
    }
}

#[test]
fn unusable_logins_are_refused_before_any_request() {
    for token in ["", "tok\r\nen"] {
        for api in [MailApi::Gmail, MailApi::Graph] {
            let error = verify_api(&FakeHttp::new(), api, &login(token))
                .unwrap_err()
                .error;
            assert!(matches!(error, MailError::InvalidInput(_)), "{error:?}");
        }
    }
}

fn tokens(expires_at: Option<u64>, refresh_token: Option<&str>) -> TokenSet {
    TokenSet {
        access_token: OLD.into(),
        refresh_token: refresh_token.map(str::to_owned),
        expires_at,
        scopes: vec!["https://mail.google.com/".into()],
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

fn refresh_request() -> Expect {
    Expect::post(
        TOKEN_URL,
        Some(basic("client id&1", "s3cret+/=value")),
        &[("grant_type", "refresh_token"), ("refresh_token", REFRESH)],
    )
}

fn fresh_tokens() -> Result<HttpResponse, HttpError> {
    json(
        200,
        &format!(r#"{{"access_token":"{FRESH}","token_type":"Bearer","expires_in":3600}}"#),
    )
}

fn gmail_401() -> Result<HttpResponse, HttpError> {
    answer(
        401,
        &[
            ("content-type", "application/json; charset=UTF-8"),
            (
                "www-authenticate",
                r#"Bearer realm="https://accounts.google.com/", error="invalid_token""#,
            ),
        ],
        r#"{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}"#,
    )
}

const GMAIL_401_TEXT: &str =
    "HTTP 401: UNAUTHENTICATED: Request had invalid authentication credentials.";

fn profile() -> Result<HttpResponse, HttpError> {
    json(
        200,
        r#"{"emailAddress":"alice@example.com","messagesTotal":1}"#,
    )
}

#[test]
fn a_401_with_a_refreshable_login_refreshes_once_and_retries() {
    let http = FakeHttp::new()
        .then(get(GMAIL_PROFILE, OLD), gmail_401())
        .then(refresh_request(), fresh_tokens())
        .then(get(GMAIL_PROFILE, FRESH), profile());
    let login = refreshable(tokens(Some(NOW + 600), Some(REFRESH)));
    let report = verify_api(&http, MailApi::Gmail, &login).unwrap();
    http.assert_done();
    let refreshed = report
        .refreshed
        .clone()
        .expect("the new tokens are returned");
    assert_eq!(refreshed.access_token, FRESH);
    assert_eq!(refreshed.refresh_token.as_deref(), Some(REFRESH));
    assert_eq!(refreshed.expires_at, Some(NOW + 3600));
    assert_eq!(names(&report), ["refresh", "profile"]);
    assert_eq!(
        report.steps[0].detail,
        "the API rejected the access token; refreshed"
    );
    assert_eq!(report.greeting, "Gmail API: alice@example.com");
}

#[test]
fn a_graph_send_refused_with_401_is_sent_again_with_the_new_token() {
    let graph_401 = json(
        401,
        r#"{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid."}}"#,
    );
    let http = FakeHttp::new()
        .then(
            graph_send(GRAPH_SEND, OLD, USER, Rc::new(Cell::new(0))),
            graph_401,
        )
        .then(refresh_request(), fresh_tokens())
        .then(
            graph_send(GRAPH_SEND, FRESH, USER, Rc::new(Cell::new(0))),
            response(202, "text/plain", ""),
        );
    let login = refreshable(tokens(None, Some(REFRESH)));
    let report = send_via_api(&http, MailApi::Graph, &login, &message()).unwrap();
    http.assert_done();
    assert_eq!(report.refreshed.as_ref().unwrap().access_token, FRESH);
    assert_eq!(names(&report), ["refresh", "send"]);
}

#[test]
fn an_expired_token_is_refreshed_before_the_call() {
    let http = FakeHttp::new()
        .then(refresh_request(), fresh_tokens())
        .then(get(GMAIL_PROFILE, FRESH), profile());
    let login = refreshable(tokens(Some(NOW), Some(REFRESH)));
    let report = verify_api(&http, MailApi::Gmail, &login).unwrap();
    http.assert_done();
    assert_eq!(report.refreshed.as_ref().unwrap().access_token, FRESH);
    assert_eq!(names(&report), ["refresh", "profile"]);
    assert_eq!(
        report.steps[0].detail,
        "the access token had expired; refreshed"
    );
}

#[test]
fn a_second_401_is_not_retried_and_still_returns_the_new_tokens() {
    let http = FakeHttp::new()
        .then(get(GMAIL_PROFILE, OLD), gmail_401())
        .then(refresh_request(), fresh_tokens())
        .then(get(GMAIL_PROFILE, FRESH), gmail_401());
    let login = refreshable(tokens(Some(NOW + 600), Some(REFRESH)));
    let failure = verify_api(&http, MailApi::Gmail, &login).unwrap_err();
    http.assert_done();
    assert_eq!(
        failure.error,
        MailError::SaslRejected(SaslRejection {
            status: Some("401".into()),
            scope: None,
            server_text: GMAIL_401_TEXT.into(),
        })
    );
    assert_eq!(
        failure.refreshed.expect("stored by the host").access_token,
        FRESH
    );
}

#[test]
fn a_401_with_a_bare_token_or_no_refresh_token_is_sasl_rejected() {
    let logins = [login(OLD), refreshable(tokens(Some(NOW + 600), None))];
    for login in logins {
        let http = FakeHttp::new().then(get(GMAIL_PROFILE, OLD), gmail_401());
        let failure = verify_api(&http, MailApi::Gmail, &login).unwrap_err();
        http.assert_done();
        assert_eq!(
            failure.error,
            MailError::SaslRejected(SaslRejection {
                status: Some("401".into()),
                scope: None,
                server_text: GMAIL_401_TEXT.into(),
            })
        );
        assert!(failure.refreshed.is_none());
    }
}

#[test]
fn a_failed_refresh_after_a_401_is_the_oauth_error() {
    let http = FakeHttp::new()
        .then(get(GMAIL_PROFILE, OLD), gmail_401())
        .then(
            refresh_request(),
            json(400, r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#),
        );
    let login = refreshable(tokens(Some(NOW + 600), Some(REFRESH)));
    let failure = verify_api(&http, MailApi::Gmail, &login).unwrap_err();
    http.assert_done();
    assert!(
        matches!(
            &failure.error,
            MailError::OAuth(mail_oauth_guest::Error::ReauthorizeRequired(f)) if f.code == "invalid_grant"
        ),
        "{:?}",
        failure.error
    );
    assert!(failure.refreshed.is_none());
}

#[test]
fn a_200_that_names_no_address_is_a_protocol_violation() {
    for body in ["{}", r#"{"emailAddress":""}"#, r#"{"emailAddress":null}"#] {
        let http = FakeHttp::new().then(get(GMAIL_PROFILE, TOKEN), json(200, body));
        let error = verify_api(&http, MailApi::Gmail, &login(TOKEN))
            .unwrap_err()
            .error;
        http.assert_done();
        assert!(
            matches!(&error, MailError::ProtocolViolation(r) if r.step == "profile"),
            "{body}: {error:?}"
        );
    }
}
