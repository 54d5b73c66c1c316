//! Turning response bodies and provider texts into error text that cannot carry a
//! secret.

/// Longest excerpt of a body put into an error, in characters.
const EXCERPT_CHARS: usize = 160;

/// A run of this many token characters is treated as a possible secret.
const TOKEN_RUN: usize = 20;

/// JSON members whose values are secrets whatever their length.
const SECRET_KEYS: [&str; 8] = [
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "code_verifier",
    "client_secret",
    "state",
    "nonce",
];

const MARK: &str = "[…]";

/// Known secrets shorter than this are not searched for: real tokens, codes,
/// verifiers and client secrets are far longer, and a two-letter "secret" would
/// mangle ordinary words of an error message.
const MIN_KNOWN_SECRET: usize = 8;

/// An echo of this many leading bytes of a known secret (or more) is removed
/// like the whole secret: a server that quotes the start of a token, cut to
/// its own line length, still shows most of it.
const PARTIAL_ECHO: usize = 16;

/// Replaces every occurrence of each known secret, and every run of text that
/// begins like one for at least [`PARTIAL_ECHO`] bytes (a truncated echo), by
/// `[…]`. Overlapping or adjacent spans become one mark, so a mark never
/// joins with its neighbours into something that reads like a secret.
pub fn scrub_known(text: &str, secrets: &[&str]) -> String {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for secret in secrets
        .iter()
        .filter(|secret| secret.len() >= MIN_KNOWN_SECRET)
    {
        let probe = &secret[..char_floor(secret, PARTIAL_ECHO)];
        let probe = if probe.len() < MIN_KNOWN_SECRET {
            secret
        } else {
            probe
        };
        for (start, _) in text.match_indices(probe) {
            let matched = text.as_bytes()[start..]
                .iter()
                .zip(secret.as_bytes())
                .take_while(|(a, b)| a == b)
                .count();
            let mut end = start + matched;
            while !text.is_char_boundary(end) {
                end += 1;
            }
            spans.push((start, end));
        }
    }
    if spans.is_empty() {
        return text.to_owned();
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    let mut spans = spans.into_iter().peekable();
    while let Some((start, mut end)) = spans.next() {
        while let Some(&(next_start, next_end)) = spans.peek() {
            if next_start > end {
                break;
            }
            end = end.max(next_end);
            spans.next();
        }
        out.push_str(&text[done..start]);
        out.push_str(MARK);
        done = end;
    }
    out.push_str(&text[done..]);
    out
}

/// The largest char boundary of `text` at or below `at`.
fn char_floor(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A provider's free text (`error_description`, from the token endpoint or the
/// callback): known secrets and long token-like runs removed, GUIDs (Microsoft's
/// trace and correlation ids) kept.
pub fn scrub_description(text: &str, secrets: &[&str]) -> String {
    scrub_token_runs(&scrub_known(text, secrets))
}

/// A short, single-line excerpt of `body` with known secrets, the values of secret
/// JSON members and every long token-like run removed.
pub fn excerpt(body: &[u8], secrets: &[&str]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = scrub_known(&text, secrets);
    let text = scrub_secret_members(&text);
    let text = scrub_token_runs(&text);
    let mut line = String::new();
    let mut last_space = true;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            if !last_space {
                line.push(' ');
            }
            last_space = true;
        } else {
            line.push(c);
            last_space = false;
        }
    }
    let line = line.trim_end();
    if line.chars().count() > EXCERPT_CHARS {
        let cut: String = line.chars().take(EXCERPT_CHARS).collect();
        format!("{cut}…")
    } else {
        line.to_owned()
    }
}

/// Replaces the value of each `"<secret key>": <value>` by `"[…]"`.
fn scrub_secret_members(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for key in SECRET_KEYS {
            let quoted = format!("\"{key}\"");
            if let Some(after_key) = rest.strip_prefix(quoted.as_str()) {
                let after_ws = after_key.trim_start();
                if let Some(after_colon) = after_ws.strip_prefix(':') {
                    let value = after_colon.trim_start();
                    out.push_str(&quoted);
                    out.push_str(": \"");
                    out.push_str(MARK);
                    out.push('"');
                    rest = skip_json_value(value);
                    continue 'outer;
                }
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The text after a JSON value (a string, or a bare literal up to `,` `}` `]`).
fn skip_json_value(value: &str) -> &str {
    if let Some(inner) = value.strip_prefix('"') {
        let mut escaped = false;
        for (i, c) in inner.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => return &inner[i + 1..],
                _ => {}
            }
        }
        ""
    } else {
        let end = value
            .find(|c: char| c == ',' || c == '}' || c == ']' || c.is_whitespace())
            .unwrap_or(value.len());
        &value[end..]
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=' | '%')
}

/// Replaces each run of [`TOKEN_RUN`] or more token characters by `[…]`.
fn scrub_token_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= TOKEN_RUN && !is_guid(run) {
            out.push_str(MARK);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// `8-4-4-4-12` hex digits: an identifier, never a secret.
fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_long_runs_secret_members_and_known_secrets() {
        let body = br#"{"access_token": "short", "note": "abcdefghijklmnopqrstuvwxyz0123", "x": "s3cr3t-v"}"#;
        let text = excerpt(body, &["s3cr3t-v"]);
        assert!(!text.contains("short"), "{text}");
        assert!(!text.contains("abcdefghij"), "{text}");
        assert!(!text.contains("s3cr3t-v"), "{text}");
        assert!(text.contains("note"), "{text}");
    }

    #[test]
    fn partial_echoes_of_a_known_secret_are_removed() {
        let token = "test-access-tkn-0123456789abcdefghijklmnop";
        let text = scrub_known(
            &format!("NO [{}] and again {}x", &token[..16], &token[..30]),
            &[token],
        );
        assert_eq!(text, "NO [[…]] and again […]x");
        // Fifteen bytes are not an echo: ordinary words survive.
        let text = scrub_known(&format!("saw {}", &token[..15]), &[token]);
        assert!(text.contains(&token[..15]), "{text}");
    }

    #[test]
    fn overlapping_secrets_make_one_mark() {
        let text = scrub_known("a secret-one-two- b", &["secret-one", "one-two-"]);
        assert_eq!(text, "a […] b");
        let text = scrub_known("x abcdefghabcdefgh y", &["abcdefgh"]);
        assert_eq!(text, "x […] y");
    }

    #[test]
    fn keeps_guids() {
        let text = scrub_description(
            "AADSTS70008: expired. Trace ID: 0d8f1c2e-1111-4a5b-9c3d-abcdefabcdef x",
            &[],
        );
        assert!(
            text.contains("0d8f1c2e-1111-4a5b-9c3d-abcdefabcdef"),
            "{text}"
        );
    }

    #[test]
    fn truncates_to_a_single_short_line() {
        let body = "word \n".repeat(100);
        let text = excerpt(body.as_bytes(), &[]);
        assert!(text.chars().count() <= EXCERPT_CHARS + 1);
        assert!(!text.contains('\n'));
    }
}
