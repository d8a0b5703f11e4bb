//! Inputs built to break a linter: each gets findings or a clean error, never a panic or a hang.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
#[cfg(unix)]
use std::time::Duration;

use dpolint::{DatasetSummary, Diagnostic, Sink};
use serde_json::Value;

use crate::child::{Finished, Input, dpolint, entries, run};
use crate::common::{check_bytes, essentials, record, validator};

#[test]
fn hundred_thousand_levels_of_nesting_is_one_finding() {
    let mut data = format!("{}\n{}\n", record(1), record(2)).into_bytes();
    data.extend(std::iter::repeat_n(b'[', 100_000));
    data.extend(std::iter::repeat_n(b']', 100_000));
    data.push(b'\n');
    let deep_object: String = "{\"a\":".repeat(100_000);
    data.extend_from_slice(deep_object.as_bytes());
    data.push(b'\n');
    let report = check_bytes(&validator(2, &[]), &data);
    let findings = essentials(&report.diagnostics);
    let line3 = (record(1).len() + record(2).len() + 2) as u64;
    let line4 = line3 + 200_001;
    // The 129th opening bracket is where the default limit (128) is passed.
    assert_eq!(
        findings,
        [format!("DPO003 error 3:129 @{}+1", line3 + 128), format!("DPO003 error 4:641 @{}+1", line4 + 640)]
    );
    assert!(report.diagnostics[0].message.contains("nesting too deep"));
}

#[test]
fn a_hundred_megabyte_line_is_checked() {
    let filler = "x".repeat(100 << 20);
    let long = record(1).replace("Good answer 1.", &filler);
    let data = format!("{}\n{long}\n{}\n{}", record(2), record(3), record(4).replace("\"user\"", "\"robot\""));
    let report = check_bytes(&validator(2, &[]), data.as_bytes());
    assert_eq!(report.datasets[0].examples, 4);
    let findings = essentials(&report.diagnostics);
    // The long line is one example of about 26 million tokens: DPO304 on the whole record.
    assert_eq!(findings.len(), 2, "{findings:?}");
    let long_start = record(2).len() + 1;
    assert_eq!(findings[0], format!("DPO304 warning 2:1 @{long_start}+{} \"\"", long.len()));
    assert!(report.diagnostics[0].message.contains("26,214,4"), "{}", report.diagnostics[0].message);
    assert!(findings[1].starts_with("DPO104 error 4:34 "), "{findings:?}");
}

#[test]
fn bytes_that_are_not_text_give_findings() {
    let data = b"\x00\x00\x00\n\xff\xfe\xfd\n{\"input\": \x00}\nnull\n\x1b[31m\n";
    let report = check_bytes(&validator(1, &[]), data);
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.rule.code()).collect();
    assert_eq!(codes, ["DPO003", "DPO001", "DPO003", "DPO004", "DPO003"]);
}

#[test]
fn pseudo_random_bytes_never_panic_and_spans_stay_inside() {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let validator = validator(2, &[]);
    for round in 0..200 {
        let len = (round * 37) % 2000;
        let data: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly JSON-ish bytes, so parsing gets somewhere.
                let alphabet = b"{}[]\",:\\u0123 \n\rtrue\xff\xc3\xa9nul1-e.5";
                alphabet[(state % alphabet.len() as u64) as usize]
            })
            .collect();
        let report = check_bytes(&validator, &data);
        for diagnostic in &report.diagnostics {
            if let Some(location) = diagnostic.location {
                assert!(location.offset + location.length <= data.len() as u64, "round {round}: span past the end");
            }
        }
    }
}

#[test]
fn old_mac_line_endings_get_a_hint() {
    let data = format!("{}\r{}\r{}\r", record(1), record(2), record(3));
    let report = check_bytes(&validator(1, &[]), data.as_bytes());
    let first = report.diagnostics.iter().find(|d| d.rule.code() == "DPO003").unwrap();
    assert!(first.help.as_deref().unwrap().contains("CR-only"), "{first:?}");
}

#[test]
fn more_than_three_million_examples_is_dpo402() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.jsonl");
    fs::write(&path, "{}\n".repeat(3_000_001)).unwrap();
    let report = validator(2, &["DPO402".into()]).check_path(&path).unwrap();
    assert_eq!(essentials(&report.diagnostics), ["DPO402 error dataset"]);
    assert_eq!(report.datasets[0].examples, 3_000_001);
    fs::write(&path, "{}\n".repeat(3_000_000)).unwrap();
    let report = validator(2, &["DPO402".into()]).check_path(&path).unwrap();
    assert!(report.diagnostics.is_empty());
}

