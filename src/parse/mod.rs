//! A strict RFC 8259 JSON parser for one line, built for linting.
//!
//! It writes a flat tape of nodes in document order, each with the byte span of its token, so every
//! finding can point at exact bytes without a second parse. Strings are validated, not decoded:
//! flags say what their escapes do, and the few checks that need decoded text decode it on demand.
//! Parsing is iterative (an explicit stack), so nesting depth costs heap, never call stack, and is
//! capped by `max_depth`.
//!
//! What a linter needs beyond a plain parser is recorded as flags rather than errors: duplicate keys,
//! lone surrogate escapes and escaped control characters are valid JSON syntax with their own rules.

pub(crate) mod strings;

use std::borrow::Cow;
use std::fmt;

use strings::{find_quote_or_backslash, first_special_in_block};

/// The value of each hexadecimal digit; 0xFF for every other byte.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// Node flag: the string has escapes (its text must be decoded to be read).
pub(crate) const ESCAPED: u8 = 1;
/// Node flag: the string has a `\uXXXX` escape of an unpaired UTF-16 surrogate.
pub(crate) const LONE_SURROGATE: u8 = 2;
/// Node flag: the string decodes to a C0 control other than tab, LF and CR.
pub(crate) const CONTROL_CHARACTER: u8 = 4;
/// Node flag: the object has at least two members with the same key.
pub(crate) const DUPLICATE_KEYS: u8 = 8;
/// Node flag: the string has an escape its canonical encoding would not use (`\/`, `\u00e9`,
/// uppercase hex, ...): its canonical text was written to [`Tape::canonical`].
pub(crate) const NONCANONICAL: u8 = 16;

/// The JSON type of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    /// The type as a noun phrase for messages ("expected an array, found a string").
    pub(crate) fn described(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
        }
    }
}

/// One value (or object key) on the tape.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    /// Byte offset of the token's first byte within the parsed slice.
    pub start: u32,
    /// Byte offset just past the token's last byte.
    pub end: u32,
    pub kind: Kind,
    pub flags: u8,
    /// Containers: number of elements, or of members for an object.
    pub count: u32,
    /// Index of the first node after this node's subtree (the next sibling).
    pub next: u32,
    /// Strings: where the canonical text starts: the raw bytes between the quotes in the line, or
    /// in [`Tape::canonical`] when the string is `NONCANONICAL`.
    pub text_start: u32,
    /// Strings: the canonical text's length in bytes.
    pub text_len: u32,
}

impl Node {
    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// An open container while parsing.
#[derive(Clone, Copy)]
struct Open {
    node: u32,
    count: u32,
    is_object: bool,
}

/// A parsed record: nodes in document order (an object's members are key, value, key, value ...).
#[derive(Default)]
pub(crate) struct Tape {
    pub nodes: Vec<Node>,
    /// The canonical encoding of strings whose source used other escapes (see [`Tape::canonical`]).
    pub canonical: Vec<u8>,
    /// Union of all node flags, so rules can skip whole-record walks when nothing is flagged.
    pub flags: u8,
    stack: Vec<Open>,
    key_order: Vec<u32>,
}

impl Tape {
    fn clear(&mut self) {
        self.nodes.clear();
        self.canonical.clear();
        self.flags = 0;
        self.stack.clear();
    }

    /// A string's canonical text: its JSON encoding between the quotes, written the one way a
    /// canonical encoder writes it (`\"` `\\` `\n` `\r` `\t` `\b` `\f`, other controls and lone
    /// surrogates as lowercase `\u00xx`, everything else literal). Two strings are equal exactly
    /// when their canonical texts are, tokens can be searched in it, and it is the fingerprint's
    /// input. For most strings it is the raw source bytes.
    pub(crate) fn canonical<'a>(&'a self, line: &'a [u8], node: &Node) -> &'a [u8] {
        let range = node.text_start as usize..(node.text_start + node.text_len) as usize;
        if node.has(NONCANONICAL) { &self.canonical[range] } else { &line[range] }
    }

    /// The decoded text of a string node (borrowed when it has no escapes). For messages and the
    /// few checks that need characters; comparisons use [`Tape::canonical`].
    pub(crate) fn text<'a>(&'a self, line: &'a [u8], node: &Node) -> Cow<'a, [u8]> {
        let canonical = self.canonical(line, node);
        if node.has(ESCAPED) { Cow::Owned(strings::decode(canonical)) } else { Cow::Borrowed(canonical) }
    }

    /// Iterates an object's members as `(key index, value index)`, every occurrence included.
    pub(crate) fn members(&self, object: usize) -> Members<'_> {
        Members { tape: self, next: object + 1, left: self.nodes[object].count }
    }

    /// Iterates an array's element indices.
    pub(crate) fn elements(&self, array: usize) -> Elements<'_> {
        Elements { tape: self, next: array + 1, left: self.nodes[array].count }
    }
}

pub(crate) struct Members<'t> {
    tape: &'t Tape,
    next: usize,
    left: u32,
}

impl Iterator for Members<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let key = self.next;
        let value = key + 1;
        self.next = self.tape.nodes[value].next as usize;
        Some((key, value))
    }
}

pub(crate) struct Elements<'t> {
    tape: &'t Tape,
    next: usize,
    left: u32,
}

