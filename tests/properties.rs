//! Properties of `check`: generated valid records check clean; one targeted mutation of a valid
//! record fires exactly the expected rule at the span the rule book defines; and the findings do not
//! depend on the thread count or the chunk size.
//!
//! Records are serialised by the small writer below (random whitespace between tokens, random key
//! order, random escapes), which records where it put every key, value, closing bracket and injected
//! byte. Expected spans come from those offsets, never from searching the output.
//!
//! Each property runs 64 cases (the mutation property tries every one of its 30 mutation kinds in
//! each case). Every random choice past proptest's own (key order, whitespace, escapes, which
//! mutation goes where) comes from one generated `u64` seed, so a case replays exactly. Failing
//! cases are persisted to `tests/proptest-regressions/properties.txt` (created on the first
//! failure) and replayed first on the next run.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use dpolint::{Options, Validator};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use crate::common::{check_bytes, essentials, validator};

// ---------------------------------------------------------------------------------------------
// Random choices of the writer and the mutations.

/// `SplitMix64`, seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A JSON value as the writer sees it.

/// One character of a string (the writer chooses how to spell it), or bytes written verbatim
/// (what a mutation injects: a raw control byte, invalid UTF-8, a lone surrogate escape).
#[derive(Clone, Debug, PartialEq)]
enum Piece {
    Char(char),
    Raw(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(&'static str),
    Str(Vec<Piece>),
    Arr(Vec<J>),
    /// Members in writing order; a key may repeat (a duplicate-key mutation).
    Obj(Vec<(Vec<Piece>, J)>),
}

fn text(s: &str) -> Vec<Piece> {
    s.chars().map(Piece::Char).collect()
}

fn string(s: &str) -> J {
    J::Str(text(s))
}

fn object(members: Vec<(&str, J)>) -> J {
    J::Obj(members.into_iter().map(|(key, value)| (text(key), value)).collect())
}

fn key_is(key: &[Piece], name: &str) -> bool {
    key.len() == name.chars().count() && key.iter().zip(name.chars()).all(|(piece, c)| *piece == Piece::Char(c))
}

/// The RFC 6901 reference token of a key (`~` as `~0`, `/` as `~1`).
fn token(key: &[Piece]) -> String {
    let mut decoded = String::new();
    for piece in key {
        match piece {
            Piece::Char(c) => decoded.push(*c),
            Piece::Raw(bytes) => decoded.push_str(&String::from_utf8_lossy(bytes)),
        }
    }
    decoded.replace('~', "~0").replace('/', "~1")
}

/// The value at `pointer` (the last occurrence of a repeated key, as the checker reads it).
fn at<'a>(json: &'a mut J, pointer: &str) -> &'a mut J {
    let mut node = json;
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        node = match node {
            J::Obj(members) => {
                &mut members
                    .iter_mut()
                    .rev()
                    .find(|(key, _)| key_is(key, &part))
                    .unwrap_or_else(|| panic!("no {pointer}"))
                    .1
            }
            J::Arr(items) => &mut items[part.parse::<usize>().expect("an index")],
            _ => panic!("no {pointer}"),
        };
    }
    node
}

fn members<'a>(json: &'a mut J, pointer: &str) -> &'a mut Vec<(Vec<Piece>, J)> {
    match at(json, pointer) {
        J::Obj(members) => members,
        _ => panic!("{pointer} is not an object"),
    }
}

fn items<'a>(json: &'a mut J, pointer: &str) -> &'a mut Vec<J> {
    match at(json, pointer) {
        J::Arr(items) => items,
        _ => panic!("{pointer} is not an array"),
    }
}

/// Replaces member `name` of the object at `pointer`, or inserts it at a random position.
fn set_member(json: &mut J, pointer: &str, name: &str, value: J, rng: &mut Rng) {
    let members = members(json, pointer);
    if let Some(member) = members.iter_mut().find(|(key, _)| key_is(key, name)) {
        member.1 = value;
    } else {
        let position = rng.below(members.len() + 1);
        members.insert(position, (text(name), value));
    }
}

fn remove_member(json: &mut J, pointer: &str, name: &str) {
    members(json, pointer).retain(|(key, _)| !key_is(key, name));
}

fn string_pieces<'a>(json: &'a mut J, pointer: &str) -> &'a mut Vec<Piece> {
    match at(json, pointer) {
        J::Str(pieces) => pieces,
        _ => panic!("{pointer} is not a string"),
    }
}

/// Inserts `new` into a string at a random character position.
fn insert_pieces(pieces: &mut Vec<Piece>, new: Vec<Piece>, rng: &mut Rng) {
    let position = rng.below(pieces.len() + 1);
    pieces.splice(position..position, new);
}

/// Every string of a value, keys included, in document order.
fn all_strings<'a>(json: &'a mut J, out: &mut Vec<&'a mut Vec<Piece>>) {
    match json {
        J::Str(pieces) => out.push(pieces),
        J::Arr(items) => items.iter_mut().for_each(|item| all_strings(item, out)),
        J::Obj(members) => {
            for (key, value) in members {
                out.push(key);
                all_strings(value, out);
            }
        }
        _ => {}
    }
}

/// The pointers of every non-empty container, with whether it is an object.
fn containers(json: &J, pointer: &str, out: &mut Vec<(String, bool)>) {
    match json {
        J::Arr(items) if !items.is_empty() => {
            out.push((pointer.to_string(), false));
            for (index, item) in items.iter().enumerate() {
                containers(item, &format!("{pointer}/{index}"), out);
            }
        }
        J::Obj(members) if !members.is_empty() => {
            out.push((pointer.to_string(), true));
            for (key, value) in members {
                containers(value, &format!("{pointer}/{}", token(key)), out);
            }
        }
        _ => {}
    }
}

