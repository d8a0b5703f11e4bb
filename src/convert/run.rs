//! The conversion driver: sources are read batch by batch; the records of a batch are converted in
//! parallel (parse, adapt, apply the shared rules, write the line, check it with dpolint's own
//! rules); results are then written and counted in input order, so the output and the report are
//! the same for any thread count.

use std::collections::{BTreeSet, VecDeque};
use std::fs;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use rayon::prelude::*;

use super::container::{self, Batch, RecordReader};
use super::detect::{self, Detection};
use super::layouts::{Context, Layout};
use super::pairs::finish;
use super::report::{ConvertReport, DropRecord};
use super::value::Value;
use super::writer::{push_record, push_string};
use super::{ConvertOptions, Drop, DropReason, MultiTurnPolicy};
use crate::error::Error;
use crate::parse::{Tape, parse_line};
use crate::rules::line::{LineRules, LineScratch, check_line};
use crate::rules::record::thousands;
use crate::rules::{Rule, RuleSet, Severity, Target};
use crate::tokens::TokenCounter;
use crate::validate::dataset::special_kind;

/// Converts preference data into the target layout.
pub struct Converter {
    options: ConvertOptions,
    pool: rayon::ThreadPool,
    rules: RuleSet,
    cancel: Option<Arc<AtomicBool>>,
}

/// What one record became.
enum Outcome {
    /// Written as `pairs` lines; whether a prompt was flattened; whether special tokens remain.
    Written {
        pairs: u32,
        flattened: bool,
        special_tokens: bool,
    },
    Dropped(Drop),
}

/// What one chunk of a batch produced: its written lines in order, and the source keys with no
/// place in the target.
#[derive(Default)]
struct ChunkLines {
    lines: Vec<u8>,
    discarded: BTreeSet<String>,
}

/// A converted batch: the lines per chunk, one outcome per record, discarded keys.
struct BatchOutput {
    chunks: Vec<ChunkLines>,
    outcomes: Vec<Outcome>,
    discarded: BTreeSet<String>,
}

/// A named source being read. A file is opened when its turn comes and closed when it is read to
/// the end, so that a directory of 10,000 shards never holds 10,000 open files.
struct Source {
    name: String,
    unopened: Option<PathBuf>,
    reader: Option<Box<dyn RecordReader>>,
    /// The longest record read (see [`ConvertOptions::max_record_bytes`]).
    max_record_bytes: usize,
}

impl Source {
    fn stream(name: &str, reader: Box<dyn RecordReader>) -> Source {
        // A stream's reader was opened with its limit already.
        Source { name: name.to_string(), unopened: None, reader: Some(reader), max_record_bytes: usize::MAX }
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, Error> {
        if let Some(path) = self.unopened.take() {
            self.reader = Some(container::open_limited(&path, self.max_record_bytes)?);
        }
        let Some(reader) = &mut self.reader else { return Ok(None) };
        let batch = reader.next_batch()?;
        if batch.is_none() {
            self.reader = None;
        }
        Ok(batch)
    }
}

/// Per-worker buffers.
#[derive(Default)]
struct Scratch {
    tape: Tape,
    line: LineScratch,
    findings: Vec<crate::rules::record::Finding>,
}

impl Converter {
    /// A converter for `options`. Fails on options that cannot work together.
    pub fn new(options: ConvertOptions) -> Result<Converter, Error> {
        if options.multi_turn == MultiTurnPolicy::Keep && options.target != Target::Together {
            return Err(Error::InvalidOptions(format!(
                "`--multi-turn keep` writes multi-turn prompts, which {} rejects (DPO201); use `drop` or `flatten`",
                options.target.display_name()
            )));
        }
        if options.layout == Some(Layout::Mapped) && options.map.is_none() {
            return Err(Error::InvalidOptions(
                "`--from mapped` needs `--map prompt=FIELD,chosen=FIELD,rejected=FIELD`".into(),
            ));
        }
        let threads = if options.threads == 0 {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            options.threads
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|index| format!("dpolint-convert-{index}"))
            .build()
            .map_err(|error| Error::InvalidOptions(format!("could not start {threads} worker threads: {error}")))?;
        let rules = RuleSet::defaults(options.target);
        Ok(Converter { options, pool, rules, cancel: None })
    }

