//! The check pipeline: a dataset's files are read once, cut into newline-aligned chunks, checked by
//! the pool's workers in parallel, and merged back in file order on the calling thread, which feeds
//! the duplicate index and the sink. At most a few chunks per worker are in flight, so memory stays
//! flat and the first findings come out while the rest of the file is still being read.

use std::collections::HashMap;
use std::fs;
use std::ops::Range;
use std::path::Path;

use memchr::memchr;

use super::dataset::{Dataset, LayoutProblem, Shard};
use super::duplicates::{DuplicateIndex, Seen};
use super::{DatasetSummary, Options, Sink, Validator};
use crate::config::PerFileIgnores;
use crate::diagnostic::{Diagnostic, Location, OrderKey, Related};
use crate::error::Error;
use crate::parse::{Tape, parse_line_with_limits, validate_document};
use crate::rules::line::{LineRules, LineScratch, check_line, max_values, oversized_line};
use crate::rules::record::Finding;
use crate::rules::{Rule, Severity};
use crate::source::{
    Chunk, LFS_POINTER, MappedFile, OrderedError, OversizedLine, Reader, STREAM_BLOCK, Segment, SegmentBytes,
    SegmentReader, SliceReader, StreamReader, run_in_order, utf16_encoding,
};
use crate::span::{ColumnCounter, SourceLine, column};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How many findings may wait for the DPO401 verdict (which comes first in the output) before they
/// are let through anyway.
const HOLD_LIMIT: usize = 100_000;

/// A worker stops its chunk after the line that takes it to this many findings (or records) and
/// hands the rest back to be checked as a task of its own: a chunk of tiny broken lines would
/// otherwise carry millions of findings, and several such chunks are in flight at once.
const CHUNK_FINDINGS_BUDGET: usize = 4_096;
const CHUNK_RECORDS_BUDGET: usize = 16_384;

/// Buffers one worker reuses from chunk to chunk.
#[derive(Default)]
pub(crate) struct WorkerScratch {
    line: LineScratch,
    findings: Vec<Finding>,
}

/// What a worker needs to know about the file its chunk comes from.
struct FileContext<'o> {
    options: &'o Options,
    display: &'o str,
    dataset: u32,
    file: u32,
    has_bom: bool,
    fingerprints: bool,
    /// The file's size, when known before reading (regular files).
    size: Option<u64>,
}

/// One record's key and place, for the duplicate index.
struct RecordEntry {
    /// 1-based line within the chunk.
    line: u64,
    /// The line's bytes within the chunk's segment, and its offset in the file.
    line_range: Range<usize>,
    line_offset: u64,
    offset: u64,
    length: u32,
    key: crate::fingerprint::RecordKey,
}

/// A worker's result for one chunk. Line numbers are relative to the chunk (1-based) until merged.
struct ChunkResult<'a> {
    /// The chunk's bytes, kept only when duplicate findings will need their source lines drawn
    /// (otherwise dropping it in the worker unmaps finished windows there, not on the merging
    /// thread).
    segment: Option<Segment<'a>>,
    /// Bytes in the chunk.
    len: usize,
    lines: u64,
    examples: u64,
    diagnostics: Vec<Diagnostic>,
    records: Vec<RecordEntry>,
    /// The part of the chunk the worker left unchecked because its budget ran out; it is checked
    /// next, under the same chunk index, before any later chunk is merged.
    rest: Option<Chunk<'a>>,
}

/// The state of one dataset while its files are checked.
struct DatasetRun<'s> {
    sink: &'s mut dyn Sink,
    index: u32,
    summary: DatasetSummary,
    /// Findings held back until the DPO401 verdict is known (`None` once it is).
    held: Option<Vec<Diagnostic>>,
    duplicates: DuplicateIndex,
    file_names: Vec<String>,
    /// Whether the example-count rules apply (not when a file was one JSON document or UTF-16).
    count_rules: bool,
    too_many_reported: bool,
    /// Lines of the current file merged so far.
    file_lines: u64,
    /// `per-file-ignores`: the options' patterns, and the rules they turn off per file name seen.
    ignores: &'s PerFileIgnores,
    ignored: HashMap<String, Vec<Rule>>,
}

