//! The fuzz targets' bodies (`dpolint::fuzz_support`) over their committed seeds in `fuzz/seeds/`,
//! so that every input a fuzzer found interesting stays fixed without a fuzzer installed.

use std::fs;
use std::path::{Path, PathBuf};

use dpolint::fuzz_support;

/// The seed files of one target, in name order; the directory must not be empty.
fn seeds(target: &str) -> Vec<PathBuf> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("seeds").join(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("{}: {error}", directory.display()))
        .map(|entry| entry.expect("a readable seed directory").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", directory.display());
    files
}

/// Runs `body` over every seed of `target`, naming the seed when it panics.
fn run_seeds(target: &str, body: fn(&[u8])) {
    for path in seeds(target) {
        let data = fs::read(&path).expect("a readable seed");
        let outcome = std::panic::catch_unwind(|| body(&data));
        if let Err(payload) = outcome {
            eprintln!("seed {} failed", path.display());
            std::panic::resume_unwind(payload);
        }
    }
}

#[test]
fn check_seeds() {
    run_seeds("check", fuzz_support::check_bytes);
}

#[test]
fn convert_seeds() {
    run_seeds("convert", fuzz_support::convert_bytes);
}

#[test]
fn parse_differential_seeds() {
    run_seeds("parse_differential", fuzz_support::parse_differential);
}
