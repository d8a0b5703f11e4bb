//! JSONL: one record per line, read in large blocks of whole lines.

use memchr::{memchr, memchr_iter, memrchr};

use super::input::Input;
use super::{BOM, Batch, Compression, Container, OVERSIZED_PREFIX, RecordLocation, RecordReader, RecordSpan};
use crate::Error;

/// Reads JSONL in blocks of complete lines. A record's range excludes its line ending (`\n` or
/// `\r\n`); lines holding only spaces, tabs and carriage returns are not records; a line that is not
/// valid JSON still is one (the converter reports it). A line longer than `max` bytes (without its
/// line ending) is a record marked [`RecordSpan::oversized`], holding only its first bytes: when its
/// end is not in the block read, the rest of it is read and discarded up to its line break, so memory
/// stays within about one block plus the limit.
pub(super) struct JsonlReader {
    input: Input,
    /// Bytes read but not handed out: the start of a line whose end is not read yet.
    carry: Vec<u8>,
    /// Lines handed out so far (the number of the line `carry` starts is one more).
    lines: u64,
    /// Whether the next batch starts the file (where a byte order mark may be).
    at_start: bool,
    block: usize,
    /// Records in the last batch, to size the next one's list.
    last_count: usize,
    /// The longest line read into memory.
    max: usize,
}

impl JsonlReader {
    /// A reader of `input`, whose first bytes were already read into `head`; lines longer than
    /// `max` bytes are not held (see [`JsonlReader`]).
    pub(super) fn new(input: Input, head: Vec<u8>, block: usize, max: usize) -> JsonlReader {
        JsonlReader { input, carry: head, lines: 0, at_start: true, block, last_count: 0, max }
    }

    /// `data` (from byte `start`, after a byte order mark) is the beginning of a line longer than
    /// the limit, without a line break: reads on, a block at a time, to the end of the line and
    /// keeps what follows it. Returns the line's first bytes and length, or `None` for a line of
    /// only spaces, tabs and carriage returns (not a record).
    fn skip_line(&mut self, mut data: Vec<u8>, start: usize) -> Result<Option<(Vec<u8>, u64)>, Error> {
        let blank = |bytes: &[u8]| bytes.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'));
        let content = &data[start..];
        let prefix = content[..content.len().min(OVERSIZED_PREFIX)].to_vec();
        let mut len = content.len() as u64;
        let mut is_blank = blank(content);
        let mut ends_with_cr = content.last() == Some(&b'\r');
        loop {
            if self.input.eof() {
                self.carry = Vec::new();
                break;
            }
            data.clear();
            self.input.fill(&mut data, self.block)?;
            let end = memchr(b'\n', &data);
            let part = &data[..end.unwrap_or(data.len())];
            len += part.len() as u64;
            is_blank &= blank(part);
            if let Some(&last) = part.last() {
                ends_with_cr = last == b'\r';
            }
            if let Some(end) = end {
                let mut carry = Vec::with_capacity(self.block);
                carry.extend_from_slice(&data[end + 1..]);
                self.carry = carry;
                break;
            }
        }
        self.lines += 1;
        Ok((!is_blank).then(|| (prefix, len - u64::from(ends_with_cr))))
    }
}

