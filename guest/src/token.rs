//! The token endpoint: code exchange, refresh, ensure-fresh, and revocation
//! (RFC 7009), plus the mapping of whatever the endpoint answers onto [`Error`].

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use oauth2::basic::{
    BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AccessToken, AuthType, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    ErrorResponse, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardRevocableToken, TokenResponse, TokenUrl,
};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use subtle::ConstantTimeEq as _;
use url::form_urlencoded;

use crate::error::{Error, ProviderFailure};
use crate::http::{
    AdapterError, Header, Http, HttpRequest, HttpResponse, LATER_STATUSES, OAuthHttp, SeenResponse,
};
use crate::json::{Member, members_once, object_members, object_members_once};
use crate::providers::{endpoint_url, redirect_url};
use crate::redact::{excerpt, scrub_description, scrub_known};
use crate::types::{
    Client, ClientAuth, FreshTokens, PendingAuthorization, Provider, TokenKind, TokenSet,
};

/// A token endpoint's answer (RFC 6749 §5.1, plus OIDC's `id_token`), read as
/// `oauth2`'s `StandardTokenResponse` reads it, without its flattened extra
/// fields (whose buffering deserializer is large in the component).
#[derive(Serialize)]
pub(crate) struct MailTokenResponse {
    access_token: AccessToken,
    token_type: BasicTokenType,
    expires_in: Option<u64>,
    refresh_token: Option<RefreshToken>,
    scopes: Option<Vec<Scope>>,
    id_token: Option<String>,
}

impl fmt::Debug for MailTokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MailTokenResponse { .. }")
    }
}

/// The members of a token response, in the order `from_members` reads them.
const TOKEN_MEMBERS: [&str; 6] = [
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "scope",
    "id_token",
];

impl<'de> Deserialize<'de> for MailTokenResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let members = members_once(deserializer, &TOKEN_MEMBERS)?;
        members
            .and_then(MailTokenResponse::from_members)
            .ok_or_else(|| D::Error::custom("not an RFC 6749 token response"))
    }
}

impl MailTokenResponse {
    /// Reads a token response body as its `Deserialize` impl does.
    pub(crate) fn parse(body: &[u8]) -> Option<Self> {
        object_members_once(body, &TOKEN_MEMBERS)
            .ok()
            .flatten()
            .and_then(Self::from_members)
    }

    /// `access_token` and `token_type` are required strings, `expires_in` an
    /// optional `u64`, the others optional strings (`null` is absent); `scope` is
    /// split at each space, and `token_type` is any string (case-insensitively
    /// `bearer` or `mac`), as `oauth2` reads them.
    fn from_members(mut members: Vec<Option<Member>>) -> Option<Self> {
        let mut text = |at: usize| match members[at].take() {
            None | Some(Member::Null) => Some(None),
            Some(Member::Text(text)) => Some(Some(text)),
            Some(_) => None,
        };
        let access_token = text(0)??;
        let token_type = text(1)??;
        let refresh_token = text(3)?;
        let scope = text(4)?;
        let id_token = text(5)?;
        let expires_in = match members[2].take() {
            None | Some(Member::Null) => None,
            Some(Member::Number(number)) => Some(number.parse().ok()?),
            Some(_) => return None,
        };
        let token_type = if token_type.eq_ignore_ascii_case("bearer") {
            BasicTokenType::Bearer
        } else if token_type.eq_ignore_ascii_case("mac") {
            BasicTokenType::Mac
        } else {
            BasicTokenType::Extension(token_type)
        };
        Some(MailTokenResponse {
            access_token: AccessToken::new(access_token),
            token_type,
            expires_in,
            refresh_token: refresh_token.map(RefreshToken::new),
            // Runs of spaces and an empty `scope` name no scope.
            scopes: scope.map(|scope| {
                scope
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(|s| Scope::new(s.to_owned()))
                    .collect()
            }),
            id_token,
        })
    }
}

