//! Text from servers and providers, made safe for a terminal.
//!
//! Greetings, capabilities, reply lines, `error_description`s, issuers, user
//! codes and e-mail addresses come from the other side of a connection. A
//! terminal obeys the escape sequences in what it prints: a provider could
//! retitle the window, rewrite the previous line ("OK"), or hide text. Every
//! such text is printed through [`printable`], which shows each control
//! character (C0, DEL, C1) and each bidirectional override as a visible
//! `\u{…}` escape. `--json` output needs none of this: JSON escapes them.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` would act on a terminal or reorder the text around it.
fn acts(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// `text` with every control character and bidi override written as `\u{…}`.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(acts) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if acts(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_shown_not_obeyed() {
        let hostile = "* OK ready\x1b]0;pwned\x07\r\x1b[2K+OK\u{9b}31m\u{202e}txt.exe\u{7f}";
        let shown = printable(hostile);
        assert!(!shown.chars().any(acts), "{shown:?}");
        assert_eq!(
            shown,
            "* OK ready\\u{1b}]0;pwned\\u{7}\\u{d}\\u{1b}[2K+OK\\u{9b}31m\\u{202e}txt.exe\\u{7f}"
        );
    }

    #[test]
    fn plain_text_is_untouched_and_not_copied() {
        let text = "250 mail.example.test, PIPELINING — é ✓";
        assert!(matches!(printable(text), Cow::Borrowed(t) if t == text));
    }
}
