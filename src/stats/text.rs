//! Character counts and the token estimate, measured straight from a JSON string's raw text so
//! that escaped strings are never decoded into a buffer.

use wide::u8x16;

/// What a text adds to a length: Unicode scalars, and the token estimate in eighths of a token
/// (kept as a sum so that several texts, such as a prompt's messages, round once, not once per
/// text).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Measure {
    pub chars: u64,
    pub eighths: u64,
}

impl Measure {
    pub(crate) fn add(&mut self, other: Measure) {
        self.chars += other.chars;
        self.eighths += other.eighths;
    }

    /// Estimated tokens: the eighths rounded up.
    pub(crate) fn tokens(self) -> u64 {
        self.eighths.div_ceil(8)
    }
}

/// Eighths of a token for an ASCII byte: letters and blanks 2 (about four to a token in English
/// prose), digits 4 (tokenizers split numbers into short groups), newlines, punctuation and
/// controls 3 (they seldom merge with their neighbours). See [`super::estimate_tokens`].
const fn ascii_eighths(byte: u8) -> u64 {
    match byte {
        b'a'..=b'z' | b'A'..=b'Z' | b' ' | b'\t' => 2,
        b'0'..=b'9' => 4,
        _ => 3,
    }
}

/// Eighths for a character by code point (for `\u` escapes): as the bytes of its UTF-8 encoding
/// would weigh.
#[allow(clippy::match_same_arms, reason = "one arm per class of lead byte, as the docs list them")]
fn code_point_eighths(code_point: u32) -> u64 {
    match code_point {
        // The value fits in a byte here.
        0..0x80 => ascii_eighths(code_point as u8),
        // Lead bytes 0xC0-0xCD: Latin-1 Supplement, Latin Extended, IPA, combining marks.
        0x80..0x380 => 8,
        // Lead bytes 0xCE-0xDF: Greek, Cyrillic, Armenian, Hebrew, Arabic and others.
        0x380..0x800 => 4,
        0x800..0x10000 => 8,
        _ => 16,
    }
}

/// Measures UTF-8 text.
pub(crate) fn measure_utf8(bytes: &[u8]) -> Measure {
    measure(bytes, false)
}

/// Measures a JSON string's raw text (between the quotes; escapes already validated by the
/// parser) as its decoded text would measure. A lone surrogate escape counts as one character of
/// the three-byte class, like the U+FFFD that replaces it.
pub(crate) fn measure_json_string(raw: &[u8]) -> Measure {
    measure(raw, true)
}

/// Per-class byte counts of one pass.
#[derive(Default)]
struct Classes {
    non_ascii: u64,
    continuation: u64,
    /// ASCII letters, spaces and tabs.
    letters: u64,
    digits: u64,
    /// Lead bytes 0xC0-0xCD (two-byte Latin characters).
    latin_leads: u64,
    /// Lead bytes 0xE0 and up (three- and four-byte characters).
    wide_leads: u64,
    /// Lead bytes 0xF0 and up (four-byte characters).
    astral_leads: u64,
}

/// `block <= limit`, byte by byte, as a bit mask.
fn at_most(block: u8x16, limit: u8) -> u32 {
    block.min(u8x16::splat(limit)).simd_eq(block).to_bitmask()
}

