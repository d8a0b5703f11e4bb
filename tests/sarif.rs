//! `--format sarif` is valid SARIF 2.1.0: every log below is checked against the official OASIS
//! schema (2.1.0 with errata 01), vendored as `tests/data/sarif-schema-2.1.0.json` (its origin is in
//! `tests/data/README.md`; nothing is fetched at test time), and its values against the findings.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use dpolint::render::{Format, RenderOptions, renderer};
use dpolint::{Diagnostic, Options, Report, Rule, Severity, Target, Validator};
use serde_json::{Value, json};

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    serde_json::from_slice(&fs::read(path).expect("vendored SARIF schema")).expect("the schema is JSON")
}

/// The schema's violations in `log`, one line each.
fn violations(log: &Value) -> Vec<String> {
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema())
        .expect("the SARIF schema compiles");
    validator.iter_errors(log).map(|error| format!("{}: {error}", error.instance_path())).collect()
}

fn assert_valid(log: &Value) {
    let violations = violations(log);
    assert!(violations.is_empty(), "not valid SARIF 2.1.0:\n{}", violations.join("\n"));
    // The schema's `"format": "uri-reference"` on `artifactLocation.uri` is not a draft-04 format, so
    // the validator skips it: check it with the draft-07 one.
    let uri_reference = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&json!({"type": "string", "format": "uri-reference"}))
        .unwrap();
    for result in log["runs"][0]["results"].as_array().unwrap() {
        let locations = result["locations"].as_array().unwrap().iter();
        for location in locations.chain(result["relatedLocations"].as_array().into_iter().flatten()) {
            let uri = &location["physicalLocation"]["artifactLocation"]["uri"];
            assert!(uri_reference.is_valid(uri), "not a URI reference: {uri}");
        }
    }
}

/// One valid record with distinct text (and non-ASCII, so columns and bytes differ).
fn record(i: usize) -> String {
    format!(
        r#"{{"input": {{"messages": [{{"role": "user", "content": "Frage {i}: Größe?"}}]}}, "preferred_output": [{{"role": "assistant", "content": "Gut {i}."}}], "non_preferred_output": [{{"role": "assistant", "content": "Schlecht {i}."}}]}}"#
    )
}

/// A directory dataset: two shards with defects and a duplicate across them, and entries that
/// break the shard rules (DPO405).
fn shard_directory(root: &Path) -> PathBuf {
    let dir = root.join("shards");
    fs::create_dir_all(dir.join("nested")).unwrap();
    fs::write(dir.join("nested/c.jsonl"), record(9) + "\n").unwrap();
    let a = [record(1), record(2).replace("\"user\"", "\"Üser\""), record(3)].join("\n") + "\n";
    fs::write(dir.join("a.jsonl"), a).unwrap();
    let b = [record(1), format!("{}\r", record(4)), String::new(), record(5).replace("Gut 5.", "<|im_start|>")]
        .join("\n")
        + "\n";
    fs::write(dir.join("b.jsonl"), b).unwrap();
    fs::write(dir.join(".hidden.jsonl"), record(6) + "\n").unwrap();
    fs::write(dir.join("notes.txt"), "not a shard\n").unwrap();
    fs::write(dir.join("empty.jsonl"), "").unwrap();
    dir
}

/// Checks `paths` into a report and into a SARIF log (the same run twice).
fn check(options: Options, paths: &[&Path]) -> (Report, Vec<u8>) {
    let validator = Validator::new(options).unwrap();
    let mut report = Report::new(Target::Fireworks);
    validator.check_paths(paths, &mut report).unwrap();
    let mut out = Vec::new();
    {
        let mut sink = renderer(Format::Sarif, Box::new(&mut out), &RenderOptions::new(Target::Fireworks));
        let summary = validator.check_paths(paths, &mut *sink).unwrap();
        sink.finish(&summary).unwrap();
    }
    (report, out)
}

/// Unicode scalars in `bytes`, an invalid sequence counting as one (as columns do).
fn scalars(bytes: &[u8]) -> u64 {
    String::from_utf8_lossy(bytes).chars().count() as u64
}

