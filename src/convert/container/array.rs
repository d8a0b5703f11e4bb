//! A JSON array streamed element by element: a small state machine finds where each element starts
//! and ends (strings, escapes, nesting depth) without parsing it, over blocks of the input, so a
//! file of any size needs memory for one block and the longest element only (up to the limit on
//! one record: of a longer element only the first bytes are kept while the scan reads on).

use memchr::memchr2;

use super::input::Input;
use super::{BOM, Batch, Compression, Container, OVERSIZED_PREFIX, RecordLocation, RecordReader, RecordSpan};
use crate::Error;

/// Where the scanner is in the array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the opening `[` (a byte order mark and whitespace may come first).
    Open,
    /// After `[`: the first element or `]`.
    First,
    /// After `,`: an element.
    Next,
    /// After an element: `,` or `]`.
    After,
    /// Inside an element starting at `start` (an offset in the buffer).
    Element(Element),
    /// After the closing `]`: only whitespace may follow.
    Closed,
}

/// The scanner's place inside one element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Element {
    start: usize,
    /// Open arrays and objects (0 for a string or a bare scalar).
    depth: u32,
    in_string: bool,
    /// The last byte read was a backslash inside a string.
    escape: bool,
    /// A number or literal: it ends at `,`, `]` or whitespace.
    scalar: bool,
    /// Bytes of the element removed from the buffer (after its first bytes) because it is longer
    /// than the limit.
    dropped: u64,
}

/// Reads the elements of a JSON array as records, `index` counting from 0. Elements are not
/// checked (a malformed one is still a record and the converter reports it); the array's own
/// punctuation is: a missing comma, a trailing comma, text after `]` or an input that ends before
/// `]` is an [`Error::Source`] placed at its byte. An element longer than `max` bytes is a record
/// marked [`RecordSpan::oversized`] holding only its first bytes.
pub(super) struct ArrayReader {
    input: Input,
    /// Bytes not handed out yet; `buf[pos..]` is byte `base + pos` of the input (bytes before `pos`
    /// may have been removed: whitespace between elements, the middle of an oversized element).
    buf: Vec<u8>,
    base: u64,
    /// Where scanning resumes in `buf`.
    pos: usize,
    state: State,
    /// Index of the next element.
    index: u64,
    block: usize,
    done: bool,
    /// The longest element held in memory.
    max: usize,
}

impl ArrayReader {
    /// A reader of `input`, whose first bytes were already read into `head`; elements longer than
    /// `max` bytes are not held (see [`ArrayReader`]).
    pub(super) fn new(input: Input, head: Vec<u8>, block: usize, max: usize) -> ArrayReader {
        ArrayReader { input, buf: head, base: 0, pos: 0, state: State::Open, index: 0, block, done: false, max }
    }

    /// Bounds the buffer once a scan stopped: the middle of an element in progress that is already
    /// longer than the limit is removed (its first bytes stay), and so is whitespace before `pos`
    /// when no record is waiting to be handed out.
    fn compact(&mut self, records_waiting: bool) {
        let remove = match &mut self.state {
            State::Element(element) => {
                let seen = (self.pos - element.start) as u64 + element.dropped;
                if seen <= self.max as u64 {
                    return;
                }
                let keep = element.start + OVERSIZED_PREFIX.min(self.pos - element.start);
                element.dropped += (self.pos - keep) as u64;
                keep..self.pos
            }
            // The partial byte order mark must stay where it is.
            State::Open => return,
            // The records waiting to be handed out point into the buffer.
            _ => {
                if records_waiting {
                    return;
                }
                0..self.pos
            }
        };
        self.base += remove.len() as u64;
        self.pos -= remove.len();
        self.buf.drain(remove);
    }

    fn error(&self, at: usize, message: String) -> Error {
        Error::Source {
            path: self.input.path().to_path_buf(),
            place: format!("at byte {}", self.base + at as u64),
            message,
        }
    }

