//! Reading a dataset for its statistics: the same readers and chunking as `check` (memory-mapped
//! windows or stream blocks, cut into newline-aligned chunks measured by a thread pool of its own).
//!
//! Everything but duplicates is a sum, so each worker adds into its own totals and the totals are
//! added up at the end: the result does not depend on which worker measured which chunk. Duplicate
//! and conflict detection depend on order ("an earlier record"), so record keys come back per chunk
//! and are fed to the duplicate index in file order, as `check` does.

use std::fs;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::Mutex;

use memchr::memchr;

use super::sketch::{RELATIVE_ERROR, Sketch};
use super::text::{Measure, measure_json_string};
use super::{
    Distribution, Duplicates, HistogramBin, Length, LengthBias, Lengths, RoleCounts, RoleStats, Share, Stats,
    TOKEN_ESTIMATOR, ToolStats,
};
use crate::convert::value::Value;
use crate::error::Error;
use crate::fingerprint::{RecordKey, fingerprint_nodes, record_key};
use crate::parse::{Kind, Tape, parse_line};
use crate::rules::Rule;
use crate::source::{
    MappedFile, OrderedError, Reader, STREAM_BLOCK, Segment, SegmentReader, SliceReader, StreamReader, run_in_order,
};
use crate::validate::dataset::{Dataset, Shard, resolve_path};
use crate::validate::duplicates::{DuplicateIndex, Seen};

const BOM: &[u8] = b"\xEF\xBB\xBF";
/// `check`'s default nesting limit: a record `check` rejects as too deep is unreadable here too.
const MAX_DEPTH: usize = 128;
/// Bins of the histograms in [`Distribution`].
const HISTOGRAM_BINS: usize = 20;

/// Collects the statistics of one dataset: a `.jsonl` file, a directory of `.jsonl` shards (read
/// in name order; other entries are skipped and counted), or `-` for standard input. `threads` is
/// the number of worker threads (0: one per available core); the result does not depend on it.
///
/// Fails (with the path in the error) when the path is missing or unreadable, a directory holds no
/// shard, or a file changes size while it is read.
pub fn collect_stats(path: &Path, threads: usize) -> Result<Stats, Error> {
    Collector::new(threads)?.collect(resolve_path(path)?)
}

/// Collects the statistics of bytes already in memory, as one single-file dataset named `name`.
/// Fails only when the worker threads cannot be started.
pub fn collect_stats_bytes(name: &str, bytes: &[u8], threads: usize) -> Result<Stats, Error> {
    Collector::new(threads)?.collect(Dataset {
        display: name.to_string(),
        shards: vec![Shard::Bytes { display: name.to_string(), bytes }],
        layout_problems: Vec::new(),
    })
}

/// Collects the statistics of a stream (read once, in blocks) as one single-file dataset named
/// `name`.
pub fn collect_stats_reader<'r>(name: &str, reader: impl Read + Send + 'r, threads: usize) -> Result<Stats, Error> {
    let reader: Box<dyn Read + Send + 'r> = Box::new(reader);
    Collector::new(threads)?.collect(Dataset {
        display: name.to_string(),
        shards: vec![Shard::Stream { display: name.to_string(), reader: StreamReader::new(reader, STREAM_BLOCK) }],
        layout_problems: Vec::new(),
    })
}

/// The pool and the tuning knobs (which never change the result).
pub(crate) struct Collector {
    pool: rayon::ThreadPool,
    chunk_size: usize,
    window_size: usize,
}

/// What one worker adds up, over every chunk it measures.
#[derive(Default)]
struct Totals {
    lines: u64,
    examples: u64,
    readable: u64,
    system_message: u64,
    tool_examples: u64,
    tool_definitions: u64,
    input_roles: RoleCounts,
    output_roles: RoleCounts,
    /// Characters and tokens of the prompt, the preferred and the non-preferred text.
    chars: [Sketch; 3],
    tokens: [Sketch; 3],
    preferred_longer: u64,
    non_preferred_longer: u64,
    /// Sum over pairs of ln((preferred + 1) / (non-preferred + 1)) in units of 2^-32: fixed point,
    /// so that the sum is exact and the same in any order.
    log_ratio_sum: i128,
}

