//! `dpolint convert` on arbitrary bytes (the first two pick the layout and options): see
//! `dpolint::fuzz_support::convert_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dpolint::fuzz_support::convert_bytes(data));