#[cfg(unix)]
#[test]
fn symlinks_in_shard_directories_are_dpo405_and_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let good: String = (0..3).map(|i| record(i) + "\n").collect();
    fs::write(dir.path().join("a.jsonl"), &good).unwrap();
    let outside = tempfile::NamedTempFile::new().unwrap();
    fs::write(outside.path(), "not json\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("b.jsonl")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("loop.jsonl"), dir.path().join("loop.jsonl")).unwrap();
    let report = validator(1, &[]).check_path(dir.path()).unwrap();
    let findings = essentials(&report.diagnostics);
    assert_eq!(findings, ["DPO405 error dataset", "DPO405 error dataset"]);
    assert!(report.diagnostics[0].message.contains("symbolic link"));
}

#[test]
fn duplicates_across_shards_name_the_other_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.jsonl"), format!("{}\n{}\n", record(1), record(2))).unwrap();
    fs::write(dir.path().join("b.jsonl"), format!("{}\n{}\n", record(3), record(1))).unwrap();
    let report = validator(2, &[]).check_path(dir.path()).unwrap();
    assert_eq!(report.diagnostics.len(), 1);
    let duplicate = &report.diagnostics[0];
    assert_eq!(duplicate.rule.code(), "DPO403");
    assert!(duplicate.file.ends_with("b.jsonl"));
    assert_eq!(duplicate.location.unwrap().line, 2);
    let related = &duplicate.related[0];
    assert!(related.file.as_deref().unwrap().ends_with("a.jsonl"));
    assert_eq!((related.location.line, related.location.offset), (1, 0));
}

// ---------------------------------------------------------------------------------------------
// Through the command line: exit codes and messages as the rule book says, under a deadline.
// ---------------------------------------------------------------------------------------------

/// The findings of a `--format json` report, one line each: `CODE severity line:column @offset+length
/// pointer` (as [`essentials`] writes them), and the document.
fn json_findings(stdout: &[u8]) -> (Vec<String>, Value) {
    let document: Value = serde_json::from_slice(stdout).expect("--format json prints one JSON document");
    let findings = document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let mut line = format!("{} {}", d["code"].as_str().unwrap(), d["severity"].as_str().unwrap());
            if d["line"].is_null() {
                line.push_str(" dataset");
            } else {
                write!(line, " {}:{} @{}+{}", d["line"], d["column"], d["offset"], d["length"]).unwrap();
            }
            if let Some(pointer) = d["pointer"].as_str() {
                write!(line, " {pointer:?}").unwrap();
            }
            line
        })
        .collect();
    (findings, document)
}

fn check_json(path: &Path, extra: &[&str]) -> Finished {
    let mut command = dpolint(["check", "--isolated", "--format", "json", "--threads", "2"]);
    command.args(extra).arg(path);
    run(&mut command, Input::Null)
}

/// Writes a file of `lines` through a buffer, never holding the whole of it.
fn write_lines(path: &Path, lines: &mut dyn Iterator<Item = Vec<u8>>) {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    for line in lines {
        out.write_all(&line).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
}

/// A temporary directory that other users may enter (for runs as `nobody`) .
fn open_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// A file whose one line is a valid record whose preferred answer is `size` bytes of `x`, between
/// two good lines and a line with an invalid role: written in 1 MiB pieces.
fn write_long_line_file(path: &Path, size: usize) -> (u64, u64) {
    let template = record(1);
    let (before, after) = template.split_once("Good answer 1.").unwrap();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    writeln!(out, "{}", record(2)).unwrap();
    out.write_all(before.as_bytes()).unwrap();
    let block = vec![b'x'; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(block.len());
        out.write_all(&block[..n]).unwrap();
        left -= n;
    }
    writeln!(out, "{after}").unwrap();
    writeln!(out, "{}", record(3)).unwrap();
    write!(out, "{}", record(4).replace("\"user\"", "\"robot\"")).unwrap();
    out.flush().unwrap();
    ((record(2).len() + 1) as u64, (before.len() + size + after.len()) as u64)
}

const TWO_HUNDRED_MB: usize = 200 << 20;

fn expect_long_line_findings(finished: &Finished, long_start: u64, long_len: u64, file: &str) {
    finished.expect_code(1);
    let (findings, document) = json_findings(&finished.stdout);
    // About 52 million estimated tokens: DPO304 over the whole long record, and the role on line 4.
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert_eq!(findings[0], format!("DPO304 warning 2:1 @{long_start}+{long_len} \"\""));
    assert!(findings[1].starts_with("DPO104 error 4:34 "), "{findings:?}");
    let message = document["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("52,428,"), "{message}");
    assert_eq!(document["datasets"][0]["examples"], 4);
    assert_eq!(document["diagnostics"][0]["file"], file);
}

#[test]
fn a_two_hundred_megabyte_line_in_a_file_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.jsonl");
    let (long_start, long_len) = write_long_line_file(&path, TWO_HUNDRED_MB);
    let finished = check_json(&path, &[]);
    expect_long_line_findings(&finished, long_start, long_len, path.to_str().unwrap());
}

#[test]
fn a_two_hundred_megabyte_line_on_standard_input_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.jsonl");
    let (long_start, long_len) = write_long_line_file(&path, TWO_HUNDRED_MB);
    let mut command = dpolint(["check", "--isolated", "--format", "json", "--threads", "2", "-"]);
    let finished = run(&mut command, Input::File(File::open(&path).unwrap()));
    expect_long_line_findings(&finished, long_start, long_len, "<stdin>");
}

