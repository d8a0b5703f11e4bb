//! `StackExchange` paired (lvwerra): a `question`, `response_j` (preferred) and `response_k`.

use super::{Candidate, Drop, Value, text};
use crate::convert::message::{Message, Role};

pub(super) fn matches(record: Value<'_>) -> bool {
    record.get("response_j").is_some() && record.get("response_k").is_some()
}

pub(super) fn convert(record: Value<'_>) -> Result<Candidate, Drop> {
    let (question, chosen, rejected) =
        (text(record, "question")?, text(record, "response_j")?, text(record, "response_k")?);
    Ok(Candidate::new(
        vec![Message::new(Role::User, question)],
        Message::new(Role::Assistant, chosen),
        Message::new(Role::Assistant, rejected),
    ))
}
