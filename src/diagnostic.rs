//! A finding as plain data: what rule, how serious, where, and how to fix it.

use crate::rules::{Rule, Severity};
use crate::span::SourceLine;

/// Where a finding is: the primary byte span and the line and column it starts at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// Byte offset of the span from the start of the file (0-based).
    pub offset: u64,
    /// Length of the span in bytes.
    pub length: u64,
    /// 1-based physical line.
    pub line: u64,
    /// 1-based column, counted in Unicode scalar values from the start of the line.
    pub column: u64,
}

/// A secondary location that explains a finding (the first occurrence of a duplicate, say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    /// What this location is, e.g. "first occurrence".
    pub message: String,
    /// The file, when it is not the finding's own file (another shard of the dataset).
    pub file: Option<String>,
    /// The span.
    pub location: Location,
}

/// One finding of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule that fired; its code and name are stable.
    pub rule: Rule,
    /// The effective severity (after target defaults and overrides).
    pub severity: Severity,
    /// What is wrong, naming the value.
    pub message: String,
    /// How to fix it, when there is something specific to say.
    pub help: Option<String>,
    /// The file as given by the user (for dataset-level findings: the dataset path or the entry).
    pub file: String,
    /// The primary span; `None` for dataset-level findings.
    pub location: Option<Location>,
    /// RFC 6901 JSON Pointer of the value inside the record (`""` for the whole record).
    pub pointer: Option<String>,
    /// Related locations.
    pub related: Vec<Related>,
    /// The source line with the span underlined, for graphical output (absent when not requested).
    pub source: Option<SourceLine>,
    /// Position in the output order: dataset, file (dataset-level first), offset, code.
    pub(crate) order: OrderKey,
}

/// Sorts diagnostics as the rule book prescribes: by dataset and file in argument order, dataset-level
/// findings first, then by byte offset, then by code; ties keep the order the checks found them in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct OrderKey {
    pub dataset: u32,
    /// 0 for dataset-level findings, 1 + the shard index for findings inside a file.
    pub file: u32,
    pub offset: u64,
    pub rule: u8,
}

impl Diagnostic {
    /// The line, when the finding has a location.
    #[must_use]
    pub fn line(&self) -> Option<u64> {
        self.location.map(|location| location.line)
    }

    /// Whether this is a dataset-level finding (no location in a file).
    #[must_use]
    pub fn is_dataset_level(&self) -> bool {
        self.location.is_none()
    }

    pub(crate) fn order(&self) -> OrderKey {
        self.order
    }
}

/// Escapes one JSON Pointer reference token (RFC 6901: `~` as `~0`, `/` as `~1`).
pub(crate) fn pointer_token(text: &[u8]) -> String {
    lossy_text(text).replace('~', "~0").replace('/', "~1")
}

/// Decoded string text as a Rust string: a lone surrogate (kept as three WTF-8 bytes by the parser)
/// becomes one U+FFFD, as does any other invalid sequence.
pub(crate) fn lossy_text(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                break;
            }
            Err(error) => {
                let (valid, after) = rest.split_at(error.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push(char::REPLACEMENT_CHARACTER);
                let skip = match after {
                    // An encoded surrogate: ED A0..BF 80..BF.
                    [0xED, 0xA0..=0xBF, 0x80..=0xBF, ..] => 3,
                    _ => error.error_len().unwrap_or(after.len()),
                };
                rest = &after[skip..];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(pointer_token(b"a/b~c"), "a~1b~0c");
        assert_eq!(pointer_token(b"plain"), "plain");
        assert_eq!(pointer_token(b"\xED\xA0\x80key"), "\u{FFFD}key");
        assert_eq!(lossy_text(b"a\xFFb"), "a\u{FFFD}b");
    }
}
