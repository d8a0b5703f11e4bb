//! The baselines of the comparison table: typed parse only, no rules. `cargo bench --bench
//! parse_only -- FILE [simd-json|serde-json] [THREADS]`.
//!
//! The file is read into memory first (like a pre-faulted map) and not timed. simd-json runs the way
//! the table describes its best configuration: newline-aligned chunks of about 1 MiB, each
//! worker with its own reused line buffer and simd-json `Buffers`, one rayon task per chunk.
//! serde-json parses the same typed, borrowed records on one thread.

use std::borrow::Cow;
use std::time::Instant;

use rayon::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Message<'a> {
    #[serde(borrow)]
    role: Cow<'a, str>,
    #[serde(borrow)]
    content: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Input<'a> {
    #[serde(borrow)]
    messages: Vec<Message<'a>>,
    tools: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Record<'a> {
    #[serde(borrow)]
    input: Input<'a>,
    #[serde(borrow)]
    preferred_output: Vec<Message<'a>>,
    #[serde(borrow, default)]
    non_preferred_output: Vec<Message<'a>>,
}

fn chunks(bytes: &[u8], target: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let probe = (start + target).min(bytes.len());
        let end = memchr::memchr(b'\n', &bytes[probe..]).map_or(bytes.len(), |i| probe + i + 1);
        out.push(&bytes[start..end]);
        start = end;
    }
    out
}

fn simd_json(bytes: &[u8], threads: usize) -> usize {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        chunks(bytes, 1 << 20)
            .par_iter()
            .map_init(
                || (Vec::with_capacity(1 << 16), simd_json::Buffers::new(1 << 16)),
                |(line_buffer, buffers), chunk| {
                    let mut ok = 0;
                    for line in chunk.split(|&b| b == b'\n').filter(|line| !line.is_empty()) {
                        line_buffer.clear();
                        line_buffer.extend_from_slice(line);
                        ok += usize::from(
                            simd_json::serde::from_slice_with_buffers::<Record>(line_buffer, buffers).is_ok(),
                        );
                    }
                    ok
                },
            )
            .sum()
    })
}

fn serde_json(bytes: &[u8]) -> usize {
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .filter(|line| serde_json::from_slice::<Record>(line).is_ok())
        .count()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|arg| arg != "--bench").collect();
    let Some(path) = args.first() else {
        eprintln!("usage: parse_only FILE [simd-json|serde-json] [THREADS]");
        std::process::exit(2);
    };
    let parser = args.get(1).map_or("simd-json", String::as_str);
    let threads = args.get(2).and_then(|t| t.parse().ok()).unwrap_or(1);
    let bytes = std::fs::read(path).unwrap();
    let start = Instant::now();
    let parsed = match parser {
        "serde-json" => serde_json(&bytes),
        _ => simd_json(&bytes, threads),
    };
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{parser} threads={threads} records={parsed} seconds={seconds:.3} gbps={:.3}",
        bytes.len() as f64 / seconds / 1e9
    );
}