/// A copy with every object's members in another order (equal as parsed JSON).
fn reordered(json: &J, rng: &mut Rng) -> J {
    match json {
        J::Arr(items) => J::Arr(items.iter().map(|item| reordered(item, rng)).collect()),
        J::Obj(members) => {
            let mut members: Vec<_> = members.iter().map(|(key, value)| (key.clone(), reordered(value, rng))).collect();
            rng.shuffle(&mut members);
            J::Obj(members)
        }
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// The writer: one line of JSON, and where each of its parts went.

#[derive(Default)]
struct Written {
    bytes: Vec<u8>,
    /// Pointer -> the value token's byte range (the last occurrence of a repeated key).
    values: HashMap<String, (usize, usize)>,
    /// Pointer -> the key token's byte range, one per occurrence.
    keys: HashMap<String, Vec<(usize, usize)>>,
    /// Pointer of a container -> offset of its closing bracket.
    closes: HashMap<String, usize>,
    /// Offsets of the `Piece::Raw` bytes, in writing order.
    marks: Vec<usize>,
}

struct Writer<'r> {
    out: Written,
    rng: &'r mut Rng,
    /// Percent of characters written as escapes where a raw character would do.
    escape: u64,
    /// Percent of places between tokens that get whitespace.
    space: u64,
    /// A container written with a comma before its closing bracket.
    trailing_comma: Option<String>,
}

impl Writer<'_> {
    fn raw(&mut self, bytes: &[u8]) {
        self.out.bytes.extend_from_slice(bytes);
    }

    /// JSON whitespace between tokens: spaces, tabs and carriage returns (a `\n` would end the
    /// line; a `\r` at the very end of a line would make it CRLF, see [`write_line`]).
    fn whitespace(&mut self) {
        if self.rng.chance(self.space) {
            for _ in 0..=self.rng.below(3) {
                let byte = *self.rng.pick(b"  \t\r");
                self.out.bytes.push(byte);
            }
        }
    }

    fn value(&mut self, json: &J, pointer: &str) {
        let start = self.out.bytes.len();
        match json {
            J::Null => self.raw(b"null"),
            J::Bool(value) => self.raw(if *value { b"true" } else { b"false" }),
            J::Num(number) => self.raw(number.as_bytes()),
            J::Str(pieces) => self.string(pieces),
            J::Arr(items) => {
                self.raw(b"[");
                for (index, item) in items.iter().enumerate() {
                    self.whitespace();
                    if index > 0 {
                        self.raw(b",");
                        self.whitespace();
                    }
                    self.value(item, &format!("{pointer}/{index}"));
                }
                self.close(pointer, items.is_empty(), b"]");
            }
            J::Obj(members) => {
                self.raw(b"{");
                for (index, (key, value)) in members.iter().enumerate() {
                    self.whitespace();
                    if index > 0 {
                        self.raw(b",");
                        self.whitespace();
                    }
                    let child = format!("{pointer}/{}", token(key));
                    let key_start = self.out.bytes.len();
                    self.string(key);
                    self.out.keys.entry(child.clone()).or_default().push((key_start, self.out.bytes.len()));
                    self.whitespace();
                    self.raw(b":");
                    self.whitespace();
                    self.value(value, &child);
                }
                self.close(pointer, members.is_empty(), b"}");
            }
        }
        self.out.values.insert(pointer.to_string(), (start, self.out.bytes.len()));
    }

    fn close(&mut self, pointer: &str, empty: bool, bracket: &[u8]) {
        self.whitespace();
        if !empty && self.trailing_comma.as_deref() == Some(pointer) {
            self.raw(b",");
            self.whitespace();
        }
        self.out.closes.insert(pointer.to_string(), self.out.bytes.len());
        self.raw(bracket);
    }

    fn string(&mut self, pieces: &[Piece]) {
        self.raw(b"\"");
        for piece in pieces {
            match piece {
                Piece::Char(c) => self.char(*c),
                Piece::Raw(bytes) => {
                    self.out.marks.push(self.out.bytes.len());
                    self.raw(bytes);
                }
            }
        }
        self.raw(b"\"");
    }

    /// One character, raw or as any escape JSON allows for it: a short escape, `\uXXXX` in
    /// random-case hex, a surrogate pair for a character beyond the Basic Multilingual Plane.
    fn char(&mut self, c: char) {
        let escape = self.rng.chance(self.escape);
        match c {
            '"' | '\\' if escape => self.unicode(u32::from(c)),
            '"' | '\\' => self.raw(&[b'\\', c as u8]),
            '\0'..='\u{1f}' => {
                let short = match c {
                    '\n' => Some(b'n'),
                    '\t' => Some(b't'),
                    '\r' => Some(b'r'),
                    '\u{8}' => Some(b'b'),
                    '\u{c}' => Some(b'f'),
                    _ => None,
                };
                match short {
                    Some(letter) if !escape => self.raw(&[b'\\', letter]),
                    _ => self.unicode(u32::from(c)),
                }
            }
            '/' if escape && self.rng.chance(50) => self.raw(b"\\/"),
            _ if escape => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    self.unicode(u32::from(*unit));
                }
            }
            _ => {
                let mut buffer = [0u8; 4];
                self.raw(c.encode_utf8(&mut buffer).as_bytes());
            }
        }
    }

    fn unicode(&mut self, unit: u32) {
        self.raw(b"\\u");
        for shift in [12, 8, 4, 0] {
            let digits = if self.rng.chance(50) { b"0123456789abcdef" } else { b"0123456789ABCDEF" };
            self.out.bytes.push(digits[((unit >> shift) & 0xF) as usize]);
        }
    }
}

/// Writes one record (without its line ending) in a random style.
fn write_line(json: &J, rng: &mut Rng, trailing_comma: Option<String>) -> Written {
    let escape = *rng.pick(&[0, 0, 5, 30, 100]);
    let space = *rng.pick(&[0, 20, 60]);
    let mut writer = Writer { out: Written::default(), rng, escape, space, trailing_comma };
    writer.whitespace();
    writer.value(json, "");
    writer.whitespace();
    // A line whose last byte is `\r` ends with CRLF (DPO006): end trailing whitespace otherwise.
    if writer.out.bytes.last() == Some(&b'\r') {
        writer.out.bytes.push(b' ');
    }
    writer.out
}

// ---------------------------------------------------------------------------------------------
// Generated records.

#[derive(Clone, Debug)]
struct Message {
    content: String,
    name: Option<String>,
    weight: Option<&'static str>,
    /// `tool_calls` that is `[]` (true) or `null` (false): not DPO205.
    no_tool_calls: Option<bool>,
}

#[derive(Clone, Debug)]
struct Tool {
    name: String,
    description: Option<String>,
    property: String,
    max_length: Option<&'static str>,
}

#[derive(Clone, Debug)]
struct Record {
    system: Option<Message>,
    user: Message,
    preferred: Message,
    non_preferred: Message,
    tools: Option<Vec<Tool>>,
}

/// Characters valid text may hold: any scalar value but the C0 controls other than tab, LF and
/// CR, which are DPO009 even when escaped. (DEL and the C1 controls such as U+0085 are fine.)
fn allowed(c: char) -> bool {
    c >= ' ' || matches!(c, '\t' | '\n' | '\r')
}