/// Counts findings per code without keeping them.
#[derive(Default)]
struct Counter {
    per_code: BTreeMap<&'static str, u64>,
    datasets: Vec<DatasetSummary>,
}

impl Sink for Counter {
    fn diagnostic(&mut self, diagnostic: Diagnostic) -> std::io::Result<()> {
        *self.per_code.entry(diagnostic.rule.code()).or_default() += 1;
        Ok(())
    }

    fn finish_dataset(&mut self, summary: &DatasetSummary) -> std::io::Result<()> {
        self.datasets.push(summary.clone());
        Ok(())
    }
}

#[test]
fn ten_million_tiny_lines_are_counted() {
    // 30 MB of `{}` lines. The example-count rules only: a finding on each of ten million lines
    // takes minutes in a debug build (the next two tests give every line findings, on fewer lines).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.jsonl");
    let mut lines = std::iter::repeat_n(b"{}".to_vec(), 10_000_000);
    write_lines(&path, &mut lines);
    let mut counter = Counter::default();
    let rules = vec!["DPO401".to_string(), "DPO402".to_string()];
    let summary = validator(2, &rules).check_paths(&[&path], &mut counter).unwrap();
    assert_eq!(counter.per_code, BTreeMap::from([("DPO402", 1)]));
    assert_eq!((summary.examples, summary.errors), (10_000_000, 1));
    assert_eq!((counter.datasets[0].lines, counter.datasets[0].examples), (10_000_000, 10_000_000));
}

/// `{}` on each of `lines` lines: three DPO101 on every line, and DPO403 on all but the first.
fn write_empty_objects(path: &Path, lines: usize) {
    let mut lines = std::iter::repeat_n(b"{}".to_vec(), lines);
    write_lines(path, &mut lines);
}

#[test]
fn a_finding_on_every_line_is_counted_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty-objects.jsonl");
    write_empty_objects(&path, 200_000);
    let mut command = dpolint(["check", "--isolated", "--format", "concise", "--threads", "2"]);
    let finished = run(command.arg(&path), Input::Null);
    finished.expect_code(1);
    let stdout = finished.stdout_text();
    let name = path.display();
    assert!(stdout.contains(&format!("... and 599980 more DPO101 (missing-field) findings in {name}")), "{stdout}");
    assert!(stdout.contains(&format!("... and 199979 more DPO403 (duplicate-example) findings in {name}")), "{stdout}");
    assert_eq!(stdout.lines().count(), 20 + 20 + 2 + 1, "{stdout}");
    let summary = stdout.lines().last().unwrap();
    assert_eq!(summary, format!("{name}: 200000 examples in 200000 lines: 600000 errors, 199999 warnings, 0 infos"));
}

#[test]
fn a_finding_on_every_line_streams_in_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty-objects.jsonl");
    write_empty_objects(&path, 1_000_000);
    let mut command = dpolint(["check", "--isolated", "--format", "concise", "-q", "--threads", "2"]);
    let finished = run(command.arg(&path), Input::Null);
    finished.expect_code(1);
    let peak = finished.peak_kib.expect("peak memory from /proc (Linux)");
    // The input is 3 MB; what the check keeps must not grow with the findings it has streamed out.
    assert!(peak < 512 << 10, "peak resident memory {} MiB", peak >> 10);
}

