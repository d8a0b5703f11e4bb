//! The algorithms every adapter shares: the message-level prefix split, the HH transcript parser,
//! the pairing policies for scored candidates, and the final rules that turn a candidate into a
//! target record or a drop (in the precedence order of the drop reasons).

use super::message::{Message, Role};
use super::{ConvertOptions, Drop, DropReason, MultiTurnPolicy, Pairing};
use crate::rules::text::is_blank;

/// What an adapter makes of a record, before the shared rules.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Candidate {
    pub system: Option<String>,
    /// The prompt's turns (user/assistant; a system message only first, moved to `system`).
    pub turns: Vec<Message>,
    pub chosen: Message,
    pub rejected: Message,
    /// `input.tools`, as JSON text (fireworks sources only).
    pub tools: Option<Vec<u8>>,
    /// Set when the candidates' scores do not separate a winner: dropped as `tie` once the
    /// higher-precedence rules have had their say.
    pub tie: Option<String>,
}

impl Candidate {
    pub(crate) fn new(turns: Vec<Message>, chosen: Message, rejected: Message) -> Candidate {
        Candidate { system: None, turns, chosen, rejected, tools: None, tie: None }
    }

    /// Moves a leading system message of `turns` into `system`.
    pub(crate) fn with_leading_system(mut self) -> Candidate {
        if self.turns.first().is_some_and(|turn| turn.role == Role::System) {
            let system = self.turns.remove(0);
            if self.system.is_none() {
                self.system = Some(system.content);
            }
        }
        self
    }
}

/// A record ready to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Output {
    pub system: Option<String>,
    pub turns: Vec<Message>,
    pub chosen: String,
    pub rejected: String,
    pub tools: Option<Vec<u8>>,
    /// The earlier turns were folded into the last user message.
    pub flattened: bool,
}

fn blank(text: &str) -> bool {
    is_blank(text.as_bytes())
}

/// Applies the shared rules, in precedence order: role order, empty prompt, empty answers,
/// identical pair, tie, multi-turn prompt.
pub(crate) fn finish(candidate: Candidate, options: &ConvertOptions) -> Result<Output, Drop> {
    let Candidate { system, mut turns, chosen, rejected, tools, tie } = candidate;
    if turns.iter().any(|turn| turn.role == Role::System) {
        return Err(Drop::new(DropReason::BadRoleOrder, "a system message after the conversation started"));
    }
    if options.merge_consecutive {
        turns = merge_consecutive(turns);
    }
    check_role_order(&turns)?;
    for (side, answer) in [("chosen", &chosen), ("rejected", &rejected)] {
        if answer.role != Role::Assistant {
            return Err(Drop::new(
                DropReason::BadRoleOrder,
                format!("the {side} answer is a {} message, not an assistant one", answer.role.as_str()),
            ));
        }
    }
    if turns.is_empty() || turns.iter().any(|turn| blank(&turn.content)) {
        return Err(Drop::new(DropReason::EmptyPrompt, "the prompt is empty or whitespace-only"));
    }
    for (side, answer) in [("chosen", &chosen), ("rejected", &rejected)] {
        if blank(&answer.content) {
            return Err(Drop::new(
                DropReason::EmptyCompletion,
                format!("the {side} answer is empty or whitespace-only"),
            ));
        }
    }
    if chosen.content == rejected.content {
        return Err(Drop::new(DropReason::IdenticalPair, "the chosen and rejected answers are identical"));
    }
    if let Some(why) = tie {
        return Err(Drop::new(DropReason::Tie, why));
    }
    let system = system.filter(|system| !blank(system));
    let mut flattened = false;
    if turns.len() > 1 {
        match options.multi_turn {
            MultiTurnPolicy::Drop => {
                return Err(Drop::new(
                    DropReason::MultiTurnPrompt,
                    format!(
                        "the prompt has {} turns; the target trains one-turn examples (`--multi-turn flatten` folds them)",
                        turns.len()
                    ),
                ));
            }
            MultiTurnPolicy::Keep => {}
            MultiTurnPolicy::Flatten => {
                turns = vec![Message::new(Role::User, flatten(&turns))];
                flattened = true;
            }
        }
    }
    Ok(Output { system, turns, chosen: chosen.content, rejected: rejected.content, tools, flattened })
}

