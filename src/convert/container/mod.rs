//! Containers: everything between a path on disk and "one record as JSON object text".
//!
//! A source file is sniffed by its magic bytes (not its extension) and read as a stream of
//! [`Batch`]es: JSONL (optionally gzip- or zstd-compressed), a JSON array (streamed element by
//! element, never loaded whole), a single pretty-printed JSON object, Parquet (behind the `parquet`
//! feature) or CSV (behind the `csv` feature). Every record arrives as the bytes of one JSON value
//! with its source location; the layouts and the converter never see the container.

use crate::source::{LFS_POINTER, utf16_encoding};
use std::ops::Range;

/// Where a record came from in its file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordLocation {
    /// 1-based physical line, for JSONL and CSV sources (the line where the record starts).
    pub line: Option<u64>,
    /// 0-based position, for JSON array and Parquet sources.
    pub index: Option<u64>,
}

/// One record of a batch: the byte range of its JSON text in [`Batch::data`], and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordSpan {
    /// The record's JSON text in [`Batch::data`]: no surrounding whitespace, comma or line ending.
    pub range: Range<usize>,
    /// Where the record came from.
    pub location: RecordLocation,
    /// `Some(length)` when the record is longer than the reader's limit on one record: its length
    /// in bytes (a JSONL line without its line ending, or an array element). Its bytes were not
    /// kept: `range` covers at most its first [`OVERSIZED_PREFIX`] bytes. The converter drops it
    /// as `parse-error`.
    pub oversized: Option<u64>,
}

/// Bytes kept of a record longer than the limit, to show in the rejects file.
pub const OVERSIZED_PREFIX: usize = 64;

/// Consecutive records of one file, in order. `data` holds their JSON texts (JSONL lines without
/// their line endings, array elements, or JSON rendered from Parquet/CSV rows).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// The bytes the records' ranges point into (it may hold bytes between records too).
    pub data: Vec<u8>,
    /// The records, in file order.
    pub records: Vec<RecordSpan>,
}

impl Batch {
    /// The JSON text of each record, with its location, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], RecordLocation)> {
        self.records.iter().map(|record| (&self.data[record.range.clone()], record.location))
    }
}

/// The container a file was recognised as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// One JSON value per line (blank lines skipped).
    Jsonl,
    /// One JSON array whose elements are the records.
    JsonArray,
    /// One JSON object spread over several lines: one record.
    JsonDocument,
    /// An Apache Parquet file: each row rendered as a JSON object.
    Parquet,
    /// CSV or TSV with a header row: each row rendered as a JSON object.
    Csv,
}

/// A compression wrapped around the container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip, possibly several members one after the other.
    Gzip,
    /// Zstandard, possibly several frames one after the other.
    Zstd,
}

/// Reads a source file batch by batch.
pub trait RecordReader: Send {
    /// What the file was recognised as.
    fn container(&self) -> (Container, Compression);

    /// The next batch, or `None` at the end. Blank JSONL lines are skipped (they are not records).
    /// A read error, a truncated compressed stream or a JSON array that breaks off is an `Err`
    /// naming the file and the place (the conversion then stops and writes nothing).
    fn next_batch(&mut self) -> Result<Option<Batch>, crate::Error>;
}

mod array;
#[cfg(feature = "csv")]
mod csv;
mod input;
mod jsonl;
#[cfg(feature = "parquet")]
mod parquet;
#[cfg(feature = "csv")]
mod python;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use input::{Input, Tagged};

use crate::Error;
use crate::parse::{Tape, parse_line, validate_document};

/// Bytes read at a time. Large blocks keep per-read costs out of the profile; a block grows when one
/// line or array element is longer.
const BLOCK: usize = 4 << 20;

/// Bytes read before deciding what a file is: enough for every magic number and, nearly always,
/// the first line.
const SNIFF: usize = 64 << 10;

/// The UTF-8 byte order mark some editors write at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Nesting allowed when checking whether a file is one pretty-printed document. Generous: this only
/// decides the container; the converter applies its own limit to each record.
const MAX_DEPTH: usize = 1024;

