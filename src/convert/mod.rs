//! `dpolint convert`: the popular preference layouts into the target layout, losing nothing
//! silently.
//!
//! Sources are read through [`container`] (JSONL, JSON arrays, gzip, zstd, Parquet, CSV) as JSON
//! records; a layout adapter ([`Layout`]) maps each record to a candidate pair; the shared rules
//! (the `pairs` module) normalise it and either accept it or drop it with a stable [`DropReason`]; every
//! written line is checked with dpolint's own rules before it is written. The [`ConvertReport`]
//! accounts for every record: `read == written + dropped`.
//!
//! ```
//! use dpolint::convert::{ConvertOptions, Converter};
//!
//! let source = concat!(
//!     r#"{"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Lyon."}"#, "\n",
//!     r#"{"prompt": "2 + 2?", "chosen": "4", "rejected": "4"}"#, "\n",
//! );
//! let mut output = Vec::new();
//! let converter = Converter::new(ConvertOptions::default())?;
//! let report = converter.convert_reader("pairs.jsonl", source.as_bytes(), &mut output, None)?;
//! assert_eq!((report.read, report.written), (2, 1));
//! assert_eq!(report.layout.name(), "trl");
//! assert_eq!(report.dropped_count(dpolint::convert::DropReason::IdenticalPair), 1);
//! assert!(String::from_utf8(output).unwrap().starts_with(r#"{"input":{"messages":[{"role":"user","content":"Capital of France?"}]}"#));
//!
//! // Detection alone, with its explanation:
//! let detection = converter.detect_reader("pairs.jsonl", source.as_bytes())?;
//! assert_eq!(detection.layout.map(|layout| layout.name()), Some("trl"));
//! # Ok::<(), dpolint::Error>(())
//! ```
//!
//! [`Converter::convert_files`] converts files (shards of one dataset) into one output written
//! atomically; [`Converter::convert_reader`] takes any reader and any writer.

pub mod container;
mod detect;
mod layouts;
mod message;
mod pairs;
mod report;
mod run;
pub(crate) mod value;
mod writer;

use std::fmt;
use std::str::FromStr;

pub use detect::Detection;
pub use layouts::Layout;
pub use report::{ConvertReport, DropRecord};
pub use run::{Converter, abandon_unfinished_outputs};

use crate::rules::Target;

/// Why a source record was not written. The names are stable; when several apply, the first in
/// this order is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// The record is not valid JSON (or not a JSON object).
    ParseError,
    /// An SFT or reward-model row: no preference in it.
    NotPreference,
    /// A KTO-style row: one completion with a good/bad label, no pair.
    Unpaired,
    /// A field the layout needs is absent or null.
    MissingField,
    /// An image, audio or refusal part: the target trains on text only.
    Multimodal,
    /// A tool, function or observation turn, or tool calls: the target cannot express them.
    UnsupportedRole,
    /// The two sides diverge before the last assistant turn.
    MultiTurnCompletion,
    /// The turns do not alternate user/assistant, or the prompt does not end with a user turn.
    BadRoleOrder,
    /// The prompt is missing or whitespace-only.
    EmptyPrompt,
    /// An answer is missing or whitespace-only.
    EmptyCompletion,
    /// The two full conversations are identical.
    IdenticalPair,
    /// The candidates' scores or ranks do not separate a best from a worst.
    Tie,
    /// The prompt has earlier turns and the target is one-turn (`--multi-turn drop`).
    MultiTurnPrompt,
    /// The converted record still fails a `dpolint check` error rule (a safety net; the message
    /// names the rule).
    FailedCheck,
}

impl DropReason {
    /// Every reason, in precedence order.
    pub const ALL: [DropReason; 14] = [
        DropReason::ParseError,
        DropReason::NotPreference,
        DropReason::Unpaired,
        DropReason::MissingField,
        DropReason::Multimodal,
        DropReason::UnsupportedRole,
        DropReason::MultiTurnCompletion,
        DropReason::BadRoleOrder,
        DropReason::EmptyPrompt,
        DropReason::EmptyCompletion,
        DropReason::IdenticalPair,
        DropReason::Tie,
        DropReason::MultiTurnPrompt,
        DropReason::FailedCheck,
    ];

    /// The stable name used in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            DropReason::ParseError => "parse-error",
            DropReason::NotPreference => "not-preference",
            DropReason::Unpaired => "unpaired",
            DropReason::MissingField => "missing-field",
            DropReason::Multimodal => "multimodal",
            DropReason::UnsupportedRole => "unsupported-role",
            DropReason::MultiTurnCompletion => "multi-turn-completion",
            DropReason::BadRoleOrder => "bad-role-order",
            DropReason::EmptyPrompt => "empty-prompt",
            DropReason::EmptyCompletion => "empty-completion",
            DropReason::IdenticalPair => "identical-pair",
            DropReason::Tie => "tie",
            DropReason::MultiTurnPrompt => "multi-turn-prompt",
            DropReason::FailedCheck => "failed-check",
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A dropped record: the reason and a sentence about this record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drop {
    /// The stable reason.
    pub reason: DropReason,
    /// What exactly was wrong with this record.
    pub message: String,
}

impl Drop {
    pub(crate) fn new(reason: DropReason, message: impl Into<String>) -> Drop {
        Drop { reason, message: message.into() }
    }
}

/// What to do with prompts that have earlier user/assistant turns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MultiTurnPolicy {
    /// Drop them as `multi-turn-prompt` (the one-turn targets' rule).
    #[default]
    Drop,
    /// Keep the turns (valid for the Together target only).
    Keep,
    /// Fold the earlier turns into the final user message as a labelled transcript (lossy).
    Flatten,
}

