//! The source layouts: how each is recognised and how a record of it becomes a candidate pair.
//! One file per layout; the helpers here are what several share.

mod alpaca;
mod chosen_rejected_messages;
mod fireworks;
mod hh;
mod mapped;
mod messages_pair;
mod nectar;
mod orca;
mod pku;
mod sharegpt;
mod shp;
mod stack_exchange;
mod trl;
mod ultrafeedback;

use std::fmt;
use std::str::FromStr;

use super::message::{Message, Role, content_text, is_message, message, messages};
use super::pairs::Candidate;
use super::value::Value;
use super::{ConvertOptions, Drop, DropReason};

/// A source layout (`--from NAME`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// The target layout itself (also `OpenAI`'s and Azure's), normalised.
    Fireworks,
    /// Hugging Face TRL: `prompt`/`chosen`/`rejected` as strings or message lists, or
    /// `chosen`/`rejected` full conversations.
    Trl,
    /// Anthropic HH-RLHF: `chosen`/`rejected` transcripts with `Human:`/`Assistant:` markers.
    Hh,
    /// LLaMA-Factory `ShareGPT` ranking: `conversations` + `chosen`/`rejected` message objects.
    ShareGpt,
    /// LLaMA-Factory Alpaca ranking: `instruction` (+ `input`, `history`, `system`) +
    /// `chosen`/`rejected`, or a legacy `output` list.
    Alpaca,
    /// `messages` (the prompt) + `chosen`/`rejected` as message, string or message list.
    MessagesPair,
    /// `{"chosen": {"messages": [...]}, "rejected": {"messages": [...]}}`.
    ChosenRejectedMessages,
    /// Orca/distilabel/Argilla pairs: `system`, `question`/`input`/`instruction`, `chosen`/`rejected`
    /// (or `chosen_response`/`rejected_response`) strings.
    Orca,
    /// Raw `UltraFeedback`: `instruction` + scored `completions`.
    UltraFeedback,
    /// Nectar: an HH `prompt` + ranked `answers`.
    Nectar,
    /// Stanford SHP: `history`, `human_ref_A`, `human_ref_B`, `labels`.
    Shp,
    /// PKU-SafeRLHF: `prompt`, `response_0`, `response_1`, `safer_response_id`/`better_response_id`.
    Pku,
    /// `StackExchange` paired: `question`, `response_j` (preferred), `response_k`.
    StackExchange,
    /// Any layout, through an explicit `--map`.
    Mapped,
}

impl Layout {
    /// Every layout, in the order detection tries them (most specific first; `mapped` never).
    pub const DETECTION_ORDER: [Layout; 13] = [
        Layout::Fireworks,
        Layout::Shp,
        Layout::Pku,
        Layout::Nectar,
        Layout::UltraFeedback,
        Layout::StackExchange,
        Layout::ShareGpt,
        Layout::ChosenRejectedMessages,
        Layout::MessagesPair,
        Layout::Alpaca,
        Layout::Orca,
        Layout::Hh,
        Layout::Trl,
    ];