impl TokenResponse for MailTokenResponse {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scopes.as_ref()
    }
}

/// A token endpoint's OAuth error response (RFC 6749 §5.2), read as `oauth2`'s
/// `BasicErrorResponse` reads it: `error` a required string, taken as it is;
/// `error_description` and `error_uri` optional strings (`null` is absent).
#[derive(Serialize)]
pub(crate) struct MailErrorResponse {
    error: String,
    error_description: Option<String>,
}

impl fmt::Debug for MailErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MailErrorResponse { .. }")
    }
}

impl fmt::Display for MailErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error)
    }
}

impl ErrorResponse for MailErrorResponse {}

impl<'de> Deserialize<'de> for MailErrorResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let members = members_once(deserializer, &["error", "error_description", "error_uri"])?;
        members
            .and_then(MailErrorResponse::from_members)
            .ok_or_else(|| D::Error::custom("not an RFC 6749 error response"))
    }
}

impl MailErrorResponse {
    fn from_members(mut members: Vec<Option<Member>>) -> Option<Self> {
        let mut text = |at: usize| match members[at].take() {
            None | Some(Member::Null) => Some(None),
            Some(Member::Text(text)) => Some(Some(text)),
            Some(_) => None,
        };
        let error = text(0)??;
        let error_description = text(1)?;
        text(2)?;
        Some(MailErrorResponse {
            error,
            error_description,
        })
    }
}

type OAuthClient = oauth2::Client<
    MailErrorResponse,
    MailTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// OAuth error codes meaning the grant is dead and only a new authorization helps.
const DEAD_GRANT_CODES: [&str; 4] = [
    "invalid_grant",
    "interaction_required",
    "consent_required",
    "login_required",
];

/// Microsoft AADSTS codes (in `error_description`) meaning the same: revoked or
/// expired grant, MFA or consent now required, password changed.
const DEAD_GRANT_AADSTS: [u32; 9] = [
    50173, 70000, 70008, 700082, 700084, 50076, 50079, 65001, 54005,
];

fn oauth_client(provider: &Provider, client: &Client) -> Result<OAuthClient, Error> {
    if client.id.is_empty() {
        return Err(Error::input("client.id: empty"));
    }
    let token_url = endpoint_url("token-endpoint", &provider.token_endpoint)?;
    let auth_type = match provider.client_auth {
        ClientAuth::Basic => AuthType::BasicAuth,
        ClientAuth::Post => AuthType::RequestBody,
    };
    let mut oauth = oauth2::Client::new(ClientId::new(client.id.clone()))
        .set_token_uri(TokenUrl::from_url(token_url))
        .set_auth_type(auth_type);
    if let Some(secret) = &client.secret {
        oauth = oauth.set_client_secret(ClientSecret::new(secret.clone()));
    }
    Ok(oauth)
}

/// Exchanges an authorization code (already checked against `state`) for tokens.
pub(crate) fn exchange_code(
    http: &dyn Http,
    provider: &Provider,
    client: &Client,
    pending: &PendingAuthorization,
    code: &str,
    now: u64,
) -> Result<TokenSet, Error> {
    let oauth = oauth_client(provider, client)?;
    redirect_url(&pending.redirect_uri)?;
    let redirect = RedirectUrl::new(pending.redirect_uri.clone())
        .map_err(|_| Error::input("pending.redirect-uri: not an absolute URL"))?;
    let secrets = [
        code,
        pending.pkce_verifier.as_str(),
        pending.state.as_str(),
        pending.nonce.as_deref().unwrap_or_default(),
        client.secret.as_deref().unwrap_or_default(),
    ];
    let adapter = OAuthHttp::new(http);
    let mut request = oauth
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_redirect_uri(Cow::Owned(redirect));
    if provider.pkce {
        request = request.set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()));
    }
    let response = request
        .request(&adapter)
        .map_err(|error| map_request_error(error, &adapter, &secrets))?;

    let id_token = response.id_token.clone();
    if let (Some(id_token), Some(nonce)) = (&id_token, &pending.nonce) {
        let claims = id_token_claims(id_token, &["nonce"]);
        let received = claims.iter().flatten().find_map(Member::as_text);
        let matches = received
            .is_some_and(|received| bool::from(received.as_bytes().ct_eq(nonce.as_bytes())));
        if !matches {
            return Err(Error::InvalidResponse {
                status: 200,
                detail: "the ID token's nonce does not match the authorization request".into(),
            });
        }
    }
    Ok(TokenSet {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|token| token.secret().clone()),
        expires_at: expires_at(&response, now),
        scopes: granted_scopes(&response).unwrap_or_else(|| pending.scopes.clone()),
        account_email: id_token.as_deref().and_then(account_email),
        id_token,
    })
}

