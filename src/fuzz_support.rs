//! The bodies of the fuzz targets in `fuzz/`, as plain functions, so that the targets and an
//! ordinary test over `fuzz/seeds/` run the same code. Not a stable API.
//!
//! Each body takes arbitrary bytes and panics, with a message naming the broken invariant, when
//! dpolint misbehaves on them. Returning normally means every invariant held.
//!
//! - [`check_bytes`]: the checker. The same findings whatever the thread count, chunk size or
//!   reader (bytes in memory, a stream, a memory-mapped file, a file read with `read`); every span
//!   inside the input and on character boundaries; line and column as recomputed here from the
//!   bytes; findings in the rule book's order; summary counts that match; every output format
//!   renders (and the JSON ones parse).
//! - [`convert_bytes`]: the converter, with a layout and options picked by the first two bytes.
//!   `read == written + dropped`; every written line passes `check` with no error; the same output
//!   for one or two threads; the output converted again `--from fireworks` comes out unchanged.
//! - [`parse_differential`]: the line parser against `serde_json` on accept/reject, and on the
//!   parsed values where both accept, with the intended differences spelt out in that function.

use std::fmt::Write as _;
use std::io::{Cursor, Write as _};
use std::sync::OnceLock;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::convert::{ConvertOptions, ConvertReport, Converter, FieldMap, Layout, MultiTurnPolicy, Pairing};
use crate::convert::{PkuAxis, PromptSplit, ScoreKey};
use crate::parse::{
    CONTROL_CHARACTER, DUPLICATE_KEYS, ESCAPED, Kind, LONE_SURROGATE, SyntaxErrorKind, Tape, parse_line,
    validate_document,
};
use crate::render::{Format, RenderOptions, renderer};
use crate::rules::{Rule, RuleSet, Severity, Target};
use crate::validate::{Options, Report, Validator};
use crate::{Diagnostic, Location};

/// The name every check of the fuzz input reports under.
const NAME: &str = "fuzz.jsonl";

/// The default nesting limit of checks and of the converter.
const MAX_DEPTH: usize = 128;

/// Validators are expensive to build (each owns a thread pool): build them once per process.
struct Validators {
    /// The reference: Fireworks defaults, one thread, one chunk.
    reference: Validator,
    /// The same rules, two threads, every line its own chunk.
    per_line: Validator,
    /// The same rules, two threads, chunks of about 64 bytes.
    small_chunks: Validator,
    /// Every rule on (off-by-default ones as warnings), one per target, and a small depth limit.
    every_rule: [Validator; 3],
    /// Each target's defaults, one thread: what `dpolint check --target T` applies to converted output.
    targets: [Validator; 3],
    /// Files: two threads and 16-byte chunks, memory-mapped and read with `read`.
    files: [Validator; 2],
}

fn validators() -> &'static Validators {
    static VALIDATORS: OnceLock<Validators> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        let build = |options: Options| Validator::new(options).expect("a validator with a few threads");
        let defaults = || Options::default().with_threads(1);
        let every_rule = |target: Target| {
            let mut rules = RuleSet::defaults(target);
            for &rule in Rule::ALL {
                rules.set_severity(rule, rule.default_severity(target).or(Some(Severity::Warning)));
            }
            build(Options::new(target).with_threads(1).with_rules(rules).with_max_depth(6))
        };
        Validators {
            reference: build(defaults()),
            per_line: build(defaults().with_threads(2).with_chunk_size(1)),
            small_chunks: build(defaults().with_threads(2).with_chunk_size(64)),
            every_rule: [every_rule(Target::Fireworks), every_rule(Target::OpenAi), every_rule(Target::Together)],
            targets: [Target::Fireworks, Target::OpenAi, Target::Together]
                .map(|target| build(Options::new(target).with_threads(1))),
            files: [true, false].map(|map| build(defaults().with_memory_map(map).with_threads(2).with_chunk_size(16))),
        }
    })
}

