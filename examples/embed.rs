//! Embedding dpolint: stream findings through a custom sink and tally them per rule.
//!
//! Run with `cargo run --example embed -- examples/broken_dpo.jsonl`.

use std::collections::BTreeMap;
use std::io;
use std::process::ExitCode;

use dpolint::{DatasetSummary, Diagnostic, Options, Rule, Severity, Sink, Validator};

/// Counts findings per rule and keeps the first error for a short report.
#[derive(Default)]
struct Tally {
    per_rule: BTreeMap<Rule, u64>,
    first_error: Option<Diagnostic>,
}

impl Sink for Tally {
    fn diagnostic(&mut self, diagnostic: Diagnostic) -> io::Result<()> {
        *self.per_rule.entry(diagnostic.rule).or_default() += 1;
        if diagnostic.severity == Severity::Error && self.first_error.is_none() {
            self.first_error = Some(diagnostic);
        }
        Ok(())
    }

    fn finish_dataset(&mut self, summary: &DatasetSummary) -> io::Result<()> {
        println!(
            "{}: {} examples, {} errors, {} warnings",
            summary.path, summary.examples, summary.errors, summary.warnings
        );
        Ok(())
    }
}

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: embed PATH...");
        return ExitCode::from(2);
    }
    let validator = match Validator::new(Options::default()) {
        Ok(validator) => validator,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let mut tally = Tally::default();
    let summary = match validator.check_paths(&paths, &mut tally) {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    for (rule, count) in &tally.per_rule {
        println!("{:>6}  {} {}", count, rule.code(), rule.name());
    }
    if let Some(first) = &tally.first_error {
        let location = first.location.map(|l| format!("{}:{}", l.line, l.column)).unwrap_or_default();
        println!("first error: {}:{location} {} {}", first.file, first.rule.code(), first.message);
    }
    ExitCode::from(summary.exit_code(false))
}
