//! `Error`: the tool could not do its job. Findings are never errors; they are [`crate::Diagnostic`]s.

use std::io;
use std::path::PathBuf;

/// Why a check could not run (exit code 2 on the command line). Every variant names the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A path could not be opened, read or listed.
    #[error("{}: {}", path.display(), describe_io(source))]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A dataset directory holds no `.jsonl` shard.
    #[error("{}: the directory holds no `.jsonl` shard to check", path.display())]
    NoShards {
        /// The directory.
        path: PathBuf,
    },
    /// A path is neither a file, a directory, nor `-`.
    #[error("{}: not a regular file or directory ({kind})", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// The file changed while it was being read (another process is writing or truncating it): its
    /// size differs, or a memory-mapped read went past its new end.
    #[error("{}: the file changed while it was being checked ({before} bytes when the check started, {after} at its end; reads past a truncation saw no data); check it again when nothing writes to it", path.display())]
    FileChanged {
        /// The file.
        path: PathBuf,
        /// Size when the check started.
        before: u64,
        /// Size when the check ended.
        after: u64,
    },
    /// The input is a Git LFS pointer file, not the data it points to.
    #[error("{}: this is a Git LFS pointer, not the dataset (the file holds only `version https://git-lfs...`); fetch the data with `git lfs pull` (or download it from the hub) and run again", path.display())]
    LfsPointer {
        /// The pointer file.
        path: PathBuf,
    },
    /// A source file could not be read as its container: a truncated gzip or zstd stream, a JSON
    /// array that breaks off, a Parquet file that cannot be decoded, ...
    #[error("{}: {message} ({place})", path.display())]
    Source {
        /// The file.
        path: PathBuf,
        /// Where reading stopped: "at byte 1048576", "in row group 3", "at line 12".
        place: String,
        /// What went wrong.
        message: String,
    },
    /// The output path is unusable (it is one of the inputs, or cannot be written).
    #[error("{}: {message}", path.display())]
    Output {
        /// The output path.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// No source layout fits the records (convert; exit code 1, not 2): the reason says what was
    /// seen and what to try.
    #[error("could not tell the source layout: {reason}")]
    LayoutNotDetected {
        /// What was seen, the candidates, and a `--from`/`--map` to try.
        reason: String,
    },
    /// The run was interrupted (Ctrl-C); nothing was written.
    #[error("interrupted: no output file was written")]
    Interrupted,
    /// A `--tokenizer` file could not be read or is not a Hugging Face `tokenizer.json`.
    #[error("{}: cannot load the tokenizer: {message}", path.display())]
    Tokenizer {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The options are not usable (an unknown rule selector, an unsupported target, ...).
    #[error("{0}")]
    InvalidOptions(String),
    /// A configuration file (`dpolint.toml`, `.dpolint.toml`, `[tool.dpolint]` in `pyproject.toml`)
    /// is not valid TOML, has an unknown key, or a key holds a bad value. The message names the key.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// The 1-based line of the offending key or value.
        line: usize,
        /// The 1-based column, counted in Unicode scalar values.
        column: usize,
        /// The dotted key (`severity.DPO104`, `tool.dpolint.selec`); `None` for a TOML syntax error.
        key: Option<String>,
        /// What is wrong, naming the key (and a fix when there is one).
        message: String,
    },
    /// Writing findings failed (the sink returned an error).
    #[error("could not write the report: {0}")]
    Report(#[source] io::Error),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }

    /// Whether this error is a closed output pipe (the command line exits quietly then).
    #[must_use]
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Report(error) if error.kind() == io::ErrorKind::BrokenPipe)
    }
}

fn describe_io(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => error.to_string(),
    }
}