impl Iterator for Elements<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let element = self.next;
        self.next = self.tape.nodes[element].next as usize;
        Some(element)
    }
}

/// Why a line is not valid JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SyntaxErrorKind {
    /// The input ended inside a value; the payload says what was expected.
    UnexpectedEnd(&'static str),
    ExpectedValue(char),
    ExpectedKey(char),
    ExpectedColon(char),
    ExpectedCommaOrBrace(char),
    ExpectedCommaOrBracket(char),
    TrailingComma,
    InvalidLiteral(&'static str),
    NonFiniteNumber,
    SingleQuotes,
    Comment,
    InvalidNumber(&'static str),
    ControlInString(u8),
    InvalidEscape(char),
    InvalidUnicodeEscape,
    TooDeep(usize),
    /// More keys and values than the line-size limit allows (see [`parse_line_with_limits`]).
    TooManyValues(usize),
    TrailingCharacters(char),
}

/// A syntax error: where parsing failed and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// Offset in the parsed slice of the byte where parsing failed (the slice's length at its end).
    pub offset: usize,
    pub kind: SyntaxErrorKind,
}

impl SyntaxError {
    /// Whether the input ended too early (so a longer input could still be valid).
    pub(crate) fn is_unexpected_end(&self) -> bool {
        matches!(self.kind, SyntaxErrorKind::UnexpectedEnd(_))
    }
}

fn error_at(offset: usize, kind: SyntaxErrorKind) -> SyntaxError {
    SyntaxError { offset, kind }
}

fn shown(c: char) -> String {
    if c.is_control() { format!("{c:?}").trim_matches('\'').to_string() } else { c.to_string() }
}

impl fmt::Display for SyntaxErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyntaxErrorKind::UnexpectedEnd(expected) => {
                write!(f, "the line ends before the JSON value does: expected {expected}")
            }
            SyntaxErrorKind::ExpectedValue(c) => {
                write!(f, "expected a JSON value, found `{}`", shown(*c))
            }
            SyntaxErrorKind::ExpectedKey(c) => {
                write!(f, "expected a double-quoted key, found `{}`", shown(*c))
            }
            SyntaxErrorKind::ExpectedColon(c) => {
                write!(f, "expected `:` after the key, found `{}`", shown(*c))
            }
            SyntaxErrorKind::ExpectedCommaOrBrace(c) => {
                write!(f, "expected `,` or `}}` after an object member, found `{}`", shown(*c))
            }
            SyntaxErrorKind::ExpectedCommaOrBracket(c) => {
                write!(f, "expected `,` or `]` after an array element, found `{}`", shown(*c))
            }
            SyntaxErrorKind::TrailingComma => {
                f.write_str("trailing comma: JSON allows no comma before a closing bracket")
            }
            SyntaxErrorKind::InvalidLiteral(literal) => {
                write!(f, "invalid literal: expected `{literal}`")
            }
            SyntaxErrorKind::NonFiniteNumber => f.write_str("`NaN` and `Infinity` are not JSON numbers"),
            SyntaxErrorKind::SingleQuotes => f.write_str("JSON strings and keys use double quotes, not single quotes"),
            SyntaxErrorKind::Comment => f.write_str("JSON does not allow comments"),
            SyntaxErrorKind::InvalidNumber(why) => write!(f, "invalid number: {why}"),
            SyntaxErrorKind::ControlInString(b) => {
                write!(f, "unescaped control character U+{b:04X} inside a string")
            }
            SyntaxErrorKind::InvalidEscape(c) => {
                write!(f, "invalid escape `\\{}` in a string", shown(*c))
            }
            SyntaxErrorKind::InvalidUnicodeEscape => {
                f.write_str("invalid `\\u` escape: expected four hexadecimal digits")
            }
            SyntaxErrorKind::TooDeep(limit) => {
                write!(f, "nesting too deep: more than {limit} nested arrays and objects")
            }
            SyntaxErrorKind::TooManyValues(limit) => {
                write!(f, "more than {limit} keys and values in one line")
            }
            SyntaxErrorKind::TrailingCharacters(c) => {
                write!(f, "unexpected `{}` after the end of the JSON value", shown(*c))
            }
        }
    }
}

/// Parses `line` as one JSON value onto `tape`.
pub(crate) fn parse_line(line: &[u8], tape: &mut Tape, max_depth: usize) -> Result<(), SyntaxError> {
    parse_line_with_limits(line, tape, max_depth, usize::MAX)
}

/// Parses `line` as one JSON value onto `tape`, with at most `max_values` keys and values (each
/// takes a tape node, so this bounds the tape's memory whatever the line holds).
pub(crate) fn parse_line_with_limits(
    line: &[u8],
    tape: &mut Tape,
    max_depth: usize,
    max_values: usize,
) -> Result<(), SyntaxError> {
    tape.clear();
    let check_controls = has_control_byte(line);
    let result = Parser::<true> { bytes: line, pos: 0, tape, max_depth, max_values, check_controls }.parse();
    if result.is_err() {
        tape.nodes.clear();
    }
    result
}

