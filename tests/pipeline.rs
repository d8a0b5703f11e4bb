//! The pipeline's output is the same bytes whatever the thread count, chunk size, window size and
//! reading strategy (memory map, `read`, a stream, a slice).

use std::fmt::Write as _;
use std::fs;

use dpolint::render::{Format, RenderOptions, renderer};
use dpolint::{Options, Target, Validator};

use crate::common::record;

/// A dataset with a bit of everything: every few lines a different defect, duplicates and swapped
/// pairs far apart, CRLF, blank lines, non-ASCII, invalid UTF-8, a BOM.
fn mixed_dataset(lines: usize) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    for i in 0..lines {
        if i % 17 == 10 {
            // Invalid UTF-8 inside a string.
            let mut bad = record(i).into_bytes();
            bad[40] = 0xFF;
            out.extend_from_slice(&bad);
            out.push(b'\n');
            continue;
        }
        let line = match i % 17 {
            0 => record(i),
            1 => record(i).replace("\"user\"", "\"Human\""),
            2 => String::new(),
            3 => record(i / 3),
            4 => record(i).replace("Question", "Frage über Größe 🚀"),
            5 => format!("{}\r", record(i)),
            6 => record(i).replace("]}", "],}"),
            7 => record(7),
            8 => record(i).replace("preferred_output", "prefered_output"),
            9 => "   \t ".into(),
            11 => record(i).replace("Good answer", "<|im_start|>"),
            12 => record(i).replace("\"content\": \"Bad answer", "\"weight\": 1.0, \"content\": \"Bad answer"),
            13 => {
                let swapped = record(i % 5 * 17);
                swapped.replace("Good answer", "TMP").replace("Bad answer", "Good answer").replace("TMP", "Bad answer")
            }
            14 => "[1, 2, 3]".into(),
            15 => record(i).replace("Bad answer", "Good answer"),
            _ => format!("{}\"x\": 1, {}", &record(i)[..1], &record(i)[1..]),
        };
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"{\"no final newline\": true}");
    out
}

fn json_output(validator: &Validator, path: &std::path::Path) -> String {
    let mut out = Vec::new();
    {
        let mut sink = renderer(Format::Json, Box::new(&mut out), &RenderOptions::new(Target::Fireworks));
        let summary = validator.check_paths(&[path], &mut *sink).unwrap();
        sink.finish(&summary).unwrap();
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn output_is_identical_for_every_thread_count_chunk_size_and_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.jsonl");
    let data = mixed_dataset(3_000);
    fs::write(&path, &data).unwrap();

    let baseline_validator = Validator::new(Options::default().with_threads(1).with_source_lines(false)).unwrap();
    let baseline = json_output(&baseline_validator, &path);
    assert!(baseline.contains("DPO403") && baseline.contains("DPO404") && baseline.contains("DPO001"));

    let mut differences = String::new();
    for threads in [1, 2, 3, 8, 16] {
        for chunk_size in [1, 97, 4096, 1 << 20] {
            for memory_map in [true, false] {
                let mut options = Options::default()
                    .with_threads(threads)
                    .with_chunk_size(chunk_size)
                    .with_memory_map(memory_map)
                    .with_source_lines(false);
                options.window_size = 70_000;
                let validator = Validator::new(options).unwrap();
                if json_output(&validator, &path) != baseline {
                    writeln!(differences, "threads {threads}, chunk {chunk_size}, mmap {memory_map}").unwrap();
                }
            }
        }
    }
    assert!(differences.is_empty(), "output differs for:\n{differences}");
}

#[test]
fn streams_slices_and_files_agree() {
    let data = mixed_dataset(500);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.jsonl");
    fs::write(&path, &data).unwrap();
    let validator = Validator::new(Options::default().with_threads(2).with_chunk_size(500)).unwrap();
    let from_file = validator.check_path(&path).unwrap().diagnostics;
    let from_slice = validator.check_bytes(path.to_str().unwrap(), &data).unwrap().diagnostics;
    let mut from_stream = dpolint::Report::new(Target::Fireworks);
    validator.check_reader(path.to_str().unwrap(), &data[..], &mut from_stream).unwrap();
    assert_eq!(from_file, from_slice);
    assert_eq!(from_file, from_stream.diagnostics);
}

#[test]
fn findings_stream_in_order_before_the_dataset_ends() {
    // A sink that records when each event arrives: findings of early lines must arrive before the
    // dataset is finished, and in offset order.
    struct Recorder(Vec<String>);
    impl dpolint::Sink for Recorder {
        fn diagnostic(&mut self, diagnostic: dpolint::Diagnostic) -> std::io::Result<()> {
            self.0.push(format!("{}", diagnostic.location.map_or(0, |l| l.offset)));
            Ok(())
        }
        fn finish_dataset(&mut self, _: &dpolint::DatasetSummary) -> std::io::Result<()> {
            self.0.push("end".into());
            Ok(())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.0.push("flush".into());
            Ok(())
        }
    }
    let data = mixed_dataset(2_000);
    let validator = Validator::new(Options::default().with_threads(4).with_chunk_size(1000)).unwrap();
    let mut recorder = Recorder(Vec::new());
    validator.check_reader("mixed", &data[..], &mut recorder).unwrap();
    assert_eq!(recorder.0.last().map(String::as_str), Some("end"));
    // Buffered output is flushed chunk by chunk, long before the end.
    let first_flush = recorder.0.iter().position(|event| event == "flush").unwrap();
    assert!(first_flush < recorder.0.len() / 4, "first flush at event {first_flush} of {}", recorder.0.len());
    let offsets: Vec<u64> = recorder.0.iter().filter_map(|event| event.parse().ok()).collect();
    assert!(offsets.windows(2).all(|pair| pair[0] <= pair[1]), "findings arrive in offset order");
}

/// Counts what a progress display would be told.
#[derive(Default)]
struct ProgressCount {
    bytes: u64,
    calls: u64,
}

impl dpolint::Sink for ProgressCount {
    fn diagnostic(&mut self, _: dpolint::Diagnostic) -> std::io::Result<()> {
        Ok(())
    }

    fn progress(&mut self, bytes: u64) {
        self.bytes += bytes;
        self.calls += 1;
    }
}

#[test]
fn progress_adds_up_to_every_byte_read() {
    let data = mixed_dataset(3_000);
    let dir = tempfile::tempdir().unwrap();
    let shards = dir.path().join("shards");
    fs::create_dir(&shards).unwrap();
    fs::write(shards.join("a.jsonl"), &data).unwrap();
    fs::write(shards.join("b.jsonl"), &data[..data.len() / 3]).unwrap();
    let validator = Validator::new(Options::default().with_threads(2).with_chunk_size(4096)).unwrap();
    let mut count = ProgressCount::default();
    validator.check_paths(&[shards.as_path()], &mut count).unwrap();
    assert_eq!(count.bytes, (data.len() + data.len() / 3) as u64);
    assert!(count.calls > 10, "one call per chunk: {}", count.calls);
}

/// Truncates the file it is told about at the first progress report, as another process might
/// while the check is running.
struct TruncateMidway {
    path: std::path::PathBuf,
    done: bool,
}

impl dpolint::Sink for TruncateMidway {
    fn diagnostic(&mut self, _: dpolint::Diagnostic) -> std::io::Result<()> {
        Ok(())
    }

    fn progress(&mut self, _: u64) {
        if !self.done {
            self.done = true;
            fs::OpenOptions::new().write(true).open(&self.path).unwrap().set_len(100).unwrap();
        }
    }
}

#[test]
fn a_file_truncated_while_it_is_checked_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shrinking.jsonl");
    let data: String = (0..40_000).map(|i| record(i) + "\n").collect();
    for memory_map in [true, false] {
        fs::write(&path, &data).unwrap();
        let mut options = Options::default().with_threads(2).with_chunk_size(1 << 14).with_memory_map(memory_map);
        options.window_size = 1 << 16;
        let validator = Validator::new(options).unwrap();
        let mut sink = TruncateMidway { path: path.clone(), done: false };
        let error = validator.check_paths(&[path.as_path()], &mut sink).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, dpolint::Error::FileChanged { .. }), "{message}");
        assert!(message.contains("shrinking.jsonl: the file changed while it was being checked"), "{message}");
    }
}

