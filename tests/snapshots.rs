//! Snapshots of the rendered reports for every bad fixture, so a reviewer sees the caret under the
//! right bytes (`cargo insta review` after an intended change).

use std::fs;

use dpolint::render::Format;

use crate::common::{fixture_options, fixtures, render, validator, validator_with};

#[test]
fn full_reports_of_every_bad_fixture() {
    let root = fixtures();
    let mut names: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("DPO"))
        .collect();
    names.sort();
    for name in names {
        let dir = root.join(&name);
        let input = if dir.join("bad").is_dir() { dir.join("bad") } else { dir.join("bad.jsonl") };
        let expected: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
        let (select, max_line_bytes) = fixture_options(&expected);
        let text = render(&validator_with(2, &select, max_line_bytes), &[input.as_path()], Format::Full);
        // Paths differ between machines: show them relative to the fixtures.
        let text = text.replace(&format!("{}/", root.display()), "");
        insta::assert_snapshot!(format!("full_{name}"), text);
    }
}

#[test]
fn concise_report_of_the_broken_example() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join("broken_dpo.jsonl");
    let text = render(&validator(2, &[]), &[path.as_path()], Format::Concise);
    let text = text.replace(&format!("{}/", path.parent().unwrap().display()), "");
    insta::assert_snapshot!("concise_broken_example", text);
}
