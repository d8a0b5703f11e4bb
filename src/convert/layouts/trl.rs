//! Hugging Face TRL: explicit prompts (string or messages) with string or message answers; implicit
//! prompts (full `chosen`/`rejected` conversations split at their first difference); the
//! UltraFeedback-binarized mix (a string `prompt` beside full conversations, which wins); HH-style
//! string prompts (`...\n\nAssistant:`) with their answers.

use super::{
    Candidate, Context, Drop, DropReason, Value, answer, combine2, combine3, content_text, messages, prompt_turns,
    required,
};
use crate::convert::PromptSplit;
use crate::convert::message::{Message, Role, is_message_list};
use crate::convert::pairs::{hh_turns, is_hh, parse_hh, split_conversations, split_text};

pub(super) fn matches(record: Value<'_>) -> bool {
    record.get("chosen").is_some() && record.get("rejected").is_some()
}

pub(super) fn convert(record: Value<'_>, context: &Context<'_>) -> Result<Candidate, Drop> {
    let (chosen, rejected) = (required(record, "chosen")?, required(record, "rejected")?);
    let prompt = record.field("prompt");
    if is_message_list(chosen) && is_message_list(rejected) {
        if let Some(prompt) = prompt.filter(|prompt| is_message_list(*prompt)) {
            // Explicit conversational: each answer list must be exactly one assistant message.
            let (turns, chosen, rejected) =
                combine3(messages(prompt, "`prompt`"), single(chosen, "`chosen`"), single(rejected, "`rejected`"))?;
            return Ok(Candidate::new(turns, chosen, rejected).with_leading_system());
        }
        // Implicit (a string prompt beside full conversations is redundant: the lists win).
        let (chosen, rejected) = combine2(messages(chosen, "`chosen`"), messages(rejected, "`rejected`"))?;
        let (turns, chosen, rejected) = split_conversations(chosen, rejected)?;
        return Ok(Candidate::new(turns, chosen, rejected).with_leading_system());
    }
    match prompt {
        Some(prompt) if prompt.is_string() => {
            let prompt_text = content_text(prompt, "`prompt`")?;
            if is_hh(&prompt_text) {
                return hh_split(&prompt_text, chosen, rejected);
            }
            let (chosen, rejected) = combine2(answer(chosen, "`chosen`"), answer(rejected, "`rejected`"))?;
            Ok(Candidate::new(vec![Message::new(Role::User, prompt_text)], chosen, rejected))
        }
        Some(prompt) => {
            let (turns, chosen, rejected) =
                combine3(prompt_turns(prompt, "`prompt`"), answer(chosen, "`chosen`"), answer(rejected, "`rejected`"))?;
            Ok(Candidate::new(turns, chosen, rejected).with_leading_system())
        }
        None => implicit_strings(chosen, rejected, context),
    }
}

/// An answer list that must hold exactly one message.
fn single(list: Value<'_>, what: &str) -> Result<Message, Drop> {
    let mut answers = messages(list, what)?;
    if answers.len() != 1 {
        return Err(Drop::new(
            DropReason::MultiTurnCompletion,
            format!("{what} holds {} messages; an answer is exactly one assistant message", answers.len()),
        ));
    }
    Ok(answers.remove(0))
}

/// A prompt in HH form (Dahoas, OASST pairwise): its turns, then the answers less one leading space.
fn hh_split(prompt: &str, chosen: Value<'_>, rejected: Value<'_>) -> Result<Candidate, Drop> {
    let (chosen, rejected) = combine2(answer(chosen, "`chosen`"), answer(rejected, "`rejected`"))?;
    let mut turns = hh_turns(prompt)?;
    // The prompt ends with the `\n\nAssistant:` the answers continue.
    if turns.last().is_some_and(|turn| turn.role == Role::Assistant && turn.content.is_empty()) {
        turns.pop();
    }
    let strip = |mut message: Message| {
        if message.content.starts_with(' ') {
            message.content.remove(0);
        }
        message
    };
    Ok(Candidate::new(turns, strip(chosen), strip(rejected)))
}

/// `chosen`/`rejected` strings without a prompt: HH transcripts, or (only when asked) a split at
/// the shared prefix; otherwise there is no prompt to train on.
fn implicit_strings(chosen: Value<'_>, rejected: Value<'_>, context: &Context<'_>) -> Result<Candidate, Drop> {
    let (chosen, rejected) = combine2(content_text(chosen, "`chosen`"), content_text(rejected, "`rejected`"))?;
    if is_hh(&chosen) && is_hh(&rejected) {
        let (turns, chosen, rejected) = parse_hh(&chosen, &rejected)?;
        return Ok(Candidate::new(
            turns,
            Message::new(Role::Assistant, chosen),
            Message::new(Role::Assistant, rejected),
        ));
    }
    if chosen == rejected {
        return Err(Drop::new(DropReason::IdenticalPair, "the chosen and rejected texts are identical"));
    }
    if context.options.prompt_split != PromptSplit::Char {
        return Err(Drop::new(
            DropReason::EmptyPrompt,
            "plain `chosen`/`rejected` texts with no prompt: dpolint does not guess a prompt from their shared beginning (`--prompt-split char` does)",
        ));
    }
    let (prompt, chosen, rejected) = split_text(&chosen, &rejected);
    Ok(Candidate::new(
        vec![Message::new(Role::User, prompt)],
        Message::new(Role::Assistant, chosen),
        Message::new(Role::Assistant, rejected),
    ))
}
