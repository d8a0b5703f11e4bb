//! Layout detection: the first records are sampled (not only the first: optional keys can be absent
//! or null), the layouts' signatures tried most specific first, and the choice confirmed by running
//! its adapter over the sample. When too many sampled records do not fit, the candidates and their
//! failure counts are named instead of a guess.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::layouts::{Context, Layout};
use super::message::{is_message, is_message_list};
use super::value::Value;
use super::{ConvertOptions, DropReason};
use crate::parse::{Kind, Tape, parse_line};

/// How many records detection looks at.
pub(crate) const SAMPLE: usize = 100;

/// The share of sampled records (in percent) allowed not to fit the chosen layout.
const TOLERANCE_PERCENT: usize = 5;

/// The outcome of detection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detection {
    /// The layout, when one fits.
    pub layout: Option<Layout>,
    /// Why (which keys), or why none fits, with what was seen and a `--map` to try.
    pub reason: String,
    /// Layouts whose signature some sampled record has: (layout, records with its signature,
    /// records its adapter could not read).
    pub candidates: Vec<(Layout, usize, usize)>,
    /// Records sampled (that parsed as JSON objects).
    pub sampled: usize,
}

/// Whether a drop means "this record is not of this layout" rather than "this record is bad".
fn is_mismatch(reason: DropReason) -> bool {
    matches!(
        reason,
        DropReason::MissingField | DropReason::NotPreference | DropReason::Unpaired | DropReason::ParseError
    )
}

/// Detects the layout of the sampled records (JSON texts).
pub(crate) fn detect(samples: &[&[u8]], options: &ConvertOptions) -> Detection {
    let mut tapes = Vec::new();
    for text in samples.iter().take(SAMPLE) {
        let mut tape = Tape::default();
        let Ok(text) = simdutf8::basic::from_utf8(text.trim_ascii()) else { continue };
        if parse_line(text.as_bytes(), &mut tape, 128).is_ok() && tape.nodes[0].kind == Kind::Object {
            tapes.push((tape, text));
        }
    }
    let records: Vec<Value<'_>> = tapes.iter().map(|(tape, text)| Value::root(tape, text)).collect();
    let parsed = records.len();
    if parsed == 0 {
        let reason = if samples.is_empty() {
            "the input holds no records"
        } else {
            "none of the first records is a JSON object"
        };
        return Detection { layout: None, reason: reason.into(), candidates: Vec::new(), sampled: parsed };
    }
    let mut candidates = Vec::new();
    for layout in Layout::DETECTION_ORDER {
        let matched = records.iter().filter(|record| layout.matches(**record)).count();
        if matched == 0 {
            continue;
        }
        let failures = records
            .iter()
            .enumerate()
            .filter(|(number, record)| {
                let context = Context { options, record_number: *number as u64 };
                matches!(layout.convert(**record, &context), Err(drop) if is_mismatch(drop.reason))
            })
            .count();
        candidates.push((layout, matched, failures));
    }
    let fits = |&(_, _, failures): &(Layout, usize, usize)| failures * 100 <= parsed * TOLERANCE_PERCENT;
    if let Some(&(layout, matched, failures)) = candidates.iter().find(|candidate| fits(candidate)) {
        let mut reason = format!("{} in {matched} of {parsed} sampled records", layout.signature());
        if failures > 0 {
            let _ = write!(reason, "; {failures} of them do not fit and will be dropped");
        }
        return Detection { layout: Some(layout), reason, candidates, sampled: parsed };
    }
    let reason =
        if candidates.is_empty() { explain_unknown(&records) } else { explain_candidates(&candidates, parsed) };
    Detection { layout: None, reason, candidates, sampled: parsed }
}

fn explain_candidates(candidates: &[(Layout, usize, usize)], parsed: usize) -> String {
    let mut text =
        format!("no layout fits more than {}% of the {parsed} sampled records; candidates:", 100 - TOLERANCE_PERCENT);
    for (layout, matched, failures) in candidates {
        let _ = write!(text, " {layout} (signature in {matched}, {failures} do not fit);");
    }
    text.push_str(
        " is the file a mix of layouts? Choose one with `--from NAME` (the others are then dropped and counted)",
    );
    text
}