/// One pass over 16-byte blocks (content strings are most of a record, so this is on the hot
/// path): every byte is first counted as it is (a character starts at every byte but continuation
/// bytes; eighths by the class of each byte), then each escape corrects for its raw bytes.
fn measure(bytes: &[u8], json_escapes: bool) -> Measure {
    let mut classes = Classes::default();
    let mut correction = Correction::default();
    let mut escapes_end = 0;
    let mut blocks = bytes.chunks_exact(16);
    let mut tail = [0u8; 16];
    tail[..blocks.remainder().len()].copy_from_slice(blocks.remainder());
    // The zero bytes that pad the tail are ASCII controls: neither letters nor digits, and the
    // controls are counted as what is left of the length.
    for (index, block) in blocks.by_ref().chain(std::iter::once(&tail[..])).enumerate() {
        let block = u8x16::new(block.try_into().unwrap_or_default());
        // Branch-free: text mixes ASCII and other blocks too unpredictably for a fast path to pay.
        let high = block.to_bitmask();
        let folded = block | u8x16::splat(0x20);
        // Ranges by wrapping subtraction: below the range wraps around to large values.
        let letters = at_most(folded - u8x16::splat(b'a'), b'z' - b'a');
        let blanks = block.simd_eq(u8x16::splat(b' ')).to_bitmask() | block.simd_eq(u8x16::splat(b'\t')).to_bitmask();
        let digits = at_most(block - u8x16::splat(b'0'), 9);
        // Continuation bytes are 0x80..0xC0; lead bytes 0xC0 and up.
        let up_to_bf = at_most(block, 0xBF);
        classes.non_ascii += u64::from(high.count_ones());
        classes.continuation += u64::from((high & up_to_bf).count_ones());
        classes.letters += u64::from((letters | blanks).count_ones());
        classes.digits += u64::from(digits.count_ones());
        classes.latin_leads += u64::from((!up_to_bf & at_most(block, 0xCD)).count_ones());
        classes.wide_leads += u64::from((high & !at_most(block, 0xDF)).count_ones());
        classes.astral_leads += u64::from((high & !at_most(block, 0xEF)).count_ones());
        if json_escapes {
            let mut backslashes = block.simd_eq(u8x16::splat(b'\\')).to_bitmask();
            while backslashes != 0 {
                let at = index * 16 + backslashes.trailing_zeros() as usize;
                backslashes &= backslashes - 1;
                // A backslash inside an escape (the second of `\\`) does not start one.
                if at >= escapes_end {
                    escapes_end = correction.escape(bytes, at);
                }
            }
        }
    }
    let len = bytes.len() as u64;
    let Classes { non_ascii, continuation, letters, digits, latin_leads, wide_leads, astral_leads } = classes;
    let other_ascii = len - non_ascii - letters - digits;
    let other_two_byte_leads = non_ascii - continuation - latin_leads - wide_leads;
    let eighths = 2 * letters
        + 4 * digits
        + 3 * other_ascii
        + 8 * latin_leads
        + 4 * other_two_byte_leads
        + 8 * (wide_leads - astral_leads)
        + 16 * astral_leads;
    Measure {
        chars: (len - continuation).saturating_sub(correction.chars),
        eighths: (eighths + correction.added_eighths).saturating_sub(correction.removed_eighths),
    }
}

/// What escapes change: their raw bytes were counted as ASCII characters; each decodes to one.
#[derive(Default)]
struct Correction {
    chars: u64,
    removed_eighths: u64,
    added_eighths: u64,
}

impl Correction {
    /// Accounts for the escape at `at`; returns where it ends.
    fn escape(&mut self, raw: &[u8], at: usize) -> usize {
        let (len, eighths) = if raw.get(at + 1) == Some(&b'u') {
            let unit = hex4(raw, at + 2).unwrap_or(0xFFFD);
            match hex4(raw, at + 8) {
                // A surrogate pair: one character outside the Basic Multilingual Plane.
                Some(low)
                    if (0xD800..0xDC00).contains(&unit)
                        && (0xDC00..0xE000).contains(&low)
                        && raw.get(at + 6) == Some(&b'\\')
                        && raw.get(at + 7) == Some(&b'u') =>
                {
                    (12, 16)
                }
                _ => (6, code_point_eighths(unit)),
            }
        } else {
            // `\n`, `\"`, `\\`, `\/`, ...: one ASCII character, a blank for `\t`.
            (2, if raw.get(at + 1) == Some(&b't') { 2 } else { 3 })
        };
        let end = (at + len).min(raw.len());
        self.chars += (end - at) as u64 - 1;
        self.removed_eighths += raw[at..end].iter().map(|&byte| ascii_eighths(byte)).sum::<u64>();
        self.added_eighths += eighths;
        end
    }
}

