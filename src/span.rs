//! Byte offsets are the truth; this is the one place that turns them into columns and clips lines
//! for display.

/// Counts the Unicode scalar values in valid UTF-8 (every byte that does not continue a character).
#[must_use]
pub fn count_scalars(bytes: &[u8]) -> usize {
    // Continuation bytes are 0b10xx_xxxx, which are exactly the bytes below -64 as `i8`.
    bytes.iter().filter(|&&b| b.cast_signed() >= -0x40).count()
}

/// The 1-based column of byte `offset` in `line`, counted in Unicode scalar values.
///
/// On a line that is not valid UTF-8, each maximal invalid byte sequence counts as one character,
/// as it would after a lossy decode.
#[must_use]
pub fn column(line: &[u8], offset: usize) -> u64 {
    let prefix = &line[..offset.min(line.len())];
    let scalars = if simdutf8::basic::from_utf8(prefix).is_ok() {
        count_scalars(prefix)
    } else {
        String::from_utf8_lossy(prefix).chars().count()
    };
    scalars as u64 + 1
}

/// Columns for several offsets on one line, in one pass when the offsets come in increasing order.
pub(crate) struct ColumnCounter<'a> {
    line: &'a [u8],
    valid_utf8: bool,
    offset: usize,
    column: u64,
}

impl<'a> ColumnCounter<'a> {
    pub(crate) fn new(line: &'a [u8], valid_utf8: bool) -> Self {
        ColumnCounter { line, valid_utf8, offset: 0, column: 1 }
    }

    pub(crate) fn column_at(&mut self, offset: usize) -> u64 {
        if !self.valid_utf8 {
            return column(self.line, offset);
        }
        let offset = offset.min(self.line.len());
        if offset < self.offset {
            self.offset = 0;
            self.column = 1;
        }
        self.column += count_scalars(&self.line[self.offset..offset]) as u64;
        self.offset = offset;
        self.column
    }
}

/// How many characters of context to show on each side of a span, and the most of a span to show.
const CONTEXT_CHARS: usize = 40;
const SPAN_CHARS: usize = 120;

/// A line of source, clipped and made printable for a report, with labelled spans in its own
/// coordinates. Built once when a finding is made, so rendering never goes back to the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// 1-based line number.
    pub line: u64,
    /// 1-based column (in the real line) of the first character of `text` that comes from the line.
    pub first_column: u64,
    /// The displayed text: control characters shown as symbols, invalid bytes as U+FFFD, `…` where
    /// the line was clipped.
    pub text: String,
    /// Spans to underline, in byte offsets of `text`. The first is the primary one.
    pub labels: Vec<SourceLabel>,
}

/// One underlined span of a [`SourceLine`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLabel {
    /// Byte offset in [`SourceLine::text`].
    pub start: usize,
    /// Byte length in [`SourceLine::text`].
    pub len: usize,
    /// Short text drawn beside the caret.
    pub message: Option<String>,
}