impl DatasetRun<'_> {
    /// Whether `per-file-ignores` turns `rule` off for `file`.
    fn is_ignored(&mut self, rule: Rule, file: &str) -> bool {
        if self.ignores.is_empty() || file == "<stdin>" {
            return false;
        }
        let ignores = self.ignores;
        self.ignored.entry(file.to_string()).or_insert_with(|| ignores.ignored(Path::new(file))).contains(&rule)
    }

    fn emit(&mut self, diagnostic: Diagnostic) -> Result<(), Error> {
        if self.is_ignored(diagnostic.rule, &diagnostic.file) {
            return Ok(());
        }
        self.summary.count(diagnostic.severity);
        match &mut self.held {
            Some(held) if held.len() < HOLD_LIMIT => {
                held.push(diagnostic);
                Ok(())
            }
            Some(_) => {
                self.release()?;
                self.sink.diagnostic(diagnostic).map_err(Error::Report)
            }
            None => self.sink.diagnostic(diagnostic).map_err(Error::Report),
        }
    }

    /// Lets held findings through, in order.
    fn release(&mut self) -> Result<(), Error> {
        for diagnostic in self.held.take().unwrap_or_default() {
            self.sink.diagnostic(diagnostic).map_err(Error::Report)?;
        }
        Ok(())
    }

    fn dataset_level(&self, rule: Rule, severity: Severity, file: String, message: String, help: String) -> Diagnostic {
        Diagnostic {
            rule,
            severity,
            message,
            help: Some(help),
            file,
            location: None,
            pointer: None,
            related: Vec::new(),
            source: None,
            order: OrderKey { dataset: self.index, file: 0, offset: 0, rule: rule as u8 },
        }
    }
}

impl Validator {
    pub(super) fn check_dataset(
        &self,
        index: u32,
        mut dataset: Dataset<'_>,
        sink: &mut dyn Sink,
    ) -> Result<DatasetSummary, Error> {
        sink.start_dataset(&dataset.display).map_err(Error::Report)?;
        let rules = &self.options.rules;
        let mut run = DatasetRun {
            sink,
            index,
            summary: DatasetSummary { path: dataset.display.clone(), ..DatasetSummary::default() },
            held: Some(Vec::new()),
            duplicates: DuplicateIndex::default(),
            file_names: dataset.shards.iter().map(|shard| shard.display().to_string()).collect(),
            count_rules: true,
            too_many_reported: false,
            file_lines: 0,
            ignores: &self.options.per_file_ignores,
            ignored: HashMap::new(),
        };

        // A UTF-16 file makes every line garbage: report that once and nothing else for the dataset.
        for (file, shard) in dataset.shards.iter_mut().enumerate() {
            let head = shard.head(4)?;
            if let Some(encoding) = utf16_encoding(&head) {
                run.count_rules = false;
                if let Some(severity) = rules.severity(Rule::InvalidUtf8) {
                    let diagnostic =
                        self.utf16_diagnostic(&run, file as u32, shard.display(), encoding, &head, severity);
                    run.emit(diagnostic)?;
                }
                return self.finish_dataset(run);
            }
        }

        if let Some(severity) = rules.severity(Rule::ShardLayout) {
            for LayoutProblem { display, message, help } in std::mem::take(&mut dataset.layout_problems) {
                let diagnostic =
                    run.dataset_level(Rule::ShardLayout, severity, display, message.to_string(), help.to_string());
                run.emit(diagnostic)?;
            }
        }
        for (file, shard) in dataset.shards.into_iter().enumerate() {
            run.summary.files += 1;
            self.check_file(file as u32, shard, &mut run)?;
        }
        self.finish_dataset(run)
    }

