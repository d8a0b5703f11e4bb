//! Anthropic HH-RLHF: two full transcripts with `\n\nHuman:`/`\n\nAssistant:` markers.

use super::{Candidate, Drop, Value, text};
use crate::convert::message::{Message, Role};
use crate::convert::pairs::{is_hh, parse_hh};

pub(super) fn matches(record: Value<'_>) -> bool {
    let transcript = |key| record.get(key).and_then(|value| value.str()).is_some_and(|text| is_hh(&text));
    transcript("chosen") && transcript("rejected") && record.get("prompt").is_none()
}

pub(super) fn convert(record: Value<'_>) -> Result<Candidate, Drop> {
    let (chosen, rejected) = (text(record, "chosen")?, text(record, "rejected")?);
    let (turns, chosen, rejected) = parse_hh(&chosen, &rejected)?;
    Ok(Candidate::new(turns, Message::new(Role::Assistant, chosen), Message::new(Role::Assistant, rejected)))
}