impl SourceLine {
    /// Builds a display line from the raw bytes of `line` and spans given as byte ranges of it.
    /// The first span decides the visible window; other spans are clipped to it.
    pub(crate) fn build(line: &[u8], line_number: u64, spans: &[(usize, usize, Option<String>)]) -> SourceLine {
        let decoded = String::from_utf8_lossy(line);
        let valid = matches!(decoded, std::borrow::Cow::Borrowed(_));
        // Character boundaries of the line in its own bytes, so that spans map to characters.
        let boundaries: Vec<(usize, char)> =
            if valid { decoded.char_indices().collect() } else { lossy_boundaries(line) };
        let char_index = |byte: usize| boundaries.partition_point(|&(start, _)| start < byte);
        let (primary_start, primary_len) = spans.first().map_or((0, 0), |s| (s.0, s.1));
        let mut first = char_index(primary_start);
        let mut last = char_index(primary_start + primary_len).max(first);
        // Show the other spans too when they fit in one window with the primary one.
        let all_first = spans.iter().map(|s| char_index(s.0)).min().unwrap_or(first);
        let all_last = spans.iter().map(|s| char_index(s.0 + s.1)).max().unwrap_or(last);
        if all_last - all_first <= SPAN_CHARS {
            (first, last) = (all_first, all_last);
        }
        let window_start = first.saturating_sub(CONTEXT_CHARS);
        let window_end = (last.min(first + SPAN_CHARS) + CONTEXT_CHARS).min(boundaries.len());

        let mut text = String::new();
        if window_start > 0 {
            text.push('…');
        }
        // Byte offset in `text` of each character index in the window (and one past its end).
        let mut offsets = Vec::with_capacity(window_end - window_start + 1);
        for &(_, c) in &boundaries[window_start..window_end] {
            offsets.push(text.len());
            text.push(printable(c));
        }
        offsets.push(text.len());
        if window_end < boundaries.len() {
            text.push('…');
        }
        let to_text = |byte: usize| {
            let index = char_index(byte).clamp(window_start, window_end);
            offsets[index - window_start]
        };
        let visible =
            |start: usize, len: usize| char_index(start) >= window_start && char_index(start + len) <= window_end;
        let labels = spans
            .iter()
            .enumerate()
            .filter(|&(index, &(start, len, _))| index == 0 || visible(start, len))
            .map(|(_, (start, len, message))| {
                let from = to_text(*start);
                let to = to_text(start + len).max(from);
                SourceLabel { start: from, len: to - from, message: message.clone() }
            })
            .collect();
        SourceLine { line: line_number, first_column: window_start as u64 + 1, text, labels }
    }
}

/// Character starts of a line that is not valid UTF-8: each maximal invalid sequence is one U+FFFD.
fn lossy_boundaries(line: &[u8]) -> Vec<(usize, char)> {
    let mut boundaries = Vec::new();
    let mut at = 0;
    for chunk in line.utf8_chunks() {
        for (i, c) in chunk.valid().char_indices() {
            boundaries.push((at + i, c));
        }
        at += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            boundaries.push((at, char::REPLACEMENT_CHARACTER));
            at += chunk.invalid().len();
        }
    }
    boundaries
}

/// One printable character for each character of the line, so columns stay aligned.
fn printable(c: char) -> char {
    match c {
        '\t' => ' ',
        '\u{0}'..='\u{1F}' => char::from_u32(0x2400 + c as u32).unwrap_or('?'),
        '\u{7F}' => '␡',
        '\u{80}'..='\u{9F}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => '�',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_scalars() {
        let line = "é東🚀x".as_bytes();
        assert_eq!(column(line, 0), 1);
        assert_eq!(column(line, 2), 2);
        assert_eq!(column(line, 5), 3);
        assert_eq!(column(line, 9), 4);
        let mut counter = ColumnCounter::new(line, true);
        assert_eq!(counter.column_at(5), 3);
        assert_eq!(counter.column_at(9), 4);
        assert_eq!(counter.column_at(2), 2);
    }

    #[test]
    fn columns_on_invalid_lines_count_replacement_characters() {
        let line = b"a\xff\xfeb";
        assert_eq!(column(line, 1), 2);
        assert_eq!(column(line, 3), 4);
    }

    #[test]
    fn short_lines_are_shown_whole() {
        let source = SourceLine::build(b"{\"role\": \"robot\"}", 3, &[(9, 7, None)]);
        assert_eq!(source.text, "{\"role\": \"robot\"}");
        assert_eq!(&source.text[source.labels[0].start..][..source.labels[0].len], "\"robot\"");
        assert_eq!(source.first_column, 1);
    }

    #[test]
    fn long_lines_are_clipped_around_the_span() {
        let line = format!("{}\"bad\"{}", "a".repeat(500), "b".repeat(500));
        let source = SourceLine::build(line.as_bytes(), 1, &[(500, 5, None)]);
        assert!(source.text.starts_with('…') && source.text.ends_with('…'));
        assert_eq!(&source.text[source.labels[0].start..][..source.labels[0].len], "\"bad\"");
        assert_eq!(source.first_column, 461);
    }

    #[test]
    fn controls_and_invalid_bytes_become_single_symbols() {
        let source = SourceLine::build(b"a\tb\x1bc\xffd", 1, &[(5, 1, None)]);
        assert_eq!(source.text, "a b␛c�d");
        assert_eq!(&source.text[source.labels[0].start..][..source.labels[0].len], "�");
    }
}
