//! Untrusted strings (dataset names, `zfs diff` paths, host aliases, unit names) shown on a terminal
//! must not be able to move the cursor, change colours or retitle the window. NDJSON keeps the raw
//! value; only human views go through [`for_terminal`].

use std::borrow::Cow;

/// Replaces every control character (C0, DEL, C1) and the bidirectional overrides with a visible
/// escape (`\x1b`, `\u{202e}`), leaving everything else as it is.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            let n = c as u32;
            if n <= 0xff {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_and_bidi() {
        assert_eq!(for_terminal("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(for_terminal("x\ny\t"), "x\\x0ay\\x09");
        assert_eq!(for_terminal("\u{9b}2J"), "\\x9b2J");
        assert_eq!(for_terminal("evil\u{202e}txt"), "evil\\u{202e}txt");
        assert!(matches!(for_terminal("tank/srv/ü 🚀"), Cow::Borrowed(_)));
    }
}
