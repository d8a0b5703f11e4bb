//! Integration tests: one test binary, one module per area.

mod adversarial;
mod cli;
mod common;
mod fixtures;
mod pipeline;
mod snapshots;