/// A piece of text: ordinary words, or the characters that break naive writers and checkers.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 .,!?]{1,12}",
        // Long runs cross the parser's 16-byte string blocks.
        1 => "[a-zA-Z0-9 ]{16,70}",
        1 => Just("\u{2028}".to_string()),
        1 => Just("\u{2029}".to_string()),
        1 => Just("\u{200F}\u{202E}\u{061C}".to_string()),
        1 => Just("🚀👩‍💻".to_string()),
        1 => Just("𝄞\u{10FFFF}\u{E000}\u{FFFD}\u{FFFF}".to_string()),
        1 => Just("\"quoted\" \\ back/slash ~0 ~1".to_string()),
        1 => Just("\t\n\r".to_string()),
        1 => Just("\u{7F}\u{85}\u{9F}\u{A0}\u{3000}".to_string()),
        1 => Just("\u{FEFF}".to_string()),
        // Near misses of DPO303's tokens (HTML tags, brackets, a lone `<|`).
        1 => Just("<b>[1]</b> <|x|> [INS] <start>".to_string()),
        1 => Just("שלום عربي".to_string()),
        4 => any::<char>()
            .prop_filter("no C0 control but tab, LF, CR (DPO009)", |&c| allowed(c))
            .prop_map(String::from),
    ]
}

/// A character that is not Unicode `White_Space`.
fn solid() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]",
        Just("🚀".to_string()),
        Just("ש".to_string()),
        Just("\u{200B}".to_string()),
        any::<char>().prop_filter("not whitespace", |&c| allowed(c) && !c.is_whitespace()).prop_map(String::from),
    ]
}

fn has_special_token(text: &str) -> bool {
    const TOKENS: [&str; 20] = [
        "<|im_start|>",
        "<|im_end|>",
        "<|eot_id|>",
        "<|start_header_id|>",
        "<|end_header_id|>",
        "<|begin_of_text|>",
        "<|endoftext|>",
        "<|fim_prefix|>",
        "<|fim_middle|>",
        "<|fim_suffix|>",
        "<|fim_pad|>",
        "<|user|>",
        "<|assistant|>",
        "<|system|>",
        "<start_of_turn>",
        "<end_of_turn>",
        "[INST]",
        "[/INST]",
        "<s>",
        "</s>",
    ];
    TOKENS.iter().any(|token| text.contains(token))
}

/// Message content that no content rule may fire on: at least one character that is not
/// `White_Space` wherever it stands (DPO301 fires on empty or whitespace-only content), and no
/// chat-template token (DPO303). Short enough that DPO304's token budget is far away.
fn content() -> impl Strategy<Value = String> {
    (prop::collection::vec(piece(), 0..6), solid(), any::<prop::sample::Index>())
        .prop_map(|(mut parts, anchor, at)| {
            let position = at.index(parts.len() + 1);
            parts.insert(position, anchor);
            parts.concat()
        })
        .prop_filter("no chat-template token (DPO303)", |text| !has_special_token(text))
}

/// Free text (a `name`, a tool's description): no rule looks at what it says.
fn free_text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..3).prop_map(|parts| parts.concat())
}

fn message() -> impl Strategy<Value = Message> {
    (
        content(),
        prop::option::weighted(0.2, free_text()),
        prop::option::weighted(0.2, prop::sample::select(vec!["0", "1"])),
        prop::option::weighted(0.1, any::<bool>()),
    )
        .prop_map(|(content, name, weight, no_tool_calls)| Message { content, name, weight, no_tool_calls })
}

fn tool() -> impl Strategy<Value = Tool> {
    (
        "[a-zA-Z0-9_-]{1,64}",
        prop::option::of(free_text()),
        free_text(),
        prop::option::of(prop::sample::select(vec!["0", "12", "1.5", "-3e2"])),
    )
        .prop_map(|(name, description, property, max_length)| Tool { name, description, property, max_length })
}

fn record() -> impl Strategy<Value = Record> {
    (
        prop::option::of(message()),
        message(),
        message(),
        message(),
        prop::option::weighted(0.3, prop::collection::vec(tool(), 0..3)),
    )
        // Identical answers are DPO302.
        .prop_filter("the answers differ", |(_, _, preferred, non_preferred, _)| {
            preferred.content != non_preferred.content
        })
        .prop_map(|(system, user, preferred, non_preferred, tools)| Record {
            system,
            user,
            preferred,
            non_preferred,
            tools,
        })
}

/// At least 3 records (DPO401), and a seed for every other choice.
fn dataset(max: usize) -> impl Strategy<Value = (Vec<Record>, u64)> {
    (prop::collection::vec(record(), 3..max), any::<u64>())
}

fn message_json(role: &str, message: &Message, marker: Option<usize>, rng: &mut Rng) -> J {
    let mut content = text(&message.content);
    if let Some(index) = marker {
        insert_pieces(&mut content, text(&format!("#{index}")), rng);
    }
    let mut members = vec![(text("role"), string(role)), (text("content"), J::Str(content))];
    if let Some(name) = &message.name {
        members.push((text("name"), string(name)));
    }
    if let Some(weight) = message.weight {
        members.push((text("weight"), J::Num(weight)));
    }
    if let Some(empty) = message.no_tool_calls {
        members.push((text("tool_calls"), if empty { J::Arr(vec![]) } else { J::Null }));
    }
    rng.shuffle(&mut members);
    J::Obj(members)
}

fn tool_json(tool: &Tool, rng: &mut Rng) -> J {
    let mut property = vec![(text("type"), string("string"))];
    if let Some(max_length) = tool.max_length {
        property.push((text("maxLength"), J::Num(max_length)));
    }
    let mut function = vec![
        (text("name"), string(&tool.name)),
        (
            text("parameters"),
            object(vec![
                ("type", string("object")),
                ("properties", J::Obj(vec![(text(&tool.property), J::Obj(property))])),
            ]),
        ),
    ];
    if rng.chance(30) {
        // Keys inside tool definitions are only checked as DPO109 says: no DPO103.
        function.push((text("strict"), J::Bool(true)));
    }
    if let Some(description) = &tool.description {
        function.push((text("description"), string(description)));
    }
    rng.shuffle(&mut function);
    let mut members = vec![(text("type"), string("function")), (text("function"), J::Obj(function))];
    rng.shuffle(&mut members);
    J::Obj(members)
}