/// Uses the refresh token. The `scope` parameter is omitted (RFC 6749 §6 then
/// grants the scopes of the original authorization), except at Microsoft,
/// which gets the granted scopes.
pub fn refresh(
    http: &dyn Http,
    provider: &Provider,
    client: &Client,
    tokens: &TokenSet,
    now: u64,
) -> Result<TokenSet, Error> {
    let Some(refresh_token) = tokens
        .refresh_token
        .as_deref()
        .filter(|token| !token.is_empty())
    else {
        return Err(Error::ReauthorizeRequired(ProviderFailure {
            code: "no_refresh_token".into(),
            description: Some(
                "the token set has no refresh token: the user must authorize again".into(),
            ),
        }));
    };
    let oauth = oauth_client(provider, client)?;
    let secrets = [
        refresh_token,
        tokens.access_token.as_str(),
        tokens.id_token.as_deref().unwrap_or_default(),
        client.secret.as_deref().unwrap_or_default(),
    ];
    let adapter = OAuthHttp::new(http);
    let refresh_token = RefreshToken::new(refresh_token.to_owned());
    let mut request = oauth.exchange_refresh_token(&refresh_token);
    if is_microsoft(provider) {
        // Microsoft's documents disagree on whether `scope` is required on a
        // refresh; the granted scopes are always accepted.
        request = request.add_scopes(tokens.scopes.iter().cloned().map(Scope::new));
    }
    let response = request
        .request(&adapter)
        .map_err(|error| map_request_error(error, &adapter, &secrets))?;

    let id_token = response.id_token.clone();
    Ok(TokenSet {
        access_token: response.access_token().secret().clone(),
        // No refresh token in the answer: the old one stays valid. A new one: the
        // old one is rotated away.
        refresh_token: Some(response.refresh_token().map_or_else(
            || refresh_token.secret().clone(),
            |token| token.secret().clone(),
        )),
        expires_at: expires_at(&response, now),
        scopes: granted_scopes(&response).unwrap_or_else(|| tokens.scopes.clone()),
        account_email: id_token
            .as_deref()
            .and_then(account_email)
            .or_else(|| tokens.account_email.clone()),
        id_token: id_token.or_else(|| tokens.id_token.clone()),
    })
}

/// Refreshes only when the access token expires within `skew` seconds of `now`.
pub fn ensure_fresh(
    http: &dyn Http,
    provider: &Provider,
    client: &Client,
    tokens: &TokenSet,
    now: u64,
    skew: u32,
) -> Result<FreshTokens, Error> {
    match tokens.expires_at {
        Some(expires_at) if expires_at <= now.saturating_add(u64::from(skew)) => Ok(FreshTokens {
            tokens: refresh(http, provider, client, tokens, now)?,
            refreshed: true,
        }),
        _ => Ok(FreshTokens {
            tokens: tokens.clone(),
            refreshed: false,
        }),
    }
}