/// Checks that `bytes` is exactly one JSON value (newlines allowed as whitespace), building nothing.
pub(crate) fn validate_document(bytes: &[u8], tape: &mut Tape, max_depth: usize) -> Result<(), SyntaxError> {
    tape.clear();
    Parser::<false> { bytes, pos: 0, tape, max_depth, max_values: usize::MAX, check_controls: true }.parse()
}

/// Whether any byte is below 0x20. Only then must strings be scanned for raw control characters
/// (a tab between tokens also counts: the careful path is rare and still correct).
pub(crate) fn has_control_byte(bytes: &[u8]) -> bool {
    // The minimum of each block vectorizes well; most lines have no byte below 0x20 at all.
    let mut blocks = bytes.chunks_exact(64);
    let found = blocks.by_ref().any(|block| block.iter().fold(u8::MAX, |min, &b| min.min(b)) < 0x20);
    found || blocks.remainder().iter().any(|&b| b < 0x20)
}

struct Parser<'a, 't, const BUILD: bool> {
    bytes: &'a [u8],
    pos: usize,
    tape: &'t mut Tape,
    max_depth: usize,
    max_values: usize,
    /// Whether the input holds any byte below 0x20: only then must strings be scanned for them.
    check_controls: bool,
}

impl<const BUILD: bool> Parser<'_, '_, BUILD> {
    fn parse(&mut self) -> Result<(), SyntaxError> {
        self.skip_whitespace();
        'value: loop {
            // Keys are pushed before their values come here: this bounds keys and values.
            if BUILD && self.tape.nodes.len() >= self.max_values {
                return Err(self.error(SyntaxErrorKind::TooManyValues(self.max_values)));
            }
            let Some(&byte) = self.bytes.get(self.pos) else {
                return Err(self.end("a JSON value"));
            };
            match byte {
                b'{' => {
                    self.open(true)?;
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b'}') => {
                            self.pos += 1;
                            self.close();
                        }
                        Some(b'"') => {
                            self.key()?;
                            continue 'value;
                        }
                        Some(_) => return Err(self.expected_key()),
                        None => return Err(self.end("a key or `}`")),
                    }
                }
                b'[' => {
                    self.open(false)?;
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b']') => {
                            self.pos += 1;
                            self.close();
                        }
                        Some(_) => {
                            self.count_child();
                            continue 'value;
                        }
                        None => return Err(self.end("a value or `]`")),
                    }
                }
                b'"' => self.string()?,
                b't' => self.literal(b"true", Kind::Bool)?,
                b'f' => self.literal(b"false", Kind::Bool)?,
                b'n' => self.literal(b"null", Kind::Null)?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return Err(self.unexpected_value()),
            }
            // A value is complete: close containers until one continues with a comma.
            loop {
                self.skip_whitespace();
                let Some(top) = self.tape.stack.last() else {
                    return match self.peek() {
                        None => Ok(()),
                        Some(_) => Err(self.error(SyntaxErrorKind::TrailingCharacters(self.char_at(self.pos)))),
                    };
                };
                let is_object = top.is_object;
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_whitespace();
                        match (self.peek(), is_object) {
                            (Some(b'"'), true) => {
                                self.key()?;
                                continue 'value;
                            }
                            (Some(b'}'), true) | (Some(b']'), false) => {
                                return Err(self.error(SyntaxErrorKind::TrailingComma));
                            }
                            (Some(_), true) => return Err(self.expected_key()),
                            (Some(_), false) => {
                                self.count_child();
                                continue 'value;
                            }
                            (None, true) => return Err(self.end("a key")),
                            (None, false) => return Err(self.end("a value")),
                        }
                    }
                    Some(b'}') if is_object => {
                        self.pos += 1;
                        self.close();
                    }
                    Some(b']') if !is_object => {
                        self.pos += 1;
                        self.close();
                    }
                    Some(_) => {
                        let found = self.char_at(self.pos);
                        let kind = if is_object {
                            SyntaxErrorKind::ExpectedCommaOrBrace(found)
                        } else {
                            SyntaxErrorKind::ExpectedCommaOrBracket(found)
                        };
                        return Err(self.error(kind));
                    }
                    None => {
                        return Err(self.end(if is_object { "`,` or `}`" } else { "`,` or `]`" }));
                    }
                }
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The character starting at `pos`, for messages (the input is valid UTF-8 when this runs).
    fn char_at(&self, pos: usize) -> char {
        let end = (pos + 4).min(self.bytes.len());
        let slice = &self.bytes[pos..end];
        let valid = match std::str::from_utf8(slice) {
            Ok(text) => text,
            Err(error) => std::str::from_utf8(&slice[..error.valid_up_to()]).unwrap_or_default(),
        };
        valid.chars().next().unwrap_or(char::REPLACEMENT_CHARACTER)
    }

    fn error(&self, kind: SyntaxErrorKind) -> SyntaxError {
        SyntaxError { offset: self.pos, kind }
    }

    fn end(&self, expected: &'static str) -> SyntaxError {
        SyntaxError { offset: self.bytes.len(), kind: SyntaxErrorKind::UnexpectedEnd(expected) }
    }

    fn expected_key(&self) -> SyntaxError {
        match self.peek() {
            Some(b'\'') => self.error(SyntaxErrorKind::SingleQuotes),
            Some(b'/') => self.error(SyntaxErrorKind::Comment),
            _ => self.error(SyntaxErrorKind::ExpectedKey(self.char_at(self.pos))),
        }
    }

    /// Whether `NaN` or `Infinity` (or its `Inf` abbreviation) starts at `at`.
    fn at_non_finite(&self, at: usize) -> bool {
        let rest = &self.bytes[at..];
        rest.starts_with(b"NaN") || rest.starts_with(b"Inf")
    }

    fn unexpected_value(&self) -> SyntaxError {
        let kind = match self.bytes[self.pos] {
            // Only `NaN` and `Inf...` are non-finite numbers: `None` or `Null` are not.
            b'N' | b'I' if self.at_non_finite(self.pos) => SyntaxErrorKind::NonFiniteNumber,
            b'\'' => SyntaxErrorKind::SingleQuotes,
            b'/' => SyntaxErrorKind::Comment,
            b'+' => SyntaxErrorKind::InvalidNumber("a leading `+` is not allowed"),
            b'.' => SyntaxErrorKind::InvalidNumber("a number needs a digit before the decimal point"),
            _ => SyntaxErrorKind::ExpectedValue(self.char_at(self.pos)),
        };
        self.error(kind)
    }

    fn push(&mut self, kind: Kind, start: usize, flags: u8, text_start: usize, text_len: usize) {
        self.tape.flags |= flags;
        if BUILD {
            let next = self.tape.nodes.len() as u32 + 1;
            self.tape.nodes.push(Node {
                start: start as u32,
                end: self.pos as u32,
                kind,
                flags,
                count: 0,
                next,
                text_start: text_start as u32,
                text_len: text_len as u32,
            });
        }
    }

    fn count_child(&mut self) {
        if let Some(top) = self.tape.stack.last_mut() {
            top.count += 1;
        }
    }

    fn open(&mut self, is_object: bool) -> Result<(), SyntaxError> {
        if self.tape.stack.len() >= self.max_depth {
            return Err(self.error(SyntaxErrorKind::TooDeep(self.max_depth)));
        }
        let node = self.tape.nodes.len() as u32;
        let start = self.pos;
        self.pos += 1;
        self.push(if is_object { Kind::Object } else { Kind::Array }, start, 0, 0, 0);
        self.tape.stack.push(Open { node, count: 0, is_object });
        Ok(())
    }

    fn close(&mut self) {
        let Some(open) = self.tape.stack.pop() else {
            return;
        };
        if BUILD {
            let next = self.tape.nodes.len() as u32;
            let node = &mut self.tape.nodes[open.node as usize];
            node.end = self.pos as u32;
            node.count = open.count;
            node.next = next;
            if open.is_object && open.count > 1 && self.has_duplicate_keys(open.node as usize) {
                self.tape.nodes[open.node as usize].flags |= DUPLICATE_KEYS;
                self.tape.flags |= DUPLICATE_KEYS;
            }
        }
    }

    fn has_duplicate_keys(&mut self, object: usize) -> bool {
        let line = self.bytes;
        let tape = &*self.tape;
        if tape.nodes[object].count == 2 {
            // The common small case (a message: role and content) without the scratch list.
            let mut members = tape.members(object);
            let (Some((first, _)), Some((second, _))) = (members.next(), members.next()) else { return false };
            return tape.canonical(line, &tape.nodes[first]) == tape.canonical(line, &tape.nodes[second]);
        }
        let mut keys = std::mem::take(&mut self.tape.key_order);
        keys.clear();
        keys.extend(self.tape.members(object).map(|(key, _)| key as u32));
        let line = self.bytes;
        let tape = &*self.tape;
        let text = |key: u32| tape.canonical(line, &tape.nodes[key as usize]);
        let duplicate = if keys.len() <= 16 {
            (1..keys.len()).any(|i| keys[..i].iter().any(|&earlier| text(earlier) == text(keys[i])))
        } else {
            keys.sort_unstable_by(|&a, &b| text(a).cmp(text(b)));
            keys.windows(2).any(|pair| text(pair[0]) == text(pair[1]))
        };
        self.tape.key_order = keys;
        duplicate
    }

    /// Parses an object key, its colon and the whitespace before the value.
    fn key(&mut self) -> Result<(), SyntaxError> {
        self.count_child();
        self.string()?;
        self.skip_whitespace();
        match self.peek() {
            Some(b':') => {
                self.pos += 1;
                self.skip_whitespace();
                Ok(())
            }
            Some(_) => Err(self.error(SyntaxErrorKind::ExpectedColon(self.char_at(self.pos)))),
            None => Err(self.end("`:`")),
        }
    }

    fn literal(&mut self, literal: &'static [u8], kind: Kind) -> Result<(), SyntaxError> {
        let start = self.pos;
        for (i, &expected) in literal.iter().enumerate() {
            match self.bytes.get(start + i) {
                Some(&b) if b == expected => {}
                Some(_) => {
                    let name = std::str::from_utf8(literal).unwrap_or_default();
                    return Err(error_at(start + i, SyntaxErrorKind::InvalidLiteral(name)));
                }
                None => return Err(self.end("the rest of a literal")),
            }
        }
        self.pos = start + literal.len();
        self.push(kind, start, 0, 0, 0);
        Ok(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn number(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error(SyntaxErrorKind::InvalidNumber("leading zeros are not allowed")));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            Some(b'I') if self.at_non_finite(self.pos) => return Err(self.error(SyntaxErrorKind::NonFiniteNumber)),
            Some(_) => {
                return Err(self.error(SyntaxErrorKind::InvalidNumber("expected a digit after `-`")));
            }
            None => return Err(self.end("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            match self.peek() {
                Some(b'0'..=b'9') => self.digits(),
                Some(_) => {
                    return Err(self.error(SyntaxErrorKind::InvalidNumber("expected a digit after the decimal point")));
                }
                None => return Err(self.end("a digit after the decimal point")),
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            match self.peek() {
                Some(b'0'..=b'9') => self.digits(),
                Some(_) => {
                    return Err(self.error(SyntaxErrorKind::InvalidNumber("expected a digit in the exponent")));
                }
                None => return Err(self.end("a digit in the exponent")),
            }
        }
        self.push(Kind::Number, start, 0, 0, 0);
        Ok(())
    }

    fn first_control(&self, from: usize, to: usize) -> Option<usize> {
        if !self.check_controls {
            return None;
        }
        self.bytes[from..to].iter().position(|&b| b < 0x20).map(|i| from + i)
    }

    fn hex4(&self, at: usize) -> Result<u32, SyntaxError> {
        match self.hex4_value(at) {
            Some(value) => Ok(value),
            None => self.hex4_error(at),
        }
    }

    /// The value of four hexadecimal digits at `at`, if they are four hexadecimal digits.
    #[inline]
    fn hex4_value(&self, at: usize) -> Option<u32> {
        let &[a, b, c, d] = self.bytes.get(at..at + 4)? else { return None };
        let value = |digit: u8| u32::from(HEX_VALUES[usize::from(digit)]);
        let (a, b, c, d) = (value(a), value(b), value(c), value(d));
        ((a | b | c | d) & 0xF0 == 0).then_some(a << 12 | b << 8 | c << 4 | d)
    }

    #[cold]
    fn hex4_error(&self, at: usize) -> Result<u32, SyntaxError> {
        for i in at..at + 4 {
            match self.bytes.get(i) {
                None => return Err(self.end("four hexadecimal digits")),
                Some(&digit) if HEX_VALUES[usize::from(digit)] > 15 => {
                    return Err(error_at(i, SyntaxErrorKind::InvalidUnicodeEscape));
                }
                Some(_) => {}
            }
        }
        Err(error_at(at, SyntaxErrorKind::InvalidUnicodeEscape))
    }

    /// Validates a string and records what its escapes do. Nothing is copied unless the string
    /// uses a non-canonical escape: then its canonical text is written to the tape's arena.
    fn string(&mut self) -> Result<(), SyntaxError> {
        let bytes = self.bytes;
        let start = self.pos;
        let mut flags = 0;
        let mut run = start + 1;
        loop {
            let Some(special) = find_quote_or_backslash(bytes, run) else {
                if let Some(control) = self.first_control(run, bytes.len()) {
                    return Err(error_at(control, SyntaxErrorKind::ControlInString(bytes[control])));
                }
                return Err(self.end("`\"` to close the string"));
            };
            if let Some(control) = self.first_control(run, special) {
                return Err(error_at(control, SyntaxErrorKind::ControlInString(bytes[control])));
            }
            if bytes[special] == b'"' {
                self.pos = special + 1;
                self.push(Kind::String, start, flags, start + 1, special - start - 1);
                return Ok(());
            }
            flags |= ESCAPED;
            // The common escapes are canonical and set no flag: skip them without a call.
            if let Some(b'"' | b'\\' | b'n' | b't' | b'r') = bytes.get(special + 1) {
                run = special + 2;
                continue;
            }
            let escape = self.escape(special)?;
            flags |= escape.flags;
            if BUILD && escape.replacement.is_some() {
                return self.string_copying(start, special, flags);
            }
            run = escape.end;
        }
    }

    /// The rest of a string that needs a canonical copy, from its first non-canonical escape at
    /// `escape`, into the arena. Such strings have dense escapes (every non-ASCII character, in
    /// `ensure_ascii` output), so runs are copied sixteen bytes at a time without a search call.
    fn string_copying(&mut self, start: usize, escape: usize, mut flags: u8) -> Result<(), SyntaxError> {
        let bytes = self.bytes;
        let mut arena = std::mem::take(&mut self.tape.canonical);
        let from = arena.len();
        // The canonical text is never longer than the source.
        arena.reserve(bytes.len() - start);
        arena.extend_from_slice(&bytes[start + 1..escape]);
        let mut at = escape;
        let result = loop {
            // Copy a block at a time; keep only the bytes before the first special one.
            while at + 16 <= bytes.len() {
                let kept = first_special_in_block(bytes, at).unwrap_or(16);
                arena.extend_from_slice(&bytes[at..at + 16]);
                arena.truncate(arena.len() - 16 + kept);
                at += kept;
                if kept < 16 {
                    break;
                }
            }
            let Some(&byte) = bytes.get(at) else {
                break Err(self.end("`\"` to close the string"));
            };
            match byte {
                b'"' => break Ok(at),
                // The escape that fills `ensure_ascii` output: a character of the Basic
                // Multilingual Plane beyond ASCII, canonically written as its UTF-8 bytes.
                b'\\' if bytes.get(at + 1) == Some(&b'u') => match self.hex4_value(at + 2) {
                    Some(code_point @ 0x80..0x800) => {
                        arena.extend_from_slice(&[0xC0 | (code_point >> 6) as u8, 0x80 | (code_point & 0x3F) as u8]);
                        at += 6;
                    }
                    Some(code_point @ (0x800..0xD800 | 0xE000..)) => {
                        arena.extend_from_slice(&[
                            0xE0 | (code_point >> 12) as u8,
                            0x80 | ((code_point >> 6) & 0x3F) as u8,
                            0x80 | (code_point & 0x3F) as u8,
                        ]);
                        at += 6;
                    }
                    _ => match self.escape(at) {
                        Ok(escape) => {
                            flags |= escape.flags;
                            match escape.replacement {
                                Some(code_point) => push_canonical(code_point, &mut arena),
                                None => arena.extend_from_slice(&bytes[at..escape.end]),
                            }
                            at = escape.end;
                        }
                        Err(error) => break Err(error),
                    },
                },
                b'\\' => match self.escape(at) {
                    Ok(escape) => {
                        flags |= escape.flags;
                        match escape.replacement {
                            Some(code_point) => push_canonical(code_point, &mut arena),
                            None => arena.extend_from_slice(&bytes[at..escape.end]),
                        }
                        at = escape.end;
                    }
                    Err(error) => break Err(error),
                },
                0x00..=0x1F => break Err(error_at(at, SyntaxErrorKind::ControlInString(byte))),
                _ => {
                    arena.push(byte);
                    at += 1;
                }
            }
        };
        let len = arena.len() - from;
        self.tape.canonical = arena;
        let end = result?;
        self.pos = end + 1;
        self.push(Kind::String, start, flags | NONCANONICAL, from, len);
        Ok(())
    }

    /// Validates the escape whose backslash is at `at`.
    #[inline]
    fn escape(&self, at: usize) -> Result<Escape, SyntaxError> {
        let Some(&escape) = self.bytes.get(at + 1) else {
            return Err(self.end("an escape character"));
        };
        let short = |flags, replacement| Ok(Escape { end: at + 2, flags, replacement });
        match escape {
            b'"' | b'\\' | b'n' | b't' | b'r' => short(0, None),
            b'b' | b'f' => short(CONTROL_CHARACTER, None),
            b'/' => short(0, Some(u32::from(b'/'))),
            b'u' => self.unicode_escape(at),
            _ => Err(error_at(at + 1, SyntaxErrorKind::InvalidEscape(self.char_at(at + 1)))),
        }
    }

    /// Validates the `\uXXXX` escape at `at`, pairing a high surrogate with a following escaped
    /// low one.
    fn unicode_escape(&self, at: usize) -> Result<Escape, SyntaxError> {
        let mut code_point = self.hex4(at + 2)?;
        let mut end = at + 6;
        let mut flags = 0;
        if (0xD800..0xDC00).contains(&code_point) && self.bytes[end..].starts_with(b"\\u") {
            let low = self.hex4(end + 2)?;
            if (0xDC00..0xE000).contains(&low) {
                // A surrogate pair: one character, canonically written as UTF-8.
                code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
                end += 6;
            }
        }
        if (0xD800..0xE000).contains(&code_point) {
            flags |= LONE_SURROGATE;
        }
        if code_point < 0x20 && !matches!(code_point, 0x09 | 0x0A | 0x0D) {
            flags |= CONTROL_CHARACTER;
        }
        // Canonical encoders write only controls without a short form and lone surrogates as
        // `\u`, in lowercase hex.
        let canonical = match code_point {
            0x08 | 0x09 | 0x0A | 0x0C | 0x0D => false,
            0x00..=0x1F | 0xD800..=0xDFFF => !self.bytes[at + 2..at + 6].iter().any(u8::is_ascii_uppercase),
            _ => false,
        };
        Ok(Escape { end, flags, replacement: (!canonical).then_some(code_point) })
    }
}

/// A validated escape.
struct Escape {
    /// Offset just past the escape (past both halves of a surrogate pair).
    end: usize,
    flags: u8,
    /// The character, when the source did not spell it the canonical way.
    replacement: Option<u32>,
}

/// Appends how a canonical encoder writes `code_point` (see [`Tape::canonical`]).
#[inline]
fn push_canonical(code_point: u32, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hex = |shift: u32| HEX[((code_point >> shift) & 15) as usize];
    match code_point {
        0x80..=0x7FF => out.extend_from_slice(&[0xC0 | (code_point >> 6) as u8, 0x80 | (code_point & 0x3F) as u8]),
        0x800..=0xD7FF | 0xE000..=0xFFFF => out.extend_from_slice(&[
            0xE0 | (code_point >> 12) as u8,
            0x80 | ((code_point >> 6) & 0x3F) as u8,
            0x80 | (code_point & 0x3F) as u8,
        ]),
        0x10000.. => out.extend_from_slice(&[
            0xF0 | (code_point >> 18) as u8,
            0x80 | ((code_point >> 12) & 0x3F) as u8,
            0x80 | ((code_point >> 6) & 0x3F) as u8,
            0x80 | (code_point & 0x3F) as u8,
        ]),
        0x08 => out.extend_from_slice(b"\\b"),
        0x09 => out.extend_from_slice(b"\\t"),
        0x0A => out.extend_from_slice(b"\\n"),
        0x0C => out.extend_from_slice(b"\\f"),
        0x0D => out.extend_from_slice(b"\\r"),
        0x22 => out.extend_from_slice(b"\\\""),
        0x5C => out.extend_from_slice(b"\\\\"),
        0x00..=0x1F | 0xD800..=0xDFFF => out.extend_from_slice(&[b'\\', b'u', hex(12), hex(8), hex(4), hex(0)]),
        _ => out.push(code_point as u8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Tape, SyntaxError> {
        let mut tape = Tape::default();
        parse_line(text.as_bytes(), &mut tape, 128).map(|()| tape)
    }

    fn error(text: &str) -> (usize, SyntaxErrorKind) {
        let error = parse(text).err().expect("should fail");
        (error.offset, error.kind)
    }

    #[test]
    fn spans_cover_whole_tokens() {
        let text = r#" {"a": [1, "x\"y", null], "b": {"c": true}} "#;
        let tape = parse(text).unwrap();
        let spans: Vec<&str> = tape.nodes.iter().map(|n| &text[n.start as usize..n.end as usize]).collect();
        assert_eq!(
            spans,
            [
                r#"{"a": [1, "x\"y", null], "b": {"c": true}}"#,
                r#""a""#,
                r#"[1, "x\"y", null]"#,
                "1",
                r#""x\"y""#,
                "null",
                r#""b""#,
                r#"{"c": true}"#,
                r#""c""#,
                "true"
            ]
        );
        assert_eq!(tape.nodes[0].count, 2);
        assert_eq!(tape.nodes[2].count, 3);
        assert_eq!(tape.nodes[0].next as usize, tape.nodes.len());
        assert_eq!(&*tape.text(text.as_bytes(), &tape.nodes[4]), b"x\"y");
    }

    #[test]
    fn decodes_escapes_and_flags_surrogates_and_controls() {
        let tape = parse(r#"["\u00e9\ud83d\ude80", "\ud800", "a\u0000", "\b", "tab\t"]"#).unwrap();
        let line = br#"["\u00e9\ud83d\ude80", "\ud800", "a\u0000", "\b", "tab\t"]"#;
        assert_eq!(&*tape.text(line, &tape.nodes[1]), "é🚀".as_bytes());
        assert_eq!(tape.canonical(line, &tape.nodes[1]), "é🚀".as_bytes());
        assert_eq!(tape.nodes[1].flags, ESCAPED | NONCANONICAL);
        let source = r#"["tab\t \" \u001b", "x\u001By", "a\/b", "\u003c", "\ud800", "\uD800", "\u0008"]"#;
        let canonical = parse(source).unwrap();
        let texts: Vec<&[u8]> =
            canonical.nodes[1..].iter().map(|n| canonical.canonical(source.as_bytes(), n)).collect();
        assert_eq!(texts, [&br#"tab\t \" \u001b"#[..], br"x\u001by", b"a/b", b"<", br"\ud800", br"\ud800", br"\b"]);
        let flags: Vec<u8> = canonical.nodes[1..].iter().map(|n| n.flags).collect();
        assert_eq!(
            flags,
            [
                ESCAPED | CONTROL_CHARACTER,
                ESCAPED | CONTROL_CHARACTER | NONCANONICAL,
                ESCAPED | NONCANONICAL,
                ESCAPED | NONCANONICAL,
                ESCAPED | LONE_SURROGATE,
                ESCAPED | LONE_SURROGATE | NONCANONICAL,
                ESCAPED | CONTROL_CHARACTER | NONCANONICAL,
            ]
        );
        assert!(tape.nodes[2].has(LONE_SURROGATE));
        assert!(tape.nodes[3].has(CONTROL_CHARACTER));
        assert!(tape.nodes[4].has(CONTROL_CHARACTER));
        assert!(!tape.nodes[5].has(CONTROL_CHARACTER));
    }

    #[test]
    fn canonical_text_is_the_canonical_encoding_of_the_decoded_text() {
        let strings = [
            r"plain",
            r"a\/b\u00e9\u00E9",
            r"\ud83d\ude80 \uD83D\uDE80",
            r"\ud800\u0041",
            r"\udc00x\ud800",
            r"\u0000\u001f\u001F\u0008\b\u0009\t\u000a\u000c\u000d\u0022\u005c\u005C",
            r#"mix \" \\ \u2028 é \/ \u003c|im_start|\u003e"#,
        ];
        for string in strings {
            let source = format!("\"{string}\"");
            let tape = parse(&source).unwrap();
            let node = &tape.nodes[0];
            let raw = &source.as_bytes()[1..source.len() - 1];
            let mut expected = Vec::new();
            strings::encode_canonical(&strings::decode(raw), &mut expected);
            assert_eq!(tape.canonical(source.as_bytes(), node), expected.as_slice(), "{string}");
            assert_eq!(node.has(NONCANONICAL), raw != expected.as_slice(), "{string}");
        }
    }

    #[test]
    fn flags_duplicate_keys_small_and_large_objects() {
        assert!(parse(r#"{"a":1,"b":2,"a":3}"#).unwrap().nodes[0].has(DUPLICATE_KEYS));
        assert!(parse(r#"{"a":1,"\u0061":2}"#).unwrap().nodes[0].has(DUPLICATE_KEYS));
        assert!(!parse(r#"{"a":1,"b":2}"#).unwrap().nodes[0].has(DUPLICATE_KEYS));
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        assert!(!parse(&format!("{{{}}}", many.join(","))).unwrap().nodes[0].has(DUPLICATE_KEYS));
        let with_duplicate = format!("{{{},\"k7\":0}}", many.join(","));
        assert!(parse(&with_duplicate).unwrap().nodes[0].has(DUPLICATE_KEYS));
    }

    #[test]
    fn reports_the_failing_byte() {
        assert_eq!(error(r#"{"a":1,}"#), (7, SyntaxErrorKind::TrailingComma));
        assert_eq!(error(r"[1,]"), (3, SyntaxErrorKind::TrailingComma));
        assert_eq!(error(r#"{"a":NaN}"#), (5, SyntaxErrorKind::NonFiniteNumber));
        assert_eq!(error(r"{a:1}"), (1, SyntaxErrorKind::ExpectedKey('a')));
        assert_eq!(error(r#"{"a":1"#), (6, SyntaxErrorKind::UnexpectedEnd("`,` or `}`")));
        assert_eq!(error(r#"{"a":01}"#).0, 6);
        assert_eq!(error(r#"{"a":tru}"#), (8, SyntaxErrorKind::InvalidLiteral("true")));
        assert_eq!(error(r#"{"a":"x\qy"}"#), (8, SyntaxErrorKind::InvalidEscape('q')));
        assert_eq!(error(r#"{"a":"\u12G4"}"#), (10, SyntaxErrorKind::InvalidUnicodeEscape));
        assert_eq!(error("{\"a\":\"x\ty\"}"), (7, SyntaxErrorKind::ControlInString(9)));
        assert_eq!(error(r#"{"a":1} {"b":2}"#), (8, SyntaxErrorKind::TrailingCharacters('{')));
        assert_eq!(error(r"{'a':1}"), (1, SyntaxErrorKind::SingleQuotes));
        assert_eq!(error(r#"{"a":-}"#).0, 6);
        assert_eq!(error(r#"{"a":1.}"#).0, 7);
        assert_eq!(error(r#"{"a":1e}"#).0, 7);
        assert_eq!(error(""), (0, SyntaxErrorKind::UnexpectedEnd("a JSON value")));
    }

    #[test]
    fn only_nan_and_infinity_are_called_non_finite() {
        assert_eq!(error(r#"{"a":NaN}"#), (5, SyntaxErrorKind::NonFiniteNumber));
        assert_eq!(error(r#"{"a":Infinity}"#), (5, SyntaxErrorKind::NonFiniteNumber));
        assert_eq!(error(r#"{"a":-Infinity}"#), (6, SyntaxErrorKind::NonFiniteNumber));
        // Python's `None` and other capitalised words are not numbers at all.
        assert_eq!(error(r#"{"a":None}"#), (5, SyntaxErrorKind::ExpectedValue('N')));
        assert_eq!(error(r#"{"a":Null}"#), (5, SyntaxErrorKind::ExpectedValue('N')));
        assert_eq!(error(r#"{"a":Id}"#), (5, SyntaxErrorKind::ExpectedValue('I')));
        assert_eq!(error(r#"{"a":-Id}"#).1, SyntaxErrorKind::InvalidNumber("expected a digit after `-`"));
    }

    #[test]
    fn accepts_rfc_8259_edge_cases() {
        for text in [
            "0",
            "-0",
            "1e400",
            "-1.5E-7",
            "[]",
            "{}",
            "\"\"",
            "\"\\/\"",
            "[[[]]]",
            " \t\r\n1\r\n ",
            "\"\\ud800\"",
            "\"\u{2028}\"",
            "{\"\":1}",
            "123456789012345678901234567890",
        ] {
            assert!(parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn nesting_is_capped_without_recursion() {
        let deep = "[".repeat(100_000);
        assert_eq!(error(&deep), (128, SyntaxErrorKind::TooDeep(128)));
        let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(parse(&ok).is_ok());
        let too_deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert_eq!(error(&too_deep).0, 128);
    }

    #[test]
    fn validates_whole_documents() {
        let mut tape = Tape::default();
        assert!(validate_document(b"[\n  {\"a\": 1},\n  {\"b\": [2]}\n]\n", &mut tape, 128).is_ok());
        assert!(tape.nodes.is_empty());
        assert!(validate_document(b"{\"a\": 1}\n{\"b\": 2}\n", &mut tape, 128).is_err());
    }

    #[test]
    fn control_byte_scan_matches_naive() {
        for len in 0..40 {
            for position in 0..len {
                let mut bytes = vec![b'a'; len];
                assert!(!has_control_byte(&bytes));
                bytes[position] = 0x1F;
                assert!(has_control_byte(&bytes), "{len} {position}");
                bytes[position] = 0x80;
                assert!(!has_control_byte(&bytes));
                bytes[position] = 0xFF;
                assert!(!has_control_byte(&bytes));
            }
        }
    }
}
