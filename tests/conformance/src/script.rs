//! A vector's scripted HTTP: each `http.send` takes the next EXCHANGE,
//! checks the request against its pattern and answers what it says.

use std::collections::VecDeque;

use serde_json::{Value as Json, json};

use crate::pattern;

/// What `http.send` answers on a request the script did not expect. The
/// call goes on (the component handles an `http-error`) and the vector fails.
pub const UNEXPECTED: &str = "conformance: unexpected request";

/// One EXCHANGE of a vector's `http` array.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The pattern the request must match.
    request: Json,
    /// The `send` result to give, as the JSON of the WIT value:
    /// `{"ok": response}` or `{"err": http-error}`.
    answer: Json,
}

/// Reads a vector's `http` array (absent: no request allowed).
pub fn parse(http: Option<&Json>) -> Result<Vec<Exchange>, String> {
    let Some(http) = http else {
        return Ok(Vec::new());
    };
    let items = http
        .as_array()
        .ok_or("`http` must be an array of exchanges")?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_exchange(item).map_err(|why| format!("http[{i}]: {why}")))
        .collect()
}

fn parse_exchange(item: &Json) -> Result<Exchange, String> {
    let object = item.as_object().ok_or("an exchange is an object")?;
    if let Some(key) = object
        .keys()
        .find(|k| !["request", "response", "error"].contains(&k.as_str()))
    {
        return Err(format!("unknown key `{key}`"));
    }
    let request = object.get("request").ok_or("missing `request`")?.clone();
    let answer = match (object.get("response"), object.get("error")) {
        (Some(response), None) => json!({ "ok": parse_response(response)? }),
        (None, Some(error)) => json!({ "err": error }),
        _ => return Err("needs exactly one of `response` and `error`".to_owned()),
    };
    Ok(Exchange { request, answer })
}

