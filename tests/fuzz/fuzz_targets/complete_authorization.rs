//! `complete-authorization` with arbitrary callback strings: no HTTP request
//! unless the callback's one `state` parameter is the pending state, at most
//! one request (the code exchange), and no secret of the pending
//! authorization (state, verifier, nonce, client secret) in any error.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mail_oauth_fuzz::*;
use mail_oauth_guest::authorize::complete_authorization;

#[derive(Arbitrary, Debug)]
struct Input {
    before: String,
    /// Put `state=<the pending state>` between the two halves.
    with_state: bool,
    after: String,
}

fuzz_target!(|input: Input| {
    let callback = if input.with_state {
        format!("{}state={STATE}{}", input.before, input.after)
    } else {
        format!("{}{}", input.before, input.after)
    };
    let http = ScriptedHttp::new(vec![fresh_tokens()]);
    let result = complete_authorization(
        &http,
        &provider(),
        &client(),
        &pending(),
        &callback,
        1_700_000_000,
    );
    let requests = http.requests();
    assert!(requests.len() <= 1, "{} requests", requests.len());
    if !requests.is_empty() {
        assert_eq!(
            states(&callback),
            [STATE],
            "a request was sent for the callback {callback:?}"
        );
        assert_eq!(requests[0].url, TOKEN_URL);
    }
    if let Err(e) = &result {
        assert_hidden(
            &format!("{e} {e:?}"),
            &[STATE, VERIFIER, NONCE, CLIENT_SECRET],
            "the error",
        );
    }
});

/// Every `state` value of the callback's query, decoded: what a reader of
/// RFC 6749 §4.1.2 takes from it (a full URL's query, else the text after an
/// optional `?`).
fn states(callback: &str) -> Vec<String> {
    let callback = callback.trim();
    let query = match url::Url::parse(callback) {
        Ok(url) => url.query().unwrap_or_default().to_owned(),
        Err(_) => callback.strip_prefix('?').unwrap_or(callback).to_owned(),
    };
    url::form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned())
        .collect()
}
