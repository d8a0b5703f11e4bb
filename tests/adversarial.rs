//! Inputs built to break a linter: each gets findings or a clean error, never a panic or a hang.

use std::fs;

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