/// Checks `data` as a dataset every way the checker can read it, and asserts the invariants listed
/// in the module docs.
///
/// # Panics
/// When an invariant does not hold (the message says which).
pub fn check_bytes(data: &[u8]) {
    let validators = validators();
    let reference = match validators.reference.check_bytes(NAME, data) {
        Ok(reference) => reference,
        Err(error) => {
            // Only bytes that are no dataset at all fail, and they fail however they are read.
            assert!(matches!(error, crate::Error::LfsPointer { .. }), "an in-memory check fails: {error}");
            let mut streamed = Report::new(Target::Fireworks);
            let streamed = validators.small_chunks.check_reader(NAME, data, &mut streamed);
            assert!(matches!(streamed, Err(crate::Error::LfsPointer { .. })), "a stream: {streamed:?}");
            for memory_map in [true, false] {
                let from_file = check_file(data, memory_map);
                assert!(matches!(from_file, Err(crate::Error::LfsPointer { .. })), "a file: {from_file:?}");
            }
            return;
        }
    };
    assert_report_invariants(data, &reference, "in memory, 1 thread");

    let same = |other: &Report, how: &str| {
        assert_eq!(other.diagnostics, reference.diagnostics, "findings differ {how}");
        assert_eq!(other.datasets, reference.datasets, "summaries differ {how}");
    };
    let in_memory = |validator: &Validator| validator.check_bytes(NAME, data).expect("it checked once");
    same(&in_memory(&validators.per_line), "with 2 threads and a chunk per line");
    same(&in_memory(&validators.small_chunks), "with 2 threads and 64-byte chunks");

    let mut streamed = Report::new(Target::Fireworks);
    validators.small_chunks.check_reader(NAME, data, &mut streamed).expect("a stream in memory reads");
    same(&streamed, "when read as a stream");

    for (memory_map, how) in [(true, "from a memory-mapped file"), (false, "from a file read with `read`")] {
        let from_file = check_file(data, memory_map).expect("a temporary file can be checked");
        same(&from_file, how);
    }

    // The same bytes under every rule of each target: only the generic invariants apply.
    let which = data.len() % 3;
    let every_rule = in_memory(&validators.every_rule[which]);
    assert_report_invariants(data, &every_rule, "with every rule on");
    render_every_format(&every_rule);
    render_every_format(&reference);
}

/// Checks `data` from a temporary file, and names the findings' file as [`check_bytes`] does.
fn check_file(data: &[u8], memory_map: bool) -> Result<Report, crate::Error> {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(data).and_then(|()| file.flush()).expect("the temporary file is written");
    let validator = &validators().files[usize::from(!memory_map)];
    let mut report = validator.check_path(file.path())?;
    let path = file.path().display().to_string();
    for diagnostic in &mut report.diagnostics {
        assert!(diagnostic.file == path, "a finding names {} instead of the file checked", diagnostic.file);
        diagnostic.file = NAME.to_string();
    }
    for dataset in &mut report.datasets {
        dataset.path = NAME.to_string();
    }
    Ok(report)
}

/// Character starts of `data` as a lossy decoder sees them: each scalar value of a valid run, and
/// each maximal invalid subsequence (one U+FFFD). The end of the input is a boundary too.
fn char_boundaries(data: &[u8]) -> Vec<usize> {
    let mut boundaries = Vec::with_capacity(data.len() + 1);
    let mut at = 0;
    for chunk in data.utf8_chunks() {
        boundaries.extend(chunk.valid().char_indices().map(|(i, _)| at + i));
        at += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            boundaries.push(at);
            at += chunk.invalid().len();
        }
    }
    boundaries.push(data.len());
    boundaries
}

/// Asserts that `location` is a span of `data` on character boundaries, with the line and column
/// of its offset.
fn assert_location(data: &[u8], boundaries: &[usize], location: &Location, what: &str) {
    let (offset, length) = (location.offset as usize, location.length as usize);
    assert!(
        offset.checked_add(length).is_some_and(|end| end <= data.len()),
        "{what}: span {offset}+{length} past the end of {} bytes",
        data.len()
    );
    for edge in [offset, offset + length] {
        assert!(boundaries.binary_search(&edge).is_ok(), "{what}: byte {edge} is inside a character");
    }
    let line = 1 + memchr::memchr_iter(b'\n', &data[..offset]).count() as u64;
    let line_start = memchr::memrchr(b'\n', &data[..offset]).map_or(0, |i| i + 1);
    let first = boundaries.partition_point(|&b| b < line_start);
    let last = boundaries.partition_point(|&b| b < offset);
    let column = 1 + (last - first) as u64;
    assert_eq!((location.line, location.column), (line, column), "{what}: line and column of byte {offset}");
}

