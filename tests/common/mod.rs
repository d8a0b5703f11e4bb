//! Helpers shared by the integration tests.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use dpolint::render::{Format, RenderOptions, renderer};
use dpolint::{Diagnostic, Options, Report, RuleSet, Target, Validator};

/// The repository's fixture directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

/// A validator with default Fireworks rules (optionally a selection) and `threads` workers.
pub fn validator(threads: usize, select: &[String]) -> Validator {
    validator_with(threads, select, dpolint::DEFAULT_MAX_LINE_BYTES)
}

/// [`validator`] with another line-size limit.
pub fn validator_with(threads: usize, select: &[String], max_line_bytes: usize) -> Validator {
    let rules = RuleSet::from_selectors(Target::Fireworks, select, &[]).expect("valid selectors");
    let options = Options::default().with_threads(threads).with_rules(rules).with_max_line_bytes(max_line_bytes);
    Validator::new(options).expect("validator")
}

/// The options a fixture's `expected.json` asks for: `select` (rules that are off by default) and
/// `max_line_bytes`.
pub fn fixture_options(expected: &serde_json::Value) -> (Vec<String>, usize) {
    let select = expected["select"]
        .as_array()
        .map(|codes| codes.iter().map(|code| code.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    let max_line_bytes =
        expected["max_line_bytes"].as_u64().map_or(dpolint::DEFAULT_MAX_LINE_BYTES, |bytes| bytes as usize);
    (select, max_line_bytes)
}

/// The diagnostics' essential fields, one line each, for readable assertions.
pub fn essentials(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            let mut line = format!("{} {}", d.rule.code(), d.severity);
            match d.location {
                Some(l) => {
                    write!(line, " {}:{} @{}+{}", l.line, l.column, l.offset, l.length).unwrap();
                }
                None => line.push_str(" dataset"),
            }
            if let Some(pointer) = &d.pointer {
                write!(line, " {pointer:?}").unwrap();
            }
            line
        })
        .collect()
}

/// Renders `report`-producing check of `path` in `format`, as the CLI would (no colour).
pub fn render(validator: &Validator, paths: &[&Path], format: Format) -> String {
    let mut out = Vec::new();
    {
        let mut options = RenderOptions::new(Target::Fireworks);
        // Wide enough that no message wraps: a message that names its file would otherwise wrap
        // at a place that depends on how long the checkout's path is.
        options.width = 1000;
        let mut sink = renderer(format, Box::new(&mut out), &options);
        let summary = validator.check_paths(paths, &mut *sink).expect("check runs");
        sink.finish(&summary).expect("render");
    }
    String::from_utf8(out).expect("utf-8 output")
}

/// Checks bytes with the given validator.
pub fn check_bytes(validator: &Validator, bytes: &[u8]) -> Report {
    validator.check_bytes("input.jsonl", bytes).expect("the bytes are a dataset")
}

/// One valid record with distinct text.
pub fn record(i: usize) -> String {
    format!(
        r#"{{"input": {{"messages": [{{"role": "user", "content": "Question {i}?"}}]}}, "preferred_output": [{{"role": "assistant", "content": "Good answer {i}."}}], "non_preferred_output": [{{"role": "assistant", "content": "Bad answer {i}."}}]}}"#
    )
}
