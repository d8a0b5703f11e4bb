//! String scanning and decoding. The parser only validates strings and records what their escapes
//! do (flags); text is decoded later, and only for the few strings whose meaning depends on it.

use wide::u8x16;

/// Sixteen bytes at `at` as a vector (SSE2 on x86-64, NEON on aarch64, portable elsewhere).
#[inline]
fn block_at(bytes: &[u8], at: usize) -> u8x16 {
    let mut block = [0; 16];
    block.copy_from_slice(&bytes[at..at + 16]);
    u8x16::new(block)
}

/// Bit `i` set when byte `i` of `block` is `a` or `b`.
#[inline]
fn either_mask(block: u8x16, a: u8, b: u8) -> u32 {
    (block.simd_eq(u8x16::splat(a)) | block.simd_eq(u8x16::splat(b))).to_bitmask()
}

/// In the sixteen bytes at `at` (there must be sixteen): the index of the first `"`, `\` or
/// control byte, if any.
#[inline]
pub(crate) fn first_special_in_block(bytes: &[u8], at: usize) -> Option<usize> {
    let block = block_at(bytes, at);
    // A byte is below 0x20 exactly when its minimum with 0x1F is itself.
    let control = block.min(u8x16::splat(0x1F)).simd_eq(block).to_bitmask();
    let mask = either_mask(block, b'"', b'\\') | control;
    (mask != 0).then(|| mask.trailing_zeros() as usize)
}

/// The first `"` or `\` at or after `from`.
#[inline]
pub(crate) fn find_quote_or_backslash(bytes: &[u8], from: usize) -> Option<usize> {
    find_either(bytes, from, b'"', b'\\')
}

/// The first `a` or `b` at or after `from`, sixteen bytes at a time. Inlined into the loops that
/// use it: the runs it crosses are short, where calling out to a general search costs more than
/// the search.
#[inline]
pub(crate) fn find_either(bytes: &[u8], from: usize, a: u8, b: u8) -> Option<usize> {
    let mut at = from;
    while at + 16 <= bytes.len() {
        let mask = either_mask(block_at(bytes, at), a, b);
        if mask != 0 {
            return Some(at + mask.trailing_zeros() as usize);
        }
        at += 16;
    }
    bytes[at..].iter().position(|&byte| byte == a || byte == b).map(|i| at + i)
}

/// Appends the decoded text of a string's raw content (between the quotes, escapes already
/// validated by the parser). A lone surrogate is kept as three WTF-8 bytes, so equality stays exact.
pub(crate) fn decode_into(raw: &[u8], out: &mut Vec<u8>) {
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'\\', &raw[at..]) {
        let escape = at + found;
        out.extend_from_slice(&raw[at..escape]);
        at = escape + 2;
        match raw.get(escape + 1) {
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'r') => out.push(b'\r'),
            Some(b'b') => out.push(0x08),
            Some(b'f') => out.push(0x0C),
            Some(b'u') => {
                let mut code_point = hex4(&raw[escape + 2..]);
                at = escape + 6;
                if (0xD800..0xDC00).contains(&code_point) && raw[at..].starts_with(b"\\u") {
                    let low = hex4(&raw[at + 2..]);
                    if (0xDC00..0xE000).contains(&low) {
                        code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
                        at += 6;
                    }
                }
                push_code_point(code_point, out);
            }
            Some(&other) => out.push(other),
            None => {}
        }
    }
    out.extend_from_slice(&raw[at..]);
}

/// The decoded text of a string's raw content from a valid UTF-8 line, as a `String`; `None` when it
/// holds a lone surrogate (no character can stand for it). Runs between escapes are copied as they
/// are, already known to be UTF-8.
pub(crate) fn decode_str(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut at = 0;
    while let Some(escape) = find_either(bytes, at, b'\\', b'\\') {
        out.push_str(&raw[at..escape]);
        at = escape + 2;
        match bytes.get(escape + 1) {
            Some(b'n') => out.push('\n'),
            Some(b't') => out.push('\t'),
            Some(b'r') => out.push('\r'),
            Some(b'b') => out.push('\u{8}'),
            Some(b'f') => out.push('\u{c}'),
            Some(b'u') => {
                let mut code_point = hex4(&bytes[escape + 2..]);
                at = escape + 6;
                if (0xD800..0xDC00).contains(&code_point) && bytes[at..].starts_with(b"\\u") {
                    let low = hex4(&bytes[at + 2..]);
                    if (0xDC00..0xE000).contains(&low) {
                        code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
                        at += 6;
                    }
                }
                out.push(char::from_u32(code_point)?);
            }
            Some(&other) => out.push(char::from(other)),
            None => {}
        }
    }
    out.push_str(&raw[at..]);
    Some(out)
}

/// The decoded text of a string's raw content.
pub(crate) fn decode(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    decode_into(raw, &mut out);
    out
}

