//! Building a provider from its issuer: OpenID Connect Discovery, falling back to
//! RFC 8414 authorization server metadata.

use url::Url;

use crate::error::Error;
use crate::http::{Header, Http, HttpRequest, HttpResponse};
use crate::json::{Member, object_members_once};
use crate::providers::endpoint_url;
use crate::redact::excerpt;
use crate::types::{ClientAuth, Provider};

/// The members of either metadata document that a provider needs.
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    revocation_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// Why a metadata document was not usable.
struct Unusable {
    status: u16,
    detail: String,
}

/// Fetches `<issuer>/.well-known/openid-configuration`, or, when that is not
/// usable, `https://host/.well-known/oauth-authorization-server<path>` (RFC 8414),
/// and builds a provider asking for `openid email offline_access` by default.
pub fn discover(http: &dyn Http, issuer: &str) -> Result<Provider, Error> {
    let issuer_url = endpoint_url("issuer", issuer)?;
    if issuer_url.query().is_some() {
        return Err(Error::input("issuer: must not have a query"));
    }
    let oidc = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let first = match fetch(http, &oidc)? {
        Ok(metadata) => return provider(issuer, &issuer_url, metadata),
        Err(unusable) => unusable,
    };
    let mut rfc8414 = issuer_url.clone();
    let path = issuer_url.path().trim_end_matches('/');
    rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    match fetch(http, rfc8414.as_str())? {
        Ok(metadata) => provider(issuer, &issuer_url, metadata),
        Err(second) => Err(Error::InvalidResponse {
            status: second.status,
            detail: format!(
                "no usable metadata: openid-configuration answered HTTP {} with {}; \
                 oauth-authorization-server answered HTTP {} with {}",
                first.status, first.detail, second.status, second.detail
            ),
        }),
    }
}

/// GETs one metadata document. The outer error is the host's failure; the inner
/// one says why the answer is not a metadata document.
fn fetch(http: &dyn Http, url: &str) -> Result<Result<Metadata, Unusable>, Error> {
    let response: HttpResponse = http
        .send(HttpRequest {
            method: "GET".into(),
            url: url.to_owned(),
            headers: vec![Header::new("accept", "application/json")],
            body: Vec::new(),
        })
        .map_err(Error::Http)?;
    let status = response.status;
    let unusable = |why: &str| Unusable {
        status,
        detail: if response.body.is_empty() {
            format!("{why} (empty body)")
        } else {
            format!("{why} (body: {})", excerpt(&response.body, &[]))
        },
    };
    if status != 200 {
        return Ok(Err(unusable("an unexpected status")));
    }
    Ok(metadata(&response.body).ok_or_else(|| {
        unusable("no JSON metadata with issuer, authorization_endpoint and token_endpoint")
    }))
}

/// Reads the metadata members as a `#[derive(Deserialize)]` struct would: the
/// three endpoints are required strings, the revocation and device endpoints
/// optional strings, the auth methods an optional array of strings (`null` is absent).
fn metadata(body: &[u8]) -> Option<Metadata> {
    let mut members = object_members_once(
        body,
        &[
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "revocation_endpoint",
            "token_endpoint_auth_methods_supported",
            "device_authorization_endpoint",
        ],
    )
    .ok()??;
    let mut required = |at: usize| match members[at].take() {
        Some(Member::Text(text)) => Some(text),
        _ => None,
    };
    let issuer = required(0)?;
    let authorization_endpoint = required(1)?;
    let token_endpoint = required(2)?;
    let mut optional = |at: usize| match members[at].take() {
        None | Some(Member::Null) => Some(None),
        Some(Member::Text(text)) => Some(Some(text)),
        Some(_) => None,
    };
    let revocation_endpoint = optional(3)?;
    let device_authorization_endpoint = optional(5)?;
    let token_endpoint_auth_methods_supported = match members[4].take() {
        None | Some(Member::Null) => None,
        Some(Member::Texts(methods)) => Some(methods),
        Some(_) => return None,
    };
    Some(Metadata {
        issuer,
        authorization_endpoint,
        token_endpoint,
        revocation_endpoint,
        device_authorization_endpoint,
        token_endpoint_auth_methods_supported,
    })
}

fn provider(issuer: &str, issuer_url: &Url, metadata: Metadata) -> Result<Provider, Error> {
    if metadata.issuer != issuer {
        return Err(Error::IssuerMismatch {
            expected: issuer.to_owned(),
            received: metadata.issuer,
        });
    }
    let invalid = |field: &str| Error::InvalidResponse {
        status: 200,
        detail: format!("the metadata's {field} is not a usable http(s) URL"),
    };
    endpoint_url("authorization_endpoint", &metadata.authorization_endpoint)
        .map_err(|_| invalid("authorization_endpoint"))?;
    endpoint_url("token_endpoint", &metadata.token_endpoint)
        .map_err(|_| invalid("token_endpoint"))?;
    if let Some(revocation) = &metadata.revocation_endpoint {
        endpoint_url("revocation_endpoint", revocation)
            .map_err(|_| invalid("revocation_endpoint"))?;
    }
    if let Some(device) = &metadata.device_authorization_endpoint {
        endpoint_url("device_authorization_endpoint", device)
            .map_err(|_| invalid("device_authorization_endpoint"))?;
    }
    let client_auth = match &metadata.token_endpoint_auth_methods_supported {
        Some(methods) if !methods.iter().any(|m| m == "client_secret_basic") => ClientAuth::Post,
        _ => ClientAuth::Basic,
    };
    Ok(Provider {
        id: issuer_url.host_str().unwrap_or_default().to_owned(),
        display_name: issuer.to_owned(),
        issuer: Some(issuer.to_owned()),
        authorization_endpoint: metadata.authorization_endpoint,
        token_endpoint: metadata.token_endpoint,
        device_authorization_endpoint: metadata.device_authorization_endpoint,
        revocation_endpoint: metadata.revocation_endpoint,
        default_scopes: ["openid", "email", "offline_access"]
            .map(str::to_owned)
            .to_vec(),
        extra_parameters: Vec::new(),
        client_auth,
        pkce: true,
        mail_servers: Vec::new(),
    })
}
