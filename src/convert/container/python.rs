//! Python literals as pandas writes nested cells to CSV (`str()` of a list or dict, or of a `NumPy`
//! array of them), turned into JSON text.
//!
//! Accepted: strings in single or double quotes with Python's escapes (an optional `u` prefix),
//! `True`, `False`, `None`, integers and finite floats, lists, tuples (as arrays) and dicts with
//! string keys. Anything else (sets, bytes, `nan`, `inf`, object reprs, non-string keys) fails, and
//! the cell is then kept as a string: nothing is guessed.

use std::fmt::Write as _;

/// Deeper nesting fails rather than recursing further (the parser recurses once per level).
const MAX_DEPTH: usize = 128;

/// Appends the JSON form of the Python literal `text` (surrounding whitespace allowed) to `out`.
/// Returns `false`, with `out` as it was, when `text` is not such a literal.
pub(super) fn to_json(text: &str, out: &mut Vec<u8>) -> bool {
    let before = out.len();
    let mut parser = Parser { bytes: text.as_bytes(), pos: 0, out };
    parser.skip_space();
    let ok = parser.value(0).is_some() && {
        parser.skip_space();
        parser.pos == parser.bytes.len()
    };
    if !ok {
        out.truncate(before);
    }
    ok
}

struct Parser<'a, 'o> {
    bytes: &'a [u8],
    pos: usize,
    out: &'o mut Vec<u8>,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'[' => self.sequence(b']', depth),
            b'(' => self.sequence(b')', depth),
            b'{' => self.dict(depth),
            b'\'' | b'"' | b'u' | b'U' if self.is_string_start() => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            _ => self.word(),
        }
    }

    fn is_string_start(&self) -> bool {
        match self.peek() {
            Some(b'\'' | b'"') => true,
            Some(b'u' | b'U') => matches!(self.bytes.get(self.pos + 1), Some(b'\'' | b'"')),
            _ => false,
        }
    }

    /// `True`, `False` or `None`.
    fn word(&mut self) -> Option<()> {
        let rest = &self.bytes[self.pos..];
        let (word, json): (&[u8], &[u8]) = if rest.starts_with(b"True") {
            (b"True", b"true")
        } else if rest.starts_with(b"False") {
            (b"False", b"false")
        } else if rest.starts_with(b"None") {
            (b"None", b"null")
        } else {
            return None;
        };
        let after = rest.get(word.len()).copied().unwrap_or(b' ');
        if after.is_ascii_alphanumeric() || after == b'_' {
            return None;
        }
        self.pos += word.len();
        self.out.extend_from_slice(json);
        Some(())
    }

    /// A list `[...]` or tuple `(...)`, as a JSON array. Elements are separated by commas, or by
    /// whitespace alone as `NumPy` prints arrays (`[{'a': 1} {'a': 2}]`, `['x' 'y']`); a trailing
    /// comma is allowed, as in Python.
    fn sequence(&mut self, close: u8, depth: usize) -> Option<()> {
        self.pos += 1;
        self.out.push(b'[');
        self.skip_space();
        let mut first = true;
        loop {
            if self.peek()? == close {
                self.pos += 1;
                self.out.push(b']');
                return Some(());
            }
            if !first {
                self.out.push(b',');
            }
            first = false;
            self.value(depth + 1)?;
            let before = self.pos;
            self.skip_space();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.skip_space();
                }
                byte if byte == close => {}
                // Separated by whitespace only: `NumPy`'s way, never Python's (Python would read two
                // adjacent strings as one, but its repr never writes them).
                _ if self.pos > before => {}
                _ => return None,
            }
        }
    }

    /// A dict with string keys, as a JSON object.
    fn dict(&mut self, depth: usize) -> Option<()> {
        self.pos += 1;
        self.out.push(b'{');
        self.skip_space();
        let mut first = true;
        loop {
            if self.peek()? == b'}' {
                self.pos += 1;
                self.out.push(b'}');
                return Some(());
            }
            if !first {
                self.out.push(b',');
            }
            first = false;
            if !self.is_string_start() {
                return None;
            }
            self.string()?;
            self.skip_space();
            if self.peek()? != b':' {
                return None;
            }
            self.pos += 1;
            self.out.push(b':');
            self.skip_space();
            self.value(depth + 1)?;
            self.skip_space();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.skip_space();
                }
                b'}' => {}
                _ => return None,
            }
        }
    }

    /// An integer or a finite float, written as a JSON number (`1.` as `NumPy` prints it becomes `1.0`).
    fn number(&mut self) -> Option<()> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = self.digits();
        if digits == 0 || (digits > 1 && self.bytes[self.pos - digits] == b'0') {
            return None;
        }
        let mut bare_point = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            bare_point = self.digits() == 0;
        }
        let mantissa_end = self.pos;
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        if self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
            return None;
        }
        self.out.extend_from_slice(&self.bytes[start..mantissa_end]);
        if bare_point {
            self.out.push(b'0');
        }
        self.out.extend_from_slice(&self.bytes[mantissa_end..self.pos]);
        Some(())
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A single- or double-quoted string with Python's escapes, as a JSON string.
    fn string(&mut self) -> Option<()> {
        if let Some(b'u' | b'U') = self.peek() {
            self.pos += 1;
        }
        let quote = self.peek()?;
        self.pos += 1;
        if self.bytes.get(self.pos..self.pos + 2) == Some(&[quote, quote]) {
            // A triple-quoted string: never written by repr.
            return None;
        }
        self.out.push(b'"');
        loop {
            let byte = self.peek()?;
            self.pos += 1;
            match byte {
                _ if byte == quote => break,
                b'\n' | b'\r' => return None,
                b'\\' => {
                    let escape = self.peek()?;
                    self.pos += 1;
                    let decoded = match escape {
                        b'\n' => continue,
                        b'\\' | b'\'' | b'"' => char::from(escape),
                        b'a' => '\u{7}',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'v' => '\u{b}',
                        b'x' => self.hex(2)?,
                        b'u' => self.hex(4)?,
                        b'U' => self.hex(8)?,
                        b'0'..=b'7' => self.octal(escape),
                        // `\N{NAME}` needs Unicode's name table; the cell stays a string.
                        b'N' => return None,
                        // Python keeps an unknown escape as it is, backslash included.
                        _ => {
                            self.out.extend_from_slice(b"\\\\");
                            self.pos -= 1;
                            continue;
                        }
                    };
                    push_json_char(self.out, decoded);
                }
                b'"' => self.out.extend_from_slice(b"\\\""),
                0..0x20 => push_json_char(self.out, char::from(byte)),
                _ => self.out.push(byte),
            }
        }
        self.out.push(b'"');
        Some(())
    }

    /// `count` hexadecimal digits as a character (`None` for a surrogate or beyond U+10FFFF).
    fn hex(&mut self, count: usize) -> Option<char> {
        let digits = self.bytes.get(self.pos..self.pos + count)?;
        let text = std::str::from_utf8(digits).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += count;
        char::from_u32(u32::from_str_radix(text, 16).ok()?)
    }

    /// An octal escape: the first digit was read; up to two more may follow.
    fn octal(&mut self, first: u8) -> char {
        let mut value = u32::from(first - b'0');
        for _ in 0..2 {
            match self.peek() {
                Some(digit @ b'0'..=b'7') => {
                    value = value * 8 + u32::from(digit - b'0');
                    self.pos += 1;
                }
                _ => break,
            }
        }
        // At most 0o777: always a character.
        char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER)
    }
}