/// The turns must alternate, start with the user and end with the user.
fn check_role_order(turns: &[Message]) -> Result<(), Drop> {
    if let Some(first) = turns.first().filter(|turn| turn.role != Role::User) {
        return Err(Drop::new(
            DropReason::BadRoleOrder,
            format!("the prompt starts with a {} turn", first.role.as_str()),
        ));
    }
    if let Some(pair) = turns.windows(2).find(|pair| pair[0].role == pair[1].role) {
        return Err(Drop::new(
            DropReason::BadRoleOrder,
            format!("two {} turns in a row (`--merge-consecutive` joins them)", pair[0].role.as_str()),
        ));
    }
    if let Some(last) = turns.last().filter(|turn| turn.role != Role::User) {
        return Err(Drop::new(
            DropReason::BadRoleOrder,
            format!("the prompt ends with a {} turn, not the user's", last.role.as_str()),
        ));
    }
    Ok(())
}

/// Joins runs of same-role turns with a blank line.
fn merge_consecutive(turns: Vec<Message>) -> Vec<Message> {
    let mut merged: Vec<Message> = Vec::with_capacity(turns.len());
    for turn in turns {
        match merged.last_mut() {
            Some(last) if last.role == turn.role => {
                last.content.push_str("\n\n");
                last.content.push_str(&turn.content);
            }
            _ => merged.push(turn),
        }
    }
    merged
}

/// The earlier turns as a labelled transcript, then the final user message.
fn flatten(turns: &[Message]) -> String {
    let mut text = String::new();
    for turn in turns {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(if turn.role == Role::User { "User: " } else { "Assistant: " });
        text.push_str(&turn.content);
    }
    text
}

/// Splits two full conversations at their first differing message: the shared messages are the
/// prompt and each remainder must be exactly one assistant message.
pub(crate) fn split_conversations(
    chosen: Vec<Message>,
    rejected: Vec<Message>,
) -> Result<(Vec<Message>, Message, Message), Drop> {
    let common = chosen.iter().zip(&rejected).take_while(|(a, b)| a == b).count();
    let (chosen_rest, rejected_rest) = (chosen.len() - common, rejected.len() - common);
    let single_answer = |list: &[Message]| list.len() == 1 && list[0].role == Role::Assistant;
    match (chosen_rest, rejected_rest) {
        (0, 0) => Err(Drop::new(DropReason::IdenticalPair, "the two conversations are identical")),
        (0, _) | (_, 0) if single_answer(&chosen[common..]) || single_answer(&rejected[common..]) => {
            Err(Drop::new(DropReason::EmptyCompletion, "one side has no answer after the shared prompt"))
        }
        _ if single_answer(&chosen[common..]) && single_answer(&rejected[common..]) => {
            let mut chosen = chosen;
            let mut rejected = rejected;
            let chosen_answer = chosen.pop().unwrap_or_else(|| Message::new(Role::Assistant, ""));
            let rejected_answer = rejected.pop().unwrap_or_else(|| Message::new(Role::Assistant, ""));
            chosen.truncate(common);
            Ok((chosen, chosen_answer, rejected_answer))
        }
        _ => Err(Drop::new(
            DropReason::MultiTurnCompletion,
            format!(
                "the two conversations diverge at message {common}, before their last assistant turn ({chosen_rest} and {rejected_rest} messages follow)"
            ),
        )),
    }
}

/// Splits two different plain texts at the last whitespace before their first differing
/// character (`--prompt-split char`): the shared part is the prompt, the rests (starting with that
/// whitespace) are the answers. Never splits a word ("The sky is b" + "lue").
pub(crate) fn split_text(chosen: &str, rejected: &str) -> (String, String, String) {
    let mut common = chosen.bytes().zip(rejected.bytes()).take_while(|(a, b)| a == b).count();
    while !chosen.is_char_boundary(common) {
        common -= 1;
    }
    let boundary = chosen[..common].rfind(char::is_whitespace).unwrap_or(0);
    (chosen[..boundary].to_string(), chosen[boundary..].to_string(), rejected[boundary..].to_string())
}

const HUMAN: &str = "\n\nHuman:";
const ASSISTANT: &str = "\n\nAssistant:";

/// Parses an Anthropic HH pair (`"\n\nHuman: ...\n\nAssistant: ..."` transcripts): the shared
/// prefix up to the last `\n\nAssistant:` is the prompt, what follows each is an answer (less one
/// leading space). Answers that hold another turn mean the two sides diverged earlier.
pub(crate) fn parse_hh(chosen: &str, rejected: &str) -> Result<(Vec<Message>, String, String), Drop> {
    let chosen = normalise_hh(chosen);
    let rejected = normalise_hh(rejected);
    let mut common = chosen.bytes().zip(rejected.bytes()).take_while(|(a, b)| a == b).count();
    while !chosen.is_char_boundary(common) {
        common -= 1;
    }
    let Some(marker) = chosen[..common].rfind(ASSISTANT) else {
        return Err(Drop::new(DropReason::MissingField, "no `\\n\\nAssistant:` turn shared by both transcripts"));
    };
    let tail = |text: &str| {
        let answer = &text[marker + ASSISTANT.len()..];
        answer.strip_prefix(' ').unwrap_or(answer).to_string()
    };
    let (chosen_answer, rejected_answer) = (tail(&chosen), tail(&rejected));
    if [&chosen_answer, &rejected_answer].iter().any(|answer| answer.contains(HUMAN) || answer.contains(ASSISTANT)) {
        return Err(Drop::new(
            DropReason::MultiTurnCompletion,
            "the transcripts diverge before their last assistant turn (an answer holds another turn)",
        ));
    }
    let turns = hh_turns(&chosen[..marker])?;
    Ok((turns, chosen_answer, rejected_answer))
}