    /// Stops the conversion (with `Error::Interrupted`, writing nothing) once `flag` is set, for
    /// a Ctrl-C handler. The flag is checked between batches: a handler that cannot wait (the run
    /// may be blocked reading a stalled pipe) ends the process after [`abandon_unfinished_outputs`].
    #[must_use]
    pub fn with_cancel_flag(mut self, flag: Arc<AtomicBool>) -> Converter {
        self.cancel = Some(flag);
        self
    }

    /// The options this converter applies.
    #[must_use]
    pub fn options(&self) -> &ConvertOptions {
        &self.options
    }

    /// Detects the layout of files (from their first records).
    pub fn detect_files(&self, inputs: &[PathBuf]) -> Result<Detection, Error> {
        let mut sources = open_all(inputs, self.options.max_record_bytes)?;
        let (samples, _) = sample(&mut sources)?;
        Ok(detect::detect(&sample_texts(&samples), &self.options))
    }

    /// Detects the layout of a stream (from its first records).
    pub fn detect_reader(&self, name: &str, reader: impl Read + Send + 'static) -> Result<Detection, Error> {
        let reader = self.open_stream(name, Box::new(reader))?;
        let mut sources = vec![Source::stream(name, reader)];
        let (samples, _) = sample(&mut sources)?;
        Ok(detect::detect(&sample_texts(&samples), &self.options))
    }

    /// Converts files (shards of one dataset) into `output`, written to a temporary file beside it
    /// and renamed into place only when complete (and only when something was written); `rejects`,
    /// when given, gets every dropped record with its reason.
    pub fn convert_files(
        &self,
        inputs: &[PathBuf],
        output: &Path,
        rejects: Option<&Path>,
    ) -> Result<ConvertReport, Error> {
        for target in std::iter::once(output).chain(rejects) {
            refuse_overwriting_inputs(target, inputs)?;
        }
        let sources = open_all(inputs, self.options.max_record_bytes)?;
        self.convert_sources(sources, output, rejects)
    }

    /// Converts standard input into `output` (as [`Converter::convert_files`] does for files).
    pub fn convert_stdin(&self, output: &Path, rejects: Option<&Path>) -> Result<ConvertReport, Error> {
        let reader = self.open_stream("<stdin>", Box::new(std::io::stdin()))?;
        self.convert_sources(vec![Source::stream("<stdin>", reader)], output, rejects)
    }

