//! Entry points into single stages of the pipeline, for `benches/stages.rs`. Not a stable API.

use crate::parse::{Tape, parse_line};
use crate::rules::line::{LineRules, LineScratch, check_line};
use crate::rules::{RuleSet, Target};
use crate::source::chunk_ranges;

/// Cuts `bytes` into 1 MiB chunks and counts their lines: the split stage.
#[must_use]
pub fn split(bytes: &[u8]) -> usize {
    chunk_ranges(bytes, 1 << 20).map(|range| memchr::memchr_iter(b'\n', &bytes[range]).count()).sum()
}

/// Parses every line into a tape (no rules): the parse stage. Returns the records that parsed.
#[must_use]
pub fn parse(bytes: &[u8]) -> usize {
    let mut tape = Tape::default();
    bytes.split(|&b| b == b'\n').filter(|line| !line.is_empty() && parse_line(line, &mut tape, 128).is_ok()).count()
}

/// Runs every line check of the default Fireworks rules, fingerprints included: the rules stage.
/// Returns the number of findings.
#[must_use]
pub fn check(bytes: &[u8]) -> usize {
    let rules = RuleSet::defaults(Target::Fireworks);
    let tokens = crate::tokens::TokenCounter::estimate();
    let line_rules = LineRules {
        rules: &rules,
        target: Target::Fireworks,
        max_depth: 128,
        max_line_bytes: crate::rules::line::DEFAULT_MAX_LINE_BYTES,
        fingerprints: true,
        tokens: &tokens,
        max_tokens: Target::Fireworks.default_max_tokens(),
    };
    let mut scratch = LineScratch::default();
    let mut findings = Vec::new();
    let mut count = 0;
    for line in bytes.split(|&b| b == b'\n').filter(|line| !line.is_empty()) {
        findings.clear();
        let _ = check_line(line, true, 0, false, &line_rules, &mut scratch, &mut findings);
        count += findings.len();
    }
    count
}