/// The record as JSON, in random key order. The user message carries `#index` at a random place,
/// so every record's input is distinct: no DPO403 (duplicate) or DPO404 (swapped pair).
fn record_json(record: &Record, index: usize, rng: &mut Rng) -> J {
    let mut messages = Vec::new();
    if let Some(system) = &record.system {
        messages.push(message_json("system", system, None, rng));
    }
    messages.push(message_json("user", &record.user, Some(index), rng));
    let mut input = vec![(text("messages"), J::Arr(messages))];
    if let Some(tools) = &record.tools {
        input.push((text("tools"), J::Arr(tools.iter().map(|tool| tool_json(tool, rng)).collect())));
    }
    rng.shuffle(&mut input);
    let mut members = vec![
        (text("input"), J::Obj(input)),
        (text("preferred_output"), J::Arr(vec![message_json("assistant", &record.preferred, None, rng)])),
        (text("non_preferred_output"), J::Arr(vec![message_json("assistant", &record.non_preferred, None, rng)])),
    ];
    rng.shuffle(&mut members);
    J::Obj(members)
}

// ---------------------------------------------------------------------------------------------
// Datasets: lines planned, then written, with where every line starts.

/// One line to write: the record (mutated or not) and what to do to its bytes.
struct Plan {
    /// The record as generated (what duplicate and swapped-pair mutations copy).
    original: J,
    json: J,
    trailing_comma: Option<String>,
    truncate: bool,
    crlf: bool,
    /// Only on line 1: the file starts with a UTF-8 byte order mark.
    bom: bool,
    /// A blank line (these bytes and `\n`) before the record.
    blank_before: Option<&'static str>,
}

fn plans(records: &[Record], rng: &mut Rng) -> Vec<Plan> {
    records
        .iter()
        .enumerate()
        .map(|(index, record)| {
            let json = record_json(record, index, rng);
            Plan {
                original: json.clone(),
                json,
                trailing_comma: None,
                truncate: false,
                crlf: false,
                bom: false,
                blank_before: None,
            }
        })
        .collect()
}

struct Line {
    /// The record's physical line (1-based): blank lines count.
    number: usize,
    /// Offset of the physical line's first byte (the BOM, on line 1 of a file that has one).
    start: usize,
    /// Offset of the record's first byte (after a BOM).
    content: usize,
    /// The record's bytes, without the line ending.
    written: Written,
    /// A blank line just before the record: its physical start, its offset after any BOM, and its
    /// length without the `\n`.
    blank: Option<(usize, usize, usize)>,
}

struct Dataset {
    bytes: Vec<u8>,
    lines: Vec<Line>,
}

fn assemble(plans: &[Plan], final_newline: bool, rng: &mut Rng) -> Dataset {
    let mut bytes = Vec::new();
    let mut lines = Vec::new();
    let mut number = 1;
    for (index, plan) in plans.iter().enumerate() {
        let mut start = bytes.len();
        if plan.bom {
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
        }
        let mut blank = None;
        if let Some(blank_line) = plan.blank_before {
            blank = Some((start, bytes.len(), blank_line.len()));
            bytes.extend_from_slice(blank_line.as_bytes());
            bytes.push(b'\n');
            number += 1;
            start = bytes.len();
        }
        let mut written = write_line(&plan.json, rng, plan.trailing_comma.clone());
        if plan.truncate {
            // Cut inside the root object, on a character boundary, so that it loses at least its
            // closing brace: every proper prefix of a JSON text parses up to its end, where the
            // error is. A cut that leaves `\r` last would make the line CRLF: cut before it.
            let (root_start, root_end) = written.values[""];
            let line = std::str::from_utf8(&written.bytes).expect("UTF-8 before truncation");
            let mut cut = root_start + 1 + rng.below(root_end - root_start - 1);
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            while written.bytes[cut - 1] == b'\r' {
                cut -= 1;
            }
            written.bytes.truncate(cut);
        }
        let content = bytes.len();
        bytes.extend_from_slice(&written.bytes);
        if plan.crlf {
            bytes.extend_from_slice(b"\r\n");
        } else if index + 1 < plans.len() || final_newline {
            bytes.push(b'\n');
        }
        lines.push(Line { number, start, content, written, blank });
        number += 1;
    }
    Dataset { bytes, lines }
}

// ---------------------------------------------------------------------------------------------
// Mutations and the finding each must give.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    InvalidRole,
    OutputRole,
    ToolRole,
    ToolCalls,
    MissingKey,
    UnknownKey,
    WrongType,
    ContentParts,
    InvalidTools,
    InvalidWeight,
    OutputCount,
    MultiTurn,
    DuplicateKey,
    RawControl,
    InvalidUtf8,
    LoneSurrogate,
    ControlEscape,
    EmptyContent,
    SpecialToken,
    IdenticalOutputs,
    ByteOrderMark,
    Truncated,
    TrailingComma,
    NotAnObject,
    Crlf,
    DuplicateRecord,
    SwappedPair,
    BlankLine,
    TooLong,
    NearDuplicate,
}

impl Kind {
    const ALL: [Kind; 30] = [
        Kind::InvalidRole,
        Kind::OutputRole,
        Kind::ToolRole,
        Kind::ToolCalls,
        Kind::MissingKey,
        Kind::UnknownKey,
        Kind::WrongType,
        Kind::ContentParts,
        Kind::InvalidTools,
        Kind::InvalidWeight,
        Kind::OutputCount,
        Kind::MultiTurn,
        Kind::DuplicateKey,
        Kind::RawControl,
        Kind::InvalidUtf8,
        Kind::LoneSurrogate,
        Kind::ControlEscape,
        Kind::EmptyContent,
        Kind::SpecialToken,
        Kind::IdenticalOutputs,
        Kind::ByteOrderMark,
        Kind::Truncated,
        Kind::TrailingComma,
        Kind::NotAnObject,
        Kind::Crlf,
        Kind::DuplicateRecord,
        Kind::SwappedPair,
        Kind::BlankLine,
        Kind::TooLong,
        Kind::NearDuplicate,
    ];
}

/// Where the expected span is, in the written line.
#[derive(Debug)]
enum Anchor {
    /// The value token at a pointer (a string with its quotes, a container bracket to bracket).
    Value(String),
    /// The n-th occurrence of the key token at a pointer.
    Key(String, usize),
    /// The closing bracket of the container at a pointer.
    Close(String),
    /// The first injected raw bytes, this long.
    Mark(usize),
    /// The end of the line (length 0).
    End,
    /// The whole record: the line without its ending and without a BOM.
    Record,
    /// The `\r` of a CRLF.
    Cr,
    /// The file's byte order mark.
    Bom,
    /// The blank line before the record (its bytes without the `\n`, after any BOM).
    Blank,
}