/// The type of a value, as the key profile names it.
fn type_name(value: Value<'_>) -> &'static str {
    if is_message_list(value) {
        return "message list";
    }
    if is_message(value) {
        return "message";
    }
    match value.kind() {
        Kind::Null => "null",
        Kind::Bool => "boolean",
        Kind::Number => "number",
        Kind::String => "string",
        Kind::Array => "list",
        Kind::Object => "object",
    }
}

/// What the records hold, and a `--map` to try, when no signature matches at all.
fn explain_unknown(records: &[Value<'_>]) -> String {
    let mut profile: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for record in records {
        for (key, value) in record.members() {
            *profile.entry(key.into_owned()).or_default().entry(type_name(value)).or_default() += 1;
        }
    }
    let has = |key: &str| profile.contains_key(key);
    let what = if has("completion") && (has("label") || has("kto_tag")) || has("kto_tag") {
        "this looks like KTO data (one completion with a good/bad label): it holds no pairs"
    } else if (has("messages") || has("conversations")) && !has("chosen") {
        "this looks like SFT data (conversations only): it holds no pairs"
    } else if has("text") && has("label") {
        "this looks like reward-model data (`text` with a `label`): it holds no pairs"
    } else {
        "no known preference layout matches"
    };
    let keys: Vec<String> = profile
        .iter()
        .map(|(key, types)| {
            let types: Vec<String> = types.iter().map(|(name, count)| format!("{name} x{count}")).collect();
            format!("`{key}` ({})", types.join(", "))
        })
        .collect();
    // Suggest fields by their usual names, then any other string fields, never one field twice.
    let string_keys: Vec<&String> =
        profile.iter().filter(|(_, types)| types.contains_key("string")).map(|(key, _)| key).collect();
    let mut used: Vec<String> = Vec::new();
    let mut pick = |names: &[&str]| {
        let named = names
            .iter()
            .find(|name| profile.contains_key(**name) && !used.iter().any(|u| u == **name))
            .map(|name| (*name).to_string());
        let chosen = named.or_else(|| {
            string_keys.iter().find(|key| !used.contains(**key) && !names.is_empty()).map(|key| (*key).clone())
        });
        let chosen = chosen.unwrap_or_else(|| "FIELD".into());
        used.push(chosen.clone());
        chosen
    };
    let chosen = pick(&["chosen", "preferred", "accepted", "better", "winner", "response_a", "good"]);
    let rejected = pick(&["rejected", "dispreferred", "worse", "loser", "response_b", "bad"]);
    let prompt = pick(&["prompt", "question", "instruction", "query", "input", "context", "history"]);
    format!(
        "{what}. Keys seen: {}. If it is a pair, name its fields: `--from mapped --map prompt={prompt},chosen={chosen},rejected={rejected}`",
        keys.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&str]) -> Detection {
        let samples: Vec<&[u8]> = lines.iter().map(|line| line.as_bytes()).collect();
        detect(&samples, &ConvertOptions::default())
    }

    #[test]
    fn detects_the_most_specific_layout() {
        let trl = run(&[
            r#"{"prompt": "Q", "chosen": "A", "rejected": "B"}"#,
            r#"{"prompt": "Q2", "chosen": "A2", "rejected": "B2"}"#,
        ]);
        assert_eq!(trl.layout, Some(Layout::Trl));
        let orca = run(&[r#"{"system": "", "question": "Q", "chosen": "A", "rejected": "B"}"#]);
        assert_eq!(orca.layout, Some(Layout::Orca));
        let hh = run(&[r#"{"chosen": "\n\nHuman: Q\n\nAssistant: A", "rejected": "\n\nHuman: Q\n\nAssistant: B"}"#]);
        assert_eq!(hh.layout, Some(Layout::Hh));
        let nectar = run(&[
            r#"{"prompt": "\n\nHuman: Q\n\nAssistant: ", "answers": [{"answer": "A", "rank": 1}, {"answer": "B", "rank": 2}]}"#,
        ]);
        assert_eq!(nectar.layout, Some(Layout::Nectar));
    }

    #[test]
    fn explains_what_it_cannot_detect() {
        let sft = run(&[r#"{"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}"#]);
        assert_eq!(sft.layout, None);
        assert!(sft.reason.contains("SFT"), "{}", sft.reason);
        let odd = run(&[r#"{"q": "Q", "good": "A", "bad": "B"}"#]);
        assert!(odd.reason.contains("--map prompt=q,chosen=good,rejected=bad"), "{}", odd.reason);
    }

    #[test]
    fn names_candidates_of_a_mix() {
        let mut lines = vec![r#"{"prompt": "Q", "chosen": "A", "rejected": "B"}"#; 10];
        lines.extend([r#"{"conversations": [{"from": "human", "value": "Q"}], "chosen": {"from": "gpt", "value": "A"}, "rejected": {"from": "gpt", "value": "B"}}"#; 2]);
        let mixed = run(&lines);
        assert_eq!(mixed.layout, None, "{}", mixed.reason);
        assert!(mixed.reason.contains("sharegpt") && mixed.reason.contains("trl"), "{}", mixed.reason);
    }
}
