//! `dpolint convert` through the command line: exit codes, the output file's guarantees, the
//! rejects file, the JSON report, standard input, and the safety net that checks every line.

use std::fs;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn dpolint() -> Command {
    Command::cargo_bin("dpolint").unwrap()
}

const TRL: &str = concat!(
    r#"{"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Lyon.", "score": 9}"#,
    "\n",
    r#"{"prompt": "2 + 2?", "chosen": "4", "rejected": "4"}"#,
    "\n",
    "not json\n",
    r#"{"prompt": "Largest ocean?", "chosen": "The Pacific.", "rejected": "The Atlantic."}"#,
    "\n",
);

#[test]
fn converts_and_reports_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.jsonl");
    fs::write(&input, TRL).unwrap();
    let output = dir.path().join("out.jsonl");
    let rejects = dir.path().join("rejects.jsonl");
    let run = dpolint()
        .args([
            "convert",
            input.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
            "--format",
            "json",
        ])
        .assert()
        .code(0);
    let report: Value = serde_json::from_slice(&run.get_output().stdout).unwrap();
    let mut keys: Vec<&String> = report.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "detected",
            "discarded_fields",
            "dropped",
            "drops",
            "flattened",
            "layout",
            "output",
            "pairs",
            "read",
            "reason",
            "target",
            "version",
            "warnings",
            "written"
        ]
    );
    assert_eq!((report["read"].as_u64(), report["written"].as_u64()), (Some(4), Some(2)));
    assert_eq!(report["dropped"], serde_json::json!({"parse-error": 1, "identical-pair": 1}));
    assert_eq!(report["drops"][0]["line"], 2);
    assert_eq!(report["drops"][1]["reason"], "parse-error");
    assert_eq!(report["discarded_fields"], serde_json::json!(["score"]));
    assert_eq!(fs::read_to_string(&output).unwrap().lines().count(), 2);
    let rejected: Vec<Value> =
        fs::read_to_string(&rejects).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(rejected[0]["record"]["chosen"], "4");
    assert_eq!(rejected[1]["record_text"], "not json");
}

