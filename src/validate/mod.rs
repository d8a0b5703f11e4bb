//! The checker's public face: [`Options`], [`Validator`], the streaming [`Sink`] and the collected
//! [`Report`].

pub(crate) mod dataset;
pub(crate) mod duplicates;
mod pipeline;

use std::io::{self, Read};
use std::path::Path;
use std::sync::Mutex;

use crate::config::PerFileIgnores;
use crate::diagnostic::Diagnostic;
use crate::error::Error;
pub use crate::rules::line::DEFAULT_MAX_LINE_BYTES;
use crate::rules::{RuleSet, Severity, Target};
use crate::source::StreamReader;
use crate::tokens::TokenCounter;

use dataset::{Dataset, Shard};

/// How a check runs. Start from [`Options::new`] or `Options::default()` (Fireworks) and adjust.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// The provider whose rules apply.
    pub target: Target,
    /// Which rules report, and how seriously.
    pub rules: RuleSet,
    /// Worker threads; 0 means one per available core. The output does not depend on it.
    pub threads: usize,
    /// Deepest nesting of arrays and objects accepted in a record (deeper is DPO003).
    pub max_depth: usize,
    /// The longest line checked, in bytes (longer is DPO010, and its bytes are skipped, not held
    /// in memory); it also caps the keys and values of one line at one per 64 bytes of it. At most
    /// `u32::MAX`.
    pub max_line_bytes: usize,
    /// Keep each finding's source line for graphical rendering ([`Diagnostic::source`]).
    pub source_lines: bool,
    /// Read regular files through memory maps (fast). Off: read them with `read`, which cannot be
    /// hurt by another process truncating the file during the check.
    pub memory_map: bool,
    /// Bytes per unit of parallel work (tuning only; the output never depends on it).
    pub chunk_size: usize,
    /// Bytes mapped at a time (tuning only).
    pub window_size: usize,
    /// The DPO304 budget in tokens; `None`: the target's ([`Target::default_max_tokens`]).
    pub max_tokens: Option<u64>,
    /// How DPO304 counts tokens: the estimate, or a tokenizer.
    pub tokens: TokenCounter,
    /// Rules turned off for some files (a configuration file's `per-file-ignores`).
    pub per_file_ignores: PerFileIgnores,
}

impl Options {
    /// The defaults for `target`: its rules at their default severities, all cores, depth 128.
    #[must_use]
    pub fn new(target: Target) -> Options {
        Options {
            target,
            rules: RuleSet::defaults(target),
            threads: 0,
            max_depth: 128,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            source_lines: true,
            memory_map: true,
            chunk_size: 1 << 20,
            window_size: 32 << 20,
            max_tokens: None,
            tokens: TokenCounter::estimate(),
            per_file_ignores: PerFileIgnores::default(),
        }
    }

    /// Sets the worker thread count (0: all cores).
    #[must_use]
    pub fn with_threads(mut self, threads: usize) -> Options {
        self.threads = threads;
        self
    }

    /// Sets the rules that report.
    #[must_use]
    pub fn with_rules(mut self, rules: RuleSet) -> Options {
        self.rules = rules;
        self
    }

    /// Sets the deepest nesting accepted (at least 1).
    #[must_use]
    pub fn with_max_depth(mut self, max_depth: usize) -> Options {
        self.max_depth = max_depth.max(1);
        self
    }

    /// Sets the longest line checked, in bytes (between 1 KiB and `u32::MAX`).
    #[must_use]
    pub fn with_max_line_bytes(mut self, max_line_bytes: usize) -> Options {
        self.max_line_bytes = max_line_bytes.clamp(1 << 10, u32::MAX as usize);
        self
    }

    /// Keeps or drops source lines in diagnostics.
    #[must_use]
    pub fn with_source_lines(mut self, source_lines: bool) -> Options {
        self.source_lines = source_lines;
        self
    }

    /// Turns memory maps on or off.
    #[must_use]
    pub fn with_memory_map(mut self, memory_map: bool) -> Options {
        self.memory_map = memory_map;
        self
    }

    /// Sets the DPO304 budget in tokens (`None`: the target's default).
    #[must_use]
    pub fn with_max_tokens(mut self, max_tokens: Option<u64>) -> Options {
        self.max_tokens = max_tokens;
        self
    }

