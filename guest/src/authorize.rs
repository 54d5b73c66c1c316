//! The authorization-code flow with PKCE: building the authorization URL and
//! checking the callback before the code is exchanged.

use base64::Engine as _;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};
use subtle::ConstantTimeEq as _;
use url::{Url, form_urlencoded};

use crate::error::Error;
use crate::http::Http;
use crate::providers::{endpoint_url, redirect_url, requested_scopes};
use crate::redact::{scrub_description, scrub_known};
use crate::token;
use crate::types::{AuthorizationOptions, Client, PendingAuthorization, Provider, TokenSet};

/// Parameters the component sets itself; a provider may not override them.
const RESERVED_PARAMETERS: [&str; 9] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "login_hint",
];

/// Callback parameters that may be named in an error (others are arbitrary text).
const KNOWN_CALLBACK_PARAMETERS: [&str; 6] = [
    "code",
    "state",
    "iss",
    "error",
    "error_description",
    "error_uri",
];

/// Builds the authorization URL with a fresh `state`, a PKCE S256 challenge and,
/// when `openid` is requested, a nonce. Makes no request.
pub fn begin_authorization(
    provider: &Provider,
    client: &Client,
    options: &AuthorizationOptions,
) -> Result<PendingAuthorization, Error> {
    let auth_url = endpoint_url("authorization-endpoint", &provider.authorization_endpoint)?;
    endpoint_url("token-endpoint", &provider.token_endpoint)?;
    redirect_url(&client.redirect_uri)?;
    if client.id.is_empty() {
        return Err(Error::input("client.id: empty"));
    }
    let scopes = requested_scopes(provider, &options.scopes)?;
    for (name, _) in &provider.extra_parameters {
        if RESERVED_PARAMETERS.contains(&name.as_str()) {
            return Err(Error::input(format!(
                "provider.extra-parameters: {name} is set by the component"
            )));
        }
    }
    let redirect = RedirectUrl::new(client.redirect_uri.clone())
        .map_err(|_| Error::input("redirect-uri: not an absolute URL"))?;
    let oauth = BasicClient::new(ClientId::new(client.id.clone()))
        .set_auth_uri(AuthUrl::from_url(auth_url))
        .set_redirect_uri(redirect);

    let verifier = PkceCodeVerifier::new(random_token(32)?);
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    let nonce = scopes
        .iter()
        .any(|scope| scope == "openid")
        .then(|| random_token(16))
        .transpose()?;
    let state = CsrfToken::new(random_token(16)?);
    let mut request = oauth
        .authorize_url(|| state.clone())
        .add_scopes(scopes.iter().cloned().map(Scope::new));
    if provider.pkce {
        request = request.set_pkce_challenge(challenge);
    }
    if let Some(nonce) = &nonce {
        request = request.add_extra_param("nonce", nonce.clone());
    }
    if let Some(hint) = &options.login_hint {
        request = request.add_extra_param("login_hint", hint.clone());
    }
    for (name, value) in &provider.extra_parameters {
        request = request.add_extra_param(name.clone(), value.clone());
    }
    let (url, state) = request.url();
    Ok(PendingAuthorization {
        url: url.into(),
        state: state.into_secret(),
        pkce_verifier: verifier.into_secret(),
        nonce,
        redirect_uri: client.redirect_uri.clone(),
        scopes,
    })
}

/// Finishes the flow from the callback (a full URL or its query string): checks
/// `state` first (constant time), then `iss`, `error`, `code` and where the
/// callback came back to, then exchanges the code.
pub fn complete_authorization(
    http: &dyn Http,
    provider: &Provider,
    client: &Client,
    pending: &PendingAuthorization,
    callback: &str,
    now: u64,
) -> Result<TokenSet, Error> {
    let callback = callback.trim();
    let (full_url, query) = match Url::parse(callback) {
        Ok(url) => {
            let query = url.query().unwrap_or_default().to_owned();
            (Some(url), query)
        }
        Err(_) => (
            None,
            callback.strip_prefix('?').unwrap_or(callback).to_owned(),
        ),
    };
    let mut params: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if params.iter().any(|(seen, _)| *seen == name) {
            let what = if KNOWN_CALLBACK_PARAMETERS.contains(&name.as_ref()) {
                format!("callback: the parameter {name} appears more than once")
            } else {
                "callback: a parameter appears more than once".to_owned()
            };
            return Err(Error::InvalidInput(what));
        }
        params.push((name.into_owned(), value.into_owned()));
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };

    // Neither state, code nor error: not a callback at all (a garbage paste),
    // as opposed to a callback whose state is missing or wrong.
    if ["state", "code", "error"]
        .iter()
        .all(|name| get(name).is_none())
    {
        return Err(Error::input(
            "callback: not a callback URL or query string (no state, code or error parameter)",
        ));
    }
    let state_ok = get("state")
        .is_some_and(|state| bool::from(state.as_bytes().ct_eq(pending.state.as_bytes())));
    if !state_ok {
        return Err(Error::StateMismatch);
    }
    if let (Some(received), Some(expected)) = (get("iss"), &provider.issuer)
        && received != expected
    {
        return Err(Error::IssuerMismatch {
            expected: expected.clone(),
            received: received.to_owned(),
        });
    }
    let secrets = [
        pending.state.as_str(),
        pending.pkce_verifier.as_str(),
        pending.nonce.as_deref().unwrap_or_default(),
        get("code").unwrap_or_default(),
        client.secret.as_deref().unwrap_or_default(),
    ];
    if let Some(code) = get("error") {
        let description = get("error_description").map(|text| scrub_description(text, &secrets));
        return Err(if code == "access_denied" {
            Error::AccessDenied(description)
        } else if code == "temporarily_unavailable" {
            Error::TemporaryFailure(description.unwrap_or_else(|| code.to_owned()))
        } else {
            Error::ProviderError(crate::ProviderFailure {
                code: scrub_known(code, &secrets),
                description,
            })
        });
    }
    let Some(code) = get("code").filter(|code| !code.is_empty()) else {
        return Err(Error::input("callback: has no code"));
    };
    if let Some(url) = full_url {
        let expected = redirect_url(&pending.redirect_uri)?;
        let same = url.scheme() == expected.scheme()
            && url.host_str() == expected.host_str()
            && url.port_or_known_default() == expected.port_or_known_default()
            && url.path() == expected.path();
        if !same {
            return Err(Error::input(
                "callback: does not come back to the redirect URI",
            ));
        }
    }
    token::exchange_code(http, provider, client, pending, code, now)
}

/// `len` random bytes, base64url: 16 bytes (128 bits) for `state` and the nonce,
/// 32 for the PKCE verifier (43 characters, RFC 7636 §4.1).
fn random_token(len: usize) -> Result<String, Error> {
    let mut bytes = vec![0u8; len];
    // Without randomness no flow is safe; the host's WASI random failed.
    getrandom::fill(&mut bytes)
        .map_err(|_| Error::input("randomness: unavailable from the host"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}
