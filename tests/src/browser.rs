//! A scripted user agent that plays the user in an authorization code flow.
//!
//! The test provider (`tests/peers/as/server.mjs`) auto-approves login and
//! consent, so completing a flow only takes what a real browser does without
//! thinking: keep cookies and follow redirects. The dance against it is
//!
//! ```text
//! GET /auth?client_id=…            303 → /interaction/<uid>        (sets _interaction cookies)
//! GET /interaction/<uid>           303 → /auth/<uid>               (login as login_hint)
//! GET /auth/<uid>                  303 → /interaction/<uid2>       (consent prompt)
//! GET /interaction/<uid2>          303 → /auth/<uid2>              (grant saved)
//! GET /auth/<uid2>                 303 → <redirect_uri>?code=…&state=…&iss=…
//! ```
//!
//! The [`Browser`] follows that chain itself and stops at the redirect that
//! leaves for the client's redirect URI: [`Browser::authorize`] hands back
//! that callback URL without fetching it (the test passes it to the code under
//! test), [`Browser::authorize_and_deliver`] fetches it (a CLI's loopback
//! listener is waiting for it).
//!
//! The device flow (RFC 8628) is the user's side of another dance: open the
//! verification URI, submit the forms the provider shows (each with its
//! hidden `xsrf` field), and approve or abort on the confirmation page:
//!
//! ```text
//! GET  /device?user_code=…         200 auto-posting form (xsrf, user_code)
//! POST /device                     200 confirmation form (xsrf, user_code, confirm; an abort button)
//! POST /device (confirm)           303 → /interaction/<uid> → … (login, consent as above)
//! GET  /device/<uid>               200 "Sign-in Success"
//! ```
//!
//! [`Browser::approve_device`] and [`Browser::deny_device`] play it with
//! [`forms`], a small form reader that is enough for the provider's pages.
//!
//! Why ureq with redirects off and a hand-written cookie jar: following
//! redirects ourselves is the point (we must stop *before* the callback and
//! refuse anything that leaves 127.0.0.1), and a path-aware jar of a few lines
//! covers what oidc-provider sets (path-scoped, signed, cleared with an expiry
//! in 1970) without pulling a cookie-store stack into the workspace's build.
//! ureq is already the workspace's HTTP client, so it costs no extra crate.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use url::Url;

/// Redirects followed before giving up; the flow above needs 5.
pub const MAX_HOPS: usize = 20;

/// Plays the user: a cookie jar plus a manual redirect loop, on
/// `http://127.0.0.1` only. One `Browser` is one browser profile: cookies
/// (the provider's session) persist across calls.
pub struct Browser {
    agent: ureq::Agent,
    jar: Vec<Cookie>,
    history: Vec<String>,
}

/// The page a [`Browser::get`] ended on (the first non-redirect response).
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL that answered.
    pub url: String,
    /// Its HTTP status.
    pub status: u16,
    /// Its `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Its body, as (lossy) UTF-8.
    pub body: String,
}

/// The result of [`Browser::authorize_and_deliver`]: the callback URL and
/// what the client's redirect listener answered when the browser fetched it.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// The redirect URI with the authorization response (`code`, `state`,
    /// `iss`, or `error`) in its query.
    pub callback_url: String,
    /// The listener's answer.
    pub page: Page,
}

/// Why a [`Browser`] could not complete what was asked.
#[derive(Debug)]
pub enum BrowserError {
    /// The URL is not valid.
    BadUrl(String),
    /// A request (or a redirect) pointed outside `http://127.0.0.1`.
    NotLoopback(String),
    /// More than [`MAX_HOPS`] redirects; the URLs visited.
    TooManyRedirects(Vec<String>),
    /// A redirect without a usable `Location` header.
    BadRedirect {
        /// The URL that answered with the redirect.
        url: String,
        /// Its status.
        status: u16,
    },
    /// The flow ended on a page instead of redirecting to the redirect URI
    /// (e.g. the provider's JSON error for an unregistered redirect URI).
    NoCallback(Page),
    /// A device verification ([`Browser::approve_device`],
    /// [`Browser::deny_device`]) ended on a page that is not the provider's
    /// answer to the user's decision.
    DeviceVerification(Page),
    /// The request itself failed (connection refused, timeout, …).
    Transport {
        /// The URL being fetched.
        url: String,
        /// ureq's description of the failure.
        error: String,
    },
}