    /// Sets how DPO304 counts tokens.
    #[must_use]
    pub fn with_token_counter(mut self, tokens: TokenCounter) -> Options {
        self.tokens = tokens;
        self
    }

    /// Turns rules off for the files that `per-file-ignores` patterns match.
    #[must_use]
    pub fn with_per_file_ignores(mut self, per_file_ignores: PerFileIgnores) -> Options {
        self.per_file_ignores = per_file_ignores;
        self
    }

    /// Sets the parallel work unit in bytes (tuning; at least 1).
    #[must_use]
    pub fn with_chunk_size(mut self, chunk_size: usize) -> Options {
        self.chunk_size = chunk_size.max(1);
        self
    }
}

impl Default for Options {
    fn default() -> Options {
        Options::new(Target::Fireworks)
    }
}

/// Counts for one dataset, reported when it is finished.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DatasetSummary {
    /// The dataset as the user named it.
    pub path: String,
    /// Files checked (shards for a directory).
    pub files: u64,
    /// Non-blank physical lines.
    pub examples: u64,
    /// Physical lines.
    pub lines: u64,
    /// Error-severity findings.
    pub errors: u64,
    /// Warning-severity findings.
    pub warnings: u64,
    /// Info-severity findings.
    pub infos: u64,
}

impl DatasetSummary {
    fn count(&mut self, severity: Severity) {
        match severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
            Severity::Info => self.infos += 1,
        }
    }
}

/// Totals over every dataset of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Datasets checked.
    pub datasets: u64,
    /// Examples over all datasets.
    pub examples: u64,
    /// Error-severity findings.
    pub errors: u64,
    /// Warning-severity findings.
    pub warnings: u64,
    /// Info-severity findings.
    pub infos: u64,
}

impl Summary {
    fn add(&mut self, dataset: &DatasetSummary) {
        self.datasets += 1;
        self.examples += dataset.examples;
        self.errors += dataset.errors;
        self.warnings += dataset.warnings;
        self.infos += dataset.infos;
    }

    /// The command line's exit code: 1 with an error (or a warning when `deny_warnings`), else 0.
    #[must_use]
    pub fn exit_code(&self, deny_warnings: bool) -> u8 {
        u8::from(self.errors > 0 || (deny_warnings && self.warnings > 0))
    }
}

/// Receives findings as they are found: in file order, each file's findings by offset and code.
///
/// Dataset-level findings come first in their dataset, with one exception in a stream: DPO402
/// (too many examples) is known only when the 3,000,001st example is read, and arrives then. A
/// collecting sink such as [`Report`] sorts it into place.
pub trait Sink {
    /// A dataset is about to be checked.
    fn start_dataset(&mut self, path: &str) -> io::Result<()> {
        let _ = path;
        Ok(())
    }

    /// One finding. Returning an error stops the check (`Error::Report`).
    fn diagnostic(&mut self, diagnostic: Diagnostic) -> io::Result<()>;

    /// A dataset is finished.
    fn finish_dataset(&mut self, summary: &DatasetSummary) -> io::Result<()> {
        let _ = summary;
        Ok(())
    }

    /// A batch of findings has been delivered (called after each chunk of input that produced
    /// some): a sink that buffers output should pass it on now, so that findings reach a reader
    /// while a large file is still being checked.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Another `bytes` of the input have been checked (called in file order, once per chunk), for
    /// progress displays. Bytes of every file of every dataset add up to the total read.
    fn progress(&mut self, bytes: u64) {
        let _ = bytes;
    }
}

impl Sink for Vec<Diagnostic> {
    fn diagnostic(&mut self, diagnostic: Diagnostic) -> io::Result<()> {
        self.push(diagnostic);
        Ok(())
    }
}

/// Every finding of a run, in the rule book's order, with per-dataset counts.
#[derive(Clone, Debug)]
pub struct Report {
    /// The target the check applied.
    pub target: Target,
    /// One summary per dataset, in argument order.
    pub datasets: Vec<DatasetSummary>,
    /// All findings, sorted by dataset, file, offset and code.
    pub diagnostics: Vec<Diagnostic>,
    dataset_start: usize,
}

