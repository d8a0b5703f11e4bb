//! PKU-SafeRLHF: a `prompt` and two responses; `safer_response_id` (default) or
//! `better_response_id` (`--axis better`) names the preferred one.

use super::{Candidate, Context, Drop, DropReason, Value, required, text};
use crate::convert::PkuAxis;
use crate::convert::message::{Message, Role};

pub(super) fn matches(record: Value<'_>) -> bool {
    record.get("response_0").is_some()
        && record.get("response_1").is_some()
        && (record.get("better_response_id").is_some() || record.get("safer_response_id").is_some())
}

pub(super) fn convert(record: Value<'_>, context: &Context<'_>) -> Result<Candidate, Drop> {
    let (prompt, first, second) = (text(record, "prompt")?, text(record, "response_0")?, text(record, "response_1")?);
    let key = match context.options.pku_axis {
        PkuAxis::Safer => "safer_response_id",
        PkuAxis::Better => "better_response_id",
    };
    let (chosen, rejected) = match required(record, key)?.integer() {
        Some(0) => (first, second),
        Some(1) => (second, first),
        _ => return Err(Drop::new(DropReason::MissingField, format!("`{key}` is not 0 or 1"))),
    };
    Ok(Candidate::new(
        vec![Message::new(Role::User, prompt)],
        Message::new(Role::Assistant, chosen),
        Message::new(Role::Assistant, rejected),
    ))
}