/// The invariants of one report of `data` (one dataset of one file).
fn assert_report_invariants(data: &[u8], report: &Report, how: &str) {
    let boundaries = char_boundaries(data);
    let mut previous: Option<(u64, &str)> = None;
    let (mut errors, mut warnings, mut infos) = (0, 0, 0);
    for (index, diagnostic) in report.diagnostics.iter().enumerate() {
        let what = format!("{how}: finding {index} ({} {})", diagnostic.rule.code(), diagnostic.message);
        match diagnostic.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
            Severity::Info => infos += 1,
        }
        assert!(!diagnostic.message.is_empty(), "{what}: no message");
        assert_eq!(diagnostic.file, NAME, "{what}: file");
        if let Some(pointer) = &diagnostic.pointer {
            assert!(pointer.is_empty() || pointer.starts_with('/'), "{what}: pointer {pointer:?}");
        }
        let Some(location) = diagnostic.location else {
            assert!(diagnostic.pointer.is_none(), "{what}: a dataset-level finding has a pointer");
            assert!(previous.is_none(), "{what}: a dataset-level finding after a finding in the file");
            assert!(diagnostic.source.is_none(), "{what}: a dataset-level finding has a source line");
            continue;
        };
        assert_location(data, &boundaries, &location, &what);
        for related in &diagnostic.related {
            assert!(related.file.is_none(), "{what}: a related location in another file of a one-file dataset");
            assert_location(data, &boundaries, &related.location, &format!("{what}, related {:?}", related.message));
        }
        let key = (location.offset, diagnostic.rule.code());
        assert!(previous.is_none_or(|previous| previous <= key), "{what}: out of order after {previous:?}");
        previous = Some(key);
        if let Some(source) = &diagnostic.source {
            assert_eq!(source.line, location.line, "{what}: source line number");
            assert!(!source.labels.is_empty(), "{what}: a source line without the primary label");
            for label in &source.labels {
                let end = label.start + label.len;
                assert!(
                    end <= source.text.len()
                        && source.text.is_char_boundary(label.start)
                        && source.text.is_char_boundary(end),
                    "{what}: label {}+{} outside the drawn text {:?}",
                    label.start,
                    label.len,
                    source.text
                );
            }
        }
    }

    assert_eq!(report.datasets.len(), 1, "{how}: one dataset");
    let summary = &report.datasets[0];
    assert_eq!(
        (summary.errors, summary.warnings, summary.infos),
        (errors, warnings, infos),
        "{how}: the summary's counts"
    );
    let (lines, examples) = count_lines(data);
    let stopped_early = summary.lines == 0 && report.diagnostics.len() <= 1;
    if !stopped_early {
        assert_eq!((summary.lines, summary.examples), (lines, examples), "{how}: lines and examples");
    }
}

/// Physical lines and examples (non-blank lines) of `data`, counted the simple way.
fn count_lines(data: &[u8]) -> (u64, u64) {
    let mut lines = 0;
    let mut examples = 0;
    let mut start = 0;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        let mut line = &data[start..end];
        if start == 0 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        lines += 1;
        examples += u64::from(!line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')));
        start = end + 1;
    }
    (lines, examples)
}