    /// The name used by `--from` and in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Layout::Fireworks => "fireworks",
            Layout::Trl => "trl",
            Layout::Hh => "hh",
            Layout::ShareGpt => "sharegpt",
            Layout::Alpaca => "alpaca",
            Layout::MessagesPair => "messages-pair",
            Layout::ChosenRejectedMessages => "chosen-rejected-messages",
            Layout::Orca => "orca",
            Layout::UltraFeedback => "ultrafeedback",
            Layout::Nectar => "nectar",
            Layout::Shp => "shp",
            Layout::Pku => "pku",
            Layout::StackExchange => "stack-exchange",
            Layout::Mapped => "mapped",
        }
    }

    /// Whether a record has this layout's signature (the keys detection looks for).
    pub(crate) fn matches(self, record: Value<'_>) -> bool {
        match self {
            Layout::Fireworks => fireworks::matches(record),
            Layout::Trl => trl::matches(record),
            Layout::Hh => hh::matches(record),
            Layout::ShareGpt => sharegpt::matches(record),
            Layout::Alpaca => alpaca::matches(record),
            Layout::MessagesPair => messages_pair::matches(record),
            Layout::ChosenRejectedMessages => chosen_rejected_messages::matches(record),
            Layout::Orca => orca::matches(record),
            Layout::UltraFeedback => ultrafeedback::matches(record),
            Layout::Nectar => nectar::matches(record),
            Layout::Shp => shp::matches(record),
            Layout::Pku => pku::matches(record),
            Layout::StackExchange => stack_exchange::matches(record),
            Layout::Mapped => false,
        }
    }

    /// The keys the signature rests on, for explaining a detection.
    pub(crate) fn signature(self) -> &'static str {
        match self {
            Layout::Fireworks => "`input.messages`, `preferred_output` and `non_preferred_output`",
            Layout::Trl => "`prompt`/`chosen`/`rejected` (or `chosen`/`rejected` alone)",
            Layout::Hh => "`chosen`/`rejected` transcripts with `Human:`/`Assistant:` markers",
            Layout::ShareGpt => "`conversations` with `chosen`/`rejected` message objects",
            Layout::Alpaca => "`instruction` with `chosen`/`rejected` strings (or an `output` list)",
            Layout::MessagesPair => "`messages` with `chosen`/`rejected` and no `prompt`",
            Layout::ChosenRejectedMessages => "`chosen.messages` and `rejected.messages`",
            Layout::Orca => "`question`/`input` (or `chosen_response`/`rejected_response`) with string answers",
            Layout::UltraFeedback => "`instruction` with scored `completions`",
            Layout::Nectar => "`answers` with `answer` and `rank`",
            Layout::Shp => "`human_ref_A`, `human_ref_B` and `labels`",
            Layout::Pku => "`response_0`, `response_1` and `safer_response_id`/`better_response_id`",
            Layout::StackExchange => "`response_j` and `response_k`",
            Layout::Mapped => "the `--map` fields",
        }
    }

    /// The top-level keys the adapter reads; any other key of a record is reported as discarded.
    pub(crate) fn used_keys(self, options: &ConvertOptions) -> Vec<String> {
        let keys: &[&str] = match self {
            Layout::Fireworks => {
                &["input", "preferred_output", "non_preferred_output", "messages", "rejected_response"]
            }
            Layout::Trl => &["prompt", "chosen", "rejected"],
            Layout::Hh | Layout::ChosenRejectedMessages => &["chosen", "rejected"],
            Layout::ShareGpt => &["conversations", "chosen", "rejected", "system"],
            Layout::Alpaca => &["instruction", "input", "chosen", "rejected", "system", "history", "output"],
            Layout::MessagesPair => &["messages", "chosen", "rejected"],
            Layout::Orca => &[
                "system",
                "question",
                "input",
                "instruction",
                "prompt",
                "chosen",
                "rejected",
                "chosen_response",
                "rejected_response",
                "status",
            ],
            Layout::UltraFeedback => &["instruction", "completions"],
            Layout::Nectar => &["prompt", "answers"],
            Layout::Shp => &["history", "human_ref_A", "human_ref_B", "labels"],
            Layout::Pku => &["prompt", "response_0", "response_1", "safer_response_id", "better_response_id"],
            Layout::StackExchange => &["question", "response_j", "response_k"],
            Layout::Mapped => {
                let map = options.map.clone().unwrap_or_default();
                let mut fields = vec![map.prompt, map.chosen, map.rejected];
                fields.extend(map.system);
                return fields
                    .into_iter()
                    .map(|field| field.split('.').next().unwrap_or_default().to_string())
                    .collect();
            }
        };
        keys.iter().map(|key| (*key).to_string()).collect()
    }

    /// Turns one record into candidate pairs (several only with `--pairing all-pairs`).
    pub(crate) fn convert(self, record: Value<'_>, context: &Context<'_>) -> Result<Vec<Candidate>, Drop> {
        if !record.is_object() {
            return Err(Drop::new(
                DropReason::ParseError,
                format!("the record is {}, not an object", record.kind().described()),
            ));
        }
        if self != Layout::Mapped {
            unusable(record)?;
        }
        match self {
            Layout::Fireworks => fireworks::convert(record).map(|candidate| vec![candidate]),
            Layout::Trl => trl::convert(record, context).map(|candidate| vec![candidate]),
            Layout::Hh => hh::convert(record).map(|candidate| vec![candidate]),
            Layout::ShareGpt => sharegpt::convert(record).map(|candidate| vec![candidate]),
            Layout::Alpaca => alpaca::convert(record).map(|candidate| vec![candidate]),
            Layout::MessagesPair => messages_pair::convert(record).map(|candidate| vec![candidate]),
            Layout::ChosenRejectedMessages => {
                chosen_rejected_messages::convert(record).map(|candidate| vec![candidate])
            }
            Layout::Orca => orca::convert(record).map(|candidate| vec![candidate]),
            Layout::UltraFeedback => ultrafeedback::convert(record, context),
            Layout::Nectar => nectar::convert(record, context),
            Layout::Shp => shp::convert(record).map(|candidate| vec![candidate]),
            Layout::Pku => pku::convert(record, context).map(|candidate| vec![candidate]),
            Layout::StackExchange => stack_exchange::convert(record).map(|candidate| vec![candidate]),
            Layout::Mapped => mapped::convert(record, context).map(|candidate| vec![candidate]),
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Layout {
    type Err = String;

    fn from_str(s: &str) -> Result<Layout, String> {
        if s == "openai" {
            return Ok(Layout::Fireworks);
        }
        Layout::DETECTION_ORDER.into_iter().chain([Layout::Mapped]).find(|layout| layout.name() == s).ok_or_else(|| {
            let names: Vec<&str> =
                Layout::DETECTION_ORDER.iter().chain(&[Layout::Mapped]).map(|layout| layout.name()).collect();
            format!("unknown layout `{s}` (expected one of: {})", names.join(", "))
        })
    }
}

/// What an adapter may need besides the record.
pub(crate) struct Context<'a> {
    pub options: &'a ConvertOptions,
    /// The record's number in the input (for deterministic random pairing).
    pub record_number: u64,
}

/// Keys that hold a preference pair (or candidates) in some layout.
const PAIR_KEYS: [&str; 16] = [
    "chosen",
    "rejected",
    "preferred_output",
    "non_preferred_output",
    "rejected_response",
    "chosen_response",
    "answers",
    "completions",
    "response_0",
    "response_1",
    "human_ref_A",
    "human_ref_B",
    "response_j",
    "response_k",
    "output",
    "accepted",
];

/// Rows no layout can pair: SFT and reward-model rows (`not-preference`) and KTO rows (`unpaired`).
fn unusable(record: Value<'_>) -> Result<(), Drop> {
    let has_pair = PAIR_KEYS.iter().any(|key| record.get(key).is_some());
    // A row with a KTO label is a KTO row, even when its completion is a whole conversation.
    let kto = record.get("kto_tag").is_some()
        || (record.get("completion").is_some() && record.field("label").is_some_and(|label| label.boolean().is_some()));
    if !has_pair && !kto {
        if record.get("messages").is_some() || record.get("conversations").is_some() {
            return Err(Drop::new(
                DropReason::NotPreference,
                "an SFT row (a conversation with no chosen/rejected pair)",
            ));
        }
        if record.get("text").is_some() && (record.get("label").is_some() || record.get("score").is_some()) {
            return Err(Drop::new(DropReason::NotPreference, "a reward-model row (`text` with a label or score)"));
        }
    }
    if kto && record.get("rejected").is_none() {
        return Err(Drop::new(DropReason::Unpaired, "a KTO row: one completion with a good/bad label, not a pair"));
    }
    Ok(())
}

/// A required field (present and not null).
fn required<'a>(record: Value<'a>, key: &str) -> Result<Value<'a>, Drop> {
    record.field(key).ok_or_else(|| Drop::new(DropReason::MissingField, format!("no `{key}`")))
}

