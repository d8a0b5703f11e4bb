//! Any layout through `--map prompt=FIELD,chosen=FIELD,rejected=FIELD[,system=FIELD]`; a field
//! may be a dotted path into nested objects. The prompt may be a string or a message list; the
//! answers a string, a message, or a message list whose last message is the answer.

use super::{Candidate, Context, Drop, DropReason, Value, answer, combine3, prompt_turns};
use crate::convert::message::content_text;

/// The value at a dotted path.
fn at<'a>(record: Value<'a>, path: &str) -> Option<Value<'a>> {
    path.split('.').try_fold(record, |value, key| value.field(key))
}

pub(super) fn convert(record: Value<'_>, context: &Context<'_>) -> Result<Candidate, Drop> {
    let Some(map) = &context.options.map else {
        return Err(Drop::new(
            DropReason::MissingField,
            "the `mapped` layout needs `--map prompt=...,chosen=...,rejected=...`",
        ));
    };
    let field =
        |path: &str| at(record, path).ok_or_else(|| Drop::new(DropReason::MissingField, format!("no `{path}`")));
    let (turns, chosen, rejected) = combine3(
        field(&map.prompt).and_then(|value| prompt_turns(value, &format!("`{}`", map.prompt))),
        field(&map.chosen).and_then(|value| answer(value, &format!("`{}`", map.chosen))),
        field(&map.rejected).and_then(|value| answer(value, &format!("`{}`", map.rejected))),
    )?;
    let mut candidate = Candidate::new(turns, chosen, rejected).with_leading_system();
    if let Some(system) = &map.system {
        candidate.system = at(record, system).map(|value| content_text(value, &format!("`{system}`"))).transpose()?;
    }
    Ok(candidate)
}