/// Opens a source file and recognises its container by its first bytes, never by its extension
/// (only CSV's delimiter follows the name: tab for `.tsv` and `.tsv.gz`).
///
/// gzip (`1f 8b`, every member) and zstd (`28 b5 2f fd`, every frame) are decompressed and the
/// content sniffed again. Then: `PAR1` is Parquet; a Git LFS pointer is [`Error::LfsPointer`];
/// after an optional byte order mark and whitespace, `[` is a JSON array and `{` is JSONL, unless
/// the first line is only the start of a value and the whole file is exactly one JSON object (a
/// pretty-printed single record). Anything else is CSV when the `csv` feature is on. An empty file
/// is JSONL with no records.
///
/// A record longer than [`DEFAULT_MAX_LINE_BYTES`](crate::DEFAULT_MAX_LINE_BYTES) is not read
/// into memory (see [`open_limited`]).
pub fn open(path: &Path) -> Result<Box<dyn RecordReader>, Error> {
    open_limited(path, crate::DEFAULT_MAX_LINE_BYTES)
}

/// [`open`] with a limit on the size of one record: a JSONL line or JSON array element longer than
/// `max_record_bytes` is skipped without being held in memory and handed out as a record marked
/// [`RecordSpan::oversized`]; a pretty-printed single-object file longer than the limit is an
/// [`Error::Source`].
pub fn open_limited(path: &Path, max_record_bytes: usize) -> Result<Box<dyn RecordReader>, Error> {
    let file = File::open(path).map_err(|error| Error::io(path, error))?;
    let mut magic = Vec::with_capacity(4);
    (&file).take(4).read_to_end(&mut magic).map_err(|error| Error::io(path, error))?;
    // Parquet keeps its schema at the end, so it needs the file itself, not a stream of it. Other
    // containers are streams: the magic bytes go first again, and a pipe (`<(zcat ...)`) works too.
    if magic == b"PAR1" {
        return open_parquet(path, file);
    }
    sniff(path, Box::new(Tagged(std::io::Cursor::new(magic).chain(file))), max_record_bytes)
}

/// Reads a source from a stream (standard input, or an embedder's reader), recognised as [`open`]
/// recognises files. `name` names the source in errors and picks CSV's delimiter. Parquet cannot
/// be read from a stream (its schema is at the end): that is an [`Error::Source`].
pub fn open_stream(name: &Path, reader: Box<dyn Read + Send>) -> Result<Box<dyn RecordReader>, Error> {
    open_stream_limited(name, reader, crate::DEFAULT_MAX_LINE_BYTES)
}

/// [`open_stream`] with a limit on the size of one record (see [`open_limited`]).
pub fn open_stream_limited(
    name: &Path,
    reader: Box<dyn Read + Send>,
    max_record_bytes: usize,
) -> Result<Box<dyn RecordReader>, Error> {
    sniff(name, Box::new(Tagged(reader)), max_record_bytes)
}

#[cfg(feature = "parquet")]
fn open_parquet(path: &Path, file: File) -> Result<Box<dyn RecordReader>, Error> {
    Ok(Box::new(parquet::ParquetReader::open(path, file)?))
}

#[cfg(not(feature = "parquet"))]
fn open_parquet(path: &Path, _: File) -> Result<Box<dyn RecordReader>, Error> {
    Err(Error::Source {
        path: path.to_path_buf(),
        place: "at byte 0".into(),
        message: "this is a Parquet file, and this build of dpolint reads no Parquet (it was built without the `parquet` feature)".into(),
    })
}

fn compression_of(head: &[u8]) -> Compression {
    match head {
        [0x1f, 0x8b, ..] => Compression::Gzip,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
        _ => Compression::None,
    }
}