/// A required text field (a string or text parts).
fn text(record: Value<'_>, key: &str) -> Result<String, Drop> {
    content_text(required(record, key)?, &format!("`{key}`"))
}

/// An optional text field; `None` when absent or null.
fn optional_text(record: Value<'_>, key: &str) -> Result<Option<String>, Drop> {
    record.field(key).map(|value| content_text(value, &format!("`{key}`"))).transpose()
}

/// An answer given as a string, a message object, or a message list whose last message is the answer
/// (any earlier messages of such a list are not part of the answer).
fn answer(value: Value<'_>, what: &str) -> Result<Message, Drop> {
    if value.is_string() {
        return content_text(value, what).map(|text| Message::new(Role::Assistant, text));
    }
    if value.is_array() {
        let last = value
            .elements()
            .last()
            .ok_or_else(|| Drop::new(DropReason::EmptyCompletion, format!("{what} is an empty list")))?;
        return message(last, what);
    }
    if is_message(value) {
        return message(value, what);
    }
    content_text(value, what).map(|text| Message::new(Role::Assistant, text))
}

/// A prompt given as a string (one user turn) or a message list.
fn prompt_turns(value: Value<'_>, what: &str) -> Result<Vec<Message>, Drop> {
    if value.is_array() && value.elements().all(is_message) {
        return messages(value, what);
    }
    content_text(value, what).map(|text| vec![Message::new(Role::User, text)])
}