impl Report {
    /// An empty report for `target`.
    #[must_use]
    pub fn new(target: Target) -> Report {
        Report { target, datasets: Vec::new(), diagnostics: Vec::new(), dataset_start: 0 }
    }

    /// Totals over all datasets.
    #[must_use]
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for dataset in &self.datasets {
            summary.add(dataset);
        }
        summary
    }

    /// Whether any finding has error severity.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.datasets.iter().any(|dataset| dataset.errors > 0)
    }
}

impl Sink for Report {
    fn start_dataset(&mut self, _: &str) -> io::Result<()> {
        self.dataset_start = self.diagnostics.len();
        Ok(())
    }

    fn diagnostic(&mut self, diagnostic: Diagnostic) -> io::Result<()> {
        self.diagnostics.push(diagnostic);
        Ok(())
    }

    fn finish_dataset(&mut self, summary: &DatasetSummary) -> io::Result<()> {
        // Stable: findings with equal keys keep the order the checks found them in.
        self.diagnostics[self.dataset_start..].sort_by_key(Diagnostic::order);
        self.datasets.push(summary.clone());
        Ok(())
    }
}

/// Checks datasets. Holds the options and a thread pool of its own (never the global one).
pub struct Validator {
    options: Options,
    pool: rayon::ThreadPool,
    scratch: Mutex<Vec<pipeline::WorkerScratch>>,
}

impl Validator {
    /// Builds a validator. Fails when the worker threads cannot be started.
    pub fn new(options: Options) -> Result<Validator, Error> {
        let threads = if options.threads == 0 {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            options.threads
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|index| format!("dpolint-{index}"))
            .build()
            .map_err(|error| Error::InvalidOptions(format!("could not start {threads} worker threads: {error}")))?;
        Ok(Validator { options, pool, scratch: Mutex::new(Vec::new()) })
    }

    /// The options this validator applies.
    #[must_use]
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The number of worker threads.
    #[must_use]
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Checks each path as one dataset (a `.jsonl` file, a directory of shards, or `-` for standard
    /// input), streaming findings into `sink`. Every path is resolved before any is checked, so a
    /// missing path fails the run before any output.
    pub fn check_paths<P: AsRef<Path>>(&self, paths: &[P], sink: &mut dyn Sink) -> Result<Summary, Error> {
        let datasets = paths.iter().map(|path| dataset::resolve_path(path.as_ref())).collect::<Result<Vec<_>, _>>()?;
        let mut summary = Summary::default();
        for (index, dataset) in datasets.into_iter().enumerate() {
            summary.add(&self.check_dataset(index as u32, dataset, sink)?);
        }
        Ok(summary)
    }

    /// Checks one path and collects the findings.
    pub fn check_path(&self, path: impl AsRef<Path>) -> Result<Report, Error> {
        let mut report = Report::new(self.options.target);
        self.check_paths(&[path.as_ref()], &mut report)?;
        Ok(report)
    }

    /// Checks bytes already in memory as one single-file dataset named `name`.
    ///
    /// # Errors
    /// Only when the bytes are not a dataset at all: a Git LFS pointer ([`Error::LfsPointer`]).
    pub fn check_bytes(&self, name: &str, bytes: &[u8]) -> Result<Report, Error> {
        let mut report = Report::new(self.options.target);
        let dataset = Dataset {
            display: name.to_string(),
            shards: vec![Shard::Bytes { display: name.to_string(), bytes }],
            layout_problems: Vec::new(),
        };
        self.check_dataset(0, dataset, &mut report)?;
        Ok(report)
    }

    /// Checks a stream (read once, in blocks) as one single-file dataset named `name`.
    pub fn check_reader<'r>(
        &self,
        name: &str,
        reader: impl Read + Send + 'r,
        sink: &mut dyn Sink,
    ) -> Result<DatasetSummary, Error> {
        let reader: Box<dyn Read + Send + 'r> = Box::new(reader);
        let dataset = Dataset {
            display: name.to_string(),
            shards: vec![Shard::Stream {
                display: name.to_string(),
                reader: StreamReader::new(reader, crate::source::STREAM_BLOCK),
            }],
            layout_problems: Vec::new(),
        };
        self.check_dataset(0, dataset, sink)
    }
}