/// A RESPONSE (`status`, `headers` as pairs, `body` as text) as the JSON of
/// the WIT `response` record.
fn parse_response(response: &Json) -> Result<Json, String> {
    let object = response.as_object().ok_or("`response` is an object")?;
    if let Some(key) = object
        .keys()
        .find(|k| !["status", "headers", "body"].contains(&k.as_str()))
    {
        return Err(format!("unknown key `{key}` in `response`"));
    }
    let status = object
        .get("status")
        .and_then(Json::as_u64)
        .filter(|s| *s <= u64::from(u16::MAX))
        .ok_or("`response.status` must be an HTTP status number")?;
    let headers = object
        .get("headers")
        .and_then(Json::as_array)
        .ok_or("`response.headers` must be an array of [name, value] pairs")?
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([Json::String(name), Json::String(value)]) => {
                Ok(json!({ "name": name, "value": value }))
            }
            _ => Err("`response.headers` must be an array of [name, value] pairs".to_owned()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let body = object
        .get("body")
        .and_then(Json::as_str)
        .ok_or("`response.body` must be a string")?;
    Ok(json!({ "status": status, "headers": headers, "body": body.as_bytes() }))
}

/// The WIT `request` record's JSON (from [`crate::value::from_val`]) in the
/// form FORMAT.md matches: header names lower-case, header pairs as arrays,
/// the body as UTF-8 text (invalid bytes as U+FFFD).
pub fn request_view(request: &Json) -> Result<Json, String> {
    let field = |name: &str| {
        request
            .get(name)
            .ok_or_else(|| format!("the request has no `{name}`"))
    };
    let headers = field("headers")?
        .as_array()
        .ok_or("request headers are not a list")?
        .iter()
        .map(|h| {
            let name = h.get("name").and_then(Json::as_str);
            let value = h.get("value").and_then(Json::as_str);
            match (name, value) {
                (Some(name), Some(value)) => Ok(json!([name.to_ascii_lowercase(), value])),
                _ => Err("a request header is not a name/value record".to_owned()),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({
        "method": field("method")?,
        "url": field("url")?,
        "headers": headers,
        "body": String::from_utf8_lossy(&bytes(field("body")?)?),
    }))
}

/// A `list<u8>`'s JSON (an array of numbers) as bytes.
pub fn bytes(list: &Json) -> Result<Vec<u8>, String> {
    list.as_array()
        .ok_or("expected a list of bytes")?
        .iter()
        .map(|b| {
            b.as_u64()
                .and_then(|b| u8::try_from(b).ok())
                .ok_or_else(|| "expected a list of bytes".to_owned())
        })
        .collect()
}

/// The script of one vector, as the calls go.
#[derive(Debug, Default)]
pub struct Script {
    pending: VecDeque<Exchange>,
    /// Requests seen so far.
    sent: usize,
    failures: Vec<String>,
}

impl Script {
    /// A script that answers `exchanges` in order.
    pub fn new(exchanges: Vec<Exchange>) -> Self {
        Self {
            pending: exchanges.into(),
            sent: 0,
            failures: Vec::new(),
        }
    }

    /// The answer to `request` (in [`request_view`] form), as the JSON of the
    /// `send` result. A request that is not the next one expected is answered
    /// `other(UNEXPECTED)` and recorded as a failure.
    pub fn answer(&mut self, request: &Json) -> Json {
        self.sent += 1;
        let n = self.sent;
        let unexpected = json!({ "err": { "tag": "other", "val": UNEXPECTED } });
        let Some(exchange) = self.pending.pop_front() else {
            self.failures.push(format!(
                "http request {n} ({}) is not in the script",
                summary(request)
            ));
            return unexpected;
        };
        match pattern::check(&exchange.request, request) {
            Ok(()) => exchange.answer,
            Err(why) => {
                let why = why.replacen('$', "request", 1);
                self.failures.push(format!(
                    "http request {n} ({}) does not match the script: {why}",
                    summary(request)
                ));
                unexpected
            }
        }
    }

    /// Records a failure found while answering (an EXCHANGE whose answer does
    /// not fit the WIT type).
    pub fn fail(&mut self, why: String) {
        self.failures.push(why);
    }

    /// The failures of the whole call: those recorded, then the exchanges
    /// never asked for.
    pub fn finish(self) -> Vec<String> {
        let mut failures = self.failures;
        let first = self.sent + 1;
        match self.pending.len() {
            0 => {}
            1 => failures.push(format!("the script's request {first} was never sent")),
            n => failures.push(format!(
                "the script's requests {first} to {} were never sent",
                first + n - 1
            )),
        }
        failures
    }
}

/// `METHOD URL` of a request, for messages.
fn summary(request: &Json) -> String {
    let text = |k: &str| request.get(k).and_then(Json::as_str).unwrap_or("?");
    format!("{} {}", text("method"), text("url"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, url: &str, body: &str) -> Json {
        json!({"method": method, "url": url, "headers": [["content-type", "x"]], "body": body})
    }

    fn script(http: Json) -> Script {
        Script::new(parse(Some(&http)).unwrap())
    }

    #[test]
    fn answers_matching_requests_in_order() {
        let mut s = script(json!([
            {"request": {"method": "POST", "url": "https://a.test/token"},
             "response": {"status": 200, "headers": [["content-type", "application/json"]], "body": "{}"}},
            {"request": {"body": {"$re": "(?:.*&)?grant_type=refresh_token(?:&.*)?"}},
             "error": {"tag": "timeout"}}
        ]));
        assert_eq!(
            s.answer(&request("POST", "https://a.test/token", "")),
            json!({"ok": {"status": 200, "headers": [{"name": "content-type", "value": "application/json"}],
                          "body": [123, 125]}})
        );
        assert_eq!(
            s.answer(&request(
                "POST",
                "https://a.test/token",
                "a=1&grant_type=refresh_token"
            )),
            json!({"err": {"tag": "timeout"}})
        );
        assert!(s.finish().is_empty());
    }

    #[test]
    fn a_mismatch_an_extra_and_a_missing_request_fail() {
        let mut s = script(json!([
            {"request": {"url": "https://a.test/token"}, "error": {"tag": "timeout"}},
            {"request": {}, "error": {"tag": "timeout"}},
            {"request": {}, "error": {"tag": "timeout"}}
        ]));
        let unexpected = json!({"err": {"tag": "other", "val": UNEXPECTED}});
        assert_eq!(s.answer(&request("GET", "https://b.test/", "")), unexpected);
        let failures = s.finish();
        assert_eq!(
            failures,
            [
                r#"http request 1 (GET https://b.test/) does not match the script: request.url: expected "https://a.test/token", got "https://b.test/""#,
                "the script's requests 2 to 3 were never sent"
            ]
        );

        let mut s = Script::new(Vec::new());
        assert_eq!(s.answer(&request("GET", "https://b.test/", "")), unexpected);
        assert_eq!(
            s.finish(),
            ["http request 1 (GET https://b.test/) is not in the script"]
        );
    }

    #[test]
    fn the_request_is_viewed_with_lower_case_names_and_a_text_body() {
        let wit = json!({"method": "POST", "url": "https://a.test/",
                         "headers": [{"name": "Content-Type", "value": "Text/Plain"}],
                         "body": [104, 105, 255]});
        assert_eq!(
            request_view(&wit).unwrap(),
            json!({"method": "POST", "url": "https://a.test/",
                   "headers": [["content-type", "Text/Plain"]], "body": "hi\u{fffd}"})
        );
    }

    #[test]
    fn malformed_exchanges_are_refused() {
        let err = |http: Json| parse(Some(&http)).unwrap_err();
        assert_eq!(err(json!({})), "`http` must be an array of exchanges");
        assert_eq!(err(json!([{"response": {}}])), "http[0]: missing `request`");
        assert_eq!(
            err(json!([{"request": {}}])),
            "http[0]: needs exactly one of `response` and `error`"
        );
        assert_eq!(
            err(json!([{"request": {}, "error": {"tag": "timeout"}, "response": {}}])),
            "http[0]: needs exactly one of `response` and `error`"
        );
        assert_eq!(
            err(json!([{"request": {}, "response": {"status": 70000, "headers": [], "body": ""}}])),
            "http[0]: `response.status` must be an HTTP status number"
        );
        assert_eq!(
            err(
                json!([{"request": {}, "response": {"status": 200, "headers": [["a"]], "body": ""}}])
            ),
            "http[0]: `response.headers` must be an array of [name, value] pairs"
        );
        assert_eq!(
            err(
                json!([{"request": {}, "response": {"status": 200, "headers": [], "body": ""}, "x": 1}])
            ),
            "http[0]: unknown key `x`"
        );
        assert_eq!(parse(None).unwrap(), Vec::new());
    }
}
