//! Nectar: an HH-form `prompt` and seven ranked `answers` (rank 1 is the best: unlike axolotl's
//! `zephyr.nectar`, the best answer is the chosen one), paired by the pairing policy.

use super::{Candidate, Context, Drop, DropReason, Value, required, text};
use crate::convert::message::{Role, content_text};
use crate::convert::pairs::{Scored, hh_turns, is_hh};

pub(super) fn matches(record: Value<'_>) -> bool {
    record
        .get("answers")
        .and_then(|answers| answers.elements().next())
        .is_some_and(|first| first.get("answer").is_some() && first.get("rank").is_some())
}

pub(super) fn convert(record: Value<'_>, context: &Context<'_>) -> Result<Vec<Candidate>, Drop> {
    let prompt = text(record, "prompt")?;
    let answers = required(record, "answers")?;
    let mut scored = Vec::new();
    for (index, answer) in answers.elements().enumerate() {
        let (Some(text), Some(rank)) = (answer.field("answer"), answer.field("rank").and_then(|rank| rank.number()))
        else {
            continue;
        };
        // A lower rank is better: score by its negation.
        scored.push(Scored { text: content_text(text, &format!("`answers[{index}].answer`"))?, score: -rank });
    }
    if scored.len() < 2 {
        return Err(Drop::new(
            DropReason::MissingField,
            format!("{} ranked answer(s); a pair needs two", scored.len()),
        ));
    }
    let mut turns = if is_hh(&prompt) || prompt.starts_with("\n\nHuman:") || prompt.starts_with("Human:") {
        hh_turns(&prompt)?
    } else {
        vec![crate::convert::message::Message::new(Role::User, prompt)]
    };
    // The prompt ends with the `\n\nAssistant:` the answers continue.
    if turns.last().is_some_and(|turn| turn.role == Role::Assistant && turn.content.is_empty()) {
        turns.pop();
    }
    Ok(super::scored_candidates(turns, &scored, context))
}
