//! Memory-mapped reading of regular files, in windows. This is the crate's only `unsafe` code.
//!
//! Windows (not one map of the whole file) keep resident memory flat: each window is unmapped once
//! its chunks are checked, so an 8 GB file never shows up as 8 GB resident.

#![allow(unsafe_code)]

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::ops::Range;

use memchr::memrchr;
use memmap2::{Advice, Mmap, MmapOptions};

use super::{STREAM_BLOCK, Segment, SegmentBytes, SegmentReader, StreamReader};

/// Map offsets must be page-aligned; 64 KiB is a multiple of every page size in use.
const ALIGNMENT: u64 = 64 * 1024;

/// One mapped window, trimmed to complete lines.
pub(crate) struct Window {
    map: Mmap,
    /// The segment's bytes within the map (the map starts at an aligned offset before them).
    range: Range<usize>,
}

impl Window {
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.map[self.range.clone()]
    }

    pub(crate) fn prefault(&self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        // Errors (an old kernel without MADV_POPULATE_READ) only cost speed: the pages fault in
        // normally as the parser reads them.
        #[cfg(target_os = "linux")]
        let _ = self.map.advise_range(Advice::PopulateRead, self.range.start + range.start, range.len());
        #[cfg(not(target_os = "linux"))]
        let _ = self.map.advise_range(Advice::WillNeed, self.range.start + range.start, range.len());
    }
}

/// Reads a regular file as a sequence of mapped windows holding complete lines.
pub(crate) struct MappedFile {
    file: File,
    len: u64,
    position: u64,
    window: usize,
    /// Set when a map failed (a file system without mmap, address space exhausted): the rest of the
    /// file is read with `read` from where the maps stopped.
    fallback: Option<StreamReader<File>>,
}

impl MappedFile {
    /// Prepares to map `file` of `len` bytes in windows of about `window` bytes.
    pub(crate) fn new(file: File, len: u64, window: usize) -> Self {
        MappedFile { file, len, position: 0, window, fallback: None }
    }

    fn map(&self, offset: u64, len: usize) -> io::Result<Mmap> {
        // SAFETY: mapping a file is unsafe because the bytes can change under us if another process
        // writes the file, and reading a page past a concurrent truncation raises SIGBUS. dpolint maps
        // only regular files the user asked it to check, reads them once, never writes them, and
        // compares the file's size before and after the check (a size change is reported as an
        // error naming the file). Callers that cannot accept the truncation risk turn maps off
        // (`Options::memory_map = false`, `--no-mmap`), which reads the file with `read` instead.
        unsafe { MmapOptions::new().offset(offset).len(len).map(&self.file) }
    }
}

impl MappedFile {
    fn fall_back<'a>(&mut self) -> io::Result<Option<Segment<'a>>> {
        let mut file = self.file.try_clone()?;
        file.seek(SeekFrom::Start(self.position))?;
        let fallback = self.fallback.insert(StreamReader::starting_at(file, STREAM_BLOCK, self.position));
        fallback.next_segment()
    }
}

impl<'a> SegmentReader<'a> for MappedFile {
    fn next_segment(&mut self) -> io::Result<Option<Segment<'a>>> {
        if let Some(fallback) = &mut self.fallback {
            return fallback.next_segment();
        }
        if self.position >= self.len {
            return Ok(None);
        }
        let aligned = self.position - self.position % ALIGNMENT;
        let skip = (self.position - aligned) as usize;
        let mut wanted = self.window as u64;
        loop {
            let map_len = (self.len - aligned).min(skip as u64 + wanted);
            let reaches_end = aligned + map_len == self.len;
            let Ok(map) = self.map(aligned, map_len as usize) else {
                return self.fall_back();
            };
            let end = if reaches_end { Some(map.len()) } else { memrchr(b'\n', &map[skip..]).map(|i| skip + i + 1) };
            if let Some(end) = end {
                self.position = aligned + end as u64;
                let base = aligned + skip as u64;
                return Ok(Some(Segment {
                    bytes: SegmentBytes::Mapped(std::sync::Arc::new(Window { map, range: skip..end })),
                    base,
                }));
            }
            // A line longer than the window: map a bigger one.
            wanted *= 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn windows_hold_complete_lines_and_cover_the_file() {
        let mut file = tempfile::tempfile().unwrap();
        let mut text = Vec::new();
        for i in 0..20_000 {
            text.extend_from_slice(format!("line {i} {}\n", "x".repeat(i % 97)).as_bytes());
        }
        text.extend_from_slice(&vec![b'y'; 300_000]);
        text.extend_from_slice(b"\nlast");
        file.write_all(&text).unwrap();
        let mut reader = MappedFile::new(file, text.len() as u64, 100_000);
        let mut joined = Vec::new();
        while let Some(segment) = reader.next_segment().unwrap() {
            assert_eq!(segment.base as usize, joined.len());
            let bytes = segment.as_slice();
            segment.prefault(0..bytes.len());
            joined.extend_from_slice(bytes);
            assert!(bytes.ends_with(b"\n") || joined.len() == text.len());
        }
        assert_eq!(joined, text);
    }

    #[test]
    fn a_failed_map_falls_back_to_reading_from_the_same_place() {
        let mut file = tempfile::tempfile().unwrap();
        let text: Vec<u8> = (0..50_000).flat_map(|i| format!("record {i}\n").into_bytes()).collect();
        file.write_all(&text).unwrap();
        let mut reader = MappedFile::new(file, text.len() as u64, 100_000);
        let first = reader.next_segment().unwrap().unwrap();
        let mut joined = first.as_slice().to_vec();
        // As if the next map failed.
        let mut next = reader.fall_back().unwrap();
        while let Some(segment) = next {
            assert_eq!(segment.base as usize, joined.len());
            joined.extend_from_slice(segment.as_slice());
            next = reader.next_segment().unwrap();
        }
        assert_eq!(joined, text);
    }
}
