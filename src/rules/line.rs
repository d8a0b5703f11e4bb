//! The checks of one physical line: line ending, blank line, UTF-8, JSON syntax, then the record.

use crate::fingerprint::{RecordKey, fingerprint_nodes, record_key};
use crate::parse::{Kind, SyntaxError, SyntaxErrorKind, Tape, parse_line_with_limits};
use crate::rules::record::{Finding, MessageSummary, RecordChecker, thousands};
use crate::rules::{Rule, RuleSet, Target};
use crate::tokens::TokenCounter;

/// Per-worker buffers reused from line to line, so the fast path does not allocate.
#[derive(Default)]
pub(crate) struct LineScratch {
    tape: Tape,
    hashes: Vec<u128>,
    messages: Vec<MessageSummary>,
}

/// What checking a line needs to know besides its bytes.
pub(crate) struct LineRules<'a> {
    pub rules: &'a RuleSet,
    pub target: Target,
    pub max_depth: usize,
    /// The longest line checked (longer is DPO010); it also bounds the keys and values parsed.
    pub max_line_bytes: usize,
    /// Whether duplicate and conflict detection want record keys.
    pub fingerprints: bool,
    /// How DPO304 counts tokens, and its budget.
    pub tokens: &'a TokenCounter,
    pub max_tokens: u64,
}

/// The outcome of one line. Finding offsets are relative to the start of the line.
#[derive(Default)]
pub(crate) struct LineOutcome {
    pub is_example: bool,
    /// Offset of the record's first byte (after a BOM) and its length without the line ending.
    pub record_start: u32,
    pub record_len: u32,
    /// Set for parsed object records when fingerprints are wanted.
    pub key: Option<RecordKey>,
    pub valid_utf8: bool,
}

