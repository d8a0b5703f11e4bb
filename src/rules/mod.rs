//! The rule table: one entry per rule drives the [`Rule`] enum, codes, names, severities per target,
//! summaries, the documentation pages and `dpolint rules`.
//!
//! Codes are stable forever: a code is never renumbered or reused.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

pub(crate) mod line;
pub(crate) mod record;
pub(crate) mod text;

/// How serious a finding is. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a check.
    Info,
    /// Probably a mistake; fails a check only with `--deny-warnings`.
    Warning,
    /// The provider rejects the dataset, or the example cannot train as intended.
    Error,
}

impl Severity {
    /// The lowercase word used in every output format: `error`, `warning` or `info`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The provider whose rules a check applies. Limits and severities differ per target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Fireworks AI DPO fine-tuning (the default and the reference layout).
    #[default]
    Fireworks,
    /// `OpenAI` preference fine-tuning.
    OpenAi,
    /// Together AI preference fine-tuning.
    Together,
}

impl Target {
    /// Every target, in the order of the rule book's columns.
    pub const ALL: [Target; 3] = [Target::Fireworks, Target::OpenAi, Target::Together];

    /// The name used on the command line and in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Fireworks => "fireworks",
            Target::OpenAi => "openai",
            Target::Together => "together",
        }
    }

    /// The provider's name as written in prose.
    #[must_use]
    pub fn display_name(self) -> &'static str {
        match self {
            Target::Fireworks => "Fireworks",
            Target::OpenAi => "OpenAI",
            Target::Together => "Together",
        }
    }

    /// The fewest examples the provider accepts in one dataset.
    #[must_use]
    pub fn min_examples(self) -> u64 {
        match self {
            Target::Fireworks => 3,
            Target::OpenAi => 10,
            Target::Together => 1,
        }
    }

    /// The most examples the provider accepts in one dataset.
    #[must_use]
    pub fn max_examples(self) -> u64 {
        3_000_000
    }

    /// The context budget DPO304 checks an example against when `--max-tokens` does not set one:
    /// Fireworks' and `OpenAI`'s published training context lengths. Together publishes none (it depends
    /// on the model), so it gets Fireworks' budget.
    #[must_use]
    pub fn default_max_tokens(self) -> u64 {
        match self {
            Target::Fireworks | Target::Together => 32_768,
            Target::OpenAi => 65_536,
        }
    }

    /// The message roles the target accepts (a `tool` role is DPO205 everywhere). `OpenAI` accepts
    /// `developer`, its newer name for `system`.
    #[must_use]
    pub fn roles(self) -> &'static [&'static str] {
        match self {
            Target::Fireworks | Target::Together => &["system", "user", "assistant"],
            Target::OpenAi => &["system", "developer", "user", "assistant"],
        }
    }

    /// Whether an input may hold earlier turns (strictly alternating, DPO204) before the last user message.
    #[must_use]
    pub fn allows_multi_turn(self) -> bool {
        matches!(self, Target::Together)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fireworks" => Ok(Target::Fireworks),
            "openai" => Ok(Target::OpenAi),
            "together" => Ok(Target::Together),
            _ => Err(format!("unknown target `{s}` (expected fireworks, openai or together)")),
        }
    }
}

/// The rule group a code belongs to (its hundreds digit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// `DPO0xx`: bytes and syntax.
    Syntax,
    /// `DPO1xx`: the shape of a record.
    Shape,
    /// `DPO2xx`: the conversation inside a record.
    Conversation,
    /// `DPO3xx`: content quality.
    Content,
    /// `DPO4xx`: the dataset as a whole.
    Dataset,
}

impl Category {
    /// A short heading for listings.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Category::Syntax => "bytes and syntax",
            Category::Shape => "shape",
            Category::Conversation => "conversation",
            Category::Content => "content quality",
            Category::Dataset => "dataset",
        }
    }
}

use Severity::{Error as E, Info as I, Warning as W};

