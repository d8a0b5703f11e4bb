//! Where bytes come from: memory-mapped windows of a regular file, blocks read from a stream, or a
//! slice the caller owns. Each yields segments that hold only complete lines, so chunks for the
//! workers can be cut from them at newline boundaries.

mod map;
mod ordered;

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;

use memchr::{memchr, memrchr};

pub(crate) use map::MappedFile;
pub(crate) use ordered::{Chunk, OrderedError, run_in_order};

/// Bytes of one segment, cheap to clone into worker tasks.
#[derive(Clone)]
pub(crate) enum SegmentBytes<'a> {
    Borrowed(&'a [u8]),
    Mapped(Arc<map::Window>),
    Owned(Arc<Vec<u8>>),
    /// One line longer than the reader's limit, skipped rather than held in memory.
    Oversized(OversizedLine),
}

/// A line that a reader skipped because it is longer than its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OversizedLine {
    /// Bytes before the `\n` (all of them when the input ends without one).
    pub len: u64,
    pub terminated: bool,
    /// Whether the last byte before the `\n` is a `\r` (not part of the record).
    pub crlf: bool,
    /// Whether the line starts with a UTF-8 byte order mark (which matters on a file's first line).
    pub bom: bool,
}

impl OversizedLine {
    /// Bytes of input the line takes, its `\n` included.
    pub(crate) fn input_len(self) -> u64 {
        self.len + u64::from(self.terminated)
    }
}

/// Follows a line past a reader's limit: counts its bytes up to the next `\n`, holding one block.
pub(crate) struct LongLineScan {
    pub len: u64,
    last: u8,
    bom: bool,
}

impl LongLineScan {
    pub(crate) fn new() -> Self {
        LongLineScan { len: 0, last: 0, bom: false }
    }

    /// Feeds the next bytes of the line; returns where the `\n` is when it is among them.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        let end = memchr(b'\n', bytes);
        let taken = &bytes[..end.unwrap_or(bytes.len())];
        // Blocks are far longer than a BOM: the first one holds it whole if there is one.
        if self.len == 0 {
            self.bom = taken.starts_with(b"\xEF\xBB\xBF");
        }
        if let Some(&last) = taken.last() {
            self.last = last;
        }
        self.len += taken.len() as u64;
        end
    }

    pub(crate) fn finish(&self, terminated: bool) -> OversizedLine {
        OversizedLine { len: self.len, terminated, crlf: terminated && self.last == b'\r', bom: self.bom }
    }
}

/// A run of complete lines (the last one may lack its `\n` only at the end of the input).
#[derive(Clone)]
pub(crate) struct Segment<'a> {
    pub bytes: SegmentBytes<'a>,
    /// Offset of the segment's first byte in the file.
    pub base: u64,
}

impl Segment<'_> {
    pub(crate) fn as_slice(&self) -> &[u8] {
        match &self.bytes {
            SegmentBytes::Borrowed(bytes) => bytes,
            SegmentBytes::Mapped(window) => window.as_slice(),
            SegmentBytes::Owned(bytes) => bytes,
            SegmentBytes::Oversized(_) => &[],
        }
    }

    /// Whether the segment starts with a UTF-8 byte order mark.
    pub(crate) fn starts_with_bom(&self) -> bool {
        match &self.bytes {
            SegmentBytes::Oversized(line) => line.bom,
            _ => self.as_slice().starts_with(b"\xEF\xBB\xBF"),
        }
    }

    /// Asks the kernel to map a range's pages now, in the calling worker, rather than one fault at a
    /// time while parsing (a large win on virtual machines; harmless when unsupported).
    pub(crate) fn prefault(&self, range: Range<usize>) {
        if let SegmentBytes::Mapped(window) = &self.bytes {
            window.prefault(range);
        }
    }
}

/// Block size for reading streams and files without maps.
/// How a Git LFS pointer file starts: the file stands in for data that was never fetched, and both
/// `check` and `convert` say so instead of reading it as broken records.
pub(crate) const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/";

