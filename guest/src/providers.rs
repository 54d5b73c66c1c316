//! The preset providers (Google, Microsoft and the other providers of
//! Thunderbird's table), the host-name lookup that finds them, and the URL
//! checks every provider, preset or host-built, goes through before use.
//!
//! Endpoints, scopes and hosts are those of Thunderbird's
//! `OAuth2Providers.sys.mjs` and of each provider's own documents.

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

use MailProtocol::{Imap, Pop3, Smtp};
use Security::{ImplicitTls, Starttls};

/// A preset's mail servers, as (protocol, host, port, security).
type Servers<'a> = &'a [(MailProtocol, &'a str, u16, Security)];

/// Builds a preset from its parts; every preset but Microsoft's tenant-bound
/// one is a constant table row.
#[expect(clippy::too_many_arguments, reason = "one row of the preset table")]
fn preset_of(
    id: &str,
    display_name: &str,
    issuer: Option<&str>,
    endpoints: [&str; 2],
    device: Option<&str>,
    revocation: Option<&str>,
    scopes: &[&str],
    servers: Servers<'_>,
) -> Provider {
    Provider {
        id: id.to_owned(),
        display_name: display_name.to_owned(),
        issuer: issuer.map(str::to_owned),
        authorization_endpoint: endpoints[0].to_owned(),
        token_endpoint: endpoints[1].to_owned(),
        device_authorization_endpoint: device.map(str::to_owned),
        revocation_endpoint: revocation.map(str::to_owned),
        default_scopes: strings(scopes),
        extra_parameters: Vec::new(),
        client_auth: ClientAuth::Post,
        pkce: true,
        mail_servers: servers
            .iter()
            .map(|&(protocol, host, port, security)| MailServer {
                protocol,
                server: Server {
                    host: host.to_owned(),
                    port,
                    security,
                },
            })
            .collect(),
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

/// Google (Gmail over IMAP, POP3, SMTP and the Gmail API). `access_type=offline`
/// and `prompt=consent` make Google issue a refresh token on every consent, not
/// only the first. Google has a device endpoint, but refuses mail scopes there.
pub fn google() -> Provider {
    let mut provider = preset_of(
        "google",
        "Google (Gmail)",
        Some("https://accounts.google.com"),
        [
            "https://accounts.google.com/o/oauth2/v2/auth",
            "https://oauth2.googleapis.com/token",
        ],
        Some("https://oauth2.googleapis.com/device/code"),
        Some("https://oauth2.googleapis.com/revoke"),
        &GOOGLE_SCOPES,
        &[
            (Imap, "imap.gmail.com", 993, ImplicitTls),
            (Pop3, "pop.gmail.com", 995, ImplicitTls),
            (Smtp, "smtp.gmail.com", 587, Starttls),
            (Smtp, "smtp.gmail.com", 465, ImplicitTls),
        ],
    );
    provider.extra_parameters = vec![
        ("access_type".into(), "offline".into()),
        ("prompt".into(), "consent".into()),
    ];
    provider
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
    let issuer = is_guid(tenant).then(|| format!("{base}/v2.0"));
    preset_of(
        "microsoft",
        "Microsoft 365 / Outlook.com",
        issuer.as_deref(),
        [
            &format!("{base}/oauth2/v2.0/authorize"),
            &format!("{base}/oauth2/v2.0/token"),
        ],
        Some(&format!("{base}/oauth2/v2.0/devicecode")),
        None,
        &MICROSOFT_SCOPES,
        &[
            (Imap, "outlook.office365.com", 993, ImplicitTls),
            (Pop3, "outlook.office365.com", 995, ImplicitTls),
            (Smtp, "smtp.office365.com", 587, Starttls),
        ],
    )
}

/// Yahoo's and AOL's shared login platform (`api.login.<domain>`), scope `mail-w`.
fn yahoo_platform(id: &str, display_name: &str, domain: &str, servers: Servers<'_>) -> Provider {
    preset_of(
        id,
        display_name,
        None,
        [
            &format!("https://api.login.{domain}/oauth2/request_auth"),
            &format!("https://api.login.{domain}/oauth2/get_token"),
        ],
        None,
        None,
        &["mail-w"],
        servers,
    )
}

/// Builds the preset named by `kind`.
pub fn preset(kind: &PresetKind) -> Result<Provider, Error> {
    Ok(match kind {
        PresetKind::Google => google(),
        PresetKind::Microsoft(tenant) => microsoft(tenant)?,
        PresetKind::Yahoo => yahoo_platform(
            "yahoo",
            "Yahoo Mail",
            "yahoo.com",
            &[
                (Imap, "imap.mail.yahoo.com", 993, ImplicitTls),
                (Pop3, "pop.mail.yahoo.com", 995, ImplicitTls),
                (Smtp, "smtp.mail.yahoo.com", 465, ImplicitTls),
                (Smtp, "smtp.mail.yahoo.com", 587, Starttls),
            ],
        ),
        PresetKind::Aol => yahoo_platform(
            "aol",
            "AOL Mail",
            "aol.com",
            &[
                (Imap, "imap.aol.com", 993, ImplicitTls),
                (Pop3, "pop.aol.com", 995, ImplicitTls),
                (Smtp, "smtp.aol.com", 465, ImplicitTls),
            ],
        ),
        PresetKind::Fastmail => preset_of(
            "fastmail",
            "Fastmail",
            Some("https://api.fastmail.com"),
            [
                "https://api.fastmail.com/oauth/authorize",
                "https://api.fastmail.com/oauth/refresh",
            ],
            None,
            None,
            &[
                "https://www.fastmail.com/dev/protocol-imap",
                "https://www.fastmail.com/dev/protocol-pop",
                "https://www.fastmail.com/dev/protocol-smtp",
            ],
            &[
                (Imap, "imap.fastmail.com", 993, ImplicitTls),
                (Pop3, "pop.fastmail.com", 995, ImplicitTls),
                (Smtp, "smtp.fastmail.com", 465, ImplicitTls),
                (Smtp, "smtp.fastmail.com", 587, Starttls),
            ],
        ),
        PresetKind::Yandex => preset_of(
            "yandex",
            "Yandex Mail",
            None,
            [
                "https://oauth.yandex.com/authorize",
                "https://oauth.yandex.com/token",
            ],
            None,
            None,
            &["mail:imap_full", "mail:smtp"],
            &[
                (Imap, "imap.yandex.com", 993, ImplicitTls),
                (Smtp, "smtp.yandex.com", 465, ImplicitTls),
            ],
        ),
        PresetKind::MailRu => preset_of(
            "mail-ru",
            "Mail.ru",
            None,
            ["https://o2.mail.ru/login", "https://o2.mail.ru/token"],
            None,
            None,
            // Mail.ru grants `mail.imap` only together with `userinfo`.
            &["userinfo", "mail.imap"],
            &[
                (Imap, "imap.mail.ru", 993, ImplicitTls),
                (Pop3, "pop.mail.ru", 995, ImplicitTls),
                (Smtp, "smtp.mail.ru", 465, ImplicitTls),
            ],
        ),
        PresetKind::Comcast => preset_of(
            "comcast",
            "Comcast (Xfinity)",
            None,
            [
                "https://oauth.xfinity.com/oauth/authorize",
                "https://oauth.xfinity.com/oauth/token",
            ],
            None,
            None,
            &["https://email.comcast.net/", "profile", "openid"],
            &[
                (Imap, "imap.comcast.net", 993, ImplicitTls),
                (Pop3, "pop.comcast.net", 995, ImplicitTls),
                (Smtp, "smtp.comcast.net", 587, Starttls),
                (Smtp, "smtp.comcast.net", 465, ImplicitTls),
            ],
        ),
        PresetKind::Seznam => preset_of(
            "seznam",
            "Seznam.cz",
            Some("https://login.seznam.cz"),
            [
                "https://login.seznam.cz/api/v1/oauth/auth",
                "https://login.seznam.cz/api/v1/oauth/token",
            ],
            None,
            None,
            &["identity", "email"],
            &[
                (Imap, "imap.seznam.cz", 993, ImplicitTls),
                (Pop3, "pop3.seznam.cz", 995, ImplicitTls),
                (Smtp, "smtp.seznam.cz", 465, ImplicitTls),
            ],
        ),
    })
}

/// Every preset kind, Microsoft with tenant `common`, in the order
/// [`providers`] lists them.
fn kinds() -> [PresetKind; 9] {
    [
        PresetKind::Google,
        PresetKind::Microsoft("common".into()),
        PresetKind::Yahoo,
        PresetKind::Aol,
        PresetKind::Fastmail,
        PresetKind::Yandex,
        PresetKind::MailRu,
        PresetKind::Comcast,
        PresetKind::Seznam,
    ]
}

/// The built-in presets, Microsoft with tenant `common`.
pub fn providers() -> Vec<Provider> {
    kinds()
        .iter()
        .filter_map(|kind| preset(kind).ok())
        .collect()
}

/// The names [`preset_for_host`] knows: a mail server host or an e-mail
/// domain, matched as a suffix at a label boundary. Index into [`kinds`].
const HOSTS: [(&str, usize); 23] = [
    ("gmail.com", 0),
    ("googlemail.com", 0),
    ("office365.com", 1),
    ("outlook.com", 1),
    ("hotmail.com", 1),
    ("live.com", 1),
    ("graph.microsoft.com", 1),
    ("yahoo.com", 2),
    ("att.net", 2),
    ("aol.com", 3),
    ("fastmail.com", 4),
    ("fastmail.fm", 4),
    ("yandex.com", 5),
    ("yandex.ru", 5),
    ("mail.ru", 6),
    ("comcast.net", 7),
    ("seznam.cz", 8),
    ("email.cz", 8),
    ("post.cz", 8),
    ("ya.ru", 5),
    ("msn.com", 1),
    ("ymail.com", 2),
    ("rocketmail.com", 2),
];

/// The preset serving `host`, a mail server host name or an e-mail domain (or
/// address): ASCII lower case, a trailing dot dropped, then leading labels
/// dropped one at a time until a known name matches, as Thunderbird does.
pub fn preset_for_host(host: &str) -> Option<PresetKind> {
    let host = host.rsplit('@').next().unwrap_or(host).trim();
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let mut name = host.as_str();
    loop {
        if let Some(&(_, at)) = HOSTS.iter().find(|(known, _)| *known == name) {
            return kinds().into_iter().nth(at);
        }
        name = name.split_once('.')?.1;
    }
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

/// The scopes of a request: `asked`, or the provider's defaults when empty. A
/// scope holding a space, quote or control character is refused (it would
/// change the request's meaning).
pub(crate) fn requested_scopes(
    provider: &Provider,
    asked: &[String],
) -> Result<Vec<String>, Error> {
    let scopes = if asked.is_empty() {
        provider.default_scopes.clone()
    } else {
        asked.to_vec()
    };
    let scope_ok = |scope: &String| {
        !scope.is_empty()
            && scope
                .bytes()
                .all(|b| b > b' ' && b != b'"' && b != b'\\' && b != 0x7f)
    };
    if !scopes.iter().all(scope_ok) {
        return Err(Error::input(
            "scopes: a scope is empty or holds a space, quote or control character",
        ));
    }
    Ok(scopes)
}