    fn finish_dataset(&self, mut run: DatasetRun<'_>) -> Result<DatasetSummary, Error> {
        let target = self.options.target;
        let dataset_path = run.summary.path.clone();
        if run.count_rules
            && run.summary.examples < target.min_examples()
            && let Some(severity) = self.options.rules.severity(Rule::TooFewExamples)
            && !run.is_ignored(Rule::TooFewExamples, &dataset_path)
        {
            let examples = run.summary.examples;
            let diagnostic = run.dataset_level(
                Rule::TooFewExamples,
                severity,
                run.summary.path.clone(),
                format!(
                    "the dataset has {examples} example{}: {} needs at least {}",
                    if examples == 1 { "" } else { "s" },
                    target.display_name(),
                    target.min_examples()
                ),
                "add examples (a few hundred or more are needed for DPO to learn anything); blank lines do not count"
                    .to_string(),
            );
            run.summary.count(severity);
            // Dataset-level findings come first: put it ahead of whatever was held back.
            match &mut run.held {
                Some(held) => held.insert(0, diagnostic),
                None => run.sink.diagnostic(diagnostic).map_err(Error::Report)?,
            }
        }
        run.release()?;
        run.sink.finish_dataset(&run.summary).map_err(Error::Report)?;
        Ok(run.summary)
    }

    fn utf16_diagnostic(
        &self,
        run: &DatasetRun<'_>,
        file: u32,
        display: &str,
        encoding: &str,
        head: &[u8],
        severity: Severity,
    ) -> Diagnostic {
        let length = head.len().min(2) as u64;
        let source = self
            .options
            .source_lines
            .then(|| SourceLine::build(&head[..length as usize], 1, &[(0, length as usize, None)]));
        Diagnostic {
            rule: Rule::InvalidUtf8,
            severity,
            message: format!("the file looks like {encoding}, not UTF-8: nothing else in the dataset was checked"),
            help: Some(format!(
                "re-encode it as UTF-8, e.g. `iconv -f {} -t UTF-8 in.jsonl > out.jsonl` (PowerShell 5 writes UTF-16 with `>`; use `Out-File -Encoding utf8`)",
                if encoding.contains("big") { "UTF-16BE" } else { "UTF-16" }
            )),
            file: display.to_string(),
            location: Some(Location { offset: 0, length, line: 1, column: 1 }),
            pointer: None,
            related: Vec::new(),
            source,
            order: OrderKey { dataset: run.index, file: file + 1, offset: 0, rule: Rule::InvalidUtf8 as u8 },
        }
    }

