//! Memory-mapped reading of regular files, in windows. This module and its `guard` are the
//! crate's only `unsafe` code.
//!
//! Windows (not one map of the whole file) keep resident memory flat: each window is unmapped once
//! its chunks are checked, so an 8 GB file never shows up as 8 GB resident. A file that another
//! process truncates while it is mapped does not crash the process: see [`guard`].

#![allow(unsafe_code)]

#[cfg(unix)]
mod guard;

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use memchr::memrchr;
use memmap2::{Advice, Mmap, MmapOptions};

use super::{LongLineScan, STREAM_BLOCK, Segment, SegmentBytes, SegmentReader, StreamReader};

/// Map offsets must be page-aligned; 64 KiB is a multiple of every page size in use.
const ALIGNMENT: u64 = 64 * 1024;

/// Without SIGBUS (Windows cannot truncate a mapped file) there is nothing to guard against.
#[cfg(not(unix))]
mod guard {
    pub(crate) struct Registration;

    impl Registration {
        pub(crate) fn new(_start: *const u8, _len: usize) -> Option<Registration> {
            Some(Registration)
        }

        pub(crate) fn faulted(&self) -> bool {
            false
        }
    }
}

/// One mapped window, trimmed to complete lines.
pub(crate) struct Window {
    /// Declared before `map`: the window is unregistered before it is unmapped.
    registration: guard::Registration,
    map: Mmap,
    /// The segment's bytes within the map (the map starts at an aligned offset before them).
    range: Range<usize>,
    /// The file's flag: set when a read in this window went past the end of the file.
    changed: Arc<AtomicBool>,
}

impl Drop for Window {
    fn drop(&mut self) {
        if self.registration.faulted() {
            self.changed.store(true, Ordering::Release);
        }
    }
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
    /// Set when a map failed (a file system without mmap, address space exhausted, no free guard
    /// slot): the rest of the file is read with `read` from where the maps stopped.
    fallback: Option<StreamReader<File>>,
    /// Set when the file shrank under a window: its reads past the end saw zeros.
    changed: Arc<AtomicBool>,
    /// Lines longer than this are skipped as [`SegmentBytes::Oversized`].
    max_line: usize,
}

impl MappedFile {
    /// Prepares to map `file` of `len` bytes in windows of about `window` bytes.
    pub(crate) fn new(file: File, len: u64, window: usize) -> Self {
        MappedFile { file, len, position: 0, window, fallback: None, changed: Arc::default(), max_line: usize::MAX }
    }