/// A transcript that starts with `Human:` (no blank line) gets the blank line the markers have.
fn normalise_hh(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with("Human:") { format!("\n\n{text}").into() } else { text.into() }
}

/// Whether a text is an HH transcript.
pub(crate) fn is_hh(text: &str) -> bool {
    (text.contains(HUMAN) || text.starts_with("Human:")) && text.contains(ASSISTANT)
}

/// Splits an HH prompt on `\n\n(Human|Assistant): ?` into trimmed turns.
pub(crate) fn hh_turns(prompt: &str) -> Result<Vec<Message>, Drop> {
    let prompt = normalise_hh(prompt);
    let mut turns = Vec::new();
    let mut rest: &str = &prompt;
    let preamble_end = next_marker(rest).map_or(rest.len(), |(at, _, _)| at);
    if !blank(&rest[..preamble_end]) {
        return Err(Drop::new(DropReason::BadRoleOrder, "text before the first `Human:` turn"));
    }
    rest = &rest[preamble_end..];
    while let Some((at, role, len)) = next_marker(rest) {
        debug_assert_eq!(at, 0);
        let body = &rest[len..];
        let body = body.strip_prefix(' ').unwrap_or(body);
        let end = next_marker(body).map_or(body.len(), |(next, _, _)| next);
        turns.push(Message::new(role, body[..end].trim()));
        rest = &body[end..];
    }
    Ok(turns)
}

/// The first `\n\nHuman:` or `\n\nAssistant:` in `text`: where, which role, and its length.
fn next_marker(text: &str) -> Option<(usize, Role, usize)> {
    let human = text.find(HUMAN).map(|at| (at, Role::User, HUMAN.len()));
    let assistant = text.find(ASSISTANT).map(|at| (at, Role::Assistant, ASSISTANT.len()));
    match (human, assistant) {
        (Some(h), Some(a)) => Some(if h.0 < a.0 { h } else { a }),
        (h, a) => h.or(a),
    }
}

/// A scored candidate answer.
#[derive(Clone, Debug)]
pub(crate) struct Scored {
    pub text: String,
    pub score: f64,
}

