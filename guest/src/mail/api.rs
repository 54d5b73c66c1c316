//! Mail over HTTP APIs (the NocoBase path): the Gmail API and Microsoft Graph,
//! over the host's `http` import. Same frame as the socket dialogues: input
//! checked first, an expired token refreshed first, a 401 refreshed once and
//! retried once, and every text shown cleaned of the token.

use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::dialogue::{
    Credentials, Login, MailError, MailFailure, Refreshable, Report, Step, TestMessage, clean,
    refresh, step as step_of,
};
use super::message;
use crate::http::{Header, Http, HttpRequest, HttpResponse, LATER_STATUSES};
use crate::json::{Member, object_members};
use crate::types::{CommandRejection, SaslRejection, TokenSet};

/// A mail API over HTTPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailApi {
    /// The Gmail API.
    Gmail,
    /// Microsoft Graph.
    Graph,
}

const GMAIL: &str = "https://gmail.googleapis.com/gmail/v1/users/me";
const GRAPH: &str = "https://graph.microsoft.com/v1.0";

/// Checks that `api` accepts the token: Gmail's profile, Graph's `/me`.
pub fn verify_api(http: &dyn Http, api: MailApi, login: &Login) -> Result<Report, MailFailure> {
    run(http, login, &mut |token, steps| {
        let (url, step) = match api {
            MailApi::Gmail => (format!("{GMAIL}/profile"), "profile"),
            MailApi::Graph => (format!("{GRAPH}/me"), "me"),
        };
        let started = Instant::now();
        let response = call(http, request("GET", url, token, None))?;
        if response.status != 200 {
            return Err(api_error(step, &response, token));
        }
        let names: &[&str] = match api {
            MailApi::Gmail => &["emailAddress", "messagesTotal"],
            MailApi::Graph => &["mail", "userPrincipalName"],
        };
        let members = match object_members(&response.body, names) {
            Ok(Some(members)) => members,
            _ => return Err(not_json(step, &response, token)),
        };
        let Some(address) = members
            .iter()
            .flatten()
            .find_map(Member::as_text)
            .filter(|text| !text.is_empty())
            .map(|text| clean(text, &[token]))
        else {
            return Err(not_json(step, &response, token));
        };
        let (name, detail) = match (api, members.get(1)) {
            (MailApi::Gmail, Some(Some(Member::Number(total)))) => (
                "Gmail API",
                format!("HTTP 200: {address}, {total} messages"),
            ),
            (MailApi::Gmail, _) => ("Gmail API", format!("HTTP 200: {address}")),
            (MailApi::Graph, _) => ("Microsoft Graph", format!("HTTP 200: {address}")),
        };
        steps.push(step_of(step, started, detail));
        Ok(format!("{name}: {address}"))
    })
}

/// Sends `message` through `api`.
pub fn send_via_api(
    http: &dyn Http,
    api: MailApi,
    login: &Login,
    message: &TestMessage,
) -> Result<Report, MailFailure> {
    message::check(message, &login.user)?;
    let unique = message::unique_id()?;
    let raw = message::raw(message, &unique);
    run(http, login, &mut |token, steps| {
        let started = Instant::now();
        let (req, name, ok) = match api {
            MailApi::Gmail => {
                // base64url needs no JSON escaping.
                let body = format!("{{\"raw\":\"{}\"}}", URL_SAFE_NO_PAD.encode(&raw)).into_bytes();
                let url = format!("{GMAIL}/messages/send");
                (
                    request("POST", url, token, Some(("application/json", body))),
                    "Gmail API",
                    200,
                )
            }
            MailApi::Graph => {
                let url = if message.send_as {
                    let sender: String =
                        url::form_urlencoded::byte_serialize(message.sender.as_bytes()).collect();
                    format!("{GRAPH}/users/{sender}/sendMail")
                } else {
                    format!("{GRAPH}/me/sendMail")
                };
                let body = STANDARD.encode(&raw).into_bytes();
                (
                    request("POST", url, token, Some(("text/plain", body))),
                    "Microsoft Graph",
                    202,
                )
            }
        };
        let response = call(http, req)?;
        if response.status != ok {
            return Err(api_error("send", &response, token));
        }
        let id = match api {
            MailApi::Gmail => object_members(&response.body, &["id"])
                .ok()
                .flatten()
                .and_then(|mut members| members.pop().flatten())
                .and_then(|member| {
                    member
                        .as_text()
                        .map(|id| format!(", message id {}", clean(id, &[token])))
                })
                .unwrap_or_default(),
            MailApi::Graph => String::new(),
        };
        let detail = format!("HTTP {}: {} bytes sent{id}", response.status, raw.len());
        steps.push(step_of("send", started, detail));
        Ok(format!("{name}: {}", message.sender))
    })
}

/// One API call: the greeting line of the report, or the failure.
type ApiCall<'a> = dyn FnMut(&str, &mut Vec<Step>) -> Result<String, MailError> + 'a;

