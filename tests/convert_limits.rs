//! `dpolint convert --max-line-bytes`: a record over the limit is dropped as `parse-error`,
//! counted and named with its place, and skipped without being read into memory.

use std::fs;

use assert_cmd::Command;
use serde_json::Value;

fn dpolint() -> Command {
    Command::cargo_bin("dpolint").unwrap()
}

fn pair(i: usize) -> String {
    format!(r#"{{"prompt": "Question {i}?", "chosen": "Answer {i}.", "rejected": "No answer {i}."}}"#)
}

/// A TRL record of exactly `len` bytes.
fn long_pair(len: usize) -> String {
    let short = r#"{"prompt": "Long?", "chosen": "", "rejected": "No."}"#;
    let text = format!(r#"{{"prompt": "Long?", "chosen": "{}", "rejected": "No."}}"#, "x".repeat(len - short.len()));
    assert_eq!(text.len(), len);
    text
}

fn report_of(stdout: &[u8]) -> Value {
    serde_json::from_slice(stdout).unwrap()
}

const MESSAGE: &str =
    "the record is 5,000 bytes long, over the limit of 1,024 bytes (`--max-line-bytes`): it was not read";

#[test]
fn a_line_over_the_limit_is_dropped_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.jsonl");
    let lines = [pair(1), pair(2), long_pair(5000), pair(3), long_pair(1024), pair(4)];
    fs::write(&input, lines.join("\r\n") + "\n").unwrap();
    let output = dir.path().join("out.jsonl");
    let rejects = dir.path().join("rejects.jsonl");
    let path = |path: &std::path::Path| path.to_str().unwrap().to_string();
    let run = dpolint()
        .args(["convert", &path(&input), "-o", &path(&output), "--rejects", &path(&rejects)])
        .args(["--format", "json", "--max-line-bytes", "1024"])
        .assert()
        .code(0);
    let report = report_of(&run.get_output().stdout);
    assert_eq!(report["layout"], "trl");
    assert_eq!((report["read"].as_u64(), report["written"].as_u64()), (Some(6), Some(5)));
    assert_eq!(report["dropped"], serde_json::json!({"parse-error": 1}));
    let drop = &report["drops"][0];
    assert_eq!((drop["reason"].as_str(), drop["line"].as_u64()), (Some("parse-error"), Some(3)));
    assert_eq!(drop["message"], MESSAGE);
    assert_eq!(drop["file"], path(&input));

    // The rejects file names it too, with only the record's first bytes, as text.
    let rejected: Vec<Value> =
        fs::read_to_string(&rejects).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!((rejected[0]["line"].as_u64(), &rejected[0]["message"]), (Some(3), &Value::from(MESSAGE)));
    assert_eq!(rejected[0]["record_text"], lines[2][..64]);
    assert!(rejected[0].get("record").is_none());

    // The record at the limit is written, and the output passes `check`.
    let written = fs::read_to_string(&output).unwrap();
    assert_eq!(written.lines().count(), 5);
    assert!(written.contains(&"x".repeat(1024 - 53)));
    dpolint().args(["check", "--isolated", &path(&output)]).assert().code(0);

    // The default limit reads the line.
    let run = dpolint().args(["convert", &path(&input), "-o", &path(&output), "--format", "json"]).assert().code(0);
    assert_eq!(report_of(&run.get_output().stdout)["written"], 6);
}

#[test]
fn an_array_element_over_the_limit_is_dropped_with_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.json");
    let elements = [pair(1), long_pair(5000), pair(2), pair(3)];
    fs::write(&input, format!("[\n  {}\n]\n", elements.join(",\n  "))).unwrap();
    let output = dir.path().join("out.jsonl");
    let run = dpolint()
        .args(["convert", input.to_str().unwrap(), "-o", output.to_str().unwrap()])
        .args(["--format", "json", "--max-line-bytes", "1024"])
        .assert()
        .code(0);
    let report = report_of(&run.get_output().stdout);
    assert_eq!((report["read"].as_u64(), report["written"].as_u64()), (Some(4), Some(3)));
    let drop = &report["drops"][0];
    assert_eq!((drop["reason"].as_str(), drop["index"].as_u64()), (Some("parse-error"), Some(1)));
    assert_eq!(drop["line"], Value::Null);
    assert_eq!(drop["message"], MESSAGE);
}

/// Through a pipe, a line longer than a read block (4 MiB) is skipped as it streams past.
#[test]
fn a_long_line_on_standard_input_is_skipped() {
    let long = long_pair(6 << 20);
    let input = [pair(1), long, pair(2), pair(3)].join("\n");
    let run = dpolint()
        .args(["convert", "-", "-o", "-", "--format", "json", "--max-line-bytes", "1024"])
        .write_stdin(input)
        .assert()
        .code(0);
    let output = run.get_output();
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 3);
    let report = report_of(&output.stderr);
    assert_eq!((report["read"].as_u64(), report["written"].as_u64()), (Some(4), Some(3)));
    assert_eq!(report["drops"][0]["line"], 2);
    assert_eq!(
        report["drops"][0]["message"],
        "the record is 6,291,456 bytes long, over the limit of 1,024 bytes (`--max-line-bytes`): it was not read"
    );
}

#[test]
fn the_limit_has_the_bounds_of_check() {
    dpolint().args(["convert", "x.jsonl", "-o", "out.jsonl", "--max-line-bytes", "1023"]).assert().code(2);
}