/// Recognises the container of a raw stream (see [`open`]).
fn sniff(path: &Path, raw: Box<dyn Read + Send>, max: usize) -> Result<Box<dyn RecordReader>, Error> {
    let mut input = Input::new(path, raw, Compression::None);
    let mut head = Vec::new();
    input.fill(&mut head, SNIFF)?;
    let compression = compression_of(&head);
    if compression != Compression::None {
        let raw = input.into_reader(head);
        let decoded: Box<dyn Read + Send> = match compression {
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
            // The `zstd` crate (libzstd) rather than the pure-Rust `ruzstd`: it decodes about twice
            // as fast, and Parquet's zstd codec already links it, so the binary carries one decoder.
            // Its reader continues through concatenated frames, as `zstd -d` does.
            _ => Box::new(
                zstd::stream::read::Decoder::new(raw)
                    .map_err(|error| input::read_error(path, compression, 0, error))?,
            ),
        };
        input = Input::new(path, decoded, compression);
        head = Vec::new();
        input.fill(&mut head, SNIFF)?;
        if compression_of(&head) != Compression::None {
            return Err(unrecognised(path, "the decompressed data is compressed again; decompress the file first"));
        }
    }
    if head.starts_with(b"PAR1") {
        return Err(Error::Source {
            path: path.to_path_buf(),
            place: "at byte 0".into(),
            message: if compression == Compression::None {
                "Parquet cannot be read from a stream (its schema is at the end of the file); give the file's path"
                    .into()
            } else {
                "this is a compressed Parquet file; decompress it first (Parquet compresses its own pages)".into()
            },
        });
    }
    if head.starts_with(LFS_POINTER) {
        return Err(Error::LfsPointer { path: path.to_path_buf() });
    }
    if let Some(encoding) = utf16_encoding(&head) {
        // Read as bytes, UTF-16 looks like CSV of one odd column, or like broken JSON.
        return Err(unrecognised(
            path,
            &format!("this looks like {encoding}, not UTF-8; re-encode it first (`iconv -f UTF-16 -t UTF-8`)"),
        ));
    }
    if let Some(what) = unsupported(&head) {
        // Known binary formats would otherwise be read as CSV of garbage.
        return Err(unrecognised(path, &format!("this is {what}, which dpolint does not read")));
    }

    let content = if head.starts_with(BOM) { BOM.len() } else { 0 };
    let first = loop {
        if let Some(at) = head[content..].iter().position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
            break Some(content + at);
        }
        // Only whitespace so far: past the limit it is JSONL (its reader skips blank lines, long
        // or not), so that no amount of it is held.
        if input.eof() || head.len() > max {
            break None;
        }
        let more = head.len();
        input.fill(&mut head, more)?;
    };
    let container = match first.map(|at| head[at]) {
        None | Some(b'{') => Container::Jsonl,
        Some(b'[') => Container::JsonArray,
        Some(_) => Container::Csv,
    };
    match (container, first) {
        (Container::JsonArray, _) => Ok(Box::new(array::ArrayReader::new(input, head, BLOCK, max))),
        (Container::Jsonl, Some(first)) => {
            if let Some(document) = whole_document(&mut input, &mut head, content, first, max)? {
                return Ok(Box::new(DocumentReader { batch: Some(document), compression }));
            }
            Ok(Box::new(jsonl::JsonlReader::new(input, head, BLOCK, max)))
        }
        (Container::Jsonl, None) => Ok(Box::new(jsonl::JsonlReader::new(input, head, BLOCK, max))),
        _ => open_csv(input, head),
    }
}

#[cfg(feature = "csv")]
fn open_csv(input: Input, head: Vec<u8>) -> Result<Box<dyn RecordReader>, Error> {
    let name = input.path().to_string_lossy().to_ascii_lowercase();
    let tab = [".tsv", ".tsv.gz", ".tsv.zst"].iter().any(|extension| name.ends_with(extension));
    Ok(Box::new(csv::CsvReader::new(input, head, if tab { b'\t' } else { b',' })?))
}

#[cfg(not(feature = "csv"))]
#[allow(clippy::needless_pass_by_value, reason = "the signature of the `csv` build's `open_csv`")]
fn open_csv(input: Input, _: Vec<u8>) -> Result<Box<dyn RecordReader>, Error> {
    Err(unrecognised(
        input.path(),
        "the format is not recognised: not JSONL (`{`), a JSON array (`[`), gzip, zstd or Parquet",
    ))
}

