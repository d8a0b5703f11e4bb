//! Writes target records as JSON lines: a fixed key order, compact separators, and strings
//! escaped so that text round-trips byte for byte (controls as `\n`/`\u0007`, U+2028 and U+2029
//! escaped for JavaScript readers, everything else as UTF-8).

use super::message::{Message, Role};
use super::pairs::Output;

/// Appends `text` as a JSON string literal.
pub(crate) fn push_string(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut run = 0;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        let escape: Option<&[u8]> = match byte {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0C => Some(b"\\f"),
            0x00..=0x1F => None,
            // U+2028 and U+2029 (E2 80 A8/A9) are valid JSON but end lines in JavaScript.
            0xE2 if bytes.get(at + 1) == Some(&0x80) && matches!(bytes.get(at + 2), Some(0xA8 | 0xA9)) => None,
            _ => {
                at += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[run..at]);
        match escape {
            Some(escape) => {
                out.extend_from_slice(escape);
                at += 1;
            }
            None if byte == 0xE2 => {
                out.extend_from_slice(if bytes[at + 2] == 0xA8 { b"\\u2028" } else { b"\\u2029" });
                at += 3;
            }
            None => {
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 15)],
                ]);
                at += 1;
            }
        }
        run = at;
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

fn push_message(role: Role, content: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"role\":\"");
    out.extend_from_slice(role.as_str().as_bytes());
    out.extend_from_slice(b"\",\"content\":");
    push_string(content, out);
    out.push(b'}');
}

/// Appends one record (without a newline).
pub(crate) fn push_record(record: &Output, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"input\":{\"messages\":[");
    let mut first = true;
    let system = record.system.as_deref().map(|system| Message::new(Role::System, system));
    for message in system.iter().chain(&record.turns) {
        if !first {
            out.push(b',');
        }
        first = false;
        push_message(message.role, &message.content, out);
    }
    out.push(b']');
    if let Some(tools) = &record.tools {
        // The source's own JSON text: valid JSON, kept as written.
        out.extend_from_slice(b",\"tools\":");
        out.extend_from_slice(tools);
    }
    out.extend_from_slice(b"},\"preferred_output\":[");
    push_message(Role::Assistant, &record.chosen, out);
    out.extend_from_slice(b"],\"non_preferred_output\":[");
    push_message(Role::Assistant, &record.rejected, out);
    out.extend_from_slice(b"]}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(text: &str) -> String {
        let mut out = Vec::new();
        push_string(text, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_exactly_what_they_must() {
        assert_eq!(string("plain é 🚀"), "\"plain é 🚀\"");
        assert_eq!(string("q\"b\\\n\r\t\u{8}\u{c}\u{7}\u{0}"), r#""q\"b\\\n\r\t\b\f\u0007\u0000""#);
        assert_eq!(string("a\u{2028}b\u{2029}c\u{200F}"), "\"a\\u2028b\\u2029c\u{200F}\"");
        assert_eq!(string("\u{2027}\u{202A}/"), "\"\u{2027}\u{202A}/\"");
    }

    #[test]
    fn strings_round_trip_through_a_json_parser() {
        for text in
            ["", "x", "\u{2028}\u{2029}", "\u{1}\u{1f}\u{7f}\u{80}", "مرحبا\u{200F} שלום", "tab\tnl\n", "\u{FEFF}bom"]
        {
            let decoded: String = serde_json::from_str(&string(text)).unwrap();
            assert_eq!(decoded, text);
        }
    }
}