    fn open<'a>(&self, shard: Shard<'a>) -> Result<(Reader<'a>, Option<(std::path::PathBuf, u64)>), Error> {
        Ok(match shard {
            Shard::Bytes { bytes, .. } => (Reader::Slice(SliceReader::new(bytes)), None),
            Shard::Stream { reader, .. } => (Reader::Stream(reader.with_max_line(self.options.max_line_bytes)), None),
            Shard::File { path, .. } => {
                let file = fs::File::open(&path).map_err(|error| Error::io(&path, error))?;
                let len = file.metadata().map_err(|error| Error::io(&path, error))?.len();
                let max_line = self.options.max_line_bytes;
                let reader = if self.options.memory_map && len > 0 {
                    Reader::Mapped(MappedFile::new(file, len, self.options.window_size).with_max_line(max_line))
                } else {
                    Reader::File(StreamReader::new(file, STREAM_BLOCK).with_max_line(max_line))
                };
                (reader, Some((path, len)))
            }
        })
    }

    fn check_file(&self, file: u32, shard: Shard<'_>, run: &mut DatasetRun<'_>) -> Result<(), Error> {
        let display = shard.display().to_string();
        let (mut reader, sized) = self.open(shard)?;
        let read_error = |error| Error::io(&display, error);
        run.file_lines = 0;
        let Some(mut first) = reader.next_segment().map_err(read_error)? else {
            return Ok(());
        };
        if first.base == 0 && first.as_slice().starts_with(LFS_POINTER) {
            return Err(Error::LfsPointer { path: display.into() });
        }
        let has_bom = first.base == 0 && first.starts_with_bom();
        let context = FileContext {
            options: &self.options,
            display: &display,
            dataset: run.index,
            file,
            has_bom,
            size: sized.as_ref().map(|(_, size)| *size),
            fingerprints: self.options.rules.is_enabled(Rule::DuplicateExample)
                || self.options.rules.is_enabled(Rule::ConflictingPreference),
        };

        // A whole document is only read into memory when it fits under the line-size limit.
        let content_start = if has_bom { BOM.len() } else { 0 };
        let max_line_bytes = self.options.max_line_bytes;
        if starts_like_a_document(first.as_slice(), content_start, self.options.max_depth, max_line_bytes)
            && fits_under(&first, &mut reader, self.options.max_line_bytes).map_err(read_error)?
        {
            let (whole, document) = Self::read_whole(first, reader).map_err(read_error)?;
            if let Some(start) = document_start(whole.as_slice(), has_bom, self.options.max_depth) {
                run.count_rules = false;
                if let Some(severity) = self.options.rules.severity(Rule::InvalidJson) {
                    let diagnostic = document_diagnostic(&context, whole.as_slice(), start, severity);
                    run.emit(diagnostic)?;
                }
                return Ok(());
            }
            first = whole;
            reader = document;
        }

        if has_bom && let Some(severity) = self.options.rules.severity(Rule::ByteOrderMark) {
            // An oversized first line was not read: no source line to draw.
            let source = (self.options.source_lines && !first.as_slice().is_empty()).then(|| {
                let line_end = memchr(b'\n', first.as_slice()).unwrap_or(first.as_slice().len());
                SourceLine::build(&first.as_slice()[..line_end], 1, &[(0, BOM.len(), None)])
            });
            run.emit(Diagnostic {
                    rule: Rule::ByteOrderMark,
                    severity,
                    message: "the file starts with a UTF-8 byte order mark (EF BB BF)".into(),
                    help: Some("save the file as UTF-8 without BOM; many JSON parsers reject the first line otherwise (`dpolint convert --from fireworks` strips it)".into()),
                    file: display.clone(),
                    location: Some(Location { offset: 0, length: BOM.len() as u64, line: 1, column: 1 }),
                    pointer: None,
                    related: Vec::new(),
                    source,
                    order: OrderKey { dataset: run.index, file: file + 1, offset: 0, rule: Rule::ByteOrderMark as u8 },
                })?;
        }

        self.run_chunks(first, &mut reader, &context, run).map_err(|error| match error {
            OrderedError::Read(error) => read_error(error),
            OrderedError::Merge(error) => error,
        })?;

        if let Some((path, before)) = sized {
            let after = fs::metadata(&path).map_err(|error| Error::io(&path, error))?.len();
            if after != before || reader.changed() {
                return Err(Error::FileChanged { path, before, after });
            }
        }
        Ok(())
    }

    /// Reads the whole input into one segment (to check whether it is one JSON document), and
    /// returns a reader that has nothing left.
    fn read_whole<'a>(first: Segment<'a>, reader: Reader<'a>) -> std::io::Result<(Segment<'a>, Reader<'a>)> {
        let empty = Reader::Slice(SliceReader::new(&[]));
        match reader {
            Reader::Mapped(mut mapped) => {
                // The same reader, so that a truncation under the whole-file window is still seen.
                mapped.rewind_whole();
                let whole = mapped.next_segment()?.unwrap_or(first);
                Ok((whole, Reader::Mapped(mapped)))
            }
            Reader::Stream(stream) => Ok((owned_whole(&first, &stream.read_to_end()?), empty)),
            Reader::File(stream) => Ok((owned_whole(&first, &stream.read_to_end()?), empty)),
            // A slice is one segment: `first` is already all of it.
            Reader::Slice(_) => Ok((first, empty)),
        }
    }

    fn run_chunks<'a>(
        &self,
        first: Segment<'a>,
        reader: &mut Reader<'a>,
        context: &FileContext<'_>,
        run: &mut DatasetRun<'_>,
    ) -> Result<(), OrderedError<Error>> {
        let scratch = &self.scratch;
        run_in_order(
            &self.pool,
            self.options.chunk_size,
            first,
            reader,
            &|segment, range| check_chunk(segment, range, context, scratch),
            &mut |line, base| oversized_chunk(line, base, context),
            &mut |mut result: ChunkResult<'a>| {
                let rest = result.rest.take();
                merge_chunk(result, context, run)?;
                Ok(rest)
            },
        )
    }
}