/// Renders `report` in every format; the JSON ones must parse.
fn render_every_format(report: &Report) {
    for format in Format::ALL {
        let mut out = Vec::new();
        {
            let mut renderer = renderer(format, Box::new(&mut out), &RenderOptions::new(report.target));
            renderer.start_dataset(NAME).expect("rendering into memory");
            for diagnostic in &report.diagnostics {
                renderer.diagnostic(diagnostic.clone()).expect("rendering into memory");
            }
            for dataset in &report.datasets {
                renderer.finish_dataset(dataset).expect("rendering into memory");
            }
            renderer.finish(&report.summary()).expect("rendering into memory");
        }
        let text = String::from_utf8(out).unwrap_or_else(|_| panic!("`{}` output is not UTF-8", format.as_str()));
        match format {
            Format::Json | Format::Sarif => {
                serde_json::from_str::<IgnoredAny>(&text)
                    .unwrap_or_else(|error| panic!("`{}` output is not JSON: {error}", format.as_str()));
            }
            Format::Jsonl => {
                for line in text.lines() {
                    serde_json::from_str::<IgnoredAny>(line)
                        .unwrap_or_else(|error| panic!("a `jsonl` line is not JSON ({error}): {line}"));
                }
                assert_eq!(text.lines().count(), report.diagnostics.len(), "`jsonl` has one line per finding");
            }
            Format::Github => {
                assert_eq!(text.lines().count(), report.diagnostics.len(), "`github` has one line per finding");
            }
            Format::Full | Format::Concise => {}
        }
    }
}

/// The layouts the first byte of a convert input picks from: detection, then each layout.
const LAYOUTS: [Option<Layout>; 15] = [
    None,
    Some(Layout::Fireworks),
    Some(Layout::Shp),
    Some(Layout::Pku),
    Some(Layout::Nectar),
    Some(Layout::UltraFeedback),
    Some(Layout::StackExchange),
    Some(Layout::ShareGpt),
    Some(Layout::ChosenRejectedMessages),
    Some(Layout::MessagesPair),
    Some(Layout::Alpaca),
    Some(Layout::Orca),
    Some(Layout::Hh),
    Some(Layout::Trl),
    Some(Layout::Mapped),
];

/// The conversion options two bytes stand for: the first picks the layout (low four bits), the
/// `PKU` axis, the `UltraFeedback` score (or a 64-byte record-size cap) and a minimum margin; the second the target, the
/// multi-turn policy, merging, pairing and the prompt split.
#[must_use]
pub fn convert_options(layout_byte: u8, option_byte: u8) -> ConvertOptions {
    let mut options = ConvertOptions {
        layout: LAYOUTS[usize::from(layout_byte & 0x0F) % LAYOUTS.len()],
        ..ConvertOptions::default()
    };
    if options.layout == Some(Layout::Mapped) {
        // The map of the `mapped` corpus sample (`tests/convert/mapped`); short keys a fuzzer finds.
        options.map =
            Some(FieldMap { prompt: "q".into(), chosen: "a".into(), rejected: "b".into(), system: Some("s".into()) });
    }
    options.pku_axis = if layout_byte & 0x10 == 0 { PkuAxis::Safer } else { PkuAxis::Better };
    options.score_key = match (layout_byte >> 5) & 3 {
        0 | 3 => ScoreKey::FineGrained,
        1 => ScoreKey::Overall,
        _ => ScoreKey::Aspect("honesty".into()),
    };
    // The fourth score-key pattern (fine-grained, like the first) also sets a tiny record-size cap,
    // so that records over it, cut mid-line or mid-element, are common in small inputs.
    if (layout_byte >> 5) & 3 == 3 {
        options.max_record_bytes = 64;
    }
    options.min_margin = if layout_byte & 0x80 == 0 { 0.0 } else { 0.5 };
    options.target =
        [Target::Fireworks, Target::OpenAi, Target::Together, Target::Together][usize::from(option_byte & 3)];
    options.multi_turn = match (option_byte >> 2) & 3 {
        0 | 3 => MultiTurnPolicy::Drop,
        1 => MultiTurnPolicy::Flatten,
        // `keep` is for Together only (the converter refuses it otherwise).
        _ if options.target == Target::Together => MultiTurnPolicy::Keep,
        _ => MultiTurnPolicy::Flatten,
    };
    options.merge_consecutive = option_byte & 0x10 != 0;
    options.pairing = match (option_byte >> 5) & 3 {
        0 | 3 => Pairing::BestVsWorst,
        1 => Pairing::BestVsRandom { seed: 7 },
        _ => Pairing::AllPairs,
    };
    options.prompt_split = if option_byte & 0x80 == 0 { PromptSplit::None } else { PromptSplit::Char };
    options
}