    /// Scans `buf[pos..]`, pushing a record for each element that ends in it.
    fn scan(&mut self, records: &mut Vec<RecordSpan>) -> Result<(), Error> {
        let buf = &self.buf[..];
        let mut pos = self.pos;
        let mut state = self.state;
        let result = loop {
            if pos >= buf.len() {
                break Ok(());
            }
            if let State::Element(mut element) = state {
                match scan_element(buf, &mut pos, &mut element) {
                    Some(end) => {
                        let location = RecordLocation { line: None, index: Some(self.index) };
                        let len = (end - element.start) as u64 + element.dropped;
                        records.push(if len > self.max as u64 {
                            let range = element.start..element.start + OVERSIZED_PREFIX.min(end - element.start);
                            RecordSpan { range, location, oversized: Some(len) }
                        } else {
                            RecordSpan { range: element.start..end, location, oversized: None }
                        });
                        self.index += 1;
                        state = State::After;
                    }
                    None => state = State::Element(element),
                }
                continue;
            }
            let byte = buf[pos];
            if matches!(byte, b' ' | b'\t' | b'\r' | b'\n') {
                pos += 1;
                continue;
            }
            match (state, byte) {
                (State::Open, 0xEF)
                    if self.base == 0 && pos == 0 && BOM.starts_with(&buf[..buf.len().min(BOM.len())]) =>
                {
                    if buf.len() < BOM.len() {
                        // Only part of the byte order mark is read yet.
                        break Ok(());
                    }
                    pos += BOM.len();
                }
                (State::Open, b'[') => {
                    state = State::First;
                    pos += 1;
                }
                (State::Open, _) => {
                    break Err((pos, format!("expected `[` to open the JSON array, found {}", shown(byte))));
                }
                (State::First | State::After, b']') => {
                    state = State::Closed;
                    pos += 1;
                }
                (State::Next, b']') => {
                    break Err((pos, "trailing comma: JSON allows no comma before the closing `]`".to_string()));
                }
                (State::First | State::Next, b',') => {
                    break Err((
                        pos,
                        format!("expected an array element, found `,` (element {} is missing)", self.index),
                    ));
                }
                (State::First | State::Next, _) => {
                    state = State::Element(Element {
                        start: pos,
                        depth: u32::from(matches!(byte, b'{' | b'[')),
                        in_string: byte == b'"',
                        escape: false,
                        scalar: !matches!(byte, b'{' | b'[' | b'"'),
                        dropped: 0,
                    });
                    pos += 1;
                    // A one-byte scalar (`0`) may end right here: the element scan sees its end.
                }
                (State::After, b',') => {
                    state = State::Next;
                    pos += 1;
                }
                (State::After, _) => {
                    break Err((
                        pos,
                        format!(
                            "expected `,` or `]` after element {} of the JSON array, found {}",
                            self.index - 1,
                            shown(byte)
                        ),
                    ));
                }
                (State::Closed, _) => {
                    break Err((pos, format!("unexpected {} after the closing `]` of the JSON array", shown(byte))));
                }
                (State::Element(_), _) => unreachable!("handled above"),
            }
        };
        self.pos = pos;
        self.state = state;
        result.map_err(|(at, message)| self.error(at, message))
    }
}

/// Advances through one element from `pos`; returns its end (exclusive) when it ends in `buf`.
fn scan_element(buf: &[u8], pos: &mut usize, element: &mut Element) -> Option<usize> {
    let mut at = *pos;
    if element.scalar {
        while at < buf.len() {
            if matches!(buf[at], b',' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                *pos = at;
                return Some(at);
            }
            at += 1;
        }
        *pos = at;
        return None;
    }
    loop {
        if element.escape {
            if at >= buf.len() {
                break;
            }
            element.escape = false;
            at += 1;
        }
        if element.in_string {
            // Most of a record is string content: jump to the next quote or backslash.
            match memchr2(b'"', b'\\', &buf[at..]) {
                None => {
                    at = buf.len();
                    break;
                }
                Some(offset) if buf[at + offset] == b'\\' => {
                    element.escape = true;
                    at += offset + 1;
                }
                Some(offset) => {
                    element.in_string = false;
                    at += offset + 1;
                    if element.depth == 0 {
                        *pos = at;
                        return Some(at);
                    }
                }
            }
            continue;
        }
        let Some(&byte) = buf.get(at) else { break };
        at += 1;
        match byte {
            b'"' => element.in_string = true,
            b'{' | b'[' => element.depth += 1,
            b'}' | b']' => {
                element.depth -= 1;
                if element.depth == 0 {
                    *pos = at;
                    return Some(at);
                }
            }
            _ => {}
        }
    }
    *pos = at;
    None
}