/// Whether the whole input (`first` and what `reader` has left) is at most `limit` bytes; reads
/// ahead at most `limit` bytes of a stream, without consuming them.
fn fits_under(first: &Segment<'_>, reader: &mut Reader<'_>, limit: usize) -> std::io::Result<bool> {
    let Some(room) = limit.checked_sub(first.as_slice().len()) else { return Ok(false) };
    Ok(match reader {
        Reader::Slice(_) => true,
        Reader::Mapped(mapped) => mapped.len() <= limit as u64,
        Reader::Stream(stream) => stream.peek(room + 1)?.len() <= room,
        Reader::File(stream) => stream.peek(room + 1)?.len() <= room,
    })
}

fn owned_whole<'a>(first: &Segment<'a>, rest: &[u8]) -> Segment<'a> {
    let mut bytes = first.as_slice().to_vec();
    bytes.extend_from_slice(rest);
    Segment { bytes: SegmentBytes::Owned(std::sync::Arc::new(bytes)), base: 0 }
}

/// Whether the first non-blank line fails to parse because it ends too early, as the first line of
/// a pretty-printed document or JSON array does.
fn starts_like_a_document(bytes: &[u8], content_start: usize, max_depth: usize, max_line_bytes: usize) -> bool {
    let mut start = content_start;
    let mut tape = Tape::default();
    while start < bytes.len() {
        let end = memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line = bytes[start..end].trim_ascii();
        if !line.is_empty() {
            let parsed = parse_line_with_limits(line, &mut tape, max_depth, max_values(max_line_bytes));
            return matches!(parsed, Err(error) if error.is_unexpected_end());
        }
        start = end + 1;
    }
    false
}

/// Where the single JSON document starts, when the whole input is exactly one JSON value.
fn document_start(bytes: &[u8], has_bom: bool, max_depth: usize) -> Option<usize> {
    let start = if has_bom { BOM.len() } else { 0 };
    let mut tape = Tape::default();
    validate_document(&bytes[start..], &mut tape, max_depth).ok()?;
    bytes[start..].iter().position(|b| !b.is_ascii_whitespace()).map(|i| start + i)
}

fn document_diagnostic(context: &FileContext<'_>, bytes: &[u8], start: usize, severity: Severity) -> Diagnostic {
    let line_start = bytes[..start].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line_number = memchr::memchr_iter(b'\n', &bytes[..start]).count() as u64 + 1;
    let line_end = memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
    let line = &bytes[line_start..line_end];
    let is_array = bytes[start] == b'[';
    let (message, help) = if is_array {
        (
            "this file is one JSON array, not JSONL (one JSON object per line)",
            "write one record per line: `jq -c '.[]' data.json > data.jsonl`",
        )
    } else {
        (
            "this file is one pretty-printed JSON document, not JSONL (one JSON object per line)",
            "write each record on a single line: `jq -c . data.json > data.jsonl`",
        )
    };
    let column_start = start - line_start;
    Diagnostic {
        rule: Rule::InvalidJson,
        severity,
        message: message.into(),
        help: Some(format!("{help}; nothing else in this file was checked")),
        file: context.display.to_string(),
        location: Some(Location {
            offset: start as u64,
            length: 1,
            line: line_number,
            column: column(line, column_start),
        }),
        pointer: None,
        related: Vec::new(),
        source: context.options.source_lines.then(|| SourceLine::build(line, line_number, &[(column_start, 1, None)])),
        order: OrderKey {
            dataset: context.dataset,
            file: context.file + 1,
            offset: start as u64,
            rule: Rule::InvalidJson as u8,
        },
    }
}