#[test]
fn nul_bytes_are_findings_where_they_are() {
    let validator = validator(1, &[]);
    // A file of NUL bytes and nothing else: one example that is not JSON.
    let report = check_bytes(&validator, &vec![0u8; 1 << 20]);
    assert_eq!(essentials(&report.diagnostics), ["DPO401 error dataset", "DPO003 error 1:1 @0+1"]);
    assert!(report.diagnostics[1].message.contains("found `\\0`"), "{}", report.diagnostics[1].message);

    // NUL lines between records, a raw NUL inside a string, and an escaped one (valid JSON).
    let good = record(1);
    let raw_nul = record(2).replace("Question 2?", "Quest\0ion");
    let escaped_nul = record(3).replace("Question 3?", "Quest\\u0000ion");
    let data = format!("{good}\n\0\0\0\n{raw_nul}\n{escaped_nul}\n");
    let report = check_bytes(&validator, data.as_bytes());
    let line3 = good.len() + 5;
    let line4 = line3 + raw_nul.len() + 1;
    let raw_at = line3 + raw_nul.find('\0').unwrap();
    let escaped_at = line4 + escaped_nul.find("\"Quest").unwrap();
    assert_eq!(
        essentials(&report.diagnostics),
        [
            "DPO003 error 2:1 @{0}+1".replace("{0}", &(good.len() + 1).to_string()),
            format!("DPO003 error 3:{} @{raw_at}+1", raw_nul.find('\0').unwrap() + 1),
            format!(
                "DPO009 warning 4:{} @{escaped_at}+{} \"/input/messages/0/content\"",
                escaped_nul.find("\"Quest").unwrap() + 1,
                "\"Quest\\u0000ion\"".len()
            ),
        ]
    );
    assert!(report.diagnostics[1].message.contains("U+0000"), "{}", report.diagnostics[1].message);

    // The same from standard input, through the binary.
    let mut command = dpolint(["check", "--isolated", "--format", "json", "-"]);
    let finished = run(&mut command, Input::Bytes(vec![0; 100_000]));
    finished.expect_code(1);
    assert_eq!(json_findings(&finished.stdout).0, ["DPO401 error dataset", "DPO003 error 1:1 @0+1"]);
}

/// Bytes from a xorshift generator: the same "random" file on every run.
fn random_bytes(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn a_file_of_random_bytes_gets_findings_and_convert_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.jsonl");
    let bytes = random_bytes(4 << 20, 0x9E37_79B9_7F4A_7C15);
    fs::write(&path, &bytes).unwrap();
    let mapped = check_json(&path, &[]);
    mapped.expect_code(1);
    let (findings, document) = json_findings(&mapped.stdout);
    assert!(!findings.is_empty());
    for diagnostic in document["diagnostics"].as_array().unwrap() {
        let code = diagnostic["code"].as_str().unwrap();
        assert!(["DPO001", "DPO003", "DPO004", "DPO005", "DPO006"].contains(&code), "{diagnostic}");
        let end = diagnostic["offset"].as_u64().unwrap() + diagnostic["length"].as_u64().unwrap();
        assert!(end <= bytes.len() as u64, "span past the end: {diagnostic}");
    }
    // Read with `read` and from standard input: the same findings.
    assert_eq!(json_findings(&check_json(&path, &["--no-mmap"]).stdout).0, findings);
    let mut command = dpolint(["check", "--isolated", "--format", "json", "--threads", "2", "-"]);
    assert_eq!(json_findings(&run(&mut command, Input::Bytes(bytes)).stdout).0, findings);

    // convert: no layout in there (exit 1), or a container it cannot read (exit 2, naming the file).
    let out = dir.path().join("out.jsonl");
    let finished =
        run(&mut dpolint(["convert".as_ref(), path.as_os_str(), "-o".as_ref(), out.as_os_str()]), Input::Null);
    finished.expect_no_panic();
    match finished.code() {
        Some(1) => assert!(finished.stderr.contains("could not tell the source layout"), "{}", finished.stderr),
        Some(2) => assert!(finished.stderr.contains(path.to_str().unwrap()), "{}", finished.stderr),
        other => panic!("exit {other:?}: {}", finished.stderr),
    }
    assert_eq!(entries(dir.path()), ["random.jsonl"], "nothing written, no temporary file left");
}

/// Three good records, encoded as UTF-16.
fn utf16(big_endian: bool, bom: bool) -> Vec<u8> {
    let text: String = (1..=3).map(|i| record(i) + "\n").collect();
    let mut units: Vec<u16> = Vec::new();
    if bom {
        units.push(0xFEFF);
    }
    units.extend(text.encode_utf16());
    units.iter().flat_map(|unit| if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() }).collect()
}