impl fmt::Display for BrowserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadUrl(u) => write!(f, "not a valid URL: {u}"),
            Self::NotLoopback(u) => write!(f, "refusing to leave http://127.0.0.1: {u}"),
            Self::TooManyRedirects(h) => write!(f, "more than {MAX_HOPS} redirects: {h:?}"),
            Self::BadRedirect { url, status } => {
                write!(f, "{url} answered {status} without a usable Location")
            }
            Self::NoCallback(p) => write!(
                f,
                "the flow stopped at {} (HTTP {}) instead of redirecting to the client: {}",
                p.url,
                p.status,
                p.body.chars().take(300).collect::<String>()
            ),
            Self::DeviceVerification(p) => write!(
                f,
                "the device verification stopped at {} (HTTP {}): {}",
                p.url,
                p.status,
                p.body.chars().take(300).collect::<String>()
            ),
            Self::Transport { url, error } => write!(f, "GET {url} failed: {error}"),
        }
    }
}

impl std::error::Error for BrowserError {}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A fresh profile: no cookies, 10 s per request.
    pub fn new() -> Self {
        Self::with_timeout(Duration::from_secs(10))
    }

    /// A fresh profile whose every request gives up after `timeout`.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self {
            agent: crate::loopback_agent(timeout),
            jar: Vec::new(),
            history: Vec::new(),
        }
    }

    /// Every URL this browser requested, in order (for failure messages).
    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// Fetches `url` and follows redirects (at most [`MAX_HOPS`]) until a
    /// page that is not a redirect answers.
    pub fn get(&mut self, url: &str) -> Result<Page, BrowserError> {
        let mut current = parse_loopback(url)?;
        for _ in 0..=MAX_HOPS {
            match self.fetch(&current)? {
                Step::Page(page) => return Ok(page),
                Step::Redirect(next) => current = next,
            }
        }
        Err(BrowserError::TooManyRedirects(self.history.clone()))
    }

    /// Opens the authorization URL and follows the provider's redirects until
    /// one points at `redirect_prefix` (for example
    /// `http://127.0.0.1:4711/callback`); returns that callback URL — with
    /// `code`, `state` and `iss`, or `error` — without fetching it.
    pub fn authorize(
        &mut self,
        authorization_url: &str,
        redirect_prefix: &str,
    ) -> Result<String, BrowserError> {
        let mut current = parse_loopback(authorization_url)?;
        for _ in 0..=MAX_HOPS {
            match self.fetch(&current)? {
                Step::Page(page) => return Err(BrowserError::NoCallback(page)),
                Step::Redirect(next) if next.as_str().starts_with(redirect_prefix) => {
                    return Ok(next.into());
                }
                Step::Redirect(next) => current = next,
            }
        }
        Err(BrowserError::TooManyRedirects(self.history.clone()))
    }

    /// Like [`Browser::authorize`], with the redirect URI taken from the
    /// authorization URL's own `redirect_uri` parameter.
    pub fn authorize_to_redirect_uri(
        &mut self,
        authorization_url: &str,
    ) -> Result<String, BrowserError> {
        let prefix = redirect_uri_of(authorization_url)?;
        self.authorize(authorization_url, &prefix)
    }

    /// Like [`Browser::authorize`], then fetches the callback URL as a
    /// browser would, so the client's loopback listener receives the
    /// authorization response (following at most [`MAX_HOPS`] further
    /// redirects the listener may answer with). The redirect URI is taken
    /// from the authorization URL's `redirect_uri` parameter.
    pub fn authorize_and_deliver(
        &mut self,
        authorization_url: &str,
    ) -> Result<Delivered, BrowserError> {
        let callback_url = self.authorize_to_redirect_uri(authorization_url)?;
        let page = self.get(&callback_url)?;
        Ok(Delivered { callback_url, page })
    }

    fn fetch(&mut self, url: &Url) -> Result<Step, BrowserError> {
        self.history.push(url.to_string());
        let mut request = self.agent.get(url.as_str());
        if let Some(cookies) = self.cookie_header(url) {
            request = request.header("Cookie", cookies);
        }
        let response = request.call().map_err(|e| BrowserError::Transport {
            url: url.to_string(),
            error: e.to_string(),
        })?;
        self.step(url, response)
    }

    /// Stores the response's cookies and reads it as a redirect (to a
    /// loopback URL) or as the page it is.
    fn step(
        &mut self,
        url: &Url,
        mut response: ureq::http::Response<ureq::Body>,
    ) -> Result<Step, BrowserError> {
        for value in response.headers().get_all("set-cookie") {
            if let Ok(value) = value.to_str() {
                self.store_cookie(url, value);
            }
        }
        let status = response.status().as_u16();
        if (300..400).contains(&status) && status != 304 {
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| BrowserError::BadRedirect {
                    url: url.to_string(),
                    status,
                })?;
            let next = url.join(location).map_err(|_| BrowserError::BadRedirect {
                url: url.to_string(),
                status,
            })?;
            if !crate::is_loopback_http(&next) {
                return Err(BrowserError::NotLoopback(next.into()));
            }
            return Ok(Step::Redirect(next));
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|c| c.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .read_to_vec()
            .map_err(|e| BrowserError::Transport {
                url: url.to_string(),
                error: e.to_string(),
            })?;
        Ok(Step::Page(Page {
            url: url.to_string(),
            status,
            content_type,
            body: String::from_utf8_lossy(&body).into_owned(),
        }))
    }

    /// `Cookie:` value for `url`: the cookies whose path matches (RFC 6265
    /// §5.1.4). Hosts need no matching: every request goes to 127.0.0.1.
    fn cookie_header(&self, url: &Url) -> Option<String> {
        let path = url.path();
        let pairs: Vec<String> = self
            .jar
            .iter()
            .filter(|c| path_matches(path, &c.path))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// Stores (or, when expired or emptied, removes) one `Set-Cookie`.
    fn store_cookie(&mut self, url: &Url, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|nv| nv.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim().to_owned(), value.trim().to_owned());
        let mut path = default_path(url.path());
        let mut expired = value.is_empty();
        for attr in parts {
            let (key, val) = attr.split_once('=').unwrap_or((attr, ""));
            let (key, val) = (key.trim().to_ascii_lowercase(), val.trim());
            match key.as_str() {
                "path" if val.starts_with('/') => path = val.to_owned(),
                "max-age" => expired |= val.parse::<i64>().is_ok_and(|s| s <= 0),
                "expires" => expired |= http_date_is_past(val),
                _ => {}
            }
        }
        self.jar.retain(|c| !(c.name == name && c.path == path));
        if !expired {
            self.jar.push(Cookie { name, value, path });
        }
    }
}

