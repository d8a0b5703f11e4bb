//! The byte stream under every container: a (possibly decompressed) reader that fills buffers in
//! large blocks and turns its errors into [`Error`]s that say whose fault they are.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::Compression;
use crate::Error;

/// A read error of the file or stream itself, as opposed to a decompressor's complaint about the bytes.
/// It is wrapped around the raw reader's errors so that they keep their meaning (an `Error::Io`)
/// after passing through a decompressor, which forwards its input's errors unchanged.
#[derive(Debug)]
struct RawError(io::Error);

impl fmt::Display for RawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for RawError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// A reader whose errors are marked as the raw input's (see [`RawError`]).
pub(super) struct Tagged<R>(pub R);

impl<R: Read> Read for Tagged<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|error| {
            // `Interrupted` must stay recognisable: callers retry on it.
            if error.kind() == io::ErrorKind::Interrupted {
                error
            } else {
                io::Error::new(error.kind(), RawError(error))
            }
        })
    }
}

/// The original error when `error` came from the raw input, else `error` unchanged.
fn untag(error: io::Error) -> Result<io::Error, io::Error> {
    if !error.get_ref().is_some_and(<dyn std::error::Error + Send + Sync>::is::<RawError>) {
        return Err(error);
    }
    let kind = error.kind();
    match error.into_inner().map(<dyn std::error::Error + Send + Sync>::downcast::<RawError>) {
        Some(Ok(raw)) => Ok(raw.0),
        Some(Err(other)) => Err(io::Error::new(kind, other)),
        None => Err(io::Error::from(kind)),
    }
}

/// The error for a failed read: the input's own failures are `Error::Io`; a decompressor's are
/// `Error::Source` (the compressed stream is truncated or corrupt), placed after `offset` bytes of
/// decompressed data.
pub(super) fn read_error(path: &Path, compression: Compression, offset: u64, error: io::Error) -> Error {
    let error = match untag(error) {
        Ok(raw) => return Error::io(path, raw),
        Err(error) => error,
    };
    let name = match compression {
        Compression::None => return Error::io(path, error),
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
    };
    Error::Source {
        path: path.to_path_buf(),
        place: format!("after {offset} bytes of decompressed data"),
        message: format!("the {name} stream is truncated or corrupt: {error}"),
    }
}

/// A byte stream read in blocks.
pub(super) struct Input {
    reader: Box<dyn Read + Send>,
    path: PathBuf,
    compression: Compression,
    /// Bytes read so far.
    offset: u64,
    /// Whether the end was reached.
    eof: bool,
}

impl Input {
    pub(super) fn new(path: &Path, reader: Box<dyn Read + Send>, compression: Compression) -> Input {
        Input { reader, path: path.to_path_buf(), compression, offset: 0, eof: false }
    }

    /// Appends up to `want` bytes to `buf`, fewer only at the end of the input (short reads of
    /// pipes and decompressors are retried). Returns how many were appended.
    pub(super) fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> Result<usize, Error> {
        if self.eof || want == 0 {
            return Ok(0);
        }
        buf.reserve(want);
        // `read_to_end` over `take` loops until `want` bytes or the end, and reads into the spare
        // capacity without zeroing it first where the reader allows.
        let read = match (&mut self.reader).take(want as u64).read_to_end(buf) {
            Ok(read) => read,
            Err(error) => return Err(read_error(&self.path, self.compression, self.offset, error)),
        };
        self.offset += read as u64;
        if read < want {
            self.eof = true;
        }
        Ok(read)
    }

    /// Whether the end of the input was reached.
    pub(super) fn eof(&self) -> bool {
        self.eof
    }

    /// The file's path (or the stream's name), for errors.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn compression(&self) -> Compression {
        self.compression
    }

    /// The rest of the stream, `head` first, for readers that need a plain [`Read`].
    pub(super) fn into_reader(self, head: Vec<u8>) -> Box<dyn Read + Send> {
        Box::new(io::Cursor::new(head).chain(self.reader))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing;

    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::PermissionDenied, "denied"))
        }
    }

    #[test]
    fn raw_errors_stay_io_errors_through_a_decompressor() {
        let decoder = flate2::read::MultiGzDecoder::new(Tagged(Failing));
        let mut input = Input::new(Path::new("x.gz"), Box::new(decoder), Compression::Gzip);
        let error = input.fill(&mut Vec::new(), 10).unwrap_err();
        assert!(matches!(error, Error::Io { ref source, .. } if source.kind() == io::ErrorKind::PermissionDenied));
    }
}
