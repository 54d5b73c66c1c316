//! SASL initial responses for IMAP, POP3 and SMTP (XOAUTH2, OAUTHBEARER) and the
//! decoding of a server's error challenge. Pure: no I/O.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::SaslError;
use crate::json::{Member, object_members};
use crate::types::SaslFailure;

impl SaslError {
    fn input(what: impl Into<String>) -> Self {
        SaslError(what.into())
    }
}

/// Refuses an empty value or one holding a control byte, which would let a value
/// inject `\x01`-separated key/values. Names the field, never the value.
fn check(field: &str, value: &str) -> Result<(), SaslError> {
    if value.is_empty() {
        return Err(SaslError::input(format!("{field}: empty")));
    }
    if value.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(SaslError::input(format!(
            "{field}: holds a control character"
        )));
    }
    Ok(())
}

/// The XOAUTH2 initial client response: base64 of
/// `user=<user>\x01auth=Bearer <token>\x01\x01`.
pub fn xoauth2(user: &str, access_token: &str) -> Result<String, SaslError> {
    check("user", user)?;
    check("access-token", access_token)?;
    // Concatenated by hand rather than with `format!`: this runs once per
    // mail login, and the formatting machinery is most of its cost.
    let parts: [&[u8]; 5] = [
        b"user=",
        user.as_bytes(),
        b"\x01auth=Bearer ",
        access_token.as_bytes(),
        b"\x01\x01",
    ];
    let mut raw = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        raw.extend_from_slice(part);
    }
    Ok(STANDARD.encode(raw))
}

/// The OAUTHBEARER initial client response (RFC 7628 §3.1), base64.
pub fn oauthbearer(
    user: &str,
    host: &str,
    port: u16,
    access_token: &str,
) -> Result<String, SaslError> {
    check("user", user)?;
    check("host", host)?;
    check("access-token", access_token)?;
    let saslname = user.replace('=', "=3D").replace(',', "=2C");
    Ok(STANDARD.encode(format!(
        "n,a={saslname},\x01host={host}\x01port={port}\x01auth=Bearer {access_token}\x01\x01"
    )))
}

/// Decodes a server's error challenge: base64 of a JSON object with `status`,
/// `schemes` and `scope` (RFC 7628 §3.2.2; Google sends the same for XOAUTH2).
pub fn parse_failure(challenge: &str) -> Result<SaslFailure, SaslError> {
    let bytes = STANDARD
        .decode(challenge.trim())
        .map_err(|_| SaslError::input("challenge: not base64"))?;
    let Ok(Some(mut members)) = object_members(&bytes, &["status", "schemes", "scope"]) else {
        return Err(SaslError::input("challenge: not a JSON object"));
    };
    let mut text = |at: usize| match members[at].take() {
        Some(Member::Text(text) | Member::Number(text)) => Some(text),
        _ => None,
    };
    let status = text(0).ok_or_else(|| SaslError::input("challenge: has no status"))?;
    Ok(SaslFailure {
        status,
        schemes: text(1),
        scope: text(2),
    })
}