/// Revokes `token` (RFC 7009). Sent by hand rather than through `oauth2`, which
/// refuses a plain-HTTP endpoint even on loopback test servers.
pub fn revoke(
    http: &dyn Http,
    provider: &Provider,
    client: &Client,
    token: &str,
    kind: TokenKind,
) -> Result<(), Error> {
    let Some(endpoint) = provider.revocation_endpoint.as_deref() else {
        return Err(Error::Unsupported(format!(
            "{} has no revocation endpoint: remove the application's access in the \
             account's security settings (an admin can also revoke the user's sessions); \
             the tokens then stop working when they expire",
            provider.display_name
        )));
    };
    let url = endpoint_url("revocation-endpoint", endpoint)?;
    if token.is_empty() {
        return Err(Error::input("token: empty"));
    }
    if client.id.is_empty() {
        return Err(Error::input("client.id: empty"));
    }
    let hint = match kind {
        TokenKind::AccessToken => "access_token",
        TokenKind::RefreshToken => "refresh_token",
    };
    let request = form_request(
        provider,
        client,
        &url,
        &[("token", token), ("token_type_hint", hint)],
    );
    let response = http.send(request).map_err(Error::Http)?;
    if (200..300).contains(&response.status) {
        return Ok(());
    }
    let secrets = [token, client.secret.as_deref().unwrap_or_default()];
    Err(failed_response(response, "revocation endpoint", &secrets))
}

/// The error for a non-2xx answer of an endpoint the component calls by hand:
/// a "later" status, an OAuth error body, or an unusable response.
pub(crate) fn failed_response(response: HttpResponse, endpoint: &str, secrets: &[&str]) -> Error {
    let seen = SeenResponse::of(response);
    if let Some(error) = temporary(&seen) {
        return error;
    }
    if !(300..400).contains(&seen.status)
        && let Some((error, description)) = oauth_error_body(&seen.body)
    {
        return classify(&error, description.as_deref(), secrets);
    }
    unusable(&seen, endpoint, secrets)
}

/// A form POST to `url` with the client's authentication: HTTP Basic for a
/// confidential client of a `basic` provider, else `client_id` (and
/// `client_secret`) in the body.
pub(crate) fn form_request(
    provider: &Provider,
    client: &Client,
    url: &url::Url,
    pairs: &[(&str, &str)],
) -> HttpRequest {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        form.append_pair(name, value);
    }
    let mut headers = vec![
        Header::new("accept", "application/json"),
        Header::new("content-type", "application/x-www-form-urlencoded"),
    ];
    match (provider.client_auth, &client.secret) {
        (ClientAuth::Basic, Some(secret)) => {
            let id: String = form_urlencoded::byte_serialize(client.id.as_bytes()).collect();
            let secret: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            let credentials = STANDARD.encode(format!("{id}:{secret}"));
            headers.push(Header::new("authorization", format!("Basic {credentials}")));
        }
        (_, secret) => {
            form.append_pair("client_id", &client.id);
            if let Some(secret) = secret {
                form.append_pair("client_secret", secret);
            }
        }
    }
    HttpRequest {
        method: "POST".into(),
        url: url.to_string(),
        headers,
        body: form.finish().into_bytes(),
    }
}

/// Whether the token endpoint is Microsoft's identity platform.
fn is_microsoft(provider: &Provider) -> bool {
    provider.id == "microsoft"
        || url::Url::parse(&provider.token_endpoint)
            .is_ok_and(|url| url.host_str() == Some("login.microsoftonline.com"))
}

/// [`Error::TemporaryFailure`] when `seen` is a "later" status (with its
/// `Retry-After`), else `None`.
fn temporary(seen: &SeenResponse) -> Option<Error> {
    if !LATER_STATUSES.contains(&seen.status) {
        return None;
    }
    let retry = seen
        .retry_after
        .as_deref()
        .map(|value| format!(", retry after {}", excerpt(value.as_bytes(), &[])))
        .unwrap_or_default();
    Some(Error::TemporaryFailure(format!(
        "the provider answered HTTP {}{retry}",
        seen.status
    )))
}