macro_rules! rule_table {
    ($( $variant:ident = $code:literal, $name:literal, [$f:expr, $o:expr, $t:expr], $fixable:literal, $summary:literal; )*) => {
        /// One rule of the rule book. The enum is the single source of every code and name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum Rule {
            $(
                #[doc = concat!("`", $code, "` ", $name, ": ", $summary)]
                $variant,
            )*
        }

        impl Rule {
            /// Every rule, in code order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The stable code, e.g. `DPO104`.
            #[must_use]
            pub fn code(self) -> &'static str {
                match self { $(Rule::$variant => $code),* }
            }

            /// The stable kebab-case name, e.g. `invalid-role`.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name),* }
            }

            /// One line saying when the rule fires.
            #[must_use]
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$variant => $summary),* }
            }

            /// The severity on `target` when nothing overrides it; `None` when the rule is off there.
            #[must_use]
            pub fn default_severity(self, target: Target) -> Option<Severity> {
                let [fireworks, openai, together]: [Option<Severity>; 3] = match self {
                    $(Rule::$variant => [$f, $o, $t]),*
                };
                match target {
                    Target::Fireworks => fireworks,
                    Target::OpenAi => openai,
                    Target::Together => together,
                }
            }

            /// Whether `dpolint convert --from fireworks` repairs this finding without losing data.
            #[must_use]
            pub fn is_fixable(self) -> bool {
                match self { $(Rule::$variant => $fixable),* }
            }

            /// The rule's documentation page (Markdown): what it does, why it matters, example, fix.
            #[must_use]
            pub fn docs(self) -> &'static str {
                match self { $(Rule::$variant => include_str!(concat!("../../docs/rules/", $code, ".md"))),* }
            }
        }
    };
}

const OFF: Option<Severity> = None;

rule_table! {
    InvalidUtf8 = "DPO001", "invalid-utf8", [Some(E), Some(E), Some(E)], false,
        "the line is not valid UTF-8";
    ByteOrderMark = "DPO002", "byte-order-mark", [Some(E), Some(E), Some(E)], true,
        "the file starts with a UTF-8 byte order mark";
    InvalidJson = "DPO003", "invalid-json", [Some(E), Some(E), Some(E)], false,
        "the line is not valid JSON (strict RFC 8259)";
    NotAnObject = "DPO004", "not-an-object", [Some(E), Some(E), Some(E)], false,
        "the line is valid JSON but not an object";
    BlankLine = "DPO005", "blank-line", [Some(W), Some(W), Some(E)], true,
        "an empty line, or one of only spaces, tabs and a CR";
    CarriageReturn = "DPO006", "carriage-return", [Some(I), Some(I), Some(I)], true,
        "the line ends with CRLF";
    DuplicateKey = "DPO007", "duplicate-key", [Some(E), Some(E), Some(E)], false,
        "an object has the same key twice";
    LoneSurrogate = "DPO008", "lone-surrogate", [Some(E), Some(E), Some(E)], false,
        "a string escape encodes an unpaired UTF-16 surrogate";
    ControlCharacter = "DPO009", "control-character", [Some(W), Some(W), Some(W)], false,
        "a string contains U+0000 or another C0 control other than tab, LF, CR";
    OversizedLine = "DPO010", "oversized-line", [Some(E), Some(E), Some(E)], false,
        "a line exceeds the size limits (`--max-line-bytes`): it is not checked";
    MissingField = "DPO101", "missing-field", [Some(E), Some(E), Some(E)], false,
        "a required key is absent";
    WrongType = "DPO102", "wrong-type", [Some(E), Some(E), Some(E)], false,
        "a known key holds the wrong JSON type";
    UnknownField = "DPO103", "unknown-field", [Some(W), Some(E), Some(E)], false,
        "a key the target does not know";
    InvalidRole = "DPO104", "invalid-role", [Some(E), Some(E), Some(E)], false,
        "a role outside the target's set";
    EmptyMessages = "DPO105", "empty-messages", [Some(E), Some(E), Some(E)], false,
        "`input.messages` is an empty array";
    OutputCount = "DPO106", "output-count", [Some(E), Some(E), Some(E)], false,
        "an output array does not hold exactly one message";
    OutputRole = "DPO107", "output-role", [Some(E), Some(E), Some(E)], false,
        "an output message's role is not `assistant`";
    ContentParts = "DPO108", "content-parts", [Some(E), Some(I), Some(I)], true,
        "`content` is an array of parts rather than a string";
    InvalidTools = "DPO109", "invalid-tools", [Some(E), Some(E), Some(E)], false,
        "`input.tools` is not an array of function tools, or a tool name is invalid";
    InvalidWeight = "DPO110", "invalid-weight", [Some(E), Some(E), Some(E)], false,
        "a message `weight` is not the integer 0 or 1";
    InvalidContentPart = "DPO111", "invalid-content-part", [Some(E), Some(E), Some(E)], false,
        "a content part the target cannot read: an unknown `type`, a malformed image, or an image outside a user message";
    MultiTurn = "DPO201", "multi-turn", [Some(E), Some(E), OFF], false,
        "the input holds more than one user turn or any assistant turn";
    LastNotUser = "DPO202", "last-not-user", [Some(E), Some(E), Some(E)], false,
        "the last input message is not from the user";
    MisplacedSystem = "DPO203", "misplaced-system", [Some(E), Some(E), Some(E)], false,
        "a system message anywhere but first, or more than one";
    ConsecutiveRoles = "DPO204", "consecutive-roles", [OFF, OFF, Some(E)], false,
        "two consecutive input messages share a role";
    ToolMessage = "DPO205", "tool-message", [Some(E), Some(E), Some(E)], false,
        "a `tool` role message or `tool_calls`, which the target cannot train on";
    EmptyContent = "DPO301", "empty-content", [Some(E), Some(E), Some(E)], false,
        "a message's content is empty or whitespace-only";
    IdenticalOutputs = "DPO302", "identical-outputs", [Some(W), Some(W), Some(W)], false,
        "preferred and non-preferred content are identical";
    SpecialToken = "DPO303", "special-token", [Some(W), Some(E), Some(W)], false,
        "content holds chat-template tokens such as `<|im_start|>` or `[INST]`";
    TooLong = "DPO304", "too-long", [Some(W), Some(W), Some(W)], false,
        "the example's estimated tokens (prompt and longer answer) exceed the context budget";
    TooFewExamples = "DPO401", "too-few-examples", [Some(E), Some(E), Some(E)], false,
        "the dataset has fewer examples than the target accepts";
    TooManyExamples = "DPO402", "too-many-examples", [Some(E), Some(E), Some(E)], false,
        "the dataset has more than 3,000,000 examples";
    DuplicateExample = "DPO403", "duplicate-example", [Some(W), Some(W), Some(W)], false,
        "a record equal (as parsed JSON) to an earlier one";
    ConflictingPreference = "DPO404", "conflicting-preference", [Some(W), Some(W), Some(W)], false,
        "the same input with the two outputs' preference swapped on another line";
    ShardLayout = "DPO405", "shard-layout", [Some(E), Some(E), Some(E)], false,
        "a dataset directory breaks the shard rules";
}

