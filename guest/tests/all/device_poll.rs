//! Polling a device authorization (RFC 8628 §3.4-3.5): the exact token
//! request, each answer the host branches on, expiry without a request, and
//! the device code kept out of every error.

use mail_oauth_guest::device::poll_device_authorization;
use mail_oauth_guest::http::{HttpError, HttpResponse};
use mail_oauth_guest::providers::microsoft;
use mail_oauth_guest::{
    ClientAuth, DeviceAuthorization, DevicePoll, Error, ProviderFailure, TokenSet,
};
use serde_json::json;

use crate::common::*;

const NOW: u64 = 1_700_000_000;
const DEVICE_CODE: &str = "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS";
const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn device(interval: u32) -> DeviceAuthorization {
    DeviceAuthorization {
        user_code: "WDJB-MJHT".into(),
        verification_uri: "https://example.com/device".into(),
        verification_uri_complete: None,
        expires_at: NOW + 600,
        interval,
        device_code: DEVICE_CODE.into(),
        scopes: vec!["openid".into(), "mail".into()],
    }
}

fn expect_poll(device_code: &str) -> Expect {
    Expect::post(
        TOKEN_URL,
        Some(basic("client id&1", "s3cret+/=value")),
        &[("grant_type", GRANT), ("device_code", device_code)],
    )
}

/// One poll at `NOW + 30` of `device` answered by `answer`.
fn poll_with(
    device: &DeviceAuthorization,
    answer: Result<HttpResponse, HttpError>,
) -> Result<DevicePoll, Error> {
    let http = FakeHttp::new().then(expect_poll(&device.device_code), answer);
    let result = poll_device_authorization(
        &http,
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        device,
        NOW + 30,
    );
    http.assert_done();
    result
}

fn poll(answer: Result<HttpResponse, HttpError>) -> Result<DevicePoll, Error> {
    poll_with(&device(5), answer)
}