/// The token set of a grant that is not the code flow: client credentials or
/// the device flow. `requested` stands in for the scopes when the response
/// names none.
pub(crate) fn token_set(response: &MailTokenResponse, requested: &[String], now: u64) -> TokenSet {
    let id_token = response.id_token.clone();
    TokenSet {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|token| token.secret().clone()),
        expires_at: expires_at(response, now),
        scopes: granted_scopes(response).unwrap_or_else(|| requested.to_vec()),
        account_email: id_token.as_deref().and_then(account_email),
        id_token,
    }
}

/// The client credentials grant (RFC 6749 §4.4): app-only tokens for a
/// confidential client.
pub fn client_credentials(
    http: &dyn Http,
    provider: &Provider,
    client: &Client,
    scopes: &[String],
    now: u64,
) -> Result<TokenSet, Error> {
    if client.secret.as_deref().is_none_or(str::is_empty) {
        return Err(Error::input(
            "client.secret: the client credentials grant needs a confidential client",
        ));
    }
    if client.id.is_empty() {
        return Err(Error::input("client.id: empty"));
    }
    let scopes = crate::providers::requested_scopes(provider, scopes)?;
    let url = endpoint_url("token-endpoint", &provider.token_endpoint)?;
    let scope = scopes.join(" ");
    let pairs = [
        ("grant_type", "client_credentials"),
        ("scope", scope.as_str()),
    ];
    let secrets = [client.secret.as_deref().unwrap_or_default()];
    match grant(http, provider, client, &url, &pairs)? {
        // App-only tokens are granted again, never refreshed (RFC 6749
        // §4.4.3: a refresh token SHOULD NOT be included).
        Ok(response) => Ok(TokenSet {
            refresh_token: None,
            ..token_set(&response, &scopes, now)
        }),
        Err(response) => Err(failed_response(response, "token endpoint", &secrets)),
    }
}

/// A token request sent by hand (client credentials, device polling): the
/// token response of a 200, or the answer to map when it is anything else.
pub(crate) fn grant(
    http: &dyn Http,
    provider: &Provider,
    client: &Client,
    url: &url::Url,
    pairs: &[(&str, &str)],
) -> Result<Result<MailTokenResponse, HttpResponse>, Error> {
    let response = http
        .send(form_request(provider, client, url, pairs))
        .map_err(Error::Http)?;
    if response.status != 200 {
        return Ok(Err(response));
    }
    Ok(MailTokenResponse::parse(&response.body).ok_or(response))
}

/// An OAuth error response (RFC 6749 §5.2): `error`, a string, and
/// `error_description`, a string or `null` when present.
fn oauth_error_body(body: &[u8]) -> Option<(String, Option<String>)> {
    let mut members = object_members_once(body, &["error", "error_description"]).ok()??;
    let Some(Member::Text(error)) = members[0].take() else {
        return None;
    };
    let description = match members[1].take() {
        None | Some(Member::Null) => None,
        Some(Member::Text(text)) => Some(text),
        Some(_) => return None,
    };
    Some((error, description))
}

fn expires_at(response: &MailTokenResponse, now: u64) -> Option<u64> {
    response
        .expires_in()
        .map(|expires_in| now.saturating_add(expires_in.as_secs()))
}

fn granted_scopes(response: &MailTokenResponse) -> Option<Vec<String>> {
    response
        .scopes()
        .map(|scopes| {
            scopes
                .iter()
                .map(|scope| scope.to_string())
                .collect::<Vec<_>>()
        })
        .filter(|scopes| !scopes.is_empty())
}