impl Rule {
    /// The group this rule belongs to.
    #[must_use]
    pub fn category(self) -> Category {
        match self.code().as_bytes()[3] {
            b'0' => Category::Syntax,
            b'1' => Category::Shape,
            b'2' => Category::Conversation,
            b'3' => Category::Content,
            _ => Category::Dataset,
        }
    }

    /// Finds a rule by code (`DPO104`, any case) or name (`invalid-role`).
    #[must_use]
    pub fn find(code_or_name: &str) -> Option<Rule> {
        Rule::ALL
            .iter()
            .copied()
            .find(|rule| rule.code().eq_ignore_ascii_case(code_or_name) || rule.name() == code_or_name)
    }

    /// The stable URL of the rule's documentation page.
    #[must_use]
    pub fn help_url(self) -> String {
        format!("https://github.com/dpolint/dpolint/blob/main/docs/rules/{}.md", self.code())
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// The rules a check reports, each with its effective severity.
///
/// Built from the target's defaults, then narrowed by `select` and `ignore` selectors: a code
/// (`DPO104`), a prefix (`DPO1`, `DPO`), a name (`invalid-role`) or `ALL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSet {
    severities: [Option<Severity>; Rule::ALL.len()],
}

impl RuleSet {
    /// The rules on by default for `target`, with their default severities.
    #[must_use]
    pub fn defaults(target: Target) -> RuleSet {
        let mut severities = [None; Rule::ALL.len()];
        for &rule in Rule::ALL {
            severities[rule.index()] = rule.default_severity(target);
        }
        RuleSet { severities }
    }

