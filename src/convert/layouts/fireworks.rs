//! The target layout itself (also `OpenAI`'s; Azure's multi-message outputs; the Simplismart
//! `messages` + `rejected_response` variant): normalised, tools kept.

use super::{Candidate, Drop, DropReason, Value, combine3, content_text, message, messages, required};
use crate::convert::message::{Message, Role, is_message_list};

pub(super) fn matches(record: Value<'_>) -> bool {
    let target = record.get("input").is_some_and(|input| input.get("messages").is_some())
        && record.get("preferred_output").is_some()
        && record.get("non_preferred_output").is_some();
    let simplismart = record.get("messages").is_some_and(is_message_list) && record.get("rejected_response").is_some();
    target || simplismart
}

/// The one message of an output array.
fn output(value: Value<'_>, key: &str) -> Result<Message, Drop> {
    if !value.is_array() {
        return message(value, &format!("`{key}`"));
    }
    match value.len() {
        0 => Err(Drop::new(DropReason::EmptyCompletion, format!("`{key}` holds no message"))),
        1 => value.elements().next().map_or_else(
            || Err(Drop::new(DropReason::EmptyCompletion, format!("`{key}` holds no message"))),
            |element| message(element, &format!("`{key}[0]`")),
        ),
        count => Err(Drop::new(
            DropReason::MultiTurnCompletion,
            format!("`{key}` holds {count} messages (Azure style); the target takes exactly one assistant message"),
        )),
    }
}

pub(super) fn convert(record: Value<'_>) -> Result<Candidate, Drop> {
    if record.get("input").is_none() && record.get("rejected_response").is_some() {
        // Simplismart: the conversation ends with the preferred answer.
        let mut turns = messages(required(record, "messages")?, "`messages`")?;
        let rejected = content_text(required(record, "rejected_response")?, "`rejected_response`")?;
        let chosen = turns.pop().ok_or_else(|| Drop::new(DropReason::MissingField, "`messages` is empty"))?;
        return Ok(Candidate::new(turns, chosen, Message::new(Role::Assistant, rejected)).with_leading_system());
    }
    let input = required(record, "input")?;
    let (preferred, non_preferred) = (required(record, "preferred_output")?, required(record, "non_preferred_output")?);
    let (turns, chosen, rejected) = combine3(
        required(input, "messages").and_then(|list| messages(list, "`input.messages`")),
        output(preferred, "preferred_output"),
        output(non_preferred, "non_preferred_output"),
    )?;
    let mut candidate = Candidate::new(turns, chosen, rejected).with_leading_system();
    candidate.tools =
        input.field("tools").filter(super::super::value::Value::is_array).map(|tools| tools.raw().to_vec());
    Ok(candidate)
}
