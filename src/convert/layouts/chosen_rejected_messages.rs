//! `{"chosen": {"messages": [...]}, "rejected": {"messages": [...]}}`: two full conversations,
//! split at their first difference.

use super::{Candidate, Drop, Value, combine2, messages, required};
use crate::convert::pairs::split_conversations;

pub(super) fn matches(record: Value<'_>) -> bool {
    let nested = |key| record.get(key).and_then(|side| side.get("messages")).is_some();
    nested("chosen") && nested("rejected")
}

pub(super) fn convert(record: Value<'_>) -> Result<Candidate, Drop> {
    let side = |key: &str| {
        required(record, key)
            .and_then(|side| required(side, "messages"))
            .and_then(|list| messages(list, &format!("`{key}.messages`")))
    };
    let (chosen, rejected) = combine2(side("chosen"), side("rejected"))?;
    let (turns, chosen, rejected) = split_conversations(chosen, rejected)?;
    Ok(Candidate::new(turns, chosen, rejected).with_leading_system())
}
