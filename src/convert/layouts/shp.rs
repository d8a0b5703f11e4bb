//! Stanford SHP: a Reddit `history` and two replies; `labels` 1 means A is preferred.

use super::{Candidate, Drop, DropReason, Value, required, text};
use crate::convert::message::{Message, Role};

pub(super) fn matches(record: Value<'_>) -> bool {
    record.get("human_ref_A").is_some() && record.get("human_ref_B").is_some() && record.get("labels").is_some()
}

pub(super) fn convert(record: Value<'_>) -> Result<Candidate, Drop> {
    let (history, a, b) = (text(record, "history")?, text(record, "human_ref_A")?, text(record, "human_ref_B")?);
    let a_preferred = match required(record, "labels")?.integer() {
        Some(1) => true,
        Some(0) => false,
        _ => return Err(Drop::new(DropReason::MissingField, "`labels` is not 0 or 1")),
    };
    let (chosen, rejected) = if a_preferred { (a, b) } else { (b, a) };
    Ok(Candidate::new(
        vec![Message::new(Role::User, history)],
        Message::new(Role::Assistant, chosen),
        Message::new(Role::Assistant, rejected),
    ))
}
