//! The presets' endpoints and scopes, tenant validation, the authorization URL
//! built for each, and the URL checks on host-built providers.

use mail_oauth_guest::authorize::begin_authorization;
use mail_oauth_guest::providers::{google, microsoft, preset, providers};
use mail_oauth_guest::{AuthorizationOptions, ClientAuth, Error, PresetKind};

use crate::common::*;

#[test]
fn google_preset() {
    let p = google();
    assert_eq!(p.id, "google");
    assert_eq!(
        p.authorization_endpoint,
        "https://accounts.google.com/o/oauth2/v2/auth"
    );
    assert_eq!(p.token_endpoint, "https://oauth2.googleapis.com/token");
    assert_eq!(
        p.revocation_endpoint.as_deref(),
        Some("https://oauth2.googleapis.com/revoke")
    );
    assert_eq!(p.issuer.as_deref(), Some("https://accounts.google.com"));
    assert_eq!(
        p.default_scopes,
        ["https://mail.google.com/", "openid", "email"]
    );
    assert_eq!(
        p.extra_parameters,
        [
            ("access_type".to_owned(), "offline".to_owned()),
            ("prompt".to_owned(), "consent".to_owned())
        ]
    );
    assert_eq!(p.client_auth, ClientAuth::Post);
}

#[test]
fn microsoft_preset_uses_the_tenants_v2_endpoints() {
    let p = microsoft("organizations").unwrap();
    assert_eq!(p.id, "microsoft");
    assert_eq!(
        p.authorization_endpoint,
        "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize"
    );
    assert_eq!(
        p.token_endpoint,
        "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
    );
    assert_eq!(p.revocation_endpoint, None);
    assert_eq!(
        p.issuer, None,
        "a multi-tenant endpoint has no fixed issuer"
    );
    assert_eq!(
        p.default_scopes,
        [
            "https://outlook.office.com/IMAP.AccessAsUser.All",
            "https://outlook.office.com/POP.AccessAsUser.All",
            "https://outlook.office.com/SMTP.Send",
            "offline_access",
            "openid",
            "email",
        ]
    );
    assert_eq!(p.client_auth, ClientAuth::Post);
}

#[test]
fn microsoft_guid_tenant_has_an_issuer_and_domains_do_not() {
    let guid = "9188040d-6c67-4c5b-b112-36a304b66dad";
    let p = microsoft(guid).unwrap();
    assert_eq!(
        p.issuer.as_deref(),
        Some("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0")
    );
    assert_eq!(microsoft("contoso.onmicrosoft.com").unwrap().issuer, None);
    assert_eq!(microsoft("consumers").unwrap().issuer, None);
}

#[test]
fn malformed_tenants_are_refused() {
    for tenant in ["", "a/b", "common?x=1", "évil", "tenant id", "../x"] {
        match microsoft(tenant) {
            Err(Error::InvalidInput(text)) => assert!(text.starts_with("tenant"), "{text}"),
            other => panic!("{tenant:?}: {other:?}"),
        }
    }
    assert!(matches!(
        preset(&PresetKind::Microsoft("x/y".into())),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn providers_lists_every_preset_with_microsoft_common() {
    let list = providers();
    let ids: Vec<&str> = list.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "google",
            "microsoft",
            "yahoo",
            "aol",
            "fastmail",
            "yandex",
            "mail-ru",
            "comcast",
            "seznam"
        ]
    );
    assert_eq!(list[0], google());
    assert_eq!(list[1], microsoft("common").unwrap());
    assert_eq!(preset(&PresetKind::Google).unwrap(), google());
}

#[test]
fn google_authorization_url_has_every_parameter() {
    let pending = begin_authorization(
        &google(),
        &confidential(),
        &AuthorizationOptions {
            scopes: Vec::new(),
            login_hint: Some("alice@example.com".into()),
        },
    )
    .unwrap();
    let url = url::Url::parse(&pending.url).unwrap();
    assert_eq!(
        format!(
            "{}://{}{}",
            url.scheme(),
            url.host_str().unwrap(),
            url.path()
        ),
        "https://accounts.google.com/o/oauth2/v2/auth"
    );
    let mut names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "access_type",
            "client_id",
            "code_challenge",
            "code_challenge_method",
            "login_hint",
            "nonce",
            "prompt",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
        ]
    );
    let get = |name| query_param(&pending.url, name);
    assert_eq!(get("response_type").as_deref(), Some("code"));
    assert_eq!(get("client_id").as_deref(), Some("client id&1"));
    assert_eq!(get("redirect_uri").as_deref(), Some(REDIRECT));
    assert_eq!(
        get("scope").as_deref(),
        Some("https://mail.google.com/ openid email")
    );
    assert_eq!(get("state"), Some(pending.state.clone()));
    assert_eq!(get("nonce"), pending.nonce.clone());
    assert!(pending.nonce.is_some());
    assert_eq!(get("login_hint").as_deref(), Some("alice@example.com"));
    assert_eq!(get("access_type").as_deref(), Some("offline"));
    assert_eq!(get("prompt").as_deref(), Some("consent"));
    assert_eq!(pending.redirect_uri, REDIRECT);
    assert_eq!(pending.scopes, google().default_scopes);
}

