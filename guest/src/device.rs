//! The device authorization grant (RFC 8628): for hosts with no browser and no
//! reachable redirect URI. The user approves on any other device; the host
//! polls. Stateless: the host keeps the [`DeviceAuthorization`] and the
//! interval between polls.

use crate::error::Error;
use crate::http::Http;
use crate::json::{Member, object_members_once};
use crate::providers::{endpoint_url, requested_scopes};
use crate::redact::scrub_description;
use crate::token::{failed_response, form_request, grant, token_set};
use crate::types::{AuthorizationOptions, Client, DeviceAuthorization, DevicePoll, Provider};

/// The grant type of a device access token request (RFC 8628 §3.4).
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The interval when the provider names none (RFC 8628 §3.2).
const DEFAULT_INTERVAL: u32 = 5;

/// What `slow_down` adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN: u32 = 5;

/// Whether `scope` is one of Google's mail scopes, which its device flow
/// refuses.
fn google_mail_scope(scope: &str) -> bool {
    scope == "https://mail.google.com/"
        || scope.starts_with("https://www.googleapis.com/auth/gmail")
}

/// Whether `provider` is Google's authorization server.
fn is_google(provider: &Provider) -> bool {
    provider.id == "google"
        || url::Url::parse(&provider.token_endpoint)
            .is_ok_and(|url| url.host_str() == Some("oauth2.googleapis.com"))
}

/// Starts a device authorization at the provider's device endpoint.
pub fn begin_device_authorization(
    http: &dyn Http,
    provider: &Provider,
    client: &Client,
    options: &AuthorizationOptions,
    now: u64,
) -> Result<DeviceAuthorization, Error> {
    let Some(endpoint) = provider.device_authorization_endpoint.as_deref() else {
        return Err(Error::Unsupported(format!(
            "{} offers no device flow: authorize on a machine with a browser (loopback \
             redirect), or use the two-step mode (open the URL anywhere, paste the callback)",
            provider.display_name
        )));
    };
    let scopes = requested_scopes(provider, &options.scopes)?;
    if is_google(provider) && scopes.iter().any(|s| google_mail_scope(s)) {
        return Err(Error::Unsupported(
            "Google refuses mail scopes in the device flow: authorize on a machine with a \
             browser (loopback redirect), or use the two-step mode (open the URL anywhere, \
             paste the callback)"
                .into(),
        ));
    }
    let url = endpoint_url("device-authorization-endpoint", endpoint)?;
    endpoint_url("token-endpoint", &provider.token_endpoint)?;
    if client.id.is_empty() {
        return Err(Error::input("client.id: empty"));
    }
    let scope = scopes.join(" ");
    let request = form_request(provider, client, &url, &[("scope", &scope)]);
    let response = http.send(request).map_err(Error::Http)?;
    let secrets = [client.secret.as_deref().unwrap_or_default()];
    if response.status != 200 {
        return Err(failed_response(
            response,
            "device authorization endpoint",
            &secrets,
        ));
    }
    match device_response(&response.body, now, scopes) {
        Some(device) => Ok(device),
        None => Err(Error::InvalidResponse {
            status: 200,
            detail: "the device authorization endpoint's answer is not an RFC 8628 \
                     response (device_code, user_code, verification_uri, expires_in)"
                .into(),
        }),
    }
}

/// Reads an RFC 8628 §3.2 response; Google's `verification_url` stands for
/// `verification_uri`.
fn device_response(body: &[u8], now: u64, scopes: Vec<String>) -> Option<DeviceAuthorization> {
    let mut members = object_members_once(
        body,
        &[
            "device_code",
            "user_code",
            "verification_uri",
            "verification_url",
            "verification_uri_complete",
            "expires_in",
            "interval",
        ],
    )
    .ok()??;
    let mut text = |at: usize| match members[at].take() {
        None | Some(Member::Null) => Some(None),
        Some(Member::Text(text)) if !text.is_empty() => Some(Some(text)),
        Some(_) => None,
    };
    let device_code = text(0)??;
    let user_code = text(1)??;
    let verification_uri = match text(2)? {
        Some(uri) => uri,
        None => text(3)??,
    };
    let verification_uri_complete = text(4)?;
    endpoint_url("verification_uri", &verification_uri).ok()?;
    if let Some(complete) = &verification_uri_complete {
        endpoint_url("verification_uri_complete", complete).ok()?;
    }
    let mut number = |at: usize| match members[at].take() {
        None | Some(Member::Null) => Some(None),
        Some(Member::Number(number)) => number.parse::<u64>().ok().map(Some),
        Some(_) => None,
    };
    let expires_in = number(5)??;
    let interval = number(6)?.map_or(DEFAULT_INTERVAL, |secs| {
        u32::try_from(secs).unwrap_or(u32::MAX)
    });
    Some(DeviceAuthorization {
        user_code,
        verification_uri,
        verification_uri_complete,
        expires_at: now.saturating_add(expires_in),
        interval: interval.max(1),
        device_code,
        scopes,
    })
}

/// Polls the token endpoint once for `device`.
pub fn poll_device_authorization(
    http: &dyn Http,
    provider: &Provider,
    client: &Client,
    device: &DeviceAuthorization,
    now: u64,
) -> Result<DevicePoll, Error> {
    if now >= device.expires_at {
        return Err(Error::DeviceExpired);
    }
    if device.device_code.is_empty() {
        return Err(Error::input("device.device-code: empty"));
    }
    if client.id.is_empty() {
        return Err(Error::input("client.id: empty"));
    }
    let url = endpoint_url("token-endpoint", &provider.token_endpoint)?;
    let pairs = [
        ("grant_type", DEVICE_GRANT),
        ("device_code", device.device_code.as_str()),
    ];
    let response = match grant(http, provider, client, &url, &pairs)? {
        Ok(tokens) => return Ok(DevicePoll::Granted(token_set(&tokens, &device.scopes, now))),
        Err(response) => response,
    };
    let secrets = [
        device.device_code.as_str(),
        client.secret.as_deref().unwrap_or_default(),
    ];
    if let Ok(Some(mut members)) =
        object_members_once(&response.body, &["error", "error_description"])
        && let Some(Member::Text(code)) = members[0].take()
    {
        let description = match members[1].take() {
            Some(Member::Text(text)) => Some(scrub_description(&text, &secrets)),
            _ => None,
        };
        match code.as_str() {
            "authorization_pending" => return Ok(DevicePoll::Pending(device.interval.max(1))),
            "slow_down" => {
                return Ok(DevicePoll::Pending(
                    device.interval.max(1).saturating_add(SLOW_DOWN),
                ));
            }
            "expired_token" => return Err(Error::DeviceExpired),
            "access_denied" | "authorization_declined" => {
                return Err(Error::AccessDenied(description));
            }
            _ => {}
        }
    }
    Err(failed_response(response, "token endpoint", &secrets))
}
