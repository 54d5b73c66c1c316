//! Starting a device authorization (RFC 8628 §3.1-3.2): the exact form POST to
//! the device endpoint per client type, the response read (Google's
//! `verification_url` too), what makes it unusable, and the providers that get
//! `unsupported` before any request.

use mail_oauth_guest::device::begin_device_authorization;
use mail_oauth_guest::http::{HttpError, HttpResponse};
use mail_oauth_guest::providers::{google, microsoft, preset};
use mail_oauth_guest::{
    AuthorizationOptions, ClientAuth, DeviceAuthorization, Error, PresetKind, ProviderFailure,
};
use serde_json::json;

use crate::common::*;

const NOW: u64 = 1_700_000_000;
/// RFC 8628 §3.2's example values.
const DEVICE_CODE: &str = "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS";
const USER_CODE: &str = "WDJB-MJHT";

fn scopes(list: &[&str]) -> AuthorizationOptions {
    AuthorizationOptions {
        scopes: list.iter().map(|s| (*s).to_owned()).collect(),
        login_hint: None,
    }
}

fn rfc8628_answer() -> serde_json::Value {
    json!({
        "device_code": DEVICE_CODE,
        "user_code": USER_CODE,
        "verification_uri": "https://example.com/device",
        "verification_uri_complete": "https://example.com/device?user_code=WDJB-MJHT",
        "expires_in": 1800,
        "interval": 7,
    })
}

#[test]
fn basic_client_auth_posts_the_scope_with_credentials_in_the_header() {
    let http = FakeHttp::new().then(
        Expect::post(
            DEVICE_URL,
            Some(basic("client id&1", "s3cret+/=value")),
            &[("scope", "openid email mail")],
        ),
        json(200, &rfc8628_answer().to_string()),
    );
    let device = begin_device_authorization(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &AuthorizationOptions::default(),
        NOW,
    )
    .unwrap();
    http.assert_done();
    assert_eq!(
        device,
        DeviceAuthorization {
            user_code: USER_CODE.into(),
            verification_uri: "https://example.com/device".into(),
            verification_uri_complete: Some(
                "https://example.com/device?user_code=WDJB-MJHT".into()
            ),
            expires_at: NOW + 1800,
            interval: 7,
            device_code: DEVICE_CODE.into(),
            scopes: vec!["openid".into(), "email".into(), "mail".into()],
        }
    );
}

#[test]
fn post_client_auth_sends_the_credentials_in_the_body() {
    let http = FakeHttp::new().then(
        Expect::post(
            DEVICE_URL,
            None,
            &[
                ("scope", "mail offline_access"),
                ("client_id", "client id&1"),
                ("client_secret", "s3cret+/=value"),
            ],
        ),
        json(200, &rfc8628_answer().to_string()),
    );
    let device = begin_device_authorization(
        &http,
        &custom_provider(ClientAuth::Post),
        &confidential(),
        &scopes(&["mail", "offline_access"]),
        NOW,
    )
    .unwrap();
    http.assert_done();
    assert_eq!(device.scopes, ["mail", "offline_access"]);
}

#[test]
fn a_public_client_sends_only_its_id_even_with_basic() {
    let http = FakeHttp::new().then(
        Expect::post(
            DEVICE_URL,
            None,
            &[
                ("scope", "openid email mail"),
                ("client_id", "public-client"),
            ],
        ),
        json(200, &rfc8628_answer().to_string()),
    );
    begin_device_authorization(
        &http,
        &custom_provider(ClientAuth::Basic),
        &public(),
        &AuthorizationOptions::default(),
        NOW,
    )
    .unwrap();
    http.assert_done();
}