/// The four hexadecimal digits at `at`, if there are four.
fn hex4(raw: &[u8], at: usize) -> Option<u32> {
    let digits = raw.get(at..at + 4)?;
    digits.iter().try_fold(0, |value, &digit| Some(value << 4 | char::from(digit).to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The raw JSON text of `text` as `serde_json` writes it, optionally with every non-ASCII
    /// character escaped (as Python's `json.dumps` does by default).
    fn encode(text: &str, escape_all: bool) -> String {
        use std::fmt::Write;

        let json = serde_json::to_string(text).unwrap();
        let inner = &json[1..json.len() - 1];
        if !escape_all {
            return inner.to_string();
        }
        let mut out = String::new();
        for c in inner.chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04X}");
                }
            }
        }
        out
    }

    #[test]
    fn raw_json_measures_like_the_decoded_text() {
        let texts = [
            "",
            "plain ascii",
            "line\nbreak\t\"quoted\" back\\slash /",
            "café naïve Ωμέγα привет",
            "日本語のテキスト 中文 한국어",
            "emoji 😀🎉 and flags 🇫🇷",
            "mixed: x = 3 → y; “quotes” — done…",
            "\u{1}\u{1f}control",
            "digits 0123456789, tabs\tand\r\nCRLF",
            "Łódź, Đà Nẵng, ǅ, e\u{301}",
        ];
        for text in texts {
            let expected = measure_utf8(text.as_bytes());
            assert_eq!(expected.chars, text.chars().count() as u64, "{text}");
            for escape_all in [false, true] {
                let raw = encode(text, escape_all);
                assert_eq!(measure_json_string(raw.as_bytes()), expected, "{raw}");
            }
        }
    }

    #[test]
    fn classes_by_byte() {
        assert_eq!(measure_utf8(b"abcd"), Measure { chars: 4, eighths: 8 });
        assert_eq!(measure_utf8(b"A z\t"), Measure { chars: 4, eighths: 8 });
        assert_eq!(measure_utf8(b"2026"), Measure { chars: 4, eighths: 16 });
        assert_eq!(measure_utf8(b"{}\n"), Measure { chars: 3, eighths: 9 });
        assert_eq!(measure_utf8("é".as_bytes()), Measure { chars: 1, eighths: 8 });
        assert_eq!(measure_utf8("Ω".as_bytes()), Measure { chars: 1, eighths: 4 });
        assert_eq!(measure_utf8("中".as_bytes()), Measure { chars: 1, eighths: 8 });
        assert_eq!(measure_utf8("😀".as_bytes()), Measure { chars: 1, eighths: 16 });
        // A lone surrogate escape counts like the U+FFFD that replaces it.
        assert_eq!(measure_json_string(br"a\ud800b"), Measure { chars: 3, eighths: 12 });
        assert_eq!(measure_json_string(br"\uDBFF\uDFFF"), Measure { chars: 1, eighths: 16 });
        assert_eq!(measure_json_string(br"\t\n"), Measure { chars: 2, eighths: 5 });
        assert_eq!(Measure { chars: 5, eighths: 9 }.tokens(), 2);
        assert_eq!(Measure::default().tokens(), 0);
    }

    /// The estimate straight from its definition: eighths by the class of each character's first
    /// UTF-8 byte, one character each.
    #[allow(clippy::match_same_arms, reason = "one arm per class, as the docs list them")]
    fn by_definition(text: &str) -> Measure {
        let eighths = text
            .chars()
            .map(|c| {
                let mut buffer = [0u8; 4];
                let first = c.encode_utf8(&mut buffer).as_bytes()[0];
                match first {
                    b'a'..=b'z' | b'A'..=b'Z' | b' ' | b'\t' => 2,
                    b'0'..=b'9' => 4,
                    0..=0x7F => 3,
                    0xC0..=0xCD => 8,
                    0xCE..=0xDF => 4,
                    0xE0..=0xEF => 8,
                    _ => 16,
                }
            })
            .sum();
        Measure { chars: text.chars().count() as u64, eighths }
    }

    proptest::proptest! {
        #[test]
        fn any_text_measures_by_definition_raw_or_escaped(text in proptest::prelude::any::<String>()) {
            let expected = by_definition(&text);
            proptest::prop_assert_eq!(measure_utf8(text.as_bytes()), expected);
            for escape_all in [false, true] {
                let raw = encode(&text, escape_all);
                proptest::prop_assert_eq!(measure_json_string(raw.as_bytes()), expected);
            }
        }

        #[test]
        fn no_byte_weighs_more_than_half_a_token(text in proptest::prelude::any::<String>()) {
            proptest::prop_assert!(super::super::estimate_tokens(&text) <= text.len().div_ceil(2) as u64);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let _ = measure_json_string(&bytes);
            let _ = measure_utf8(&bytes);
        }
    }
}
