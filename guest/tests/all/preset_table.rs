//! The presets of Thunderbird's table besides Google: endpoints, issuer,
//! scopes, client authentication, PKCE and mail servers of each, Microsoft's
//! device endpoint, and the authorization URL every preset builds.

use mail_oauth_guest::authorize::begin_authorization;
use mail_oauth_guest::mail::{MailProtocol, Security};
use mail_oauth_guest::providers::{google, microsoft, preset, providers};
use mail_oauth_guest::{AuthorizationOptions, ClientAuth, PresetKind, Provider};

use crate::common::*;

use MailProtocol::{Imap, Pop3, Smtp};
use Security::{ImplicitTls, Starttls};

type Servers = Vec<(MailProtocol, String, u16, Security)>;

fn servers(provider: &Provider) -> Servers {
    provider
        .mail_servers
        .iter()
        .map(|m| {
            (
                m.protocol,
                m.server.host.clone(),
                m.server.port,
                m.server.security,
            )
        })
        .collect()
}

fn expected(rows: &[(MailProtocol, &str, u16, Security)]) -> Servers {
    rows.iter()
        .map(|&(protocol, host, port, security)| (protocol, host.to_owned(), port, security))
        .collect()
}

/// What every preset shares: `client_secret_post`, PKCE, no extra parameters
/// (Google aside), and no revocation or device endpoint (Google and
/// Microsoft aside).
fn assert_plain_preset(p: &Provider) {
    assert_eq!(p.client_auth, ClientAuth::Post, "{}", p.id);
    assert!(p.pkce, "{}", p.id);
    assert!(p.extra_parameters.is_empty(), "{}", p.id);
    assert_eq!(p.revocation_endpoint, None, "{}", p.id);
    assert_eq!(p.device_authorization_endpoint, None, "{}", p.id);
}

#[test]
fn yahoo_preset() {
    let p = preset(&PresetKind::Yahoo).unwrap();
    assert_eq!(p.id, "yahoo");
    assert_eq!(p.display_name, "Yahoo Mail");
    assert_eq!(p.issuer, None);
    assert_eq!(
        p.authorization_endpoint,
        "https://api.login.yahoo.com/oauth2/request_auth"
    );
    assert_eq!(
        p.token_endpoint,
        "https://api.login.yahoo.com/oauth2/get_token"
    );
    assert_eq!(p.default_scopes, ["mail-w"]);
    assert_plain_preset(&p);
    assert_eq!(
        servers(&p),
        expected(&[
            (Imap, "imap.mail.yahoo.com", 993, ImplicitTls),
            (Pop3, "pop.mail.yahoo.com", 995, ImplicitTls),
            (Smtp, "smtp.mail.yahoo.com", 465, ImplicitTls),
            (Smtp, "smtp.mail.yahoo.com", 587, Starttls),
        ])
    );
}

#[test]
fn aol_preset() {
    let p = preset(&PresetKind::Aol).unwrap();
    assert_eq!(p.id, "aol");
    assert_eq!(p.display_name, "AOL Mail");
    assert_eq!(p.issuer, None);
    assert_eq!(
        p.authorization_endpoint,
        "https://api.login.aol.com/oauth2/request_auth"
    );
    assert_eq!(
        p.token_endpoint,
        "https://api.login.aol.com/oauth2/get_token"
    );
    assert_eq!(p.default_scopes, ["mail-w"]);
    assert_plain_preset(&p);
    assert_eq!(
        servers(&p),
        expected(&[
            (Imap, "imap.aol.com", 993, ImplicitTls),
            (Pop3, "pop.aol.com", 995, ImplicitTls),
            (Smtp, "smtp.aol.com", 465, ImplicitTls),
        ])
    );
}

#[test]
fn fastmail_preset() {
    let p = preset(&PresetKind::Fastmail).unwrap();
    assert_eq!(p.id, "fastmail");
    assert_eq!(p.display_name, "Fastmail");
    assert_eq!(p.issuer.as_deref(), Some("https://api.fastmail.com"));
    assert_eq!(
        p.authorization_endpoint,
        "https://api.fastmail.com/oauth/authorize"
    );
    assert_eq!(p.token_endpoint, "https://api.fastmail.com/oauth/refresh");
    assert_eq!(
        p.default_scopes,
        [
            "https://www.fastmail.com/dev/protocol-imap",
            "https://www.fastmail.com/dev/protocol-pop",
            "https://www.fastmail.com/dev/protocol-smtp",
        ]
    );
    assert_plain_preset(&p);
    assert_eq!(
        servers(&p),
        expected(&[
            (Imap, "imap.fastmail.com", 993, ImplicitTls),
            (Pop3, "pop.fastmail.com", 995, ImplicitTls),
            (Smtp, "smtp.fastmail.com", 465, ImplicitTls),
            (Smtp, "smtp.fastmail.com", 587, Starttls),
        ])
    );
}

#[test]
fn yandex_preset() {
    let p = preset(&PresetKind::Yandex).unwrap();
    assert_eq!(p.id, "yandex");
    assert_eq!(p.display_name, "Yandex Mail");
    assert_eq!(p.issuer, None);
    assert_eq!(
        p.authorization_endpoint,
        "https://oauth.yandex.com/authorize"
    );
    assert_eq!(p.token_endpoint, "https://oauth.yandex.com/token");
    assert_eq!(p.default_scopes, ["mail:imap_full", "mail:smtp"]);
    assert_plain_preset(&p);
    assert_eq!(
        servers(&p),
        expected(&[
            (Imap, "imap.yandex.com", 993, ImplicitTls),
            (Smtp, "smtp.yandex.com", 465, ImplicitTls),
        ])
    );
}