    fn convert_sources(
        &self,
        sources: Vec<Source>,
        output: &Path,
        rejects: Option<&Path>,
    ) -> Result<ConvertReport, Error> {
        let mut out = OutputFile::create(output)?;
        let mut rejected = rejects.map(OutputFile::create).transpose()?;
        let names = (output.display().to_string(), rejects.map_or_else(String::new, |path| path.display().to_string()));
        let mut report =
            self.run(sources, out.writer(), rejected.as_mut().map(OutputFile::writer), (&names.0, &names.1))?;
        // Interrupted after the last batch: still nothing is renamed into place.
        if self.cancel.as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed)) {
            return Err(Error::Interrupted);
        }
        if report.pairs > 0 || out.is_stream() {
            out.commit()?;
        } else {
            // Nothing to train on: leave no empty file behind to be uploaded by mistake.
            report.output = format!("{} (not written: no record converted)", output.display());
        }
        if let Some(rejected) = rejected {
            rejected.commit()?;
        }
        Ok(report)
    }

    /// Converts a stream (any reader) into any writer.
    pub fn convert_reader(
        &self,
        name: &str,
        reader: impl Read + Send + 'static,
        output: &mut dyn Write,
        rejects: Option<&mut dyn Write>,
    ) -> Result<ConvertReport, Error> {
        let reader = self.open_stream(name, Box::new(reader))?;
        let sources = vec![Source::stream(name, reader)];
        self.run(sources, output, rejects, ("(writer)", "(rejects writer)"))
    }

    fn open_stream(&self, name: &str, reader: Box<dyn Read + Send>) -> Result<Box<dyn RecordReader>, Error> {
        container::open_stream_limited(Path::new(name), reader, self.options.max_record_bytes)
    }

    fn run(
        &self,
        mut sources: Vec<Source>,
        output: &mut dyn Write,
        mut rejects: Option<&mut dyn Write>,
        (output_name, rejects_name): (&str, &str),
    ) -> Result<ConvertReport, Error> {
        let (samples, remaining) = sample(&mut sources)?;
        let (layout, detected, reason) = if let Some(layout) = self.options.layout {
            (layout, false, format!("given with `--from {layout}`"))
        } else {
            let detection = detect::detect(&sample_texts(&samples), &self.options);
            match detection.layout {
                Some(layout) => (layout, true, detection.reason),
                None => return Err(Error::LayoutNotDetected { reason: detection.reason }),
            }
        };
        let mut report = ConvertReport {
            layout,
            detected,
            reason,
            target: self.options.target,
            output: output_name.to_string(),
            read: 0,
            written: 0,
            pairs: 0,
            dropped: std::collections::BTreeMap::new(),
            drops: Vec::new(),
            discarded_fields: BTreeSet::new(),
            flattened: 0,
            warnings: Vec::new(),
        };
        let used_keys = layout.used_keys(&self.options);
        let mut special_tokens = 0u64;
        let mut queued: VecDeque<(usize, Batch)> = samples.into();
        let mut next_source = remaining;
        let mut started = 0u64;
        let write_error = |error: std::io::Error| Error::Output {
            path: PathBuf::from(output_name),
            message: format!("could not write: {error}"),
        };
        // Reading and writing run on this thread while the pool converts the next batch.
        let outcome: Result<(), Error> = self.pool.in_place_scope(|scope| {
            let mut in_flight: Option<(usize, Arc<Batch>, mpsc::Receiver<BatchOutput>)> = None;
            loop {
                if self.cancel.as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed)) {
                    return Err(Error::Interrupted);
                }
                // The sampled batches first, then the rest of the sources.
                let next = match queued.pop_front() {
                    Some(queued_batch) => Some(queued_batch),
                    None => next_batch(&mut sources, &mut next_source)?,
                };
                let next = next.map(|(source, batch)| {
                    let batch = Arc::new(batch);
                    let (sender, receiver) = mpsc::channel();
                    let (task_batch, first_number, used_keys) = (Arc::clone(&batch), started, &used_keys);
                    started += batch.records.len() as u64;
                    scope.spawn(move |_| {
                        let _ = sender.send(self.convert_batch(layout, &task_batch, first_number, used_keys));
                    });
                    (source, batch, receiver)
                });
                let Some((source, batch, receiver)) = std::mem::replace(&mut in_flight, next) else {
                    if in_flight.is_none() {
                        return Ok(());
                    }
                    continue;
                };
                let Ok(converted) = receiver.recv() else {
                    return Err(Error::InvalidOptions("a conversion worker stopped unexpectedly".into()));
                };
                let mut outcomes = converted.outcomes.into_iter();
                for chunk in &converted.chunks {
                    output.write_all(&chunk.lines).map_err(write_error)?;
                }
                report.discarded_fields.extend(converted.discarded);
                for record in &batch.records {
                    report.read += 1;
                    match outcomes.next() {
                        Some(Outcome::Written { pairs, flattened, special_tokens: tokens }) => {
                            report.written += 1;
                            report.pairs += u64::from(pairs);
                            report.flattened += u64::from(flattened);
                            special_tokens += u64::from(tokens);
                        }
                        Some(Outcome::Dropped(drop)) => {
                            *report.dropped.entry(drop.reason).or_default() += 1;
                            let entry = DropRecord {
                                reason: drop.reason.name(),
                                file: sources[source].name.clone(),
                                line: record.location.line,
                                index: record.location.index,
                                message: drop.message,
                            };
                            if let Some(rejects) = rejects.as_deref_mut() {
                                let text = &batch.data[record.range.clone()];
                                write_reject(rejects, rejects_name, &entry, text, record.oversized.is_none())?;
                            }
                            report.drops.push(entry);
                        }
                        None => return Err(Error::InvalidOptions("a conversion worker lost a record".into())),
                    }
                }
            }
        });
        outcome?;
        output.flush().map_err(|error| Error::Output {
            path: PathBuf::from(output_name),
            message: format!("could not write: {error}"),
        })?;
        if let Some(rejects) = rejects {
            rejects.flush().map_err(|error| Error::Output {
                path: PathBuf::from(rejects_name),
                message: format!("could not write: {error}"),
            })?;
        }
        if special_tokens > 0 {
            report.warnings.push(format!(
                "{special_tokens} written record(s) hold chat-template tokens such as `<|im_start|>` (pre-templated text; `dpolint check` reports them as DPO303)"
            ));
        }
        if report.flattened > 0 {
            report
                .warnings
                .push("multi-turn prompts were flattened into one user message: the turn structure is lost".into());
        }
        let minimum = self.options.target.min_examples();
        if report.pairs < minimum {
            report.warnings.push(format!(
                "only {} record(s) written: {} needs at least {minimum} examples in a dataset (DPO401)",
                report.pairs,
                self.options.target.display_name()
            ));
        }
        if layout == Layout::Hh {
            report.warnings.push("Anthropic's card says HH-RLHF is not meant for supervised training of dialogue agents; check that a preference model or DPO run is what you want".into());
        }
        Ok(report)
    }

    /// Converts a batch on the pool, in parallel chunks of records.
    fn convert_batch(&self, layout: Layout, batch: &Batch, first_number: u64, used_keys: &[String]) -> BatchOutput {
        const CHUNK: usize = 64;
        let chunks: Vec<(ChunkLines, Vec<Outcome>)> = batch
            .records
            .par_chunks(CHUNK)
            .enumerate()
            .map_init(Scratch::default, |scratch, (chunk, records)| {
                let mut sink = ChunkLines::default();
                let outcomes = records
                    .iter()
                    .enumerate()
                    .map(|(offset, record)| {
                        if let Some(len) = record.oversized {
                            return Outcome::Dropped(Drop::new(
                                DropReason::ParseError,
                                format!(
                                    "the record is {} bytes long, over the limit of {} bytes (`--max-line-bytes`): it was not read",
                                    thousands(len),
                                    thousands(self.options.max_record_bytes as u64)
                                ),
                            ));
                        }
                        let number = first_number + (chunk * CHUNK + offset) as u64;
                        self.convert_record(
                            layout,
                            &batch.data[record.range.clone()],
                            number,
                            used_keys,
                            scratch,
                            &mut sink,
                        )
                    })
                    .collect();
                (sink, outcomes)
            })
            .collect();
        let mut output = BatchOutput {
            chunks: Vec::with_capacity(chunks.len()),
            outcomes: Vec::with_capacity(batch.records.len()),
            discarded: BTreeSet::new(),
        };
        for (mut sink, outcomes) in chunks {
            output.discarded.append(&mut sink.discarded);
            output.chunks.push(sink);
            output.outcomes.extend(outcomes);
        }
        output
    }

    /// Converts one record (runs on a worker): written lines and keys with no place in the target
    /// go to `sink`.
    fn convert_record(
        &self,
        layout: Layout,
        text: &[u8],
        number: u64,
        used_keys: &[String],
        scratch: &mut Scratch,
        sink: &mut ChunkLines,
    ) -> Outcome {
        let (lines, discarded) = (&mut sink.lines, &mut sink.discarded);
        let Ok(text) = simdutf8::basic::from_utf8(text.trim_ascii()) else {
            let valid = std::str::from_utf8(text.trim_ascii()).map_or_else(|error| error.valid_up_to(), str::len);
            return Outcome::Dropped(Drop::new(DropReason::ParseError, format!("not valid UTF-8 (at byte {valid})")));
        };
        if let Err(error) = parse_line(text.as_bytes(), &mut scratch.tape, 128) {
            return Outcome::Dropped(Drop::new(
                DropReason::ParseError,
                format!("invalid JSON at byte {}: {}", error.offset, error.kind),
            ));
        }
        let record = Value::root(&scratch.tape, text);
        for (key, _) in record.members() {
            if !used_keys.iter().any(|used| *used == key) && !discarded.contains(key.as_ref()) {
                discarded.insert(key.into_owned());
            }
        }
        let context = Context { options: &self.options, record_number: number };
        let candidates = match layout.convert(record, &context) {
            Ok(candidates) => candidates,
            Err(drop) => return Outcome::Dropped(drop),
        };
        let start = lines.len();
        let mut pairs = 0;
        let mut flattened = false;
        let mut special_tokens = false;
        let mut first_drop: Option<Drop> = None;
        for candidate in candidates {
            let output = match finish(candidate, &self.options) {
                Ok(output) => output,
                Err(drop) => {
                    first_drop.get_or_insert(drop);
                    continue;
                }
            };
            let line_start = lines.len();
            push_record(&output, lines);
            match self.check(&lines[line_start..], scratch) {
                Ok(tokens) => special_tokens |= tokens,
                Err(drop) => {
                    lines.truncate(line_start);
                    first_drop.get_or_insert(drop);
                    continue;
                }
            }
            lines.push(b'\n');
            flattened |= output.flattened;
            pairs += 1;
        }
        if pairs == 0 {
            lines.truncate(start);
            return Outcome::Dropped(
                first_drop.unwrap_or_else(|| Drop::new(DropReason::Tie, "no pair could be formed")),
            );
        }
        Outcome::Written { pairs, flattened, special_tokens }
    }

    /// The line must pass `dpolint check` with no error; returns whether it holds special tokens.
    fn check(&self, line: &[u8], scratch: &mut Scratch) -> Result<bool, Drop> {
        // Too-long is a warning, never a reason to drop: the estimate is enough here.
        let tokens = TokenCounter::estimate();
        let rules = LineRules {
            rules: &self.rules,
            target: self.options.target,
            max_depth: 128,
            max_line_bytes: crate::rules::line::DEFAULT_MAX_LINE_BYTES,
            fingerprints: false,
            tokens: &tokens,
            max_tokens: self.options.target.default_max_tokens(),
        };
        scratch.findings.clear();
        let _ = check_line(line, true, 0, false, &rules, &mut scratch.line, &mut scratch.findings);
        if let Some(error) = scratch.findings.iter().find(|finding| {
            let severity = finding.severity.or(self.rules.severity(finding.rule));
            severity == Some(Severity::Error)
        }) {
            return Err(Drop::new(
                DropReason::FailedCheck,
                format!("the converted record fails {} {}: {}", error.rule.code(), error.rule.name(), error.message),
            ));
        }
        Ok(scratch.findings.iter().any(|finding| finding.rule == Rule::SpecialToken))
    }
}

