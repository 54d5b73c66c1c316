//! The JSON member reader against `serde_json::Value`: the same inputs are
//! valid, the same are objects, and every wanted member reads as the `Value`
//! map holds it (the last of a repeated member, numbers printed alike,
//! nested objects member by member). `object_members_once` refuses exactly
//! the objects that repeat a wanted member at the top level.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_oauth_guest::json::{Member, object_members, object_members_once};
use serde_json::Value;

const FIXED: [&str; 4] = ["access_token", "error", "expires_in", "scope"];

fuzz_target!(|data: &[u8]| {
    let value = serde_json::from_slice::<Value>(data);
    // Wanted: the fixed names, and the first keys the input has.
    let keys: Vec<String> = match &value {
        Ok(Value::Object(map)) => map.keys().take(4).cloned().collect(),
        _ => Vec::new(),
    };
    // Each name once (the reader answers for the first of a repeated name).
    let mut names: Vec<&str> = FIXED.to_vec();
    for key in &keys {
        if !names.contains(&key.as_str()) {
            names.push(key);
        }
    }
    let got = object_members(data, &names);
    match (&value, &got) {
        (Err(_), Err(())) => return,
        (Ok(Value::Object(_)), Ok(Some(_))) => {}
        (Ok(v), Ok(None)) if !v.is_object() => return,
        _ => panic!("serde_json says {value:?}, the reader {got:?}"),
    }
    let (Ok(Value::Object(map)), Ok(Some(members))) = (&value, &got) else {
        unreachable!()
    };
    for (name, member) in names.iter().zip(members) {
        match (map.get(*name), member) {
            (None, None) => {}
            (Some(v), Some(m)) => assert_same(v, m),
            (v, m) => panic!("member {name:?}: Value {v:?}, reader {m:?}"),
        }
    }
    let repeated = names.iter().any(|name| top_level_count(data, name) > 1);
    assert_eq!(
        object_members_once(data, &names).is_err(),
        repeated,
        "object_members_once on a repeated member"
    );
});

/// How often the top-level object has the member `name`, counted by
/// streaming through it with serde_json's own map access.
fn top_level_count(data: &[u8], name: &str) -> usize {
    struct Count<'a>(&'a str);
    impl<'de> serde::de::Visitor<'de> for Count<'_> {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
            let mut n = 0;
            while let Some((key, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                n += usize::from(key == self.0);
            }
            Ok(n)
        }
    }
    use serde::Deserializer as _;
    let mut de = serde_json::Deserializer::from_slice(data);
    de.deserialize_map(Count(name)).expect("valid object")
}

fn assert_same(value: &Value, member: &Member) {
    match (value, member) {
        (Value::String(s), Member::Text(t)) => assert_eq!(s, t),
        (Value::Number(n), Member::Number(m)) => assert_eq!(&n.to_string(), m),
        (Value::Null, Member::Null) => {}
        (Value::Array(items), Member::Texts(texts)) => {
            let strings: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            assert_eq!(strings.len(), items.len(), "{items:?} read as texts");
            assert_eq!(
                strings,
                texts.iter().map(String::as_str).collect::<Vec<_>>()
            );
        }
        (Value::Array(items), Member::Other) => {
            assert!(
                !items.iter().all(Value::is_string),
                "a string array read as other"
            );
        }
        (Value::Bool(_), Member::Other) => {}
        (Value::Object(map), Member::Object(_)) => {
            for (key, v) in map {
                assert_same(v, member.get(key).expect("every key"));
            }
            let Member::Object(members) = member else {
                unreachable!()
            };
            for (key, _) in members {
                assert!(map.contains_key(key), "an extra key {key:?}");
            }
        }
        (v, m) => panic!("Value {v:?} read as {m:?}"),
    }
}