/// How a UTF-16 file is encoded, when it starts with a UTF-16 BOM or with NULs alternating with ASCII.
pub(crate) fn utf16_encoding(head: &[u8]) -> Option<&'static str> {
    match head {
        [0xFF, 0xFE, ..] => Some("UTF-16 (little-endian, with a byte order mark)"),
        [0xFE, 0xFF, ..] => Some("UTF-16 (big-endian, with a byte order mark)"),
        [a, 0, b, 0, ..] if a.is_ascii() && b.is_ascii() && *a != 0 && *b != 0 => Some("UTF-16 (little-endian)"),
        [0, a, 0, b, ..] if a.is_ascii() && b.is_ascii() && *a != 0 && *b != 0 => Some("UTF-16 (big-endian)"),
        _ => None,
    }
}

pub(crate) const STREAM_BLOCK: usize = 4 << 20;

/// A producer of segments, read in order.
pub(crate) trait SegmentReader<'a> {
    fn next_segment(&mut self) -> io::Result<Option<Segment<'a>>>;
}

/// A caller-owned slice: one segment.
pub(crate) struct SliceReader<'a> {
    bytes: Option<&'a [u8]>,
}

impl<'a> SliceReader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        SliceReader { bytes: Some(bytes) }
    }
}

impl<'a> SegmentReader<'a> for SliceReader<'a> {
    fn next_segment(&mut self) -> io::Result<Option<Segment<'a>>> {
        Ok(self
            .bytes
            .take()
            .filter(|bytes| !bytes.is_empty())
            .map(|bytes| Segment { bytes: SegmentBytes::Borrowed(bytes), base: 0 }))
    }
}

/// A stream (standard input, a pipe, any reader) read in blocks; a line longer than a block grows it.
pub(crate) struct StreamReader<R> {
    reader: R,
    /// Bytes read but not yet handed out (the start of an incomplete line).
    pending: Vec<u8>,
    block: usize,
    base: u64,
    eof: bool,
    /// Lines longer than this are skipped as [`SegmentBytes::Oversized`].
    max_line: usize,
}

impl<R: Read> StreamReader<R> {
    pub(crate) fn new(reader: R, block: usize) -> Self {
        StreamReader::starting_at(reader, block, 0)
    }

    /// A reader whose first byte is at file offset `base`.
    pub(crate) fn starting_at(reader: R, block: usize, base: u64) -> Self {
        StreamReader { reader, pending: Vec::new(), block, base, eof: false, max_line: usize::MAX }
    }

    /// Skips lines longer than `max_line` bytes instead of reading them into memory.
    pub(crate) fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// The pending bytes start a line longer than the limit: reads on to its end, holding one
    /// block at a time.
    fn skip_long_line<'a>(&mut self) -> io::Result<Segment<'a>> {
        let mut scan = LongLineScan::new();
        let mut block = std::mem::take(&mut self.pending);
        let terminated = loop {
            if let Some(end) = scan.feed(&block) {
                self.pending = block.split_off(end + 1);
                break true;
            }
            if self.eof {
                break false;
            }
            block.clear();
            self.pending = block;
            self.fill(self.block)?;
            block = std::mem::take(&mut self.pending);
        };
        let line = scan.finish(terminated);
        let base = self.base;
        self.base += line.input_len();
        Ok(Segment { bytes: SegmentBytes::Oversized(line), base })
    }