/// The result of a line that the reader skipped for its size: one example, one DPO010.
fn oversized_chunk<'a>(line: OversizedLine, base: u64, context: &FileContext<'_>) -> ChunkResult<'a> {
    let options = context.options;
    let content_start = if context.has_bom && base == 0 { BOM.len() } else { 0 };
    let mut diagnostics = Vec::new();
    if let Some(severity) = options.rules.severity(Rule::OversizedLine) {
        let record_len = line.len - u64::from(line.crlf) - content_start as u64;
        let finding = oversized_line(0, record_len, options.max_line_bytes);
        diagnostics.push(Diagnostic {
            rule: Rule::OversizedLine,
            severity,
            message: finding.message,
            help: finding.help,
            file: context.display.to_string(),
            // Line 1 of this one-line result, until the merge numbers it; a BOM counts as a column.
            location: Some(Location {
                offset: base + content_start as u64,
                length: record_len,
                line: 1,
                column: if content_start > 0 { 2 } else { 1 },
            }),
            pointer: None,
            related: Vec::new(),
            // Its bytes were never read into memory, so there is no source line to draw.
            source: None,
            order: OrderKey {
                dataset: context.dataset,
                file: context.file + 1,
                offset: base + content_start as u64,
                rule: Rule::OversizedLine as u8,
            },
        });
    }
    let len = usize::try_from(line.input_len()).unwrap_or(usize::MAX);
    ChunkResult { segment: None, len, lines: 1, examples: 1, diagnostics, records: Vec::new(), rest: None }
}

/// Checks every line of one chunk (runs on a worker).
fn check_chunk<'a>(
    segment: Segment<'a>,
    range: Range<usize>,
    context: &FileContext<'_>,
    pool: &std::sync::Mutex<Vec<WorkerScratch>>,
) -> ChunkResult<'a> {
    let mut scratch = pool.lock().map(|mut pool| pool.pop()).ok().flatten().unwrap_or_default();
    segment.prefault(range.clone());
    let options = context.options;
    let line_rules = LineRules {
        rules: &options.rules,
        target: options.target,
        max_depth: options.max_depth,
        max_line_bytes: options.max_line_bytes,
        fingerprints: context.fingerprints,
        tokens: &options.tokens,
        max_tokens: options.max_tokens.unwrap_or_else(|| options.target.default_max_tokens()),
    };
    let bytes = &segment.as_slice()[range.clone()];
    let chunk_offset = segment.base + range.start as u64;
    // One validation for the whole chunk; lines are validated one by one only when it fails.
    let chunk_is_utf8 = simdutf8::basic::from_utf8(bytes).is_ok();
    let mut diagnostics = Vec::new();
    let mut records = Vec::new();
    let mut examples = 0;
    let mut line_number = 0;
    let mut position = 0;
    while position < bytes.len() {
        let (end, next, terminated) = match memchr(b'\n', &bytes[position..]) {
            Some(i) => (position + i, position + i + 1, true),
            None => (bytes.len(), bytes.len(), false),
        };
        line_number += 1;
        let line = &bytes[position..end];
        let line_offset = chunk_offset + position as u64;
        let content_start = if context.has_bom && line_offset == 0 { BOM.len() } else { 0 };
        scratch.findings.clear();
        let outcome = check_line(
            line,
            terminated,
            content_start,
            chunk_is_utf8,
            &line_rules,
            &mut scratch.line,
            &mut scratch.findings,
        );
        examples += u64::from(outcome.is_example);
        if !scratch.findings.is_empty() {
            scratch.findings.sort_by_key(|finding| (finding.start, finding.rule));
            let mut columns = ColumnCounter::new(line, outcome.valid_utf8);
            for finding in scratch.findings.drain(..) {
                diagnostics.push(line_diagnostic(finding, line, line_offset, line_number, &mut columns, context));
            }
        }
        if let Some(key) = outcome.key {
            let line_start = range.start + position;
            records.push(RecordEntry {
                line: line_number,
                line_range: line_start..line_start + line.len(),
                line_offset,
                offset: line_offset + u64::from(outcome.record_start),
                length: outcome.record_len,
                key,
            });
        }
        position = next;
        if diagnostics.len() >= CHUNK_FINDINGS_BUDGET || records.len() >= CHUNK_RECORDS_BUDGET {
            break;
        }
    }
    if let Ok(mut pool) = pool.lock() {
        pool.push(scratch);
    }
    let rest = (position < bytes.len()).then(|| (segment.clone(), range.start + position..range.end));
    let segment = options.source_lines.then_some(segment);
    ChunkResult { segment, len: position, lines: line_number, examples, diagnostics, records, rest }
}