#[test]
fn explicit_scopes_replace_the_defaults_and_no_openid_means_no_nonce() {
    let pending = begin_authorization(
        &microsoft("common").unwrap(),
        &public(),
        &AuthorizationOptions {
            scopes: vec![
                "https://outlook.office.com/IMAP.AccessAsUser.All".into(),
                "offline_access".into(),
            ],
            login_hint: None,
        },
    )
    .unwrap();
    assert_eq!(
        query_param(&pending.url, "scope").as_deref(),
        Some("https://outlook.office.com/IMAP.AccessAsUser.All offline_access")
    );
    assert_eq!(pending.nonce, None);
    assert_eq!(query_param(&pending.url, "nonce"), None);
    assert_eq!(query_param(&pending.url, "login_hint"), None);
    assert!(
        pending
            .url
            .starts_with("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?")
    );
}

fn refused_field(result: Result<mail_oauth_guest::PendingAuthorization, Error>) -> String {
    match result {
        Err(Error::InvalidInput(text)) => text,
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

#[test]
fn host_built_provider_urls_are_validated_and_named() {
    let options = AuthorizationOptions::default();
    let mut p = custom_provider(ClientAuth::Basic);
    p.authorization_endpoint = "not a url".into();
    assert!(
        refused_field(begin_authorization(&p, &public(), &options))
            .starts_with("authorization-endpoint")
    );

    let mut p = custom_provider(ClientAuth::Basic);
    p.token_endpoint = "ftp://auth.example.test/token".into();
    assert!(
        refused_field(begin_authorization(&p, &public(), &options)).starts_with("token-endpoint")
    );

    let mut client = public();
    client.redirect_uri = "/callback".into();
    let p = custom_provider(ClientAuth::Basic);
    assert!(refused_field(begin_authorization(&p, &client, &options)).starts_with("redirect-uri"));

    let mut client = public();
    client.redirect_uri = "https://app.example.test/cb#frag".into();
    assert!(refused_field(begin_authorization(&p, &client, &options)).starts_with("redirect-uri"));
}

#[test]
fn custom_provider_extra_parameters_are_added_but_may_not_override_ours() {
    let mut p = custom_provider(ClientAuth::Basic);
    p.extra_parameters = vec![("audience".into(), "mail".into())];
    let pending = begin_authorization(&p, &public(), &AuthorizationOptions::default()).unwrap();
    assert_eq!(
        query_param(&pending.url, "audience").as_deref(),
        Some("mail")
    );

    p.extra_parameters = vec![("state".into(), "fixed".into())];
    let text = refused_field(begin_authorization(
        &p,
        &public(),
        &AuthorizationOptions::default(),
    ));
    assert!(text.starts_with("provider.extra-parameters"), "{text}");
}

#[test]
fn scopes_with_spaces_are_refused() {
    let options = AuthorizationOptions {
        scopes: vec!["a b".into()],
        login_hint: None,
    };
    let text = refused_field(begin_authorization(&google(), &public(), &options));
    assert!(text.starts_with("scopes"), "{text}");
}

#[test]
fn presets_name_their_mail_servers() {
    use mail_oauth_guest::mail::{MailProtocol, Security};
    let list = |p: &mail_oauth_guest::Provider| -> Vec<(MailProtocol, String, u16, Security)> {
        p.mail_servers
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
    };
    assert_eq!(
        list(&mail_oauth_guest::providers::google()),
        [
            (
                MailProtocol::Imap,
                "imap.gmail.com".into(),
                993,
                Security::ImplicitTls
            ),
            (
                MailProtocol::Pop3,
                "pop.gmail.com".into(),
                995,
                Security::ImplicitTls
            ),
            (
                MailProtocol::Smtp,
                "smtp.gmail.com".into(),
                587,
                Security::Starttls
            ),
            (
                MailProtocol::Smtp,
                "smtp.gmail.com".into(),
                465,
                Security::ImplicitTls
            ),
        ]
    );
    let microsoft = mail_oauth_guest::providers::microsoft("contoso.onmicrosoft.com").unwrap();
    assert_eq!(
        list(&microsoft),
        [
            (
                MailProtocol::Imap,
                "outlook.office365.com".into(),
                993,
                Security::ImplicitTls
            ),
            (
                MailProtocol::Pop3,
                "outlook.office365.com".into(),
                995,
                Security::ImplicitTls
            ),
            (
                MailProtocol::Smtp,
                "smtp.office365.com".into(),
                587,
                Security::Starttls
            ),
        ]
    );
}
