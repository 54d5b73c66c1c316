//! The redaction functions: a secret planted anywhere in a text (whole, cut
//! to 16 bytes or more, several times, next to others) never survives
//! `scrub_known`, `scrub_description` or `excerpt`, and `excerpt` is one line
//! of at most 160 characters and a mark.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mail_oauth_guest::redact::{excerpt, scrub_description, scrub_known};

#[derive(Arbitrary, Debug)]
struct Input {
    secrets: Vec<String>,
    /// Text pieces; between two pieces, a planted echo.
    pieces: Vec<String>,
    /// For each echo: which secret, and how many of its bytes.
    echoes: Vec<(u8, u16)>,
}

fuzz_target!(|input: Input| {
    // Real secrets: tokens, codes, verifiers, client secrets, made of URL
    // and base64 characters. At least 16 bytes, so any planted cut of 16+
    // bytes must be removed.
    let secrets: Vec<&str> = input
        .secrets
        .iter()
        .map(String::as_str)
        .filter(|s| s.len() >= 16 && s.bytes().all(is_token_byte))
        .take(4)
        .collect();
    if secrets.is_empty() {
        return;
    }
    let mut text = String::new();
    for (i, piece) in input.pieces.iter().enumerate() {
        text.push_str(piece);
        if let Some(&(which, cut)) = input.echoes.get(i) {
            let secret = secrets[usize::from(which) % secrets.len()];
            let cut = 16 + usize::from(cut) % (secret.len() - 15);
            text.push_str(&secret[..cut]);
        }
    }
    for (name, out) in [
        ("scrub_known", scrub_known(&text, &secrets)),
        ("scrub_description", scrub_description(&text, &secrets)),
        ("excerpt", excerpt(text.as_bytes(), &secrets)),
    ] {
        for secret in &secrets {
            // What is left must not hold 16 leading bytes of any secret,
            // planted or not (a piece may have carried one too).
            let probe = &secret[..16];
            assert!(
                !out.contains(probe),
                "{name} left {probe:?} of a secret in {out:?} (from {text:?})"
            );
        }
        if name == "excerpt" {
            assert!(!out.contains('\n') && !out.contains('\r'), "{out:?}");
            assert!(
                out.chars().count() <= 161,
                "{} characters",
                out.chars().count()
            );
        }
    }
});

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b)
}
