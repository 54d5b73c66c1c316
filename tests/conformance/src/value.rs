//! WIT values as JSON (FORMAT.md's table), both ways.
//!
//! JSON carries no types, so JSON → [`Val`] is guided by a [`Ty`]: the
//! shape of a wasmtime component [`Type`], as plain data so that the
//! conversion can be tested without a component. [`Val`] → JSON needs no type:
//! a record's field names and a variant's case names travel in the value.
//!
//! Strict on purpose: a record must list every field and no other, a variant
//! carries `val` exactly when its case has a payload. The same vector file
//! runs in every host, and a leniency here would let a vector pass in Rust
//! that another host's runner refuses.

use serde_json::{Map, Value as Json, json};
use wasmtime::component::{Type, Val};

/// The shape of a WIT type.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// `bool`.
    Bool,
    /// `s8`.
    S8,
    /// `u8`.
    U8,
    /// `s16`.
    S16,
    /// `u16`.
    U16,
    /// `s32`.
    S32,
    /// `u32`.
    U32,
    /// `s64`.
    S64,
    /// `u64`.
    U64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `char`.
    Char,
    /// `string`.
    String,
    /// `list<T>` (and a fixed-length list, written the same way).
    List(Box<Ty>),
    /// `record`: the fields in declaration order.
    Record(Vec<(String, Ty)>),
    /// `tuple<...>`.
    Tuple(Vec<Ty>),
    /// `variant`: each case with its payload type, if any.
    Variant(Vec<(String, Option<Ty>)>),
    /// `enum`.
    Enum(Vec<String>),
    /// `option<T>`.
    Option(Box<Ty>),
    /// `result<T, E>`, either side possibly absent.
    Result(Option<Box<Ty>>, Option<Box<Ty>>),
    /// `flags`.
    Flags(Vec<String>),
    /// A type JSON cannot carry (a resource handle, a future, a stream...).
    Opaque(&'static str),
}

impl From<&Type> for Ty {
    fn from(ty: &Type) -> Self {
        let boxed = |t: &Type| Box::new(Ty::from(t));
        match ty {
            Type::Bool => Ty::Bool,
            Type::S8 => Ty::S8,
            Type::U8 => Ty::U8,
            Type::S16 => Ty::S16,
            Type::U16 => Ty::U16,
            Type::S32 => Ty::S32,
            Type::U32 => Ty::U32,
            Type::S64 => Ty::S64,
            Type::U64 => Ty::U64,
            Type::Float32 => Ty::F32,
            Type::Float64 => Ty::F64,
            Type::Char => Ty::Char,
            Type::String => Ty::String,
            Type::List(list) => Ty::List(boxed(&list.ty())),
            Type::FixedLengthList(list) => Ty::List(boxed(&list.ty())),
            Type::Record(record) => Ty::Record(
                record
                    .fields()
                    .map(|f| (f.name.to_owned(), Ty::from(&f.ty)))
                    .collect(),
            ),
            Type::Tuple(tuple) => Ty::Tuple(tuple.types().map(|t| Ty::from(&t)).collect()),
            Type::Variant(variant) => Ty::Variant(
                variant
                    .cases()
                    .map(|c| (c.name.to_owned(), c.ty.as_ref().map(Ty::from)))
                    .collect(),
            ),
            Type::Enum(e) => Ty::Enum(e.names().map(str::to_owned).collect()),
            Type::Option(o) => Ty::Option(boxed(&o.ty())),
            Type::Result(r) => Ty::Result(r.ok().as_ref().map(boxed), r.err().as_ref().map(boxed)),
            Type::Flags(f) => Ty::Flags(f.names().map(str::to_owned).collect()),
            Type::Map(_) => Ty::Opaque("map"),
            Type::Own(_) | Type::Borrow(_) => Ty::Opaque("resource"),
            Type::Future(_) => Ty::Opaque("future"),
            Type::Stream(_) => Ty::Opaque("stream"),
            Type::ErrorContext => Ty::Opaque("error-context"),
        }
    }
}

