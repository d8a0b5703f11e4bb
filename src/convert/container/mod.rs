//! Containers: everything between a path on disk and "one record as JSON object text".
//!
//! A source file is sniffed by its magic bytes (not its extension) and read as a stream of
//! [`Batch`]es: JSONL (optionally gzip- or zstd-compressed), a JSON array (streamed element by
//! element, never loaded whole), a single pretty-printed JSON object, Parquet (behind the `parquet`
//! feature) or CSV (behind the `csv` feature). Every record arrives as the bytes of one JSON value
//! with its source location; the layouts and the converter never see the container.

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
    pub range: Range<usize>,
    pub location: RecordLocation,
}

/// Consecutive records of one file, in order. `data` holds their JSON texts (JSONL lines without
/// their line endings, array elements, or JSON rendered from Parquet/CSV rows).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    pub data: Vec<u8>,
    pub records: Vec<RecordSpan>,
}

/// The container a file was recognised as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Jsonl,
    JsonArray,
    /// One JSON object spread over several lines: one record.
    JsonDocument,
    Parquet,
    Csv,
}

/// A compression wrapped around the container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
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
