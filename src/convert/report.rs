//! What a conversion did: the layout and why, counts per drop reason with where each drop came from,
//! and the fields that had no place in the target.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::{DropReason, Layout};
use crate::rules::Target;

/// One dropped record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DropRecord {
    /// The stable reason name.
    pub reason: &'static str,
    /// The source file.
    pub file: String,
    /// 1-based physical line (JSONL and CSV sources), else `None`.
    pub line: Option<u64>,
    /// 0-based position (JSON arrays and Parquet), else `None`.
    pub index: Option<u64>,
    /// What was wrong with this record.
    pub message: String,
}

/// The outcome of a conversion. `read == written + dropped` always.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvertReport {
    /// The layout used.
    pub layout: Layout,
    /// Whether it was detected (`false`: given with `--from`).
    pub detected: bool,
    /// Why this layout (which keys), or that it was given.
    pub reason: String,
    /// The target layout's provider.
    pub target: Target,
    /// Where the records went.
    pub output: String,
    /// Records read (blank JSONL lines are not records).
    pub read: u64,
    /// Records written (a record paired several ways with `--pairing all-pairs` counts once).
    pub written: u64,
    /// Lines written (more than `written` only with `--pairing all-pairs`).
    pub pairs: u64,
    /// Dropped records per reason.
    pub dropped: BTreeMap<DropReason, u64>,
    /// Every dropped record, in input order.
    pub drops: Vec<DropRecord>,
    /// Source fields that have no place in the target (scores, ids, models, metadata ...).
    pub discarded_fields: BTreeSet<String>,
    /// Written records whose earlier turns were folded into the last user message (lossy).
    pub flattened: u64,
    /// Things worth knowing that are not drops.
    pub warnings: Vec<String>,
}

impl ConvertReport {
    /// Records dropped for `reason`.
    #[must_use]
    pub fn dropped_count(&self, reason: DropReason) -> u64 {
        self.dropped.get(&reason).copied().unwrap_or(0)
    }

    /// All dropped records.
    #[must_use]
    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }

    /// The command line's exit code: 0 when something was written, 1 when nothing was.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        u8::from(self.written == 0)
    }

    /// The report as the JSON document of the spec.
    #[must_use]
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Document<'a> {
            version: u32,
            layout: &'static str,
            detected: bool,
            reason: &'a str,
            target: &'static str,
            output: &'a str,
            read: u64,
            written: u64,
            pairs: u64,
            dropped: BTreeMap<&'static str, u64>,
            drops: &'a [DropRecord],
            discarded_fields: &'a BTreeSet<String>,
            flattened: u64,
            warnings: &'a [String],
        }
        let document = Document {
            version: 1,
            layout: self.layout.name(),
            detected: self.detected,
            reason: &self.reason,
            target: self.target.as_str(),
            output: &self.output,
            read: self.read,
            written: self.written,
            pairs: self.pairs,
            dropped: self.dropped.iter().map(|(reason, count)| (reason.name(), *count)).collect(),
            drops: &self.drops,
            discarded_fields: &self.discarded_fields,
            flattened: self.flattened,
            warnings: &self.warnings,
        };
        serde_json::to_string_pretty(&document).unwrap_or_default()
    }

    /// The report for people: at most `examples` locations per drop reason.
    #[must_use]
    pub fn to_human(&self, examples: usize) -> String {
        let mut text = String::new();
        let how = if self.detected { "detected" } else { "given" };
        let _ = writeln!(text, "layout: {} ({how}: {})", self.layout, self.reason);
        let pairs = if self.pairs == self.written { String::new() } else { format!(" as {} pairs", self.pairs) };
        let _ = writeln!(
            text,
            "records: {} read, {} written{pairs} to {}, {} dropped",
            self.read,
            self.written,
            self.output,
            self.dropped_total()
        );
        for (reason, count) in &self.dropped {
            let _ = writeln!(text, "  {count:>8} {reason}");
            for drop in self.drops.iter().filter(|drop| drop.reason == reason.name()).take(examples) {
                let place = match (drop.line, drop.index) {
                    (Some(line), _) => format!("{}:{line}", drop.file),
                    (None, Some(index)) => format!("{}[{index}]", drop.file),
                    (None, None) => drop.file.clone(),
                };
                let _ = writeln!(text, "           {place}: {}", drop.message);
            }
            if *count as usize > examples {
                let _ = writeln!(text, "           ... and {} more", *count as usize - examples);
            }
        }
        if self.flattened > 0 {
            let _ = writeln!(
                text,
                "flattened: {} multi-turn prompts folded into their last user message (lossy)",
                self.flattened
            );
        }
        if !self.discarded_fields.is_empty() {
            let fields: Vec<&str> = self.discarded_fields.iter().map(String::as_str).collect();
            let _ = writeln!(text, "fields with no place in the target (not written): {}", fields.join(", "));
        }
        for warning in &self.warnings {
            let _ = writeln!(text, "warning: {warning}");
        }
        text
    }
}