impl Totals {
    fn add(&mut self, other: &Totals) {
        self.lines += other.lines;
        self.examples += other.examples;
        self.readable += other.readable;
        self.system_message += other.system_message;
        self.tool_examples += other.tool_examples;
        self.tool_definitions += other.tool_definitions;
        self.input_roles.add(&other.input_roles);
        self.output_roles.add(&other.output_roles);
        for (mine, theirs) in self.chars.iter_mut().zip(&other.chars).chain(self.tokens.iter_mut().zip(&other.tokens)) {
            mine.merge(theirs);
        }
        self.preferred_longer += other.preferred_longer;
        self.non_preferred_longer += other.non_preferred_longer;
        self.log_ratio_sum += other.log_ratio_sum;
    }

    fn record(&mut self, record: &RecordMeasure) {
        self.readable += 1;
        self.system_message += u64::from(record.has_system);
        self.tool_examples += u64::from(record.tool_definitions > 0);
        self.tool_definitions += record.tool_definitions;
        self.input_roles.add(&record.input_roles);
        self.output_roles.add(&record.output_roles);
        for (index, text) in record.texts.iter().enumerate() {
            self.chars[index].add(text.chars);
            self.tokens[index].add(text.tokens());
        }
        let (preferred, non_preferred) = (record.texts[1].chars, record.texts[2].chars);
        self.preferred_longer += u64::from(preferred > non_preferred);
        self.non_preferred_longer += u64::from(preferred < non_preferred);
        let log_ratio = (preferred as f64 + 1.0).ln() - (non_preferred as f64 + 1.0).ln();
        // |log_ratio| < 45 for any u64 lengths, so the scaled value fits an i64 easily.
        self.log_ratio_sum += i128::from((log_ratio * 4_294_967_296.0).round() as i64);
    }
}

/// Per-worker buffers, reused from chunk to chunk.
#[derive(Default)]
struct Scratch {
    tape: Tape,
    hashes: Vec<u128>,
    totals: Totals,
}

/// What a readable record adds (gathered first, so an unreadable record adds nothing).
#[derive(Default)]
struct RecordMeasure {
    has_system: bool,
    tool_definitions: u64,
    input_roles: RoleCounts,
    output_roles: RoleCounts,
    /// Prompt, preferred, non-preferred.
    texts: [Measure; 3],
}

/// One record's duplicate key and place, for the ordered merge.
struct KeyEntry {
    /// 1-based line within the chunk.
    line: u64,
    offset: u64,
    length: u32,
    key: RecordKey,
}

/// What comes back from a chunk, to be merged in file order.
struct ChunkResult {
    len: usize,
    lines: u64,
    keys: Vec<KeyEntry>,
}

/// What the ordered merge keeps for the dataset.
struct Ordered {
    duplicates: DuplicateIndex,
    counts: Duplicates,
    file: u32,
    /// Lines of the current file merged so far.
    file_lines: u64,
    /// The current file's size, when known (to size the duplicate index once).
    file_size: Option<u64>,
}

impl Ordered {
    fn merge(&mut self, result: &ChunkResult) {
        if self.file_lines == 0
            && !result.keys.is_empty()
            && let Some(size) = self.file_size
        {
            // As `check` does: size the tables from the first chunk's density instead of rehashing
            // them all through a large file.
            let expected = size as usize / result.len.max(1) * result.keys.len();
            self.duplicates.reserve(expected + expected / 8);
        }
        for entry in &result.keys {
            let here = Seen {
                file: self.file,
                line: self.file_lines + entry.line,
                offset: entry.offset,
                length: entry.length,
            };
            match self.duplicates.observe(entry.key, here) {
                Some((Rule::DuplicateExample, _)) => self.counts.duplicate_examples += 1,
                Some((Rule::ConflictingPreference, _)) => self.counts.conflicting_preferences += 1,
                _ => {}
            }
        }
        self.file_lines += result.lines;
    }
}

