//! Properties of `convert`: any valid target record survives `--from fireworks` unchanged in
//! meaning, and text (any Unicode: U+2028/U+2029, controls, emoji, right-to-left marks) comes out
//! byte-exact.

use std::fmt::Write as _;

use dpolint::convert::{ConvertOptions, Converter, Layout};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Text with the characters that break naive writers mixed into ordinary text.
fn text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        "[a-zA-Z0-9 .,!?]{1,12}",
        Just("\u{2028}".to_string()),
        Just("\u{2029}".to_string()),
        Just("\u{200F}\u{202E}".to_string()),
        Just("🚀👩‍💻".to_string()),
        Just("\"quoted\" \\ back".to_string()),
        Just("\t\n\r".to_string()),
        Just("\u{0}\u{7}\u{1b}\u{7f}\u{85}".to_string()),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(pieces, 1..8).prop_map(|parts| format!("x{}", parts.concat()))
}

fn record() -> impl Strategy<Value = Value> {
    (prop::option::of(text()), text(), text(), text()).prop_filter("answers differ", |(_, _, a, b)| a != b).prop_map(
        |(system, user, chosen, rejected)| {
            let mut messages = Vec::new();
            if let Some(system) = system {
                messages.push(json!({"role": "system", "content": system}));
            }
            messages.push(json!({"role": "user", "content": user}));
            json!({
                "input": {"messages": messages},
                "preferred_output": [{"role": "assistant", "content": chosen}],
                "non_preferred_output": [{"role": "assistant", "content": rejected}],
            })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn valid_records_survive_conversion_unchanged(records in prop::collection::vec(record(), 1..6), ascii in any::<bool>()) {
        let mut source = String::new();
        for record in &records {
            // Both escaping styles of Python's json.dumps: escapes must not change the meaning.
            let line = if ascii { ascii_json(record) } else { serde_json::to_string(record).unwrap() };
            source.push_str(&line);
            source.push('\n');
        }
        let mut options = ConvertOptions::default();
        options.layout = Some(Layout::Fireworks);
        options.threads = 2;
        let converter = Converter::new(options).unwrap();
        let mut output = Vec::new();
        let report = converter.convert_reader("records.jsonl", std::io::Cursor::new(source.into_bytes()), &mut output, None).unwrap();
        prop_assert_eq!(report.read, records.len() as u64);
        prop_assert_eq!(report.written, records.len() as u64, "{:?}", report.drops);
        let written: Vec<Value> = String::from_utf8(output).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        prop_assert_eq!(written, records);
    }
}

/// JSON with every non-ASCII character escaped (`ensure_ascii=True`).
fn ascii_json(value: &Value) -> String {
    let mut out = String::new();
    for c in serde_json::to_string(value).unwrap().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out
}
