//! SASL: the encoders round-trip (decoding XOAUTH2 and OAUTHBEARER gives back
//! exactly the user, host, port and token), refuse exactly the empty values
//! and those holding a control byte, and never let a value add a key; the
//! error-challenge decoder agrees with `serde_json::Value` on what is a
//! challenge, and what it decodes re-encodes to the same failure.
#![no_main]

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use mail_oauth_guest::sasl::{oauthbearer, parse_failure, xoauth2};
use serde_json::Value;

#[derive(Arbitrary, Debug)]
struct Input {
    user: String,
    host: String,
    port: u16,
    token: String,
    challenge: String,
}

fn usable(value: &str) -> bool {
    !value.is_empty() && !value.bytes().any(|b| b < 0x20 || b == 0x7f)
}

fuzz_target!(|input: Input| {
    let Input {
        user,
        host,
        port,
        token,
        challenge,
    } = input;

    match xoauth2(&user, &token) {
        Ok(encoded) => {
            assert!(usable(&user) && usable(&token));
            let raw = STANDARD.decode(&encoded).expect("base64");
            let raw = String::from_utf8(raw).expect("UTF-8");
            let fields: Vec<&str> = raw.split('\x01').collect();
            assert_eq!(
                fields,
                [
                    format!("user={user}").as_str(),
                    &format!("auth=Bearer {token}"),
                    "",
                    ""
                ]
            );
        }
        Err(e) => {
            assert!(!usable(&user) || !usable(&token), "refused {e:?}");
            // The message names the field and the fault, never the value.
            let fields = ["user", "access-token"];
            let faults = ["empty", "holds a control character"];
            assert!(
                fields
                    .iter()
                    .any(|f| faults.iter().any(|k| e.0 == format!("{f}: {k}"))),
                "an unexpected message {e:?}"
            );
        }
    }

    match oauthbearer(&user, &host, port, &token) {
        Ok(encoded) => {
            assert!(usable(&user) && usable(&host) && usable(&token));
            let raw = String::from_utf8(STANDARD.decode(&encoded).expect("base64")).expect("UTF-8");
            let fields: Vec<&str> = raw.split('\x01').collect();
            assert_eq!(fields.len(), 6, "{raw:?}");
            let gs2 = fields[0]
                .strip_prefix("n,a=")
                .and_then(|rest| rest.strip_suffix(','))
                .expect("a GS2 header");
            assert!(!gs2.contains(','), "an unescaped comma in {gs2:?}");
            assert_eq!(gs2.replace("=2C", ",").replace("=3D", "="), user);
            assert_eq!(fields[1], format!("host={host}"));
            assert_eq!(fields[2], format!("port={port}"));
            assert_eq!(fields[3], format!("auth=Bearer {token}"));
            assert_eq!(&fields[4..], ["", ""]);
        }
        Err(_) => assert!(!usable(&user) || !usable(&host) || !usable(&token)),
    }

    let decoded = STANDARD
        .decode(challenge.trim())
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let expected = decoded.as_ref().and_then(Value::as_object).and_then(|map| {
        Some((
            text(map.get("status"))?,
            text(map.get("schemes")),
            text(map.get("scope")),
        ))
    });
    match (parse_failure(&challenge), expected) {
        (Ok(failure), Some((status, schemes, scope))) => {
            assert_eq!(
                (&failure.status, &failure.schemes, &failure.scope),
                (&status, &schemes, &scope)
            );
            let mut again = serde_json::Map::new();
            again.insert("status".into(), Value::String(failure.status.clone()));
            for (name, value) in [("schemes", &failure.schemes), ("scope", &failure.scope)] {
                if let Some(value) = value {
                    again.insert(name.into(), Value::String(value.clone()));
                }
            }
            let json = serde_json::to_vec(&Value::Object(again)).expect("JSON");
            assert_eq!(parse_failure(&STANDARD.encode(json)), Ok(failure));
        }
        (Err(_), None) => {}
        (got, expected) => panic!("parse_failure says {got:?}, serde_json {expected:?}"),
    }
});