/// Resolves every input (opened later, one at a time); a directory stands for its visible files, in name order (a Hugging Face
/// `data/` folder of shards, say). Symbolic links are followed (a Hugging Face cache is made of
/// them; a loop is an error naming the link), subdirectories are not entered, and devices and
/// sockets are refused unread (`/dev/zero` would never end).
fn open_all(inputs: &[PathBuf], max_record_bytes: usize) -> Result<Vec<Source>, Error> {
    let mut paths = Vec::new();
    for input in inputs {
        let metadata = fs::metadata(input).map_err(|error| Error::io(input, error))?;
        if !metadata.is_dir() {
            paths.push((input.clone(), metadata));
            continue;
        }
        let mut shards = Vec::new();
        for entry in fs::read_dir(input).map_err(|error| Error::io(input, error))? {
            let path = entry.map_err(|error| Error::io(input, error))?.path();
            if path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.')) {
                continue;
            }
            let metadata = fs::metadata(&path).map_err(|error| Error::io(&path, error))?;
            if !metadata.is_dir() {
                shards.push((path, metadata));
            }
        }
        if shards.is_empty() {
            return Err(Error::Source {
                path: input.clone(),
                place: "directory".into(),
                message: "holds no files to convert".into(),
            });
        }
        shards.sort_by(|(a, _), (b, _)| a.cmp(b));
        paths.extend(shards);
    }
    paths
        .into_iter()
        .map(|(path, metadata)| {
            if !metadata.is_file()
                && let Some(kind) = special_kind(&metadata).filter(|kind| *kind != "FIFO")
            {
                return Err(Error::NotAFile { path, kind });
            }
            Ok(Source { name: path.display().to_string(), unopened: Some(path), reader: None, max_record_bytes })
        })
        .collect()
}

