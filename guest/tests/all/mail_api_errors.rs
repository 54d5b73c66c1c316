//! What a mail API can answer besides success, and the `mail-error` each
//! answer becomes: the token refused (with the scope asked for), "later",
//! a rejection with the API's error code, an answer that is not the API's
//! JSON, a host failure; and the token kept out of all of them.

use mail_oauth_guest::http::{HttpError, HttpResponse};
use mail_oauth_guest::mail::{
    CommandRejection, Credentials, Login, MailApi, MailError, Refreshable, SaslRejection,
    TestMessage, send_via_api, verify_api,
};
use mail_oauth_guest::{ClientAuth, TokenSet};

use crate::common::*;
use crate::mail_common::{TOKEN, USER, login};

const GMAIL_PROFILE: &str = "https://gmail.googleapis.com/gmail/v1/users/me/profile";
const GRAPH_ME: &str = "https://graph.microsoft.com/v1.0/me";
const GRAPH_SEND: &str = "https://graph.microsoft.com/v1.0/me/sendMail";

fn get(url: &str) -> Expect {
    Expect::request(
        "GET",
        url,
        &[
            ("authorization", &format!("Bearer {TOKEN}")),
            ("accept", "application/json"),
        ],
        Body::Empty,
    )
}

fn graph_send() -> Expect {
    Expect::request(
        "POST",
        GRAPH_SEND,
        &[
            ("authorization", &format!("Bearer {TOKEN}")),
            ("accept", "application/json"),
            ("content-type", "text/plain"),
        ],
        Body::check(|body| assert!(!body.is_empty())),
    )
}

fn message() -> TestMessage {
    TestMessage {
        sender: USER.into(),
        recipients: vec!["bob@invalid".into()],
        subject: "Test".into(),
        body: "Hello".into(),
        send_as: false,
        now: 1_700_000_000,
    }
}

/// `verify_api` of `api` with a bare token, answered by `answer`.
fn verify_answering(api: MailApi, answer: Result<HttpResponse, HttpError>) -> MailError {
    let url = match api {
        MailApi::Gmail => GMAIL_PROFILE,
        MailApi::Graph => GRAPH_ME,
    };
    let http = FakeHttp::new().then(get(url), answer);
    let failure = verify_api(&http, api, &login(TOKEN)).unwrap_err();
    http.assert_done();
    assert!(failure.refreshed.is_none());
    failure.error
}

/// A Graph send with a bare token, answered by `answer`.
fn send_answering(answer: Result<HttpResponse, HttpError>) -> MailError {
    let http = FakeHttp::new().then(graph_send(), answer);
    let failure = send_via_api(&http, MailApi::Graph, &login(TOKEN), &message()).unwrap_err();
    http.assert_done();
    failure.error
}

fn rejection(step: &str, reply: &str, code: u16) -> CommandRejection {
    CommandRejection {
        step: step.into(),
        reply: reply.into(),
        code: Some(code),
    }
}

const INSUFFICIENT_SCOPE: &str = r#"{"error":{"code":403,"message":"Request had insufficient authentication scopes.","errors":[{"message":"Insufficient Permission","domain":"global","reason":"insufficientPermissions"}],"status":"PERMISSION_DENIED"}}"#;

fn insufficient_scope() -> Result<HttpResponse, HttpError> {
    answer(
        403,
        &[
            ("content-type", "application/json; charset=UTF-8"),
            (
                "WWW-Authenticate",
                r#"Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://mail.google.com/""#,
            ),
        ],
        INSUFFICIENT_SCOPE,
    )
}

#[test]
fn a_403_names_the_scope_of_the_bearer_challenge() {
    assert_eq!(
        verify_answering(MailApi::Gmail, insufficient_scope()),
        MailError::SaslRejected(SaslRejection {
            status: Some("403".into()),
            scope: Some("https://mail.google.com/".into()),
            server_text:
                "HTTP 403: PERMISSION_DENIED: Request had insufficient authentication scopes."
                    .into(),
        })
    );
}

#[test]
fn a_403_is_not_cured_by_a_refresh() {
    // A refreshable login: the scripted HTTP has no token request to answer.
    let login = Login {
        user: USER.into(),
        credentials: Credentials::Refreshable(Refreshable {
            provider: custom_provider(ClientAuth::Basic),
            client: confidential(),
            tokens: TokenSet {
                access_token: TOKEN.into(),
                refresh_token: Some("refresh-token-0123456789".into()),
                expires_at: None,
                scopes: vec!["openid".into()],
                id_token: None,
                account_email: None,
            },
            now: 1_700_000_000,
        }),
        mechanism: None,
    };
    let http = FakeHttp::new().then(get(GMAIL_PROFILE), insufficient_scope());
    let failure = verify_api(&http, MailApi::Gmail, &login).unwrap_err();
    http.assert_done();
    assert!(
        matches!(&failure.error, MailError::SaslRejected(r) if r.status.as_deref() == Some("403")),
        "{:?}",
        failure.error
    );
    assert!(failure.refreshed.is_none());
}