/// What the user does on the provider's device confirmation page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeviceDecision {
    Approve,
    Deny,
}

/// The text of oidc-provider's device success page (its `successSource`).
const DEVICE_SUCCESS: &str = "Sign-in Success";

/// Form submissions a device verification may take; oidc-provider needs 2
/// (the auto-posted or typed user code, then the confirmation).
const MAX_FORMS: usize = 8;

impl Browser {
    /// Submits `fields` to `url` as `application/x-www-form-urlencoded` (a
    /// browser submitting a `method="post"` form), then follows redirects
    /// with `GET` (at most [`MAX_HOPS`]) until a page answers.
    pub fn post_form(
        &mut self,
        url: &str,
        fields: &[(String, String)],
    ) -> Result<Page, BrowserError> {
        let target = parse_loopback(url)?;
        self.history.push(format!("POST {target}"));
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut request = self
            .agent
            .post(target.as_str())
            .header("Content-Type", "application/x-www-form-urlencoded");
        if let Some(cookies) = self.cookie_header(&target) {
            request = request.header("Cookie", cookies);
        }
        let response = request.send(body).map_err(|e| BrowserError::Transport {
            url: format!("(POST) {target}"),
            error: e.to_string(),
        })?;
        match self.step(&target, response)? {
            Step::Page(page) => Ok(page),
            Step::Redirect(next) => self.get(next.as_str()),
        }
    }

