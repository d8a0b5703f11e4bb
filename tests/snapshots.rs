//! Snapshots of the rendered reports for every bad fixture, so a reviewer sees the caret under the
//! right bytes (`cargo insta review` after an intended change).

use std::fs;

use dpolint::render::Format;

use crate::common::{fixtures, render, validator};

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
        let select: Vec<String> = if name == "DPO204" { vec!["DPO204".into()] } else { Vec::new() };
        let text = render(&validator(2, &select), &[input.as_path()], Format::Full);
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