impl FromStr for MultiTurnPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "drop" => Ok(MultiTurnPolicy::Drop),
            "keep" => Ok(MultiTurnPolicy::Keep),
            "flatten" => Ok(MultiTurnPolicy::Flatten),
            _ => Err(format!("unknown multi-turn policy `{s}` (expected drop, keep or flatten)")),
        }
    }
}

/// How scored or ranked candidates become pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairing {
    /// The best candidate against the worst (the default).
    BestVsWorst,
    /// The best against one of the others chosen at random (deterministic for a seed).
    BestVsRandom {
        /// The seed.
        seed: u64,
    },
    /// Every pair of candidates with different scores.
    AllPairs,
}

/// Which score of an `UltraFeedback` completion ranks it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ScoreKey {
    /// `fine-grained_score` (the mean of the four aspect ratings; what the cleaned binarizations use).
    #[default]
    FineGrained,
    /// `overall_score` (the critique score).
    Overall,
    /// One aspect's `Rating` (`helpfulness`, `honesty`, `instruction_following`, `truthfulness`).
    Aspect(String),
}

/// Which PKU-SafeRLHF label picks the preferred response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PkuAxis {
    /// `safer_response_id` (the dataset's purpose).
    #[default]
    Safer,
    /// `better_response_id`.
    Better,
}

/// How a plain-text pair without a prompt is split.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PromptSplit {
    /// Never guess: such rows are `empty-prompt`.
    #[default]
    None,
    /// Split at the last word boundary before the first differing character (lossy).
    Char,
}

/// The `--map` field mapping of the `mapped` layout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldMap {
    /// Field with the prompt (a string or a message list).
    pub prompt: String,
    /// Field with the preferred answer.
    pub chosen: String,
    /// Field with the other answer.
    pub rejected: String,
    /// Optional field with a system prompt.
    pub system: Option<String>,
}

impl FromStr for FieldMap {
    type Err = String;

    /// Parses `prompt=FIELD,chosen=FIELD,rejected=FIELD[,system=FIELD]`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut map = FieldMap::default();
        for part in s.split(',').filter(|part| !part.trim().is_empty()) {
            let (slot, field) = part.split_once('=').ok_or_else(|| format!("`{part}` is not SLOT=FIELD"))?;
            let field = field.trim().to_string();
            match slot.trim() {
                "prompt" => map.prompt = field,
                "chosen" => map.chosen = field,
                "rejected" => map.rejected = field,
                "system" => map.system = Some(field),
                other => return Err(format!("unknown slot `{other}` (expected prompt, chosen, rejected or system)")),
            }
        }
        if map.prompt.is_empty() || map.chosen.is_empty() || map.rejected.is_empty() {
            return Err("--map needs prompt=FIELD, chosen=FIELD and rejected=FIELD".into());
        }
        Ok(map)
    }
}

/// How a conversion runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ConvertOptions {
    /// The target whose layout and rules the output follows.
    pub target: Target,
    /// The source layout; `None` detects it.
    pub layout: Option<Layout>,
    /// Prompts with earlier turns.
    pub multi_turn: MultiTurnPolicy,
    /// Merge consecutive same-role turns (joined by a blank line) instead of dropping the row.
    pub merge_consecutive: bool,
    /// How scored/ranked candidates pair up.
    pub pairing: Pairing,
    /// The smallest score difference a scored pair needs (otherwise `tie`).
    pub min_margin: f64,
    /// `UltraFeedback`'s score.
    pub score_key: ScoreKey,
    /// PKU-SafeRLHF's label.
    pub pku_axis: PkuAxis,
    /// Plain-text pairs without a prompt.
    pub prompt_split: PromptSplit,
    /// The `mapped` layout's fields.
    pub map: Option<FieldMap>,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// The longest record read, in bytes (a JSONL line without its line ending, a JSON array
    /// element, a pretty-printed single-object file). A longer line or element is skipped without
    /// being held in memory and dropped as `parse-error`; a longer single-object file is an error.
    /// Default: [`DEFAULT_MAX_LINE_BYTES`](crate::DEFAULT_MAX_LINE_BYTES) (256 MiB), as `check`.
    pub max_record_bytes: usize,
}

impl Default for ConvertOptions {
    fn default() -> ConvertOptions {
        ConvertOptions {
            target: Target::Fireworks,
            layout: None,
            multi_turn: MultiTurnPolicy::Drop,
            merge_consecutive: false,
            pairing: Pairing::BestVsWorst,
            min_margin: 0.0,
            score_key: ScoreKey::FineGrained,
            pku_axis: PkuAxis::Safer,
            prompt_split: PromptSplit::None,
            map: None,
            threads: 0,
            max_record_bytes: crate::DEFAULT_MAX_LINE_BYTES,
        }
    }
}