/// A URI's percent-encoded bytes decoded.
fn percent_decode(uri: &str) -> String {
    let bytes = uri.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&uri[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Each result against the finding it came from (same order), and its end column against the bytes.
fn assert_results_match(results: &[Value], diagnostics: &[Diagnostic]) {
    assert_eq!(results.len(), diagnostics.len());
    for (result, diagnostic) in results.iter().zip(diagnostics) {
        assert_eq!(result["ruleId"], diagnostic.rule.code());
        assert_eq!(Rule::ALL[result["ruleIndex"].as_u64().unwrap() as usize], diagnostic.rule);
        let level = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        assert_eq!(result["level"], level);
        let text = result["message"]["text"].as_str().unwrap();
        assert!(text.starts_with(&diagnostic.message));
        if let Some(help) = &diagnostic.help {
            assert!(text.ends_with(&format!(" — {help}")), "{text}");
        }
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        let path = if Path::new(&diagnostic.file).is_absolute() {
            format!("file://{}", diagnostic.file)
        } else {
            diagnostic.file.clone()
        };
        if cfg!(not(windows)) {
            assert_eq!(percent_decode(uri), path);
        }
        let Some(location) = diagnostic.location else {
            assert!(physical.get("region").is_none(), "dataset-level finding with a region: {result}");
            continue;
        };
        let region = &physical["region"];
        assert_eq!(region["startLine"], location.line);
        assert_eq!(region["startColumn"], location.column);
        assert_eq!(region["byteOffset"], location.offset);
        assert_eq!(region["byteLength"], location.length);
        if let Some(end) = region.get("endColumn") {
            let bytes = fs::read(&diagnostic.file).unwrap();
            let span = &bytes[location.offset as usize..(location.offset + location.length) as usize];
            assert_eq!(end.as_u64().unwrap(), location.column + scalars(span), "{result}");
        }
        assert_eq!(result["relatedLocations"].as_array().map_or(0, Vec::len), diagnostic.related.len());
    }
}

#[test]
fn sarif_log_is_valid_against_the_official_schema_and_matches_the_findings() {
    let root = tempfile::tempdir().unwrap();
    let shards = shard_directory(root.path());
    // Relative, as a user types it (tests run in the package root).
    let example = Path::new("examples/broken_dpo.jsonl");
    let paths = [example, shards.as_path()];
    let (report, bytes) = check(Options::default().with_threads(2), &paths);
    let log: Value = serde_json::from_slice(&bytes).unwrap();
    assert_valid(&log);

    assert_eq!(log["$schema"], schema()["id"]);
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "dpolint");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|rule| rule["id"].as_str().unwrap()).collect();
    let codes: Vec<&str> = Rule::ALL.iter().map(|rule| rule.code()).collect();
    assert_eq!(ids, codes);
    let invalid_role = Rule::ALL.iter().position(|&rule| rule == Rule::InvalidRole).unwrap();
    assert_eq!(rules[invalid_role]["name"], "invalid-role");

    let results = run["results"].as_array().unwrap();
    assert_results_match(results, &report.diagnostics);
    let found: BTreeSet<&str> = results.iter().map(|result| result["ruleId"].as_str().unwrap()).collect();
    for code in ["DPO003", "DPO005", "DPO006", "DPO104", "DPO303", "DPO403", "DPO405"] {
        assert!(found.contains(code), "no {code} in {found:?}");
    }
    // Relative paths stay relative; absolute ones become `file:` URIs.
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "examples/broken_dpo.jsonl");
    // Every DPO405 (hidden entry, non-.jsonl name, subdirectory, empty shard) names its entry, no region.
    let layout: Vec<&Value> = results.iter().filter(|result| result["ruleId"] == "DPO405").collect();
    assert_eq!(layout.len(), 4);
    for result in &layout {
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("file:///") && uri.contains("/shards/"), "{uri}");
        assert!(result["locations"][0]["physicalLocation"].get("region").is_none());
    }
    // The duplicate in b.jsonl points back at a.jsonl.
    let duplicate = results
        .iter()
        .find(|result| result["ruleId"] == "DPO403" && result["locations"][0].to_string().contains("b.jsonl"))
        .unwrap();
    let related = &duplicate["relatedLocations"][0];
    assert_eq!(related["id"], 1);
    assert!(related["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap().ends_with("/shards/a.jsonl"));
    assert_eq!(
        related["physicalLocation"]["region"],
        json!({"startLine": 1, "startColumn": 1, "byteOffset": 0, "byteLength": record(1).len()})
    );
    // An end column where the span's end is known, e.g. the `"Üser"` role (6 characters, 7 bytes).
    let role = results
        .iter()
        .find(|result| result["ruleId"] == "DPO104" && result["locations"][0].to_string().contains("a.jsonl"))
        .unwrap();
    let region = &role["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["byteLength"], 7);
    assert_eq!(region["endColumn"].as_u64().unwrap(), region["startColumn"].as_u64().unwrap() + 6);
    // One distinct fingerprint per result.
    let fingerprints: BTreeSet<&str> =
        results.iter().map(|result| result["partialFingerprints"]["dpolint/v1"].as_str().unwrap()).collect();
    assert_eq!(fingerprints.len(), results.len());

    // The same bytes whatever the thread count; without source lines (as the CLI checks for machine
    // formats) only end columns that need them go.
    let (_, single) = check(Options::default().with_threads(1), &paths);
    assert_eq!(single, bytes);
    let (report, bare) = check(Options::default().with_threads(3).with_source_lines(false), &paths);
    let bare: Value = serde_json::from_slice(&bare).unwrap();
    assert_valid(&bare);
    assert_results_match(bare["runs"][0]["results"].as_array().unwrap(), &report.diagnostics);
}

#[test]
fn odd_file_names_and_an_empty_run_are_valid_sarif() {
    let root = tempfile::tempdir().unwrap();
    let odd = root.path().join("my data, 100% #1 ü.jsonl");
    fs::write(&odd, format!("{}\n{}\n", record(1), record(1))).unwrap();
    let (report, bytes) = check(Options::default(), &[odd.as_path()]);
    let log: Value = serde_json::from_slice(&bytes).unwrap();
    assert_valid(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_results_match(results, &report.diagnostics);
    let uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
    assert!(uri.ends_with("/my%20data,%20100%25%20%231%20%C3%BC.jsonl"), "{uri}");

    let clean = root.path().join("clean.jsonl");
    fs::write(&clean, (0..3).map(|i| record(i) + "\n").collect::<String>()).unwrap();
    let (_, bytes) = check(Options::default(), &[clean.as_path()]);
    let log: Value = serde_json::from_slice(&bytes).unwrap();
    assert_valid(&log);
    assert_eq!(log["runs"][0]["results"], json!([]));
    assert_eq!(log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().len(), Rule::ALL.len());
}

#[test]
fn the_schema_check_rejects_broken_logs() {
    // A control: the validator really applies the schema (a lax one would pass anything).
    let (_, bytes) = check(Options::default(), &[Path::new("examples/broken_dpo.jsonl")]);
    let valid: Value = serde_json::from_slice(&bytes).unwrap();
    assert_valid(&valid);
    let mut broken = Vec::new();
    let mut bad_level = valid.clone();
    bad_level["runs"][0]["results"][0]["level"] = json!("fatal");
    broken.push(bad_level);
    let mut no_driver = valid.clone();
    no_driver["runs"][0]["tool"].as_object_mut().unwrap().remove("driver");
    broken.push(no_driver);
    let mut line_zero = valid.clone();
    line_zero["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = json!(0);
    broken.push(line_zero);
    let mut bad_version = valid.clone();
    bad_version["version"] = json!("2.0.0");
    broken.push(bad_version);
    let mut unknown_property = valid;
    unknown_property["runs"][0]["results"][0]["severity"] = json!("error");
    broken.push(unknown_property);
    for log in &broken {
        assert!(!violations(log).is_empty(), "accepted: {log}");
    }
    let uri_reference =
        jsonschema::draft7::options().should_validate_formats(true).build(&json!({"format": "uri-reference"})).unwrap();
    assert!(!uri_reference.is_valid(&json!("my data\\x.jsonl")));
    assert!(uri_reference.is_valid(&json!("my%20data%5Cx.jsonl")));
}
