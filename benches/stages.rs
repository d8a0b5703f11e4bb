//! Throughput of each stage on generated data (`cargo bench --bench stages [-- RECORDS]`): split,
//! parse, line checks, the whole single-threaded pipeline, and rendering. Reports bytes/s (the best
//! of five runs) so a change to one stage shows up where it belongs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use dpolint::render::{Format, RenderOptions, renderer};
use dpolint::{Options, Target, Validator};

#[path = "../bench/generator.rs"]
mod generator;

fn best_of<T>(runs: usize, mut work: impl FnMut() -> T) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(work());
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn report(stage: &str, bytes: usize, time: Duration) {
    let rate = bytes as f64 / time.as_secs_f64() / 1e6;
    println!("{stage:<28} {:>9.1} ms {rate:>9.0} MB/s", time.as_secs_f64() * 1e3);
}

fn main() {
    let records = std::env::args().skip(1).find_map(|arg| arg.parse().ok()).unwrap_or(40_000);
    let clean = generator::dataset(records, 0, 7);
    let broken = generator::dataset(records, 1000, 7);
    let bytes = clean.len();
    println!("{records} records, {:.1} MB", bytes as f64 / 1e6);

    report("split (chunks, lines)", bytes, best_of(5, || dpolint::bench_support::split(clean.as_bytes())));
    report("parse (tape only)", bytes, best_of(5, || dpolint::bench_support::parse(clean.as_bytes())));
    report("line checks (all rules)", bytes, best_of(5, || dpolint::bench_support::check(clean.as_bytes())));

    let validator = Validator::new(Options::default().with_threads(1).with_source_lines(false)).unwrap();
    report(
        "pipeline, 1 thread, clean",
        bytes,
        best_of(5, || validator.check_bytes("clean", clean.as_bytes()).unwrap()),
    );
    report(
        "pipeline, 1 thread, 1/1000 bad",
        broken.len(),
        best_of(5, || validator.check_bytes("broken", broken.as_bytes()).unwrap()),
    );

    // Conversion: TRL strings into the target layout, on one thread.
    let mut random = generator::Random(7);
    let trl: String = (0..records).map(|_| generator::trl_record(&mut random)).collect();
    let mut options = dpolint::convert::ConvertOptions::default();
    options.threads = 1;
    let converter = dpolint::convert::Converter::new(options).unwrap();
    let trl_bytes = trl.len();
    let time = best_of(3, || {
        let mut out = Vec::with_capacity(trl_bytes * 2);
        converter.convert_reader("trl.jsonl", std::io::Cursor::new(trl.clone().into_bytes()), &mut out, None).unwrap();
        out.len()
    });
    report("convert trl, 1 thread", trl_bytes, time);

    // Rendering: the findings of a file where every record is broken, in each format.
    let all_broken = generator::dataset(records / 10, 1, 7);
    let with_sources = Validator::new(Options::default().with_threads(1)).unwrap();
    let report_data = with_sources.check_bytes("all-broken", all_broken.as_bytes()).unwrap();
    let findings = report_data.diagnostics.len();
    for format in [Format::Concise, Format::Jsonl, Format::Json, Format::Full] {
        let time = best_of(3, || {
            let mut out = Vec::new();
            let mut options = RenderOptions::new(Target::Fireworks);
            options.max_per_rule = 0;
            let mut sink = renderer(format, Box::new(&mut out), &options);
            sink.start_dataset("all-broken").unwrap();
            for diagnostic in &report_data.diagnostics {
                sink.diagnostic(diagnostic.clone()).unwrap();
            }
            sink.finish_dataset(&report_data.datasets[0]).unwrap();
            sink.finish(&report_data.summary()).unwrap();
            drop(sink);
            out.len()
        });
        println!(
            "render {:<8} {findings:>7} findings {:>9.1} ms {:>9.0} findings/ms",
            format.as_str(),
            time.as_secs_f64() * 1e3,
            findings as f64 / (time.as_secs_f64() * 1e3)
        );
    }
}