/// Checks `line` (without its `\n`; `terminated` says whether it had one); `content_start` skips a
/// BOM on the first line of a file; `known_utf8` says the caller already validated the bytes.
/// Findings are appended with offsets relative to the line start.
pub(crate) fn check_line(
    line: &[u8],
    terminated: bool,
    content_start: usize,
    known_utf8: bool,
    rules: &LineRules<'_>,
    scratch: &mut LineScratch,
    findings: &mut Vec<Finding>,
) -> LineOutcome {
    let mut end = line.len();
    // The line ending is `\n` or `\r\n`; the `\r` of a CRLF is not part of the record.
    let has_crlf = terminated && end > content_start && line[end - 1] == b'\r';
    if has_crlf {
        end -= 1;
    }
    let content = &line[content_start..end];
    let mut outcome = LineOutcome {
        record_start: content_start as u32,
        record_len: content.len() as u32,
        valid_utf8: true,
        ..LineOutcome::default()
    };

    // Over the limit, nothing else is looked at: the same as when a reader skips the line unread.
    if content.len() > rules.max_line_bytes {
        outcome.is_example = true;
        if rules.rules.is_enabled(Rule::OversizedLine) {
            findings.push(oversized_line(content_start, content.len() as u64, rules.max_line_bytes));
        }
        return outcome;
    }

    if has_crlf && rules.rules.is_enabled(Rule::CarriageReturn) {
        findings.push(line_finding(
            Rule::CarriageReturn,
            end,
            1,
            "the line ends with CRLF (\\r\\n)".into(),
            "JSONL lines end with \\n alone; most tools cope with CRLF, but it is noise in content and byte counts (`dpolint convert --from fireworks` rewrites it)",
        ));
    }

    if content.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r')) {
        if rules.rules.is_enabled(Rule::BlankLine) {
            let what = if content.is_empty() { "empty line" } else { "blank line (only spaces, tabs or CR)" };
            findings.push(Finding {
                pointer: None,
                ..line_finding(
                    Rule::BlankLine,
                    content_start,
                    content.len(),
                    format!("{what}: it is not an example, but some upload tools count it as one"),
                    "delete the line: Fireworks' upload helper counts physical lines as examples, and Together rejects blank lines",
                )
            });
        }
        return outcome;
    }
    outcome.is_example = true;

    if !known_utf8 && simdutf8::basic::from_utf8(content).is_err() {
        outcome.valid_utf8 = false;
        if rules.rules.is_enabled(Rule::InvalidUtf8) {
            findings.push(invalid_utf8(content, content_start));
        }
        return outcome;
    }

    if let Err(error) =
        parse_line_with_limits(content, &mut scratch.tape, rules.max_depth, max_values(rules.max_line_bytes))
    {
        if let SyntaxErrorKind::TooManyValues(limit) = error.kind {
            if rules.rules.is_enabled(Rule::OversizedLine) {
                findings.push(too_many_values(content_start, content.len(), limit, rules.max_line_bytes));
            }
        } else if rules.rules.is_enabled(Rule::InvalidJson) {
            findings.push(invalid_json(content, content_start, &error));
        }
        return outcome;
    }

    let root = scratch.tape.nodes[0];
    if root.kind != Kind::Object {
        if rules.rules.is_enabled(Rule::NotAnObject) {
            let help = if root.kind == Kind::Array {
                "the line holds a JSON array: write each record on its own line as an object"
            } else {
                "each line must be one object with `input`, `preferred_output` and `non_preferred_output`"
            };
            findings.push(Finding {
                pointer: Some(String::new()),
                ..line_finding(
                    Rule::NotAnObject,
                    content_start,
                    content.len(),
                    format!("the line is {}, not a JSON object", root.kind.described()),
                    help,
                )
            });
        }
        return outcome;
    }

    let wants_hashes = rules.fingerprints || rules.rules.is_enabled(Rule::IdenticalOutputs);
    if wants_hashes {
        fingerprint_nodes(&scratch.tape, content, &mut scratch.hashes);
    } else {
        scratch.hashes.clear();
    }
    let first_new = findings.len();
    RecordChecker {
        line: content,
        tape: &scratch.tape,
        rules: rules.rules,
        target: rules.target,
        hashes: &scratch.hashes,
        findings,
        messages: &mut scratch.messages,
        tokens: rules.tokens,
        max_tokens: rules.max_tokens,
    }
    .check();
    // Record checks work in record coordinates; move them to line coordinates.
    let shift = content_start as u32;
    for finding in &mut findings[first_new..] {
        finding.start += shift;
        finding.end += shift;
        if let Some(related) = &mut finding.related {
            related.0 += shift;
            related.1 += shift;
        }
    }
    if rules.fingerprints {
        outcome.key = Some(record_key(&scratch.tape, content, &scratch.hashes));
    }
    outcome
}

/// The default of `--max-line-bytes`: far above any real record (a long-context example is a few
/// megabytes), and low enough that one line's parse stays within a few hundred megabytes.
pub const DEFAULT_MAX_LINE_BYTES: usize = 256 << 20;

/// Keys and values a line may hold: one per 64 bytes of the line-size limit (at least 65,536), so
/// that the parse of one line (28 bytes per key or value) takes at most about half the limit's
/// size in memory, whatever the line holds. Real records hold a few dozen.
pub(crate) fn max_values(max_line_bytes: usize) -> usize {
    (max_line_bytes / 64).max(1 << 16)
}

/// DPO010 for a line longer than the limit; its bytes were not read into memory (`len` excludes
/// the line ending). Offsets are relative to the line start.
pub(crate) fn oversized_line(content_start: usize, len: u64, max_line_bytes: usize) -> Finding {
    Finding {
        rule: Rule::OversizedLine,
        start: content_start as u32,
        end: u32::try_from(content_start as u64 + len).unwrap_or(u32::MAX),
        severity: None,
        pointer: None,
        message: format!(
            "the line is {} bytes long, over the limit of {} bytes: it was not checked",
            thousands(len),
            thousands(max_line_bytes as u64)
        ),
        help: Some("a DPO record is rarely over a few megabytes: was the file written without line breaks? Otherwise raise `--max-line-bytes` (memory grows with it)".into()),
        related: None,
    }
}