#[test]
fn a_graph_401_is_sasl_rejected_with_the_graph_code() {
    let body = r#"{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid.","innerError":{"date":"2024-01-01T00:00:00","request-id":"0d8f1c2e-1111-4a5b-9c3d-abcdefabcdef"}}}"#;
    assert_eq!(
        verify_answering(MailApi::Graph, json(401, body)),
        MailError::SaslRejected(SaslRejection {
            status: Some("401".into()),
            scope: None,
            server_text:
                "HTTP 401: InvalidAuthenticationToken: Access token has expired or is not yet valid."
                    .into(),
        })
    );
}

#[test]
fn too_many_requests_and_unavailable_are_temporary_with_the_status() {
    let throttled = answer(
        429,
        &[("content-type", "application/json"), ("retry-after", "10")],
        r#"{"error":{"code":"ApplicationThrottled","message":"Application is over its MailboxConcurrency limit."}}"#,
    );
    assert_eq!(
        send_answering(throttled),
        MailError::TemporaryFailure(rejection(
            "send",
            "HTTP 429: ApplicationThrottled: Application is over its MailboxConcurrency limit.",
            429
        ))
    );
    assert_eq!(
        verify_answering(
            MailApi::Gmail,
            response(503, "text/html", "<html>Service Unavailable</html>")
        ),
        MailError::TemporaryFailure(rejection(
            "profile",
            "HTTP 503: <html>Service Unavailable</html>",
            503
        ))
    );
    for status in [502, 504] {
        let error = verify_answering(MailApi::Graph, response(status, "text/plain", "gateway"));
        assert_eq!(
            error,
            MailError::TemporaryFailure(rejection(
                "me",
                &format!("HTTP {status}: gateway"),
                status
            ))
        );
    }
}

#[test]
fn a_graph_400_is_command_rejected_naming_the_error_code() {
    let body = r#"{"error":{"code":"ErrorInvalidRecipients","message":"At least one recipient isn't valid., Recipient 'bob@invalid' isn't resolved."}}"#;
    assert_eq!(
        send_answering(json(400, body)),
        MailError::CommandRejected(rejection(
            "send",
            "HTTP 400: ErrorInvalidRecipients: At least one recipient isn't valid., Recipient 'bob@invalid' isn't resolved.",
            400
        ))
    );
}

#[test]
fn a_200_that_is_not_the_apis_json_is_a_protocol_violation() {
    assert_eq!(
        verify_answering(
            MailApi::Gmail,
            response(200, "text/html", "<html><body>Sign in</body></html>")
        ),
        MailError::ProtocolViolation(rejection(
            "profile",
            "HTTP 200 with a body that is not the API's JSON: <html><body>Sign in</body></html>",
            200
        ))
    );
    for body in ["[]", "\"alice@example.com\"", ""] {
        let error = verify_answering(MailApi::Graph, json(200, body));
        assert!(
            matches!(&error, MailError::ProtocolViolation(r) if r.step == "me" && r.code == Some(200)),
            "{body:?}: {error:?}"
        );
    }
}

#[test]
fn a_redirect_or_a_bare_5xx_is_a_protocol_violation() {
    let error = verify_answering(
        MailApi::Gmail,
        answer(302, &[("location", "https://accounts.google.com/")], ""),
    );
    assert_eq!(
        error,
        MailError::ProtocolViolation(rejection(
            "profile",
            "HTTP 302: a redirect, which is never followed",
            302
        ))
    );
    let error = verify_answering(MailApi::Gmail, response(500, "text/html", "<p>oops</p>"));
    assert_eq!(
        error,
        MailError::ProtocolViolation(rejection("profile", "HTTP 500: <p>oops</p>", 500))
    );
}

#[test]
fn a_host_failure_is_an_http_error() {
    let denied = HttpError::Denied("graph.microsoft.com:443".into());
    assert_eq!(
        verify_answering(MailApi::Graph, Err(denied.clone())),
        MailError::Http(denied)
    );
    assert_eq!(
        send_answering(Err(HttpError::Timeout)),
        MailError::Http(HttpError::Timeout)
    );
}

#[test]
fn an_echoed_access_token_never_appears_in_an_error() {
    let echo = format!(r#"{{"error":{{"code":"Bad","message":"token {TOKEN} refused"}}}}"#);
    let answers = [
        json(400, &echo),
        json(401, &echo),
        answer(
            403,
            &[(
                "www-authenticate",
                &format!(r#"Bearer error="insufficient_scope", scope="{TOKEN}""#),
            )],
            &echo,
        ),
        json(429, &echo),
        response(503, "text/plain", &format!("Bearer {TOKEN}")),
        response(500, "text/plain", TOKEN),
        response(200, "text/html", &format!("<p>{TOKEN}</p>")),
        json(418, &format!(r#"{{"error":"{TOKEN}"}}"#)),
    ];
    for answer in answers {
        let error = verify_answering(MailApi::Gmail, answer);
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(TOKEN), "the token leaked in {text:?}");
        }
    }
}

#[test]
fn an_echoed_access_token_never_appears_in_a_report() {
    let http = FakeHttp::new().then(
        get(GMAIL_PROFILE),
        json(
            200,
            &format!(r#"{{"emailAddress":"{TOKEN}@example.com","messagesTotal":1}}"#),
        ),
    );
    let report = verify_api(&http, MailApi::Gmail, &login(TOKEN)).unwrap();
    http.assert_done();
    let text = format!("{report:?}");
    assert!(!text.contains(TOKEN), "{text}");
    assert_eq!(report.greeting, "Gmail API: […]@example.com");
}
