//! Integration tests: one test binary, one module per area.

mod adversarial;
mod child;
mod cli;
mod common;
mod conformance;
mod convert_cli;
mod convert_corpus;
mod convert_limits;
mod convert_properties;
mod convert_safety;
mod fixtures;
mod fuzz_seeds;
mod pipeline;
mod properties;
mod sarif;
mod snapshots;
mod targets;
mod workflow;
