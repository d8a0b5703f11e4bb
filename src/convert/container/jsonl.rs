//! JSONL: one record per line, read in large blocks of whole lines.

use memchr::{memchr_iter, memrchr};

use super::input::Input;
use super::{BOM, Batch, Compression, Container, RecordLocation, RecordReader, RecordSpan};
use crate::Error;

/// Reads JSONL in blocks of complete lines. A record's range excludes its line ending (`\n` or
/// `\r\n`); lines holding only spaces, tabs and carriage returns are not records; a line that is not
/// valid JSON still is one (the converter reports it).
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
}

impl JsonlReader {
    /// A reader of `input`, whose first bytes were already read into `head`.
    pub(super) fn new(input: Input, head: Vec<u8>, block: usize) -> JsonlReader {
        JsonlReader { input, carry: head, lines: 0, at_start: true, block, last_count: 0 }
    }
}

impl RecordReader for JsonlReader {
    fn container(&self) -> (Container, Compression) {
        (Container::Jsonl, self.input.compression())
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, Error> {
        loop {
            let mut data = std::mem::take(&mut self.carry);
            // Read a block, then on until the data holds a line break (or the input ends): the
            // batch is every complete line; the rest waits for the next block.
            let mut searched = 0;
            if data.len() < self.block {
                self.input.fill(&mut data, self.block)?;
            }
            let cut = loop {
                if let Some(at) = memrchr(b'\n', &data[searched..]) {
                    break searched + at + 1;
                }
                if self.input.eof() {
                    break data.len();
                }
                searched = data.len();
                let more = data.len().max(self.block);
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
            self.lines = split_lines(&data, start, self.lines, &mut records);
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
fn split_lines(data: &[u8], start: usize, mut lines: u64, records: &mut Vec<RecordSpan>) -> u64 {
    let mut line_start = start;
    let mut push = |line_start: usize, line_end: usize, number: u64| {
        let end = if line_end > line_start && data[line_end - 1] == b'\r' { line_end - 1 } else { line_end };
        // Nearly every line starts with `{`, so the check for a blank line rarely looks further.
        let blank = data[line_start..end].iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'));
        if !blank {
            records.push(RecordSpan {
                range: line_start..end,
                location: RecordLocation { line: Some(number), index: None },
            });
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
        let input = Input::new(Path::new("t.jsonl"), Box::new(Cursor::new(bytes.to_vec())), Compression::None);
        let mut reader = JsonlReader::new(input, Vec::new(), block);
        let mut out = Vec::new();
        while let Some(batch) = reader.next_batch().unwrap() {
            for (text, location) in batch.iter() {
                assert_eq!(location.index, None);
                out.push((String::from_utf8(text.to_vec()).unwrap(), location.line.unwrap()));
            }
        }
        out
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
        let batch = JsonlReader::new(input, Vec::new(), 1 << 10).next_batch().unwrap().unwrap();
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