#[derive(Debug)]
struct Expect {
    line: usize,
    code: &'static str,
    severity: &'static str,
    anchor: Anchor,
    pointer: Option<String>,
}

fn expect(line: usize, code: &'static str, severity: &'static str, anchor: Anchor, pointer: Option<String>) -> Expect {
    Expect { line, code, severity, anchor, pointer }
}

/// The essentials line (see `common::essentials`) the expected finding must have.
fn essential(dataset: &Dataset, expected: &Expect) -> String {
    let line = &dataset.lines[expected.line];
    let written = &line.written;
    let (offset, length) = match &expected.anchor {
        Anchor::Value(pointer) => {
            let (start, end) = written.values[pointer];
            (start, end - start)
        }
        Anchor::Key(pointer, occurrence) => {
            let (start, end) = written.keys[pointer][*occurrence];
            (start, end - start)
        }
        Anchor::Close(pointer) => (written.closes[pointer], 1),
        Anchor::Mark(length) => (written.marks[0], *length),
        Anchor::End => (written.bytes.len(), 0),
        Anchor::Record => (0, written.bytes.len()),
        Anchor::Cr => (written.bytes.len(), 1),
        Anchor::Bom => (0, 3),
        Anchor::Blank => (0, 0),
    };
    let offset = match expected.anchor {
        Anchor::Bom => return located(dataset, expected, 1, 0, 0, 3),
        Anchor::Blank => {
            let (blank_start, blank_offset, blank_length) = line.blank.expect("a blank line");
            return located(dataset, expected, line.number - 1, blank_start, blank_offset, blank_length);
        }
        _ => line.content + offset,
    };
    located(dataset, expected, line.number, line.start, offset, length)
}

/// The essentials line of a finding on physical line `number`, which starts at byte `start`.
fn located(dataset: &Dataset, expected: &Expect, number: usize, start: usize, offset: usize, length: usize) -> String {
    // Columns count Unicode scalars from the start of the physical line (a BOM is one).
    let column = String::from_utf8_lossy(&dataset.bytes[start..offset]).chars().count() + 1;
    let mut out = format!("{} {} {}:{} @{}+{}", expected.code, expected.severity, number, column, offset, length);
    if let Some(pointer) = &expected.pointer {
        write!(out, " {pointer:?}").expect("writing to a string");
    }
    out
}

/// Text whose estimated tokens alone exceed the Fireworks budget of 32,768 (DPO304).
fn long_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let text = "lorem ipsum dolor sit amet ".repeat(7_000);
        assert!(dpolint::stats::estimate_tokens(&text) > 36_000, "the estimate changed: make the text longer");
        text
    })
}

fn special_token(rng: &mut Rng) -> &'static str {
    let tokens = ["<|im_start|>", "<|eot_id|>", "[INST]", "</s>", "<s>", "<end_of_turn>"];
    tokens[rng.below(tokens.len())]
}

const E: &str = "error";
const W: &str = "warning";
const I: &str = "info";

/// Pointers of the record's messages: all of them, and those whose role may be broken without a
/// conversation rule firing too. (With a system message first, a user message without a valid role
/// leaves the system message last: DPO202. Breaking the first input message is always safe.)
fn message_pointers(json: &mut J) -> (Vec<String>, Vec<String>) {
    let inputs = items(json, "/input/messages").len();
    let outputs = ["/preferred_output/0".to_string(), "/non_preferred_output/0".to_string()];
    let mut all: Vec<String> = (0..inputs).map(|index| format!("/input/messages/{index}")).collect();
    all.extend(outputs.iter().cloned());
    let mut role_safe = vec!["/input/messages/0".to_string()];
    role_safe.extend(outputs);
    (all, role_safe)
}

fn is_system(json: &mut J, message: &str) -> bool {
    matches!(at(json, &format!("{message}/role")), J::Str(role) if key_is(role, "system"))
}

