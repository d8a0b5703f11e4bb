//! Integration tests: one test binary, one module per area.

mod adversarial;
mod child;
mod cli;
mod common;
mod convert_cli;
mod convert_corpus;
mod convert_properties;
mod fixtures;
mod fuzz_seeds;
mod pipeline;
mod sarif;
mod snapshots;
mod targets;
mod workflow;
