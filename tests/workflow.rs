//! Where users run dpolint: configuration files, token budgets and tokenizers, CI formats,
//! statistics and shell completions, through the real binary.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

use crate::common::record;

fn dpolint_in(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("dpolint").unwrap();
    command.current_dir(dir);
    command
}

/// A project directory holding `data/train.jsonl`: three records, the second with a misspelt key
/// (DPO103) and an upper-case role (DPO104).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("data")).unwrap();
    let bad = record(2).replace("\"role\": \"user\"", "\"role\": \"User\"").replacen(
        "{\"input\"",
        "{\"id\": 1, \"input\"",
        1,
    );
    fs::write(dir.path().join("data/train.jsonl"), format!("{}\n{bad}\n{}\n", record(1), record(3))).unwrap();
    dir
}

fn codes(stdout: &[u8]) -> Vec<String> {
    let report: Value = serde_json::from_slice(stdout).unwrap();
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{} {}", d["code"].as_str().unwrap(), d["severity"].as_str().unwrap()))
        .collect()
}

fn check_json(dir: &Path, extra: &[&str]) -> (i32, Vec<String>) {
    let output = dpolint_in(dir).args(["check", "--format", "json", "data/train.jsonl"]).args(extra).output().unwrap();
    (output.status.code().unwrap(), codes(&output.stdout))
}