/// Appends one character to a JSON string's text, escaped as JSON needs.
fn push_json_char(out: &mut Vec<u8>, c: char) {
    match c {
        '"' => out.extend_from_slice(b"\\\""),
        '\\' => out.extend_from_slice(b"\\\\"),
        '\n' => out.extend_from_slice(b"\\n"),
        '\r' => out.extend_from_slice(b"\\r"),
        '\t' => out.extend_from_slice(b"\\t"),
        '\u{8}' => out.extend_from_slice(b"\\b"),
        '\u{c}' => out.extend_from_slice(b"\\f"),
        c if u32::from(c) < 0x20 => {
            let mut text = String::new();
            let _ = write!(text, "\\u{:04x}", u32::from(c));
            out.extend_from_slice(text.as_bytes());
        }
        c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Option<String> {
        let mut out = b"prefix".to_vec();
        let ok = to_json(text, &mut out);
        if !ok {
            assert_eq!(out, b"prefix");
            return None;
        }
        let json = String::from_utf8(out[6..].to_vec()).unwrap();
        serde_json::from_str::<serde_json::Value>(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        Some(json)
    }

    #[test]
    fn pandas_message_lists() {
        assert_eq!(
            json(r#"[{'role': 'user', 'content': "it's"}, {'role': 'assistant', 'content': 'a "quote"\n\ttab \\ \x00é\u00e9\U0001F600'}]"#)
                .unwrap(),
            r#"[{"role":"user","content":"it's"},{"role":"assistant","content":"a \"quote\"\n\ttab \\ \u0000éé😀"}]"#
        );
        assert_eq!(
            json("  {'a': (1, 2.5, -3e-05), 'b': (), 'c': (None,), 'd': [True, False]}  ").unwrap(),
            r#"{"a":[1,2.5,-3e-05],"b":[],"c":[null],"d":[true,false]}"#
        );
        assert_eq!(json("[1, 2, ]").unwrap(), "[1,2]");
        assert_eq!(json("{}").unwrap(), "{}");
        assert_eq!(json("u'x'").unwrap(), r#""x""#);
        assert_eq!(json(r"'\101\7\d'").unwrap(), r#""A\u0007\\d""#);
    }

    #[test]
    fn numpy_arrays() {
        assert_eq!(
            json("[{'content': 'hi', 'role': 'user'}\n {'content': 'yo', 'role': 'assistant'}]").unwrap(),
            r#"[{"content":"hi","role":"user"},{"content":"yo","role":"assistant"}]"#
        );
        assert_eq!(json("['a' 'b']").unwrap(), r#"["a","b"]"#);
        assert_eq!(json("[1.  2.5]").unwrap(), "[1.0,2.5]");
    }

    #[test]
    fn what_is_not_a_literal_fails() {
        for text in [
            "[nan]",
            "[inf]",
            "{1: 'a'}",
            "{'a', 'b'}",
            "[b'x']",
            "['unterminated]",
            "[1 2",
            "[01]",
            "[Truex]",
            "['\\N{BULLET}']",
            "['\\ud800']",
            "[1]]",
            "array([1])",
            "{'a' 1}",
            "'''x'''",
            "['a\nb']",
            "",
        ] {
            assert_eq!(json(text), None, "{text:?}");
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(json(&deep), None);
    }
}