    /// Plays the user of a device authorization (RFC 8628 §3.3) who approves
    /// it: opens `verification_uri` — the `verification_uri_complete`, or the
    /// bare `verification_uri`, whose form then gets `user_code` typed in —
    /// and submits every form the provider shows (hidden fields such as
    /// `xsrf` included) until a page without a form answers. The test
    /// provider auto-approves the login and consent in between. Returns the
    /// provider's success page ("Sign-in Success"), or
    /// [`BrowserError::DeviceVerification`] with the page it stopped at.
    pub fn approve_device(
        &mut self,
        verification_uri: &str,
        user_code: &str,
    ) -> Result<Page, BrowserError> {
        let page = self.verify_device(verification_uri, user_code, DeviceDecision::Approve)?;
        if page.body.contains(DEVICE_SUCCESS) {
            Ok(page)
        } else {
            Err(BrowserError::DeviceVerification(page))
        }
    }

    /// Like [`Browser::approve_device`], but the user refuses: on the
    /// confirmation page (the form with a `confirm` field) the user presses
    /// the form's `abort` button instead of "Continue". Returns the page the
    /// provider answers the refusal with, or
    /// [`BrowserError::DeviceVerification`] when no confirmation page with an
    /// `abort` button came.
    pub fn deny_device(
        &mut self,
        verification_uri: &str,
        user_code: &str,
    ) -> Result<Page, BrowserError> {
        self.verify_device(verification_uri, user_code, DeviceDecision::Deny)
    }

    fn verify_device(
        &mut self,
        verification_uri: &str,
        user_code: &str,
        decision: DeviceDecision,
    ) -> Result<Page, BrowserError> {
        let mut page = self.get(verification_uri)?;
        for _ in 0..MAX_FORMS {
            let Some(form) = forms(&page.body).into_iter().next() else {
                return match decision {
                    DeviceDecision::Approve => Ok(page),
                    // The refusal is submitted from the confirmation page.
                    DeviceDecision::Deny => Err(BrowserError::DeviceVerification(page)),
                };
            };
            let base = Url::parse(&page.url).map_err(|_| BrowserError::BadUrl(page.url.clone()))?;
            let action = base
                .join(&form.action)
                .map_err(|_| BrowserError::BadUrl(form.action.clone()))?;
            if !form.method.eq_ignore_ascii_case("post") {
                return Err(BrowserError::DeviceVerification(page));
            }
            let mut fields = form.fields.clone();
            for (name, value) in &mut fields {
                if name == "user_code" && value.is_empty() {
                    user_code.clone_into(value);
                }
            }
            let confirmation = fields.iter().any(|(name, _)| name == "confirm");
            if decision == DeviceDecision::Deny && confirmation {
                let Some(abort) = form.buttons.iter().find(|(name, _)| name == "abort") else {
                    return Err(BrowserError::DeviceVerification(page));
                };
                fields.push(abort.clone());
                return self.post_form(action.as_str(), &fields);
            }
            page = self.post_form(action.as_str(), &fields)?;
        }
        Err(BrowserError::DeviceVerification(page))
    }
}

/// An HTML form as a browser would submit it (what [`forms`] finds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The `id` attribute, if any.
    pub id: Option<String>,
    /// The `method` attribute (`get` when absent).
    pub method: String,
    /// The `action` attribute as written (resolve it against the page URL;
    /// empty means the page itself).
    pub action: String,
    /// The named `<input>` fields, in order, entity-decoded.
    pub fields: Vec<(String, String)>,
    /// The named submit buttons of the form (inside it, or outside with
    /// `form="<id>"`): a pressed one adds its name and value to `fields`.
    pub buttons: Vec<(String, String)>,
}

