//! `concise`: one line per finding, for editors, grep and quick reading.

use std::io::{self, Write};

use super::{Cap, Render, RenderOptions, dataset_line, total_line};
use crate::diagnostic::Diagnostic;
use crate::validate::{DatasetSummary, Sink, Summary};

pub(super) struct ConciseRenderer<'w> {
    writer: Box<dyn Write + 'w>,
    cap: Cap,
    quiet: bool,
}

impl<'w> ConciseRenderer<'w> {
    pub(super) fn new(writer: Box<dyn Write + 'w>, options: &RenderOptions) -> Self {
        ConciseRenderer { writer, cap: Cap::new(options.max_per_rule), quiet: options.quiet }
    }
}

/// `FILE:LINE:COLUMN: SEVERITY CODE message` (`FILE: SEVERITY CODE message` for dataset-level).
pub(super) fn concise_line(diagnostic: &Diagnostic) -> String {
    let place = match diagnostic.location {
        Some(location) => format!("{}:{}:{}", diagnostic.file, location.line, location.column),
        None => diagnostic.file.clone(),
    };
    format!("{place}: {} {} {}", diagnostic.severity, diagnostic.rule.code(), diagnostic.message)
}

impl Sink for ConciseRenderer<'_> {
    fn diagnostic(&mut self, diagnostic: Diagnostic) -> io::Result<()> {
        if self.cap.admit(&diagnostic) {
            writeln!(self.writer, "{}", concise_line(&diagnostic))?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    fn finish_dataset(&mut self, summary: &DatasetSummary) -> io::Result<()> {
        for line in self.cap.take_overflow() {
            writeln!(self.writer, "{line}")?;
        }
        if !self.quiet {
            writeln!(self.writer, "{}", dataset_line(summary))?;
        }
        self.writer.flush()
    }
}

impl Render for ConciseRenderer<'_> {
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if summary.datasets > 1 && !self.quiet {
            writeln!(self.writer, "{}", total_line(summary))?;
        }
        self.writer.flush()
    }
}
