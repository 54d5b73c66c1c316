//! The egress policy is deny-by-default: the component cannot reach a host
//! the policy does not name, nor loopback unless loopback is allowed, and
//! the refused server never sees a connection.

use std::sync::Arc;

use crate::common::TempStore;
use mail_oauth_runtime::OAuthError;
use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::error::Error;
use mail_oauth_runtime::http_client::{HttpClient, HttpError, HttpLimits};
use mail_oauth_tests::peers;
use mail_oauth_tests::scripted::{Behaviour, ScriptedHttpServer};

fn expect_denied(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::OAuth(OAuthError::Http(HttpError::Denied(target)))) => target,
        other => panic!("expected http(denied), got {other:?}"),
    }
}

#[test]
fn a_host_outside_the_policy_is_refused() {
    peers::ensure_up();
    let outside = ScriptedHttpServer::start(Behaviour::json(200, "{}"));
    // Allowed: the local provider only (and loopback addresses in general).
    let policy = EgressPolicy::deny_all()
        .allow_loopback(true)
        .allow_url(peers::AS_ISSUER)
        .unwrap();
    let http = Arc::new(HttpClient::new(policy, HttpLimits::default()));
    let mut session = crate::common::plugin().session(http.clone()).unwrap();
    assert!(session.discover(peers::AS_ISSUER).is_ok());
    let target = expect_denied(session.discover(&outside.url()));
    assert!(target.contains(&outside.port().to_string()), "{target}");
    assert!(outside.requests().is_empty());
}

#[test]
fn loopback_is_refused_unless_allowed() {
    let server = ScriptedHttpServer::start(Behaviour::json(200, "{}"));
    let accounts = TempStore::new("egress").accounts(false);
    match accounts.discover(&server.url()) {
        Err(mail_oauth_store::accounts::AccountError::Plugin(e)) => {
            expect_denied(Err::<(), _>(e));
        }
        other => panic!("expected a denial, got {other:?}"),
    }
    assert!(server.requests().is_empty());
}