impl Collector {
    pub(crate) fn new(threads: usize) -> Result<Collector, Error> {
        let threads = if threads == 0 { std::thread::available_parallelism().map_or(1, usize::from) } else { threads };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|index| format!("dpolint-stats-{index}"))
            .build()
            .map_err(|error| Error::InvalidOptions(format!("could not start {threads} worker threads: {error}")))?;
        Ok(Collector { pool, chunk_size: 1 << 20, window_size: 32 << 20 })
    }

    /// Sets the bytes per unit of parallel work (tests use tiny chunks to get many of them).
    #[cfg(test)]
    pub(crate) fn with_chunk_size(mut self, chunk_size: usize) -> Collector {
        self.chunk_size = chunk_size.max(1);
        self
    }

    pub(crate) fn collect(&self, dataset: Dataset<'_>) -> Result<Stats, Error> {
        let scratch = Mutex::new(Vec::new());
        let mut ordered = Ordered {
            duplicates: DuplicateIndex::default(),
            counts: Duplicates::default(),
            file: 0,
            file_lines: 0,
            file_size: None,
        };
        let files = dataset.shards.len() as u64;
        for (file, shard) in dataset.shards.into_iter().enumerate() {
            ordered.file = file as u32;
            ordered.file_lines = 0;
            self.collect_file(shard, &scratch, &mut ordered)?;
        }
        let mut totals = Totals::default();
        for worker in scratch.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
            totals.add(&worker.totals);
        }
        Ok(finish(dataset.display, files, dataset.layout_problems.len() as u64, &totals, ordered.counts))
    }

    fn collect_file(
        &self,
        shard: Shard<'_>,
        scratch: &Mutex<Vec<Scratch>>,
        ordered: &mut Ordered,
    ) -> Result<(), Error> {
        let display = shard.display().to_string();
        let read_error = |error| Error::io(&display, error);
        let (mut reader, sized) = match shard {
            Shard::Bytes { bytes, .. } => (Reader::Slice(SliceReader::new(bytes)), None),
            Shard::Stream { reader, .. } => (Reader::Stream(reader), None),
            Shard::File { path, .. } => {
                let file = fs::File::open(&path).map_err(|error| Error::io(&path, error))?;
                let len = file.metadata().map_err(|error| Error::io(&path, error))?.len();
                let reader = if len > 0 {
                    Reader::Mapped(MappedFile::new(file, len, self.window_size))
                } else {
                    Reader::File(StreamReader::new(file, STREAM_BLOCK))
                };
                (reader, Some((path, len)))
            }
        };
        ordered.file_size = sized.as_ref().map(|(_, len)| *len);
        let Some(first) = reader.next_segment().map_err(read_error)? else {
            return Ok(());
        };
        let has_bom = first.base == 0 && first.as_slice().starts_with(BOM);
        self.run_chunks(first, &mut reader, has_bom, scratch, ordered).map_err(read_error)?;
        // The maps' safety argument (see `source::map`) rests on noticing a file that changed.
        if let Some((path, before)) = sized {
            let after = fs::metadata(&path).map_err(|error| Error::io(&path, error))?.len();
            // A truncation under a mapped window is also flagged by the SIGBUS guard.
            if after != before || reader.changed() {
                return Err(Error::FileChanged { path, before, after });
            }
        }
        Ok(())
    }

    /// Measures the file's chunks on the pool, a few per worker in flight (so memory stays flat
    /// and reading overlaps measuring), and merges their keys in file order on this thread.
    fn run_chunks<'a>(
        &self,
        first: Segment<'a>,
        reader: &mut Reader<'a>,
        has_bom: bool,
        scratch: &Mutex<Vec<Scratch>>,
        ordered: &mut Ordered,
    ) -> std::io::Result<()> {
        let result = run_in_order(
            &self.pool,
            self.chunk_size,
            first,
            reader,
            &|segment, range| measure_chunk(&segment, range, has_bom, scratch),
            // The readers of `stats` have no line-size limit, so they skip no line; were one
            // skipped, it would count as a line with nothing measured.
            &mut |line, _| ChunkResult {
                len: usize::try_from(line.input_len()).unwrap_or(usize::MAX),
                lines: 1,
                keys: Vec::new(),
            },
            &mut |result: ChunkResult| {
                ordered.merge(&result);
                Ok::<_, std::convert::Infallible>(None)
            },
        );
        match result {
            Ok(()) => Ok(()),
            Err(OrderedError::Read(error)) => Err(error),
            Err(OrderedError::Merge(never)) => match never {},
        }
    }
}

