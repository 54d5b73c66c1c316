//! The preset providers (Google, Microsoft) and the URL checks every provider,
//! preset or host-built, goes through before use.

use url::Url;

use crate::error::Error;
use crate::transport::Security;
use crate::types::{ClientAuth, MailProtocol, MailServer, PresetKind, Provider, Server};

/// Google's mail scope plus what identifies the account.
const GOOGLE_SCOPES: [&str; 3] = ["https://mail.google.com/", "openid", "email"];

/// Exchange Online's IMAP, POP and SMTP scopes, a refresh token, and the account.
const MICROSOFT_SCOPES: [&str; 6] = [
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/POP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
    "offline_access",
    "openid",
    "email",
];

/// A preset's mail server.
fn mail_server(protocol: MailProtocol, host: &str, port: u16, security: Security) -> MailServer {
    MailServer {
        protocol,
        server: Server {
            host: host.to_owned(),
            port,
            security,
        },
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

/// Google (Gmail over IMAP, POP3, SMTP). `access_type=offline` and
/// `prompt=consent` make Google issue a refresh token on every consent, not only
/// the first.
pub fn google() -> Provider {
    Provider {
        id: "google".into(),
        display_name: "Google (Gmail)".into(),
        issuer: Some("https://accounts.google.com".into()),
        authorization_endpoint: "https://accounts.google.com/o/oauth2/v2/auth".into(),
        token_endpoint: "https://oauth2.googleapis.com/token".into(),
        revocation_endpoint: Some("https://oauth2.googleapis.com/revoke".into()),
        default_scopes: strings(&GOOGLE_SCOPES),
        extra_parameters: vec![
            ("access_type".into(), "offline".into()),
            ("prompt".into(), "consent".into()),
        ],
        client_auth: ClientAuth::Post,
        mail_servers: vec![
            mail_server(
                MailProtocol::Imap,
                "imap.gmail.com",
                993,
                Security::ImplicitTls,
            ),
            mail_server(
                MailProtocol::Pop3,
                "pop.gmail.com",
                995,
                Security::ImplicitTls,
            ),
            mail_server(
                MailProtocol::Smtp,
                "smtp.gmail.com",
                587,
                Security::Starttls,
            ),
            mail_server(
                MailProtocol::Smtp,
                "smtp.gmail.com",
                465,
                Security::ImplicitTls,
            ),
        ],
    }
}

/// Microsoft identity platform v2 for `tenant` (`common`, `organizations`,
/// `consumers`, a tenant GUID or a verified domain). Only a GUID tenant has a
/// fixed issuer: the multi-tenant endpoints answer with the user's own tenant.
pub fn microsoft(tenant: &str) -> Result<Provider, Error> {
    let valid = !tenant.is_empty()
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if !valid {
        return Err(Error::input(
            "tenant: must be common, organizations, consumers, a tenant id or a domain",
        ));
    }
    Ok(microsoft_checked(tenant))
}

/// [`microsoft`] for a tenant already checked.
fn microsoft_checked(tenant: &str) -> Provider {
    let base = format!("https://login.microsoftonline.com/{tenant}");
    Provider {
        id: "microsoft".into(),
        display_name: "Microsoft 365 / Outlook.com".into(),
        issuer: is_guid(tenant).then(|| format!("{base}/v2.0")),
        authorization_endpoint: format!("{base}/oauth2/v2.0/authorize"),
        token_endpoint: format!("{base}/oauth2/v2.0/token"),
        revocation_endpoint: None,
        default_scopes: strings(&MICROSOFT_SCOPES),
        extra_parameters: Vec::new(),
        client_auth: ClientAuth::Post,
        mail_servers: vec![
            mail_server(
                MailProtocol::Imap,
                "outlook.office365.com",
                993,
                Security::ImplicitTls,
            ),
            mail_server(
                MailProtocol::Pop3,
                "outlook.office365.com",
                995,
                Security::ImplicitTls,
            ),
            mail_server(
                MailProtocol::Smtp,
                "smtp.office365.com",
                587,
                Security::Starttls,
            ),
        ],
    }
}

/// Builds the preset named by `kind`.
pub fn preset(kind: &PresetKind) -> Result<Provider, Error> {
    match kind {
        PresetKind::Google => Ok(google()),
        PresetKind::Microsoft(tenant) => microsoft(tenant),
    }
}

/// The built-in presets: Google and Microsoft (tenant `common`).
pub fn providers() -> Vec<Provider> {
    vec![google(), microsoft_checked("common")]
}

/// `8-4-4-4-12` hex digits.
fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Parses an endpoint or redirect URL: absolute, `http`/`https`, with a host, no
/// fragment. The error names `field`, never the value (it may be anything).
pub(crate) fn endpoint_url(field: &str, value: &str) -> Result<Url, Error> {
    let url =
        Url::parse(value).map_err(|_| Error::input(format!("{field}: not an absolute URL")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::input(format!(
            "{field}: must be an http or https URL"
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::input(format!("{field}: has no host")));
    }
    if url.fragment().is_some() {
        return Err(Error::input(format!("{field}: must not have a fragment")));
    }
    Ok(url)
}

/// Parses the client's redirect URI. Besides `http`/`https`, a private-use scheme
/// (`com.example.app:/cb`, RFC 8252 §7.1) is allowed; a fragment never is.
pub(crate) fn redirect_url(value: &str) -> Result<Url, Error> {
    let url = Url::parse(value).map_err(|_| Error::input("redirect-uri: not an absolute URL"))?;
    if matches!(url.scheme(), "http" | "https") && url.host_str().is_none_or(str::is_empty) {
        return Err(Error::input("redirect-uri: has no host"));
    }
    if url.fragment().is_some() {
        return Err(Error::input("redirect-uri: must not have a fragment"));
    }
    Ok(url)
}
