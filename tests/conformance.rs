//! The team's JSON conformance suite: RFC 8259 edge cases, each with the exact findings the rule
//! book (`RULES.md`) prescribes: code, severity, line:column, byte offset+length and JSON pointer,
//! plus a part of the message that says precisely what is wrong.
//!
//! A case is one line. Most cases are a JSON value embedded in an otherwise valid Fireworks record,
//! so that only the value can be at fault:
//!
//! - [`value`] puts it as a tool parameter (`/input/tools/0/function/parameters/v`, where any JSON
//!   is allowed), starting at byte 100 (column 101);
//! - [`content`] puts a string as the user message's content (`/input/messages/1/content`),
//!   starting at byte 100 (column 101);
//! - [`line`] is the whole line, for cases about the line itself.
//!
//! Each case line is checked as line 1 of a file followed by three valid records (so the dataset
//! has enough examples and no dataset-level finding muddles the table); every finding of the file
//! is compared, so a case that disturbs the following lines fails too.
//!
//! Spans, per the rule book: a syntax error (DPO003) is the byte where parsing failed (length 0 at
//! the end of the line; a non-ASCII character is covered whole, see `non-ASCII whitespace` below);
//! invalid UTF-8 (DPO001) is the first invalid byte sequence, as `std::str::Utf8Error` delimits
//! it; a string finding (DPO008, DPO009) is the string token with its quotes; a duplicate key
//! (DPO007) is the second occurrence with its quotes; a not-an-object line (DPO004) is the line
//! without its ending, surrounding spaces included.

use crate::common::{check_bytes, essentials, record, validator};

/// Everything before a [`value`] case: the case starts at byte 100.
const VALUE_BEFORE: &str =
    r#"{"input": {"tools": [{"type": "function", "function": {"name": "get_the_value", "parameters": {"v": "#;
const VALUE_AFTER: &str = r#"}}}], "messages": [{"role": "user", "content": "Hi?"}]}, "preferred_output": [{"role": "assistant", "content": "Yes."}], "non_preferred_output": [{"role": "assistant", "content": "No."}]}"#;
/// Everything before a [`content`] case: the case starts at byte 100.
const CONTENT_BEFORE: &str =
    r#"{"input": {"messages": [{"role": "system", "content": "Be brief now."}, {"role": "user", "content": "#;
const CONTENT_AFTER: &str = r#"}]}, "preferred_output": [{"role": "assistant", "content": "Yes."}], "non_preferred_output": [{"role": "assistant", "content": "No."}]}"#;
/// A valid record of 192 bytes, for the cases about whole lines.
const RECORD: &str = r#"{"input": {"messages": [{"role": "user", "content": "Hi?"}]}, "preferred_output": [{"role": "assistant", "content": "Yes."}], "non_preferred_output": [{"role": "assistant", "content": "No."}]}"#;

/// A JSON value as a tool parameter of an otherwise valid record, starting at byte 100.
fn value(json: impl AsRef<[u8]>) -> Vec<u8> {
    [VALUE_BEFORE.as_bytes(), json.as_ref(), VALUE_AFTER.as_bytes()].concat()
}

/// A JSON string as the user message's content of an otherwise valid record, starting at byte 100.
fn content(json: impl AsRef<[u8]>) -> Vec<u8> {
    [CONTENT_BEFORE.as_bytes(), json.as_ref(), CONTENT_AFTER.as_bytes()].concat()
}

/// A whole line.
fn line(bytes: impl AsRef<[u8]>) -> Vec<u8> {
    bytes.as_ref().to_vec()
}

/// [`RECORD`] with something after it on the same line.
fn after_record(tail: impl AsRef<[u8]>) -> Vec<u8> {
    [RECORD.as_bytes(), tail.as_ref()].concat()
}

/// A rejected case: its line and each expected finding, as [`essentials`] prints it, with a part
/// of its message.
struct Rejected {
    name: &'static str,
    line: Vec<u8>,
    findings: Vec<(String, &'static str)>,
}

fn reject(name: &'static str, line: Vec<u8>, findings: &[(&str, &'static str)]) -> Rejected {
    Rejected {
        name,
        line,
        findings: findings.iter().map(|&(essential, message)| (essential.to_string(), message)).collect(),
    }
}

/// The file a case is checked in: the case on line 1, then three valid records.
fn file_with(case: &[u8]) -> Vec<u8> {
    let mut file = case.to_vec();
    for i in 1..=3 {
        file.push(b'\n');
        file.extend_from_slice(record(i).as_bytes());
    }
    file.push(b'\n');
    file
}