/// Picks (chosen, rejected) pairs from scored candidates (higher is better); `Err` with the tie
/// explanation when no pair separates by more than the margin.
pub(crate) fn pair_scored(
    candidates: &[Scored],
    pairing: Pairing,
    min_margin: f64,
    record_number: u64,
) -> Result<Vec<(usize, usize)>, String> {
    if candidates.len() < 2 {
        return Err(format!("only {} scored candidate(s)", candidates.len()));
    }
    let separates = |better: usize, worse: usize| {
        let margin = candidates[better].score - candidates[worse].score;
        margin > 0.0 && margin >= min_margin
    };
    // The first best and the last worst, so that equal scores keep source order.
    let best =
        (0..candidates.len()).fold(0, |best, i| if candidates[i].score > candidates[best].score { i } else { best });
    let worst = (0..candidates.len())
        .fold(0, |worst, i| if candidates[i].score <= candidates[worst].score { i } else { worst });
    let tie = || {
        format!(
            "the scores do not separate a better answer (best {}, worst {}, margin needed {min_margin})",
            candidates[best].score, candidates[worst].score
        )
    };
    match pairing {
        Pairing::BestVsWorst => {
            if separates(best, worst) {
                Ok(vec![(best, worst)])
            } else {
                Err(tie())
            }
        }
        Pairing::BestVsRandom { seed } => {
            let lower: Vec<usize> = (0..candidates.len()).filter(|&i| separates(best, i)).collect();
            if lower.is_empty() {
                return Err(tie());
            }
            // splitmix64 of the seed and the record number: the same choice on every run.
            let mut z = seed.wrapping_add(record_number.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            Ok(vec![(best, lower[(z % lower.len() as u64) as usize])])
        }
        Pairing::AllPairs => {
            let pairs: Vec<(usize, usize)> = (0..candidates.len())
                .flat_map(|i| (0..candidates.len()).map(move |j| (i, j)))
                .filter(|&(i, j)| i != j && separates(i, j))
                .collect();
            if pairs.is_empty() { Err(tie()) } else { Ok(pairs) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Message {
        Message::new(Role::User, text)
    }

    fn assistant(text: &str) -> Message {
        Message::new(Role::Assistant, text)
    }

    #[test]
    fn conversations_split_at_the_last_turn_only() {
        let (prompt, a, b) =
            split_conversations(vec![user("Q"), assistant("A")], vec![user("Q"), assistant("B")]).unwrap();
        assert_eq!((prompt, a.content, b.content), (vec![user("Q")], "A".into(), "B".into()));
        let early = split_conversations(
            vec![user("Q"), assistant("A"), user("Q2"), assistant("A2")],
            vec![user("Q"), assistant("B"), user("Q2"), assistant("B2")],
        );
        assert_eq!(early.unwrap_err().reason, DropReason::MultiTurnCompletion);
        let same = split_conversations(vec![user("Q"), assistant("A")], vec![user("Q"), assistant("A")]);
        assert_eq!(same.unwrap_err().reason, DropReason::IdenticalPair);
        let prefix = split_conversations(vec![user("Q"), assistant("A")], vec![user("Q")]);
        assert_eq!(prefix.unwrap_err().reason, DropReason::EmptyCompletion);
        let longer = split_conversations(
            vec![user("Q"), assistant("A")],
            vec![user("Q"), assistant("A"), user("Q2"), assistant("B")],
        );
        assert_eq!(longer.unwrap_err().reason, DropReason::MultiTurnCompletion);
    }

    #[test]
    fn hh_pairs_parse_and_early_divergence_is_caught() {
        let (turns, a, b) = parse_hh(
            "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Capital of France?\n\nAssistant: Paris.",
            "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Capital of France?\n\nAssistant:  Lyon.",
        )
        .unwrap();
        assert_eq!(turns, vec![user("Hi"), assistant("Hello!"), user("Capital of France?")]);
        assert_eq!((a.as_str(), b.as_str()), ("Paris.", " Lyon."));
        let early = parse_hh(
            "\n\nHuman: Q\n\nAssistant: A\n\nHuman: Q2\n\nAssistant: A2",
            "\n\nHuman: Q\n\nAssistant: B\n\nHuman: Q2\n\nAssistant: B2",
        );
        assert_eq!(early.unwrap_err().reason, DropReason::MultiTurnCompletion);
        let (turns, a, _) =
            parse_hh("Human: Q\n\nAssistant: Sure.\nHuman: not a turn", "Human: Q\n\nAssistant: No.").unwrap();
        assert_eq!(turns, vec![user("Q")]);
        assert_eq!(a, "Sure.\nHuman: not a turn");
        assert!(parse_hh("no markers", "none here").is_err());
    }

    #[test]
    fn text_splits_at_word_boundaries() {
        let (prompt, a, b) = split_text("The sky is blue", "The sky is bright");
        assert_eq!((prompt.as_str(), a.as_str(), b.as_str()), ("The sky is", " blue", " bright"));
        let (prompt, a, b) = split_text("Yes", "No");
        assert_eq!((prompt.as_str(), a.as_str(), b.as_str()), ("", "Yes", "No"));
    }

    #[test]
    fn scored_pairs_never_tie() {
        let scored =
            |scores: &[f64]| scores.iter().map(|&score| Scored { text: score.to_string(), score }).collect::<Vec<_>>();
        assert_eq!(pair_scored(&scored(&[3.0, 9.0, 1.0, 9.0]), Pairing::BestVsWorst, 0.0, 0), Ok(vec![(1, 2)]));
        assert!(pair_scored(&scored(&[5.0, 5.0]), Pairing::BestVsWorst, 0.0, 0).is_err());
        assert!(pair_scored(&scored(&[5.0, 4.5]), Pairing::BestVsWorst, 1.0, 0).is_err());
        assert_eq!(pair_scored(&scored(&[1.0, 2.0, 2.0]), Pairing::AllPairs, 0.0, 0).unwrap().len(), 2);
        let random = pair_scored(&scored(&[9.0, 1.0, 2.0, 3.0]), Pairing::BestVsRandom { seed: 7 }, 0.0, 42).unwrap();
        assert_eq!(
            random,
            pair_scored(&scored(&[9.0, 1.0, 2.0, 3.0]), Pairing::BestVsRandom { seed: 7 }, 0.0, 42).unwrap()
        );
        assert_eq!(random[0].0, 0);
    }
}