#[cold]
fn too_many_values(content_start: usize, len: usize, limit: usize, max_line_bytes: usize) -> Finding {
    Finding {
        rule: Rule::OversizedLine,
        start: content_start as u32,
        end: (content_start + len) as u32,
        severity: None,
        pointer: None,
        message: format!(
            "the line holds more than {} JSON keys and values, the most a line may hold under the limit of {} bytes: it was not checked",
            thousands(limit as u64),
            thousands(max_line_bytes as u64)
        ),
        help: Some("a DPO record holds a few dozen values: is this a whole dataset or a table on one line? Raising `--max-line-bytes` raises this limit too".into()),
        related: None,
    }
}

fn line_finding(rule: Rule, start: usize, len: usize, message: String, help: &str) -> Finding {
    Finding {
        rule,
        start: start as u32,
        end: (start + len) as u32,
        severity: None,
        pointer: None,
        message,
        help: Some(help.to_string()),
        related: None,
    }
}

#[cold]
fn invalid_utf8(content: &[u8], content_start: usize) -> Finding {
    let error = std::str::from_utf8(content).err();
    let valid_up_to = error.map_or(0, |error| error.valid_up_to());
    let len = error.and_then(|error| error.error_len()).unwrap_or(content.len() - valid_up_to);
    let bytes: Vec<String> = content[valid_up_to..valid_up_to + len].iter().map(|b| format!("{b:02X}")).collect();
    let nul_count = memchr::memchr_iter(0, content).count();
    let help = if nul_count * 4 >= content.len() {
        "the line is full of NUL bytes, which looks like UTF-16: re-encode the file as UTF-8 (e.g. `iconv -f UTF-16 -t UTF-8`)"
    } else {
        "the file is probably in a legacy encoding such as Windows-1252 or Latin-1: re-encode it as UTF-8 (e.g. `iconv -f WINDOWS-1252 -t UTF-8`)"
    };
    line_finding(
        Rule::InvalidUtf8,
        content_start + valid_up_to,
        len,
        format!("invalid UTF-8: the byte sequence {} is not a character", bytes.join(" ")),
        help,
    )
}

#[cold]
fn invalid_json(content: &[u8], content_start: usize, error: &SyntaxError) -> Finding {
    let at = error.offset;
    // Length 1 (the whole character, so spans stay on character boundaries), 0 at the end of the line.
    let len = content.get(at).map_or(0, |&b| match b {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    });
    let trimmed = content.trim_ascii();
    let help = match &error.kind {
        SyntaxErrorKind::UnexpectedEnd(_)
            if trimmed.len() == 1 || matches!(trimmed.last(), Some(b'{' | b'[' | b',' | b':')) =>
        {
            "the line stops mid-object, as in pretty-printed JSON: JSONL needs one complete object per line (`jq -c . data.json > data.jsonl` rewrites it)"
        }
        SyntaxErrorKind::UnexpectedEnd(_) => {
            "the line ends before the JSON value does: was the record truncated, or split across lines?"
        }
        SyntaxErrorKind::TrailingCharacters(_) if content[..at].contains(&b'\r') => {
            "the line holds a carriage return between values: the file may use old Mac (CR-only) line endings; convert them to \\n"
        }
        SyntaxErrorKind::TrailingComma => "remove the comma before the closing bracket",
        SyntaxErrorKind::NonFiniteNumber => "JSON has no NaN or Infinity: use null, or a string",
        SyntaxErrorKind::SingleQuotes => {
            "use double quotes: this looks like a Python dict (`str(dict)`) rather than `json.dumps`"
        }
        SyntaxErrorKind::Comment => "remove the comment: JSON has none",
        SyntaxErrorKind::ControlInString(_) => {
            "escape control characters in strings (`\\n`, `\\t`, `\\u0000`); a JSON encoder does it for you"
        }
        SyntaxErrorKind::TrailingCharacters('{') => "two records on one line? put each JSON object on its own line",
        SyntaxErrorKind::TooDeep(_) => "flatten the structure: no DPO record needs this much nesting",
        SyntaxErrorKind::ExpectedKey(_) => "keys must be strings in double quotes",
        _ => "write each record with a JSON encoder (e.g. `json.dumps` in Python) rather than by hand",
    };
    line_finding(Rule::InvalidJson, content_start + at, len, format!("invalid JSON: {}", error.kind), help)
}
