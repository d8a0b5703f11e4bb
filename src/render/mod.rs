//! Output formats. Each renderer is a [`Sink`]: findings stream through it as they are found, and
//! [`Render::finish`] writes what only the end of a run knows (totals; the whole JSON document).
//!
//! Human formats (`full`, `concise`) draw at most `max_per_rule` findings per rule per file and then
//! say how many more there were; machine formats (`json`, `jsonl`, `github`, `sarif`) are never capped.

mod concise;
#[cfg(feature = "fancy")]
mod full;
mod github;
mod json;
mod sarif;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::str::FromStr;

use crate::diagnostic::Diagnostic;
use crate::rules::{Rule, Target};
use crate::validate::{DatasetSummary, Sink, Summary};

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Graphical report: the source line with a caret under the span, code, message and help.
    /// Needs the `fancy` feature.
    Full,
    /// One line per finding: `FILE:LINE:COLUMN: SEVERITY CODE message`.
    Concise,
    /// One JSON document for the whole run.
    Json,
    /// One JSON object per finding, one per line.
    Jsonl,
    /// GitHub Actions workflow commands (`::error file=F,line=L,col=C,title=CODE::message`), one per finding.
    Github,
    /// One SARIF 2.1.0 log for the whole run (GitHub code scanning and other SARIF viewers).
    Sarif,
}

impl Format {
    /// Every format, for listings.
    pub const ALL: [Format; 6] =
        [Format::Full, Format::Concise, Format::Json, Format::Jsonl, Format::Github, Format::Sarif];

    /// The name used by `--format`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Full => "full",
            Format::Concise => "concise",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Github => "github",
            Format::Sarif => "sarif",
        }
    }

    /// Whether the format is for people (capped, with summaries) rather than programs.
    #[must_use]
    pub fn is_human(self) -> bool {
        matches!(self, Format::Full | Format::Concise)
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|format| format.as_str() == s)
            .ok_or_else(|| format!("unknown format `{s}` (expected full, concise, json, jsonl, github or sarif)"))
    }
}

/// How human output looks.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RenderOptions {
    /// The target, written into JSON output.
    pub target: Target,
    /// Findings drawn per rule per file in human formats; 0 draws all.
    pub max_per_rule: usize,
    /// ANSI colours in the `full` format.
    pub color: bool,
    /// Unicode box drawing in the `full` format (ASCII otherwise).
    pub unicode: bool,
    /// Terminal width for wrapping the `full` format.
    pub width: usize,
    /// Print nothing but findings (no per-dataset summary lines).
    pub quiet: bool,
}

impl RenderOptions {
    /// Plain defaults: 20 per rule, no colour, Unicode, 100 columns.
    #[must_use]
    pub fn new(target: Target) -> RenderOptions {
        RenderOptions { target, max_per_rule: 20, color: false, unicode: true, width: 100, quiet: false }
    }
}

/// A renderer: a sink that also writes the end of the output.
pub trait Render: Sink {
    /// Writes what comes after the last dataset and flushes.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}

/// Builds the renderer for `format` writing to `writer`.
///
/// `Format::Full` needs the `fancy` feature; without it, it falls back to `concise`.
#[must_use]
pub fn renderer<'w>(format: Format, writer: Box<dyn Write + 'w>, options: &RenderOptions) -> Box<dyn Render + 'w> {
    match format {
        #[cfg(feature = "fancy")]
        Format::Full => Box::new(full::FullRenderer::new(writer, options)),
        #[cfg(not(feature = "fancy"))]
        Format::Full => Box::new(concise::ConciseRenderer::new(writer, options)),
        Format::Concise => Box::new(concise::ConciseRenderer::new(writer, options)),
        Format::Json => Box::new(json::JsonRenderer::new(writer, options)),
        Format::Jsonl => Box::new(json::JsonlRenderer::new(writer)),
        Format::Github => Box::new(github::GithubRenderer::new(writer)),
        Format::Sarif => Box::new(sarif::SarifRenderer::new(writer, options)),
    }
}

/// The per-rule, per-file cap of human formats.
struct Cap {
    limit: usize,
    /// Findings seen per (file, rule) in the current dataset, in first-seen order of files.
    counts: BTreeMap<(usize, Rule), usize>,
    files: Vec<String>,
}

impl Cap {
    fn new(limit: usize) -> Cap {
        Cap { limit, counts: BTreeMap::new(), files: Vec::new() }
    }

    /// Counts `diagnostic`; whether it should be drawn.
    fn admit(&mut self, diagnostic: &Diagnostic) -> bool {
        let file = if let Some(index) = self.files.iter().position(|file| *file == diagnostic.file) {
            index
        } else {
            self.files.push(diagnostic.file.clone());
            self.files.len() - 1
        };
        let count = self.counts.entry((file, diagnostic.rule)).or_default();
        *count += 1;
        self.limit == 0 || *count <= self.limit
    }

    /// Lines saying how many findings were not drawn, then forgets the dataset.
    fn take_overflow(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        for (&(file, rule), &count) in &self.counts {
            if self.limit > 0 && count > self.limit {
                lines.push(format!(
                    "... and {} more {} ({}) findings in {} (--max-per-rule 0 shows all)",
                    count - self.limit,
                    rule.code(),
                    rule.name(),
                    self.files[file]
                ));
            }
        }
        self.counts.clear();
        self.files.clear();
        lines
    }
}

/// "3 errors, 1 warning, 0 infos" style counts.
fn plural(count: u64, word: &str) -> String {
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}

/// The one-line summary of a dataset in human formats.
fn dataset_line(summary: &DatasetSummary) -> String {
    let mut line =
        format!("{}: {} in {}", summary.path, plural(summary.examples, "example"), plural(summary.lines, "line"));
    if summary.files > 1 {
        let _ = write!(line, " ({} shards)", summary.files);
    }
    if summary.errors + summary.warnings + summary.infos == 0 {
        line.push_str(": no problems found");
    } else {
        let _ = write!(
            line,
            ": {}, {}, {}",
            plural(summary.errors, "error"),
            plural(summary.warnings, "warning"),
            plural(summary.infos, "info")
        );
    }
    line
}

/// The closing line of human formats when several datasets were checked.
fn total_line(summary: &Summary) -> String {
    format!(
        "checked {}: {}, {}, {}, {}",
        plural(summary.datasets, "dataset"),
        plural(summary.examples, "example"),
        plural(summary.errors, "error"),
        plural(summary.warnings, "warning"),
        plural(summary.infos, "info")
    )
}