impl Ty {
    /// The type as JSON, for `--describe`: a scalar by its WIT name
    /// (`"u64"`), a compound as a one-key object (`{"list": "u8"}`,
    /// `{"record": [["name", TY], ...]}`, `{"variant": [["case", TY or null], ...]}`,
    /// `{"enum": [...]}`, `{"option": TY}`, `{"result": [TY or null, TY or null]}`,
    /// `{"tuple": [...]}`, `{"flags": [...]}`, `{"opaque": "resource"}`).
    pub fn describe(&self) -> Json {
        let named = |pairs: &[(String, Ty)]| -> Json {
            pairs
                .iter()
                .map(|(name, ty)| json!([name, ty.describe()]))
                .collect()
        };
        let optional = |ty: Option<&Ty>| ty.map_or(Json::Null, Ty::describe);
        match self {
            Ty::Bool => json!("bool"),
            Ty::S8 => json!("s8"),
            Ty::U8 => json!("u8"),
            Ty::S16 => json!("s16"),
            Ty::U16 => json!("u16"),
            Ty::S32 => json!("s32"),
            Ty::U32 => json!("u32"),
            Ty::S64 => json!("s64"),
            Ty::U64 => json!("u64"),
            Ty::F32 => json!("f32"),
            Ty::F64 => json!("f64"),
            Ty::Char => json!("char"),
            Ty::String => json!("string"),
            Ty::List(ty) => json!({ "list": ty.describe() }),
            Ty::Record(fields) => json!({ "record": named(fields) }),
            Ty::Tuple(types) => {
                json!({ "tuple": types.iter().map(Ty::describe).collect::<Vec<_>>() })
            }
            Ty::Variant(cases) => json!({
                "variant": cases
                    .iter()
                    .map(|(name, ty)| json!([name, optional(ty.as_ref())]))
                    .collect::<Vec<_>>()
            }),
            Ty::Enum(names) => json!({ "enum": names }),
            Ty::Option(ty) => json!({ "option": ty.describe() }),
            Ty::Result(ok, err) => {
                json!({ "result": [optional(ok.as_deref()), optional(err.as_deref())] })
            }
            Ty::Flags(names) => json!({ "flags": names }),
            Ty::Opaque(what) => json!({ "opaque": what }),
        }
    }
}