    /// Applies `select` (when not empty: only these rules) and then `ignore` (never these rules).
    ///
    /// A rule that is off for the target is turned on only when selected by its exact code or name;
    /// it then reports as a warning.
    pub fn from_selectors(target: Target, select: &[String], ignore: &[String]) -> Result<RuleSet, String> {
        let defaults = RuleSet::defaults(target);
        let mut set = if select.is_empty() {
            defaults.clone()
        } else {
            let mut set = RuleSet { severities: [None; Rule::ALL.len()] };
            for selector in select {
                let (rules, exact) = resolve_selector(selector)?;
                for rule in rules {
                    let severity = defaults.severity(rule).or(exact.then_some(Severity::Warning));
                    set.severities[rule.index()] = severity;
                }
            }
            set
        };
        for selector in ignore {
            let (rules, _) = resolve_selector(selector)?;
            for rule in rules {
                set.severities[rule.index()] = None;
            }
        }
        Ok(set)
    }

    /// The effective severity of `rule`, or `None` when it is not reported.
    #[must_use]
    pub fn severity(&self, rule: Rule) -> Option<Severity> {
        self.severities[rule.index()]
    }

    /// Whether `rule` is reported at all.
    #[must_use]
    pub fn is_enabled(&self, rule: Rule) -> bool {
        self.severities[rule.index()].is_some()
    }

    /// Overrides the severity of one rule (`None` turns it off).
    pub fn set_severity(&mut self, rule: Rule, severity: Option<Severity>) {
        self.severities[rule.index()] = severity;
    }
}

/// Resolves one selector into rules; the flag says whether it named a single rule exactly.
pub(crate) fn resolve_selector(selector: &str) -> Result<(Vec<Rule>, bool), String> {
    let selector = selector.trim();
    if let Some(rule) = Rule::find(selector) {
        return Ok((vec![rule], true));
    }
    let upper = selector.to_ascii_uppercase();
    if upper == "ALL" {
        return Ok((Rule::ALL.to_vec(), false));
    }
    if upper.starts_with("DPO") {
        let rules: Vec<Rule> = Rule::ALL.iter().copied().filter(|rule| rule.code().starts_with(&upper)).collect();
        if !rules.is_empty() {
            return Ok((rules, false));
        }
    }
    let suggestion = Rule::ALL
        .iter()
        .map(|rule| rule.name())
        .min_by_key(|name| strsim::levenshtein(name, selector))
        .filter(|name| strsim::levenshtein(name, selector) <= 3)
        .map(|name| format!(" (did you mean `{name}`?)"))
        .unwrap_or_default();
    Err(format!(
        "unknown rule selector `{selector}`{suggestion}: use a code (DPO104), a prefix (DPO1) or a name (invalid-role); `dpolint rules` lists them"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        let codes: Vec<&str> = Rule::ALL.iter().map(|rule| rule.code()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
        for code in codes {
            assert!(code.len() == 6 && code.starts_with("DPO") && code[3..].bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn docs_pages_start_with_code_and_name() {
        for &rule in Rule::ALL {
            let first = rule.docs().lines().next().unwrap_or_default();
            assert_eq!(first, format!("# {} {}", rule.code(), rule.name()), "docs page of {rule}");
            for heading in ["## What it does", "## Why it matters", "## Example", "## How to fix"] {
                assert!(rule.docs().contains(heading), "{rule} docs lack {heading}");
            }
        }
    }

    #[test]
    fn selectors_resolve_codes_prefixes_and_names() {
        let set = RuleSet::from_selectors(Target::Fireworks, &["DPO1".into()], &["invalid-role".into()]).unwrap();
        assert!(set.is_enabled(Rule::MissingField));
        assert!(!set.is_enabled(Rule::InvalidRole));
        assert!(!set.is_enabled(Rule::InvalidJson));
        let set = RuleSet::from_selectors(Target::Fireworks, &["DPO204".into()], &[]).unwrap();
        assert_eq!(set.severity(Rule::ConsecutiveRoles), Some(Severity::Warning));
        let set = RuleSet::from_selectors(Target::Fireworks, &["DPO2".into()], &[]).unwrap();
        assert!(!set.is_enabled(Rule::ConsecutiveRoles));
        let error = RuleSet::from_selectors(Target::Fireworks, &["invalid-rol".into()], &[]).unwrap_err();
        assert!(error.contains("did you mean `invalid-role`"), "{error}");
        assert!(RuleSet::from_selectors(Target::Fireworks, &["DPO9".into()], &[]).is_err());
    }
}