/// Measures every line of one chunk (runs on a worker).
fn measure_chunk(segment: &Segment<'_>, range: Range<usize>, has_bom: bool, pool: &Mutex<Vec<Scratch>>) -> ChunkResult {
    let mut scratch = pool.lock().map(|mut pool| pool.pop()).ok().flatten().unwrap_or_default();
    segment.prefault(range.clone());
    let bytes = &segment.as_slice()[range.clone()];
    let chunk_offset = segment.base + range.start as u64;
    let mut keys = Vec::new();
    let mut line_number = 0;
    let mut position = 0;
    while position < bytes.len() {
        let (end, next, terminated) = match memchr(b'\n', &bytes[position..]) {
            Some(i) => (position + i, position + i + 1, true),
            None => (bytes.len(), bytes.len(), false),
        };
        line_number += 1;
        let line_offset = chunk_offset + position as u64;
        let line = &bytes[position..end];
        position = next;
        // The same line as `check` sees: without a BOM on the file's first line, and without the
        // `\r` of a CRLF ending.
        let content_start = if has_bom && line_offset == 0 { BOM.len() } else { 0 };
        let mut content_end = line.len();
        if terminated && content_end > content_start && line[content_end - 1] == b'\r' {
            content_end -= 1;
        }
        let content = &line[content_start..content_end];
        if content.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r')) {
            continue;
        }
        scratch.totals.examples += 1;
        let Ok(text) = simdutf8::basic::from_utf8(content) else {
            continue;
        };
        if parse_line(content, &mut scratch.tape, MAX_DEPTH).is_err()
            || scratch.tape.nodes.first().map(|node| node.kind) != Some(Kind::Object)
        {
            continue;
        }
        fingerprint_nodes(&scratch.tape, content, &mut scratch.hashes);
        keys.push(KeyEntry {
            line: line_number,
            offset: line_offset + content_start as u64,
            length: content.len() as u32,
            key: record_key(&scratch.tape, content, &scratch.hashes),
        });
        if let Some(record) = measure_record(Value::root(&scratch.tape, text)) {
            scratch.totals.record(&record);
        }
    }
    scratch.totals.lines += line_number;
    if let Ok(mut pool) = pool.lock() {
        pool.push(scratch);
    }
    ChunkResult { len: range.len(), lines: line_number, keys }
}

/// Reads what the statistics need from a record; `None` when something is missing or of the wrong
/// type (the record is unreadable).
fn measure_record(root: Value<'_>) -> Option<RecordMeasure> {
    let mut record = RecordMeasure::default();
    let input = root.get("input")?;
    let messages = input.get("messages")?;
    if !messages.is_array() || messages.len() == 0 {
        return None;
    }
    for message in messages.elements() {
        record.has_system |= read_message(message, &mut record.input_roles, &mut record.texts[0])?;
    }
    if let Some(tools) = input.get("tools").filter(Value::is_array) {
        record.tool_definitions = tools.len() as u64;
    }
    for (index, key) in [(1, "preferred_output"), (2, "non_preferred_output")] {
        let output = root.get(key)?;
        if !output.is_array() || output.len() == 0 {
            return None;
        }
        for message in output.elements() {
            read_message(message, &mut record.output_roles, &mut record.texts[index])?;
        }
    }
    Some(record)
}

/// Counts a message's role and adds its content's length; returns whether it is a system message.
fn read_message(message: Value<'_>, roles: &mut RoleCounts, text: &mut Measure) -> Option<bool> {
    let role = message.get("role")?.str()?;
    text.add(content_measure(message.get("content")?)?);
    Some(roles.count(&role))
}