#[test]
fn mail_ru_preset() {
    let p = preset(&PresetKind::MailRu).unwrap();
    assert_eq!(p.id, "mail-ru");
    assert_eq!(p.display_name, "Mail.ru");
    assert_eq!(p.issuer, None);
    assert_eq!(p.authorization_endpoint, "https://o2.mail.ru/login");
    assert_eq!(p.token_endpoint, "https://o2.mail.ru/token");
    assert_eq!(p.default_scopes, ["userinfo", "mail.imap"]);
    assert_plain_preset(&p);
    assert_eq!(
        servers(&p),
        expected(&[
            (Imap, "imap.mail.ru", 993, ImplicitTls),
            (Pop3, "pop.mail.ru", 995, ImplicitTls),
            (Smtp, "smtp.mail.ru", 465, ImplicitTls),
        ])
    );
}

#[test]
fn comcast_preset() {
    let p = preset(&PresetKind::Comcast).unwrap();
    assert_eq!(p.id, "comcast");
    assert_eq!(p.display_name, "Comcast (Xfinity)");
    assert_eq!(p.issuer, None);
    assert_eq!(
        p.authorization_endpoint,
        "https://oauth.xfinity.com/oauth/authorize"
    );
    assert_eq!(p.token_endpoint, "https://oauth.xfinity.com/oauth/token");
    assert_eq!(
        p.default_scopes,
        ["https://email.comcast.net/", "profile", "openid"]
    );
    assert_plain_preset(&p);
    assert_eq!(
        servers(&p),
        expected(&[
            (Imap, "imap.comcast.net", 993, ImplicitTls),
            (Pop3, "pop.comcast.net", 995, ImplicitTls),
            (Smtp, "smtp.comcast.net", 587, Starttls),
            (Smtp, "smtp.comcast.net", 465, ImplicitTls),
        ])
    );
}

#[test]
fn seznam_preset() {
    let p = preset(&PresetKind::Seznam).unwrap();
    assert_eq!(p.id, "seznam");
    assert_eq!(p.display_name, "Seznam.cz");
    assert_eq!(p.issuer.as_deref(), Some("https://login.seznam.cz"));
    assert_eq!(
        p.authorization_endpoint,
        "https://login.seznam.cz/api/v1/oauth/auth"
    );
    assert_eq!(
        p.token_endpoint,
        "https://login.seznam.cz/api/v1/oauth/token"
    );
    assert_eq!(p.default_scopes, ["identity", "email"]);
    assert_plain_preset(&p);
    assert_eq!(
        servers(&p),
        expected(&[
            (Imap, "imap.seznam.cz", 993, ImplicitTls),
            (Pop3, "pop3.seznam.cz", 995, ImplicitTls),
            (Smtp, "smtp.seznam.cz", 465, ImplicitTls),
        ])
    );
}

#[test]
fn google_and_microsoft_device_endpoints() {
    assert_eq!(
        google().device_authorization_endpoint.as_deref(),
        Some("https://oauth2.googleapis.com/device/code")
    );
    for tenant in ["common", "organizations", "contoso.onmicrosoft.com"] {
        let p = microsoft(tenant).unwrap();
        assert_eq!(
            p.device_authorization_endpoint,
            Some(format!(
                "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode"
            ))
        );
        assert_eq!(p.revocation_endpoint, None, "{tenant}");
        assert!(p.pkce);
        assert!(p.extra_parameters.is_empty());
    }
    assert_eq!(
        preset(&PresetKind::Microsoft("consumers".into())).unwrap(),
        microsoft("consumers").unwrap()
    );
}

#[test]
fn every_preset_builds_its_authorization_url_with_its_default_scopes() {
    for p in providers() {
        let pending = begin_authorization(&p, &public(), &AuthorizationOptions::default()).unwrap();
        assert!(
            pending
                .url
                .starts_with(&format!("{}?", p.authorization_endpoint)),
            "{}: {}",
            p.id,
            pending.url
        );
        let get = |name| query_param(&pending.url, name);
        assert_eq!(get("response_type").as_deref(), Some("code"), "{}", p.id);
        assert_eq!(get("client_id").as_deref(), Some("public-client"));
        assert_eq!(get("redirect_uri").as_deref(), Some(REDIRECT));
        assert_eq!(get("scope"), Some(p.default_scopes.join(" ")), "{}", p.id);
        assert_eq!(get("code_challenge_method").as_deref(), Some("S256"));
        assert!(get("code_challenge").is_some(), "{}", p.id);
        assert_eq!(get("state"), Some(pending.state.clone()));
        // A nonce exactly when `openid` is asked for (Google, Microsoft, Comcast).
        let openid = p.default_scopes.iter().any(|s| s == "openid");
        assert_eq!(pending.nonce.is_some(), openid, "{}", p.id);
        assert_eq!(get("nonce"), pending.nonce.clone(), "{}", p.id);
        assert_eq!(pending.scopes, p.default_scopes);
    }
}