/// Findings of `data` read every way there is, with a 1 MiB line limit and small windows, so that
/// long lines are skipped by the readers themselves.
fn check_every_way(data: &[u8]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.jsonl");
    fs::write(&path, data).unwrap();
    let options = |memory_map: bool| {
        let mut options = Options::default()
            .with_threads(2)
            .with_max_line_bytes(1 << 20)
            .with_memory_map(memory_map)
            .with_chunk_size(1 << 16);
        options.window_size = 1 << 16;
        options
    };
    let found = |report: &dpolint::Report| crate::common::essentials(&report.diagnostics);
    let mapped = Validator::new(options(true)).unwrap().check_path(&path).unwrap();
    let read = Validator::new(options(false)).unwrap().check_path(&path).unwrap();
    let slice = Validator::new(options(true)).unwrap().check_bytes(path.to_str().unwrap(), data).unwrap();
    let mut streamed = dpolint::Report::new(Target::Fireworks);
    Validator::new(options(true)).unwrap().check_reader(path.to_str().unwrap(), data, &mut streamed).unwrap();
    for report in [&mapped, &read, &slice, &streamed] {
        assert_eq!(report.datasets[0].lines, mapped.datasets[0].lines);
        assert_eq!(report.datasets[0].examples, mapped.datasets[0].examples);
    }
    vec![found(&mapped), found(&read), found(&slice), found(&streamed)]
}

#[test]
fn lines_over_the_limit_are_one_finding_whatever_reads_them() {
    let long = "x".repeat(5 << 20);
    let mut data = format!("\u{feff}{{{long}\n{}\n\"{long}\"\r\n{}\n", record(1), record(2));
    data.push_str(&long);
    let offsets = [3, 3 + long.len() as u64 + 2 + record(1).len() as u64 + 1];
    let runs = check_every_way(data.as_bytes());
    let expected = [
        "DPO002 error 1:1 @0+3".to_string(),
        format!("DPO010 error 1:2 @3+{}", long.len() + 1),
        format!("DPO010 error 3:1 @{}+{}", offsets[1], long.len() + 2),
        format!("DPO010 error 5:1 @{}+{}", offsets[1] + long.len() as u64 + 4 + record(2).len() as u64 + 1, long.len()),
    ];
    for run in &runs {
        assert_eq!(run, &expected);
    }
}

#[test]
fn a_line_with_too_many_values_is_one_finding_not_a_huge_parse() {
    // 70,000 values in 140 kB: over the 65,536 keys and values a 1 MiB limit allows.
    let values = vec!["1"; 70_000].join(",");
    let data = format!("{}\n{{\"input\": [{values}]}}\n{}\n{}\n", record(1), record(2), record(3));
    for run in check_every_way(data.as_bytes()) {
        assert_eq!(run, [format!("DPO010 error 2:1 @{}+{}", record(1).len() + 1, values.len() + 13)]);
    }
    let report = Validator::new(Options::default().with_max_line_bytes(1 << 20))
        .unwrap()
        .check_bytes("input.jsonl", data.as_bytes())
        .unwrap();
    assert!(
        report.diagnostics[0].message.contains("more than 65,536 JSON keys and values"),
        "{}",
        report.diagnostics[0].message
    );
}