/// Converts `data[2..]` with the options `data[0..2]` pick ([`convert_options`]), and asserts the
/// invariants listed in the module docs.
///
/// # Panics
/// When an invariant does not hold (the message says which).
pub fn convert_bytes(data: &[u8]) {
    let [layout_byte, option_byte, source @ ..] = data else {
        return;
    };
    let mut options = convert_options(*layout_byte, *option_byte);
    let one = convert(&options, 1, source);
    let two = convert(&options, 2, source);
    match (&one, &two) {
        (Ok((report_one, out_one)), Ok((report_two, out_two))) => {
            assert_eq!(report_one, report_two, "the report differs between 1 and 2 threads");
            assert_eq!(out_one, out_two, "the output differs between 1 and 2 threads");
        }
        (Err(one), Err(two)) => {
            assert_eq!(one, two, "the error differs between 1 and 2 threads");
            return;
        }
        _ => panic!("1 and 2 threads disagree on failing: {one:?} / {two:?}"),
    }
    let Ok((report, output)) = one else { return };

    assert_eq!(
        report.read,
        report.written + report.dropped_total(),
        "read == written + dropped does not hold: {report:?}"
    );
    assert_eq!(report.drops.len() as u64, report.dropped_total(), "each drop is listed once");
    assert!(report.pairs >= report.written, "fewer lines than written records");
    assert!(output.is_empty() || output.ends_with(b"\n"), "the output does not end with a newline");
    let lines = memchr::memchr_iter(b'\n', &output).count() as u64;
    assert_eq!(lines, report.pairs, "the output has {lines} lines for {} pairs", report.pairs);
    if options.layout.is_some() {
        assert!(!report.detected, "a given layout is reported as detected");
    }

    // The output passes `check` for its target: no error finding in any line (the example-count
    // rules aside: a small source still converts).
    let target_index = match options.target {
        Target::Fireworks => 0,
        Target::OpenAi => 1,
        Target::Together => 2,
    };
    let checked = validators().targets[target_index]
        .check_bytes("converted.jsonl", &output)
        .expect("converted output is a dataset");
    if let Some(error) = checked.diagnostics.iter().find(|d| d.severity == Severity::Error && d.location.is_some()) {
        panic!(
            "converted output fails check: {} {} at line {:?}: {}\n{}",
            error.rule.code(),
            error.message,
            error.line(),
            String::from_utf8_lossy(&output),
            describe(error)
        );
    }

    // Converting the output again as the target layout changes nothing.
    options.layout = Some(Layout::Fireworks);
    options.max_record_bytes = ConvertOptions::default().max_record_bytes;
    options.pairing = Pairing::BestVsWorst;
    let (again, output_again) = convert(&options, 1, &output)
        .unwrap_or_else(|error| panic!("the converted output does not convert again: {error}"));
    assert_eq!(again.read, report.pairs, "re-reading the output");
    assert_eq!(again.written, again.read, "records of the output are dropped when converted again: {again:?}");
    assert!(
        output_again == output,
        "converting the output again changes it:\n{}\n--- became ---\n{}",
        String::from_utf8_lossy(&output),
        String::from_utf8_lossy(&output_again)
    );
}

fn describe(diagnostic: &Diagnostic) -> String {
    let mut text = String::new();
    if let Some(source) = &diagnostic.source {
        let _ = write!(text, "{}", source.text);
    }
    text
}

/// One conversion of `source` into memory; errors as their messages.
fn convert(options: &ConvertOptions, threads: usize, source: &[u8]) -> Result<(ConvertReport, Vec<u8>), String> {
    let mut options = options.clone();
    options.threads = threads;
    let converter = Converter::new(options).map_err(|error| format!("options refused: {error}"))?;
    let mut output = Vec::new();
    let report = converter
        .convert_reader("fuzz.jsonl", Cursor::new(source.to_vec()), &mut output, None)
        .map_err(|error| error.to_string())?;
    Ok((report, output))
}

