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
        let mut response = request.call().map_err(|e| BrowserError::Transport {
            url: url.to_string(),
            error: e.to_string(),
        })?;
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