/// Reads batches until `detect::SAMPLE` records are in hand: (the batches with their source, the
/// source to continue from).
fn sample(sources: &mut [Source]) -> Result<(Vec<(usize, Batch)>, usize), Error> {
    let mut batches = Vec::new();
    let mut records = 0;
    let mut source = 0;
    while records < detect::SAMPLE && source < sources.len() {
        match sources[source].next_batch()? {
            Some(batch) => {
                records += batch.records.len();
                batches.push((source, batch));
            }
            None => source += 1,
        }
    }
    Ok((batches, source))
}

/// The sampled records' texts, for detection (records over the size limit left out: only their
/// first bytes were read).
fn sample_texts(samples: &[(usize, Batch)]) -> Vec<&[u8]> {
    samples
        .iter()
        .flat_map(|(_, batch)| {
            batch
                .records
                .iter()
                .filter(|record| record.oversized.is_none())
                .map(|record| &batch.data[record.range.clone()])
        })
        .collect()
}

/// The next batch of the remaining sources.
fn next_batch(sources: &mut [Source], source: &mut usize) -> Result<Option<(usize, Batch)>, Error> {
    while *source < sources.len() {
        if let Some(batch) = sources[*source].next_batch()? {
            return Ok(Some((*source, batch)));
        }
        *source += 1;
    }
    Ok(None)
}

