//! `messages` (the prompt, ending with the user) + `chosen`/`rejected` as a message object, a
//! string, or a message list whose last message is the answer (axolotl `chat_template.default`,
//! LLaMA-Factory OpenAI-style ranking).

use super::{Candidate, Drop, Value, answer, combine3, messages, required};
use crate::convert::message::is_message_list;

pub(super) fn matches(record: Value<'_>) -> bool {
    record.get("messages").is_some_and(is_message_list)
        && record.get("chosen").is_some()
        && record.get("rejected").is_some()
        && record.get("prompt").is_none()
}

pub(super) fn convert(record: Value<'_>) -> Result<Candidate, Drop> {
    let (turns, chosen, rejected) = combine3(
        required(record, "messages").and_then(|list| messages(list, "`messages`")),
        required(record, "chosen").and_then(|value| answer(value, "`chosen`")),
        required(record, "rejected").and_then(|value| answer(value, "`rejected`")),
    )?;
    Ok(Candidate::new(turns, chosen, rejected).with_leading_system())
}
