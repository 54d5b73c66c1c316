//! Reading a few members of a JSON object without building a `serde_json::Value`
//! tree (its map, number and visitor code is large in the component).
//!
//! The input is checked exactly as `serde_json::from_slice::<Value>` checks it
//! (every value visited, numbers in range, nothing but whitespace after it), and a
//! member given twice keeps its last value, as a `Value` map does.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// A wanted member's value, as far as the callers care.
#[derive(Debug, PartialEq, Eq)]
pub enum Member {
    /// A JSON string.
    Text(String),
    /// A JSON number, printed as `serde_json::Number` prints it.
    Number(String),
    /// `null`.
    Null,
    /// An array of strings only (possibly empty).
    Texts(Vec<String>),
    /// An object: its members, in order.
    Object(Vec<(String, Member)>),
    /// Anything else (a boolean, any other array).
    Other,
}

impl Member {
    /// The string, when the member is a JSON string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Member::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The member `name` of an object, when this is one and has it.
    pub fn get(&self, name: &str) -> Option<&Member> {
        match self {
            Member::Object(members) => members
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, m)| m),
            _ => None,
        }
    }
}

/// Parses `bytes` as one JSON value. `Err` when it is not valid JSON; `Ok(None)`
/// when it is valid but not an object; else the value of each of `names`, in order
/// (`None` for a member that is absent).
#[allow(
    clippy::result_unit_err,
    reason = "the callers only need to know that the JSON is invalid"
)]
pub fn object_members(bytes: &[u8], names: &[&str]) -> Result<Option<Vec<Option<Member>>>, ()> {
    parse(bytes, names, false)
}

/// As [`object_members`], but a wanted member given twice makes the JSON invalid
/// (as it does for a `#[derive(Deserialize)]` struct).
#[allow(
    clippy::result_unit_err,
    reason = "the callers only need to know that the JSON is invalid"
)]
pub fn object_members_once(
    bytes: &[u8],
    names: &[&str],
) -> Result<Option<Vec<Option<Member>>>, ()> {
    parse(bytes, names, true)
}

/// The wanted members of the one value `deserializer` holds, a wanted member
/// given twice being an error: what [`object_members_once`] reads, for a
/// `Deserialize` impl.
pub(crate) fn members_once<'de, D: Deserializer<'de>>(
    deserializer: D,
    names: &[&str],
) -> Result<Option<Vec<Option<Member>>>, D::Error> {
    deserializer.deserialize_any(TopVisitor { names, once: true })
}

fn parse(bytes: &[u8], names: &[&str], once: bool) -> Result<Option<Vec<Option<Member>>>, ()> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let top = (&mut de)
        .deserialize_any(TopVisitor { names, once })
        .map_err(drop)?;
    de.end().map_err(drop)?;
    Ok(top)
}

/// Skips any value while checking it.
struct Skip;

impl<'de> serde::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SkipVisitor)
    }
}

/// Visits (and drops) every element of an array.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<Skip>()?.is_some() {}
    Ok(())
}

/// Visits (and drops) every remaining member of an object.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<Skip, Skip>()?.is_some() {}
    Ok(())
}

/// Accepts every kind of value: `serde_json` calls one `visit_*` per value.
macro_rules! accept_scalars {
    ($value:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    accept_scalars!(Skip);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Skip, A::Error> {
        drain_seq(seq).map(|()| Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Skip, A::Error> {
        drain_map(map).map(|()| Skip)
    }
}

impl<'de> serde::Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Member, E> {
        Ok(Member::Other)
    }

    fn visit_i64<E>(self, value: i64) -> Result<Member, E> {
        Ok(Member::Number(value.to_string()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Member, E> {
        Ok(Member::Number(value.to_string()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Member, E> {
        // `Value` turns a non-finite number into `null`; JSON has none anyway.
        Ok(serde_json::Number::from_f64(value)
            .map_or(Member::Other, |number| Member::Number(number.to_string())))
    }

    fn visit_str<E>(self, value: &str) -> Result<Member, E> {
        Ok(Member::Text(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Member, E> {
        Ok(Member::Text(value))
    }

    fn visit_unit<E>(self) -> Result<Member, E> {
        Ok(Member::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Member, A::Error> {
        let mut texts = Some(Vec::new());
        while let Some(element) = seq.next_element::<Member>()? {
            match (&mut texts, element) {
                (Some(texts), Member::Text(text)) => texts.push(text),
                _ => texts = None,
            }
        }
        Ok(texts.map_or(Member::Other, Member::Texts))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Member, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            members.push((key, map.next_value_seed(MemberSeed)?));
        }
        Ok(Member::Object(members))
    }
}

/// The top-level value: an object's wanted members, or `None` for any other value.
struct TopVisitor<'a> {
    names: &'a [&'a str],
    /// A wanted member given twice is an error.
    once: bool,
}

impl<'de> Visitor<'de> for TopVisitor<'_> {
    type Value = Option<Vec<Option<Member>>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    accept_scalars!(None);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: Vec<Option<Member>> = self.names.iter().map(|_| None).collect();
        while let Some(key) = map.next_key::<String>()? {
            match self.names.iter().position(|name| *name == key) {
                Some(at) => {
                    if self.once && members[at].is_some() {
                        return Err(serde::de::Error::custom("duplicate member"));
                    }
                    members[at] = Some(map.next_value_seed(MemberSeed)?);
                }
                None => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(Some(members))
    }
}

struct MemberSeed;

impl<'de> DeserializeSeed<'de> for MemberSeed {
    type Value = Member;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Member, D::Error> {
        deserializer.deserialize_any(MemberVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(json: &str, names: &[&str]) -> Result<Option<Vec<Option<Member>>>, ()> {
        object_members(json.as_bytes(), names)
    }

    #[test]
    fn reads_wanted_members_like_a_value_map() {
        let got = members(
            r#"{"a": "x", "b": 401, "c": -2, "d": 1.5e2, "e": null, "f": [1, {"g": 2}], "a": "y"}"#,
            &["a", "b", "c", "d", "e", "f", "h"],
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            got,
            vec![
                Some(Member::Text("y".into())),
                Some(Member::Number("401".into())),
                Some(Member::Number("-2".into())),
                Some(Member::Number(
                    serde_json::Number::from_f64(150.0).unwrap().to_string()
                )),
                Some(Member::Null),
                Some(Member::Other),
                None,
            ]
        );
    }

    #[test]
    fn reads_string_arrays_and_refuses_repeated_members_when_asked() {
        let got = members(
            r#"{"a": ["x", "y"], "b": [], "c": ["x", 1]}"#,
            &["a", "b", "c"],
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            got,
            vec![
                Some(Member::Texts(vec!["x".into(), "y".into()])),
                Some(Member::Texts(Vec::new())),
                Some(Member::Other),
            ]
        );
        let twice = br#"{"a": 1, "b": 2, "a": 3}"#;
        assert!(object_members(twice, &["a"]).is_ok());
        assert_eq!(object_members_once(twice, &["a"]), Err(()));
        assert!(object_members_once(twice, &["b"]).is_ok());
    }

    #[test]
    fn tells_invalid_json_from_other_values() {
        assert_eq!(members("[1, 2]", &["a"]), Ok(None));
        assert_eq!(members("\"text\"", &["a"]), Ok(None));
        assert_eq!(members("{\"a\": 1} x", &["a"]), Err(()));
        assert_eq!(members("{\"a\": 1e400}", &["a"]), Err(()));
        assert_eq!(members("{\"b\": [1e400]}", &["a"]), Err(()));
        assert_eq!(members("{\"a\": }", &["a"]), Err(()));
    }
}
