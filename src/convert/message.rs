//! Message normalisation shared by every adapter: role names, `from`/`value` keys, content parts.

use super::value::Value;
use super::{Drop, DropReason};
use crate::parse::Kind;

/// A role of the target layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }

    /// The role a source role name means (case and surrounding spaces ignored).
    pub(crate) fn from_name(name: &str) -> Result<Role, Drop> {
        match name.trim().to_ascii_lowercase().as_str() {
            "user" | "human" | "prompter" => Ok(Role::User),
            "assistant" | "gpt" | "bot" | "model" | "chatgpt" => Ok(Role::Assistant),
            "system" | "developer" => Ok(Role::System),
            "tool" | "function" | "function_call" | "observation" | "ipython" => Err(Drop::new(
                DropReason::UnsupportedRole,
                format!("a `{}` turn: the target cannot train on tool calls or results", name.trim()),
            )),
            _ => Err(Drop::new(DropReason::UnsupportedRole, format!("unknown role `{name}`"))),
        }
    }
}

/// A normalised message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub(crate) fn new(role: Role, content: impl Into<String>) -> Message {
        Message { role, content: content.into() }
    }
}

fn missing(what: &str) -> Drop {
    Drop::new(DropReason::MissingField, format!("no {what}"))
}

/// The text of a content value: a string, or text parts joined with no separator. Images, audio
/// and refusals are `multimodal`.
pub(crate) fn content_text(content: Value<'_>, what: &str) -> Result<String, Drop> {
    match content.kind() {
        Kind::String => content.str().map(std::borrow::Cow::into_owned).ok_or_else(|| {
            Drop::new(DropReason::ParseError, format!("{what} is not valid Unicode (a lone surrogate escape)"))
        }),
        Kind::Array => {
            let mut text = String::new();
            for part in content.elements() {
                if part.is_string() {
                    text.push_str(&part.str().unwrap_or_default());
                    continue;
                }
                let kind = part.field("type").and_then(|kind| kind.str()).map(std::borrow::Cow::into_owned);
                match kind.as_deref() {
                    Some("text" | "input_text" | "output_text") | None => {
                        let piece = part.field("text").or_else(|| part.field("value"));
                        match piece.and_then(|piece| piece.str()) {
                            Some(piece) => text.push_str(&piece),
                            None => return Err(missing(&format!("text in a part of {what}"))),
                        }
                    }
                    Some(other) => {
                        return Err(Drop::new(
                            DropReason::Multimodal,
                            format!("{what} has a `{other}` part: the target trains on text only"),
                        ));
                    }
                }
            }
            Ok(text)
        }
        Kind::Null => Err(missing(what)),
        _ => Err(Drop::new(DropReason::MissingField, format!("{what} is {}, not text", content.kind().described()))),
    }
}

/// A message object: `role`/`content` or `from`/`value`, with tool calls refused.
pub(crate) fn message(value: Value<'_>, what: &str) -> Result<Message, Drop> {
    if value.is_string() {
        return Err(Drop::new(DropReason::MissingField, format!("{what} is a string, not a message object")));
    }
    if !value.is_object() {
        return Err(missing(what));
    }
    let role =
        value.field("role").or_else(|| value.field("from")).ok_or_else(|| missing(&format!("role in {what}")))?;
    let role_name = role.str().ok_or_else(|| missing(&format!("role in {what}")))?;
    let tool_calls = value.field("tool_calls").or_else(|| value.field("function_call"));
    if tool_calls.is_some_and(|calls| !(calls.is_array() && calls.len() == 0)) {
        return Err(Drop::new(
            DropReason::UnsupportedRole,
            format!("{what} makes tool calls: the target cannot train on them"),
        ));
    }
    let role = Role::from_name(&role_name)?;
    let content = value
        .field("content")
        .or_else(|| value.field("value"))
        .ok_or_else(|| missing(&format!("content in {what}")))?;
    Ok(Message { role, content: content_text(content, what)? })
}

/// A list of message objects.
pub(crate) fn messages(list: Value<'_>, what: &str) -> Result<Vec<Message>, Drop> {
    if !list.is_array() {
        return Err(missing(&format!("{what} list")));
    }
    let mut out = Vec::with_capacity(list.len());
    let mut worst: Option<Drop> = None;
    for (index, element) in list.elements().enumerate() {
        match message(element, &format!("{what}[{index}]")) {
            Ok(message) => out.push(message),
            // Report the highest-precedence problem of the list, not just the first found.
            Err(drop) => worst = Some(first_of(worst, drop)),
        }
    }
    match worst {
        Some(drop) => Err(drop),
        None => Ok(out),
    }
}

/// Whether a value looks like a message object (`role`/`from` with `content`/`value`).
pub(crate) fn is_message(value: Value<'_>) -> bool {
    value.is_object()
        && (value.get("role").is_some() || value.get("from").is_some())
        && (value.get("content").is_some() || value.get("value").is_some())
}

/// Whether a value is a non-empty list of message objects.
pub(crate) fn is_message_list(value: Value<'_>) -> bool {
    value.is_array() && value.len() > 0 && value.elements().all(is_message)
}

/// The higher-precedence of two drops (the earlier in [`DropReason::ALL`]).
pub(crate) fn first_of(current: Option<Drop>, candidate: Drop) -> Drop {
    match current {
        Some(current) if current.reason <= candidate.reason => current,
        _ => candidate,
    }
}