/// What a file is when its magic bytes name a format no reader here handles.
fn unsupported(head: &[u8]) -> Option<&'static str> {
    match head {
        [b'B', b'Z', b'h', b'1'..=b'9', ..] => Some("bzip2-compressed data (decompress it first: `bunzip2`)"),
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Some("xz-compressed data (decompress it first: `unxz`)"),
        [b'P', b'K', 3, 4, ..] => Some("a zip archive (extract it first)"),
        [b'A', b'R', b'R', b'O', b'W', b'1', ..] | [0xff, 0xff, 0xff, 0xff, ..] => {
            Some("an Arrow IPC file (convert it to Parquet or JSONL first)")
        }
        _ => None,
    }
}

fn unrecognised(path: &Path, message: &str) -> Error {
    Error::Source { path: path.to_path_buf(), place: "at byte 0".into(), message: message.into() }
}

/// When the input is one pretty-printed JSON object, reads it all and returns it as one record.
/// `first` is the offset of the first `{` in `head`, and `content` where the text starts (after a
/// byte order mark). Returns `None` (and leaves the bytes read in `head`) for JSONL. Reads at most
/// about `max` bytes past `first`: a first line longer than that is JSONL (its reader skips the
/// line), and a document longer than that is an [`Error::Source`].
fn whole_document(
    input: &mut Input,
    head: &mut Vec<u8>,
    content: usize,
    first: usize,
    max: usize,
) -> Result<Option<Batch>, Error> {
    // The first line of a document is only the start of a value: it fails to parse because it ends
    // too early. A line that parses, or fails any other way, is a JSONL record.
    let limit = first.saturating_add(max).saturating_add(1);
    let line_end = loop {
        if let Some(at) = memchr::memchr(b'\n', &head[first..]) {
            break first + at;
        }
        if input.eof() {
            break head.len();
        }
        if head.len() > limit {
            // One line longer than the limit (a `\r` before its line break aside).
            return Ok(None);
        }
        let more = head.len().min((limit - head.len()).saturating_add(1));
        input.fill(head, more)?;
    };
    let mut tape = Tape::default();
    match parse_line(head[first..line_end].trim_ascii_end(), &mut tape, MAX_DEPTH) {
        Err(error) if error.is_unexpected_end() => {}
        _ => return Ok(None),
    }
    // Read on while what was read is still the start of one value. A JSONL file whose first line is
    // broken fails this a line or two later, so only a real document is ever read whole. Only text up
    // to a line break is checked before the end: a line break never splits a token.
    loop {
        let end = if input.eof() { head.len() } else { memchr::memrchr(b'\n', head).map_or(0, |at| at + 1) };
        match validate_document(&head[content..end.max(content)], &mut tape, MAX_DEPTH) {
            Ok(()) if input.eof() => break,
            Err(error) if !error.is_unexpected_end() || input.eof() => return Ok(None),
            _ => {}
        }
        if head.len() - first > max {
            return Err(document_too_long(input.path(), first, max));
        }
        let more = head
            .len()
            .max(SNIFF)
            .min(first.saturating_add(max).saturating_add(SNIFF).saturating_sub(head.len()).max(SNIFF));
        input.fill(head, more)?;
    }
    let start = first;
    let end = head.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(head.len(), |at| at + 1);
    if end - start > max {
        return Err(document_too_long(input.path(), first, max));
    }
    let line = memchr::memchr_iter(b'\n', &head[..start]).count() as u64 + 1;
    let location = RecordLocation { line: Some(line), index: None };
    Ok(Some(Batch {
        data: std::mem::take(head),
        records: vec![RecordSpan { range: start..end, location, oversized: None }],
    }))
}

/// A pretty-printed single-object file longer than the limit on one record.
fn document_too_long(path: &Path, first: usize, max: usize) -> Error {
    Error::Source {
        path: path.to_path_buf(),
        place: format!("at byte {first}"),
        message: format!(
            "this looks like one pretty-printed JSON object longer than the limit of {} bytes on one record (`--max-line-bytes`): it was not read; raise the limit to convert it (memory grows with it)",
            crate::rules::record::thousands(max as u64)
        ),
    }
}