/// Writes one line of the rejects file: `entry` and the record, as JSON (`record`) when it is valid
/// JSON and `whole` (false for a record over the size limit, of which only the first bytes were
/// kept), else as text (`record_text`).
fn write_reject(out: &mut dyn Write, name: &str, entry: &DropRecord, record: &[u8], whole: bool) -> Result<(), Error> {
    let mut line = serde_json::to_vec(entry).unwrap_or_default();
    line.pop();
    let record = record.trim_ascii();
    let mut tape = Tape::default();
    // The parser does not check UTF-8 itself: a record with invalid UTF-8 embedded as it is would
    // make the rejects file invalid JSON, so it goes in as (lossy) text.
    if whole && std::str::from_utf8(record).is_ok() && parse_line(record, &mut tape, 128).is_ok() {
        line.extend_from_slice(b",\"record\":");
        // A pretty-printed record (a JSON array element, a single-object file) spans lines: as
        // it is, it would break the rejects file's one-record-per-line. In valid JSON a line
        // break can only be whitespace between tokens, so a space stands in for it.
        let start = line.len();
        line.extend_from_slice(record);
        for byte in &mut line[start..] {
            if matches!(byte, b'\n' | b'\r') {
                *byte = b' ';
            }
        }
    } else {
        line.extend_from_slice(b",\"record_text\":");
        push_string(&String::from_utf8_lossy(record), &mut line);
    }
    line.extend_from_slice(b"}\n");
    out.write_all(&line)
        .map_err(|error| Error::Output { path: PathBuf::from(name), message: format!("could not write: {error}") })
}