#[test]
fn authorization_pending_waits_the_same_interval() {
    let pending = json(400, r#"{"error":"authorization_pending"}"#);
    assert_eq!(poll_with(&device(5), pending), Ok(DevicePoll::Pending(5)));
    let pending = json(
        400,
        r#"{"error":"authorization_pending","error_description":"waiting"}"#,
    );
    assert_eq!(poll_with(&device(9), pending), Ok(DevicePoll::Pending(9)));
}

#[test]
fn slow_down_adds_five_seconds() {
    let slow = || json(400, r#"{"error":"slow_down"}"#);
    assert_eq!(poll_with(&device(5), slow()), Ok(DevicePoll::Pending(10)));
    assert_eq!(poll_with(&device(12), slow()), Ok(DevicePoll::Pending(17)));
}

#[test]
fn the_error_code_decides_whatever_the_status() {
    // Google answers `authorization_pending` with 428 and `slow_down` and
    // `access_denied` with 403.
    assert_eq!(
        poll(json(
            428,
            r#"{"error":"authorization_pending","error_description":"Precondition Required"}"#
        )),
        Ok(DevicePoll::Pending(5))
    );
    assert_eq!(
        poll(json(
            403,
            r#"{"error":"slow_down","error_description":"Forbidden"}"#
        )),
        Ok(DevicePoll::Pending(10))
    );
    assert_eq!(
        poll(json(
            403,
            r#"{"error":"access_denied","error_description":"Forbidden"}"#
        )),
        Err(Error::AccessDenied(Some("Forbidden".into())))
    );
}

#[test]
fn expired_token_is_device_expired() {
    assert_eq!(
        poll(json(400, r#"{"error":"expired_token"}"#)),
        Err(Error::DeviceExpired)
    );
}

#[test]
fn at_or_past_expiry_no_request_is_made() {
    let device = device(5);
    for now in [device.expires_at, device.expires_at + 1, u64::MAX] {
        let http = FakeHttp::new();
        let result = poll_device_authorization(
            &http,
            &custom_provider(ClientAuth::Basic),
            &confidential(),
            &device,
            now,
        );
        assert_eq!(result, Err(Error::DeviceExpired), "{now}");
    }
}

#[test]
fn access_denied_and_authorization_declined_are_access_denied() {
    assert_eq!(
        poll(json(400, r#"{"error":"access_denied"}"#)),
        Err(Error::AccessDenied(None))
    );
    assert_eq!(
        poll(json(
            400,
            r#"{"error":"authorization_declined","error_description":"The user declined the request."}"#
        )),
        Err(Error::AccessDenied(Some(
            "The user declined the request.".into()
        )))
    );
}

#[test]
fn approval_grants_the_tokens_with_the_device_scopes_as_fallback() {
    let id_token = jwt(&json!({"email": "alice@example.com"}));
    let body = json!({
        "access_token": "at-device", "token_type": "Bearer", "expires_in": 3600,
        "refresh_token": "rt-device", "id_token": id_token,
    });
    assert_eq!(
        poll(json(200, &body.to_string())),
        Ok(DevicePoll::Granted(TokenSet {
            access_token: "at-device".into(),
            refresh_token: Some("rt-device".into()),
            expires_at: Some(NOW + 30 + 3600),
            scopes: vec!["openid".into(), "mail".into()],
            id_token: Some(id_token),
            account_email: Some("alice@example.com".into()),
        }))
    );

    // Granted scopes named by the provider win.
    let body = r#"{"access_token":"at","token_type":"Bearer","scope":"mail"}"#;
    match poll(json(200, body)) {
        Ok(DevicePoll::Granted(tokens)) => {
            assert_eq!(tokens.scopes, ["mail"]);
            assert_eq!(tokens.expires_at, None);
            assert_eq!(tokens.refresh_token, None);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn microsoft_public_clients_send_their_id_in_the_body() {
    let provider = microsoft("common").unwrap();
    let http = FakeHttp::new().then(
        Expect::post(
            "https://login.microsoftonline.com/common/oauth2/v2.0/token",
            None,
            &[
                ("grant_type", GRANT),
                ("device_code", DEVICE_CODE),
                ("client_id", "public-client"),
            ],
        ),
        json(
            400,
            r#"{"error":"authorization_pending","error_description":"AADSTS70016: OAuth 2.0 device flow error. Authorization is pending."}"#,
        ),
    );
    let result = poll_device_authorization(&http, &provider, &public(), &device(5), NOW);
    http.assert_done();
    assert_eq!(result, Ok(DevicePoll::Pending(5)));
}

#[test]
fn later_statuses_are_temporary_failures_and_other_answers_mapped() {
    for status in [429, 502, 503, 504] {
        match poll(response(status, "text/html", "<p>busy</p>")) {
            Err(Error::TemporaryFailure(text)) => {
                assert_eq!(text, format!("the provider answered HTTP {status}"));
            }
            other => panic!("{status}: {other:?}"),
        }
    }
    assert!(matches!(
        poll(response(500, "text/html", "<p>oops</p>")),
        Err(Error::InvalidResponse { status: 500, .. })
    ));
    assert_eq!(
        poll(json(400, r#"{"error":"invalid_grant"}"#)),
        Err(Error::ReauthorizeRequired(ProviderFailure {
            code: "invalid_grant".into(),
            description: None,
        }))
    );
    assert_eq!(
        poll(json(400, r#"{"error":"bad_verification_code"}"#)),
        Err(Error::ProviderError(ProviderFailure {
            code: "bad_verification_code".into(),
            description: None,
        }))
    );
    assert!(matches!(
        poll(json(200, r#"{"token_type":"Bearer"}"#)),
        Err(Error::InvalidResponse { status: 200, .. })
    ));
    assert_eq!(
        poll(Err(HttpError::Unreachable("no route".into()))),
        Err(Error::Http(HttpError::Unreachable("no route".into())))
    );
}

#[test]
fn an_empty_device_code_is_refused_before_any_request() {
    let mut device = device(5);
    device.device_code = String::new();
    let result = poll_device_authorization(
        &FakeHttp::new(),
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &device,
        NOW,
    );
    assert_eq!(
        result,
        Err(Error::InvalidInput("device.device-code: empty".into()))
    );
}

#[test]
fn the_device_code_never_appears_in_an_error() {
    // A long code (caught as a token-like run too) and a short one (only the
    // known-secret scrubbing can catch it).
    for code in [DEVICE_CODE, "dcode-9K"] {
        let mut device = device(5);
        device.device_code = code.into();
        let answers = [
            json(
                400,
                &json!({"error": "invalid_grant", "error_description": format!("device code {code} is unknown")}).to_string(),
            ),
            json(
                400,
                &json!({"error": "access_denied", "error_description": format!("denied for {code}")}).to_string(),
            ),
            json(
                400,
                &json!({"error": "bad_verification_code", "error_description": format!("no {code} here")}).to_string(),
            ),
            json(400, &json!({"error": code}).to_string()),
            response(500, "text/html", &format!("<p>device_code={code}</p>")),
            json(200, &json!({"device_code": code, "note": code}).to_string()),
            response(302, "text/html", &format!("see /device?code={code}")),
        ];
        for answer in answers {
            let error = poll_with(&device, answer).expect_err("the poll must fail");
            for text in [error.to_string(), format!("{error:?}")] {
                assert!(!text.contains(code), "{code:?} leaked in {text:?}");
            }
        }
        let debug = format!("{device:?}");
        assert!(!debug.contains(code), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
    }
}
