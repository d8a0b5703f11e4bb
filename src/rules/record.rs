//! The checks of one parsed record: keys and strings (DPO007-DPO009), shape (`DPO1xx`), conversation
//! (`DPO2xx`) and content (`DPO3xx`). One walk over the tape; messages are formatted only when a rule
//! fires, so a clean record allocates nothing here.

use std::fmt::Write as _;

use crate::diagnostic::pointer_token;
use std::borrow::Cow;

use crate::parse::{CONTROL_CHARACTER, DUPLICATE_KEYS, Kind, LONE_SURROGATE, Node, Tape};
use crate::rules::text::{find_special_token, is_blank, is_blank_json, nearest, quoted, suggest_role};
use crate::rules::{Rule, RuleSet, Severity, Target};
use crate::tokens::{MESSAGE_OVERHEAD, TokenCounter};

const RECORD_KEYS: [&str; 3] = ["input", "preferred_output", "non_preferred_output"];
const INPUT_KEYS: [&str; 2] = ["messages", "tools"];
/// `OpenAI` also reads `parallel_tool_calls` next to `tools`.
const OPENAI_INPUT_KEYS: [&str; 3] = ["messages", "tools", "parallel_tool_calls"];
const MESSAGE_KEYS: [&str; 6] = ["role", "content", "name", "weight", "tool_calls", "tool_call_id"];

/// A finding in record coordinates (byte offsets in the parsed slice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finding {
    pub rule: Rule,
    pub start: u32,
    pub end: u32,
    /// Overrides the rule's severity (DPO301 is a warning on system messages).
    pub severity: Option<Severity>,
    pub pointer: Option<String>,
    pub message: String,
    pub help: Option<String>,
    /// A related span on the same line.
    pub related: Option<(u32, u32, String)>,
}

/// A role the target knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    System,
    /// `OpenAI`'s newer name for the system role; the conversation rules treat it as `system`.
    Developer,
    User,
    Assistant,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::Developer => "developer",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }

    fn is_system(self) -> bool {
        matches!(self, Role::System | Role::Developer)
    }
}

/// Which output array a message is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    Preferred,
    NonPreferred,
}

impl Output {
    fn key(self) -> &'static str {
        match self {
            Output::Preferred => "preferred_output",
            Output::NonPreferred => "non_preferred_output",
        }
    }
}

/// Where a message sits in the record; pointers are built from it only when a rule fires.
#[derive(Clone, Copy, Debug)]
enum MessageAt {
    Input(usize),
    Output(Output, usize),
}

impl MessageAt {
    fn pointer(self) -> String {
        match self {
            MessageAt::Input(index) => format!("/input/messages/{index}"),
            MessageAt::Output(output, index) => format!("/{}/{index}", output.key()),
        }
    }

    fn describe(self) -> String {
        match self {
            MessageAt::Input(index) => format!("input message {index}"),
            MessageAt::Output(output, index) => format!("{}[{index}]", output.key()),
        }
    }
}

/// What the conversation rules need to know about one input message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MessageSummary {
    index: usize,
    node: usize,
    role: Role,
}

/// Everything a record check reads, and where it writes findings.
pub(crate) struct RecordChecker<'a> {
    pub line: &'a [u8],
    pub tape: &'a Tape,
    pub rules: &'a RuleSet,
    pub target: Target,
    /// Fingerprints of the tape's nodes (for comparing contents), when computed.
    pub hashes: &'a [u128],
    pub findings: &'a mut Vec<Finding>,
    /// Scratch space for the input's valid-role messages, reused across records.
    pub messages: &'a mut Vec<MessageSummary>,
    /// How DPO304 counts tokens, and the budget it checks against.
    pub tokens: &'a TokenCounter,
    pub max_tokens: u64,
}

impl<'a> RecordChecker<'a> {
    fn on(&self, rule: Rule) -> bool {
        self.rules.is_enabled(rule)
    }

    fn node(&self, index: usize) -> &Node {
        &self.tape.nodes[index]
    }