/// The length of a `content`: a string, or an array of parts whose `text` strings count (image and
/// other parts count nothing).
fn content_measure(content: Value<'_>) -> Option<Measure> {
    if content.is_string() {
        return Some(string_measure(content));
    }
    if !content.is_array() {
        return None;
    }
    let mut total = Measure::default();
    for part in content.elements() {
        if let Some(text) = part.get("text").filter(Value::is_string) {
            total.add(string_measure(text));
        }
    }
    Some(total)
}

/// Measures a string value from its raw JSON text, without decoding it.
fn string_measure(string: Value<'_>) -> Measure {
    let raw = string.raw();
    // The raw token includes its quotes.
    measure_json_string(raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default())
}

/// Turns the added-up totals into the public numbers.
fn finish(path: String, files: u64, skipped_entries: u64, totals: &Totals, duplicates: Duplicates) -> Stats {
    let readable = totals.readable;
    let share = |count: u64| (readable > 0).then(|| count as f64 / readable as f64);
    let length = |index: usize| Length {
        chars: distribution(&totals.chars[index]),
        tokens: distribution(&totals.tokens[index]),
    };
    let mean_length_ratio =
        (readable > 0).then(|| (totals.log_ratio_sum as f64 / 4_294_967_296.0 / readable as f64).exp());
    Stats {
        path,
        files,
        skipped_entries,
        lines: totals.lines,
        examples: totals.examples,
        readable,
        unreadable: totals.examples - readable,
        system_message: Share { count: totals.system_message, share: share(totals.system_message) },
        tools: ToolStats {
            examples: totals.tool_examples,
            share: share(totals.tool_examples),
            definitions: totals.tool_definitions,
        },
        roles: RoleStats { input: totals.input_roles, output: totals.output_roles },
        lengths: Lengths { prompt: length(0), preferred: length(1), non_preferred: length(2) },
        length_bias: LengthBias {
            pairs: readable,
            preferred_longer: totals.preferred_longer,
            non_preferred_longer: totals.non_preferred_longer,
            equal: readable - totals.preferred_longer - totals.non_preferred_longer,
            preferred_longer_share: share(totals.preferred_longer),
            mean_length_ratio,
        },
        duplicates,
        percentile_relative_error: RELATIVE_ERROR,
        token_estimator: TOKEN_ESTIMATOR,
    }
}

fn distribution(sketch: &Sketch) -> Distribution {
    if sketch.count == 0 {
        return Distribution::default();
    }
    Distribution {
        count: sketch.count,
        min: Some(sketch.min),
        p50: sketch.percentile(50),
        p90: sketch.percentile(90),
        p99: sketch.percentile(99),
        max: Some(sketch.max),
        mean: Some(sketch.sum as f64 / sketch.count as f64),
        // A total past u64 would take a dataset of 16 exabytes.
        total: u64::try_from(sketch.sum).unwrap_or(u64::MAX),
        histogram: histogram(sketch, HISTOGRAM_BINS),
    }
}

/// Up to `bins` bins of equal width on a log scale (of length + 1, so that 0 fits) from the
/// minimum to the maximum; fewer when the range holds fewer distinct lengths.
fn histogram(sketch: &Sketch, bins: usize) -> Vec<HistogramBin> {
    let (min, max) = (sketch.min, sketch.max);
    let (low, high) = ((min as f64 + 1.0).ln(), (max as f64 + 1.0).ln());
    let mut starts = vec![min];
    for bin in 1..bins {
        // Non-negative and at most `max`: the float-to-int cast saturates anyway.
        #[allow(clippy::cast_sign_loss)]
        let start = ((low + (high - low) * bin as f64 / bins as f64).exp() - 1.0).round() as u64;
        if start > *starts.last().unwrap_or(&min) && start <= max {
            starts.push(start);
        }
    }
    let mut histogram: Vec<HistogramBin> = starts
        .iter()
        .enumerate()
        .map(|(index, &from)| HistogramBin { from, to: starts.get(index + 1).map_or(max, |next| next - 1), count: 0 })
        .collect();
    for (value, count) in sketch.buckets() {
        let bin = starts.partition_point(|&start| start <= value).saturating_sub(1);
        histogram[bin].count += count;
    }
    histogram
}
