//! Discovery against the real provider, and a discovery document that names
//! another issuer (mix-up) refused.

use crate::common::TempStore;
use mail_oauth_runtime::OAuthError;
use mail_oauth_runtime::error::Error;
use mail_oauth_store::accounts::AccountError;
use mail_oauth_tests::peers;
use mail_oauth_tests::scripted::{Behaviour, ScriptedHttpServer};

#[test]
fn discovers_the_local_provider() {
    peers::ensure_up();
    let accounts = TempStore::new("discovery").accounts(true);
    let p = accounts.discover(peers::AS_ISSUER).expect("discovers");
    assert_eq!(p.issuer.as_deref(), Some(peers::AS_ISSUER));
    assert_eq!(
        p.authorization_endpoint,
        format!("{}/auth", peers::AS_ISSUER)
    );
    assert_eq!(p.token_endpoint, format!("{}/token", peers::AS_ISSUER));
    assert_eq!(
        p.revocation_endpoint.as_deref(),
        Some(format!("{}/token/revocation", peers::AS_ISSUER).as_str())
    );
}

#[test]
fn a_document_for_another_issuer_is_refused() {
    let doc = serde_json::json!({
        "issuer": "https://evil.example",
        "authorization_endpoint": "https://evil.example/auth",
        "token_endpoint": "https://evil.example/token",
    })
    .to_string();
    let server = ScriptedHttpServer::start(Behaviour::Status(
        200,
        "application/json".into(),
        doc.into_bytes(),
    ));
    let accounts = TempStore::new("mixup").accounts(true);
    match accounts.discover(&server.url()) {
        Err(AccountError::Plugin(Error::OAuth(OAuthError::IssuerMismatch {
            expected,
            received,
        }))) => {
            assert_eq!(expected, server.url());
            assert_eq!(received, "https://evil.example");
        }
        other => panic!("expected issuer-mismatch, got {other:?}"),
    }
}