#[test]
fn microsoft_uses_the_tenants_devicecode_endpoint_and_its_mail_scopes() {
    let provider = microsoft("organizations").unwrap();
    let scope = provider.default_scopes.join(" ");
    let http = FakeHttp::new().then(
        Expect::post(
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode",
            None,
            &[("scope", scope.as_str()), ("client_id", "public-client")],
        ),
        json(
            200,
            &json!({
                "user_code": "ABCD1234",
                "device_code": "DAQABAAEAAAD--DLA3VO7QrddgJg7WevrAgAA",
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": 900,
                "interval": 5,
                "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD1234 to authenticate."
            })
            .to_string(),
        ),
    );
    let device = begin_device_authorization(
        &http,
        &provider,
        &public(),
        &AuthorizationOptions::default(),
        NOW,
    )
    .unwrap();
    http.assert_done();
    assert_eq!(device.verification_uri, "https://microsoft.com/devicelogin");
    assert_eq!(device.verification_uri_complete, None);
    assert_eq!(device.expires_at, NOW + 900);
    assert_eq!(device.user_code, "ABCD1234");
    assert_eq!(device.scopes, provider.default_scopes);
}

#[test]
fn google_without_a_mail_scope_is_sent_and_its_verification_url_read() {
    let http = FakeHttp::new().then(
        Expect::post(
            "https://oauth2.googleapis.com/device/code",
            None,
            &[
                ("scope", "openid email"),
                ("client_id", "client id&1"),
                ("client_secret", "s3cret+/=value"),
            ],
        ),
        json(
            200,
            &json!({
                "device_code": "AH-1Ng3-fake-device-code-for-google-0123456789",
                "user_code": "GQVQ-JKEC",
                "verification_url": "https://www.google.com/device",
                "expires_in": 1800,
                "interval": 5,
            })
            .to_string(),
        ),
    );
    let device = begin_device_authorization(
        &http,
        &google(),
        &confidential(),
        &scopes(&["openid", "email"]),
        NOW,
    )
    .unwrap();
    http.assert_done();
    assert_eq!(device.verification_uri, "https://www.google.com/device");
    assert_eq!(device.verification_uri_complete, None);
    assert_eq!(device.user_code, "GQVQ-JKEC");
    assert_eq!(device.interval, 5);
    assert_eq!(device.expires_at, NOW + 1800);
}

#[test]
fn the_interval_defaults_to_five_seconds() {
    let mut body = rfc8628_answer();
    body.as_object_mut().unwrap().remove("interval");
    body.as_object_mut()
        .unwrap()
        .remove("verification_uri_complete");
    let http = FakeHttp::new().then(
        Expect::post(
            DEVICE_URL,
            None,
            &[("scope", "mail"), ("client_id", "public-client")],
        ),
        json(200, &body.to_string()),
    );
    let device = begin_device_authorization(
        &http,
        &custom_provider(ClientAuth::Post),
        &public(),
        &scopes(&["mail"]),
        NOW,
    )
    .unwrap();
    http.assert_done();
    assert_eq!(device.interval, 5);
    assert_eq!(device.verification_uri_complete, None);
    assert_eq!(device.expires_at, NOW + 1800);
}

/// Begins at the custom provider with a public client against `answer`.
fn begin_answering(answer: Result<HttpResponse, HttpError>) -> Result<DeviceAuthorization, Error> {
    let http = FakeHttp::new().then(
        Expect::post(
            DEVICE_URL,
            None,
            &[("scope", "mail"), ("client_id", "public-client")],
        ),
        answer,
    );
    let result = begin_device_authorization(
        &http,
        &custom_provider(ClientAuth::Post),
        &public(),
        &scopes(&["mail"]),
        NOW,
    );
    http.assert_done();
    result
}