#[test]
fn utf16_files_get_one_finding_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (false, true, "UTF-16 (little-endian, with a byte order mark)"),
        (true, true, "UTF-16 (big-endian, with a byte order mark)"),
        (false, false, "UTF-16 (little-endian)"),
        (true, false, "UTF-16 (big-endian)"),
    ];
    for (big_endian, bom, described) in cases {
        let bytes = utf16(big_endian, bom);
        let path = dir.path().join("utf16.jsonl");
        fs::write(&path, &bytes).unwrap();
        let report = validator(2, &[]).check_path(&path).unwrap();
        assert_eq!(essentials(&report.diagnostics), ["DPO001 error 1:1 @0+2"], "{described}");
        let message = &report.diagnostics[0].message;
        assert!(message.contains(&format!("looks like {described}, not UTF-8")), "{message}");

        // From standard input, through the binary.
        let mut command = dpolint(["check", "--isolated", "--format", "json", "-"]);
        let finished = run(&mut command, Input::Bytes(bytes.clone()));
        finished.expect_code(1);
        assert_eq!(json_findings(&finished.stdout).0, ["DPO001 error 1:1 @0+2"], "{described}");

        // One UTF-16 shard voids its whole dataset (no count rules, nothing from the good shard).
        let shards = dir.path().join("shards");
        fs::create_dir_all(&shards).unwrap();
        fs::write(shards.join("a.jsonl"), format!("{}\n", record(9).replace("\"user\"", "\"User\""))).unwrap();
        fs::write(shards.join("b.jsonl"), &bytes).unwrap();
        let report = validator(2, &[]).check_path(&shards).unwrap();
        assert_eq!(essentials(&report.diagnostics), ["DPO001 error 1:1 @0+2"], "{described}");
        assert!(report.diagnostics[0].file.ends_with("b.jsonl"));

        // convert names the encoding instead of reading UTF-16 as CSV or as broken JSON.
        let out = dir.path().join("out.jsonl");
        let mut command = dpolint(["convert".as_ref(), path.as_os_str(), "-o".as_ref(), out.as_os_str()]);
        run(&mut command, Input::Null).expect_trouble(path.to_str().unwrap(), "UTF-16");
        assert!(!out.exists());
    }
}

