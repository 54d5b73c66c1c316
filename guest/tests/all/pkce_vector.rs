//! PKCE S256 (RFC 7636): the published vector, and the challenge sent in a real
//! authorization URL matching its verifier.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mail_oauth_guest::authorize::begin_authorization;
use mail_oauth_guest::{AuthorizationOptions, ClientAuth};
use sha2::{Digest, Sha256};

use crate::common::*;

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[test]
fn rfc7636_appendix_b_vector() {
    // The verifier is the base64url of the 32 octets listed in Appendix B.
    let octets: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37,
        77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];
    let verifier = URL_SAFE_NO_PAD.encode(octets);
    assert_eq!(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    assert_eq!(
        s256(&verifier),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn authorization_url_carries_the_s256_challenge_of_its_verifier() {
    let pending = begin_authorization(
        &custom_provider(ClientAuth::Basic),
        &confidential(),
        &AuthorizationOptions::default(),
    )
    .unwrap();
    assert!(
        pending.pkce_verifier.len() >= 43,
        "RFC 7636 §4.1 minimum length"
    );
    assert_eq!(
        query_param(&pending.url, "code_challenge").as_deref(),
        Some(s256(&pending.pkce_verifier).as_str())
    );
    assert_eq!(
        query_param(&pending.url, "code_challenge_method").as_deref(),
        Some("S256")
    );
}

#[test]
fn every_authorization_gets_a_fresh_verifier_and_state() {
    let provider = custom_provider(ClientAuth::Basic);
    let options = AuthorizationOptions::default();
    let a = begin_authorization(&provider, &public(), &options).unwrap();
    let b = begin_authorization(&provider, &public(), &options).unwrap();
    assert_ne!(a.pkce_verifier, b.pkce_verifier);
    assert_ne!(a.state, b.state);
    // At least 128 random bits of base64url.
    assert!(URL_SAFE_NO_PAD.decode(&a.state).unwrap().len() >= 16);
}