#[test]
fn a_response_missing_or_mistyping_a_field_is_an_invalid_response() {
    let without = |name: &str| {
        let mut body = rfc8628_answer();
        body.as_object_mut().unwrap().remove(name);
        body.to_string()
    };
    let with = |name: &str, value: serde_json::Value| {
        let mut body = rfc8628_answer();
        body[name] = value;
        body.to_string()
    };
    let bodies = [
        without("device_code"),
        without("user_code"),
        without("verification_uri"),
        without("expires_in"),
        with("device_code", json!("")),
        with("user_code", json!(42)),
        with("verification_uri", json!("not a url")),
        with("verification_uri_complete", json!("/device?user_code=x")),
        with("expires_in", json!("1800")),
        with("expires_in", json!(-1)),
        with("interval", json!("5")),
        "[]".to_owned(),
        "not json".to_owned(),
        String::new(),
    ];
    for body in bodies {
        match begin_answering(json(200, &body)) {
            Err(Error::InvalidResponse {
                status: 200,
                detail,
            }) => {
                assert!(detail.contains("RFC 8628"), "{detail}");
                assert!(!detail.contains(DEVICE_CODE), "{detail}");
            }
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[test]
fn endpoint_errors_are_mapped() {
    assert_eq!(
        begin_answering(json(
            400,
            r#"{"error":"invalid_client","error_description":"Unknown client"}"#
        )),
        Err(Error::ProviderError(ProviderFailure {
            code: "invalid_client".into(),
            description: Some("Unknown client".into()),
        }))
    );
    assert!(
        matches!(
            begin_answering(response(503, "text/html", "<p>busy</p>")),
            Err(Error::TemporaryFailure(ref text)) if text.contains("503")
        ),
        "503"
    );
    assert!(matches!(
        begin_answering(response(500, "text/html", "<p>oops</p>")),
        Err(Error::InvalidResponse { status: 500, .. })
    ));
    assert_eq!(
        begin_answering(Err(HttpError::Timeout)),
        Err(Error::Http(HttpError::Timeout))
    );
}

#[test]
fn no_device_endpoint_is_unsupported_before_any_request() {
    let mut custom = custom_provider(ClientAuth::Basic);
    custom.device_authorization_endpoint = None;
    let yahoo = preset(&PresetKind::Yahoo).unwrap();
    for provider in [custom, yahoo] {
        let http = FakeHttp::new();
        match begin_device_authorization(
            &http,
            &provider,
            &public(),
            &AuthorizationOptions::default(),
            NOW,
        ) {
            Err(Error::Unsupported(text)) => {
                assert!(text.starts_with(&provider.display_name), "{text}");
                assert!(
                    text.contains("loopback") && text.contains("two-step"),
                    "{text}"
                );
            }
            other => panic!("{}: {other:?}", provider.id),
        }
    }
}

#[test]
fn google_mail_scopes_are_unsupported_before_any_request() {
    // A host-built provider at Google's token endpoint is Google too.
    let mut renamed = google();
    renamed.id = "my-google".into();
    let cases = [
        (google(), scopes(&[])),
        (google(), scopes(&["https://mail.google.com/"])),
        (
            google(),
            scopes(&["openid", "https://www.googleapis.com/auth/gmail.send"]),
        ),
        (renamed, scopes(&["email", "https://mail.google.com/"])),
    ];
    for (provider, options) in cases {
        let http = FakeHttp::new();
        match begin_device_authorization(&http, &provider, &confidential(), &options, NOW) {
            Err(Error::Unsupported(text)) => {
                assert!(text.contains("Google"), "{text}");
                assert!(
                    text.contains("loopback") && text.contains("two-step"),
                    "{text}"
                );
            }
            other => panic!("{:?}: {other:?}", options.scopes),
        }
    }
}

#[test]
fn unusable_input_is_refused_before_any_request() {
    let http = FakeHttp::new();
    let mut client = public();
    client.id = String::new();
    let result = begin_device_authorization(
        &http,
        &custom_provider(ClientAuth::Basic),
        &client,
        &AuthorizationOptions::default(),
        NOW,
    );
    assert_eq!(result, Err(Error::InvalidInput("client.id: empty".into())));

    let mut provider = custom_provider(ClientAuth::Basic);
    provider.device_authorization_endpoint = Some("ftp://auth.example.test/device".into());
    let result = begin_device_authorization(
        &http,
        &provider,
        &public(),
        &AuthorizationOptions::default(),
        NOW,
    );
    assert!(
        matches!(&result, Err(Error::InvalidInput(text)) if text.starts_with("device-authorization-endpoint")),
        "{result:?}"
    );
}