    fn text(&self, index: usize) -> Cow<'a, [u8]> {
        self.tape.text(self.line, &self.tape.nodes[index])
    }

    /// A string's canonical text (see [`Tape::canonical`]): what comparisons and searches use.
    fn canonical(&self, index: usize) -> &'a [u8] {
        self.tape.canonical(self.line, &self.tape.nodes[index])
    }

    fn is_string(&self, index: usize, expected: &str) -> bool {
        self.node(index).kind == Kind::String && self.canonical(index) == expected.as_bytes()
    }

    fn push(&mut self, rule: Rule, node: usize, pointer: String, message: String, help: Option<String>) {
        let node = *self.node(node);
        self.findings.push(Finding {
            rule,
            start: node.start,
            end: node.end,
            severity: None,
            pointer: Some(pointer),
            message,
            help,
            related: None,
        });
    }

    /// Checks the whole record (the tape's root, an object).
    pub(crate) fn check(&mut self) {
        if self.tape.flags & (DUPLICATE_KEYS | LONE_SURROGATE | CONTROL_CHARACTER) != 0 {
            self.check_keys_and_strings();
        }
        let (mut input, mut preferred, mut non_preferred) = (None, None, None);
        let (tape, line) = (self.tape, self.line);
        for (key, value) in effective_members(tape, line, 0) {
            match self.canonical(key) {
                b"input" => input = Some(value),
                b"preferred_output" => preferred = Some(value),
                b"non_preferred_output" => non_preferred = Some(value),
                _ => self.unknown_key(key, "", &RECORD_KEYS, "a record"),
            }
        }
        match input {
            None => self.missing(
                0,
                "/input".into(),
                "the record has no `input`",
                "add `\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"...\"}]}`",
            ),
            Some(input) if self.node(input).kind != Kind::Object => {
                self.wrong_type(input, "/input".into(), "`input`", "an object with a `messages` array");
            }
            Some(input) => self.check_input(input),
        }
        let preferred_first = self.check_output(preferred, Output::Preferred);
        let non_preferred_first = self.check_output(non_preferred, Output::NonPreferred);
        if let (Some(first), Some(second)) = (preferred_first, non_preferred_first) {
            self.check_identical(first, second);
        }
        // Most records are far too short to exceed any budget: only count the ones that might.
        if self.on(Rule::TooLong) && self.tokens.bound(self.line.len()) > self.max_tokens {
            self.check_length();
        }
    }

    /// DPO304: the prompt (messages and tool definitions) and the longer answer, against the budget.
    fn check_length(&mut self) {
        let (tape, line) = (self.tape, self.line);
        let (mut prompt, mut answers) = (0u64, [0u64; 2]);
        for (key, value) in effective_members(tape, line, 0) {
            let output = match self.canonical(key) {
                b"input" if self.node(value).kind == Kind::Object => {
                    for (key, value) in effective_members(tape, line, value) {
                        match (self.canonical(key), self.node(value).kind) {
                            (b"messages", Kind::Array) => {
                                prompt += tape.elements(value).map(|message| self.message_tokens(message)).sum::<u64>();
                            }
                            (b"tools", _) => {
                                let node = self.node(value);
                                prompt += self
                                    .tokens
                                    .count(&String::from_utf8_lossy(&line[node.start as usize..node.end as usize]));
                            }
                            _ => {}
                        }
                    }
                    continue;
                }
                b"preferred_output" => 0,
                b"non_preferred_output" => 1,
                _ => continue,
            };
            if self.node(value).kind == Kind::Array {
                answers[output] = tape.elements(value).map(|message| self.message_tokens(message)).sum();
            }
        }
        let answer = answers[0].max(answers[1]);
        let total = prompt + answer;
        if total <= self.max_tokens {
            return;
        }
        self.findings.push(Finding {
            rule: Rule::TooLong,
            start: 0,
            end: line.len() as u32,
            severity: None,
            pointer: Some(String::new()),
            message: format!(
                "the example has {} tokens ({}): {} in the prompt and {} in the longer answer, over the budget of {}",
                thousands(total),
                self.tokens.describe(),
                thousands(prompt),
                thousands(answer),
                thousands(self.max_tokens)
            ),
            help: Some(if self.tokens.is_exact() {
                "shorten the prompt or the answers, or drop the example: the trainer truncates it or rejects it (raise `--max-tokens` if your model's context is longer)".into()
            } else {
                "shorten the prompt or the answers, or drop the example; `--tokenizer tokenizer.json` counts exactly, and `--max-tokens` sets the budget of your model".into()
            }),
            related: None,
        });
    }

    /// A message's tokens: its text (every text part of an array) and the template's overhead.
    fn message_tokens(&self, message: usize) -> u64 {
        let mut tokens = MESSAGE_OVERHEAD;
        if self.node(message).kind != Kind::Object {
            return tokens;
        }
        let (tape, line) = (self.tape, self.line);
        let count = |string: usize| self.tokens.count(&String::from_utf8_lossy(&self.text(string)));
        for (key, content) in effective_members(tape, line, message) {
            if self.canonical(key) != b"content" {
                continue;
            }
            match self.node(content).kind {
                Kind::String => tokens += count(content),
                Kind::Array => {
                    for part in tape.elements(content).filter(|&part| self.node(part).kind == Kind::Object) {
                        for (key, text) in effective_members(tape, line, part) {
                            if self.canonical(key) == b"text" && self.node(text).kind == Kind::String {
                                tokens += count(text);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        tokens
    }

    /// DPO007, DPO008 and DPO009 can concern any key or string of the record.
    fn check_keys_and_strings(&mut self) {
        for index in 0..self.tape.nodes.len() {
            let node = *self.node(index);
            if node.kind == Kind::Object && node.has(DUPLICATE_KEYS) && self.on(Rule::DuplicateKey) {
                let keys: Vec<usize> = self.tape.members(index).map(|(key, _)| key).collect();
                for (position, &key) in keys.iter().enumerate() {
                    if keys[..position].iter().any(|&earlier| self.canonical(earlier) == self.canonical(key)) {
                        let name = crate::diagnostic::lossy_text(&self.text(key));
                        self.push(
                            Rule::DuplicateKey,
                            key,
                            self.pointer_of(key),
                            format!("duplicate key `{name}`: parsers disagree on which occurrence wins"),
                            Some(format!("keep one `{name}`; dpolint reads the last occurrence, as most parsers do")),
                        );
                    }
                }
            }
            if node.kind != Kind::String {
                continue;
            }
            if node.has(LONE_SURROGATE) && self.on(Rule::LoneSurrogate) {
                self.push(
                    Rule::LoneSurrogate,
                    index,
                    self.pointer_of(index),
                    "the string has a `\\u` escape of an unpaired UTF-16 surrogate, which is not a character".into(),
                    Some("escape characters outside the Basic Multilingual Plane as a high and low surrogate pair (`\\ud83d\\ude80`), or write them as UTF-8".into()),
                );
            }
            if node.has(CONTROL_CHARACTER) && self.on(Rule::ControlCharacter) {
                let control = self
                    .text(index)
                    .iter()
                    .copied()
                    .find(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
                    .unwrap_or(0);
                self.push(
                    Rule::ControlCharacter,
                    index,
                    self.pointer_of(index),
                    format!("the string contains the control character U+{control:04X}"),
                    Some("remove it: control characters other than tab and newline are invisible noise to the tokenizer (often a sign of binary or mis-decoded data)".into()),
                );
            }
        }
    }

    /// The JSON Pointer of any node: searched from the root (only done when a rule fires).
    fn pointer_of(&self, target: usize) -> String {
        let mut pointer = String::new();
        let mut current = 0;
        while current != target {
            let node = self.node(current);
            let mut descended = false;
            if node.kind == Kind::Object {
                for (key, value) in self.tape.members(current) {
                    let contains = value <= target && target < self.node(value).next as usize;
                    if key == target || contains {
                        pointer.push('/');
                        pointer.push_str(&pointer_token(&self.text(key)));
                        current = if key == target { target } else { value };
                        descended = true;
                        break;
                    }
                }
            } else if node.kind == Kind::Array {
                for (position, element) in self.tape.elements(current).enumerate() {
                    if element <= target && target < self.node(element).next as usize {
                        let _ = write!(pointer, "/{position}");
                        current = element;
                        descended = true;
                        break;
                    }
                }
            }
            if !descended {
                break;
            }
        }
        pointer
    }

    fn missing(&mut self, object: usize, pointer: String, message: &str, help: &str) {
        if self.on(Rule::MissingField) {
            self.push(Rule::MissingField, object, pointer, message.into(), Some(help.into()));
        }
    }

    fn wrong_type(&mut self, value: usize, pointer: String, what: &str, expected: &str) {
        if self.on(Rule::WrongType) {
            let found = self.node(value).kind.described();
            self.push(Rule::WrongType, value, pointer, format!("{what} must be {expected}, found {found}"), None);
        }
    }

    fn unknown_key(&mut self, key: usize, parent_pointer: &str, known: &[&str], place: &str) {
        if !self.on(Rule::UnknownField) {
            return;
        }
        let name = crate::diagnostic::lossy_text(&self.text(key));
        let pointer = format!("{parent_pointer}/{}", pointer_token(&self.text(key)));
        let help = match (name.as_str(), place) {
            ("chosen" | "rejected" | "prompt", "a record") => Some(
                "this looks like the TRL layout (prompt/chosen/rejected); `dpolint convert` turns it into the Fireworks layout"
                    .to_string(),
            ),
            _ => nearest(&name, known, 3).map(|close| format!("did you mean `{close}`?")).or_else(|| {
                Some(format!(
                    "{} knows only {}; remove `{name}` or move it out of the training file",
                    self.target.display_name(),
                    known.iter().map(|key| format!("`{key}`")).collect::<Vec<_>>().join(", ")
                ))
            }),
        };
        self.push(Rule::UnknownField, key, pointer, format!("unknown key `{name}` in {place}"), help);
    }

    fn check_input(&mut self, input: usize) {
        let (mut messages, mut tools) = (None, None);
        let (tape, line) = (self.tape, self.line);
        for (key, value) in effective_members(tape, line, input) {
            match self.canonical(key) {
                b"messages" => messages = Some(value),
                b"tools" => tools = Some(value),
                b"parallel_tool_calls" if self.target == Target::OpenAi => {
                    if self.node(value).kind != Kind::Bool {
                        self.wrong_type(
                            value,
                            "/input/parallel_tool_calls".into(),
                            "`parallel_tool_calls`",
                            "a boolean",
                        );
                    }
                }
                _ => {
                    let known: &[&str] = if self.target == Target::OpenAi { &OPENAI_INPUT_KEYS } else { &INPUT_KEYS };
                    self.unknown_key(key, "/input", known, "`input`");
                }
            }
        }
        match messages {
            None => self.missing(
                input,
                "/input/messages".into(),
                "`input` has no `messages`",
                "add `\"messages\": [{\"role\": \"user\", \"content\": \"...\"}]`",
            ),
            Some(messages) if self.node(messages).kind != Kind::Array => {
                self.wrong_type(messages, "/input/messages".into(), "`input.messages`", "an array of messages");
            }
            Some(messages) if self.node(messages).count == 0 => {
                if self.on(Rule::EmptyMessages) {
                    self.push(
                        Rule::EmptyMessages,
                        messages,
                        "/input/messages".into(),
                        "`input.messages` is empty: there is no prompt to answer".into(),
                        Some("add the user message the two outputs answer (optionally after a system message)".into()),
                    );
                }
            }
            Some(messages) => self.check_input_messages(messages),
        }
        if let Some(tools) = tools {
            self.check_tools(tools);
        }
    }

    fn check_input_messages(&mut self, messages: usize) {
        let mut valid = std::mem::take(self.messages);
        valid.clear();
        let tape = self.tape;
        for (index, element) in tape.elements(messages).enumerate() {
            if let (Some(role), _) = self.check_message(element, MessageAt::Input(index)) {
                valid.push(MessageSummary { index, node: element, role });
            }
        }
        self.check_conversation(&valid);
        *self.messages = valid;
    }

    /// DPO201-DPO204 over the input messages whose role is valid.
    fn check_conversation(&mut self, messages: &[MessageSummary]) {
        if self.on(Rule::MisplacedSystem) {
            for (position, message) in messages.iter().enumerate() {
                if message.role.is_system() && position > 0 {
                    let first_system = messages[..position].iter().any(|m| m.role.is_system());
                    let role = message.role.as_str();
                    let message_text = if first_system {
                        format!("a second {role} message: only one system message is allowed, and only first")
                    } else {
                        format!("the {role} message is at position {}: it must come first", message.index)
                    };
                    self.push(
                        Rule::MisplacedSystem,
                        message.node,
                        MessageAt::Input(message.index).pointer(),
                        message_text,
                        Some("put one system message first, or fold its text into that one".into()),
                    );
                }
            }
        }
        if self.on(Rule::MultiTurn) {
            let mut seen_user = false;
            let past_one_turn = messages.iter().find(|message| match message.role {
                Role::System | Role::Developer => false,
                Role::User => std::mem::replace(&mut seen_user, true),
                Role::Assistant => true,
            });
            if let Some(message) = past_one_turn {
                let text = match message.role {
                    Role::Assistant => format!(
                        "the input has an assistant turn (message {}): {} trains one-turn examples only",
                        message.index,
                        self.target.display_name()
                    ),
                    _ => format!(
                        "the input has a second user turn (message {}): {} trains one-turn examples only",
                        message.index,
                        self.target.display_name()
                    ),
                };
                self.push(
                    Rule::MultiTurn,
                    message.node,
                    MessageAt::Input(message.index).pointer(),
                    text,
                    Some("keep an optional system message and the final user message; `dpolint convert --multi-turn flatten` folds earlier turns into it".into()),
                );
            }
        }
        if self.on(Rule::LastNotUser)
            && let Some(last) = messages.last().filter(|message| message.role != Role::User)
        {
            self.push(
                Rule::LastNotUser,
                last.node,
                MessageAt::Input(last.index).pointer(),
                format!("the input ends with a {} message: the outputs must answer a user turn", last.role.as_str()),
                Some(
                    "end `input.messages` with the user message that the preferred and non-preferred outputs answer"
                        .into(),
                ),
            );
        }
        if self.on(Rule::ConsecutiveRoles) {
            for pair in messages.windows(2) {
                if pair[0].role == pair[1].role {
                    self.push(
                        Rule::ConsecutiveRoles,
                        pair[1].node,
                        MessageAt::Input(pair[1].index).pointer(),
                        format!(
                            "two {} messages in a row (messages {} and {})",
                            pair[1].role.as_str(),
                            pair[0].index,
                            pair[1].index
                        ),
                        Some("merge them into one message, or insert the missing turn between them".into()),
                    );
                }
            }
        }
    }

    /// Checks one message object; returns its role when the role is one the target knows, and its
    /// content node.
    fn check_message(&mut self, message: usize, at: MessageAt) -> (Option<Role>, Option<usize>) {
        if self.node(message).kind != Kind::Object {
            self.wrong_type(message, at.pointer(), &at.describe(), "an object with `role` and `content`");
            return (None, None);
        }
        let (mut role, mut content, mut name, mut weight) = (None, None, None, None);
        let (tape, line) = (self.tape, self.line);
        for (key, value) in effective_members(tape, line, message) {
            match self.canonical(key) {
                b"role" => role = Some(value),
                b"content" => content = Some(value),
                b"name" => name = Some(value),
                b"weight" => weight = Some(value),
                b"tool_calls" => {
                    let value_node = self.node(value);
                    let empty =
                        value_node.kind == Kind::Null || (value_node.kind == Kind::Array && value_node.count == 0);
                    if !empty && self.on(Rule::ToolMessage) {
                        self.push(
                            Rule::ToolMessage,
                            value,
                            format!("{}/tool_calls", at.pointer()),
                            format!(
                                "{} has `tool_calls`: {} cannot train on tool calls in DPO",
                                at.describe(),
                                self.target.display_name()
                            ),
                            Some("drop this example, or rewrite the tool call and its result as plain text".into()),
                        );
                    }
                }
                b"tool_call_id" => {
                    if self.on(Rule::ToolMessage) {
                        self.push(
                            Rule::ToolMessage,
                            value,
                            format!("{}/tool_call_id", at.pointer()),
                            format!("{} has `tool_call_id`: tool results cannot be trained on in DPO", at.describe()),
                            Some(
                                "drop this example, or rewrite the tool result as plain text in a user message".into(),
                            ),
                        );
                    }
                }
                _ => self.unknown_key(key, &at.pointer(), &MESSAGE_KEYS, &format!("a message ({})", at.describe())),
            }
        }
        let role = self.check_role(message, role, at);
        match content {
            None => self.missing(
                message,
                format!("{}/content", at.pointer()),
                &format!("{} has no `content`", at.describe()),
                "add `\"content\": \"...\"` with the message text",
            ),
            Some(content) => self.check_content(content, role, at),
        }
        if let Some(name) = name.filter(|&name| self.node(name).kind != Kind::String) {
            self.wrong_type(name, format!("{}/name", at.pointer()), "`name`", "a string");
        }
        if let Some(weight) = weight {
            self.check_weight(weight, at);
        }
        (role, content)
    }

    fn check_role(&mut self, message: usize, role: Option<usize>, at: MessageAt) -> Option<Role> {
        let pointer = || format!("{}/role", at.pointer());
        let Some(role) = role else {
            self.missing(
                message,
                pointer(),
                &format!("{} has no `role`", at.describe()),
                "add `\"role\": \"user\"` (or `system` / `assistant`)",
            );
            return None;
        };
        if self.node(role).kind != Kind::String {
            self.wrong_type(role, pointer(), "`role`", "a string (`system`, `user` or `assistant`)");
            return None;
        }
        let valid = match self.canonical(role) {
            b"system" => Some(Role::System),
            b"developer" if self.target == Target::OpenAi => Some(Role::Developer),
            b"user" => Some(Role::User),
            b"assistant" => Some(Role::Assistant),
            b"tool" => {
                if self.on(Rule::ToolMessage) {
                    self.push(
                        Rule::ToolMessage,
                        message,
                        at.pointer(),
                        format!(
                            "{} has the `tool` role: {} cannot train on tool results in DPO",
                            at.describe(),
                            self.target.display_name()
                        ),
                        Some("drop this example, or rewrite the tool exchange as plain user and assistant text".into()),
                    );
                }
                return None;
            }
            other => {
                if self.on(Rule::InvalidRole) {
                    let text = crate::diagnostic::lossy_text(other);
                    let roles =
                        self.target.roles().iter().map(|role| format!("`{role}`")).collect::<Vec<_>>().join(", ");
                    let help = match suggest_role(&text) {
                        Some(suggestion) => {
                            format!(
                                "use `\"{suggestion}\"`: {} roles are {roles} (lowercase)",
                                self.target.display_name()
                            )
                        }
                        None => format!("{} roles are {roles} (lowercase)", self.target.display_name()),
                    };
                    self.push(
                        Rule::InvalidRole,
                        role,
                        pointer(),
                        format!("invalid role {} in {}", quoted(other), at.describe()),
                        Some(help),
                    );
                }
                return None;
            }
        };
        if let (MessageAt::Output(output, _), Some(found)) = (at, valid)
            && found != Role::Assistant
            && self.on(Rule::OutputRole)
        {
            self.push(
                Rule::OutputRole,
                role,
                pointer(),
                format!("the {} message has role `{}`: outputs are assistant messages", output.key(), found.as_str()),
                Some("set `\"role\": \"assistant\"`".into()),
            );
        }
        valid
    }

    fn check_content(&mut self, content: usize, role: Option<Role>, at: MessageAt) {
        let pointer = || format!("{}/content", at.pointer());
        match self.node(content).kind {
            Kind::String => {
                if self.is_blank_string(content) {
                    self.report_empty(content, role, at);
                }
                self.check_special_tokens(content, || format!("{}/content", at.pointer()));
            }
            Kind::Array => self.check_content_parts(content, role, at),
            _ => self.wrong_type(content, pointer(), "`content`", "a string"),
        }
    }

    /// DPO108 and the parts of an array `content`: DPO111 for parts the target cannot read, DPO301
    /// when every part is blank text.
    fn check_content_parts(&mut self, content: usize, role: Option<Role>, at: MessageAt) {
        let pointer = format!("{}/content", at.pointer());
        if let Some(severity) = self.rules.severity(Rule::ContentParts) {
            let parts = self.node(content).count;
            let message = if severity == Severity::Info {
                format!(
                    "`content` is an array of {parts} part(s) rather than a string: {} reads parts, Fireworks does not",
                    self.target.display_name()
                )
            } else {
                format!("`content` is an array of {parts} part(s): {} wants a string", self.target.display_name())
            };
            self.push(
                Rule::ContentParts,
                content,
                pointer.clone(),
                message,
                Some("`dpolint convert --from fireworks` joins the text parts into one string".into()),
            );
        }
        // Images are prompt material: only a user message of the input may carry one.
        let images_allowed = role == Some(Role::User) && matches!(at, MessageAt::Input(_));
        let mut blank = true;
        let tape = self.tape;
        for (position, part) in tape.elements(content).enumerate() {
            let part_pointer = format!("{pointer}/{position}");
            if self.node(part).kind != Kind::Object {
                self.wrong_type(
                    part,
                    part_pointer,
                    "a content part",
                    "an object like `{\"type\": \"text\", \"text\": \"...\"}`",
                );
                blank = false;
                continue;
            }
            let members: Vec<(usize, usize)> = effective_members(self.tape, self.line, part).collect();
            let field =
                |name: &[u8]| members.iter().find(|&&(key, _)| self.canonical(key) == name).map(|&(_, value)| value);
            let kind = field(b"type");
            let known: &[&str] = match kind {
                Some(kind) if self.is_string(kind, "text") => {
                    self.check_text_part(part, field(b"text"), &part_pointer, &mut blank);
                    &["type", "text"]
                }
                Some(kind) if self.is_string(kind, "image_url") => {
                    blank = false;
                    self.check_image_part(part, field(b"image_url"), &part_pointer, images_allowed, at);
                    &["type", "image_url"]
                }
                _ => {
                    blank = false;
                    self.unreadable_part(part, kind, &part_pointer);
                    continue;
                }
            };
            for &(key, _) in &members {
                if !known.iter().any(|name| self.canonical(key) == name.as_bytes()) {
                    self.unknown_key(key, &part_pointer, known, "a content part");
                }
            }
        }
        if blank {
            self.report_empty(content, role, at);
        }
    }

    fn check_text_part(&mut self, part: usize, text: Option<usize>, part_pointer: &str, blank: &mut bool) {
        match text {
            None => {
                self.missing(
                    part,
                    format!("{part_pointer}/text"),
                    "a text part has no `text`",
                    "add `\"text\": \"...\"`",
                );
                *blank = false;
            }
            Some(text) if self.node(text).kind != Kind::String => {
                self.wrong_type(text, format!("{part_pointer}/text"), "a text part's `text`", "a string");
                *blank = false;
            }
            Some(text) => {
                *blank &= is_blank(&self.text(text));
                self.check_special_tokens(text, || format!("{part_pointer}/text"));
            }
        }
    }

    /// DPO111 for a part whose `type` is missing, not a string, or not one the targets read.
    fn unreadable_part(&mut self, part: usize, kind: Option<usize>, part_pointer: &str) {
        if !self.on(Rule::InvalidContentPart) {
            return;
        }
        let (node, pointer, message) = match kind {
            None => (part, format!("{part_pointer}/type"), "the content part has no `type`".to_string()),
            Some(kind) if self.node(kind).kind != Kind::String => {
                let found = self.node(kind).kind.described();
                (
                    kind,
                    format!("{part_pointer}/type"),
                    format!("the content part's `type` must be a string, found {found}"),
                )
            }
            Some(kind) => (
                kind,
                format!("{part_pointer}/type"),
                format!(
                    "the content part has type {}, which {} cannot train on",
                    quoted(&self.text(kind)),
                    self.target.display_name()
                ),
            ),
        };
        self.push(
            Rule::InvalidContentPart,
            node,
            pointer,
            message,
            Some("use `{\"type\": \"text\", \"text\": \"...\"}`, or `{\"type\": \"image_url\", \"image_url\": {\"url\": \"...\"}}` in a user message".into()),
        );
    }

    /// DPO111 for an image part outside a user message or without a usable `image_url.url`.
    fn check_image_part(
        &mut self,
        part: usize,
        image: Option<usize>,
        part_pointer: &str,
        allowed: bool,
        at: MessageAt,
    ) {
        if !self.on(Rule::InvalidContentPart) {
            return;
        }
        if !allowed {
            self.push(
                Rule::InvalidContentPart,
                part,
                part_pointer.to_string(),
                format!("{} holds an image: only user messages of the input may", at.describe()),
                Some("move the image into the user message, or describe it in text".into()),
            );
            return;
        }
        let help = || {
            Some("write `\"image_url\": {\"url\": \"https://...\"}` (or a `data:image/...;base64,` URL)".to_string())
        };
        let Some(image) = image else {
            self.push(
                Rule::InvalidContentPart,
                part,
                format!("{part_pointer}/image_url"),
                "the image part has no `image_url`".into(),
                help(),
            );
            return;
        };
        if self.node(image).kind != Kind::Object {
            let found = self.node(image).kind.described();
            self.push(
                Rule::InvalidContentPart,
                image,
                format!("{part_pointer}/image_url"),
                format!("`image_url` must be an object with a `url`, found {found}"),
                help(),
            );
            return;
        }
        let members: Vec<(usize, usize)> = effective_members(self.tape, self.line, image).collect();
        let field =
            |name: &[u8]| members.iter().find(|&&(key, _)| self.canonical(key) == name).map(|&(_, value)| value);
        let (url, detail) = (field(b"url"), field(b"detail"));
        match url {
            Some(url) if self.node(url).kind == Kind::String && !self.is_blank_string(url) => {}
            Some(url) => self.push(
                Rule::InvalidContentPart,
                url,
                format!("{part_pointer}/image_url/url"),
                "the image `url` must be a non-empty string".into(),
                help(),
            ),
            None => self.push(
                Rule::InvalidContentPart,
                image,
                format!("{part_pointer}/image_url/url"),
                "`image_url` has no `url`".into(),
                help(),
            ),
        }
        if let Some(detail) = detail
            && !["auto", "low", "high"].iter().any(|word| self.is_string(detail, word))
        {
            self.push(
                Rule::InvalidContentPart,
                detail,
                format!("{part_pointer}/image_url/detail"),
                format!(
                    "the image `detail` is {}: it must be `auto`, `low` or `high`",
                    quoted(&self.line[self.node(detail).start as usize..self.node(detail).end as usize])
                ),
                None,
            );
        }
    }

    /// DPO301 and DPO303 on a string content value.
    /// Whether a string's text is empty or whitespace-only, decoding only when it has to.
    fn is_blank_string(&self, string: usize) -> bool {
        let canonical = self.canonical(string);
        match canonical.first() {
            None => true,
            // Most text starts with a visible character: no need to look further.
            Some(&b) if b.is_ascii() && b != b'\\' && !matches!(b, b' ' | 0x09..=0x0D) => false,
            Some(_) => is_blank_json(canonical),
        }
    }

    fn report_empty(&mut self, content: usize, role: Option<Role>, at: MessageAt) {
        let Some(severity) = self.rules.severity(Rule::EmptyContent) else {
            return;
        };
        let system = role == Some(Role::System) && matches!(at, MessageAt::Input(_));
        let what = if self.node(content).kind == Kind::String && self.text(content).is_empty() {
            "empty"
        } else {
            "whitespace-only"
        };
        let (message, help) = if system {
            (format!("the system message's content is {what}"), "write the system prompt, or remove the system message")
        } else if matches!(at, MessageAt::Output(..)) {
            (
                format!(
                    "the {} answer is {what}",
                    match at {
                        MessageAt::Output(output, _) => output.key(),
                        MessageAt::Input(_) => "",
                    }
                ),
                "write the answer text: an empty answer teaches the model to say nothing",
            )
        } else {
            (format!("the content of {} is {what}", at.describe()), "write the message text, or remove the message")
        };
        self.push(Rule::EmptyContent, content, format!("{}/content", at.pointer()), message, Some(help.into()));
        if system && let Some(last) = self.findings.last_mut() {
            last.severity = Some(severity.min(Severity::Warning));
        }
    }

    fn check_special_tokens(&mut self, string: usize, pointer: impl FnOnce() -> String) {
        if !self.on(Rule::SpecialToken) {
            return;
        }
        if let Some(token) = find_special_token(self.canonical(string)) {
            self.push(
                Rule::SpecialToken,
                string,
                pointer(),
                format!("the text contains the chat-template token `{token}`"),
                Some("store plain text: the trainer applies the model's chat template itself, so pre-templated text gets the tokens twice".into()),
            );
        }
    }

    fn check_weight(&mut self, weight: usize, at: MessageAt) {
        let node = *self.node(weight);
        let raw = &self.line[node.start as usize..node.end as usize];
        if node.kind == Kind::Number && (raw == b"0" || raw == b"1") {
            return;
        }
        if self.on(Rule::InvalidWeight) {
            let shown = String::from_utf8_lossy(raw);
            let help = match raw {
                b"true" => "write `1`: a boolean is not an integer, and some validators read `true` differently",
                b"false" => "write `0`: a boolean is not an integer",
                b"1.0" => "write `1`: `1.0` is a float, which validators reject",
                b"0.0" => "write `0`: `0.0` is a float, which validators reject",
                _ => "`weight` is `0` (do not train on this message) or `1` (train on it)",
            };
            self.push(
                Rule::InvalidWeight,
                weight,
                format!("{}/weight", at.pointer()),
                format!("`weight` is `{shown}` in {}: it must be the integer 0 or 1", at.describe()),
                Some(help.into()),
            );
        }
    }

    /// DPO106 and the messages of one output; returns the first message's content node, if any.
    fn check_output(&mut self, output_node: Option<usize>, output: Output) -> Option<usize> {
        let key = output.key();
        let Some(array) = output_node else {
            self.missing(
                0,
                format!("/{key}"),
                &format!("the record has no `{key}`"),
                &format!("add `\"{key}\": [{{\"role\": \"assistant\", \"content\": \"...\"}}]`"),
            );
            return None;
        };
        if self.node(array).kind != Kind::Array {
            self.wrong_type(array, format!("/{key}"), &format!("`{key}`"), "an array holding one assistant message");
            return None;
        }
        let count = self.node(array).count;
        if count != 1 && self.on(Rule::OutputCount) {
            let help = if count == 0 {
                "add the assistant answer: `[{\"role\": \"assistant\", \"content\": \"...\"}]`".to_string()
            } else {
                "keep exactly one assistant message; DPO compares one final answer per side".to_string()
            };
            self.push(
                Rule::OutputCount,
                array,
                format!("/{key}"),
                format!("`{key}` holds {count} messages: it must hold exactly one"),
                Some(help),
            );
        }
        let mut first_content = None;
        let tape = self.tape;
        for (index, element) in tape.elements(array).enumerate() {
            let (_, content) = self.check_message(element, MessageAt::Output(output, index));
            if index == 0 {
                first_content = content;
            }
        }
        first_content
    }

    /// DPO302: the two answers are the same value.
    fn check_identical(&mut self, preferred: usize, non_preferred: usize) {
        if !self.on(Rule::IdenticalOutputs) {
            return;
        }
        let (a, b) = (self.node(preferred), self.node(non_preferred));
        let identical = match (a.kind, b.kind) {
            (Kind::String, Kind::String) => self.canonical(preferred) == self.canonical(non_preferred),
            (left, right) if left == right && !self.hashes.is_empty() => {
                self.hashes[preferred] == self.hashes[non_preferred]
            }
            _ => false,
        };
        if identical {
            let related = (a.start, a.end, "the preferred answer has the same content".to_string());
            self.push(
                Rule::IdenticalOutputs,
                non_preferred,
                "/non_preferred_output/0/content".into(),
                "the preferred and non-preferred answers are identical: the pair carries no preference".into(),
                Some("replace the non-preferred answer with a genuinely worse one, or drop the example".into()),
            );
            if let Some(last) = self.findings.last_mut() {
                last.related = Some(related);
            }
        }
    }

    fn check_tools(&mut self, tools: usize) {
        if !self.on(Rule::InvalidTools) {
            return;
        }
        if self.node(tools).kind != Kind::Array {
            let found = self.node(tools).kind.described();
            self.push(
                Rule::InvalidTools,
                tools,
                "/input/tools".into(),
                format!("`input.tools` must be an array of tool definitions, found {found}"),
                Some("write `\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"...\", \"parameters\": {...}}}]`, or leave `tools` out".into()),
            );
            return;
        }
        let tape = self.tape;
        for (index, tool) in tape.elements(tools).enumerate() {
            let pointer = format!("/input/tools/{index}");
            if self.node(tool).kind != Kind::Object {
                let found = self.node(tool).kind.described();
                self.push(
                    Rule::InvalidTools,
                    tool,
                    pointer,
                    format!("tool {index} must be an object, found {found}"),
                    None,
                );
                continue;
            }
            let members: Vec<(usize, usize)> = effective_members(self.tape, self.line, tool).collect();
            let field =
                |name: &[u8]| members.iter().find(|&&(key, _)| self.canonical(key) == name).map(|&(_, value)| value);
            let (kind, function) = (field(b"type"), field(b"function"));
            match kind {
                None => self.push(
                    Rule::InvalidTools,
                    tool,
                    format!("{pointer}/type"),
                    format!("tool {index} has no `type`"),
                    Some("add `\"type\": \"function\"`".into()),
                ),
                Some(kind) if !self.is_string(kind, "function") => self.push(
                    Rule::InvalidTools,
                    kind,
                    format!("{pointer}/type"),
                    format!(
                        "tool {index} has type {}: only `\"function\"` tools are supported",
                        String::from_utf8_lossy(
                            &self.line[self.node(kind).start as usize..self.node(kind).end as usize]
                        )
                    ),
                    Some("use `\"type\": \"function\"`".into()),
                ),
                Some(_) => {}
            }
            let Some(function) = function else {
                self.push(
                    Rule::InvalidTools,
                    tool,
                    format!("{pointer}/function"),
                    format!("tool {index} has no `function`"),
                    Some("add `\"function\": {\"name\": \"...\", \"parameters\": {...}}`".into()),
                );
                continue;
            };
            if self.node(function).kind != Kind::Object {
                let found = self.node(function).kind.described();
                self.push(
                    Rule::InvalidTools,
                    function,
                    format!("{pointer}/function"),
                    format!("tool {index}'s `function` must be an object, found {found}"),
                    None,
                );
                continue;
            }
            let members: Vec<(usize, usize)> = effective_members(self.tape, self.line, function).collect();
            let field =
                |name: &[u8]| members.iter().find(|&&(key, _)| self.canonical(key) == name).map(|&(_, value)| value);
            let (name, parameters, description) = (field(b"name"), field(b"parameters"), field(b"description"));
            match name {
                None => self.push(
                    Rule::InvalidTools,
                    function,
                    format!("{pointer}/function/name"),
                    format!("tool {index}'s function has no `name`"),
                    Some("add `\"name\": \"get_weather\"` (letters, digits, `_` and `-`, at most 64)".into()),
                ),
                Some(name) if self.node(name).kind != Kind::String => {
                    let found = self.node(name).kind.described();
                    self.push(
                        Rule::InvalidTools,
                        name,
                        format!("{pointer}/function/name"),
                        format!("tool {index}'s function name must be a string, found {found}"),
                        None,
                    );
                }
                Some(name) if !is_valid_tool_name(self.canonical(name)) => self.push(
                    Rule::InvalidTools,
                    name,
                    format!("{pointer}/function/name"),
                    format!("invalid tool name {}", quoted(&self.text(name))),
                    Some("tool names are 1 to 64 characters from `a-z`, `A-Z`, `0-9`, `_` and `-`".into()),
                ),
                Some(_) => {}
            }
            if let Some(parameters) = parameters.filter(|&value| self.node(value).kind != Kind::Object) {
                let found = self.node(parameters).kind.described();
                self.push(
                    Rule::InvalidTools,
                    parameters,
                    format!("{pointer}/function/parameters"),
                    format!("tool {index}'s `parameters` must be a JSON Schema object, found {found}"),
                    None,
                );
            }
            if let Some(description) = description.filter(|&value| self.node(value).kind != Kind::String) {
                let found = self.node(description).kind.described();
                self.push(
                    Rule::InvalidTools,
                    description,
                    format!("{pointer}/function/description"),
                    format!("tool {index}'s `description` must be a string, found {found}"),
                    None,
                );
            }
        }
    }
}

/// The members of an object as `(key, value)`, skipping members overridden by a later duplicate
/// (the last occurrence counts). Borrows only the tape, so checks can report while iterating.
fn effective_members<'t>(tape: &'t Tape, line: &'t [u8], object: usize) -> impl Iterator<Item = (usize, usize)> + 't {
    let duplicates = tape.nodes[object].has(DUPLICATE_KEYS);
    tape.members(object)
        .filter(move |&(key, _)| !duplicates || !crate::fingerprint::is_overridden(tape, line, object, key))
}

/// `^[a-zA-Z0-9_-]{1,64}$`
fn is_valid_tool_name(name: &[u8]) -> bool {
    (1..=64).contains(&name.len()) && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