/// Applies one mutation of `kind` to line `line`; `None` when it does not apply there.
fn mutate(kind: Kind, plans: &mut [Plan], line: usize, rng: &mut Rng) -> Option<Vec<Expect>> {
    let plan = &mut plans[line];
    let json = &mut plan.json;
    let (all, role_safe) = message_pointers(json);
    let some =
        |code, severity, anchor, pointer: &str| Some(vec![expect(line, code, severity, anchor, Some(pointer.into()))]);
    match kind {
        Kind::InvalidRole => {
            let message = rng.pick(&role_safe).clone();
            let role = *rng.pick(&[
                "User",
                "ASSISTANT",
                "human",
                "gpt",
                "bot",
                "",
                " user",
                "assistant\u{200B}",
                "developer",
                "Tool",
                "systém",
            ]);
            let pointer = format!("{message}/role");
            *at(json, &pointer) = string(role);
            some("DPO104", E, Anchor::Value(pointer.clone()), &pointer)
        }
        Kind::OutputRole => {
            let message = rng.pick(&role_safe[1..]).clone();
            let pointer = format!("{message}/role");
            let role = *rng.pick(&["user", "system"]);
            *at(json, &pointer) = string(role);
            some("DPO107", E, Anchor::Value(pointer.clone()), &pointer)
        }
        Kind::ToolRole => {
            let message = rng.pick(&role_safe).clone();
            *at(json, &format!("{message}/role")) = string("tool");
            some("DPO205", E, Anchor::Value(message.clone()), &message)
        }
        Kind::ToolCalls => {
            let message = rng.pick(&all).clone();
            let (name, value) = if rng.chance(50) {
                let call = object(vec![
                    ("id", string("call_1")),
                    ("type", string("function")),
                    ("function", object(vec![("name", string("f")), ("arguments", string("{}"))])),
                ]);
                ("tool_calls", J::Arr(vec![call]))
            } else {
                ("tool_call_id", string("call_1"))
            };
            set_member(json, &message, name, value, rng);
            let pointer = format!("{message}/{name}");
            some("DPO205", E, Anchor::Value(pointer.clone()), &pointer)
        }
        Kind::MissingKey => {
            let (object, name) = match rng.below(4) {
                0 => (String::new(), *rng.pick(&["input", "preferred_output", "non_preferred_output"])),
                1 => ("/input".to_string(), "messages"),
                2 => (rng.pick(&role_safe).clone(), "role"),
                _ => (rng.pick(&all).clone(), "content"),
            };
            remove_member(json, &object, name);
            some("DPO101", E, Anchor::Value(object.clone()), &format!("{object}/{name}"))
        }
        Kind::UnknownKey => {
            let mut objects = vec![String::new(), "/input".to_string()];
            objects.extend(all.iter().cloned());
            let object = rng.pick(&objects).clone();
            let name =
                *rng.pick(&["metadata", "prefered_output", "Content", "a/b~c", "id", "😀", "chosen", "", "ROLE"]);
            let value =
                rng.pick(&[J::Num("7"), string("x"), J::Null, J::Obj(vec![]), J::Arr(vec![J::Num("1")])]).clone();
            let members = members(json, &object);
            let position = rng.below(members.len() + 1);
            members.insert(position, (text(name), value));
            let pointer = format!("{object}/{}", token(&text(name)));
            some("DPO103", W, Anchor::Key(pointer.clone(), 0), &pointer)
        }
        Kind::WrongType => {
            let (pointer, replacements): (String, Vec<J>) = match rng.below(7) {
                0 => (
                    format!("{}/content", rng.pick(&all)),
                    vec![
                        J::Num("0"),
                        J::Num("-12.5e+3"),
                        J::Num("1E9"),
                        J::Bool(true),
                        J::Null,
                        J::Obj(vec![]),
                        object(vec![("text", string("x"))]),
                    ],
                ),
                1 => (
                    format!("{}/role", rng.pick(&role_safe)),
                    vec![J::Num("1"), J::Bool(false), J::Null, J::Arr(vec![string("user")]), J::Obj(vec![])],
                ),
                2 => ("/input".to_string(), vec![J::Arr(vec![]), string("hi"), J::Num("3"), J::Null]),
                3 => ("/input/messages".to_string(), vec![J::Obj(vec![]), string("hi"), J::Num("3"), J::Null]),
                4 => (
                    rng.pick(&["/preferred_output", "/non_preferred_output"]).to_string(),
                    vec![object(vec![("role", string("assistant")), ("content", string("x"))]), string("x"), J::Null],
                ),
                5 => (rng.pick(&role_safe).clone(), vec![string("user: hi"), J::Num("0"), J::Null, J::Arr(vec![])]),
                _ => {
                    let message = rng.pick(&all).clone();
                    set_member(json, &message, "name", J::Null, rng);
                    (
                        format!("{message}/name"),
                        vec![J::Num("5"), J::Bool(true), J::Null, J::Arr(vec![]), J::Obj(vec![])],
                    )
                }
            };
            *at(json, &pointer) = rng.pick(&replacements).clone();
            some("DPO102", E, Anchor::Value(pointer.clone()), &pointer)
        }
        Kind::ContentParts => {
            let pointer = format!("{}/content", rng.pick(&all));
            let old = at(json, &pointer).clone();
            let mut part = vec![(text("type"), string("text")), (text("text"), old)];
            rng.shuffle(&mut part);
            *at(json, &pointer) = J::Arr(vec![J::Obj(part)]);
            some("DPO108", E, Anchor::Value(pointer.clone()), &pointer)
        }
        Kind::InvalidTools => {
            if rng.chance(50) {
                let value = rng.pick(&[string("none"), J::Num("1"), J::Obj(vec![]), J::Null]).clone();
                set_member(json, "/input", "tools", value, rng);
                some("DPO109", E, Anchor::Value("/input/tools".into()), "/input/tools")
            } else {
                let long = "a".repeat(65);
                let name = rng.pick(&["get weather", "", long.as_str(), "naïve", "a.b"]).to_string();
                let tool = Tool { name, description: None, property: "p".into(), max_length: None };
                let tools = J::Arr(vec![tool_json(&tool, rng)]);
                set_member(json, "/input", "tools", tools, rng);
                let pointer = "/input/tools/0/function/name";
                some("DPO109", E, Anchor::Value(pointer.into()), pointer)
            }
        }
        Kind::InvalidWeight => {
            let message = rng.pick(&all).clone();
            let value = rng
                .pick(&[
                    J::Bool(true),
                    J::Bool(false),
                    J::Num("2"),
                    J::Num("1.0"),
                    J::Num("0.0"),
                    string("1"),
                    J::Null,
                    J::Num("-1"),
                    J::Num("1e0"),
                ])
                .clone();
            set_member(json, &message, "weight", value, rng);
            let pointer = format!("{message}/weight");
            some("DPO110", E, Anchor::Value(pointer.clone()), &pointer)
        }
        Kind::OutputCount => {
            let output = *rng.pick(&["/preferred_output", "/non_preferred_output"]);
            let messages = items(json, output);
            if rng.chance(50) {
                messages.clear();
            } else {
                let second = messages[0].clone();
                messages.push(second);
            }
            some("DPO106", E, Anchor::Value(output.into()), output)
        }
        Kind::MultiTurn => {
            let messages = items(json, "/input/messages");
            let count = messages.len();
            let index = if rng.chance(50) {
                // A second user turn at the end.
                messages.push(object(vec![("role", string("user")), ("content", string("And then?"))]));
                count
            } else {
                // An assistant turn before the final user message.
                messages.insert(
                    count - 1,
                    object(vec![("content", string("Earlier answer.")), ("role", string("assistant"))]),
                );
                count - 1
            };
            let pointer = format!("/input/messages/{index}");
            some("DPO201", E, Anchor::Value(pointer.clone()), &pointer)
        }
        Kind::DuplicateKey => {
            let mut found = Vec::new();
            containers(json, "", &mut found);
            let objects: Vec<String> =
                found.into_iter().filter(|(_, is_object)| *is_object).map(|(pointer, _)| pointer).collect();
            let object = rng.pick(&objects).clone();
            let members = members(json, &object);
            let original = rng.below(members.len());
            let copy = members[original].clone();
            let position = original + 1 + rng.below(members.len() - original);
            if rng.chance(50) {
                // Only the last occurrence counts: the first may hold anything no rule reads.
                members[original].1 =
                    rng.pick(&[J::Num("0"), J::Null, J::Bool(false), J::Obj(vec![]), J::Arr(vec![])]).clone();
            }
            let pointer = format!("{object}/{}", token(&copy.0));
            members.insert(position, copy);
            some("DPO007", E, Anchor::Key(pointer.clone(), 1), &pointer)
        }
        Kind::RawControl => {
            let mut strings = Vec::new();
            all_strings(json, &mut strings);
            let target = rng.below(strings.len());
            let byte = *rng.pick(&[0x00, 0x01, 0x07, 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x1B, 0x1F]);
            insert_pieces(strings[target], vec![Piece::Raw(vec![byte])], rng);
            Some(vec![expect(line, "DPO003", E, Anchor::Mark(1), None)])
        }
        Kind::InvalidUtf8 => {
            let mut strings = Vec::new();
            all_strings(json, &mut strings);
            let target = rng.below(strings.len());
            // The bytes, and how many of them are the first invalid sequence (what comes next is
            // always a quote, a backslash, ASCII or a lead byte, never a continuation byte).
            let (bytes, length): (&[u8], usize) = *rng.pick(&[
                (&[0xFF][..], 1),
                (&[0x80][..], 1),
                (&[0xC3][..], 1),
                (&[0xC0, 0x80][..], 1),
                (&[0xED, 0xA0, 0x80][..], 1),
                (&[0xE2, 0x82][..], 2),
                (&[0xF0, 0x9F, 0x98][..], 3),
                (&[0xF4, 0x90, 0x80, 0x80][..], 1),
            ]);
            insert_pieces(strings[target], vec![Piece::Raw(bytes.to_vec())], rng);
            Some(vec![expect(line, "DPO001", E, Anchor::Mark(length), None)])
        }
        Kind::LoneSurrogate | Kind::ControlEscape | Kind::SpecialToken => {
            // Value strings whose text no other rule reads: contents and names.
            let mut targets: Vec<String> = all.iter().map(|message| format!("{message}/content")).collect();
            if kind != Kind::SpecialToken {
                for message in &all {
                    if let J::Obj(members) = at(json, message)
                        && members.iter().any(|(key, _)| key_is(key, "name"))
                    {
                        targets.push(format!("{message}/name"));
                    }
                }
            }
            let pointer = rng.pick(&targets).clone();
            let (new, code, severity) = match kind {
                Kind::LoneSurrogate => {
                    let escape = *rng.pick(&["\\ud800", "\\uDBFF", "\\udc00", "\\uDfFf", "\\ud83d"]);
                    (vec![Piece::Raw(escape.as_bytes().to_vec())], "DPO008", E)
                }
                Kind::ControlEscape => {
                    let control = *rng.pick(&['\0', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{1f}']);
                    (vec![Piece::Char(control)], "DPO009", W)
                }
                _ => (text(special_token(rng)), "DPO303", W),
            };
            insert_pieces(string_pieces(json, &pointer), new, rng);
            some(code, severity, Anchor::Value(pointer.clone()), &pointer)
        }
        Kind::EmptyContent => {
            let message = rng.pick(&all).clone();
            let severity = if is_system(json, &message) { W } else { E };
            let blank = *rng.pick(&["", " ", "\t\n", "\u{3000}\u{2028}", "\u{A0}\r\n \u{85}", "\u{2029}"]);
            let pointer = format!("{message}/content");
            *at(json, &pointer) = string(blank);
            some("DPO301", severity, Anchor::Value(pointer.clone()), &pointer)
        }
        Kind::IdenticalOutputs => {
            let preferred = at(json, "/preferred_output/0/content").clone();
            let pointer = "/non_preferred_output/0/content";
            *at(json, pointer) = preferred;
            some("DPO302", W, Anchor::Value(pointer.into()), pointer)
        }
        Kind::ByteOrderMark => {
            if line != 0 {
                return None;
            }
            plan.bom = true;
            Some(vec![expect(line, "DPO002", E, Anchor::Bom, None)])
        }
        Kind::Truncated => {
            plan.truncate = true;
            Some(vec![expect(line, "DPO003", E, Anchor::End, None)])
        }
        Kind::TrailingComma => {
            let mut found = Vec::new();
            containers(json, "", &mut found);
            let (pointer, _) = rng.pick(&found).clone();
            plan.trailing_comma = Some(pointer.clone());
            Some(vec![expect(line, "DPO003", E, Anchor::Close(pointer), None)])
        }
        Kind::NotAnObject => {
            let root = json.clone();
            *json = rng
                .pick(&[J::Arr(vec![root]), J::Arr(vec![]), string("record"), J::Num("-0.5"), J::Null, J::Bool(true)])
                .clone();
            some("DPO004", E, Anchor::Record, "")
        }
        Kind::BlankLine => {
            // Not `\r` last: that line would end with CRLF (DPO006) too.
            plan.blank_before = Some(*rng.pick(&["", " ", "\t", " \t ", " \r\t"]));
            Some(vec![expect(line, "DPO005", W, Anchor::Blank, None)])
        }
        Kind::TooLong => {
            let pointer = format!("{}/content", rng.pick(&all));
            let pieces = string_pieces(json, &pointer);
            // Written verbatim (plain ASCII needs no escape): cheaper than character by character.
            insert_pieces(pieces, vec![Piece::Raw(long_text().as_bytes().to_vec())], rng);
            some("DPO304", W, Anchor::Record, "")
        }
        Kind::Crlf => {
            plan.crlf = true;
            Some(vec![expect(line, "DPO006", I, Anchor::Cr, None)])
        }
        Kind::NearDuplicate => {
            // A copy of an earlier record that differs only in how a number no rule reads is
            // written (`1` and `1.0` differ as written): not DPO403, and nothing else.
            let earlier = if line == 0 { return None } else { rng.below(line) };
            if plans[earlier].json != plans[earlier].original {
                return None;
            }
            let (first, second) = *rng.pick(&[("1", "1.0"), ("1", "1e0"), ("0", "-0"), ("10", "1E1"), ("1.5", "1.50")]);
            let mut copy = reordered(&plans[earlier].original, rng);
            for (json, number) in [(&mut plans[earlier].json, first), (&mut copy, second)] {
                let tool = Tool { name: "f".into(), description: None, property: "p".into(), max_length: Some(number) };
                let tools = J::Arr(vec![tool_json(&tool, &mut Rng(7))]);
                set_member(json, "/input", "tools", tools, rng);
            }
            plans[line].json = copy;
            Some(vec![])
        }
        Kind::DuplicateRecord | Kind::SwappedPair => {
            if line == 0 {
                return None;
            }
            let earlier = rng.below(line);
            let mut copy = reordered(&plans[earlier].original, rng);
            let code = if kind == Kind::SwappedPair {
                let preferred = at(&mut copy, "/preferred_output").clone();
                let non_preferred = std::mem::replace(at(&mut copy, "/non_preferred_output"), preferred);
                *at(&mut copy, "/preferred_output") = non_preferred;
                "DPO404"
            } else {
                "DPO403"
            };
            let record = expect(line, code, W, Anchor::Record, Some(String::new()));
            if kind == Kind::DuplicateRecord && rng.chance(30) {
                // A first occurrence of a key that only DPO007 sees: the record is still equal (as
                // the rules read it, last occurrence winning) to the earlier one.
                let mut found = Vec::new();
                containers(&copy, "", &mut found);
                let objects: Vec<String> =
                    found.into_iter().filter(|(_, is_object)| *is_object).map(|(pointer, _)| pointer).collect();
                let object = rng.pick(&objects).clone();
                let members = members(&mut copy, &object);
                let real = rng.below(members.len());
                let junk =
                    (members[real].0.clone(), rng.pick(&[J::Num("0"), J::Null, J::Bool(true), J::Arr(vec![])]).clone());
                let pointer = format!("{object}/{}", token(&junk.0));
                let position = rng.below(real + 1);
                members.insert(position, junk);
                plans[line].json = copy;
                return Some(vec![record, expect(line, "DPO007", E, Anchor::Key(pointer.clone(), 1), Some(pointer))]);
            }
            plans[line].json = copy;
            Some(vec![record])
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The properties.

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/proptest-regressions/properties.txt"
        )))),
        ..ProptestConfig::default()
    }
}