/// The claims `names` of a JWT, decoded and NOT verified; empty when the token
/// is not a JWT with a JSON object as its payload.
pub(crate) fn id_token_claims(id_token: &str, names: &[&str]) -> Vec<Option<Member>> {
    let Some(payload) = id_token.split('.').nth(1) else {
        return Vec::new();
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')) else {
        return Vec::new();
    };
    object_members(&bytes, names)
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// The account named by an ID token: `email`, else Microsoft's
/// `preferred_username` or `upn`.
fn account_email(id_token: &str) -> Option<String> {
    id_token_claims(id_token, &["email", "preferred_username", "upn"])
        .iter()
        .flatten()
        .filter_map(Member::as_text)
        .find(|value| !value.is_empty())
        .map(str::to_owned)
}

/// Maps an OAuth error (`error`, `error_description`) onto the case the host acts on.
pub(crate) fn classify(code: &str, description: Option<&str>, secrets: &[&str]) -> Error {
    let failure = ProviderFailure {
        code: scrub_known(code, secrets),
        description: description.map(|text| scrub_description(text, secrets)),
    };
    let dead = DEAD_GRANT_CODES.contains(&code)
        || description
            .is_some_and(|text| aadsts_codes(text).any(|c| DEAD_GRANT_AADSTS.contains(&c)));
    if dead {
        Error::ReauthorizeRequired(failure)
    } else if code == "temporarily_unavailable" {
        Error::TemporaryFailure(failure.description.unwrap_or(failure.code))
    } else {
        Error::ProviderError(failure)
    }
}

/// Every `AADSTS<digits>` code in a Microsoft error description.
fn aadsts_codes(text: &str) -> impl Iterator<Item = u32> + '_ {
    text.match_indices("AADSTS").filter_map(|(at, prefix)| {
        let digits: String = text[at + prefix.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}

fn map_request_error(
    error: RequestTokenError<AdapterError, MailErrorResponse>,
    adapter: &OAuthHttp<'_>,
    secrets: &[&str],
) -> Error {
    // `oauth2`'s own messages drop the host's failure: it is the request error's
    // source. Matched directly rather than through `dyn Error`, whose vtables would
    // link every `Debug` and `Display` of the error chain.
    if let Some(seen) = adapter.last_response()
        && let Some(error) = temporary(&seen)
    {
        return error;
    }
    match error {
        RequestTokenError::Request(AdapterError::Host(host)) => Error::Http(host),
        RequestTokenError::ServerResponse(response) => classify(
            &response.error,
            response.error_description.as_deref(),
            secrets,
        ),
        _ => match adapter.last_response() {
            Some(seen) => unusable(&seen, "token endpoint", secrets),
            None => Error::input("client: the token request could not be built"),
        },
    }
}

/// An [`Error::InvalidResponse`] saying why `seen` is not a usable answer.
fn unusable(seen: &SeenResponse, endpoint: &str, secrets: &[&str]) -> Error {
    let status = seen.status;
    let json_type = seen.content_type.as_deref().is_none_or(|ct| {
        ct.trim_start()
            .to_ascii_lowercase()
            .starts_with("application/json")
    });
    let reason = if (300..400).contains(&status) {
        "a redirect, which is never followed".to_owned()
    } else if status >= 500 {
        "a server error".to_owned()
    } else if status != 200 {
        "an error that is not an OAuth error response".to_owned()
    } else if !json_type {
        let content_type = seen.content_type.as_deref().unwrap_or_default();
        format!(
            "a non-JSON content-type ({})",
            excerpt(content_type.as_bytes(), secrets)
        )
    } else if seen.body.is_empty() {
        "an empty body".to_owned()
    } else {
        match object_members(&seen.body, &["access_token"]) {
            Err(()) => "invalid JSON".to_owned(),
            Ok(Some(members)) if !matches!(members.first(), Some(Some(Member::Text(_)))) => {
                "JSON without an access_token".to_owned()
            }
            Ok(_) => "JSON that is not an RFC 6749 token response".to_owned(),
        }
    };
    let body = if seen.body.is_empty() {
        "(empty body)".to_owned()
    } else {
        format!("body: {}", excerpt(&seen.body, secrets))
    };
    Error::InvalidResponse {
        status,
        detail: format!("the {endpoint} answered HTTP {status} with {reason}; {body}"),
    }
}