/// A file that is one JSON document: one record.
struct DocumentReader {
    batch: Option<Batch>,
    compression: Compression,
}

impl RecordReader for DocumentReader {
    fn container(&self) -> (Container, Compression) {
        (Container::JsonDocument, self.compression)
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, Error> {
        Ok(self.batch.take())
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::io::Write;

    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn records(reader: &mut dyn RecordReader) -> Result<Vec<(String, RecordLocation)>, Error> {
        let mut out = Vec::new();
        while let Some(batch) = reader.next_batch()? {
            out.extend(batch.iter().map(|(text, location)| (String::from_utf8_lossy(text).into_owned(), location)));
        }
        Ok(out)
    }

    fn line(text: &str, line: u64) -> (String, RecordLocation) {
        (text.to_string(), RecordLocation { line: Some(line), index: None })
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn place_of(error: &Error) -> String {
        match error {
            Error::Source { place, .. } => place.clone(),
            other => panic!("not a source error: {other}"),
        }
    }

    const JSONL: &[u8] = b"{\"a\":1}\n\n{\"b\":2}\r\n";

    #[test]
    fn plain_jsonl_by_content_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut reader = open(&write(&dir, "data.json", JSONL)).unwrap();
        assert_eq!(reader.container(), (Container::Jsonl, Compression::None));
        assert_eq!(records(reader.as_mut()).unwrap(), vec![line("{\"a\":1}", 1), line("{\"b\":2}", 3)]);
    }

    #[test]
    fn empty_and_blank_files_are_jsonl_without_records() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [("empty", &b""[..]), ("blank", b"\n \r\n\t"), ("bom", b"\xEF\xBB\xBF\n")] {
            let mut reader = open(&write(&dir, name, bytes)).unwrap();
            assert_eq!(reader.container(), (Container::Jsonl, Compression::None));
            assert!(records(reader.as_mut()).unwrap().is_empty());
        }
    }

    #[test]
    fn gzip_with_several_members() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = gzip(b"{\"a\":1}\n{\"b\"");
        bytes.extend(gzip(b":2}\n"));
        bytes.extend(gzip(b"{\"c\":3}"));
        let mut reader = open(&write(&dir, "no-extension", &bytes)).unwrap();
        assert_eq!(reader.container(), (Container::Jsonl, Compression::Gzip));
        assert_eq!(
            records(reader.as_mut()).unwrap(),
            vec![line("{\"a\":1}", 1), line("{\"b\":2}", 2), line("{\"c\":3}", 3)]
        );
    }

    #[test]
    fn truncated_gzip_is_a_source_error() {
        let dir = tempfile::tempdir().unwrap();
        let body: Vec<u8> = (0..2000).flat_map(|i| format!("{{\"i\":{i}}}\n").into_bytes()).collect();
        let bytes = gzip(&body);
        let path = write(&dir, "cut.jsonl.gz", &bytes[..bytes.len() / 2]);
        let error = match open(&path) {
            Ok(mut reader) => records(reader.as_mut()).unwrap_err(),
            Err(error) => error,
        };
        assert!(place_of(&error).contains("bytes of decompressed data"), "{error}");
        assert!(error.to_string().contains("gzip stream is truncated or corrupt"), "{error}");
    }

    #[test]
    fn zstd_frames_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = zstd::encode_all(&b"[{\"a\":1},"[..], 1).unwrap();
        bytes.extend(zstd::encode_all(&b" {\"b\":[2]}]"[..], 1).unwrap());
        let mut reader = open(&write(&dir, "data.zst", &bytes)).unwrap();
        assert_eq!(reader.container(), (Container::JsonArray, Compression::Zstd));
        let index = |text: &str, index| (text.to_string(), RecordLocation { line: None, index: Some(index) });
        assert_eq!(records(reader.as_mut()).unwrap(), vec![index("{\"a\":1}", 0), index("{\"b\":[2]}", 1)]);

