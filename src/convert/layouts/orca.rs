//! Orca-style pairs: Intel `orca_dpo_pairs` (`system`, `question`), distilabel (`input`, with a
//! `status` that may say `tie`), Argilla `UltraFeedback` binarized (`instruction`,
//! `chosen_response`/`rejected_response`). The system prompt is omitted when empty.

use super::{Candidate, Drop, DropReason, Value, answer, combine3, optional_text, text};

const PROMPT_KEYS: [&str; 4] = ["question", "input", "instruction", "prompt"];

pub(super) fn matches(record: Value<'_>) -> bool {
    let responses = record.get("chosen_response").is_some() && record.get("rejected_response").is_some();
    let strings = record.get("chosen").is_some_and(|value| value.is_string())
        && record.get("rejected").is_some_and(|value| value.is_string());
    responses
        || (strings && (record.get("question").is_some() || record.get("input").is_some_and(|input| input.is_string())))
}

pub(super) fn convert(record: Value<'_>) -> Result<Candidate, Drop> {
    let prompt_key = PROMPT_KEYS.iter().find(|key| record.field(key).is_some()).copied();
    let side = |plain: &str, response: &str| {
        let key = if record.field(response).is_some() { response } else { plain };
        record
            .field(key)
            .ok_or_else(|| Drop::new(DropReason::MissingField, format!("no `{plain}` (or `{response}`)")))
            .and_then(|value| answer(value, &format!("`{key}`")))
    };
    let prompt = match prompt_key {
        Some(key) => text(record, key),
        None => Err(Drop::new(DropReason::MissingField, "no `question`, `input`, `instruction` or `prompt`")),
    };
    let (prompt, chosen, rejected) =
        combine3(prompt, side("chosen", "chosen_response"), side("rejected", "rejected_response"))?;
    let mut candidate = Candidate::new(
        vec![crate::convert::message::Message::new(crate::convert::message::Role::User, prompt)],
        chosen,
        rejected,
    );
    candidate.system = optional_text(record, "system")?;
    if record.field("status").and_then(|status| status.str()).is_some_and(|status| status == "tie") {
        candidate.tie = Some("the labelling marked the pair a tie (`status: tie`)".into());
    }
    Ok(candidate)
}
