//! Character counts and the token estimate, measured straight from a JSON string's raw text so
//! that escaped strings are never decoded into a buffer.

use wide::u8x16;

/// What a text adds to a length: Unicode scalars, and the token estimate in quarter tokens (kept
/// as a sum so that several texts, such as a prompt's messages, round once, not once per text).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Measure {
    pub chars: u64,
    pub quarters: u64,
}

impl Measure {
    pub(crate) fn add(&mut self, other: Measure) {
        self.chars += other.chars;
        self.quarters += other.quarters;
    }

    /// Estimated tokens: the quarters rounded up.
    pub(crate) fn tokens(self) -> u64 {
        self.quarters.div_ceil(4)
    }
}

/// Quarter tokens for a character by code point (for `\u` escapes), by the length of its UTF-8
/// encoding: see [`super::estimate_tokens`] for why.
fn code_point_quarters(code_point: u32) -> u64 {
    match code_point {
        0..0x80 => 1,
        0x80..0x800 => 2,
        _ => 4,
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

/// One pass over 16-byte blocks (content strings are most of a record, so this is on the hot
/// path): every byte is first counted as it is (a character starts at every byte but continuation
/// bytes; quarters by the class of each lead byte), then each escape corrects for its raw bytes.
fn measure(bytes: &[u8], json_escapes: bool) -> Measure {
    let (mut continuation, mut non_ascii, mut wide) = (0u64, 0u64, 0u64);
    let mut correction = Correction::default();
    let mut escapes_end = 0;
    let mut blocks = bytes.chunks_exact(16);
    let mut tail = [0u8; 16];
    tail[..blocks.remainder().len()].copy_from_slice(blocks.remainder());
    // The zero bytes that pad the tail are ASCII, neither counted nor escapes.
    for (index, block) in blocks.by_ref().chain(std::iter::once(&tail[..])).enumerate() {
        let block = u8x16::new(block.try_into().unwrap_or_default());
        // Branch-free: text mixes ASCII and other blocks too unpredictably for a fast path to pay.
        // Continuation bytes are 0x80..0xC0; lead bytes of three or four bytes 0xE0 and up.
        let high = block.to_bitmask();
        let before_lead_bytes = block.min(u8x16::splat(0xBF)).simd_eq(block).to_bitmask();
        let before_wide_leads = block.min(u8x16::splat(0xDF)).simd_eq(block).to_bitmask();
        non_ascii += u64::from(high.count_ones());
        continuation += u64::from((high & before_lead_bytes).count_ones());
        wide += u64::from((high & !before_wide_leads).count_ones());
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
    let lead_two = non_ascii - continuation - wide;
    let chars = len - continuation;
    let quarters = (len - non_ascii) + 2 * lead_two + 4 * wide;
    Measure {
        chars: chars.saturating_sub(correction.chars),
        quarters: (quarters + correction.added_quarters).saturating_sub(correction.removed_quarters),
    }
}

/// What escapes change: their raw bytes were counted as ASCII characters; each decodes to one.
#[derive(Default)]
struct Correction {
    chars: u64,
    removed_quarters: u64,
    added_quarters: u64,
}

impl Correction {
    /// Accounts for the escape at `at`; returns where it ends.
    fn escape(&mut self, raw: &[u8], at: usize) -> usize {
        let (len, quarters) = if raw.get(at + 1) == Some(&b'u') {
            let unit = hex4(raw, at + 2).unwrap_or(0xFFFD);
            match hex4(raw, at + 8) {
                // A surrogate pair: one character outside the Basic Multilingual Plane.
                Some(low)
                    if (0xD800..0xDC00).contains(&unit)
                        && (0xDC00..0xE000).contains(&low)
                        && raw.get(at + 6) == Some(&b'\\')
                        && raw.get(at + 7) == Some(&b'u') =>
                {
                    (12, 4)
                }
                _ => (6, code_point_quarters(unit)),
            }
        } else {
            // `\n`, `\"`, `\\`, `\/`, ...: one ASCII character.
            (2, 1)
        };
        let len = len.min(raw.len() - at);
        self.chars += len as u64 - 1;
        self.removed_quarters += len as u64;
        self.added_quarters += quarters;
        at + len
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
    fn classes_by_encoded_length() {
        assert_eq!(measure_utf8(b"abcd"), Measure { chars: 4, quarters: 4 });
        assert_eq!(measure_utf8("é".as_bytes()), Measure { chars: 1, quarters: 2 });
        assert_eq!(measure_utf8("中".as_bytes()), Measure { chars: 1, quarters: 4 });
        assert_eq!(measure_utf8("😀".as_bytes()), Measure { chars: 1, quarters: 4 });
        // A lone surrogate escape counts like the U+FFFD that replaces it.
        assert_eq!(measure_json_string(br"a\ud800b"), Measure { chars: 3, quarters: 6 });
        assert_eq!(measure_json_string(br"\uDBFF\uDFFF"), Measure { chars: 1, quarters: 4 });
        assert_eq!(Measure { chars: 5, quarters: 5 }.tokens(), 2);
        assert_eq!(Measure::default().tokens(), 0);
    }

    /// The estimate straight from the definition: quarters by UTF-8 length, one character each.
    fn by_definition(text: &str) -> Measure {
        let quarters = text.chars().map(|c| [0, 1, 2, 4, 4][c.len_utf8()]).sum();
        Measure { chars: text.chars().count() as u64, quarters }
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
        fn no_byte_weighs_more_than_a_third_of_a_token(text in proptest::prelude::any::<String>()) {
            proptest::prop_assert!(super::super::estimate_tokens(&text) <= text.len().div_ceil(3) as u64);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let _ = measure_json_string(&bytes);
            let _ = measure_utf8(&bytes);
        }
    }
}