fn line_diagnostic(
    finding: Finding,
    line: &[u8],
    line_offset: u64,
    line_number: u64,
    columns: &mut ColumnCounter<'_>,
    context: &FileContext<'_>,
) -> Diagnostic {
    let rules = &context.options.rules;
    let severity = finding.severity.or(rules.severity(finding.rule)).unwrap_or(Severity::Error);
    let (start, end) = (finding.start as usize, finding.end as usize);
    let location = Location {
        offset: line_offset + start as u64,
        length: (end - start) as u64,
        line: line_number,
        column: columns.column_at(start),
    };
    let related: Vec<Related> = finding
        .related
        .iter()
        .map(|(related_start, related_end, message)| Related {
            message: message.clone(),
            file: None,
            location: Location {
                offset: line_offset + u64::from(*related_start),
                length: u64::from(related_end - related_start),
                line: line_number,
                column: column(line, *related_start as usize),
            },
        })
        .collect();
    let source = context.options.source_lines.then(|| {
        let mut spans = vec![(start, end - start, None)];
        spans.extend(
            finding.related.iter().map(|(s, e, message)| (*s as usize, (e - s) as usize, Some(message.clone()))),
        );
        SourceLine::build(line, line_number, &spans)
    });
    Diagnostic {
        rule: finding.rule,
        severity,
        message: finding.message,
        help: finding.help,
        file: context.display.to_string(),
        location: Some(location),
        pointer: finding.pointer,
        related,
        source,
        order: OrderKey {
            dataset: context.dataset,
            file: context.file + 1,
            offset: location.offset,
            rule: finding.rule as u8,
        },
    }
}

