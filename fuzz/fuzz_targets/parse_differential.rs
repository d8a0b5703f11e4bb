//! The line parser against serde_json: see `dpolint::fuzz_support::parse_differential`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dpolint::fuzz_support::parse_differential(data));
