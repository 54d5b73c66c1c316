//! FORMAT.md's patterns: `{"$re": ...}`, `{"$any": true}`, objects as
//! subsets, arrays element by element, scalars by equality.

use regex::Regex;
use serde_json::Value as Json;

/// Where `actual` first departs from `pattern`, or `Ok` when it matches.
/// The text names the JSON path (`$.ok.url`) and what was expected there.
pub fn check(pattern: &Json, actual: &Json) -> Result<(), String> {
    check_at(pattern, actual, "$")
}

fn check_at(pattern: &Json, actual: &Json, path: &str) -> Result<(), String> {
    match pattern {
        Json::Object(object) => {
            if let Some(special) = operator(object) {
                return special.check(actual, path);
            }
            let Json::Object(actual_object) = actual else {
                return Err(format!("{path}: expected an object, got {}", brief(actual)));
            };
            for (key, sub) in object {
                let sub_path = format!("{path}.{key}");
                match actual_object.get(key) {
                    Some(value) => check_at(sub, value, &sub_path)?,
                    None => return Err(format!("{sub_path}: missing")),
                }
            }
            Ok(())
        }
        Json::Array(items) => {
            let Json::Array(actual_items) = actual else {
                return Err(format!("{path}: expected an array, got {}", brief(actual)));
            };
            if items.len() != actual_items.len() {
                return Err(format!(
                    "{path}: expected {} elements, got {}",
                    items.len(),
                    actual_items.len()
                ));
            }
            for (i, (sub, value)) in items.iter().zip(actual_items).enumerate() {
                check_at(sub, value, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        scalar if scalar_eq(scalar, actual) => Ok(()),
        scalar => Err(format!("{path}: expected {scalar}, got {}", brief(actual))),
    }
}

/// A `$re` or `$any` object.
enum Operator<'a> {
    Regex(&'a str),
    Any,
    /// A `$`-key used wrongly: a vector bug, reported as a failure.
    Invalid(String),
}

fn operator(object: &serde_json::Map<String, Json>) -> Option<Operator<'_>> {
    if object.len() != 1 {
        return object
            .keys()
            .find(|k| k.starts_with('$'))
            .map(|k| Operator::Invalid(format!("`{k}` must be the only key of its object")));
    }
    let (key, value) = object.iter().next()?;
    match (key.as_str(), value) {
        ("$re", Json::String(re)) => Some(Operator::Regex(re)),
        ("$re", _) => Some(Operator::Invalid("`$re` takes a string".to_owned())),
        ("$any", Json::Bool(true)) => Some(Operator::Any),
        ("$any", _) => Some(Operator::Invalid("`$any` takes `true`".to_owned())),
        (k, _) if k.starts_with('$') => Some(Operator::Invalid(format!("unknown operator `{k}`"))),
        _ => None,
    }
}

impl Operator<'_> {
    fn check(&self, actual: &Json, path: &str) -> Result<(), String> {
        match self {
            Operator::Any => Ok(()),
            Operator::Invalid(why) => Err(format!("{path}: invalid pattern: {why}")),
            Operator::Regex(re) => {
                // FORMAT.md: the regex must match the whole string.
                let anchored = Regex::new(&format!("^(?:{re})$"))
                    .map_err(|e| format!("{path}: invalid pattern: bad regex {re:?}: {e}"))?;
                match actual {
                    Json::String(s) if anchored.is_match(s) => Ok(()),
                    Json::String(_) => {
                        Err(format!("{path}: {} does not match /{re}/", brief(actual)))
                    }
                    other => Err(format!(
                        "{path}: expected a string matching /{re}/, got {}",
                        brief(other)
                    )),
                }
            }
        }
    }
}

/// Equal scalars; numbers by value, so that `5` matches `5.0`.
fn scalar_eq(pattern: &Json, actual: &Json) -> bool {
    match (pattern, actual) {
        (Json::Number(a), Json::Number(b)) => {
            match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => a.as_f64() == b.as_f64(),
            }
        }
        _ => pattern == actual,
    }
}