        let body: Vec<u8> = (0..2000).flat_map(|i| format!("{{\"i\":{i}}}\n").into_bytes()).collect();
        let bytes = zstd::encode_all(&body[..], 1).unwrap();
        let path = write(&dir, "cut.zst", &bytes[..bytes.len() - 5]);
        let error = match open(&path) {
            Ok(mut reader) => records(reader.as_mut()).unwrap_err(),
            Err(error) => error,
        };
        assert!(error.to_string().contains("zstd stream is truncated or corrupt"), "{error}");
    }

    #[test]
    fn a_pretty_printed_object_is_one_record() {
        let dir = tempfile::tempdir().unwrap();
        let text = "\u{feff}\n{\n  \"prompt\": \"hi {\",\n  \"chosen\": [\n    1\n  ]\n}\n\n";
        let mut reader = open(&write(&dir, "one.json", text.as_bytes())).unwrap();
        assert_eq!(reader.container(), (Container::JsonDocument, Compression::None));
        let expected = "{\n  \"prompt\": \"hi {\",\n  \"chosen\": [\n    1\n  ]\n}";
        assert_eq!(records(reader.as_mut()).unwrap(), vec![line(expected, 2)]);

        // Compressed, through a stream, the same.
        let mut reader = open_stream(Path::new("-"), Box::new(std::io::Cursor::new(gzip(text.as_bytes())))).unwrap();
        assert_eq!(reader.container(), (Container::JsonDocument, Compression::Gzip));
        assert_eq!(records(reader.as_mut()).unwrap(), vec![line(expected, 2)]);
    }

    #[test]
    fn a_broken_first_line_is_still_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        for (text, expected) in [
            // Cut short, then more records: not one document.
            ("{\"a\": [1,\n{\"b\":2}\n", vec![line("{\"a\": [1,", 1), line("{\"b\":2}", 2)]),
            // Two pretty-printed objects.
            ("{\n}\n{\n}\n", vec![line("{", 1), line("}", 2), line("{", 3), line("}", 4)]),
            // A single line that does not parse.
            ("{\"a\" 1}", vec![line("{\"a\" 1}", 1)]),
            // A document that never closes.
            ("{\n\"a\": 1\n", vec![line("{", 1), line("\"a\": 1", 2)]),
        ] {
            let mut reader = open(&write(&dir, "x.jsonl", text.as_bytes())).unwrap();
            assert_eq!(reader.container(), (Container::Jsonl, Compression::None), "{text:?}");
            assert_eq!(records(reader.as_mut()).unwrap(), expected, "{text:?}");
        }
    }

    #[test]
    fn a_large_document_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut body = String::new();
        for i in 0..20_000 {
            write!(body, "  \"k{i}\": [\n    \"{i}\"\n  ],\n").unwrap();
        }
        let text = format!("{{\n{body}  \"end\": 0\n}}");
        let mut reader = open(&write(&dir, "big.json", text.as_bytes())).unwrap();
        assert_eq!(reader.container(), (Container::JsonDocument, Compression::None));
        assert_eq!(records(reader.as_mut()).unwrap(), vec![line(&text, 1)]);
    }

    #[test]
    fn a_document_over_the_limit_is_an_error_and_is_not_read_on() {
        let mut body = String::new();
        for i in 0..200 {
            write!(body, "  \"k{i}\": [\n    \"{i}\"\n  ],\n").unwrap();
        }
        let text = format!("\n{{\n{body}  \"end\": 0\n}}\n");
        let stream =
            |max| open_stream_limited(Path::new("big.json"), Box::new(std::io::Cursor::new(text.clone())), max);
        let error = stream(1024).err().unwrap();
        assert_eq!(place_of(&error), "at byte 1");
        assert!(
            error.to_string().contains("longer than the limit of 1,024 bytes on one record (`--max-line-bytes`)"),
            "{error}"
        );
        // At its own length (without the whitespace around it) it is read.
        let mut reader = stream(text.trim().len()).unwrap();
        assert_eq!(records(reader.as_mut()).unwrap(), vec![line(text.trim(), 2)]);
        assert!(stream(text.trim().len() - 1).is_err());
    }

    #[test]
    fn a_first_line_over_the_limit_is_skipped_not_held() {
        // One line longer than a block, then a record; then a long blank line before a record.
        let long = format!("{{\"k\": \"{}\"", "x".repeat(BLOCK + SNIFF));
        let text = format!("{long}\n{{\"a\":1}}\n");
        let mut reader = open_stream_limited(Path::new("-"), Box::new(std::io::Cursor::new(text)), 1024).unwrap();
        assert_eq!(reader.container(), (Container::Jsonl, Compression::None));
        let batch = reader.next_batch().unwrap().unwrap();
        assert_eq!(batch.records[0].oversized, Some(long.len() as u64));
        assert_eq!(batch.records[0].location.line, Some(1));
        // Only its first bytes were kept.
        assert_eq!(batch.data.len(), OVERSIZED_PREFIX);
        assert_eq!(records(reader.as_mut()).unwrap(), vec![line("{\"a\":1}", 2)]);

        let text = format!("{}\n\n{{\"a\":1}}\n", " ".repeat(300_000));
        let mut reader = open_stream_limited(Path::new("-"), Box::new(std::io::Cursor::new(text)), 1024).unwrap();
        assert_eq!(reader.container(), (Container::Jsonl, Compression::None));
        assert_eq!(records(reader.as_mut()).unwrap(), vec![line("{\"a\":1}", 3)]);
    }

    #[test]
    fn an_lfs_pointer_has_its_own_error() {
        let dir = tempfile::tempdir().unwrap();
        let pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
        let error = open(&write(&dir, "train.parquet", pointer)).err().unwrap();
        assert!(matches!(error, Error::LfsPointer { .. }), "{error}");
    }

    #[test]
    fn known_binary_formats_are_named() {
        for (bytes, what) in [(&b"BZh91AY&SY"[..], "bzip2"), (b"\xfd7zXZ\0\0", "xz"), (b"ARROW1\0\0", "Arrow IPC")] {
            let error = open_stream(Path::new("x"), Box::new(bytes)).err().unwrap();
            assert!(error.to_string().contains(what), "{error}");
        }
    }

    #[test]
    fn streams_cannot_hold_parquet() {
        let error = open_stream(Path::new("-"), Box::new(&b"PAR1\0\0\0\0PAR1"[..])).err().unwrap();
        assert!(error.to_string().contains("Parquet cannot be read from a stream"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_read_as_a_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        if !std::process::Command::new("mkfifo").arg(&path).status().is_ok_and(|status| status.success()) {
            return;
        }
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || std::fs::write(path, gzip(JSONL)).unwrap())
        };
        let mut reader = open(&path).unwrap();
        assert_eq!(reader.container(), (Container::Jsonl, Compression::Gzip));
        assert_eq!(records(reader.as_mut()).unwrap(), vec![line("{\"a\":1}", 1), line("{\"b\":2}", 3)]);
        writer.join().unwrap();
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = open(&dir.path().join("missing.jsonl")).err().unwrap();
        assert!(matches!(error, Error::Io { .. }), "{error}");
    }

    #[cfg(feature = "csv")]
    #[test]
    fn other_text_is_csv_and_tsv_follows_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut reader = open(&write(&dir, "pairs.csv", b"prompt,chosen\nhi,\"['a', 'b']\"\n")).unwrap();
        assert_eq!(reader.container(), (Container::Csv, Compression::None));
        assert_eq!(records(reader.as_mut()).unwrap(), vec![line(r#"{"prompt":"hi","chosen":["a","b"]}"#, 2)]);

        let mut reader = open(&write(&dir, "pairs.TSV.gz", &gzip(b"prompt\tchosen\nhi, there\t42\n"))).unwrap();
        assert_eq!(reader.container(), (Container::Csv, Compression::Gzip));
        assert_eq!(records(reader.as_mut()).unwrap(), vec![line(r#"{"prompt":"hi, there","chosen":"42"}"#, 2)]);
    }

    #[cfg(not(feature = "csv"))]
    #[test]
    fn other_text_is_not_recognised_without_csv() {
        let error = open_stream(Path::new("x.csv"), Box::new(&b"a,b\n1,2\n"[..])).err().unwrap();
        assert!(error.to_string().contains("not recognised"), "{error}");
    }
}