/// The forms of an HTML page, in document order. Enough HTML for the
/// provider's own pages (attributes quoted or not, any case), not a parser
/// for arbitrary documents.
pub fn forms(html: &str) -> Vec<Form> {
    let tags = tags(html);
    let mut found: Vec<Form> = Vec::new();
    let mut open: Option<usize> = None;
    // Submit buttons outside their form, by the form's id.
    let mut loose_buttons: Vec<(String, (String, String))> = Vec::new();
    for (name, attrs) in tags {
        match name.as_str() {
            "form" => {
                found.push(Form {
                    id: attr(&attrs, "id").map(str::to_owned),
                    method: attr(&attrs, "method").unwrap_or("get").to_ascii_lowercase(),
                    action: attr(&attrs, "action").unwrap_or_default().to_owned(),
                    fields: Vec::new(),
                    buttons: Vec::new(),
                });
                open = Some(found.len() - 1);
            }
            "/form" => open = None,
            "input" | "button" => {
                let Some(field) = attr(&attrs, "name") else {
                    continue;
                };
                let value = attr(&attrs, "value").unwrap_or_default();
                let kind = attr(&attrs, "type").map(str::to_ascii_lowercase);
                let submit = match name.as_str() {
                    // A `<button>` submits unless it says otherwise.
                    "button" => kind.as_deref().is_none_or(|k| k == "submit"),
                    _ => kind.as_deref() == Some("submit"),
                };
                let pair = (field.to_owned(), value.to_owned());
                let owner = attr(&attrs, "form").map(str::to_owned);
                match (submit, owner, open) {
                    (true, Some(owner), _) => loose_buttons.push((owner, pair)),
                    (true, None, Some(at)) => found[at].buttons.push(pair),
                    (false, _, Some(at)) => found[at].fields.push(pair),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    for (owner, button) in loose_buttons {
        if let Some(form) = found.iter_mut().find(|f| f.id.as_deref() == Some(&owner)) {
            form.buttons.push(button);
        }
    }
    found
}

/// Attributes of a tag, names lowercased, values entity-decoded.
type Attributes = Vec<(String, String)>;

fn attr<'a>(attrs: &'a Attributes, name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The tags of `html` in order, as (lowercased name, attributes); a closing
/// tag's name starts with `/`. Comments, scripts' bodies and text are
/// skipped.
fn tags(html: &str) -> Vec<(String, Attributes)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(lt) = html[at..].find('<').map(|i| at + i) {
        if html[lt..].starts_with("<!--") {
            at = html[lt..].find("-->").map_or(html.len(), |i| lt + i + 3);
            continue;
        }
        let closing = html[lt + 1..].starts_with('/');
        let name_start = lt + 1 + usize::from(closing);
        let name_end = html[name_start..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(html.len(), |i| name_start + i);
        if name_end == name_start {
            // A `<` in text, or `<!DOCTYPE …>`.
            at = lt + 1;
            continue;
        }
        let name = html[name_start..name_end].to_ascii_lowercase();
        let (attrs, end) = attributes(html, name_end);
        at = end;
        if !closing && (name == "script" || name == "style") {
            let close = format!("</{name}");
            at = html[at..]
                .to_ascii_lowercase()
                .find(&close)
                .map_or(html.len(), |i| at + i);
        }
        out.push((if closing { format!("/{name}") } else { name }, attrs));
    }
    out
}

/// Reads attributes from `from` to the tag's `>`; returns them and the
/// offset after the `>`.
fn attributes(html: &str, from: usize) -> (Attributes, usize) {
    let bytes = html.as_bytes();
    let mut attrs = Vec::new();
    let mut i = from;
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            return (attrs, i);
        }
        if bytes[i] == b'>' {
            return (attrs, i + 1);
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !b"=>/".contains(&bytes[i]) {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let quote = bytes[i];
                let end = bytes[i + 1..]
                    .iter()
                    .position(|b| *b == quote)
                    .map_or(bytes.len(), |p| i + 1 + p);
                value = decode_entities(&html[i + 1..end]);
                i = (end + 1).min(bytes.len());
            } else {
                let start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                value = decode_entities(&html[start..i]);
            }
        }
        if name.is_empty() {
            // A stray `=`: skip it.
            i += 1;
        } else {
            attrs.push((name, value));
        }
    }
}

/// Decodes the character references an HTML-escaping helper writes.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').and_then(|semi| {
            let entity = &rest[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            }?;
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `redirect_uri` query parameter of an authorization URL.
pub fn redirect_uri_of(authorization_url: &str) -> Result<String, BrowserError> {
    let url = Url::parse(authorization_url)
        .map_err(|_| BrowserError::BadUrl(authorization_url.to_owned()))?;
    url.query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| BrowserError::BadUrl(format!("no redirect_uri in {authorization_url}")))
}

/// The query parameters of a callback URL, in order (`code`, `state`, `iss`,
/// `error`, …), for assertions.
pub fn callback_params(callback_url: &str) -> Vec<(String, String)> {
    Url::parse(callback_url)
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

enum Step {
    Page(Page),
    Redirect(Url),
}

struct Cookie {
    name: String,
    value: String,
    path: String,
}

fn parse_loopback(url: &str) -> Result<Url, BrowserError> {
    let parsed = Url::parse(url).map_err(|_| BrowserError::BadUrl(url.to_owned()))?;
    if crate::is_loopback_http(&parsed) {
        Ok(parsed)
    } else {
        Err(BrowserError::NotLoopback(url.to_owned()))
    }
}

/// RFC 6265 §5.1.4 path-match.
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

/// RFC 6265 §5.1.4 default-path: the request path up to its last `/`.
fn default_path(request_path: &str) -> String {
    match request_path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(i) => request_path[..i].to_owned(),
    }
}

/// Whether an IMF-fixdate (`Thu, 01 Jan 1970 00:00:00 GMT`, what Node
/// writes) lies in the past. Unparseable dates count as not expired.
fn http_date_is_past(date: &str) -> bool {
    parse_imf_fixdate(date).is_some_and(|t| t <= SystemTime::now())
}

fn parse_imf_fixdate(date: &str) -> Option<SystemTime> {
    // "Wdy, DD Mon YYYY HH:MM:SS GMT"
    let rest = date.split_once(',')?.1.trim();
    let mut it = rest.split_whitespace();
    let day: i64 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|n| n.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + h * 3600 + m * 60 + s;
    if secs < 0 {
        return Some(UNIX_EPOCH);
    }
    Some(UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs()))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imf_fixdate_parses_epoch_and_future() {
        assert_eq!(
            parse_imf_fixdate("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(
            parse_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert!(http_date_is_past("Thu, 01 Jan 1970 00:00:00 GMT"));
        assert!(!http_date_is_past("not a date"));
        assert!(!http_date_is_past("Sat, 01 Jan 2300 00:00:00 GMT"));
    }

    #[test]
    fn cookies_are_scoped_by_path_and_removed_when_expired() {
        let mut b = Browser::new();
        let auth = Url::parse("http://127.0.0.1:1/auth").unwrap();
        b.store_cookie(&auth, "_session=s1; path=/; httponly");
        b.store_cookie(&auth, "_interaction=i1; path=/interaction/abc; httponly");
        let interaction = Url::parse("http://127.0.0.1:1/interaction/abc").unwrap();
        let other = Url::parse("http://127.0.0.1:1/interaction/abcd").unwrap();
        assert_eq!(
            b.cookie_header(&interaction).as_deref(),
            Some("_session=s1; _interaction=i1")
        );
        assert_eq!(b.cookie_header(&other).as_deref(), Some("_session=s1"));
        b.store_cookie(
            &auth,
            "_interaction=; path=/interaction/abc; expires=Thu, 01 Jan 1970 00:00:00 GMT",
        );
        assert_eq!(
            b.cookie_header(&interaction).as_deref(),
            Some("_session=s1")
        );
        b.store_cookie(&auth, "_session=s2; path=/; max-age=0");
        assert_eq!(b.cookie_header(&interaction), None);
    }

    #[test]
    fn refuses_non_loopback_urls() {
        let mut b = Browser::new();
        for url in [
            "https://127.0.0.1:10090/auth",
            "http://localhost:10090/auth",
            "http://10.0.0.1/auth",
            "http://user:pw@127.0.0.1/",
        ] {
            assert!(
                matches!(b.get(url), Err(BrowserError::NotLoopback(_))),
                "{url} was not refused"
            );
        }
        assert!(b.history().is_empty(), "nothing may have been fetched");
    }
}