    /// Skips lines longer than `max_line` bytes instead of mapping them whole.
    pub(crate) fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// The line at `position` is longer than the limit: reads on to its end with `read`, one block
    /// at a time, and returns it as skipped.
    fn skip_long_line<'a>(&mut self) -> io::Result<Segment<'a>> {
        let mut file = self.file.try_clone()?;
        file.seek(SeekFrom::Start(self.position))?;
        let mut scan = LongLineScan::new();
        let mut block = vec![0; STREAM_BLOCK];
        let terminated = loop {
            let read = match file.read(&mut block) {
                Ok(0) => break false,
                Ok(read) => read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if scan.feed(&block[..read]).is_some() {
                break true;
            }
        };
        let line = scan.finish(terminated);
        let base = self.position;
        self.position += line.input_len();
        Ok(Segment { bytes: SegmentBytes::Oversized(line), base })
    }

    /// The file's size when it was opened.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Starts over, to map the whole file as one window (to read it as one JSON document).
    pub(crate) fn rewind_whole(&mut self) {
        self.position = 0;
        self.window = usize::try_from(self.len).unwrap_or(usize::MAX);
        self.fallback = None;
    }

    /// Whether another process truncated the file while one of its windows was mapped (known once
    /// the windows read so far are dropped). The bytes read past the new end were zeros, not data:
    /// the check of this file is void.
    pub(crate) fn changed(&self) -> bool {
        self.changed.load(Ordering::Acquire)
    }

    fn map(&self, offset: u64, len: usize) -> io::Result<Mmap> {
        // SAFETY: mapping a file is unsafe because the bytes can change under us if another process
        // writes the file, and reading a page past a concurrent truncation raises SIGBUS. dpolint maps
        // only regular files the user asked it to check, reads them once and never writes them;
        // every window is registered with `guard` before it is read, whose SIGBUS handler turns
        // such reads into zeros and flags the file, and the file's size is compared before and
        // after the check: either is reported as an error naming the file. `--no-mmap` reads files
        // with `read` instead.
        unsafe { MmapOptions::new().offset(offset).len(len).map(&self.file) }
    }
}

impl MappedFile {
    fn fall_back<'a>(&mut self) -> io::Result<Option<Segment<'a>>> {
        let mut file = self.file.try_clone()?;
        file.seek(SeekFrom::Start(self.position))?;
        let fallback = self
            .fallback
            .insert(StreamReader::starting_at(file, STREAM_BLOCK, self.position).with_max_line(self.max_line));
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
            let Some(registration) = guard::Registration::new(map.as_ptr(), map.len()) else {
                return self.fall_back();
            };
            let last_newline = memrchr(b'\n', &map[skip..]).map(|i| skip + i + 1);
            // The bytes after the last newline: the start of a line (all of it at the end).
            let tail = map.len() - last_newline.unwrap_or(skip);
            let end = match last_newline {
                // At the end of the file, the last line comes too unless it is over the limit.
                _ if reaches_end && tail <= self.max_line => Some(map.len()),
                Some(end) => Some(end),
                // The line at `position` is longer than the limit: skip it, do not map it whole.
                None if tail > self.max_line => {
                    drop(registration);
                    drop(map);
                    return self.skip_long_line().map(Some);
                }
                None => None,
            };
            if let Some(end) = end {
                self.position = aligned + end as u64;
                let base = aligned + skip as u64;
                return Ok(Some(Segment {
                    bytes: SegmentBytes::Mapped(Arc::new(Window {
                        registration,
                        map,
                        range: skip..end,
                        changed: Arc::clone(&self.changed),
                    })),
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

    #[cfg(unix)]
    #[test]
    fn a_file_truncated_under_its_map_reads_as_zeros_and_is_flagged() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let text: Vec<u8> = (0..100_000).flat_map(|i| format!("record {i}\n").into_bytes()).collect();
        file.write_all(&text).unwrap();
        let mut reader = MappedFile::new(file.reopen().unwrap(), text.len() as u64, 1 << 20);
        let segment = reader.next_segment().unwrap().unwrap();
        // Another process cuts the file to 10,000 bytes: without the guard, the read below would
        // raise SIGBUS and kill the test process.
        file.as_file().set_len(10_000).unwrap();
        let bytes = segment.as_slice();
        let past_the_end = &bytes[bytes.len() - 100..];
        assert!(past_the_end.iter().all(|&b| b == 0), "reads past the new end see zeros");
        assert_eq!(&bytes[..1000], &text[..1000], "the pages before it are the file's");
        assert!(!reader.changed(), "known once the window is dropped");
        drop(segment);
        assert!(reader.changed());
    }

    /// The body of the next test, run in a child process: a read past the end of a truncated map
    /// that is not one of the guarded windows must still kill the process, as it would without
    /// the guard.
    #[cfg(unix)]
    #[test]
    fn sigbus_child() {
        if std::env::var_os("DPOLINT_SIGBUS_CHILD").is_none() {
            return;
        }
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&vec![b'x'; 100_000]).unwrap();
        // A guarded window, so that the handler is installed.
        let mut reader = MappedFile::new(file.try_clone().unwrap(), 100_000, 1 << 20);
        let _segment = reader.next_segment().unwrap().unwrap();
        // SAFETY: the test wants the SIGBUS this map raises once the file is truncated.
        let unguarded = unsafe { memmap2::Mmap::map(&file).unwrap() };
        file.set_len(0).unwrap();
        let byte = std::hint::black_box(&unguarded[90_000]);
        println!("read {byte} without a signal");
        std::process::exit(0);
    }

    #[cfg(unix)]
    #[test]
    fn other_sigbus_signals_still_terminate_the_process() {
        use std::os::unix::process::ExitStatusExt;
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "source::map::tests::sigbus_child", "--nocapture", "--test-threads", "1"])
            .env("DPOLINT_SIGBUS_CHILD", "1")
            .status()
            .unwrap();
        assert_eq!(status.signal(), Some(libc::SIGBUS), "{status:?}");
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
