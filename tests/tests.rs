//! Integration tests: one test binary, one module per area.

mod adversarial;
mod cli;
mod common;
mod convert_corpus;
mod fixtures;
mod pipeline;
mod snapshots;