fn hex4(digits: &[u8]) -> u32 {
    digits.iter().take(4).fold(0, |value, &digit| {
        let nibble = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => digit.wrapping_sub(b'A').wrapping_add(10) & 0x0F,
        };
        value * 16 + u32::from(nibble)
    })
}

/// UTF-8 for a scalar value, WTF-8 for a lone surrogate.
pub(crate) fn push_code_point(code_point: u32, out: &mut Vec<u8>) {
    match char::from_u32(code_point) {
        Some(c) => {
            let mut buffer = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
        }
        None => out.extend_from_slice(&[
            0xE0 | (code_point >> 12) as u8,
            0x80 | ((code_point >> 6) & 0x3F) as u8,
            0x80 | (code_point & 0x3F) as u8,
        ]),
    }
}

/// Appends the canonical JSON encoding (without quotes) of decoded text: `"` `\` and the short
/// control escapes, other controls and lone surrogates as lowercase `\u00xx`, everything else
/// literal. The parser builds the same text incrementally; this whole-string version checks it.
#[cfg(test)]
pub(crate) fn encode_canonical(text: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut at = 0;
    while at < text.len() {
        let byte = text[at];
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
            // A WTF-8 lone surrogate (ED A0..BF xx): written as its escape.
            0xED if text.get(at + 1).is_some_and(|&next| next >= 0xA0) && at + 2 < text.len() => {
                let code_point = (u32::from(byte & 0x0F) << 12)
                    | (u32::from(text[at + 1] & 0x3F) << 6)
                    | u32::from(text[at + 2] & 0x3F);
                out.extend_from_slice(b"\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[((code_point >> shift) & 15) as usize]);
                }
                at += 3;
                continue;
            }
            _ => out.push(byte),
        }
        at += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_quote_or_backslash_at_every_position() {
        for len in 0..80 {
            for position in 0..len {
                for special in [b'"', b'\\'] {
                    let mut bytes = vec![b'a'; len];
                    bytes[position] = special;
                    if position + 1 < len {
                        bytes[position + 1] = b'"';
                    }
                    assert_eq!(find_quote_or_backslash(&bytes, 0), Some(position), "{len} {position}");
                    let after = find_quote_or_backslash(&bytes, position + 1);
                    assert_eq!(after, (position + 1 < len).then_some(position + 1));
                }
            }
            assert_eq!(find_quote_or_backslash(&vec![0xFFu8; len], 0), None);
        }
    }

    #[test]
    fn finds_the_first_special_byte_in_a_block() {
        assert_eq!(first_special_in_block(b"abcdefghijklmnop", 0), None);
        assert_eq!(first_special_in_block(b"abc\"e\\ghijklmnop", 0), Some(3));
        assert_eq!(first_special_in_block(b"abcdefghijklmn\\\"", 0), Some(14));
        assert_eq!(first_special_in_block(b"ab\x01de\"ghijklmnop", 0), Some(2));
        assert_eq!(first_special_in_block(b"\xff\xfe\x80\x7f !#]\x20~~~~~~~~", 0), None);
        assert_eq!(first_special_in_block(b"xxxxxxxxxxxxxxx\x1f", 0), Some(15));
    }

    #[test]
    fn decodes_strings_of_valid_lines() {
        assert_eq!(decode_str(r#"é\"b\\c\/\n\u00e9\ud83d\ude80x\u0041"#).as_deref(), Some("é\"b\\c/\né🚀xA"));
        assert_eq!(decode_str(r"lone \ud800 surrogate"), None);
        assert_eq!(decode_str("plain").as_deref(), Some("plain"));
    }

    #[test]
    fn decodes_every_escape() {
        let raw = br#"a\"b\\c\/d\n\t\r\b\f\u00e9\ud83d\ude80\ud800x\u0041"#;
        assert_eq!(decode(raw), b"a\"b\\c/d\n\t\r\x08\x0C\xC3\xA9\xF0\x9F\x9A\x80\xED\xA0\x80xA");
    }

    #[test]
    fn canonical_encoding_is_injective_on_decoded_text() {
        let mut out = Vec::new();
        encode_canonical(b"q\"b\\\n\r\t\x08\x0C\x1b\x00\xC3\xA9/\xED\xA0\x80", &mut out);
        let mut expected = br#"q\"b\\\n\r\t\b\f\u001b\u0000"#.to_vec();
        expected.extend_from_slice("é/".as_bytes());
        expected.extend_from_slice(br"\ud800");
        assert_eq!(out, expected);
        let mut round_trip = Vec::new();
        decode_into(&out, &mut round_trip);
        assert_eq!(round_trip, b"q\"b\\\n\r\t\x08\x0C\x1b\x00\xC3\xA9/\xED\xA0\x80");
    }
}