/// The frame: check the input, refresh an expired token, call, and on a 401
/// refresh once and call again.
fn run(http: &dyn Http, login: &Login, call: &mut ApiCall<'_>) -> Result<Report, MailFailure> {
    let (mut token, refreshable): (String, Option<&Refreshable>) = match &login.credentials {
        Credentials::AccessToken(token) => (token.clone(), None),
        Credentials::Refreshable(r) => (r.tokens.access_token.clone(), Some(r)),
    };
    // The SASL check refuses an empty or control-bearing user or token, which
    // would also break the Authorization header.
    crate::sasl::xoauth2(&login.user, &token).map_err(MailError::from)?;
    let mut steps = Vec::new();
    let mut refreshed: Option<TokenSet> = None;
    if let Some(r) = refreshable
        && r.tokens.expires_at.is_some_and(|at| at <= r.now)
    {
        let tokens = refresh(http, r, &mut steps, "the access token had expired")?;
        token = tokens.access_token.clone();
        refreshed = Some(tokens);
    }
    let failed = |error: MailError, refreshed: &Option<TokenSet>| MailFailure {
        error,
        refreshed: refreshed.clone().map(Box::new),
    };
    let first = call(&token, &mut steps);
    let retry = match (&first, refreshable) {
        (Err(MailError::SaslRejected(rejection)), Some(r))
            if rejection.status.as_deref() == Some("401")
                && refreshed.is_none()
                && r.tokens.refresh_token.is_some() =>
        {
            Some(r)
        }
        _ => None,
    };
    let greeting = match retry {
        Some(r) => {
            let tokens = refresh(http, r, &mut steps, "the API rejected the access token")
                .map_err(|e| failed(e, &refreshed))?;
            let token = tokens.access_token.clone();
            refreshed = Some(tokens);
            call(&token, &mut steps).map_err(|e| failed(e, &refreshed))?
        }
        None => first.map_err(|e| failed(e, &refreshed))?,
    };
    Ok(Report {
        greeting,
        capabilities: Vec::new(),
        mechanism: None,
        steps,
        refreshed,
    })
}

fn request(method: &str, url: String, token: &str, body: Option<(&str, Vec<u8>)>) -> HttpRequest {
    let mut headers = vec![
        Header::new("authorization", format!("Bearer {token}")),
        Header::new("accept", "application/json"),
    ];
    let body = match body {
        Some((content_type, body)) => {
            headers.push(Header::new("content-type", content_type));
            body
        }
        None => Vec::new(),
    };
    HttpRequest {
        method: method.to_owned(),
        url,
        headers,
        body,
    }
}

fn call(http: &dyn Http, req: HttpRequest) -> Result<HttpResponse, MailError> {
    http.send(req).map_err(MailError::Http)
}

fn rejection(step: &str, reply: String, status: u16) -> CommandRejection {
    CommandRejection {
        step: step.to_owned(),
        reply,
        code: Some(status),
    }
}

/// A 200 whose body is not the API's JSON.
fn not_json(step: &str, response: &HttpResponse, token: &str) -> MailError {
    let body = String::from_utf8_lossy(&response.body);
    MailError::ProtocolViolation(rejection(
        step,
        format!(
            "HTTP {} with a body that is not the API's JSON: {}",
            response.status,
            clean(&body, &[token])
        ),
        response.status,
    ))
}

/// The `scope` of a `WWW-Authenticate: Bearer …, scope="…"` challenge.
fn challenge_scope(response: &HttpResponse) -> Option<String> {
    let header = response.header("www-authenticate")?;
    let at = header.find("scope=\"")? + "scope=\"".len();
    let rest = &header[at..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// Maps a failed API answer: 401 and 403 are the token refused (with the
/// scope the API asks for), 429/502/503/504 "later", a redirect or non-JSON
/// error a protocol violation, any other status a rejection.
fn api_error(step: &str, response: &HttpResponse, token: &str) -> MailError {
    let status = response.status;
    // Both APIs answer `{"error": {"code": …, "message": …, "status": …}}`:
    // Gmail's `code` is the HTTP status and `status` a name, Graph's `code` a
    // name.
    let error = object_members(&response.body, &["error"])
        .ok()
        .flatten()
        .and_then(|mut members| members.pop().flatten())
        .filter(|error| matches!(error, Member::Object(_)));
    let text = error.map(|error| {
        let name = error
            .get("code")
            .and_then(Member::as_text)
            .or_else(|| error.get("status").and_then(Member::as_text));
        match (name, error.get("message").and_then(Member::as_text)) {
            (Some(name), Some(message)) => format!("{name}: {message}"),
            (Some(text), None) | (None, Some(text)) => text.to_owned(),
            (None, None) => String::new(),
        }
    });
    if (300..400).contains(&status) {
        return MailError::ProtocolViolation(rejection(
            step,
            format!("HTTP {status}: a redirect, which is never followed"),
            status,
        ));
    }
    let reply = match &text {
        Some(text) => format!("HTTP {status}: {}", clean(text, &[token])),
        None => format!(
            "HTTP {status}: {}",
            clean(&String::from_utf8_lossy(&response.body), &[token])
        ),
    };
    if status == 401 || status == 403 {
        return MailError::SaslRejected(SaslRejection {
            status: Some(status.to_string()),
            scope: challenge_scope(response).map(|scope| clean(&scope, &[token])),
            server_text: reply,
        });
    }
    if LATER_STATUSES.contains(&status) {
        return MailError::TemporaryFailure(rejection(step, reply, status));
    }
    if text.is_none() && status >= 500 {
        return MailError::ProtocolViolation(rejection(step, reply, status));
    }
    MailError::CommandRejected(rejection(step, reply, status))
}
