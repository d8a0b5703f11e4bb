//! A read-only view of a parsed record for the layout adapters: typed access by key and index over
//! the parser's tape, with strings decoded only when read. No tree is built.

use std::borrow::Cow;

use crate::parse::strings::decode_str;
use crate::parse::{ESCAPED, Kind, Tape};

/// One JSON value inside a parsed record.
#[derive(Clone, Copy)]
pub(crate) struct Value<'a> {
    tape: &'a Tape,
    /// The record's text, already known to be UTF-8, so strings are sliced, not validated again.
    line: &'a str,
    index: usize,
}

impl<'a> Value<'a> {
    /// The record's root value.
    pub(crate) fn root(tape: &'a Tape, line: &'a str) -> Value<'a> {
        Value { tape, line, index: 0 }
    }

    fn at(&self, index: usize) -> Value<'a> {
        Value { tape: self.tape, line: self.line, index }
    }

    pub(crate) fn kind(&self) -> Kind {
        self.tape.nodes[self.index].kind
    }

    pub(crate) fn is_null(&self) -> bool {
        self.kind() == Kind::Null
    }

    /// The value's JSON text, as written in the source.
    pub(crate) fn raw(&self) -> &'a [u8] {
        let node = &self.tape.nodes[self.index];
        &self.line.as_bytes()[node.start as usize..node.end as usize]
    }

    /// An object member by key (the last occurrence, like every parser that keeps one); `None`
    /// when this is not an object or has no such key.
    pub(crate) fn get(&self, key: &str) -> Option<Value<'a>> {
        if self.kind() != Kind::Object {
            return None;
        }
        self.tape
            .members(self.index)
            .filter(|&(name, _)| self.tape.canonical(self.line.as_bytes(), &self.tape.nodes[name]) == key.as_bytes())
            .last()
            .map(|(_, value)| self.at(value))
    }

    /// A member that is present and not null.
    pub(crate) fn field(&self, key: &str) -> Option<Value<'a>> {
        self.get(key).filter(|value| !value.is_null())
    }

    /// The object's members as (key, value), in source order, duplicates included.
    pub(crate) fn members(&self) -> impl Iterator<Item = (Cow<'a, str>, Value<'a>)> + 'a {
        let this = *self;
        let members = (self.kind() == Kind::Object).then(|| this.tape.members(this.index));
        members.into_iter().flatten().map(move |(name, value)| (this.at(name).text_lossy(), this.at(value)))
    }

    /// The array's elements; empty when this is not an array.
    pub(crate) fn elements(&self) -> impl Iterator<Item = Value<'a>> + 'a {
        let this = *self;
        let elements = (self.kind() == Kind::Array).then(|| this.tape.elements(this.index));
        elements.into_iter().flatten().map(move |element| this.at(element))
    }

    /// The array's length (0 when not an array).
    pub(crate) fn len(&self) -> usize {
        if self.kind() == Kind::Array { self.tape.nodes[self.index].count as usize } else { 0 }
    }

    /// The decoded string, when this is a string of valid Unicode (a lone surrogate escape is not).
    pub(crate) fn str(&self) -> Option<Cow<'a, str>> {
        if self.kind() != Kind::String {
            return None;
        }
        let node = &self.tape.nodes[self.index];
        // The raw text between the quotes (not the canonical copy: that is for comparisons).
        let raw = &self.line[node.start as usize + 1..node.end as usize - 1];
        if node.has(ESCAPED) { decode_str(raw).map(Cow::Owned) } else { Some(Cow::Borrowed(raw)) }
    }

    /// The decoded string with a lone surrogate replaced (for keys in messages).
    fn text_lossy(&self) -> Cow<'a, str> {
        match self.tape.text(self.line.as_bytes(), &self.tape.nodes[self.index]) {
            Cow::Borrowed(bytes) => String::from_utf8_lossy(bytes),
            Cow::Owned(bytes) => Cow::Owned(crate::diagnostic::lossy_text(&bytes)),
        }
    }

    /// A number (or a string holding one, as CSV cells do) as `f64`.
    pub(crate) fn number(&self) -> Option<f64> {
        match self.kind() {
            Kind::Number => std::str::from_utf8(self.raw()).ok()?.parse().ok(),
            Kind::String => self.str()?.trim().parse().ok(),
            _ => None,
        }
    }

    /// A whole number (or a string holding one): labels and ids such as `1`, `1.0` or `"1"`.
    pub(crate) fn integer(&self) -> Option<i64> {
        let number = self.number()?;
        // Small whole numbers convert exactly; anything else is not a label.
        (number.fract() == 0.0 && number.abs() < 1e15).then_some(number as i64)
    }

    /// A boolean (or a string spelling one, as CSV cells do).
    pub(crate) fn boolean(&self) -> Option<bool> {
        match self.kind() {
            Kind::Bool => Some(self.raw() == b"true"),
            Kind::String => match self.str()?.trim() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn is_string(&self) -> bool {
        self.kind() == Kind::String
    }

    pub(crate) fn is_array(&self) -> bool {
        self.kind() == Kind::Array
    }

    pub(crate) fn is_object(&self) -> bool {
        self.kind() == Kind::Object
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_line;

    #[test]
    fn reads_fields_elements_and_strings() {
        let text = r#"{"a": "x\u00e9", "b": [1, 2.5, "3"], "c": null, "a": "last", "d": {"e": true}, "f": "True"}"#;
        let mut tape = Tape::default();
        parse_line(text.as_bytes(), &mut tape, 128).unwrap();
        let root = Value::root(&tape, text);
        assert_eq!(root.get("a").unwrap().str().unwrap(), "last");
        assert!(root.field("c").is_none() && root.get("c").is_some());
        let numbers: Vec<f64> = root.get("b").unwrap().elements().filter_map(|v| v.number()).collect();
        assert_eq!(numbers, [1.0, 2.5, 3.0]);
        assert_eq!(root.get("d").unwrap().get("e").unwrap().boolean(), Some(true));
        assert_eq!(root.get("f").unwrap().boolean(), Some(true));
        let keys: Vec<String> = root.members().map(|(key, _)| key.into_owned()).collect();
        assert_eq!(keys, ["a", "b", "c", "a", "d", "f"]);
        assert_eq!(root.get("b").unwrap().len(), 3);
        assert!(root.get("zzz").is_none());
    }
}
