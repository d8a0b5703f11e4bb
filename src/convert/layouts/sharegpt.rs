//! LLaMA-Factory `ShareGPT` ranking: `conversations` (`from`/`value`, ending with the human turn),
//! `chosen`/`rejected` message objects, an optional `system` field.

use super::{Candidate, Drop, Value, message, messages, optional_text, required};
use crate::convert::message::{is_message, is_message_list};

pub(super) fn matches(record: Value<'_>) -> bool {
    record.get("conversations").is_some_and(is_message_list)
        && record.get("chosen").is_some_and(is_message)
        && record.get("rejected").is_some_and(is_message)
}

pub(super) fn convert(record: Value<'_>) -> Result<Candidate, Drop> {
    let turns = messages(required(record, "conversations")?, "`conversations`");
    let chosen = required(record, "chosen").and_then(|value| message(value, "`chosen`"));
    let rejected = required(record, "rejected").and_then(|value| message(value, "`rejected`"));
    let system = optional_text(record, "system");
    let (turns, chosen, rejected, system) = super::combine4(turns, chosen, rejected, system)?;
    let mut candidate = Candidate::new(turns, chosen, rejected);
    candidate.system = system.filter(|system| !system.is_empty());
    Ok(candidate.with_leading_system())
}