/// The value for a message, cut short: a mismatch report must stay readable.
fn brief(value: &Json) -> String {
    const MAX: usize = 200;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        text
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ok(pattern: Json, actual: Json) {
        assert_eq!(check(&pattern, &actual), Ok(()), "{pattern} vs {actual}");
    }

    fn fails(pattern: Json, actual: Json) -> String {
        check(&pattern, &actual).unwrap_err()
    }

    #[test]
    fn scalars_match_equal_scalars() {
        ok(json!(1), json!(1));
        ok(json!(5), json!(5.0));
        ok(json!("a"), json!("a"));
        ok(json!(null), json!(null));
        ok(json!(false), json!(false));
        assert_eq!(fails(json!(1), json!(2)), "$: expected 1, got 2");
        assert_eq!(fails(json!(null), json!(0)), "$: expected null, got 0");
        assert_eq!(fails(json!("1"), json!(1)), r#"$: expected "1", got 1"#);
        ok(json!(u64::MAX), json!(u64::MAX));
        assert!(check(&json!(u64::MAX), &json!(u64::MAX - 1)).is_err());
    }

    #[test]
    fn a_regex_must_match_the_whole_string() {
        ok(json!({"$re": "ab+"}), json!("abbb"));
        ok(json!({"$re": "a|b"}), json!("b"));
        assert_eq!(
            fails(json!({"$re": "a|b"}), json!("ab")),
            r#"$: "ab" does not match /a|b/"#
        );
        assert!(fails(json!({"$re": "b"}), json!("abc")).contains("does not match"));
        assert_eq!(
            fails(json!({"$re": "1"}), json!(1)),
            "$: expected a string matching /1/, got 1"
        );
        assert!(fails(json!({"$re": "("}), json!("(")).contains("invalid pattern: bad regex"));
    }

    #[test]
    fn any_matches_everything_null_included() {
        ok(json!({"$any": true}), json!(null));
        ok(json!({"ok": {"$any": true}}), json!({"ok": [1, {"x": 2}]}));
        // A missing key is not a null value.
        assert_eq!(
            fails(json!({"ok": {"$any": true}}), json!({})),
            "$.ok: missing"
        );
    }

    #[test]
    fn operators_used_wrongly_fail_the_vector() {
        assert!(fails(json!({"$any": false}), json!(1)).contains("`$any` takes `true`"));
        assert!(fails(json!({"$re": 1}), json!("1")).contains("`$re` takes a string"));
        assert!(fails(json!({"$re": "a", "x": 1}), json!("a")).contains("must be the only key"));
        assert!(fails(json!({"$eq": 1}), json!(1)).contains("unknown operator `$eq`"));
    }

    #[test]
    fn objects_match_as_subsets() {
        ok(json!({}), json!({"a": 1}));
        ok(
            json!({"err": {"tag": "invalid-input"}}),
            json!({"err": {"tag": "invalid-input", "val": "user"}}),
        );
        assert_eq!(
            fails(json!({"err": {"tag": "invalid-input"}}), json!({"ok": "x"})),
            "$.err: missing"
        );
        assert_eq!(
            fails(json!({"a": {"b": 1}}), json!({"a": {"b": 2}})),
            "$.a.b: expected 1, got 2"
        );
        assert_eq!(fails(json!({}), json!([])), "$: expected an object, got []");
    }

    #[test]
    fn arrays_match_element_by_element_with_the_same_length() {
        ok(json!([]), json!([]));
        ok(json!([{"$re": "a+"}, 2]), json!(["aa", 2]));
        assert_eq!(
            fails(json!([1]), json!([1, 2])),
            "$: expected 1 elements, got 2"
        );
        assert_eq!(
            fails(json!([1, 3]), json!([1, 2])),
            "$[1]: expected 3, got 2"
        );
        assert_eq!(fails(json!([]), json!({})), "$: expected an array, got {}");
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "x".repeat(1000);
        let why = fails(json!("y"), json!(long));
        assert!(why.len() < 300, "{why}");
        assert!(why.ends_with('…'));
    }
}
