//! `dpolint check` on arbitrary bytes: see `dpolint::fuzz_support::check_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dpolint::fuzz_support::check_bytes(data));
