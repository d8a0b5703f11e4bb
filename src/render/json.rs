//! `json` (one document) and `jsonl` (one finding per line), with exactly the fields of the rule
//! book. Unknown values are `null`; nothing is capped.

use std::io::{self, Write};

use serde::Serialize;

use super::{Render, RenderOptions};
use crate::diagnostic::{Diagnostic, Location};
use crate::validate::{DatasetSummary, Report, Sink, Summary};

/// The JSON shape of one finding.
#[derive(Serialize)]
pub(crate) struct JsonDiagnostic<'a> {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
    help: Option<&'a str>,
    file: &'a str,
    line: Option<u64>,
    column: Option<u64>,
    offset: Option<u64>,
    length: Option<u64>,
    pointer: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    line: u64,
    column: u64,
    offset: u64,
    length: u64,
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(diagnostic: &'a Diagnostic) -> Self {
        let location = diagnostic.location;
        JsonDiagnostic {
            code: diagnostic.rule.code(),
            name: diagnostic.rule.name(),
            severity: diagnostic.severity.as_str(),
            message: &diagnostic.message,
            help: diagnostic.help.as_deref(),
            file: &diagnostic.file,
            line: location.map(|l| l.line),
            column: location.map(|l| l.column),
            offset: location.map(|l| l.offset),
            length: location.map(|l| l.length),
            pointer: diagnostic.pointer.as_deref(),
            related: diagnostic
                .related
                .iter()
                .map(|related| {
                    let Location { offset, length, line, column } = related.location;
                    JsonRelated {
                        message: &related.message,
                        file: related.file.as_deref(),
                        line,
                        column,
                        offset,
                        length,
                    }
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct JsonDataset<'a> {
    path: &'a str,
    examples: u64,
    lines: u64,
    errors: u64,
    warnings: u64,
    infos: u64,
}

#[derive(Serialize)]
struct JsonSummary {
    datasets: u64,
    examples: u64,
    errors: u64,
    warnings: u64,
    infos: u64,
}

#[derive(Serialize)]
struct JsonDocument<'a> {
    version: u32,
    target: &'static str,
    datasets: Vec<JsonDataset<'a>>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: JsonSummary,
}

/// Writes `report` as the rule book's JSON document.
pub fn write_json(report: &Report, writer: &mut dyn Write) -> io::Result<()> {
    let summary = report.summary();
    let document = JsonDocument {
        version: 1,
        target: report.target.as_str(),
        datasets: report
            .datasets
            .iter()
            .map(|dataset: &DatasetSummary| JsonDataset {
                path: &dataset.path,
                examples: dataset.examples,
                lines: dataset.lines,
                errors: dataset.errors,
                warnings: dataset.warnings,
                infos: dataset.infos,
            })
            .collect(),
        diagnostics: report.diagnostics.iter().map(JsonDiagnostic::from).collect(),
        summary: JsonSummary {
            datasets: summary.datasets,
            examples: summary.examples,
            errors: summary.errors,
            warnings: summary.warnings,
            infos: summary.infos,
        },
    };
    serde_json::to_writer_pretty(&mut *writer, &document)?;
    writeln!(writer)
}

/// Collects the run, then writes one document (the datasets' counts come first in it).
pub(super) struct JsonRenderer<'w> {
    writer: Box<dyn Write + 'w>,
    report: Report,
}

impl<'w> JsonRenderer<'w> {
    pub(super) fn new(writer: Box<dyn Write + 'w>, options: &RenderOptions) -> Self {
        JsonRenderer { writer, report: Report::new(options.target) }
    }
}

impl Sink for JsonRenderer<'_> {
    fn start_dataset(&mut self, path: &str) -> io::Result<()> {
        self.report.start_dataset(path)
    }

    fn diagnostic(&mut self, mut diagnostic: Diagnostic) -> io::Result<()> {
        diagnostic.source = None;
        self.report.diagnostic(diagnostic)
    }

    fn finish_dataset(&mut self, summary: &DatasetSummary) -> io::Result<()> {
        self.report.finish_dataset(summary)
    }
}

impl Render for JsonRenderer<'_> {
    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        write_json(&self.report, &mut self.writer)?;
        self.writer.flush()
    }
}

/// Streams one compact JSON object per finding.
pub(super) struct JsonlRenderer<'w> {
    writer: Box<dyn Write + 'w>,
}

impl<'w> JsonlRenderer<'w> {
    pub(super) fn new(writer: Box<dyn Write + 'w>) -> Self {
        JsonlRenderer { writer }
    }
}

impl Sink for JsonlRenderer<'_> {
    fn diagnostic(&mut self, diagnostic: Diagnostic) -> io::Result<()> {
        serde_json::to_writer(&mut self.writer, &JsonDiagnostic::from(&diagnostic))?;
        writeln!(self.writer)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    fn finish_dataset(&mut self, _: &DatasetSummary) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Render for JsonlRenderer<'_> {
    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        self.writer.flush()
    }
}