/// A JSON value as `serde_json` sees it, object members in order with every duplicate.
#[derive(Debug)]
enum Shape {
    Null,
    Bool(bool),
    Integer(i128),
    Float,
    String(String),
    Array(Vec<Shape>),
    Object(Vec<(String, Shape)>),
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Shape, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Null)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Shape, E> {
        Ok(Shape::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Shape, E> {
        Ok(Shape::Integer(i128::from(value)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Shape, E> {
        Ok(Shape::Integer(i128::from(value)))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Float)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Shape, E> {
        Ok(Shape::String(value.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let mut elements = Vec::new();
        while let Some(element) = seq.next_element()? {
            elements.push(element);
        }
        Ok(Shape::Array(elements))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Shape>()? {
            members.push((key, value));
        }
        Ok(Shape::Object(members))
    }
}

/// The canonical encoding of decoded text, written independently of the parser's: `"` `\` and the
/// short control escapes, other C0 controls as lowercase `\u00xx`, everything else literal.
fn canonical_of(text: &str) -> Vec<u8> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{0}'..='\u{1f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            _ => out.push(c),
        }
    }
    out.into_bytes()
}

/// The deepest nesting of arrays and objects on a tape (0 for a scalar).
fn tape_depth(tape: &Tape) -> usize {
    // Each container's subtree ends at `next`: a stack of open ends gives the depth.
    let mut open_ends: Vec<u32> = Vec::new();
    let mut deepest = 0;
    for (index, node) in tape.nodes.iter().enumerate() {
        while open_ends.last().is_some_and(|&end| end as usize <= index) {
            open_ends.pop();
        }
        if matches!(node.kind, Kind::Array | Kind::Object) {
            open_ends.push(node.next);
            deepest = deepest.max(open_ends.len());
        }
    }
    deepest
}

/// Compares the line parser with `serde_json` on `data` as one line.
///
/// The intended differences, each asserted rather than skipped:
/// - Nesting: `parse_line` rejects more than `max_depth` (128) nested arrays and objects as
///   "nesting too deep"; `serde_json`'s validation (`IgnoredAny`) has no limit, and its value
///   parsing stops at 128 (a recursion limit, one lower than dpolint's). So accept/reject is
///   compared with no depth limit on dpolint's side, and the limit is checked on its own: it
///   rejects exactly the inputs nested deeper than 128, with `TooDeep` at the first bracket past it.
/// - Lone surrogate escapes (`"\ud800"`), duplicate keys and escaped control characters are valid
///   JSON syntax to both (dpolint flags them for DPO008, DPO007 and DPO009); `serde_json` refuses a
///   lone surrogate only when it decodes the string.
/// - Bytes that are not UTF-8 inside strings: both parsers accept them at this level (the line's
///   UTF-8 is checked before parsing, as DPO001). The value comparison runs on UTF-8 input only.
/// - Numbers are kept as written by dpolint; `serde_json` turns them into `u64`, `i64` or `f64` and
///   refuses those beyond `f64`'s range. Integers are compared exactly; a refused number must be
///   out of range.
///
/// # Panics
/// When the parsers disagree beyond these differences, or a parse result breaks the tape's own
/// invariants.
pub fn parse_differential(data: &[u8]) {
    let mut tape = Tape::default();
    let unbounded = parse_line(data, &mut tape, usize::MAX);
    let serde = serde_json::from_slice::<IgnoredAny>(data);
    assert_eq!(
        unbounded.is_ok(),
        serde.is_ok(),
        "accept/reject differs: dpolint {unbounded:?}, serde_json {:?}",
        serde.as_ref().err().map(ToString::to_string)
    );
    if let Err(error) = &unbounded {
        assert!(error.offset <= data.len(), "error offset {} past the end", error.offset);
        if let Ok(text) = std::str::from_utf8(data) {
            assert!(text.is_char_boundary(error.offset), "error offset {} inside a character", error.offset);
        }
        if error.is_unexpected_end() {
            assert_eq!(error.offset, data.len(), "an unexpected end that is not at the end");
        }
    }
    let depth = if unbounded.is_ok() { tape_depth(&tape) } else { 0 };
    if unbounded.is_ok() {
        assert_tape_invariants(data, &tape);
    }

    // The depth limit, and the document validator against the line parser.
    let mut bounded_tape = Tape::default();
    let bounded = parse_line(data, &mut bounded_tape, MAX_DEPTH);
    match (&unbounded, &bounded) {
        (Ok(()), Ok(())) => assert!(depth <= MAX_DEPTH, "{depth} levels accepted under a limit of {MAX_DEPTH}"),
        (Ok(()), Err(error)) => {
            assert!(depth > MAX_DEPTH, "{depth} levels refused under a limit of {MAX_DEPTH}: {error:?}");
            assert_eq!(error.kind, SyntaxErrorKind::TooDeep(MAX_DEPTH), "the reason for refusing deep input");
        }
        (Err(_), Ok(())) => panic!("accepted only with a depth limit"),
        (Err(unbounded), Err(bounded)) if bounded.kind == SyntaxErrorKind::TooDeep(MAX_DEPTH) => {
            assert!(unbounded.offset > bounded.offset, "the depth limit hit after the syntax error");
        }
        (Err(unbounded), Err(bounded)) => assert_eq!(unbounded, bounded, "a depth limit changed the syntax error"),
    }
    let document = validate_document(data, &mut Tape::default(), MAX_DEPTH);
    assert_eq!(document, bounded, "validate_document and parse_line disagree");

    // Where both accept a UTF-8 line: the values, as far as dpolint keeps them.
    let (Ok(()), Ok(text)) = (&unbounded, std::str::from_utf8(data)) else {
        return;
    };
    match serde_json::from_str::<Shape>(text) {
        Ok(shape) => {
            assert!(tape.flags & LONE_SURROGATE == 0, "serde_json decoded a string dpolint says has a lone surrogate");
            let next = compare_shape(data, &tape, 0, &shape);
            assert_eq!(next, tape.nodes.len(), "nodes left over after the value");
        }
        Err(error) => {
            let message = error.to_string();
            if message.starts_with("recursion limit exceeded") {
                assert!(depth >= 128, "serde_json's recursion limit at depth {depth}");
            } else if message.starts_with("number out of range") {
                let huge = tape.nodes.iter().filter(|node| node.kind == Kind::Number).any(|node| {
                    let number = std::str::from_utf8(&data[node.start as usize..node.end as usize]).unwrap_or("0");
                    number.parse::<f64>().is_ok_and(|value| value.abs() > 1.7e308)
                });
                assert!(huge, "serde_json says a number is out of range; none is: {message}");
            } else if ["lone leading surrogate", "unexpected end of hex escape", "invalid unicode code point"]
                .iter()
                .any(|reason| message.starts_with(reason))
            {
                assert!(tape.flags & LONE_SURROGATE != 0, "serde_json refuses a surrogate dpolint accepts: {message}");
            } else {
                panic!("serde_json cannot read a value dpolint accepts: {message}");
            }
        }
    }
}

/// Structural invariants of a tape: spans nest, tokens start and end with their delimiters, counts
/// and `next` links agree.
fn assert_tape_invariants(data: &[u8], tape: &Tape) {
    assert!(!tape.nodes.is_empty(), "an accepted line with no node");
    assert_eq!(tape.nodes[0].next as usize, tape.nodes.len(), "the root does not span the tape");
    for (index, node) in tape.nodes.iter().enumerate() {
        let (start, end) = (node.start as usize, node.end as usize);
        assert!(start < end && end <= data.len(), "node {index} span {start}..{end}");
        assert!(node.next as usize > index && node.next as usize <= tape.nodes.len(), "node {index} next link");
        let (first, last) = (data[start], data[end - 1]);
        let delimiters_ok = match node.kind {
            Kind::String => first == b'"' && last == b'"' && end - start >= 2,
            Kind::Array => first == b'[' && last == b']',
            Kind::Object => first == b'{' && last == b'}',
            Kind::Null => &data[start..end] == b"null",
            Kind::Bool => matches!(&data[start..end], b"true" | b"false"),
            Kind::Number => first == b'-' || first.is_ascii_digit(),
        };
        assert!(delimiters_ok, "node {index} ({:?}) spans {:?}", node.kind, String::from_utf8_lossy(&data[start..end]));
        if matches!(node.kind, Kind::Array | Kind::Object) {
            let mut children = 0;
            let mut child = index + 1;
            let mut previous_end = start;
            while child < node.next as usize {
                let child_node = &tape.nodes[child];
                assert!(
                    child_node.start as usize > previous_end && (child_node.end as usize) < end,
                    "node {child} is not inside its parent {index} after its previous sibling"
                );
                previous_end = child_node.end as usize;
                children += 1;
                child = child_node.next as usize;
            }
            assert_eq!(child, node.next as usize, "node {index}'s children overrun it");
            let expected = if node.kind == Kind::Object { children / 2 } else { children };
            if node.kind == Kind::Object {
                assert_eq!(children % 2, 0, "object {index} has a key without a value");
            }
            assert_eq!(node.count, expected, "node {index} count");
        } else {
            assert_eq!(node.next as usize, index + 1, "scalar node {index} has children");
        }
    }
}

/// Compares the value at tape node `index` with `shape`; returns the index after its subtree.
fn compare_shape(data: &[u8], tape: &Tape, index: usize, shape: &Shape) -> usize {
    let node = &tape.nodes[index];
    let raw = &data[node.start as usize..node.end as usize];
    let shown = || String::from_utf8_lossy(raw).into_owned();
    match (node.kind, shape) {
        (Kind::Null, Shape::Null) => index + 1,
        (Kind::Bool, Shape::Bool(value)) => {
            assert_eq!(raw == b"true", *value, "boolean {}", shown());
            index + 1
        }
        (Kind::Number, Shape::Integer(value)) => {
            let written = std::str::from_utf8(raw).ok().and_then(|text| text.parse::<i128>().ok());
            assert_eq!(written, Some(*value), "integer {}", shown());
            index + 1
        }
        (Kind::Number, Shape::Float) => {
            let is_integer_text = !raw.iter().any(|b| matches!(b, b'.' | b'e' | b'E'));
            if is_integer_text {
                // serde_json reads integers beyond 64 bits, and `-0`, as floats.
                let value = std::str::from_utf8(raw).ok().and_then(|text| text.parse::<i128>().ok());
                let fits = value.is_some_and(|value| {
                    (value != 0 || raw[0] != b'-') && (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&value)
                });
                assert!(!fits, "serde_json read the integer {} as a float", shown());
            }
            index + 1
        }
        (Kind::String, Shape::String(text)) => {
            compare_string(data, tape, index, text);
            index + 1
        }
        (Kind::Array, Shape::Array(elements)) => {
            assert_eq!(node.count as usize, elements.len(), "array length of {}", shown());
            let mut child = index + 1;
            for element in elements {
                child = compare_shape(data, tape, child, element);
            }
            assert_eq!(child, node.next as usize, "array subtree of {}", shown());
            child
        }
        (Kind::Object, Shape::Object(members)) => {
            assert_eq!(node.count as usize, members.len(), "member count of {}", shown());
            let mut child = index + 1;
            for (key, value) in members {
                assert_eq!(tape.nodes[child].kind, Kind::String, "an object key that is not a string");
                compare_string(data, tape, child, key);
                child = compare_shape(data, tape, child + 1, value);
            }
            assert_eq!(child, node.next as usize, "object subtree of {}", shown());
            let mut keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
            keys.sort_unstable();
            let duplicates = keys.windows(2).any(|pair| pair[0] == pair[1]);
            assert_eq!(node.has(DUPLICATE_KEYS), duplicates, "duplicate-key flag of {}", shown());
            child
        }
        (kind, shape) => panic!("dpolint reads {} as {kind:?}, serde_json as {shape:?}", shown()),
    }
}

/// Compares a string node's decoded and canonical text, and its flags, with `serde_json`'s text.
fn compare_string(data: &[u8], tape: &Tape, index: usize, text: &str) {
    let node = &tape.nodes[index];
    let raw = &data[node.start as usize + 1..node.end as usize - 1];
    assert_eq!(tape.text(data, node).as_ref(), text.as_bytes(), "decoded text of {}", String::from_utf8_lossy(raw));
    assert_eq!(
        tape.canonical(data, node),
        canonical_of(text).as_slice(),
        "canonical text of {}",
        String::from_utf8_lossy(raw)
    );
    assert_eq!(node.has(ESCAPED), raw.contains(&b'\\'), "escape flag of {}", String::from_utf8_lossy(raw));
    let control = text.chars().any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r'));
    assert_eq!(node.has(CONTROL_CHARACTER), control, "control-character flag of {}", String::from_utf8_lossy(raw));
}
