//! Writes target records as JSON lines: a fixed key order, compact separators, and strings
//! escaped so that text round-trips byte for byte (controls as `\n`/`\u0007`, U+2028 and U+2029
//! escaped for JavaScript readers, everything else as UTF-8).

use super::message::{Message, Role};
use super::pairs::Output;

/// Appends `text` as a JSON string literal.
pub(crate) fn push_string(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(text.len() + 2);
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(special) = find_escape(bytes, at) {
        out.extend_from_slice(&bytes[at..special]);
        let byte = bytes[special];
        at = special + 1;
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            0x00..=0x1F => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 15)],
            ]),
            // U+2028 and U+2029 (E2 80 A8/A9) are valid JSON but end lines in JavaScript.
            _ if bytes.get(special + 1) == Some(&0x80) && matches!(bytes.get(special + 2), Some(0xA8 | 0xA9)) => {
                out.extend_from_slice(if bytes[special + 2] == 0xA8 { b"\\u2028" } else { b"\\u2029" });
                at = special + 3;
            }
            // Another character starting with E2: copied as is.
            _ => out.push(byte),
        }
    }
    out.extend_from_slice(&bytes[at..]);
    out.push(b'"');
}

/// The first byte at or after `from` that may need escaping: `"`, `\\`, a control, or E2 (which
/// starts U+2028 and U+2029). Sixteen bytes at a time: most text needs no escape at all.
fn find_escape(bytes: &[u8], from: usize) -> Option<usize> {
    use wide::u8x16;
    let mut at = from;
    while at + 16 <= bytes.len() {
        let mut block = [0; 16];
        block.copy_from_slice(&bytes[at..at + 16]);
        let block = u8x16::new(block);
        let special = block.simd_eq(u8x16::splat(b'"'))
            | block.simd_eq(u8x16::splat(b'\\'))
            | block.simd_eq(u8x16::splat(0xE2))
            | block.min(u8x16::splat(0x1F)).simd_eq(block);
        let mask = special.to_bitmask();
        if mask != 0 {
            return Some(at + mask.trailing_zeros() as usize);
        }
        at += 16;
    }
    bytes[at..].iter().position(|&b| b == b'"' || b == b'\\' || b == 0xE2 || b < 0x20).map(|i| at + i)
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
    fn long_strings_escape_at_every_position() {
        for special in ["\"", "\\", "\n", "\u{1}", "\u{2028}", "\u{2029}", "\u{2030}"] {
            for position in 0..40 {
                let text = format!("{}{special}{}", "a".repeat(position), "é".repeat(20));
                let encoded = string(&text);
                let decoded: String = serde_json::from_str(&encoded).unwrap();
                assert_eq!(decoded, text);
                assert!(!encoded.contains('\u{2028}') && !encoded.contains('\u{2029}'));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_round_trips_byte_exactly(text in proptest::prelude::any::<String>()) {
            let encoded = string(&text);
            let decoded: String = serde_json::from_str(&encoded).unwrap();
            proptest::prop_assert_eq!(decoded, text);
            let printable = encoded.chars().all(|c| c >= ' ' && c != '\u{2028}' && c != '\u{2029}');
            proptest::prop_assert!(printable);
        }
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