/// A byte as messages show it.
fn shown(byte: u8) -> String {
    if byte.is_ascii_graphic() { format!("`{}`", char::from(byte)) } else { format!("byte 0x{byte:02X}") }
}

impl RecordReader for ArrayReader {
    fn container(&self) -> (Container, Compression) {
        (Container::JsonArray, self.input.compression())
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, Error> {
        if self.done {
            return Ok(None);
        }
        let mut records = Vec::new();
        loop {
            self.input.fill(&mut self.buf, self.block)?;
            self.scan(&mut records)?;
            self.compact(!records.is_empty());
            if self.input.eof() {
                if self.state != State::Closed {
                    let at = self.buf.len();
                    let message = match self.state {
                        State::Element(_) => format!("the JSON array breaks off inside element {}", self.index),
                        State::Open => "the input ends before the JSON array opens".to_string(),
                        _ => "the JSON array breaks off: the input ends before its closing `]`".to_string(),
                    };
                    return Err(self.error(at, message));
                }
                self.done = true;
            }
            if !records.is_empty() || self.done {
                break;
            }
            // No element ended in this block: read on (the buffer grows to hold a long element).
        }
        if records.is_empty() {
            return Ok(None);
        }
        // Hand out the buffer up to where the element in progress starts; keep the rest.
        let cut = match self.state {
            State::Element(element) => element.start,
            _ => self.pos,
        };
        let mut rest = Vec::with_capacity(self.block + (self.buf.len() - cut));
        rest.extend_from_slice(&self.buf[cut..]);
        self.buf.truncate(cut);
        let data = std::mem::replace(&mut self.buf, rest);
        self.base += cut as u64;
        self.pos -= cut;
        if let State::Element(element) = &mut self.state {
            element.start -= cut;
        }
        Ok(Some(Batch { data, records }))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::path::Path;

    use super::*;

    fn reader(bytes: &[u8], block: usize) -> ArrayReader {
        let input = Input::new(Path::new("a.json"), Box::new(Cursor::new(bytes.to_vec())), Compression::None);
        ArrayReader::new(input, Vec::new(), block, usize::MAX)
    }

    fn read_all(bytes: &[u8], block: usize) -> Result<Vec<String>, Error> {
        let mut reader = reader(bytes, block);
        let mut out = Vec::new();
        while let Some(batch) = reader.next_batch()? {
            for (text, location) in batch.iter() {
                assert_eq!(location, RecordLocation { line: None, index: Some(out.len() as u64) });
                out.push(String::from_utf8(text.to_vec()).unwrap());
            }
        }
        Ok(out)
    }

    fn place_of(error: &Error) -> &str {
        match error {
            Error::Source { place, .. } => place,
            other => panic!("not a source error: {other}"),
        }
    }

    #[test]
    fn elements_across_block_boundaries() {
        let data = concat!(
            "\u{feff} \n[ {\"a\": [1, {\"b\": \"]}[,\\\"\"}], \"c\": \"\\\\\"} ,\n",
            "\t[[],[[]]] , \"str\\\"ing]\" ,-1.5e3,true , null,{}\r\n, {\"x\":\"y\"}\n]\n  "
        );
        let expected = [
            "{\"a\": [1, {\"b\": \"]}[,\\\"\"}], \"c\": \"\\\\\"}",
            "[[],[[]]]",
            "\"str\\\"ing]\"",
            "-1.5e3",
            "true",
            "null",
            "{}",
            "{\"x\":\"y\"}",
        ];
        for block in [1, 2, 3, 4, 7, 16, 1 << 16] {
            assert_eq!(read_all(data.as_bytes(), block).unwrap(), expected, "block {block}");
        }
    }

    #[test]
    fn batches_keep_indexes_and_ranges() {
        let data = b"[{\"i\":0},{\"i\":1},{\"i\":2},{\"i\":3}]";
        let mut reader = reader(data, 10);
        let mut seen = Vec::new();
        while let Some(batch) = reader.next_batch().unwrap() {
            for record in &batch.records {
                seen.push((batch.data[record.range.clone()].to_vec(), record.location.index.unwrap()));
            }
        }
        let expected: Vec<(Vec<u8>, u64)> = (0..4).map(|i| (format!("{{\"i\":{i}}}").into_bytes(), i)).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn empty_arrays() {
        for data in ["[]", " [ \n ] \n", "\u{feff}[]"] {
            for block in [1, 64] {
                assert!(read_all(data.as_bytes(), block).unwrap().is_empty());
            }
        }
    }

    /// Every element as (text, oversized length), elements over `max` bytes not held.
    fn read_limited(bytes: &[u8], block: usize, max: usize) -> Result<Vec<(String, Option<u64>)>, Error> {
        let input = Input::new(Path::new("a.json"), Box::new(Cursor::new(bytes.to_vec())), Compression::None);
        let mut reader = ArrayReader::new(input, Vec::new(), block, max);
        let mut out = Vec::new();
        while let Some(batch) = reader.next_batch()? {
            for record in &batch.records {
                assert_eq!(record.location, RecordLocation { line: None, index: Some(out.len() as u64) });
                let text = String::from_utf8_lossy(&batch.data[record.range.clone()]).into_owned();
                out.push((text, record.oversized));
            }
            // Nothing near the size of a long element is held (a block, the limit, a prefix).
            assert!(reader.buf.len() <= block + max + OVERSIZED_PREFIX + 1, "{} bytes held", reader.buf.len());
        }
        Ok(out)
    }

    #[test]
    fn elements_over_the_limit_are_marked_and_cut() {
        let object = format!("{{\"k\": \"{}\", \"n\": [1, {{\"m\": \"]}}\\\"\"}}]}}", "x".repeat(3000));
        let string = format!("\"{}\\\"{}\"", "y".repeat(2000), "z".repeat(2000));
        let number = "9".repeat(1500);
        let at_limit = format!("\"{}\"", "w".repeat(1022));
        let data = format!("[{object},{{\"a\":1}}, {string} ,{number},{at_limit},\n{object}]");
        let cut = |text: &str| (text[..OVERSIZED_PREFIX].to_string(), Some(text.len() as u64));
        let expected = vec![
            cut(&object),
            ("{\"a\":1}".to_string(), None),
            cut(&string),
            cut(&number),
            (at_limit.clone(), None),
            cut(&object),
        ];
        for block in [1, 7, 64, 1000, 1 << 20] {
            assert_eq!(read_limited(data.as_bytes(), block, 1024).unwrap(), expected, "block {block}");
        }
    }

    #[test]
    fn errors_after_a_cut_element_or_long_whitespace_name_their_byte() {
        let long = format!("{{\"k\": \"{}\"}}", "x".repeat(5000));
        let spaces = " ".repeat(5000);
        let cases = [
            (format!("[{long} {{}}]"), long.len() + 2),
            (format!("[{spaces}{long},{spaces}{{}}{spaces}x"), 3 * spaces.len() + long.len() + 4),
            (format!("[{long},{spaces}"), long.len() + spaces.len() + 2),
            (format!("[{long}"), long.len() + 1),
        ];
        for (data, at) in cases {
            for block in [3, 64, 1 << 20] {
                let error = read_limited(data.as_bytes(), block, 1024).unwrap_err();
                assert_eq!(place_of(&error), format!("at byte {at}"), "block {block}: {error}");
            }
        }
    }

    #[test]
    fn punctuation_errors_name_their_byte() {
        let cases: [(&[u8], &str); 7] = [
            (b"[{\"a\":1} {\"b\":2}]", "at byte 9"),
            (b"[{\"a\":1},]", "at byte 9"),
            (b"[,{}]", "at byte 1"),
            (b"[{}] x", "at byte 5"),
            (b"[{\"a\":1}, {\"b\":", "at byte 15"),
            (b"[{\"a\":1}, ", "at byte 10"),
            (b"[\"abc\\", "at byte 6"),
        ];
        for (data, place) in cases {
            for block in [1, 3, 1 << 10] {
                let error = read_all(data, block).unwrap_err();
                assert_eq!(place_of(&error), place, "{} (block {block}): {error}", String::from_utf8_lossy(data));
            }
        }
        let error = read_all(b"[{}, {}  7]", 4).unwrap_err();
        assert!(
            error.to_string().contains("expected `,` or `]` after element 1 of the JSON array, found `7`"),
            "{error}"
        );
    }
}