/// Every case that must be rejected, and how.
fn rejected() -> Vec<Rejected> {
    let mut cases = vec![
        // Numbers (RFC 8259 section 6): `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        reject(
            "number: leading zero",
            value("01"),
            &[("DPO003 error 1:102 @101+1", "invalid number: leading zeros are not allowed")],
        ),
        reject(
            "number: negative leading zero",
            value("-01"),
            &[("DPO003 error 1:103 @102+1", "leading zeros are not allowed")],
        ),
        reject("number: double zero", value("00"), &[("DPO003 error 1:102 @101+1", "leading zeros are not allowed")]),
        reject(
            "number: lone minus",
            value("-"),
            &[("DPO003 error 1:102 @101+1", "invalid number: expected a digit after `-`")],
        ),
        reject(
            "number: minus before a point",
            value("-.5"),
            &[("DPO003 error 1:102 @101+1", "expected a digit after `-`")],
        ),
        reject(
            "number: trailing point",
            value("1."),
            &[("DPO003 error 1:103 @102+1", "invalid number: expected a digit after the decimal point")],
        ),
        reject(
            "number: point before exponent",
            value("0.e1"),
            &[("DPO003 error 1:103 @102+1", "expected a digit after the decimal point")],
        ),
        reject(
            "number: leading point",
            value(".5"),
            &[("DPO003 error 1:101 @100+1", "invalid number: a number needs a digit before the decimal point")],
        ),
        reject(
            "number: leading plus",
            value("+1"),
            &[("DPO003 error 1:101 @100+1", "invalid number: a leading `+` is not allowed")],
        ),
        reject(
            "number: hexadecimal",
            value("0x10"),
            &[("DPO003 error 1:102 @101+1", "expected `,` or `}` after an object member, found `x`")],
        ),
        reject(
            "number: empty exponent",
            value("1e"),
            &[("DPO003 error 1:103 @102+1", "invalid number: expected a digit in the exponent")],
        ),
        reject(
            "number: signed empty exponent",
            value("1e+"),
            &[("DPO003 error 1:104 @103+1", "expected a digit in the exponent")],
        ),
        reject(
            "number: negative empty exponent",
            value("1E-"),
            &[("DPO003 error 1:104 @103+1", "expected a digit in the exponent")],
        ),
        reject("number: two points", value("1.5.2"), &[("DPO003 error 1:104 @103+1", "found `.`")]),
        reject("number: digit separator", value("1_000"), &[("DPO003 error 1:102 @101+1", "found `_`")]),
        reject(
            "number: two numbers",
            value("1 2"),
            &[("DPO003 error 1:103 @102+1", "expected `,` or `}` after an object member, found `2`")],
        ),
        reject(
            "number: Infinity",
            value("Infinity"),
            &[("DPO003 error 1:101 @100+1", "`NaN` and `Infinity` are not JSON numbers")],
        ),
        reject(
            "number: -Infinity",
            value("-Infinity"),
            &[("DPO003 error 1:102 @101+1", "`NaN` and `Infinity` are not JSON numbers")],
        ),
        reject(
            "number: NaN",
            value("NaN"),
            &[("DPO003 error 1:101 @100+1", "`NaN` and `Infinity` are not JSON numbers")],
        ),
        // Literals are lowercase and whole.
        reject(
            "literal: truncated true",
            value("tru"),
            &[("DPO003 error 1:104 @103+1", "invalid literal: expected `true`")],
        ),
        reject("literal: True", value("True"), &[("DPO003 error 1:101 @100+1", "expected a JSON value, found `T`")]),
        reject("literal: nan", value("nan"), &[("DPO003 error 1:102 @101+1", "invalid literal: expected `null`")]),
        // Python's `None` is not a number: the message must not talk about NaN (it did).
        reject("literal: None", value("None"), &[("DPO003 error 1:101 @100+1", "expected a JSON value, found `N`")]),
        reject(
            "literal: undefined",
            value("undefined"),
            &[("DPO003 error 1:101 @100+1", "expected a JSON value, found `u`")],
        ),
        // Escapes (section 7): only \" \\ \/ \b \f \n \r \t and \uXXXX.
        reject(
            "escape: \\x",
            content(r#""\x41""#),
            &[("DPO003 error 1:103 @102+1", r"invalid escape `\x` in a string")],
        ),
        reject("escape: \\'", content(r#""\'""#), &[("DPO003 error 1:103 @102+1", r"invalid escape `\'` in a string")]),
        reject("escape: \\U", content(r#""\U0041""#), &[("DPO003 error 1:103 @102+1", r"invalid escape `\U`")]),
        reject("escape: \\0", content(r#""\0""#), &[("DPO003 error 1:103 @102+1", r"invalid escape `\0`")]),
        reject("escape: backslash space", content(r#""\ ""#), &[("DPO003 error 1:103 @102+1", r"invalid escape `\ `")]),
        reject(
            "escape: truncated \\u12",
            content(r#""\u12""#),
            &[("DPO003 error 1:106 @105+1", r"invalid `\u` escape: expected four hexadecimal digits")],
        ),
        reject(
            "escape: non-hex digit",
            content(r#""\u12G4""#),
            &[("DPO003 error 1:106 @105+1", r"invalid `\u` escape")],
        ),
        reject(
            "escape: braced \\u{41}",
            content(r#""\u{41}""#),
            &[("DPO003 error 1:104 @103+1", r"invalid `\u` escape")],
        ),
        reject(
            "escape: after a 4-byte character",
            content(r#""🚀\q""#),
            &[("DPO003 error 1:104 @106+1", r"invalid escape `\q`")],
        ),
        // The escaped character is covered whole (2 bytes), see `non-ASCII whitespace`.
        reject(
            "escape: of a non-ASCII character",
            content(r#""\é""#),
            &[("DPO003 error 1:103 @102+2", r"invalid escape `\é`")],
        ),
        // Surrogates: a `\u` escape of a surrogate must be a high one followed by an escaped low one.
        reject(
            "surrogate: lone high",
            content(r#""\ud800""#),
            &[(r#"DPO008 error 1:101 @100+8 "/input/messages/1/content""#, "unpaired UTF-16 surrogate")],
        ),
        reject(
            "surrogate: lone high, uppercase",
            content(r#""\uDBFF""#),
            &[(r#"DPO008 error 1:101 @100+8 "/input/messages/1/content""#, "unpaired UTF-16 surrogate")],
        ),
        reject(
            "surrogate: lone low",
            content(r#""\udc00""#),
            &[(r#"DPO008 error 1:101 @100+8 "/input/messages/1/content""#, "unpaired UTF-16 surrogate")],
        ),
        reject(
            "surrogate: reversed pair",
            content(r#""\ude80\ud83d""#),
            &[(r#"DPO008 error 1:101 @100+14 "/input/messages/1/content""#, "unpaired UTF-16 surrogate")],
        ),
        reject(
            "surrogate: high then BMP escape",
            content(r#""\ud800\u0041""#),
            &[(r#"DPO008 error 1:101 @100+14 "/input/messages/1/content""#, "unpaired UTF-16 surrogate")],
        ),
        reject(
            "surrogate: two highs",
            content(r#""\ud800\ud800""#),
            &[(r#"DPO008 error 1:101 @100+14 "/input/messages/1/content""#, "unpaired UTF-16 surrogate")],
        ),
        reject(
            "surrogate: high then a raw character",
            content(r#""\ud83dx""#),
            &[(r#"DPO008 error 1:101 @100+9 "/input/messages/1/content""#, "unpaired UTF-16 surrogate")],
        ),
        reject(
            "surrogate: high then a short escape",
            content(r#""\ud800\n""#),
            &[(r#"DPO008 error 1:101 @100+10 "/input/messages/1/content""#, "unpaired UTF-16 surrogate")],
        ),
        reject(
            "surrogate: after non-ASCII text",
            content(r#""é \ud800""#),
            &[(r#"DPO008 error 1:101 @100+11 "/input/messages/1/content""#, "unpaired UTF-16 surrogate")],
        ),
        reject(
            "surrogate: high then an escaped NUL",
            content(r#""\ud800\u0000""#),
            &[
                (r#"DPO008 error 1:101 @100+14 "/input/messages/1/content""#, "unpaired UTF-16 surrogate"),
                (r#"DPO009 warning 1:101 @100+14 "/input/messages/1/content""#, "control character U+0000"),
            ],
        ),
        reject(
            "surrogate: high then an invalid escape",
            content(r#""\ud800\uZZZZ""#),
            &[("DPO003 error 1:110 @109+1", r"invalid `\u` escape")],
        ),
        reject(
            "surrogate: high then a truncated escape",
            content(r#""\ud800\u12""#),
            &[("DPO003 error 1:112 @111+1", r"invalid `\u` escape")],
        ),
        reject(
            "surrogate: in a key",
            value(r#"{"\ud800": 1}"#),
            &[(
                "DPO008 error 1:102 @101+8 \"/input/tools/0/function/parameters/v/\u{fffd}\"",
                "unpaired UTF-16 surrogate",
            )],
        ),
        // Escaped C0 controls other than tab, LF and CR are valid JSON but DPO009 warnings; \b and \f are such escapes.
        reject(
            "control: \\u0000",
            content(r#""\u0000""#),
            &[(
                r#"DPO009 warning 1:101 @100+8 "/input/messages/1/content""#,
                "the string contains the control character U+0000",
            )],
        ),
        reject(
            "control: \\u001F",
            content(r#""\u001F""#),
            &[(r#"DPO009 warning 1:101 @100+8 "/input/messages/1/content""#, "U+001F")],
        ),
        reject(
            "control: \\u001f",
            content(r#""\u001f""#),
            &[(r#"DPO009 warning 1:101 @100+8 "/input/messages/1/content""#, "U+001F")],
        ),
        reject(
            "control: \\b",
            content(r#""\b""#),
            &[(r#"DPO009 warning 1:101 @100+4 "/input/messages/1/content""#, "U+0008")],
        ),
        reject(
            "control: \\f",
            content(r#""a\fb""#),
            &[(r#"DPO009 warning 1:101 @100+6 "/input/messages/1/content""#, "U+000C")],
        ),
        // U+000C is also Unicode White_Space, so a content of only `\f` is whitespace-only too.
        reject(
            "control: \\f alone",
            content(r#""\f""#),
            &[
                (r#"DPO009 warning 1:101 @100+4 "/input/messages/1/content""#, "U+000C"),
                (r#"DPO301 error 1:101 @100+4 "/input/messages/1/content""#, "is whitespace-only"),
            ],
        ),
        reject(
            "control: two in one string",
            content(r#""ok\u0007 and \u001b""#),
            &[(r#"DPO009 warning 1:101 @100+21 "/input/messages/1/content""#, "U+0007")],
        ),
        reject(
            "control: in a key",
            value(r#"{"a\u0001": 1}"#),
            &[(r#"DPO009 warning 1:102 @101+9 "/input/tools/0/function/parameters/v/a\u{1}""#, "U+0001")],
        ),
        // Raw C0 controls inside strings are invalid JSON (section 7: U+0000 to U+001F must be escaped).
        reject(
            "raw control: U+0000",
            content("\"a\x00b\""),
            &[("DPO003 error 1:103 @102+1", "unescaped control character U+0000 inside a string")],
        ),
        reject(
            "raw control: U+0001",
            content("\"a\x01b\""),
            &[("DPO003 error 1:103 @102+1", "unescaped control character U+0001 inside a string")],
        ),
        reject("raw control: backspace", content("\"a\x08b\""), &[("DPO003 error 1:103 @102+1", "U+0008")]),
        reject(
            "raw control: tab",
            content("\"a\tb\""),
            &[("DPO003 error 1:103 @102+1", "unescaped control character U+0009 inside a string")],
        ),
        reject("raw control: vertical tab", content("\"a\x0bb\""), &[("DPO003 error 1:103 @102+1", "U+000B")]),
        reject("raw control: form feed", content("\"a\x0cb\""), &[("DPO003 error 1:103 @102+1", "U+000C")]),
        reject(
            "raw control: CR inside the line",
            content("\"a\rb\""),
            &[("DPO003 error 1:103 @102+1", "unescaped control character U+000D inside a string")],
        ),
        reject("raw control: escape", content("\"a\x1bb\""), &[("DPO003 error 1:103 @102+1", "U+001B")]),
        reject("raw control: U+001F", content("\"a\x1fb\""), &[("DPO003 error 1:103 @102+1", "U+001F")]),
        // A raw LF ends the line: the string is cut, and its rest is line 2 (a new example).
        reject(
            "raw control: LF splits the record",
            content("\"a\nb\""),
            &[
                (
                    "DPO003 error 1:103 @102+0",
                    "the line ends before the JSON value does: expected `\"` to close the string",
                ),
                ("DPO003 error 2:1 @103+1", "expected a JSON value, found `b`"),
            ],
        ),
        // Whitespace (section 2) is space, tab, LF and CR only.
        reject(
            "whitespace: form feed before a value",
            value("\x0c1"),
            &[("DPO003 error 1:101 @100+1", r"expected a JSON value, found `\u{c}`")],
        ),
        reject(
            "whitespace: vertical tab before a value",
            value("\x0b1"),
            &[("DPO003 error 1:101 @100+1", r"expected a JSON value, found `\u{b}`")],
        ),
        reject(
            "whitespace: form feed after a value",
            value("1\x0c"),
            &[("DPO003 error 1:102 @101+1", r"expected `,` or `}` after an object member, found `\u{c}`")],
        ),
        reject(
            "whitespace: form feed at the line start",
            line(format!("\x0c{RECORD}")),
            &[("DPO003 error 1:1 @0+1", r"expected a JSON value, found `\u{c}`")],
        ),
        // Non-ASCII whitespace: the span covers the whole character, not one byte. RULES.md says
        // "length 0 or 1" for a syntax error; the implementation keeps every span on character
        // boundaries (the fuzz invariants check it), which a one-byte span here would break.
        reject(
            "non-ASCII whitespace: NBSP",
            value("\u{a0}1"),
            &[("DPO003 error 1:101 @100+2", "expected a JSON value, found `\u{a0}`")],
        ),
        reject(
            "non-ASCII whitespace: U+2028 outside a string",
            value("\u{2028}1"),
            &[("DPO003 error 1:101 @100+3", "expected a JSON value, found `\u{2028}`")],
        ),
        reject(
            "non-ASCII whitespace: U+3000",
            value("1\u{3000}"),
            &[("DPO003 error 1:102 @101+3", "expected `,` or `}` after an object member, found `\u{3000}`")],
        ),
        reject(
            "non-ASCII whitespace: U+FEFF inside a line",
            value("\u{feff}1"),
            &[("DPO003 error 1:101 @100+3", "expected a JSON value, found `\u{feff}`")],
        ),
        // Duplicate keys: compared after unescaping; the span is the second occurrence.
        reject(
            "duplicate: same key twice",
            value(r#"{"a": 1, "a": 2}"#),
            &[(r#"DPO007 error 1:110 @109+3 "/input/tools/0/function/parameters/v/a""#, "duplicate key `a`")],
        ),
        reject(
            "duplicate: escaped the second time",
            value(r#"{"a": 1, "\u0061": 2}"#),
            &[(r#"DPO007 error 1:110 @109+8 "/input/tools/0/function/parameters/v/a""#, "duplicate key `a`")],
        ),
        reject(
            "duplicate: escaped the first time",
            value(r#"{"\u00e9": 1, "é": 2}"#),
            &[(r#"DPO007 error 1:115 @114+4 "/input/tools/0/function/parameters/v/é""#, "duplicate key `é`")],
        ),
        reject(
            "duplicate: uppercase escape",
            value(r#"{"é": 1, "\u00E9": 2}"#),
            &[(r#"DPO007 error 1:110 @110+8 "/input/tools/0/function/parameters/v/é""#, "duplicate key `é`")],
        ),
        reject(
            "duplicate: surrogate pair and UTF-8",
            value(r#"{"\uD83D\uDE80": 1, "🚀": 2}"#),
            &[(r#"DPO007 error 1:121 @120+6 "/input/tools/0/function/parameters/v/🚀""#, "duplicate key `🚀`")],
        ),
        reject(
            "duplicate: escaped solidus, pointer escaping",
            value(r#"{"a/b~c": 1, "a\/b~c": 2}"#),
            &[(r#"DPO007 error 1:114 @113+8 "/input/tools/0/function/parameters/v/a~1b~0c""#, "duplicate key `a/b~c`")],
        ),
        reject(
            "duplicate: escaped quote",
            value(r#"{"a\"b": 1, "a\u0022b": 2}"#),
            &[(r#"DPO007 error 1:113 @112+10 "/input/tools/0/function/parameters/v/a\"b""#, "duplicate key `a\"b`")],
        ),
        reject(
            "duplicate: three times",
            value(r#"{"a": 1, "a": 2, "a": 3}"#),
            &[
                (r#"DPO007 error 1:110 @109+3 "/input/tools/0/function/parameters/v/a""#, "duplicate key `a`"),
                (r#"DPO007 error 1:118 @117+3 "/input/tools/0/function/parameters/v/a""#, "duplicate key `a`"),
            ],
        ),
        reject(
            "duplicate: lone surrogate keys",
            value(r#"{"\ud800": 1, "\uD800": 2}"#),
            &[
                (
                    "DPO008 error 1:102 @101+8 \"/input/tools/0/function/parameters/v/\u{fffd}\"",
                    "unpaired UTF-16 surrogate",
                ),
                ("DPO007 error 1:115 @114+8 \"/input/tools/0/function/parameters/v/\u{fffd}\"", "duplicate key"),
                (
                    "DPO008 error 1:115 @114+8 \"/input/tools/0/function/parameters/v/\u{fffd}\"",
                    "unpaired UTF-16 surrogate",
                ),
            ],
        ),
        // The first `preferred_output` is null; every other rule sees the last, valid one.
        reject(
            "duplicate: record key, last one wins",
            line(
                r#"{"input": {"messages": [{"role": "user", "content": "Hi?"}]}, "preferred_output": null, "non_preferred_output": [{"role": "assistant", "content": "No."}], "preferred_output": [{"role": "assistant", "content": "Yes."}]}"#,
            ),
            &[(r#"DPO007 error 1:156 @155+18 "/preferred_output""#, "duplicate key `preferred_output`")],
        ),
        // Structure: no trailing commas, comments, single quotes or unquoted keys.
        reject(
            "structure: trailing comma in an array",
            value("[1,]"),
            &[("DPO003 error 1:104 @103+1", "trailing comma")],
        ),
        reject(
            "structure: trailing comma in an object",
            value(r#"{"a": 1,}"#),
            &[("DPO003 error 1:109 @108+1", "trailing comma")],
        ),
        reject(
            "structure: trailing comma in the record",
            line(format!("{},}}", &RECORD[..RECORD.len() - 1])),
            &[("DPO003 error 1:193 @192+1", "trailing comma")],
        ),
        reject(
            "structure: double comma",
            value("[1,,2]"),
            &[("DPO003 error 1:104 @103+1", "expected a JSON value, found `,`")],
        ),
        reject(
            "structure: leading comma",
            value("[,1]"),
            &[("DPO003 error 1:102 @101+1", "expected a JSON value, found `,`")],
        ),
        reject(
            "structure: lone comma in an object",
            value("{,}"),
            &[("DPO003 error 1:102 @101+1", "expected a double-quoted key, found `,`")],
        ),
        reject(
            "structure: missing comma",
            value("[1 2]"),
            &[("DPO003 error 1:104 @103+1", "expected `,` or `]` after an array element, found `2`")],
        ),
        reject(
            "structure: missing colon",
            value(r#"{"a" 1}"#),
            &[("DPO003 error 1:106 @105+1", "expected `:` after the key, found `1`")],
        ),
        reject(
            "structure: key without value",
            value(r#"{"a"}"#),
            &[("DPO003 error 1:105 @104+1", "expected `:` after the key, found `}`")],
        ),
        reject(
            "structure: missing comma between members",
            value(r#"{"a": 1 "b": 2}"#),
            &[("DPO003 error 1:109 @108+1", "expected `,` or `}` after an object member, found `\"`")],
        ),
        reject(
            "structure: mismatched bracket",
            value("[1}"),
            &[("DPO003 error 1:103 @102+1", "expected `,` or `]` after an array element, found `}`")],
        ),
        reject(
            "structure: mismatched brace",
            value(r#"{"a": 1]"#),
            &[("DPO003 error 1:108 @107+1", "expected `,` or `}` after an object member, found `]`")],
        ),
        reject(
            "comment: block before a value",
            value("/* c */ 1"),
            &[("DPO003 error 1:101 @100+1", "JSON does not allow comments")],
        ),
        reject(
            "comment: line comment as a value",
            value("// c"),
            &[("DPO003 error 1:101 @100+1", "JSON does not allow comments")],
        ),
        reject(
            "comment: before a key",
            value(r#"{/* c */ "a": 1}"#),
            &[("DPO003 error 1:102 @101+1", "JSON does not allow comments")],
        ),
        reject(
            "comment: after a comma",
            value("[1, /* c */ 2]"),
            &[("DPO003 error 1:105 @104+1", "JSON does not allow comments")],
        ),
        reject(
            "comment: after an element",
            value("[1 /* c */]"),
            &[("DPO003 error 1:104 @103+1", "expected `,` or `]` after an array element, found `/`")],
        ),
        reject(
            "comment: after the record",
            after_record(" // c"),
            &[("DPO003 error 1:194 @193+1", "unexpected `/` after the end of the JSON value")],
        ),
        reject(
            "quotes: single-quoted string",
            value("'x'"),
            &[("DPO003 error 1:101 @100+1", "JSON strings and keys use double quotes, not single quotes")],
        ),
        reject(
            "quotes: single-quoted key",
            value("{'a': 1}"),
            &[("DPO003 error 1:102 @101+1", "JSON strings and keys use double quotes, not single quotes")],
        ),
        reject(
            "quotes: Python dict",
            line(RECORD.replace('"', "'")),
            &[("DPO003 error 1:2 @1+1", "double quotes, not single quotes")],
        ),
        reject(
            "keys: unquoted",
            value("{a: 1}"),
            &[("DPO003 error 1:102 @101+1", "expected a double-quoted key, found `a`")],
        ),
        reject(
            "keys: unquoted after a member",
            value(r#"{"a": 1, b: 2}"#),
            &[("DPO003 error 1:110 @109+1", "expected a double-quoted key, found `b`")],
        ),
        // Top-level values other than objects are valid JSON but not records (DPO004, the whole line).
        reject(
            "top level: number",
            line("1"),
            &[(r#"DPO004 error 1:1 @0+1 """#, "the line is a number, not a JSON object")],
        ),
        reject(
            "top level: negative number",
            line("-0.5e-3"),
            &[(r#"DPO004 error 1:1 @0+7 """#, "the line is a number, not a JSON object")],
        ),
        reject(
            "top level: string",
            line(r#""x""#),
            &[(r#"DPO004 error 1:1 @0+3 """#, "the line is a string, not a JSON object")],
        ),
        reject(
            "top level: null",
            line("null"),
            &[(r#"DPO004 error 1:1 @0+4 """#, "the line is null, not a JSON object")],
        ),
        reject(
            "top level: true",
            line("true"),
            &[(r#"DPO004 error 1:1 @0+4 """#, "the line is a boolean, not a JSON object")],
        ),
        reject(
            "top level: empty array",
            line("[]"),
            &[(r#"DPO004 error 1:1 @0+2 """#, "the line is an array, not a JSON object")],
        ),
        reject(
            "top level: spaces around an array",
            line("  [1, 2]\t "),
            &[(r#"DPO004 error 1:1 @0+10 """#, "the line is an array, not a JSON object")],
        ),
        reject(
            "top level: record in an array",
            line(format!("[{RECORD}]")),
            &[(r#"DPO004 error 1:1 @0+194 """#, "the line is an array, not a JSON object")],
        ),
        reject(
            "top level: two numbers",
            line("1 2"),
            &[("DPO003 error 1:3 @2+1", "unexpected `2` after the end of the JSON value")],
        ),
        // An empty object is valid JSON: only the shape rules speak (the span is the object).
        reject(
            "top level: empty object",
            line("{}"),
            &[
                (r#"DPO101 error 1:1 @0+2 "/input""#, "`input`"),
                (r#"DPO101 error 1:1 @0+2 "/preferred_output""#, "`preferred_output`"),
                (r#"DPO101 error 1:1 @0+2 "/non_preferred_output""#, "`non_preferred_output`"),
            ],
        ),
        // Blank lines are not examples (DPO005, the line's bytes, no pointer).
        reject("line: empty", line(""), &[("DPO005 warning 1:1 @0+0", "empty line")]),
        reject(
            "line: spaces and tabs",
            line(" \t "),
            &[("DPO005 warning 1:1 @0+3", "blank line (only spaces, tabs or CR)")],
        ),
        reject(
            "line: CR only",
            line("\r"),
            &[("DPO005 warning 1:1 @0+0", "empty line"), ("DPO006 info 1:1 @0+1", "CRLF")],
        ),
        reject("line: CR between spaces", line(" \r "), &[("DPO005 warning 1:1 @0+3", "blank line")]),
        reject(
            "line: CRLF after a record",
            after_record(" \r"),
            &[("DPO006 info 1:194 @193+1", "the line ends with CRLF")],
        ),
        // Truncated documents: the span is the end of the line (length 0).
        reject(
            "truncated: open brace",
            line("{"),
            &[("DPO003 error 1:2 @1+0", "the line ends before the JSON value does: expected a key or `}`")],
        ),
        reject("truncated: after a key", line(r#"{"input""#), &[("DPO003 error 1:9 @8+0", "expected `:`")]),
        reject(
            "truncated: after a colon",
            line(r#"{"input": "#),
            &[("DPO003 error 1:11 @10+0", "expected a JSON value")],
        ),
        reject(
            "truncated: in an array",
            line(r#"{"input": {"messages": ["#),
            &[("DPO003 error 1:25 @24+0", "expected a value or `]`")],
        ),
        reject("truncated: after a comma", line(r#"{"a": 1,"#), &[("DPO003 error 1:9 @8+0", "expected a key")]),
        reject(
            "truncated: in a string",
            line(r#"{"input": {"messages": [{"role": "us"#),
            &[("DPO003 error 1:37 @36+0", "expected `\"` to close the string")],
        ),
        reject(
            "truncated: in a number",
            line(r#"{"a": 1."#),
            &[("DPO003 error 1:9 @8+0", "expected a digit after the decimal point")],
        ),
        reject("truncated: after a minus", line(r#"{"a": -"#), &[("DPO003 error 1:8 @7+0", "expected a digit")]),
        reject(
            "truncated: in a literal",
            line(r#"{"a": tr"#),
            &[("DPO003 error 1:9 @8+0", "expected the rest of a literal")],
        ),
        reject(
            "truncated: after a backslash",
            line(r#"{"a": "x\"#),
            &[("DPO003 error 1:10 @9+0", "expected an escape character")],
        ),
        reject(
            "truncated: in a \\u escape",
            line(r#"{"a": "\u12"#),
            &[("DPO003 error 1:12 @11+0", "expected four hexadecimal digits")],
        ),
        reject(
            "truncated: after a high surrogate",
            line(r#"{"a": "\ud800\"#),
            &[("DPO003 error 1:15 @14+0", "expected an escape character")],
        ),
        reject(
            "truncated: the record's last brace",
            line(&RECORD[..RECORD.len() - 1]),
            &[("DPO003 error 1:192 @191+0", "expected `,` or `}`")],
        ),
        // Trailing garbage after the record.
        reject(
            "trailing: a letter",
            after_record(" x"),
            &[("DPO003 error 1:194 @193+1", "unexpected `x` after the end of the JSON value")],
        ),
        reject(
            "trailing: a brace",
            after_record("}"),
            &[("DPO003 error 1:193 @192+1", "unexpected `}` after the end of the JSON value")],
        ),
        reject(
            "trailing: a comma",
            after_record(","),
            &[("DPO003 error 1:193 @192+1", "unexpected `,` after the end of the JSON value")],
        ),
        reject(
            "trailing: a second record",
            after_record(RECORD),
            &[("DPO003 error 1:193 @192+1", "unexpected `{` after the end of the JSON value")],
        ),
        reject(
            "trailing: a second record after a CR",
            after_record(format!("\r{RECORD}")),
            &[("DPO003 error 1:194 @193+1", "unexpected `{`")],
        ),
        reject(
            "trailing: a NUL byte",
            after_record("\0"),
            &[("DPO003 error 1:193 @192+1", r"unexpected `\0` after the end of the JSON value")],
        ),
        // Invalid UTF-8 (DPO001, the first invalid sequence as `Utf8Error` delimits it, no pointer).
        reject(
            "utf-8: Latin-1 byte",
            content(b"\"caf\xe9\""),
            &[("DPO001 error 1:105 @104+1", "invalid UTF-8: the byte sequence E9 is not a character")],
        ),
        reject(
            "utf-8: 0xFF",
            content(b"\"\xff\""),
            &[("DPO001 error 1:102 @101+1", "the byte sequence FF is not a character")],
        ),
        reject(
            "utf-8: lone continuation byte",
            content(b"\"\x80\""),
            &[("DPO001 error 1:102 @101+1", "the byte sequence 80 is not a character")],
        ),
        reject(
            "utf-8: overlong slash",
            content(b"\"\xc0\xaf\""),
            &[("DPO001 error 1:102 @101+1", "the byte sequence C0 is not a character")],
        ),
        reject(
            "utf-8: overlong NUL",
            content(b"\"\xc0\x80\""),
            &[("DPO001 error 1:102 @101+1", "the byte sequence C0 is not a character")],
        ),
        reject(
            "utf-8: overlong 3 bytes",
            content(b"\"\xe0\x80\xaf\""),
            &[("DPO001 error 1:102 @101+1", "the byte sequence E0 is not a character")],
        ),
        reject(
            "utf-8: overlong 4 bytes",
            content(b"\"\xf0\x80\x80\xaf\""),
            &[("DPO001 error 1:102 @101+1", "the byte sequence F0 is not a character")],
        ),
        reject(
            "utf-8: encoded high surrogate",
            content(b"\"\xed\xa0\x80\""),
            &[("DPO001 error 1:102 @101+1", "the byte sequence ED is not a character")],
        ),
        reject(
            "utf-8: encoded low surrogate",
            content(b"\"\xed\xbf\xbf\""),
            &[("DPO001 error 1:102 @101+1", "the byte sequence ED is not a character")],
        ),
        reject(
            "utf-8: above U+10FFFF",
            content(b"\"\xf4\x90\x80\x80\""),
            &[("DPO001 error 1:102 @101+1", "the byte sequence F4 is not a character")],
        ),
        reject(
            "utf-8: F5 lead byte",
            content(b"\"\xf5\x80\x80\x80\""),
            &[("DPO001 error 1:102 @101+1", "the byte sequence F5 is not a character")],
        ),
        reject(
            "utf-8: truncated 3-byte sequence",
            content(b"\"\xe2\x82\""),
            &[("DPO001 error 1:102 @101+2", "the byte sequence E2 82 is not a character")],
        ),
        reject(
            "utf-8: truncated 4-byte sequence",
            content(b"\"\xf0\x9f\x9a\""),
            &[("DPO001 error 1:102 @101+3", "the byte sequence F0 9F 9A is not a character")],
        ),
        reject("utf-8: only the first of two", content(b"\"\xff and \xfe\""), &[("DPO001 error 1:102 @101+1", "FF")]),
        reject(
            "utf-8: after multibyte characters",
            content(["\"é🚀".as_bytes(), b"\xff\""].concat()),
            &[("DPO001 error 1:104 @107+1", "FF")],
        ),
        reject("utf-8: outside a string", after_record(b"\xff"), &[("DPO001 error 1:193 @192+1", "FF")]),
        reject(
            "utf-8: cut at the end of the line",
            line(b"{\"a\": \"x\xe2\x82"),
            &[("DPO001 error 1:9 @8+2", "E2 82")],
        ),
        // UTF-8 is checked before JSON: a line that is neither gets only DPO001.
        reject("utf-8: before a syntax error", line(b"{,\xff}"), &[("DPO001 error 1:3 @2+1", "FF")]),
        // Nesting: more than 128 arrays and objects is DPO003 at the opening bracket past the limit.
        // The value host is already 6 deep (record, input, tools, tool, function, parameters).
        reject(
            "nesting: one past the limit",
            value(format!("{}{}", "[".repeat(123), "]".repeat(123))),
            &[("DPO003 error 1:223 @222+1", "nesting too deep: more than 128 nested arrays and objects")],
        ),
        reject(
            "nesting: a line exactly at the limit",
            line(format!("{}{}", "[".repeat(128), "]".repeat(128))),
            &[(r#"DPO004 error 1:1 @0+256 """#, "the line is an array")],
        ),
        reject(
            "nesting: a line one past the limit",
            line(format!("{}{}", "[".repeat(129), "]".repeat(129))),
            &[("DPO003 error 1:129 @128+1", "nesting too deep")],
        ),
        reject(
            "nesting: objects one past the limit",
            line(format!("{}1{}", r#"{"a":"#.repeat(129), "}".repeat(129))),
            &[("DPO003 error 1:641 @640+1", "nesting too deep")],
        ),
        reject(
            "nesting: 100,000 brackets",
            line("[".repeat(100_000)),
            &[("DPO003 error 1:129 @128+1", "nesting too deep")],
        ),
        // A UTF-8 BOM at the start of the file is DPO002; the record after it is checked.
        reject(
            "bom: at the start of the file",
            line(format!("\u{feff}{RECORD}")),
            &[("DPO002 error 1:1 @0+3", "byte order mark")],
        ),
        // A BOM alone on line 1: the line after the BOM is empty (the BOM is column 1).
        reject(
            "bom: alone on line 1",
            line("\u{feff}"),
            &[("DPO002 error 1:1 @0+3", "byte order mark"), ("DPO005 warning 1:2 @3+0", "empty line")],
        ),
    ];

    // Big strings: positions far from the start, across the parser's 16-byte blocks and copies.
    let mib = 1 << 20;
    let big = [
        (
            "big: invalid escape after 1 MiB",
            value(format!("\"{}\\x\"", "x".repeat(mib))),
            format!("DPO003 error 1:{} @{}+1", 100 + 1 + mib + 2, 100 + 1 + mib + 1),
            r"invalid escape `\x`",
        ),
        (
            "big: raw control after 50,000 bytes",
            content(format!("\"{}\u{1}\"", "x".repeat(50_000))),
            "DPO003 error 1:50102 @50101+1".to_string(),
            "unescaped control character U+0001",
        ),
        (
            "big: lone surrogate after 50,000 bytes",
            value(format!("\"{}\\ud800\"", "x".repeat(50_000))),
            r#"DPO008 error 1:101 @100+50008 "/input/tools/0/function/parameters/v""#.to_string(),
            "unpaired UTF-16 surrogate",
        ),
        (
            "big: invalid escape after 1,000 \\u00e9 escapes",
            value(format!("\"{}\\q\"", r"\u00e9".repeat(1000))),
            "DPO003 error 1:6103 @6102+1".to_string(),
            r"invalid escape `\q`",
        ),
        (
            "big: raw control after 100 \\u00e9 escapes",
            value(format!("\"{}\u{1}\"", r"\u00e9".repeat(100))),
            "DPO003 error 1:702 @701+1".to_string(),
            "unescaped control character U+0001",
        ),
        (
            "big: lone surrogate after 1,000 \\u00e9 escapes",
            value(format!("\"{}\\ud800\"", r"\u00e9".repeat(1000))),
            r#"DPO008 error 1:101 @100+6008 "/input/tools/0/function/parameters/v""#.to_string(),
            "unpaired UTF-16 surrogate",
        ),
        (
            "big: invalid escape after 10,000 rockets",
            content(format!("\"{}\\q\"", "🚀".repeat(10_000))),
            "DPO003 error 1:10103 @40102+1".to_string(),
            r"invalid escape `\q`",
        ),
        (
            "big: invalid UTF-8 after 30,000 two-byte characters",
            content([format!("\"{}", "é".repeat(30_000)).as_bytes(), b"\xff\""].concat()),
            "DPO001 error 1:30102 @60101+1".to_string(),
            "FF",
        ),
        (
            "duplicate: 20 keys, then one again (the sorted path)",
            value(format!(
                "{{{}, \"k7\": 7}}",
                (0..20).map(|i| format!("\"k{i}\": {i}")).collect::<Vec<_>>().join(", ")
            )),
            r#"DPO007 error 1:302 @301+4 "/input/tools/0/function/parameters/v/k7""#.to_string(),
            "duplicate key `k7`",
        ),
    ];
    for (name, line, essential, message) in big {
        cases.push(Rejected { name, line, findings: vec![(essential, message)] });
    }
    cases
}

/// Values and lines that must be accepted with no finding at all. RFC 8259 puts no limit on a
/// number's range or precision (section 6 leaves limits to implementations) and dpolint never
/// converts numbers (DPO403 compares them as written), so `1E400`, `1.0e-400` and integers past
/// 64 bits are accepted. Escapes of tab, LF and CR, and DEL (U+007F, not a C0 control), are not
/// DPO009. Keys are compared as code point sequences: `"é"` and `"e\u0301"` differ.
fn accepted() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("number: 0", value("0")),
        ("number: -0", value("-0")),
        ("number: 0e0", value("0e0")),
        ("number: 0E+0", value("0E+0")),
        ("number: -0.0e-0", value("-0.0e-0")),
        ("number: 1E400", value("1E400")),
        ("number: -1e400", value("-1e400")),
        ("number: 1.0e-400", value("1.0e-400")),
        ("number: 5e-324", value("5e-324")),
        ("number: 1.7976931348623157e309", value("1.7976931348623157e309")),
        ("number: 30-digit integer", value("123456789012345678901234567890")),
        ("number: below i64", value("-9223372036854775809")),
        ("number: above u64", value("18446744073709551616")),
        ("number: 400 nines", value("9".repeat(400))),
        ("number: exponent with leading zeros", value("1e007")),
        ("literal: true", value("true")),
        ("literal: false", value("false")),
        ("literal: null", value("null")),
        ("string: empty", value(r#""""#)),
        ("string: the allowed short escapes", content(r#""\" \\ \/ \n \r \t""#)),
        ("string: lowercase and uppercase hex", content(r#""\u00e9\u00E9""#)),
        ("string: surrogate pair, uppercase", content(r#""\uD83D\uDE80""#)),
        ("string: surrogate pair, lowercase", content(r#""\ud83d\ude80""#)),
        ("string: highest pair U+10FFFF", content(r#""\udbff\udfff""#)),
        ("string: escaped tab, LF and CR", content(r#""a\u0009\u000a\u000Db""#)),
        ("string: escaped DEL", content(r#""\u007f""#)),
        ("string: escaped space", value(r#""\u0020""#)),
        ("string: escaped noncharacter U+FFFF", content(r#""\uFFFF""#)),
        ("string: raw DEL", content("\"a\u{7f}b\"")),
        ("string: raw C1 control U+0085", content("\"a\u{85}b\"")),
        ("string: raw U+2028 and U+2029", content("\"a\u{2028}b\u{2029}c\"")),
        ("string: raw NBSP", content("\"a\u{a0}b\"")),
        ("string: raw U+FEFF", content("\"a\u{feff}b\"")),
        ("string: raw U+FFFF", content("\"a\u{ffff}b\"")),
        ("string: raw U+10FFFF", content("\"a\u{10ffff}b\"")),
        ("string: raw non-ASCII text", content("\"日本語 🚀 été\"")),
        ("structure: empty array", value("[]")),
        ("structure: empty object", value("{}")),
        ("structure: nested empties", value("[[], {}, [{}]]")),
        ("structure: empty key", value(r#"{"": 0}"#)),
        ("keys: case matters", value(r#"{"a": 1, "A": 2}"#)),
        ("keys: a trailing space matters", value(r#"{"a": 1, "a ": 2}"#)),
        ("keys: NFC and NFD differ", value(r#"{"\u00e9": 1, "e\u0301": 2}"#)),
        ("keys: same key at two levels", value(r#"{"a": {"a": 1}}"#)),
        ("keys: same key in sibling objects", value(r#"[{"a": 1}, {"a": 2}]"#)),
        (
            "keys: 20 distinct keys",
            value(format!("{{{}}}", (0..20).map(|i| format!("\"k{i}\": {i}")).collect::<Vec<_>>().join(", "))),
        ),
        ("whitespace: tab, CR and space around a value", value(" \t\r 1 \t\r ")),
        ("whitespace: tabs and CRs between every token", line(RECORD.replace(": ", "\t:\r").replace(", ", "\r,\t"))),
        ("whitespace: around the record", line(format!(" \t {RECORD} \t "))),
        ("whitespace: CR before a space at the line end", after_record("\r ")),
        ("nesting: exactly at the limit", value(format!("{}{}", "[".repeat(122), "]".repeat(122)))),
        ("nesting: objects and arrays at the limit", value(format!("{}1{}", r#"{"a": ["#.repeat(61), "]}".repeat(61)))),
        ("big: 60,000-byte string", value(format!("\"{}\"", "x".repeat(60_000)))),
        ("big: 60,000-byte content", content(format!("\"{}\"", "ab".repeat(30_000)))),
        ("big: 10,000 \\u00e9 escapes", value(format!("\"{}\"", r"\u00e9".repeat(10_000)))),
        ("big: 5,000 escaped surrogate pairs", value(format!("\"{}\"", r"\ud83d\ude80".repeat(5_000)))),
    ]
}

#[test]
fn hosts_put_the_case_at_byte_100() {
    assert_eq!(VALUE_BEFORE.len(), 100);
    assert_eq!(CONTENT_BEFORE.len(), 100);
    assert_eq!(RECORD.len(), 192);
    let validator = validator(1, &[]);
    for host in [value("1"), content(r#""Hello?""#), line(RECORD)] {
        let report = check_bytes(&validator, &file_with(&host));
        assert_eq!(essentials(&report.diagnostics), Vec::<String>::new(), "{}", String::from_utf8_lossy(&host));
    }
}

#[test]
fn rejected_cases_have_exact_findings() {
    let validator = validator(1, &[]);
    let cases = rejected();
    let mut failures = Vec::new();
    for case in &cases {
        let report = check_bytes(&validator, &file_with(&case.line));
        let found = essentials(&report.diagnostics);
        let expected: Vec<&str> = case.findings.iter().map(|(essential, _)| essential.as_str()).collect();
        if found != expected {
            failures.push(format!("{}:\n  expected {expected:?}\n  found    {found:?}", case.name));
            continue;
        }
        for (diagnostic, (_, message)) in report.diagnostics.iter().zip(&case.findings) {
            if !diagnostic.message.contains(message) {
                failures.push(format!("{}: message {:?} lacks {message:?}", case.name, diagnostic.message));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn accepted_cases_have_no_findings() {
    let validator = validator(1, &[]);
    let cases = accepted();
    let mut failures = Vec::new();
    for (name, line) in &cases {
        let report = check_bytes(&validator, &file_with(line));
        let found = essentials(&report.diagnostics);
        if !found.is_empty() {
            let messages: Vec<&str> = report.diagnostics.iter().map(|d| d.message.as_str()).collect();
            failures.push(format!("{name}: {found:?} {messages:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases have findings:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// All rejected cases in one file, checked with two workers: each case keeps its findings, moved
/// to its line and offset (columns do not change). DPO403 and DPO404 compare lines with each other,
/// so they are left out here; the BOM cases only mean something at the start of a file.
#[test]
fn rejected_cases_in_one_file_keep_their_findings() {
    let mut file = Vec::new();
    let mut expected = Vec::new();
    let mut lines_before = 0;
    for case in rejected().iter().filter(|case| !case.name.starts_with("bom:")) {
        for (essential, _) in &case.findings {
            // `CODE severity LINE:COLUMN @OFFSET+LENGTH [POINTER]`
            let mut fields: Vec<String> = essential.splitn(5, ' ').map(str::to_string).collect();
            let (line, column) = fields[2].split_once(':').unwrap();
            let moved_line = format!("{}:{column}", line.parse::<usize>().unwrap() + lines_before);
            let (offset, length) = fields[3][1..].split_once('+').unwrap();
            let moved_span = format!("@{}+{length}", offset.parse::<usize>().unwrap() + file.len());
            fields[2] = moved_line;
            fields[3] = moved_span;
            expected.push(fields.join(" "));
        }
        file.extend_from_slice(&case.line);
        file.push(b'\n');
        lines_before += 1 + memchr::memchr_iter(b'\n', &case.line).count();
    }
    let report = check_bytes(&validator(2, &[]), &file);
    let found: Vec<String> = essentials(&report.diagnostics)
        .into_iter()
        .filter(|essential| !["DPO403", "DPO404"].contains(&&essential[..6]))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn case_names_are_unique() {
    let mut names: Vec<&str> =
        rejected().iter().map(|case| case.name).chain(accepted().iter().map(|(name, _)| *name)).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "two cases share a name");
}

/// Lines and columns after multibyte characters, CRLF lines and a BOM: columns count Unicode
/// scalar values (1-based), lines count physical lines, offsets count bytes from the file start.
#[test]
fn locations_count_characters_after_multibyte_text() {
    let first = record(1).replace("Question", "Frage über Größe 🚀");
    let last = format!("\u{feff}{RECORD}");
    let lines: [&[u8]; 6] = [
        // 236 bytes at 0: valid, with non-ASCII text.
        first.as_bytes(),
        // 222 bytes at 237 (and a CR): DPO104 after Japanese text, DPO006 at the CR.
        "{\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"日本語で 🚀?\"}]}, \"preferred_output\": [{\"role\": \"assistant\", \"content\": \"はい。\"}], \"non_preferred_output\": [{\"role\": \"Assistant\", \"content\": \"いいえ。\"}]}\r".as_bytes(),
        // 199 bytes at 460: DPO008 on a string that starts with `é`.
        r#"{"input": {"messages": [{"role": "user", "content": "é \ud800"}]}, "preferred_output": [{"role": "assistant", "content": "Oui."}], "non_preferred_output": [{"role": "assistant", "content": "Non."}]}"#.as_bytes(),
        // 89 bytes at 660: DPO003 after two rockets.
        r#"{"input": {"messages": [{"role": "user", "content": "🚀🚀"}]}, "preferred_output": x}"#.as_bytes(),
        // 63 bytes at 750: DPO001 after `ç`.
        b"{\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"\xc3\xa7a \xff\"}]}}",
        // 195 bytes at 814: a BOM past the start of the file is a character outside any string.
        last.as_bytes(),
    ];
    let owned: Vec<Vec<u8>> = lines.iter().map(|line| line.to_vec()).collect();
    let file = owned.join(&b'\n');
    let report = check_bytes(&validator(1, &[]), &file);
    assert_eq!(
        essentials(&report.diagnostics),
        [
            r#"DPO104 error 2:164 @417+11 "/non_preferred_output/0/role""#,
            "DPO006 info 2:197 @458+1",
            r#"DPO008 error 3:53 @512+11 "/input/messages/0/content""#,
            "DPO003 error 4:82 @747+1",
            "DPO001 error 5:57 @807+1",
            "DPO003 error 6:1 @814+3",
        ]
    );

    // A BOM is a character of line 1: the column after it is one more than without it.
    let bom_line = r#"{"input": {"messages": [{"content": "Größe?", "role": "human"}]}, "preferred_output": [{"role": "assistant", "content": "Groß."}], "non_preferred_output": [{"role": "assistant", "content": "Klein."}]}"#;
    let file = format!("\u{feff}{bom_line}\n{}\n{}\n", record(1), record(2));
    let report = check_bytes(&validator(1, &[]), file.as_bytes());
    assert_eq!(
        essentials(&report.diagnostics),
        ["DPO002 error 1:1 @0+3", r#"DPO104 error 1:56 @59+7 "/input/messages/0/role""#]
    );
}
