//! LLaMA-Factory Alpaca ranking: `instruction` (+ optional `input`, joined by a newline), `chosen`/
//! `rejected` strings (or a legacy `output` list, best first), optional `system` and `history`
//! (`[[question, answer], ...]` before the instruction).

use super::{Candidate, Drop, DropReason, Value, answer, combine2, optional_text, required, text};
use crate::convert::message::{Message, Role, content_text};
use crate::rules::text::is_blank;

pub(super) fn matches(record: Value<'_>) -> bool {
    let strings = record.get("chosen").is_some_and(|value| value.is_string())
        && record.get("rejected").is_some_and(|value| value.is_string());
    let legacy = record.get("output").is_some_and(|output| output.is_array() && output.len() >= 2);
    record.get("instruction").is_some() && (strings || legacy)
}

pub(super) fn convert(record: Value<'_>) -> Result<Candidate, Drop> {
    let instruction = text(record, "instruction")?;
    let (chosen, rejected) = match record.field("output").filter(super::super::value::Value::is_array) {
        Some(output) if record.get("chosen").is_none() => {
            let mut answers = output.elements();
            let (best, second) = (answers.next(), answers.next());
            let (Some(best), Some(second)) = (best, second) else {
                return Err(Drop::new(DropReason::MissingField, "`output` needs at least two answers"));
            };
            combine2(answer(best, "`output[0]`"), answer(second, "`output[1]`"))?
        }
        _ => combine2(
            required(record, "chosen").and_then(|value| answer(value, "`chosen`")),
            required(record, "rejected").and_then(|value| answer(value, "`rejected`")),
        )?,
    };
    let mut user = instruction;
    if let Some(input) = optional_text(record, "input")?.filter(|input| !is_blank(input.as_bytes())) {
        user.push('\n');
        user.push_str(&input);
    }
    let mut turns = Vec::new();
    if let Some(history) = record.field("history") {
        for (index, exchange) in history.elements().enumerate() {
            let mut parts = exchange.elements();
            let (Some(question), Some(reply)) = (parts.next(), parts.next()) else {
                return Err(Drop::new(
                    DropReason::MissingField,
                    format!("`history[{index}]` is not a [question, answer] pair"),
                ));
            };
            turns.push(Message::new(Role::User, content_text(question, "a history question")?));
            turns.push(Message::new(Role::Assistant, content_text(reply, "a history answer")?));
        }
    }
    turns.push(Message::new(Role::User, user));
    let mut candidate = Candidate::new(turns, chosen, rejected);
    candidate.system = optional_text(record, "system")?;
    Ok(candidate)
}