/// Why a JSON value does not fit a type: where (`$.client.secret`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    /// The JSON path of the offending value, from `$`.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for Misfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// Converts `json` to a value of type `ty`; `path` names `json` in errors.
pub fn to_val(json: &Json, ty: &Ty, path: &str) -> Result<Val, Misfit> {
    let misfit = |reason: String| Misfit {
        path: path.to_owned(),
        reason,
    };
    let expected = |what: &str| misfit(format!("expected {what}, got {}", kind_of(json)));
    Ok(match ty {
        Ty::Bool => Val::Bool(json.as_bool().ok_or_else(|| expected("a boolean"))?),
        Ty::S8 => Val::S8(int(json, path)?),
        Ty::U8 => Val::U8(int(json, path)?),
        Ty::S16 => Val::S16(int(json, path)?),
        Ty::U16 => Val::U16(int(json, path)?),
        Ty::S32 => Val::S32(int(json, path)?),
        Ty::U32 => Val::U32(int(json, path)?),
        Ty::S64 => Val::S64(int(json, path)?),
        Ty::U64 => Val::U64(int(json, path)?),
        // f32 from the nearest f64: JSON numbers are doubles in every host.
        Ty::F32 => Val::Float32(json.as_f64().ok_or_else(|| expected("a number"))? as f32),
        Ty::F64 => Val::Float64(json.as_f64().ok_or_else(|| expected("a number"))?),
        Ty::Char => {
            let s = json
                .as_str()
                .ok_or_else(|| expected("a one-character string"))?;
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Val::Char(c),
                _ => return Err(expected("a one-character string")),
            }
        }
        Ty::String => Val::String(
            json.as_str()
                .ok_or_else(|| expected("a string"))?
                .to_owned(),
        ),
        Ty::List(elem) => {
            let items = json.as_array().ok_or_else(|| expected("an array"))?;
            Val::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| to_val(item, elem, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?,
            )
        }
        Ty::Tuple(types) => {
            let items = json.as_array().ok_or_else(|| expected("an array"))?;
            if items.len() != types.len() {
                return Err(misfit(format!(
                    "expected a tuple of {} elements, got {}",
                    types.len(),
                    items.len()
                )));
            }
            Val::Tuple(
                items
                    .iter()
                    .zip(types)
                    .enumerate()
                    .map(|(i, (item, t))| to_val(item, t, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?,
            )
        }
        Ty::Record(fields) => {
            let object = json.as_object().ok_or_else(|| expected("an object"))?;
            if let Some(unknown) = object.keys().find(|k| !fields.iter().any(|(f, _)| f == *k)) {
                return Err(misfit(format!("unknown field `{unknown}`")));
            }
            let mut vals = Vec::with_capacity(fields.len());
            for (name, t) in fields {
                let value = object
                    .get(name)
                    .ok_or_else(|| misfit(format!("missing field `{name}`")))?;
                vals.push((name.clone(), to_val(value, t, &format!("{path}.{name}"))?));
            }
            Val::Record(vals)
        }
        Ty::Variant(cases) => {
            let object = json
                .as_object()
                .ok_or_else(|| expected(r#"a {"tag": ...} object"#))?;
            let tag = tagged(object, &["tag", "val"], path)?;
            let (_, payload) = cases
                .iter()
                .find(|(name, _)| name == tag)
                .ok_or_else(|| misfit(format!("`{tag}` is not a case of this variant")))?;
            let val = match (payload, object.get("val")) {
                (None, None) => None,
                (Some(t), Some(v)) => Some(Box::new(to_val(v, t, &format!("{path}.val"))?)),
                (None, Some(_)) => return Err(misfit(format!("case `{tag}` has no payload"))),
                (Some(_), None) => return Err(misfit(format!("case `{tag}` needs a `val`"))),
            };
            Val::Variant(tag.to_owned(), val)
        }
        Ty::Enum(names) => {
            let name = json.as_str().ok_or_else(|| expected("a case name"))?;
            if !names.iter().any(|n| n == name) {
                return Err(misfit(format!("`{name}` is not a case of this enum")));
            }
            Val::Enum(name.to_owned())
        }
        Ty::Option(inner) => match json {
            Json::Null => Val::Option(None),
            some => Val::Option(Some(Box::new(to_val(some, inner, path)?))),
        },
        Ty::Result(ok, err) => {
            let object = json
                .as_object()
                .ok_or_else(|| expected(r#"an {"ok": ...} or {"err": ...} object"#))?;
            if object.len() != 1 {
                return Err(expected(r#"an {"ok": ...} or {"err": ...} object"#));
            }
            let side = |t: &Option<Box<Ty>>, v: &Json, p: String| match t {
                Some(t) => to_val(v, t, &p).map(|v| Some(Box::new(v))),
                None if v.is_null() => Ok(None),
                None => Err(Misfit {
                    path: p,
                    reason: "this side of the result has no value: expected null".to_owned(),
                }),
            };
            if let Some(v) = object.get("ok") {
                Val::Result(Ok(side(ok, v, format!("{path}.ok"))?))
            } else if let Some(v) = object.get("err") {
                Val::Result(Err(side(err, v, format!("{path}.err"))?))
            } else {
                return Err(expected(r#"an {"ok": ...} or {"err": ...} object"#));
            }
        }
        Ty::Flags(names) => {
            let items = json
                .as_array()
                .ok_or_else(|| expected("an array of flag names"))?;
            let mut flags = Vec::with_capacity(items.len());
            for item in items {
                let name = item
                    .as_str()
                    .ok_or_else(|| expected("an array of flag names"))?;
                if !names.iter().any(|n| n == name) {
                    return Err(misfit(format!("`{name}` is not a flag of this type")));
                }
                flags.push(name.to_owned());
            }
            Val::Flags(flags)
        }
        Ty::Opaque(what) => return Err(misfit(format!("a {what} cannot be written in JSON"))),
    })
}

/// The `tag` of a variant object whose keys are all in `allowed`.
fn tagged<'a>(
    object: &'a Map<String, Json>,
    allowed: &[&str],
    path: &str,
) -> Result<&'a str, Misfit> {
    let misfit = |reason: String| Misfit {
        path: path.to_owned(),
        reason,
    };
    if let Some(key) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(misfit(format!("unknown key `{key}` in a variant")));
    }
    object
        .get("tag")
        .and_then(Json::as_str)
        .ok_or_else(|| misfit(r#"a variant needs a string "tag""#.to_owned()))
}

fn int<T: TryFrom<i128>>(json: &Json, path: &str) -> Result<T, Misfit> {
    let n = json
        .as_i64()
        .map(i128::from)
        .or_else(|| json.as_u64().map(i128::from));
    let n = n.ok_or_else(|| Misfit {
        path: path.to_owned(),
        reason: format!("expected an integer, got {}", kind_of(json)),
    })?;
    T::try_from(n).map_err(|_| Misfit {
        path: path.to_owned(),
        reason: format!("{n} is out of range for this integer type"),
    })
}

fn kind_of(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Converts a value the component returned to JSON.
pub fn from_val(val: &Val) -> Result<Json, String> {
    let boxed = |v: &Option<Box<Val>>| match v {
        Some(v) => from_val(v),
        None => Ok(Json::Null),
    };
    let list = |items: &[Val]| items.iter().map(from_val).collect::<Result<Vec<_>, _>>();
    Ok(match val {
        Val::Bool(b) => json!(b),
        Val::S8(n) => json!(n),
        Val::U8(n) => json!(n),
        Val::S16(n) => json!(n),
        Val::U16(n) => json!(n),
        Val::S32(n) => json!(n),
        Val::U32(n) => json!(n),
        Val::S64(n) => json!(n),
        Val::U64(n) => json!(n),
        Val::Float32(x) => float(f64::from(*x))?,
        Val::Float64(x) => float(*x)?,
        Val::Char(c) => json!(c.to_string()),
        Val::String(s) => json!(s),
        Val::List(items) | Val::FixedLengthList(items) | Val::Tuple(items) => {
            Json::Array(list(items)?)
        }
        Val::Record(fields) => Json::Object(
            fields
                .iter()
                .map(|(name, v)| Ok((name.clone(), from_val(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        Val::Variant(tag, None) => json!({ "tag": tag }),
        Val::Variant(tag, Some(v)) => json!({ "tag": tag, "val": from_val(v)? }),
        Val::Enum(name) => json!(name),
        Val::Option(v) => boxed(v)?,
        Val::Result(Ok(v)) => json!({ "ok": boxed(v)? }),
        Val::Result(Err(v)) => json!({ "err": boxed(v)? }),
        Val::Flags(names) => json!(names),
        Val::Map(_) => return Err("a map has no JSON form in FORMAT.md".to_owned()),
        Val::Resource(_) => return Err("a resource handle has no JSON form".to_owned()),
        Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_) => {
            return Err("an async value has no JSON form".to_owned());
        }
    })
}

fn float(x: f64) -> Result<Json, String> {
    serde_json::Number::from_f64(x)
        .map(Json::Number)
        .ok_or_else(|| format!("{x} has no JSON form"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Ty {
        Ty::Record(vec![
            ("name".into(), Ty::String),
            ("value".into(), Ty::String),
        ])
    }

    fn http_error() -> Ty {
        Ty::Variant(vec![
            ("denied".into(), Some(Ty::String)),
            ("timeout".into(), None),
        ])
    }

    fn round_trip(json: Json, ty: &Ty) {
        let val = to_val(&json, ty, "$").unwrap();
        assert_eq!(from_val(&val).unwrap(), json, "{ty:?}");
    }

    #[test]
    fn every_shape_round_trips() {
        round_trip(json!(true), &Ty::Bool);
        round_trip(json!(-128), &Ty::S8);
        round_trip(json!(u64::MAX), &Ty::U64);
        round_trip(json!(i64::MIN), &Ty::S64);
        round_trip(json!(1.5), &Ty::F64);
        round_trip(json!("é"), &Ty::Char);
        round_trip(json!("a\r\nb"), &Ty::String);
        round_trip(json!([1, 2, 255]), &Ty::List(Box::new(Ty::U8)));
        round_trip(
            json!([["a", "b"]]),
            &Ty::List(Box::new(Ty::Tuple(vec![Ty::String, Ty::String]))),
        );
        round_trip(json!({"name": "n", "value": "v"}), &header());
        round_trip(json!({"tag": "timeout"}), &http_error());
        round_trip(json!({"tag": "denied", "val": "x"}), &http_error());
        round_trip(
            json!("plain"),
            &Ty::Enum(vec!["implicit-tls".into(), "plain".into()]),
        );
        round_trip(json!(null), &Ty::Option(Box::new(Ty::String)));
        round_trip(json!("x"), &Ty::Option(Box::new(Ty::String)));
        round_trip(
            json!({"ok": null}),
            &Ty::Result(None, Some(Box::new(http_error()))),
        );
        round_trip(
            json!({"err": {"tag": "timeout"}}),
            &Ty::Result(None, Some(Box::new(http_error()))),
        );
        round_trip(json!({"ok": 7}), &Ty::Result(Some(Box::new(Ty::U32)), None));
        round_trip(
            json!({"err": null}),
            &Ty::Result(Some(Box::new(Ty::U32)), None),
        );
        round_trip(json!(["b"]), &Ty::Flags(vec!["a".into(), "b".into()]));
    }

    fn misfit(json: Json, ty: &Ty) -> String {
        to_val(&json, ty, "$").unwrap_err().to_string()
    }

    #[test]
    fn integers_are_range_checked() {
        assert_eq!(
            misfit(json!(256), &Ty::U8),
            "$: 256 is out of range for this integer type"
        );
        assert_eq!(
            misfit(json!(-1), &Ty::U64),
            "$: -1 is out of range for this integer type"
        );
        assert_eq!(
            misfit(json!(1.5), &Ty::U32),
            "$: expected an integer, got a number"
        );
        assert_eq!(
            misfit(json!("1"), &Ty::U16),
            "$: expected an integer, got a string"
        );
    }

    #[test]
    fn records_need_every_field_and_no_other() {
        assert_eq!(
            misfit(json!({"name": "n"}), &header()),
            "$: missing field `value`"
        );
        assert_eq!(
            misfit(json!({"name": "n", "value": "v", "x": 1}), &header()),
            "$: unknown field `x`"
        );
        let nested = Ty::List(Box::new(header()));
        assert_eq!(
            misfit(json!([{"name": "n", "value": 1}]), &nested),
            "$[0].value: expected a string, got a number"
        );
    }

    #[test]
    fn variants_carry_val_exactly_when_the_case_has_a_payload() {
        assert_eq!(
            misfit(json!({"tag": "denied"}), &http_error()),
            "$: case `denied` needs a `val`"
        );
        assert_eq!(
            misfit(json!({"tag": "timeout", "val": "x"}), &http_error()),
            "$: case `timeout` has no payload"
        );
        assert_eq!(
            misfit(json!({"tag": "nope"}), &http_error()),
            "$: `nope` is not a case of this variant"
        );
        assert_eq!(
            misfit(json!({"tag": "timeout", "value": 1}), &http_error()),
            "$: unknown key `value` in a variant"
        );
        assert_eq!(
            misfit(json!("timeout"), &http_error()),
            r#"$: expected a {"tag": ...} object, got a string"#
        );
    }

    #[test]
    fn results_enums_chars_and_flags_are_checked() {
        let result = Ty::Result(Some(Box::new(Ty::U32)), None);
        assert!(misfit(json!({"ok": 1, "err": null}), &result).contains(r#"{"ok": ...}"#));
        assert!(misfit(json!({"value": 1}), &result).contains(r#"{"ok": ...}"#));
        assert_eq!(
            misfit(json!({"err": 1}), &result),
            "$.err: this side of the result has no value: expected null"
        );
        assert_eq!(
            misfit(json!("tls"), &Ty::Enum(vec!["plain".into()])),
            "$: `tls` is not a case of this enum"
        );
        assert_eq!(
            misfit(json!("ab"), &Ty::Char),
            "$: expected a one-character string, got a string"
        );
        assert_eq!(
            misfit(json!(["c"]), &Ty::Flags(vec!["a".into()])),
            "$: `c` is not a flag of this type"
        );
        assert_eq!(
            misfit(json!(1), &Ty::Opaque("resource")),
            "$: a resource cannot be written in JSON"
        );
    }

    #[test]
    fn an_option_of_a_record_is_null_or_the_record() {
        let ty = Ty::Option(Box::new(header()));
        assert_eq!(to_val(&json!(null), &ty, "$").unwrap(), Val::Option(None));
        assert_eq!(misfit(json!({}), &ty), "$: missing field `name`");
    }

    #[test]
    fn record_fields_keep_their_kebab_case_names_and_order() {
        let val = Val::Record(vec![
            ("access-token".into(), Val::String("t".into())),
            (
                "expires-at".into(),
                Val::Option(Some(Box::new(Val::U64(5)))),
            ),
        ]);
        assert_eq!(
            from_val(&val).unwrap(),
            json!({"access-token": "t", "expires-at": 5})
        );
    }

    #[test]
    fn non_finite_floats_have_no_json_form() {
        assert!(from_val(&Val::Float64(f64::NAN)).is_err());
        assert_eq!(from_val(&Val::Float32(0.5)).unwrap(), json!(0.5));
    }

    #[test]
    fn describe_names_scalars_and_wraps_compounds() {
        let ty = Ty::Result(
            Some(Box::new(Ty::List(Box::new(Ty::U8)))),
            Some(Box::new(Ty::Variant(vec![
                ("timeout".into(), None),
                ("tls".into(), Some(Ty::String)),
            ]))),
        );
        assert_eq!(
            ty.describe(),
            json!({"result": [{"list": "u8"}, {"variant": [["timeout", null], ["tls", "string"]]}]})
        );
        let record = Ty::Record(vec![("expires-at".into(), Ty::Option(Box::new(Ty::U64)))]);
        assert_eq!(
            record.describe(),
            json!({"record": [["expires-at", {"option": "u64"}]]})
        );
        assert_eq!(
            Ty::Opaque("resource").describe(),
            json!({"opaque": "resource"})
        );
    }
}
