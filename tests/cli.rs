//! The command line: every format, every exit code, the rule commands and the errors that stop it.

use std::fs;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

use crate::common::{fixtures, record};

fn dpolint() -> Command {
    Command::cargo_bin("dpolint").unwrap()
}

fn examples(name: &str) -> String {
    format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn clean_sample_exits_zero() {
    dpolint()
        .args(["check", &examples("einstein_dpo.jsonl")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("4 examples in 4 lines: no problems found"));
}

#[test]
fn broken_sample_exits_one_with_concise_lines() {
    let output = dpolint().args(["check", "--format", "concise", &examples("broken_dpo.jsonl")]).assert().code(1);
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("broken_dpo.jsonl:2:34: error DPO104 invalid role \"User\" in input message 0"),
        "{stdout}"
    );
    assert!(stdout.contains("broken_dpo.jsonl:3:1: warning DPO005 "), "{stdout}");
    assert!(
        stdout.lines().last().unwrap().contains("8 examples in 9 lines: 7 errors, 6 warnings, 0 infos"),
        "{stdout}"
    );
}

#[test]
fn json_format_has_the_rule_book_fields() {
    let output = dpolint().args(["check", "--format", "json", &examples("broken_dpo.jsonl")]).assert().code(1);
    let document: Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    assert_eq!(document["version"], 1);
    assert_eq!(document["target"], "fireworks");
    let dataset = &document["datasets"][0];
    for key in ["path", "examples", "lines", "errors", "warnings", "infos"] {
        assert!(dataset.get(key).is_some(), "dataset lacks {key}");
    }
    let diagnostic = &document["diagnostics"][1];
    let keys: Vec<&String> = diagnostic.as_object().unwrap().keys().collect();
    let mut want = [
        "code", "name", "severity", "message", "help", "file", "line", "column", "offset", "length", "pointer",
        "related",
    ];
    want.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(diagnostic["code"], "DPO104");
    assert_eq!(diagnostic["name"], "invalid-role");
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(document["summary"]["errors"], 7);
    let duplicate = document["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "DPO403").unwrap();
    assert_eq!(duplicate["related"][0]["line"], 1);
    assert_eq!(duplicate["pointer"], "");
}

#[test]
fn jsonl_format_streams_one_object_per_finding() {
    let output = dpolint().args(["check", "--format", "jsonl", &examples("broken_dpo.jsonl")]).assert().code(1);
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    let lines: Vec<Value> = stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 13);
    assert!(lines.iter().all(|line| line["code"].as_str().unwrap().starts_with("DPO")));
}

#[test]
fn full_format_draws_the_source_and_caret() {
    let output = dpolint()
        .args(["check", "--format", "full", "--color", "never", &examples("broken_dpo.jsonl")])
        .assert()
        .code(1);
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("DPO104 invalid-role"), "{stdout}");
    assert!(stdout.contains('[') && stdout.contains("broken_dpo.jsonl:2:34]"), "{stdout}");
    assert!(stdout.contains("help: use `\"user\"`"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "no colour codes with --color never");
}

#[test]
fn deny_warnings_turns_warnings_into_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("warn.jsonl");
    let body = format!("{}\n\n{}\n{}\n", record(1), record(2), record(3));
    fs::write(&path, body).unwrap();
    dpolint().args(["check", path.to_str().unwrap()]).assert().code(0);
    dpolint().args(["check", "--deny-warnings", path.to_str().unwrap()]).assert().code(1);
}