#[test]
fn a_config_file_is_found_by_walking_up_and_flags_beat_it() {
    let dir = project();
    assert_eq!(check_json(dir.path(), &[]), (1, vec!["DPO103 warning".into(), "DPO104 error".into()]));
    fs::write(
        dir.path().join("dpolint.toml"),
        "target = \"openai\"\nignore = [\"invalid-role\"]\n[severity]\nDPO103 = \"info\"\n",
    )
    .unwrap();
    // From a subdirectory: the file above applies (openai: 10 examples needed, DPO103 lowered to info).
    let output =
        dpolint_in(&dir.path().join("data")).args(["check", "--format", "json", "train.jsonl"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(codes(&output.stdout), ["DPO401 error", "DPO103 info"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["target"], "openai");
    // Flags beat the file; --isolated ignores it.
    assert_eq!(check_json(dir.path(), &["--target", "fireworks"]), (0, vec!["DPO103 info".into()]));
    assert_eq!(check_json(dir.path(), &["--isolated"]), (1, vec!["DPO103 warning".into(), "DPO104 error".into()]));
}

#[test]
fn pyproject_tool_table_and_explicit_config_files_are_read() {
    let dir = project();
    fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"demo\"\n\n[tool.dpolint]\nselect = [\"DPO1\"]\nignore = [\"DPO103\"]\n",
    )
    .unwrap();
    assert_eq!(check_json(dir.path(), &[]), (1, vec!["DPO104 error".into()]));
    let other = dir.path().join("strict.toml");
    fs::write(&other, "deny-warnings = true\nselect = [\"DPO103\"]\n").unwrap();
    assert_eq!(check_json(dir.path(), &["--config", "strict.toml"]), (1, vec!["DPO103 warning".into()]));
}

#[test]
fn per_file_ignores_turn_rules_off_for_matching_files_only() {
    let dir = project();
    fs::copy(dir.path().join("data/train.jsonl"), dir.path().join("data/eval.jsonl")).unwrap();
    fs::write(
        dir.path().join("dpolint.toml"),
        "[per-file-ignores]\n\"data/train.jsonl\" = [\"DPO104\", \"unknown-field\"]\n",
    )
    .unwrap();
    assert_eq!(check_json(dir.path(), &[]), (0, vec![]));
    let output = dpolint_in(dir.path()).args(["check", "--format", "json", "data/eval.jsonl"]).output().unwrap();
    assert_eq!(codes(&output.stdout), ["DPO103 warning", "DPO104 error"]);
}

#[test]
fn a_misspelt_key_or_bad_value_exits_two_naming_file_line_and_key() {
    let dir = project();
    fs::write(dir.path().join("dpolint.toml"), "target = \"openai\"\n\nmax-per-rul = 5\n").unwrap();
    dpolint_in(dir.path())
        .args(["check", "data/train.jsonl"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("dpolint.toml:3:1: unknown key `max-per-rul` (did you mean `max-per-rule`?)"));
    fs::write(dir.path().join("dpolint.toml"), "[severity]\nDPO104 = \"fatal\"\n").unwrap();
    dpolint_in(dir.path())
        .args(["check", "data/train.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("dpolint.toml:2:").and(predicate::str::contains("severity.DPO104")));
    fs::write(dir.path().join("pyproject.toml"), "[tool.dpolint]\ntarget = \"anthropic\"\n").unwrap();
    fs::remove_file(dir.path().join("dpolint.toml")).unwrap();
    dpolint_in(dir.path())
        .args(["check", "data/train.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("pyproject.toml:2:").and(predicate::str::contains("tool.dpolint.target")));
    // `rules` reads the configuration too, and fails the same way.
    dpolint_in(dir.path()).args(["rules", "--target", "openai"]).assert().code(2);
    dpolint_in(dir.path()).args(["rules", "--target", "openai", "--isolated"]).assert().code(0);
}

#[test]
fn rules_with_a_target_shows_the_effective_table() {
    let dir = project();
    fs::write(dir.path().join("dpolint.toml"), "ignore = [\"DPO303\"]\n[severity]\nDPO204 = \"warning\"\n").unwrap();
    let output = dpolint_in(dir.path()).args(["rules", "--target", "together"]).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let row = |code: &str| {
        stdout.lines().find(|line| line.starts_with(code)).unwrap().split_whitespace().nth(2).unwrap().to_string()
    };
    assert_eq!(row("DPO005"), "error");
    assert_eq!(row("DPO201"), "off");
    assert_eq!(row("DPO204"), "warning");
    assert_eq!(row("DPO303"), "off");
    assert!(stdout.contains("Together: at least 1 examples"), "{stdout}");
}

/// A word-level Hugging Face tokenizer written in code: whitespace-split words, unknown words are
/// `[UNK]`, so every word is one token.
const TOKENIZER: &str = r#"{"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
  "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
  "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "the": 1}, "unk_token": "[UNK]"}}"#;

#[test]
fn max_tokens_and_an_exact_tokenizer_drive_too_long() {
    let dir = tempfile::tempdir().unwrap();
    // 3,000 words of 11 characters: about 8,250 estimated tokens, exactly 3,000 words.
    let long = record(1).replace("Question 1?", &"abcdefghij ".repeat(3_000));
    fs::write(dir.path().join("long.jsonl"), format!("{long}\n{}\n{}\n", record(2), record(3))).unwrap();
    fs::write(dir.path().join("tokenizer.json"), TOKENIZER).unwrap();
    let run = |extra: &[&str]| {
        let output = dpolint_in(dir.path())
            .args(["check", "--isolated", "--format", "json", "long.jsonl"])
            .args(extra)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["message"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(run(&[]).is_empty());
    let estimated = run(&["--max-tokens", "5000"]);
    assert_eq!(estimated.len(), 1);
    assert!(estimated[0].contains("(estimated)"), "{estimated:?}");
    // Exactly: 3,000 words + 5 for the user message, and the longer answer "Good answer 1." (the
    // pre-tokenizer splits off the full stop: 4 tokens) + 5.
    let exact = run(&["--max-tokens", "3013", "--tokenizer", "tokenizer.json"]);
    assert_eq!(exact.len(), 1, "{exact:?}");
    assert!(
        exact[0].starts_with(
            "the example has 3,014 tokens (counted with tokenizer.json): 3,005 in the prompt and 9 in the longer answer"
        ),
        "{exact:?}"
    );
    assert!(run(&["--max-tokens", "3014", "--tokenizer", "tokenizer.json"]).is_empty());
    dpolint_in(dir.path())
        .args(["check", "--tokenizer", "missing.json", "long.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.json: cannot load the tokenizer"));
    dpolint_in(dir.path()).args(["check", "--max-tokens", "0", "long.jsonl"]).assert().code(2);
}

#[test]
fn github_and_sarif_formats_come_from_the_command_line() {
    let dir = project();
    let output =
        dpolint_in(dir.path()).args(["check", "--isolated", "--format", "github", "data/train.jsonl"]).assert().code(1);
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("::error file=data/train.jsonl,line=2,") && line.contains("title=DPO104")),
        "{stdout}"
    );
    let output =
        dpolint_in(dir.path()).args(["check", "--isolated", "--format", "sarif", "data/train.jsonl"]).assert().code(1);
    let sarif: Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    // Source lines are kept for these formats, so the end of a span on its line is known.
    assert!(
        results.iter().all(|result| result["locations"][0]["physicalLocation"]["region"]["endColumn"].is_u64()),
        "{results:?}"
    );
}

#[test]
fn stats_prints_a_table_or_json() {
    let dir = project();
    dpolint_in(dir.path())
        .args(["stats", "data/train.jsonl"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("examples"));
    let output = dpolint_in(dir.path())
        .args(["stats", "--format", "json", "-"])
        .write_stdin(fs::read(dir.path().join("data/train.jsonl")).unwrap())
        .assert()
        .code(0);
    let stats: Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    assert_eq!(stats["examples"], 3);
    dpolint_in(dir.path())
        .args(["stats", "missing.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.jsonl"));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_dpolint()"),
        ("zsh", "#compdef dpolint"),
        ("fish", "complete -c dpolint"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion"),
    ] {
        let output = Command::cargo_bin("dpolint").unwrap().args(["completions", shell]).assert().code(0);
        let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
        assert!(stdout.contains(marker), "{shell}");
        assert!(stdout.contains("max-tokens"), "{shell}");
    }
}