#[test]
fn a_git_lfs_pointer_is_not_a_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.jsonl");
    fs::write(&path, LFS_POINTER).unwrap();
    let out = dir.path().join("out.jsonl");
    let mut command = dpolint(["convert".as_ref(), path.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    run(&mut command, Input::Null).expect_trouble(path.to_str().unwrap(), "Git LFS pointer");
    assert_eq!(entries(dir.path()), ["train.jsonl"]);
    check_json(&path, &[]).expect_trouble(path.to_str().unwrap(), "Git LFS pointer");
    // On standard input too.
    let mut command = dpolint(["check", "--isolated", "--format", "json", "-"]);
    run(&mut command, Input::Bytes(LFS_POINTER.into())).expect_trouble("<stdin>", "Git LFS pointer");
}

const LFS_POINTER: &str = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";

#[test]
fn an_empty_directory_is_trouble_for_check_and_convert() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let name = empty.to_str().unwrap();
    check_json(&empty, &[]).expect_trouble(name, "holds no `.jsonl` shard");
    let out = dir.path().join("out.jsonl");
    let mut command = dpolint(["convert".as_ref(), empty.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    run(&mut command, Input::Null).expect_trouble(name, "holds no files to convert");
    // Only a hidden file: `check` names it (RULES.md: hidden entries break the shard rules and are
    // not linted) and counts no example; `convert` skips hidden files, so it has nothing to convert.
    fs::write(empty.join(".hidden.jsonl"), record(1)).unwrap();
    let finished = check_json(&empty, &[]);
    finished.expect_code(1);
    assert_eq!(json_findings(&finished.stdout).0, ["DPO401 error dataset", "DPO405 error dataset"]);
    run(&mut command, Input::Null).expect_trouble(name, "holds no files to convert");
    assert_eq!(entries(dir.path()), ["empty"]);
}

#[test]
fn ten_thousand_shards_are_one_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let shards = dir.path().join("shards");
    fs::create_dir(&shards).unwrap();
    for i in 0..10_000 {
        // The last shard repeats the first one's record: a duplicate across 9,999 files.
        let text = if i == 9_999 { record(0) } else { record(i) };
        fs::write(shards.join(format!("part-{i:05}.jsonl")), text + "\n").unwrap();
    }
    let report = validator(2, &[]).check_path(&shards).unwrap();
    assert_eq!(
        essentials(&report.diagnostics),
        ["DPO403 warning 1:1 @0+".to_string() + &record(0).len().to_string() + " \"\""]
    );
    let duplicate = &report.diagnostics[0];
    assert!(duplicate.file.ends_with("part-09999.jsonl"), "{}", duplicate.file);
    assert!(duplicate.related[0].file.as_deref().unwrap().ends_with("part-00000.jsonl"));
    let dataset = &report.datasets[0];
    assert_eq!((dataset.files, dataset.examples, dataset.lines), (10_000, 10_000, 10_000));

    let mut command = dpolint(["check", "--isolated", "--format", "concise", "--threads", "2"]);
    let finished = run(command.arg(&shards), Input::Null);
    finished.expect_code(0);
    let summary =
        format!("{}: 10000 examples in 10000 lines (10000 shards): 0 errors, 1 warning, 0 infos", shards.display());
    assert!(finished.stdout_text().ends_with(&(summary + "\n")), "{}", finished.stdout_text());

    // convert reads them as one dataset too, with a small limit on open files.
    let out = dir.path().join("out.jsonl");
    let script = r#"ulimit -n 64 && exec "$0" "$@""#;
    let mut command = Command::new("sh");
    command.args(["-c", script]).arg(crate::child::binary()).args([
        "convert",
        "--format",
        "json",
        "--from",
        "fireworks",
    ]);
    command.arg(&shards).arg("-o").arg(&out);
    let finished = run(&mut command, Input::Null);
    finished.expect_code(0);
    let report: Value = serde_json::from_slice(&finished.stdout).unwrap();
    assert_eq!((report["read"].as_u64(), report["written"].as_u64()), (Some(10_000), Some(10_000)));
    assert_eq!(fs::read_to_string(&out).unwrap().lines().count(), 10_000);
}

#[test]
fn too_few_examples_counts_the_whole_directory() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.jsonl"), record(1) + "\n").unwrap();
    fs::write(dir.path().join("b.jsonl"), record(2) + "\n\n").unwrap();
    let report = validator(2, &[]).check_path(dir.path()).unwrap();
    // Two examples over two shards (a blank line is not one): one DPO401 for the dataset, which is
    // named by the directory.
    let blank = format!("DPO005 warning 2:1 @{}+0", record(2).len() + 1);
    assert_eq!(essentials(&report.diagnostics), ["DPO401 error dataset", blank.as_str()]);
    assert_eq!(report.diagnostics[0].file, dir.path().display().to_string());
    assert!(report.diagnostics[0].message.contains("2 examples"), "{}", report.diagnostics[0].message);
    assert!(report.diagnostics[1].file.ends_with("b.jsonl"));
    fs::write(dir.path().join("c.jsonl"), record(3) + "\n").unwrap();
    let report = validator(2, &[]).check_path(dir.path()).unwrap();
    assert_eq!(essentials(&report.diagnostics), [blank]);
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_an_error_or_dpo405_never_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let looping = dir.path().join("loop.jsonl");
    std::os::unix::fs::symlink(&looping, &looping).unwrap();
    let name = looping.to_str().unwrap();
    // As a path: exit 2, naming it; the cause is the operating system's (ELOOP).
    check_json(&looping, &[]).expect_trouble(name, "symbolic links");
    let out = dir.path().join("out.jsonl");
    let mut command = dpolint(["convert".as_ref(), looping.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    run(&mut command, Input::Null).expect_trouble(name, "symbolic links");

    // Inside a shard directory: a link to itself, two links to each other, a link to the directory.
    let shards = dir.path().join("shards");
    fs::create_dir(&shards).unwrap();
    fs::write(shards.join("a.jsonl"), (1..=3).map(|i| record(i) + "\n").collect::<String>()).unwrap();
    std::os::unix::fs::symlink(shards.join("b.jsonl"), shards.join("b.jsonl")).unwrap();
    std::os::unix::fs::symlink(shards.join("d.jsonl"), shards.join("c.jsonl")).unwrap();
    std::os::unix::fs::symlink(shards.join("c.jsonl"), shards.join("d.jsonl")).unwrap();
    std::os::unix::fs::symlink(&shards, shards.join("e.jsonl")).unwrap();
    let finished = check_json(&shards, &[]);
    finished.expect_code(1);
    let (findings, document) = json_findings(&finished.stdout);
    assert_eq!(findings, ["DPO405 error dataset"; 4]);
    for (diagnostic, link) in document["diagnostics"].as_array().unwrap().iter().zip(["b", "c", "d", "e"]) {
        assert!(diagnostic["file"].as_str().unwrap().ends_with(&format!("{link}.jsonl")), "{diagnostic}");
        assert!(diagnostic["message"].as_str().unwrap().contains("symbolic link"), "{diagnostic}");
    }
    // convert follows links (a Hugging Face cache is made of them), so a loop is trouble, named.
    let mut command = dpolint(["convert".as_ref(), shards.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    run(&mut command, Input::Null).expect_trouble("b.jsonl", "symbolic links");
    assert!(!out.exists());
}

#[cfg(unix)]
#[test]
fn convert_follows_symbolic_links_in_a_directory() {
    // A Hugging Face cache: `snapshots/<rev>/data/*.jsonl` are links into `blobs/`.
    let dir = tempfile::tempdir().unwrap();
    let (blobs, data) = (dir.path().join("blobs"), dir.path().join("data"));
    fs::create_dir(&blobs).unwrap();
    fs::create_dir(&data).unwrap();
    for (blob, shard) in [("5f1e", "train-0.jsonl"), ("a07c", "train-1.jsonl")] {
        let line = format!("{{\"prompt\": \"Q {blob}\", \"chosen\": \"A\", \"rejected\": \"B\"}}\n");
        fs::write(blobs.join(blob), line.repeat(2)).unwrap();
        std::os::unix::fs::symlink(blobs.join(blob), data.join(shard)).unwrap();
    }
    let out = dir.path().join("out.jsonl");
    let mut command = dpolint([
        "convert".as_ref(),
        data.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let finished = run(&mut command, Input::Null);
    finished.expect_code(0);
    let report: Value = serde_json::from_slice(&finished.stdout).unwrap();
    assert_eq!((report["read"].as_u64(), report["written"].as_u64()), (Some(4), Some(4)));
}

/// A `dpolint` command with `args` that runs as a user file permissions apply to: this user, unless
/// it reads files whatever their mode (root, as in many CI containers), then `nobody` (uid and gid
/// 65534), from a copy of the binary in `dir` (the checkout may sit where `nobody` cannot reach it,
/// such as under `/root`). `dir` must be open to everyone.
#[cfg(unix)]
fn unprivileged_dpolint(args: &[&std::ffi::OsStr], dir: &Path) -> Command {
    use std::os::unix::process::CommandExt;
    let probe = dir.join(".probe");
    fs::write(&probe, "x").unwrap();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o000)).unwrap();
    let privileged = File::open(&probe).is_ok();
    fs::remove_file(&probe).unwrap();
    if !privileged {
        return dpolint(args);
    }
    let copy = dir.join(".dpolint-unprivileged");
    if !copy.exists() {
        fs::copy(crate::child::binary(), &copy).unwrap();
        fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut command = Command::new(&copy);
    command.args(args).uid(65_534).gid(65_534);
    command
}

#[cfg(unix)]
#[test]
fn permission_denied_is_trouble_naming_the_path() {
    let dir = open_tempdir();
    let good: String = (1..=3).map(|i| record(i) + "\n").collect();
    let locked_file = dir.path().join("locked.jsonl");
    fs::write(&locked_file, &good).unwrap();
    fs::set_permissions(&locked_file, fs::Permissions::from_mode(0o000)).unwrap();
    let locked_dir = dir.path().join("locked-dir");
    fs::create_dir(&locked_dir).unwrap();
    fs::write(locked_dir.join("a.jsonl"), &good).unwrap();
    fs::set_permissions(&locked_dir, fs::Permissions::from_mode(0o000)).unwrap();
    let shards = dir.path().join("shards");
    fs::create_dir(&shards).unwrap();
    fs::write(shards.join("a.jsonl"), &good).unwrap();
    fs::write(shards.join("b.jsonl"), &good).unwrap();
    fs::set_permissions(shards.join("b.jsonl"), fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(&shards, fs::Permissions::from_mode(0o755)).unwrap();
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    fs::set_permissions(&out_dir, fs::Permissions::from_mode(0o777)).unwrap();
    let out = out_dir.join("out.jsonl");

    let unprivileged = |args: &[&std::ffi::OsStr]| {
        let mut command = unprivileged_dpolint(args, dir.path());
        command.current_dir(dir.path());
        let (child, _) = crate::child::spawn(&mut command, Input::Null);
        crate::child::wait(child, crate::child::DEADLINE)
    };
    let check = |path: &Path| unprivileged(&["check".as_ref(), "--isolated".as_ref(), path.as_os_str()]);
    let convert = |path: &Path| unprivileged(&["convert".as_ref(), path.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    let shard_b = shards.join("b.jsonl");
    for (path, named) in [(&locked_file, &locked_file), (&locked_dir, &locked_dir), (&shards, &shard_b)] {
        let named = named.to_str().unwrap();
        check(path).expect_trouble(named, "permission denied");
        convert(path).expect_trouble(named, "ermission denied");
        assert_eq!(entries(&out_dir), Vec::<String>::new(), "no output, no temporary file");
    }
    // A readable file next to them still checks (the user can run dpolint at all).
    fs::write(dir.path().join("open.jsonl"), &good).unwrap();
    check(&dir.path().join("open.jsonl")).expect_code(0);
    fs::set_permissions(&locked_dir, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Makes a named pipe at `path` (with `mkfifo`, which every Unix has).
#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("run mkfifo");
    assert!(status.success(), "mkfifo {} failed", path.display());
}

/// Writes `bytes` into the named pipe from a thread, in small pieces split inside lines.
#[cfg(unix)]
fn feed_fifo(path: &Path, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let Ok(mut pipe) = fs::OpenOptions::new().write(true).open(&path) else { return };
        for piece in bytes.chunks(1000) {
            if pipe.write_all(piece).is_err() {
                return;
            }
        }
    })
}

/// Lets a writer blocked on opening `path` go, when the reader never opened it.
#[cfg(unix)]
fn release_fifo(path: &Path, writer: std::thread::JoinHandle<()>) {
    use std::os::unix::fs::OpenOptionsExt;
    if !writer.is_finished() {
        let _reader = fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path);
        std::thread::sleep(Duration::from_millis(50));
    }
    writer.join().unwrap();
}

#[cfg(unix)]
#[test]
fn named_pipes_and_standard_input_are_streams() {
    let dir = tempfile::tempdir().unwrap();
    let body: String = (0..5_000)
        .map(|i| if i == 4_321 { record(i).replace("\"user\"", "\"User\"") } else { record(i) } + "\n")
        .collect();
    let line = 4_322;
    let offset = body.lines().take(4_321).map(|line| line.len() + 1).sum::<usize>() + 33;
    let expected = [format!("DPO104 error {line}:34 @{offset}+6 \"/input/messages/0/role\"")];

    let fifo = dir.path().join("pipe.jsonl");
    mkfifo(&fifo);
    let writer = feed_fifo(&fifo, body.clone().into_bytes());
    let finished = check_json(&fifo, &[]);
    release_fifo(&fifo, writer);
    finished.expect_code(1);
    assert_eq!(json_findings(&finished.stdout).0, expected);

    let mut command = dpolint(["check", "--isolated", "--format", "json", "--threads", "2", "-"]);
    let finished = run(&mut command, Input::Bytes(body.clone().into_bytes()));
    finished.expect_code(1);
    assert_eq!(json_findings(&finished.stdout).0, expected);

    // convert reads a pipe as a stream too.
    let trl = (0..1_000).fold(String::new(), |mut trl, i| {
        writeln!(trl, "{{\"prompt\": \"Q{i}\", \"chosen\": \"A\", \"rejected\": \"B\"}}").unwrap();
        trl
    });
    let writer = feed_fifo(&fifo, trl.into_bytes());
    let out = dir.path().join("out.jsonl");
    let mut command = dpolint(["convert".as_ref(), fifo.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    let finished = run(&mut command, Input::Null);
    release_fifo(&fifo, writer);
    finished.expect_code(0);
    assert_eq!(fs::read_to_string(&out).unwrap().lines().count(), 1_000);

    // A pipe inside a shard directory is not a shard: DPO405, and never opened (no writer here).
    let shards = dir.path().join("shards");
    fs::create_dir(&shards).unwrap();
    fs::write(shards.join("a.jsonl"), &body).unwrap();
    mkfifo(&shards.join("b.jsonl"));
    let finished = check_json(&shards, &["--select", "DPO405"]);
    finished.expect_code(1);
    let (findings, document) = json_findings(&finished.stdout);
    assert_eq!(findings, ["DPO405 error dataset"]);
    assert!(document["diagnostics"][0]["message"].as_str().unwrap().contains("not a regular file"));
}

#[cfg(unix)]
#[test]
fn devices_are_refused_without_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    for device in ["/dev/null", "/dev/zero"] {
        // /dev/zero never ends: reading it would hang, or fill memory with one endless line.
        check_json(Path::new(device), &[]).expect_trouble(device, "character device");
        let mut command = dpolint(["convert", device, "-o", out.to_str().unwrap()]);
        run(&mut command, Input::Null).expect_trouble(device, "character device");
    }
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}