/// The highest-precedence drop among those given (there is at least one).
fn worst(drops: impl IntoIterator<Item = Option<Drop>>) -> Drop {
    drops
        .into_iter()
        .flatten()
        .reduce(|kept, next| if next.reason < kept.reason { next } else { kept })
        .unwrap_or_else(|| Drop::new(DropReason::MissingField, "incomplete record"))
}

/// All values, or the highest-precedence drop among the parts that failed (so a record with a
/// missing field and an image part reports the missing field, whatever order they were read in).
fn combine2<A, B>(a: Result<A, Drop>, b: Result<B, Drop>) -> Result<(A, B), Drop> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(worst([a.err(), b.err()])),
    }
}

fn combine3<A, B, C>(a: Result<A, Drop>, b: Result<B, Drop>, c: Result<C, Drop>) -> Result<(A, B, C), Drop> {
    match (a, b, c) {
        (Ok(a), Ok(b), Ok(c)) => Ok((a, b, c)),
        (a, b, c) => Err(worst([a.err(), b.err(), c.err()])),
    }
}

fn combine4<A, B, C, D>(
    a: Result<A, Drop>,
    b: Result<B, Drop>,
    c: Result<C, Drop>,
    d: Result<D, Drop>,
) -> Result<(A, B, C, D), Drop> {
    match (a, b, c, d) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => Ok((a, b, c, d)),
        (a, b, c, d) => Err(worst([a.err(), b.err(), c.err(), d.err()])),
    }
}

/// Candidates from scored answers by the pairing policy; when the scores do not separate a pair,
/// one candidate (best against worst) marked as a tie, so the rules of higher precedence (empty or
/// identical answers) still speak first.
fn scored_candidates(turns: Vec<Message>, scored: &[super::pairs::Scored], context: &Context<'_>) -> Vec<Candidate> {
    let options = context.options;
    let assistant = |index: usize| Message::new(Role::Assistant, scored[index].text.clone());
    match super::pairs::pair_scored(scored, options.pairing, options.min_margin, context.record_number) {
        Ok(pairs) => pairs
            .into_iter()
            .map(|(chosen, rejected)| Candidate::new(turns.clone(), assistant(chosen), assistant(rejected)))
            .collect(),
        Err(why) => {
            let best = (0..scored.len()).fold(0, |best, i| if scored[i].score > scored[best].score { i } else { best });
            let worst =
                (0..scored.len()).fold(0, |worst, i| if scored[i].score <= scored[worst].score { i } else { worst });
            let mut candidate = Candidate::new(turns, assistant(best), assistant(worst));
            candidate.tie = Some(why);
            vec![candidate]
        }
    }
}