/// Merges one chunk's result in file order: fixes line numbers, runs the duplicate index, emits.
fn merge_chunk(mut result: ChunkResult<'_>, context: &FileContext<'_>, run: &mut DatasetRun<'_>) -> Result<(), Error> {
    let base = run.file_lines;
    if base == 0 && !result.records.is_empty() {
        // Size the duplicate tables once from the first chunk's record density, instead of
        // growing (and rehashing) them all through a large file.
        if let Some(size) = context.size {
            let expected = size as usize / result.len.max(1) * result.records.len();
            run.duplicates.reserve(expected + expected / 8);
        }
    }
    for diagnostic in &mut result.diagnostics {
        if let Some(location) = &mut diagnostic.location {
            location.line += base;
        }
        for related in &mut diagnostic.related {
            related.location.line += base;
        }
        if let Some(source) = &mut diagnostic.source {
            source.line += base;
        }
    }
    let found_duplicates = !result.records.is_empty() && duplicate_findings(&mut result, context, run, base);
    if found_duplicates {
        result.diagnostics.sort_by_key(Diagnostic::order);
    }
    run.file_lines += result.lines;
    run.summary.lines += result.lines;
    let emitted = !result.diagnostics.is_empty();
    for diagnostic in result.diagnostics {
        run.emit(diagnostic)?;
    }
    if emitted && run.held.is_none() {
        run.sink.flush().map_err(Error::Report)?;
    }
    run.summary.examples += result.examples;
    run.sink.progress(result.len as u64);
    let target = context.options.target;
    if run.held.is_some() && run.summary.examples >= target.min_examples() {
        run.release()?;
    }
    if run.summary.examples > target.max_examples() && !run.too_many_reported && run.count_rules {
        run.too_many_reported = true;
        if let Some(severity) = context.options.rules.severity(Rule::TooManyExamples) {
            let diagnostic = run.dataset_level(
                Rule::TooManyExamples,
                severity,
                run.summary.path.clone(),
                format!(
                    "the dataset has more than {} examples, the most {} accepts",
                    target.max_examples(),
                    target.display_name()
                ),
                "split it into several datasets, or sample it down".to_string(),
            );
            run.emit(diagnostic)?;
        }
    }
    Ok(())
}

/// Feeds the chunk's records to the duplicate index; returns whether any finding was added.
fn duplicate_findings(
    result: &mut ChunkResult<'_>,
    context: &FileContext<'_>,
    run: &mut DatasetRun<'_>,
    base: u64,
) -> bool {
    let mut added = false;
    for record in &result.records {
        let line = base + record.line;
        let here = Seen { file: context.file, line, offset: record.offset, length: record.length };
        let Some((rule, first)) = run.duplicates.observe(record.key, here) else {
            continue;
        };
        let Some(severity) = context.options.rules.severity(rule) else {
            continue;
        };
        let line_bytes = result.segment.as_ref().map(|segment| &segment.as_slice()[record.line_range.clone()]);
        let record_start = (record.offset - record.line_offset) as usize;
        let first_file = (first.file != context.file).then(|| run.file_names[first.file as usize].clone());
        let first_place = match &first_file {
            Some(file) => format!("{file}:{}", first.line),
            None => format!("line {}", first.line),
        };
        let (message, help, related_message) = if rule == Rule::DuplicateExample {
            (
                format!("this record duplicates the one on {first_place}"),
                "remove the repeat: duplicates weight that example twice and leak between train and test splits",
                "first occurrence",
            )
        } else {
            (
                format!(
                    "this record swaps the preferred and non-preferred answers of the one on {first_place} for the same input"
                ),
                "keep one of the two: opposite preferences for the same pair cancel out in training",
                "the same input with the answers the other way round",
            )
        };
        let location = Location {
            offset: record.offset,
            length: u64::from(record.length),
            line,
            // A record span starts at its line's start, or after the BOM (one character) on line 1.
            column: 1 + u64::from(record_start > 0),
        };
        let related = Related {
            message: related_message.into(),
            file: first_file,
            location: Location {
                offset: first.offset,
                length: u64::from(first.length),
                line: first.line,
                // A record span starts at its line's start, or after the BOM on line 1.
                column: if first.line == 1 && first.offset == BOM.len() as u64 { 2 } else { 1 },
            },
        };
        let source =
            line_bytes.map(|bytes| SourceLine::build(bytes, line, &[(record_start, record.length as usize, None)]));
        result.diagnostics.push(Diagnostic {
            rule,
            severity,
            message,
            help: Some(help.into()),
            file: context.display.to_string(),
            location: Some(location),
            pointer: Some(String::new()),
            related: vec![related],
            source,
            order: OrderKey {
                dataset: context.dataset,
                file: context.file + 1,
                offset: record.offset,
                rule: rule as u8,
            },
        });
        added = true;
    }
    added
}
