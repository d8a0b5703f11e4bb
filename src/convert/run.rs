//! The conversion driver: sources are read batch by batch; the records of a batch are converted in
//! parallel (parse, adapt, apply the shared rules, write the line, check it with dpolint's own
//! rules); results are then written and counted in input order, so the output and the report are
//! the same for any thread count.

use std::collections::{BTreeSet, VecDeque};
use std::fs;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
use crate::rules::{Rule, RuleSet, Severity, Target};

/// Converts preference data into the target layout.
pub struct Converter {
    options: ConvertOptions,
    pool: rayon::ThreadPool,
    rules: RuleSet,
    cancel: Option<Arc<AtomicBool>>,
}

/// What one record became.
enum Converted {
    /// The lines to write (one per pair), whether a prompt was flattened, and warnings.
    Written {
        lines: Vec<Vec<u8>>,
        flattened: bool,
        special_tokens: bool,
    },
    Dropped(Drop),
}

/// A named source being read.
struct Source {
    name: String,
    reader: Box<dyn RecordReader>,
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
        if !options.target.is_supported() {
            return Err(Error::InvalidOptions(format!(
                "the `{}` target is not implemented yet: dpolint converts to the `fireworks` layout today",
                options.target
            )));
        }
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
    /// a Ctrl-C handler.
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
        let mut sources = open_all(inputs)?;
        let (samples, _) = sample(&mut sources)?;
        let texts: Vec<&[u8]> = samples
            .iter()
            .flat_map(|(_, batch)| batch.records.iter().map(|record| &batch.data[record.range.clone()]))
            .collect();
        Ok(detect::detect(&texts, &self.options))
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
        let sources = open_all(inputs)?;
        self.convert_sources(sources, output, rejects)
    }

    /// Converts standard input into `output` (as [`Converter::convert_files`] does for files).
    pub fn convert_stdin(&self, output: &Path, rejects: Option<&Path>) -> Result<ConvertReport, Error> {
        let reader = container::open_stream(Path::new("<stdin>"), Box::new(std::io::stdin()))?;
        self.convert_sources(vec![Source { name: "<stdin>".into(), reader }], output, rejects)
    }

    fn convert_sources(
        &self,
        sources: Vec<Source>,
        output: &Path,
        rejects: Option<&Path>,
    ) -> Result<ConvertReport, Error> {
        let mut out = AtomicFile::create(output)?;
        let mut rejected = rejects.map(AtomicFile::create).transpose()?;
        let mut report = self.run(
            sources,
            &mut out.writer,
            rejected.as_mut().map(|file| &mut file.writer as &mut dyn Write),
            &output.display().to_string(),
        )?;
        if report.pairs > 0 {
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
        let reader = container::open_stream(Path::new(name), Box::new(reader))?;
        let sources = vec![Source { name: name.to_string(), reader }];
        self.run(sources, output, rejects, "(writer)")
    }

    fn run(
        &self,
        mut sources: Vec<Source>,
        output: &mut dyn Write,
        mut rejects: Option<&mut dyn Write>,
        output_name: &str,
    ) -> Result<ConvertReport, Error> {
        let (samples, remaining) = sample(&mut sources)?;
        let (layout, detected, reason) = if let Some(layout) = self.options.layout { (layout, false, format!("given with `--from {layout}`")) } else {
            let texts: Vec<&[u8]> = samples
                .iter()
                .flat_map(|(_, batch)| batch.records.iter().map(|record| &batch.data[record.range.clone()]))
                .collect();
            let detection = detect::detect(&texts, &self.options);
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
        // The sampled batches first, then the rest of the sources.
        while let Some((source, batch)) = match queued.pop_front() {
            Some(queued_batch) => Some(queued_batch),
            None => next_batch(&mut sources, &mut next_source)?,
        } {
            if self.cancel.as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed)) {
                return Err(Error::Interrupted);
            }
            let first_number = report.read;
            let results: Vec<(Converted, BTreeSet<String>)> = self.pool.install(|| {
                batch
                    .records
                    .par_iter()
                    .enumerate()
                    .map_init(Scratch::default, |scratch, (offset, record)| {
                        let text = &batch.data[record.range.clone()];
                        self.convert_record(layout, text, first_number + offset as u64, &used_keys, scratch)
                    })
                    .collect()
            });
            for ((converted, discarded), record) in results.into_iter().zip(&batch.records) {
                report.read += 1;
                report.discarded_fields.extend(discarded);
                match converted {
                    Converted::Written { lines, flattened, special_tokens: tokens } => {
                        report.written += 1;
                        report.pairs += lines.len() as u64;
                        report.flattened += u64::from(flattened);
                        special_tokens += u64::from(tokens);
                        for line in lines {
                            output.write_all(&line).and_then(|()| output.write_all(b"\n")).map_err(|error| {
                                Error::Output {
                                    path: PathBuf::from(output_name),
                                    message: format!("could not write: {error}"),
                                }
                            })?;
                        }
                    }
                    Converted::Dropped(drop) => {
                        let name = &sources[source].name;
                        *report.dropped.entry(drop.reason).or_default() += 1;
                        let entry = DropRecord {
                            reason: drop.reason.name(),
                            file: name.clone(),
                            line: record.location.line,
                            index: record.location.index,
                            message: drop.message,
                        };
                        if let Some(rejects) = rejects.as_deref_mut() {
                            write_reject(rejects, &entry, &batch.data[record.range.clone()])?;
                        }
                        report.drops.push(entry);
                    }
                }
            }
        }
        output.flush().map_err(|error| Error::Output {
            path: PathBuf::from(output_name),
            message: format!("could not write: {error}"),
        })?;
        if let Some(rejects) = rejects {
            rejects
                .flush()
                .map_err(|error| Error::Output { path: PathBuf::from("rejects"), message: error.to_string() })?;
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

    /// Converts one record (runs on a worker).
    fn convert_record(
        &self,
        layout: Layout,
        text: &[u8],
        number: u64,
        used_keys: &[String],
        scratch: &mut Scratch,
    ) -> (Converted, BTreeSet<String>) {
        let text = text.trim_ascii();
        if let Err(error) = parse_line(text, &mut scratch.tape, 128) {
            let drop =
                Drop::new(DropReason::ParseError, format!("invalid JSON at byte {}: {}", error.offset, error.kind));
            return (Converted::Dropped(drop), BTreeSet::new());
        }
        let record = Value::root(&scratch.tape, text);
        let discarded: BTreeSet<String> = record
            .members()
            .map(|(key, _)| key)
            .filter(|key| !used_keys.iter().any(|used| used == key))
            .map(std::borrow::Cow::into_owned)
            .collect();
        let context = Context { options: &self.options, record_number: number };
        let candidates = match layout.convert(record, &context) {
            Ok(candidates) => candidates,
            Err(drop) => return (Converted::Dropped(drop), discarded),
        };
        let mut lines = Vec::with_capacity(candidates.len());
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
            let mut line = Vec::with_capacity(text.len() + 64);
            push_record(&output, &mut line);
            match self.check(&line, scratch) {
                Ok(tokens) => special_tokens |= tokens,
                Err(drop) => {
                    first_drop.get_or_insert(drop);
                    continue;
                }
            }
            flattened |= output.flattened;
            lines.push(line);
        }
        if lines.is_empty() {
            let drop = first_drop.unwrap_or_else(|| Drop::new(DropReason::Tie, "no pair could be formed"));
            return (Converted::Dropped(drop), discarded);
        }
        (Converted::Written { lines, flattened, special_tokens }, discarded)
    }

    /// The line must pass `dpolint check` with no error; returns whether it holds special tokens.
    fn check(&self, line: &[u8], scratch: &mut Scratch) -> Result<bool, Drop> {
        let rules = LineRules { rules: &self.rules, target: self.options.target, max_depth: 128, fingerprints: false };
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

/// Opens every input.
fn open_all(inputs: &[PathBuf]) -> Result<Vec<Source>, Error> {
    inputs.iter().map(|path| Ok(Source { name: path.display().to_string(), reader: container::open(path)? })).collect()
}

/// Reads batches until `detect::SAMPLE` records are in hand: (the batches with their source, the
/// source to continue from).
fn sample(sources: &mut [Source]) -> Result<(Vec<(usize, Batch)>, usize), Error> {
    let mut batches = Vec::new();
    let mut records = 0;
    let mut source = 0;
    while records < detect::SAMPLE && source < sources.len() {
        match sources[source].reader.next_batch()? {
            Some(batch) => {
                records += batch.records.len();
                batches.push((source, batch));
            }
            None => source += 1,
        }
    }
    Ok((batches, source))
}

/// The next batch of the remaining sources.
fn next_batch(sources: &mut [Source], source: &mut usize) -> Result<Option<(usize, Batch)>, Error> {
    while *source < sources.len() {
        if let Some(batch) = sources[*source].reader.next_batch()? {
            return Ok(Some((*source, batch)));
        }
        *source += 1;
    }
    Ok(None)
}

fn write_reject(out: &mut dyn Write, entry: &DropRecord, record: &[u8]) -> Result<(), Error> {
    let mut line = serde_json::to_vec(entry).unwrap_or_default();
    line.pop();
    let record = record.trim_ascii();
    let mut tape = Tape::default();
    if parse_line(record, &mut tape, 128).is_ok() {
        line.extend_from_slice(b",\"record\":");
        line.extend_from_slice(record);
    } else {
        line.extend_from_slice(b",\"record_text\":");
        push_string(&String::from_utf8_lossy(record), &mut line);
    }
    line.extend_from_slice(b"}\n");
    out.write_all(&line).map_err(|error| Error::Output { path: PathBuf::from("rejects"), message: error.to_string() })
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

/// A file written under a temporary name beside its destination and renamed into place by
/// `commit`; dropped uncommitted (an error, an interrupt), it is removed.
struct AtomicFile {
    writer: BufWriter<tempfile::NamedTempFile>,
    destination: PathBuf,
}

impl AtomicFile {
    fn create(destination: &Path) -> Result<AtomicFile, Error> {
        let directory = destination.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let file = tempfile::Builder::new().prefix(".dpolint-").suffix(".partial").tempfile_in(directory).map_err(
            |error| Error::Output {
                path: destination.to_path_buf(),
                message: format!("cannot create a file in {}: {error}", directory.display()),
            },
        )?;
        Ok(AtomicFile { writer: BufWriter::with_capacity(1 << 20, file), destination: destination.to_path_buf() })
    }

    fn commit(self) -> Result<(), Error> {
        let destination = self.destination;
        let failed = |message: String| Error::Output { path: destination.clone(), message };
        let file = self.writer.into_inner().map_err(|error| failed(format!("could not write: {}", error.error())))?;
        file.as_file().sync_all().map_err(|error| failed(format!("could not write: {error}")))?;
        file.persist(&destination)
            .map_err(|error| failed(format!("could not move the finished file into place: {}", error.error)))?;
        Ok(())
    }
}