/// Validators are built once: each has its own worker pool.
fn single_threaded() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| validator(1, &[]))
}

fn three_threads() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| validator(3, &[]))
}

proptest! {
    #![proptest_config(config(64))]

    /// Valid records check clean. Rules that legitimately fire on valid-looking data are kept
    /// away by construction, each where it is made:
    /// - DPO009: no C0 control but tab, LF and CR in any string, escaped or not ([`allowed`]);
    ///   DPO008 cannot happen (Rust strings hold no lone surrogate).
    /// - DPO301: content always holds a character that is not `White_Space` ([`content`]).
    /// - DPO302: the two answers differ ([`record`]).
    /// - DPO303: no chat-template token in content ([`content`]).
    /// - DPO304: texts are a few hundred characters, far below 32,768 estimated tokens.
    /// - DPO403, DPO404: the user message carries `#index`, so inputs are distinct ([`record_json`]).
    /// - DPO401: at least 3 records ([`dataset`]).
    /// - DPO005, DPO006: no blank line, and no line ends with `\r` ([`write_line`]).
    /// - DPO109, DPO110, DPO205: tool names match `^[a-zA-Z0-9_-]{1,64}$`, weights are `0` or `1`,
    ///   `tool_calls` is absent, `[]` or `null`.
    #[test]
    fn generated_valid_records_check_clean((records, seed) in dataset(7)) {
        let mut rng = Rng(seed);
        let plans = plans(&records, &mut rng);
        let final_newline = rng.chance(50);
        let dataset = assemble(&plans, final_newline, &mut rng);
        let report = check_bytes(single_threaded(), &dataset.bytes);
        prop_assert_eq!(
            essentials(&report.diagnostics),
            Vec::<String>::new(),
            "{}",
            String::from_utf8_lossy(&dataset.bytes)
        );
        prop_assert_eq!(report.datasets[0].examples, records.len() as u64);
    }

    /// Every mutation kind, each on its own copy of the dataset, every case.
    #[test]
    fn one_mutation_fires_exactly_its_rule_at_its_span((records, seed) in dataset(6)) {
        for (number, &kind) in Kind::ALL.iter().enumerate() {
            let mut rng = Rng(seed ^ (number as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407));
            let mut plans = plans(&records, &mut rng);
            let line = match kind {
                Kind::ByteOrderMark => 0,
                Kind::DuplicateRecord | Kind::SwappedPair | Kind::NearDuplicate => 1 + rng.below(plans.len() - 1),
                _ => rng.below(plans.len()),
            };
            let expected = mutate(kind, &mut plans, line, &mut rng).expect("the mutation applies");
            let mut wanted = Vec::new();
            // Sometimes a byte order mark too (DPO002 at offset 0, before anything else): the
            // other finding's offset then counts its 3 bytes, and its column counts it as one
            // character on line 1.
            if kind != Kind::ByteOrderMark && rng.chance(25) {
                plans[0].bom = true;
                wanted.push(expect(0, "DPO002", E, Anchor::Bom, None));
            }
            wanted.extend(expected);
            let final_newline = rng.chance(50);
            let dataset = assemble(&plans, final_newline, &mut rng);
            let report = check_bytes(single_threaded(), &dataset.bytes);
            prop_assert_eq!(
                essentials(&report.diagnostics),
                wanted.iter().map(|expected| essential(&dataset, expected)).collect::<Vec<_>>(),
                "{:?} on line {}:\n{}",
                kind,
                line + 1,
                String::from_utf8_lossy(&dataset.bytes)
            );
        }
    }

    #[test]
    fn findings_do_not_depend_on_threads_or_chunks((records, seed) in dataset(12), chunk_size in 1usize..600) {
        let mut rng = Rng(seed);
        let mut plans = plans(&records, &mut rng);
        for line in 0..plans.len() {
            if rng.chance(60) {
                let kind = *rng.pick(&Kind::ALL);
                let _ = mutate(kind, &mut plans, line, &mut rng);
            }
        }
        let final_newline = rng.chance(50);
        let dataset = assemble(&plans, final_newline, &mut rng);
        let one = check_bytes(single_threaded(), &dataset.bytes);
        let three = check_bytes(three_threads(), &dataset.bytes);
        // Chunks of a few lines or less: the workers really split the file.
        let options = Options::default().with_threads(3).with_chunk_size(chunk_size);
        let chunked = check_bytes(&Validator::new(options).expect("validator"), &dataset.bytes);
        let shown = String::from_utf8_lossy(&dataset.bytes);
        prop_assert_eq!(essentials(&one.diagnostics), essentials(&three.diagnostics), "{}", shown);
        prop_assert_eq!(&one.diagnostics, &three.diagnostics);
        let chunk_note = format!("chunks of {chunk_size} bytes: {shown}");
        prop_assert_eq!(essentials(&one.diagnostics), essentials(&chunked.diagnostics), "{}", chunk_note);
        prop_assert_eq!(&one.diagnostics, &chunked.diagnostics);
    }
}