/// The output may not be one of the inputs (same path, or the same file under another name).
fn refuse_overwriting_inputs(output: &Path, inputs: &[PathBuf]) -> Result<(), Error> {
    let same = |input: &PathBuf| {
        if output == input {
            return true;
        }
        match (fs::canonicalize(output), fs::canonicalize(input)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    };
    if inputs.iter().any(same) {
        return Err(Error::Output {
            path: output.to_path_buf(),
            message: "is also an input: dpolint never overwrites its input; write elsewhere".into(),
        });
    }
    Ok(())
}

/// Temporary output files not yet renamed into place, process-wide, so that a signal handler
/// can remove them before it ends the process (see [`abandon_unfinished_outputs`]).
struct Unfinished {
    /// Set by [`abandon_unfinished_outputs`]: no temporary file is created or renamed after it.
    abandoned: bool,
    paths: Vec<PathBuf>,
}

static UNFINISHED: Mutex<Unfinished> = Mutex::new(Unfinished { abandoned: false, paths: Vec::new() });

fn unfinished() -> std::sync::MutexGuard<'static, Unfinished> {
    UNFINISHED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// For a signal handler about to end the process (`std::process::exit` runs no destructors):
/// removes the temporary files of every conversion in progress, and makes any later attempt to
/// create or rename one fail with [`Error::Interrupted`], so that the process leaves no partial
/// output behind and never replaces an earlier output. A conversion blocked in a read (a stalled
/// pipe or FIFO) never reaches its cancel flag; this is how such a run is ended cleanly.
pub fn abandon_unfinished_outputs() {
    let mut unfinished = unfinished();
    unfinished.abandoned = true;
    for path in unfinished.paths.drain(..) {
        let _ = fs::remove_file(path);
    }
}

/// A temporary file's entry in [`UNFINISHED`], removed when dropped (after the file itself:
/// renamed into place, or removed by `NamedTempFile`).
struct Registered(PathBuf);

impl std::ops::Drop for Registered {
    fn drop(&mut self) {
        unfinished().paths.retain(|path| *path != self.0);
    }
}

/// Where converted records go. A regular file is written under a temporary name beside its
/// destination and renamed into place by `commit`; dropped uncommitted (an error, an interrupt),
/// the temporary file is removed. Standard output (`-`), a device or a pipe is written as it goes:
/// there is nothing to rename (and renaming over `/dev/null` would replace it).
enum OutputFile {
    // Fields drop in order: the temporary file is gone before its registration is.
    Atomic { writer: BufWriter<tempfile::NamedTempFile>, destination: PathBuf, _registered: Registered },
    Stream { writer: BufWriter<Box<dyn Write + Send>>, destination: PathBuf },
}

impl OutputFile {
    fn create(destination: &Path) -> Result<OutputFile, Error> {
        let failed = |message: String| Error::Output { path: destination.to_path_buf(), message };
        if destination == Path::new("-") {
            return Ok(OutputFile::Stream {
                writer: BufWriter::with_capacity(1 << 16, Box::new(std::io::stdout())),
                destination: destination.to_path_buf(),
            });
        }
        match fs::metadata(destination) {
            Ok(metadata) if metadata.is_dir() => return Err(failed("is a directory".into())),
            Ok(metadata) if !metadata.is_file() => {
                let file = fs::OpenOptions::new()
                    .write(true)
                    .open(destination)
                    .map_err(|error| failed(format!("cannot open: {error}")))?;
                return Ok(OutputFile::Stream {
                    writer: BufWriter::with_capacity(1 << 16, Box::new(file)),
                    destination: destination.to_path_buf(),
                });
            }
            _ => {}
        }
        let directory = destination.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
        // Created and registered under the lock: a signal handler sees every temporary file.
        let mut unfinished = unfinished();
        if unfinished.abandoned {
            return Err(Error::Interrupted);
        }
        let file = tempfile::Builder::new()
            .prefix(".dpolint-")
            .suffix(".partial")
            .tempfile_in(directory)
            .map_err(|error| failed(format!("cannot create a file in {}: {error}", directory.display())))?;
        unfinished.paths.push(file.path().to_path_buf());
        let registered = Registered(file.path().to_path_buf());
        Ok(OutputFile::Atomic {
            writer: BufWriter::with_capacity(1 << 20, file),
            destination: destination.to_path_buf(),
            _registered: registered,
        })
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            OutputFile::Atomic { writer, .. } => writer,
            OutputFile::Stream { writer, .. } => writer,
        }
    }

    /// Whether records already reached their destination as they were written.
    fn is_stream(&self) -> bool {
        matches!(self, OutputFile::Stream { .. })
    }

    fn commit(self) -> Result<(), Error> {
        match self {
            OutputFile::Stream { mut writer, destination } => writer
                .flush()
                .map_err(|error| Error::Output { path: destination, message: format!("could not write: {error}") }),
            OutputFile::Atomic { writer, destination, _registered } => {
                let failed = |message: String| Error::Output { path: destination.clone(), message };
                let file =
                    writer.into_inner().map_err(|error| failed(format!("could not write: {}", error.error())))?;
                // On disk before the rename, so that a crash never leaves an empty file under the name.
                file.as_file().sync_all().map_err(|error| failed(format!("could not write: {error}")))?;
                // Renamed under the lock, never after a signal handler removed the file and is
                // ending the process.
                let unfinished = unfinished();
                if unfinished.abandoned {
                    return Err(Error::Interrupted);
                }
                file.persist(&destination)
                    .map_err(|error| failed(format!("could not move the finished file into place: {}", error.error)))?;
                Ok(())
            }
        }
    }
}
