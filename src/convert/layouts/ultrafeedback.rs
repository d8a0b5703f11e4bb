//! Raw `UltraFeedback` (openbmb): an `instruction` with four scored `completions`, paired by the
//! pairing policy (best against worst by default) on the chosen score (`fine-grained_score` by
//! default; `overall_score`, or one aspect's `Rating`, on request). Unrated candidates (`N/A`) do
//! not take part.

use super::{Candidate, Context, Drop, DropReason, Value, required, text};
use crate::convert::ScoreKey;
use crate::convert::message::{Message, Role, content_text};
use crate::convert::pairs::Scored;

pub(super) fn matches(record: Value<'_>) -> bool {
    record.get("instruction").is_some()
        && record
            .get("completions")
            .and_then(|completions| completions.elements().next())
            .is_some_and(|first| first.get("response").is_some())
}

fn score(completion: Value<'_>, key: &ScoreKey) -> Option<f64> {
    match key {
        ScoreKey::FineGrained => completion.field("fine-grained_score")?.number(),
        ScoreKey::Overall => completion.field("overall_score")?.number(),
        ScoreKey::Aspect(aspect) => completion.field("annotations")?.field(aspect)?.field("Rating")?.number(),
    }
}

pub(super) fn convert(record: Value<'_>, context: &Context<'_>) -> Result<Vec<Candidate>, Drop> {
    let instruction = text(record, "instruction")?;
    let completions = required(record, "completions")?;
    let mut scored = Vec::new();
    for (index, completion) in completions.elements().enumerate() {
        let Some(response) = completion.field("response") else { continue };
        let response = content_text(response, &format!("`completions[{index}].response`"))?;
        if let Some(score) = score(completion, &context.options.score_key) {
            scored.push(Scored { text: response, score });
        }
    }
    if scored.len() < 2 {
        return Err(Drop::new(
            DropReason::MissingField,
            format!("{} scored completion(s); a pair needs two", scored.len()),
        ));
    }
    Ok(super::scored_candidates(vec![Message::new(Role::User, instruction)], &scored, context))
}