impl RecordReader for JsonlReader {
    fn container(&self) -> (Container, Compression) {
        (Container::Jsonl, self.input.compression())
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, Error> {
        'batch: loop {
            let mut data = std::mem::take(&mut self.carry);
            // Read a block, then on until the data holds a line break (or the input ends): the
            // batch is every complete line; the rest waits for the next block.
            let mut searched = 0;
            if data.len() < self.block {
                self.input.fill(&mut data, self.block)?;
            }
            // A line without a line break that is this long is over the limit (even if a `\r`
            // and a byte order mark are counted out): it is skipped, not read on into memory.
            let bom = if self.at_start { BOM.len() } else { 0 };
            let limit = self.max.saturating_add(bom + 1);
            let cut = loop {
                if let Some(at) = memrchr(b'\n', &data[searched..]) {
                    break searched + at + 1;
                }
                if self.input.eof() {
                    break data.len();
                }
                if data.len() > limit {
                    let start = if self.at_start && data.starts_with(BOM) { BOM.len() } else { 0 };
                    self.at_start = false;
                    // A long blank line is no record: read on.
                    let Some((prefix, len)) = self.skip_line(data, start)? else { continue 'batch };
                    let location = RecordLocation { line: Some(self.lines), index: None };
                    let range = 0..prefix.len();
                    self.last_count = 1;
                    return Ok(Some(Batch {
                        data: prefix,
                        records: vec![RecordSpan { range, location, oversized: Some(len) }],
                    }));
                }
                searched = data.len();
                let more = data.len().max(self.block).min((limit - data.len()).saturating_add(1));
                self.input.fill(&mut data, more)?;
            };
            if data.is_empty() {
                return Ok(None);
            }
            let mut carry = Vec::with_capacity(self.block + (data.len() - cut));
            carry.extend_from_slice(&data[cut..]);
            data.truncate(cut);
            self.carry = carry;

            let start = if self.at_start && data.starts_with(BOM) { BOM.len() } else { 0 };
            self.at_start = false;
            let mut records = Vec::with_capacity(self.last_count + self.last_count / 8 + 16);
            self.lines = split_lines(&data, start, self.lines, self.max, &mut records);
            if !records.is_empty() {
                self.last_count = records.len();
                return Ok(Some(Batch { data, records }));
            }
            // Only blank lines in this block: read on.
        }
    }
}

/// Pushes a record for each non-blank line of `data[start..]`, the lines numbered after `lines`;
/// returns the number of the last line seen. `data` ends with a line break, or at the end of the input.
/// A line longer than `max` bytes is marked oversized, its range cut to its first bytes.
fn split_lines(data: &[u8], start: usize, mut lines: u64, max: usize, records: &mut Vec<RecordSpan>) -> u64 {
    let mut line_start = start;
    let mut push = |line_start: usize, line_end: usize, number: u64| {
        let end = if line_end > line_start && data[line_end - 1] == b'\r' { line_end - 1 } else { line_end };
        // Nearly every line starts with `{`, so the check for a blank line rarely looks further.
        let blank = data[line_start..end].iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'));
        if blank {
            return;
        }
        let location = RecordLocation { line: Some(number), index: None };
        let len = end - line_start;
        if len > max {
            let range = line_start..line_start + OVERSIZED_PREFIX.min(len);
            records.push(RecordSpan { range, location, oversized: Some(len as u64) });
        } else {
            records.push(RecordSpan { range: line_start..end, location, oversized: None });
        }
    };
    for at in memchr_iter(b'\n', &data[start..]) {
        let line_end = start + at;
        lines += 1;
        push(line_start, line_end, lines);
        line_start = line_end + 1;
    }
    if line_start < data.len() {
        lines += 1;
        push(line_start, data.len(), lines);
    }
    lines
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::path::Path;

    use super::*;

    fn read_all(bytes: &[u8], block: usize) -> Vec<(String, u64)> {
        read_limited(bytes, block, usize::MAX)
            .into_iter()
            .map(|(text, line, oversized)| {
                assert_eq!(oversized, None);
                (text, line)
            })
            .collect()
    }

    /// Every record as (text, line, oversized length), lines over `max` bytes not held.
    fn read_limited(bytes: &[u8], block: usize, max: usize) -> Vec<(String, u64, Option<u64>)> {
        let input = Input::new(Path::new("t.jsonl"), Box::new(Cursor::new(bytes.to_vec())), Compression::None);
        let mut reader = JsonlReader::new(input, Vec::new(), block, max);
        let mut out = Vec::new();
        while let Some(batch) = reader.next_batch().unwrap() {
            for record in &batch.records {
                assert_eq!(record.location.index, None);
                let text = String::from_utf8_lossy(&batch.data[record.range.clone()]).into_owned();
                out.push((text, record.location.line.unwrap(), record.oversized));
            }
        }
        out
    }

    #[test]
    fn lines_over_the_limit_are_marked_and_cut() {
        let long = format!("{{\"k\":\"{}\"}}", "x".repeat(5000));
        let prefix = long[..OVERSIZED_PREFIX].to_string();
        let len = Some(long.len() as u64);
        // Over the limit by one byte, at the limit, with CRLF, at the start after a BOM, last
        // without a line break, and a long blank line (no record).
        let at_limit = format!("{{\"k\":\"{}\"}}", "y".repeat(1024 - 8));
        assert_eq!(at_limit.len(), 1024);
        let over = format!("{at_limit} ");
        let blank = " \t".repeat(3000);
        let data =
            format!("\u{feff}{long}\r\n{{\"a\":1}}\n{at_limit}\n{over}\r\n\n{blank}\r\n{long}\r\n{{\"b\":2}}\n{long}");
        let expected = vec![
            (prefix.clone(), 1, len),
            ("{\"a\":1}".to_string(), 2, None),
            (at_limit.clone(), 3, None),
            (over[..OVERSIZED_PREFIX].to_string(), 4, Some(1025)),
            (prefix.clone(), 7, len),
            ("{\"b\":2}".to_string(), 8, None),
            (prefix, 9, len),
        ];
        for block in [1, 7, 64, 1000, 1 << 20] {
            assert_eq!(read_limited(data.as_bytes(), block, 1024), expected, "block {block}");
        }
    }

    /// A line with no line break is not read into memory past the limit: no read asks for more
    /// than about one block plus the limit.
    #[test]
    fn an_endless_line_is_not_held() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        /// 64 MiB of `{xxx...`, without a line break; notes the largest read asked for.
        struct Endless(u64, Arc<AtomicUsize>);
        impl std::io::Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.1.fetch_max(buf.len(), Ordering::Relaxed);
                let len = (buf.len() as u64).min((64 << 20) - self.0) as usize;
                buf[..len].fill(b'x');
                if self.0 == 0 && len > 0 {
                    buf[0] = b'{';
                }
                self.0 += len as u64;
                Ok(len)
            }
        }
        let largest = Arc::new(AtomicUsize::new(0));
        let input = Input::new(Path::new("t.jsonl"), Box::new(Endless(0, Arc::clone(&largest))), Compression::None);
        let mut reader = JsonlReader::new(input, Vec::new(), 1 << 16, 1 << 20);
        let batch = reader.next_batch().unwrap().unwrap();
        assert_eq!(batch.records.len(), 1);
        assert_eq!(batch.records[0].oversized, Some(64 << 20));
        assert_eq!(batch.records[0].location.line, Some(1));
        assert_eq!(batch.data.len(), OVERSIZED_PREFIX);
        assert!(reader.next_batch().unwrap().is_none());
        let largest = largest.load(Ordering::Relaxed);
        assert!(largest <= (1 << 16) + (1 << 20) + 8, "a read of {largest} bytes");
    }

    #[test]
    fn bom_crlf_and_blank_lines() {
        let data = b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n  \t\n{\"b\":2}\n\n{\"c\":3}\r\n{bad\n \t{\"d\":4} \r\n{\"e\":5}";
        let expected: Vec<(String, u64)> = [("{\"a\":1}", 1), ("{\"b\":2}", 4), ("{\"c\":3}", 6), ("{bad", 7)]
            .into_iter()
            .chain([(" \t{\"d\":4} ", 8), ("{\"e\":5}", 9)])
            .map(|(text, line)| (text.to_string(), line))
            .collect();
        for block in [1, 2, 3, 5, 8, 64, 1 << 20] {
            assert_eq!(read_all(data, block), expected, "block {block}");
        }
    }

    #[test]
    fn ranges_are_exact() {
        let input =
            Input::new(Path::new("t"), Box::new(Cursor::new(b"\xEF\xBB\xBF{}\r\n\n[1]\n".to_vec())), Compression::None);
        let batch = JsonlReader::new(input, Vec::new(), 1 << 10, usize::MAX).next_batch().unwrap().unwrap();
        assert_eq!(batch.records[0].range, 3..5);
        assert_eq!(batch.records[1].range, 8..11);
        assert_eq!(batch.records[1].location, RecordLocation { line: Some(3), index: None });
    }

    #[test]
    fn empty_and_blank_inputs_have_no_records() {
        assert!(read_all(b"", 16).is_empty());
        assert!(read_all(b"\n\r\n \n", 16).is_empty());
        assert!(read_all(b"\xEF\xBB\xBF", 16).is_empty());
    }

    #[test]
    fn a_line_longer_than_a_block() {
        let long = format!("{{\"k\":\"{}\"}}", "x".repeat(1000));
        let data = format!("{long}\n{{}}\n{long}");
        let lines = read_all(data.as_bytes(), 7);
        assert_eq!(lines, vec![(long.clone(), 1), ("{}".into(), 2), (long, 3)]);
    }

    /// Splitting speed over 1 GiB JSONL files (records of about 2 KiB, then of about 200 bytes) in
    /// the page cache: `cargo test --release --lib jsonl_speed -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn jsonl_speed() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("speed.jsonl");
        for text in [2000, 160] {
            let line = format!("{{\"prompt\":\"{}\",\"chosen\":\"a\",\"rejected\":\"b\"}}\n", "x".repeat(text));
            let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
            let count = (1usize << 30) / line.len();
            for _ in 0..count {
                file.write_all(line.as_bytes()).unwrap();
            }
            file.into_inner().unwrap().sync_all().unwrap();
            let size = std::fs::metadata(&path).unwrap().len();
            for _ in 0..3 {
                let started = std::time::Instant::now();
                let mut reader = crate::convert::container::open(&path).unwrap();
                let mut records = 0;
                while let Some(batch) = reader.next_batch().unwrap() {
                    records += batch.records.len();
                }
                let seconds = started.elapsed().as_secs_f64();
                assert_eq!(records, count);
                println!(
                    "{:.2} GB/s ({records} records of {} bytes in {seconds:.3} s)",
                    size as f64 / seconds / 1e9,
                    line.len()
                );
            }
        }
    }
}