#[test]
fn select_and_ignore_filter_by_code_prefix_and_name() {
    let bad = examples("broken_dpo.jsonl");
    let codes = |args: &[&str]| -> Vec<String> {
        let output = dpolint().args(["check", "--format", "jsonl"]).args(args).arg(&bad).output().unwrap();
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap()["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(codes(&["--select", "DPO104"]), ["DPO104"]);
    assert_eq!(codes(&["--select", "invalid-role,blank-line"]), ["DPO104", "DPO005"]);
    assert!(codes(&["--select", "DPO4"]).iter().all(|code| code.starts_with("DPO4")));
    assert!(!codes(&["--ignore", "DPO1"]).iter().any(|code| code.starts_with("DPO1")));
    dpolint()
        .args(["check", "--select", "DPO999", &bad])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule selector `DPO999`"));
}

#[test]
fn max_per_rule_caps_human_output_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roles.jsonl");
    let body: String = (0..30).map(|i| record(i).replace("\"user\"", "\"User\"") + "\n").collect();
    fs::write(&path, body).unwrap();
    let path = path.to_str().unwrap();
    let concise = dpolint().args(["check", "--format", "concise", path]).output().unwrap();
    let stdout = String::from_utf8(concise.stdout).unwrap();
    assert_eq!(stdout.matches("DPO104").count(), 21, "{stdout}");
    assert!(stdout.contains("... and 10 more DPO104 (invalid-role) findings"), "{stdout}");
    let all = dpolint().args(["check", "--format", "concise", "--max-per-rule", "0", path]).output().unwrap();
    assert_eq!(String::from_utf8(all.stdout).unwrap().matches("DPO104").count(), 30);
    let jsonl = dpolint().args(["check", "--format", "jsonl", path]).output().unwrap();
    assert_eq!(String::from_utf8(jsonl.stdout).unwrap().lines().count(), 30);
}

#[test]
fn standard_input_is_a_dataset() {
    let body = format!("{}\n{}\n{}\n", record(1), record(2), record(3).replace("assistant", "Assistant"));
    let output = dpolint().args(["check", "--format", "concise", "-"]).write_stdin(body).assert().code(1);
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("<stdin>:3:"), "{stdout}");
}

#[test]
fn directories_are_datasets_of_shards() {
    let dir = fixtures().join("DPO405").join("ok");
    dpolint().args(["check", dir.to_str().unwrap()]).assert().code(0).stdout(predicate::str::contains("(2 shards)"));
}

#[test]
fn troubles_exit_two_naming_the_path() {
    dpolint()
        .args(["check", "definitely/missing.jsonl"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("definitely/missing.jsonl: no such file or directory"));
    let empty = tempfile::tempdir().unwrap();
    fs::write(empty.path().join("notes.txt"), "hi").unwrap();
    dpolint()
        .args(["check", empty.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no `.jsonl` shard"));
    dpolint().args(["check"]).assert().code(2);
    dpolint().args(["check", "--format", "xml", "x.jsonl"]).assert().code(2);
    dpolint().args(["check", "--threads", "0", &examples("einstein_dpo.jsonl")]).assert().code(2);
    dpolint()
        .args(["check", "--target", "anthropic", &examples("einstein_dpo.jsonl")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'anthropic'"));
}

#[cfg(unix)]
#[test]
fn devices_are_refused() {
    dpolint().args(["check", "/dev/null"]).assert().code(2).stderr(predicate::str::contains("character device"));
}

#[test]
fn rules_lists_the_table_and_rule_prints_a_page() {
    let output = dpolint().arg("rules").assert().code(0);
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    for rule in dpolint::Rule::ALL {
        assert!(stdout.contains(rule.code()) && stdout.contains(rule.name()), "{rule} missing");
    }
    assert!(stdout.contains("DPO204  consecutive-roles        off        off        error"), "{stdout}");
    dpolint().args(["rule", "DPO104"]).assert().code(0).stdout(predicate::str::starts_with("# DPO104 invalid-role"));
    dpolint().args(["rule", "invalid-role"]).assert().code(0);
    dpolint().args(["rule", "DPO999"]).assert().code(2).stderr(predicate::str::contains("unknown rule `DPO999`"));
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_exits_quietly() {
    use std::io::Read;
    use std::process::{Command as StdCommand, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.jsonl");
    let body: String = (0..20_000).map(|i| record(i).replace("\"user\"", "\"User\"") + "\n").collect();
    fs::write(&path, body).unwrap();
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("dpolint"))
        .args(["check", "--format", "jsonl", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here: the next writes fail with EPIPE.
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(stderr, "", "no message on a closed pipe");
    assert!(status.code().is_some(), "exited, not killed by a signal: {status:?}");
}