    /// Reads until at least `wanted` bytes are pending or the stream ends.
    fn fill(&mut self, wanted: usize) -> io::Result<()> {
        while !self.eof && self.pending.len() < wanted {
            let old = self.pending.len();
            self.pending.resize(wanted, 0);
            match self.reader.read(&mut self.pending[old..]) {
                Ok(0) => {
                    self.pending.truncate(old);
                    self.eof = true;
                }
                Ok(read) => self.pending.truncate(old + read),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {
                    self.pending.truncate(old);
                }
                Err(error) => {
                    self.pending.truncate(old);
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// The first bytes of the stream, without consuming them.
    pub(crate) fn peek(&mut self, len: usize) -> io::Result<&[u8]> {
        self.fill(len)?;
        Ok(&self.pending[..len.min(self.pending.len())])
    }

    /// Reads the whole rest of the stream into memory as one segment.
    pub(crate) fn read_to_end(mut self) -> io::Result<Vec<u8>> {
        self.reader.read_to_end(&mut self.pending)?;
        Ok(self.pending)
    }
}

impl<'a, R: Read> SegmentReader<'a> for StreamReader<R> {
    fn next_segment(&mut self) -> io::Result<Option<Segment<'a>>> {
        let mut wanted = self.block;
        loop {
            self.fill(wanted)?;
            if self.pending.is_empty() {
                return Ok(None);
            }
            let last_newline = memrchr(b'\n', &self.pending);
            if last_newline.is_none() && self.pending.len() > self.max_line {
                return self.skip_long_line().map(Some);
            }
            let cut = if self.eof { Some(self.pending.len()) } else { last_newline.map(|i| i + 1) };
            if let Some(cut) = cut {
                let rest = self.pending.split_off(cut);
                let bytes = std::mem::replace(&mut self.pending, rest);
                let base = self.base;
                self.base += bytes.len() as u64;
                return Ok(Some(Segment { bytes: SegmentBytes::Owned(Arc::new(bytes)), base }));
            }
            // No newline in a whole block: one long line; read more.
            wanted = self.pending.len() * 2;
        }
    }
}

/// Any of the readers, so the pipeline has one type to drive.
pub(crate) enum Reader<'a> {
    Slice(SliceReader<'a>),
    Mapped(MappedFile),
    Stream(StreamReader<Box<dyn Read + Send + 'a>>),
    /// A regular file read with `read` (when memory maps are off or failed).
    File(StreamReader<File>),
}

impl Reader<'_> {
    /// Whether the file shrank under a memory map while it was read (see `map::guard`): the bytes
    /// read past its new end were zeros.
    pub(crate) fn changed(&self) -> bool {
        matches!(self, Reader::Mapped(reader) if reader.changed())
    }
}

impl<'a> SegmentReader<'a> for Reader<'a> {
    fn next_segment(&mut self) -> io::Result<Option<Segment<'a>>> {
        match self {
            Reader::Slice(reader) => reader.next_segment(),
            Reader::Mapped(reader) => reader.next_segment(),
            Reader::Stream(reader) => reader.next_segment(),
            Reader::File(reader) => reader.next_segment(),
        }
    }
}

/// Cuts `bytes` into ranges of about `target` bytes that end at newlines (the last one at the end).
pub(crate) fn chunk_ranges(bytes: &[u8], target: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let probe = start + target;
        let end = if probe >= bytes.len() {
            bytes.len()
        } else {
            memchr(b'\n', &bytes[probe..]).map_or(bytes.len(), |i| probe + i + 1)
        };
        let range = start..end;
        start = end;
        Some(range)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_at_newlines_and_cover_everything() {
        let text = b"aaaa\nbb\ncccccc\nd\n\neeee";
        for target in 1..30 {
            let ranges: Vec<_> = chunk_ranges(text, target).collect();
            assert_eq!(ranges.first().map(|r| r.start), Some(0));
            assert_eq!(ranges.last().map(|r| r.end), Some(text.len()));
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
                assert_eq!(text[pair[0].end - 1], b'\n');
            }
        }
    }

    #[test]
    fn stream_segments_hold_complete_lines() {
        let text = "first line\nsecond\nthird line is longer than a block\nlast".repeat(3);
        let mut reader = StreamReader::new(text.as_bytes(), 8);
        let mut joined = Vec::new();
        while let Some(segment) = SegmentReader::next_segment(&mut reader).unwrap() {
            assert_eq!(segment.base as usize, joined.len());
            let bytes = segment.as_slice();
            joined.extend_from_slice(bytes);
            assert!(bytes.ends_with(b"\n") || joined.len() == text.len());
        }
        assert_eq!(joined, text.as_bytes());
    }

    #[test]
    fn peek_does_not_consume() {
        let mut reader = StreamReader::new(&b"\xff\xfeabc\n"[..], 4);
        assert_eq!(reader.peek(2).unwrap(), b"\xff\xfe");
        let segment = SegmentReader::next_segment(&mut reader).unwrap().unwrap();
        assert_eq!(segment.as_slice(), b"\xff\xfeabc\n");
    }
}