#[test]
fn refuses_to_overwrite_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.jsonl");
    fs::write(&input, TRL).unwrap();
    let same = dir.path().join(".").join("pairs.jsonl");
    dpolint()
        .args(["convert", input.to_str().unwrap(), "-o", same.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is also an input"));
    assert_eq!(fs::read_to_string(&input).unwrap(), TRL);
}

#[test]
fn writes_nothing_when_nothing_converts_and_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("sft.jsonl");
    fs::write(
        &input,
        "{\"messages\": [{\"role\": \"user\", \"content\": \"Q\"}, {\"role\": \"assistant\", \"content\": \"A\"}]}\n",
    )
    .unwrap();
    let output = dir.path().join("out.jsonl");
    dpolint()
        .args(["convert", input.to_str().unwrap(), "-o", output.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("SFT"));
    assert!(!output.exists());
    let all_dropped = dir.path().join("identical.jsonl");
    fs::write(&all_dropped, "{\"prompt\": \"Q\", \"chosen\": \"A\", \"rejected\": \"A\"}\n").unwrap();
    dpolint().args(["convert", all_dropped.to_str().unwrap(), "-o", output.to_str().unwrap()]).assert().code(1);
    assert!(!output.exists());
    let leftovers = fs::read_dir(dir.path())
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().file_name().to_string_lossy().contains("partial"))
        .count();
    assert_eq!(leftovers, 0);
    dpolint()
        .args(["convert", "missing.jsonl", "-o", output.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.jsonl"));
    dpolint()
        .args(["convert", input.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-o OUT.jsonl"));
    dpolint().args(["convert", input.to_str().unwrap(), "-o", "x.jsonl", "--from", "nope"]).assert().code(2);
}

#[cfg(unix)]
#[test]
fn devices_and_standard_output_are_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.jsonl");
    fs::write(&input, TRL).unwrap();
    // Renaming a finished file over /dev/null would replace the device.
    dpolint().args(["convert", input.to_str().unwrap(), "-o", "/dev/null"]).assert().code(0);
    assert!(fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    let run = dpolint().args(["convert", input.to_str().unwrap(), "-o", "-"]).assert().code(0);
    let stdout = String::from_utf8(run.get_output().stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 2);
    assert!(String::from_utf8_lossy(&run.get_output().stderr).contains("records: 4 read"));
}

#[cfg(unix)]
use std::os::unix::fs::FileTypeExt;

#[test]
fn reads_standard_input_and_detects() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.jsonl");
    dpolint().args(["convert", "-", "-o", output.to_str().unwrap()]).write_stdin(TRL).assert().code(0);
    assert_eq!(fs::read_to_string(&output).unwrap().lines().count(), 2);
    let input = dir.path().join("pairs.jsonl");
    fs::write(&input, TRL).unwrap();
    dpolint()
        .args(["convert", "--detect", input.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("trl: "));
}

#[test]
fn every_written_line_passes_check_or_is_dropped() {
    // A target-layout record whose tools are invalid converts to a line that fails DPO109: it is
    // dropped as failed-check, never written.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("fireworks.jsonl");
    let good = r#"{"input": {"messages": [{"role": "user", "content": "Q"}]}, "preferred_output": [{"role": "assistant", "content": "A"}], "non_preferred_output": [{"role": "assistant", "content": "B"}]}"#;
    let bad_tools = r#"{"input": {"messages": [{"role": "user", "content": "Q2"}], "tools": [{"type": "function", "function": {"name": "has spaces"}}]}, "preferred_output": [{"role": "assistant", "content": "A"}], "non_preferred_output": [{"role": "assistant", "content": "B"}]}"#;
    fs::write(&input, format!("{good}\n{bad_tools}\n")).unwrap();
    let output = dir.path().join("out.jsonl");
    let run = dpolint()
        .args(["convert", input.to_str().unwrap(), "-o", output.to_str().unwrap(), "--format", "json"])
        .assert()
        .code(0);
    let report: Value = serde_json::from_slice(&run.get_output().stdout).unwrap();
    assert_eq!(report["dropped"], serde_json::json!({"failed-check": 1}));
    assert!(report["drops"][0]["message"].as_str().unwrap().contains("DPO109"));
}

#[test]
fn csv_and_gzip_sources_convert() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("pairs.csv");
    fs::write(&csv, "prompt,chosen,rejected\n\"Capital of France?\",Paris.,Lyon.\n\"2, then 3?\",\"4, 5\",\"5, 6\"\n")
        .unwrap();
    let output = dir.path().join("out.jsonl");
    dpolint().args(["convert", csv.to_str().unwrap(), "-o", output.to_str().unwrap()]).assert().code(0);
    let lines: Vec<Value> =
        fs::read_to_string(&output).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines[1]["input"]["messages"][0]["content"], "2, then 3?");
}

#[test]
fn shards_make_one_output_with_locations_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let shards = dir.path().join("data");
    fs::create_dir(&shards).unwrap();
    fs::write(shards.join("train-00000.jsonl"), TRL).unwrap();
    fs::write(shards.join("train-00001.jsonl"), r#"{"prompt": "Q", "chosen": "A", "rejected": "A"}"#).unwrap();
    let output = dir.path().join("out.jsonl");
    for inputs in [vec![shards.clone()], vec![shards.join("train-00000.jsonl"), shards.join("train-00001.jsonl")]] {
        let run = dpolint()
            .arg("convert")
            .args(&inputs)
            .args(["-o", output.to_str().unwrap(), "--format", "json"])
            .assert()
            .code(0);
        let report: Value = serde_json::from_slice(&run.get_output().stdout).unwrap();
        assert_eq!((report["read"].as_u64(), report["written"].as_u64()), (Some(5), Some(2)));
        let last = &report["drops"][2];
        assert!(last["file"].as_str().unwrap().ends_with("train-00001.jsonl"));
        assert_eq!(last["line"], 1);
    }
}

#[test]
fn together_keeps_earlier_turns_and_its_output_passes_check() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("hh.jsonl");
    let line = |i: usize| {
        format!(
            r#"{{"chosen": "\n\nHuman: Hi {i}\n\nAssistant: Hello!\n\nHuman: Capital of France?\n\nAssistant: Paris.", "rejected": "\n\nHuman: Hi {i}\n\nAssistant: Hello!\n\nHuman: Capital of France?\n\nAssistant: Lyon."}}"#
        )
    };
    fs::write(&input, (0..3).map(|i| line(i) + "\n").collect::<String>()).unwrap();
    let output = dir.path().join("out.jsonl");
    let paths = [input.to_str().unwrap(), "-o", output.to_str().unwrap()];
    // Keeping turns is refused for one-turn targets, before anything is read.
    dpolint().arg("convert").args(paths).args(["--multi-turn", "keep"]).assert().code(2);
    dpolint().arg("convert").args(paths).args(["--multi-turn", "keep", "--target", "together"]).assert().code(0);
    let written = fs::read_to_string(&output).unwrap();
    let first: Value = serde_json::from_str(written.lines().next().unwrap()).unwrap();
    let roles: Vec<&str> =
        first["input"]["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "user"]);
    dpolint().args(["check", "--isolated", "--target", "together", output.to_str().unwrap()]).assert().code(0);
    dpolint()
        .args(["check", "--isolated", output.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("DPO201"));
}
