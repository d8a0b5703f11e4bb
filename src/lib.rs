//! # dpolint
//!
//! A fast, exact linter for DPO (preference fine-tuning) datasets in the Fireworks layout: one JSON
//! object per line with `input.messages`, `preferred_output` and `non_preferred_output`.
//!
//! Every problem of every line is reported at once, each as a [`Diagnostic`] with a stable rule code
//! ([`Rule`]), the exact bytes it is about ([`Location`]: byte offset and length, line, column in
//! Unicode scalars), a JSON Pointer into the record, and a hint to fix it.
//!
//! ```
//! use dpolint::{Options, Rule, Validator};
//!
//! let data = concat!(
//!     r#"{"input": {"messages": [{"role": "user", "content": "Capital of France?"}]}, "#,
//!     r#""preferred_output": [{"role": "assistant", "content": "Paris."}], "#,
//!     r#""non_preferred_output": [{"role": "Assistant", "content": "Lyon."}]}"#,
//!     "\n",
//! );
//! let validator = Validator::new(Options::default().with_threads(1))?;
//! let report = validator.check_bytes("tiny.jsonl", data.as_bytes())?;
//!
//! let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.rule.code()).collect();
//! assert_eq!(codes, ["DPO401", "DPO104"]); // too few examples, then the bad role
//! let role = &report.diagnostics[1];
//! assert_eq!(role.pointer.as_deref(), Some("/non_preferred_output/0/role"));
//! assert_eq!(role.location.unwrap().line, 1);
//! assert_eq!(role.help.as_deref(), Some("use `\"assistant\"`: Fireworks roles are `system`, `user`, `assistant` (lowercase)"));
//! assert!(report.has_errors());
//! # Ok::<(), dpolint::Error>(())
//! ```
//!
//! Findings can also stream into any [`Sink`] as they are found, which is how the command line
//! prints the first finding of a multi-gigabyte file before it has read the rest:
//! [`Validator::check_paths`] and [`Validator::check_reader`] take one.
//!
//! Checking is parallel ([`Options::threads`]) and the output is the same bytes for every thread
//! count. Regular files are memory-mapped in windows; streams are read in blocks.
//!
//! The `cli` feature (on by default) builds the `dpolint` binary; embedders can turn it off with
//! `default-features = false` and skip its dependencies.

#![deny(unsafe_code)]

#[doc(hidden)]
pub mod bench_support;
pub mod config;
pub mod convert;
mod diagnostic;
mod error;
mod fingerprint;
#[doc(hidden)]
pub mod fuzz_support;
mod parse;
pub mod render;
pub mod rules;
mod source;
mod span;
pub mod stats;
pub mod tokens;
mod validate;

pub use diagnostic::{Diagnostic, Location, Related};
pub use error::Error;
pub use rules::{Category, Rule, RuleSet, Severity, Target};
pub use span::{SourceLabel, SourceLine, column, count_scalars};
pub use validate::{DEFAULT_MAX_LINE_BYTES, DatasetSummary, Options, Report, Sink, Summary, Validator};
