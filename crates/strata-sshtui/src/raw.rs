//! ssh reads its configuration as bytes: an alias, a HostName or a Match exec command that is not
//! UTF-8 reaches ssh (and the shell) exactly as written. The parser here works on text, so the
//! bytes of a file are read into text without loss and written back out exactly:
//!
//! - a byte that is not part of valid UTF-8 (always 0x80..=0xFF) becomes the code point
//!   U+10FF00 + byte, in U+10FF80..=U+10FFFF (the end of a private use plane);
//! - a code point of that same range actually written in the file is taken as its four UTF-8
//!   bytes, each marked the same way, so nothing written in a file can pass for a marked byte;
//! - everything else is itself.
//!
//! [`to_bytes`] undoes [`from_bytes`] exactly. The marked code points are not ASCII, so the
//! parser's blanks, quotes, `=`, `#`, `%`, `*`, `?`, `!` and `,` are found where ssh finds them.
//! Everything shown to people goes through [`lossy`] (U+FFFD for a byte that is not UTF-8), and
//! everything handed to a program or compared as ssh compares goes through [`to_bytes`].

use std::borrow::Cow;

const BASE: u32 = 0x10_FF00;
const FIRST: char = '\u{10FF80}';
const LAST: char = '\u{10FFFF}';

fn is_marked(c: char) -> bool {
    (FIRST..=LAST).contains(&c)
}

fn mark(b: u8) -> char {
    // b >= 0x80 here: BASE + b is in FIRST..=LAST, a valid scalar value.
    char::from_u32(BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The bytes of a configuration file as text, without loss.
pub fn from_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        if valid.chars().any(is_marked) {
            for c in valid.chars() {
                if is_marked(c) {
                    out.extend(c.encode_utf8(&mut [0; 4]).bytes().map(mark));
                } else {
                    out.push(c);
                }
            }
        } else {
            out.push_str(valid);
        }
        out.extend(chunk.invalid().iter().map(|&b| mark(b)));
    }
    out
}

/// The exact bytes a text obtained from [`from_bytes`] (or any part of it) stands for.
pub fn to_bytes(text: &str) -> Cow<'_, [u8]> {
    if !text.chars().any(is_marked) {
        return Cow::Borrowed(text.as_bytes());
    }
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if is_marked(c) {
            out.push((u32::from(c) - BASE) as u8);
        } else {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
    }
    Cow::Owned(out)
}

/// The text for people: U+FFFD where the bytes are not UTF-8.
pub fn lossy(text: &str) -> Cow<'_, str> {
    match to_bytes(text) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        Cow::Owned(b) => Cow::Owned(String::from_utf8_lossy(&b).into_owned()),
    }
}

/// The bytes as UTF-8 text, when they are.
pub fn utf8(text: &str) -> Option<Cow<'_, str>> {
    match to_bytes(text) {
        Cow::Borrowed(_) => Some(Cow::Borrowed(text)),
        Cow::Owned(b) => String::from_utf8(b).ok().map(Cow::Owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_that_are_not_utf8_survive() {
        let t = from_bytes(b"Host caf\xe9 x\n");
        assert_eq!(t, "Host caf\u{10FFE9} x\n");
        assert_eq!(&*to_bytes(&t), b"Host caf\xe9 x\n");
        assert_eq!(lossy(&t), "Host caf\u{fffd} x\n");
        assert_eq!(utf8(&t), None);
        assert!(matches!(to_bytes("plain ü"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_marked_code_point_written_in_the_file_is_not_taken_for_a_byte() {
        // U+10FFE9 itself, written as UTF-8 (F4 8F BF A9), next to the lone byte E9.
        let bytes = "\u{10FFE9}".as_bytes().iter().copied().chain([0xe9]).collect::<Vec<u8>>();
        let t = from_bytes(&bytes);
        assert_eq!(t.chars().count(), 5);
        assert_eq!(&*to_bytes(&t), &bytes[..]);
        assert_eq!(utf8(&from_bytes("\u{10FFE9}".as_bytes())).as_deref(), Some("\u{10FFE9}"));
    }

    #[test]
    fn every_one_and_two_byte_sequence_round_trips_in_context() {
        let mut bytes = Vec::new();
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for (pre, post) in [(&b""[..], &b""[..]), (b"H \xf4\x8f", b"\xbf x"), ("\u{e9}".as_bytes(), b"\x80")] {
                    bytes.clear();
                    bytes.extend_from_slice(pre);
                    bytes.extend([a, b]);
                    bytes.extend_from_slice(post);
                    let t = from_bytes(&bytes);
                    assert_eq!(&*to_bytes(&t), &bytes[..], "{bytes:x?}");
                    // ASCII is where the parser looks, and stays where it was.
                    let ascii = |it: &mut dyn Iterator<Item = u8>| it.filter(u8::is_ascii).collect::<Vec<u8>>();
                    assert_eq!(ascii(&mut bytes.iter().copied()), ascii(&mut t.bytes()), "{bytes:x?}");
                }
            }
        }
    }
}
