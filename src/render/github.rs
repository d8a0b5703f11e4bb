//! `github`: one GitHub Actions workflow command per finding, which the runner turns into an
//! annotation on the file and line:
//!
//! ```text
//! ::error file=data.jsonl,line=2,col=25,endColumn=31,title=DPO104 invalid-role::role `"User"` is not … — use `"user"` …
//! ```
//!
//! Errors are `::error`, warnings `::warning`, infos `::notice`. Dataset-level findings name the file
//! (the dataset or the directory entry) without `line` and `col`. `endColumn` is given when the end of
//! the span is known exactly (see [`super::sarif::end_column`]). Streamed, never capped, and nothing
//! follows the last finding: the run's annotations and the exit code are the summary.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::Render;
use super::sarif::end_column;
use crate::diagnostic::Diagnostic;
use crate::rules::Severity;
use crate::validate::{DatasetSummary, Sink, Summary};

pub(super) struct GithubRenderer<'w> {
    writer: Box<dyn Write + 'w>,
}

impl<'w> GithubRenderer<'w> {
    pub(super) fn new(writer: Box<dyn Write + 'w>) -> Self {
        GithubRenderer { writer }
    }
}

/// The workflow command for a severity.
fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Escapes a command's message as the runner expects (`%`, CR and LF).
fn escape_data(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            _ => out.push(c),
        }
    }
}

/// Escapes a property value: as data, and also `:` and `,`, which end a value.
fn escape_property(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            _ => escape_data(c.encode_utf8(&mut [0; 4]), out),
        }
    }
}

/// One finding as one workflow command line, without its line ending.
pub(super) fn github_line(diagnostic: &Diagnostic) -> String {
    let mut line = format!("::{} file=", command(diagnostic.severity));
    escape_property(&diagnostic.file, &mut line);
    if let Some(location) = diagnostic.location {
        let _ = write!(line, ",line={},col={}", location.line, location.column);
        if let Some(end) = end_column(diagnostic) {
            let _ = write!(line, ",endColumn={end}");
        }
    }
    line.push_str(",title=");
    escape_property(&format!("{} {}", diagnostic.rule.code(), diagnostic.rule.name()), &mut line);
    line.push_str("::");
    escape_data(&diagnostic.message, &mut line);
    if let Some(help) = &diagnostic.help {
        line.push_str(" — ");
        escape_data(help, &mut line);
    }
    line
}

impl Sink for GithubRenderer<'_> {
    fn diagnostic(&mut self, diagnostic: Diagnostic) -> io::Result<()> {
        writeln!(self.writer, "{}", github_line(&diagnostic))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    fn finish_dataset(&mut self, _: &DatasetSummary) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Render for GithubRenderer<'_> {
    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Location, OrderKey};
    use crate::rules::Rule;

    fn diagnostic(severity: Severity, location: Option<Location>) -> Diagnostic {
        Diagnostic {
            rule: Rule::InvalidRole,
            severity,
            message: "role `\"User\"` is not one of system, user, assistant".into(),
            help: Some("use `\"user\"`: roles are lowercase".into()),
            file: "data/train.jsonl".into(),
            location,
            pointer: Some("/input/messages/0/role".into()),
            related: Vec::new(),
            source: None,
            order: OrderKey::default(),
        }
    }

    #[test]
    fn escapes_data_and_properties() {
        let mut data = String::new();
        escape_data("100% done\r\nnext: a,b", &mut data);
        assert_eq!(data, "100%25 done%0D%0Anext: a,b");
        let mut property = String::new();
        escape_property("C:\\a,b%\n.jsonl", &mut property);
        assert_eq!(property, "C%3A\\a%2Cb%25%0A.jsonl");
    }

    #[test]
    fn one_command_per_finding_with_level_location_title_and_help() {
        let location = Location { offset: 40, length: 6, line: 2, column: 25 };
        assert_eq!(
            github_line(&diagnostic(Severity::Error, Some(location))),
            "::error file=data/train.jsonl,line=2,col=25,title=DPO104 invalid-role::role `\"User\"` is not one of \
             system, user, assistant — use `\"user\"`: roles are lowercase"
        );
        assert!(github_line(&diagnostic(Severity::Warning, Some(location))).starts_with("::warning file="));
        assert!(github_line(&diagnostic(Severity::Info, Some(location))).starts_with("::notice file="));
    }

    #[test]
    fn empty_span_has_an_end_column_and_no_help_means_no_dash() {
        let mut blank = diagnostic(Severity::Warning, Some(Location { offset: 10, length: 0, line: 3, column: 1 }));
        blank.rule = Rule::BlankLine;
        blank.message = "blank line".into();
        blank.help = None;
        assert_eq!(
            github_line(&blank),
            "::warning file=data/train.jsonl,line=3,col=1,endColumn=1,title=DPO005 blank-line::blank line"
        );
    }

    #[test]
    fn dataset_level_findings_have_no_line_or_column() {
        let mut entry = diagnostic(Severity::Error, None);
        entry.rule = Rule::ShardLayout;
        entry.file = "shards/notes, 50%: draft.txt".into();
        entry.message = "`notes.txt` is not a `.jsonl` shard\nit is skipped".into();
        entry.help = None;
        assert_eq!(
            github_line(&entry),
            "::error file=shards/notes%2C 50%25%3A draft.txt,title=DPO405 shard-layout::`notes.txt` is not a \
             `.jsonl` shard%0Ait is skipped"
        );
    }

    #[test]
    fn streams_every_finding_and_writes_no_summary() {
        let mut out = Vec::new();
        {
            let mut renderer = GithubRenderer::new(Box::new(&mut out));
            for _ in 0..3 {
                renderer.diagnostic(diagnostic(Severity::Error, None)).unwrap();
            }
            renderer.finish_dataset(&DatasetSummary::default()).unwrap();
            renderer.finish(&Summary::default()).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(text.lines().all(|line| line.starts_with("::error file=data/train.jsonl,title=DPO104")));
    }
}
