//! Turning what the user named into datasets: a file, a directory of shards, or a stream.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::source::{STREAM_BLOCK, StreamReader};

/// One dataset: the unit that example limits and duplicate detection apply to.
pub(crate) struct Dataset<'a> {
    /// The path as the user wrote it (`<stdin>` for standard input).
    pub display: String,
    pub shards: Vec<Shard<'a>>,
    /// Directory entries that break the shard rules (DPO405), in name order.
    pub layout_problems: Vec<LayoutProblem>,
}

/// A directory entry that is not a lintable shard.
pub(crate) struct LayoutProblem {
    pub display: String,
    pub message: &'static str,
    pub help: &'static str,
}

/// One file of a dataset.
pub(crate) enum Shard<'a> {
    File { path: PathBuf, display: String },
    Bytes { display: String, bytes: &'a [u8] },
    Stream { display: String, reader: StreamReader<Box<dyn Read + Send + 'a>> },
}

impl Shard<'_> {
    pub(crate) fn display(&self) -> &str {
        match self {
            Shard::File { display, .. } | Shard::Bytes { display, .. } | Shard::Stream { display, .. } => display,
        }
    }

    /// The first bytes (at most `len`), without consuming a stream.
    pub(crate) fn head(&mut self, len: usize) -> Result<Vec<u8>, Error> {
        match self {
            Shard::File { path, .. } => {
                let mut file = fs::File::open(&*path).map_err(|error| Error::io(&*path, error))?;
                let mut head = Vec::with_capacity(len);
                file.by_ref().take(len as u64).read_to_end(&mut head).map_err(|error| Error::io(&*path, error))?;
                Ok(head)
            }
            Shard::Bytes { bytes, .. } => Ok(bytes[..len.min(bytes.len())].to_vec()),
            Shard::Stream { display, reader } => {
                reader.peek(len).map(<[u8]>::to_vec).map_err(|error| Error::io(&*display, error))
            }
        }
    }
}

/// Resolves a command-line PATH: `-` (standard input), a file, a FIFO, or a directory of shards.
pub(crate) fn resolve_path(path: &Path) -> Result<Dataset<'static>, Error> {
    let display = path.display().to_string();
    if path == Path::new("-") {
        let reader: Box<dyn Read + Send> = Box::new(io::stdin());
        let display = "<stdin>".to_string();
        return Ok(Dataset {
            display: display.clone(),
            shards: vec![Shard::Stream { display, reader: StreamReader::new(reader, STREAM_BLOCK) }],
            layout_problems: Vec::new(),
        });
    }
    let metadata = fs::metadata(path).map_err(|error| Error::io(path, error))?;
    if metadata.is_file() {
        return Ok(Dataset {
            display: display.clone(),
            shards: vec![Shard::File { path: path.to_path_buf(), display }],
            layout_problems: Vec::new(),
        });
    }
    if metadata.is_dir() {
        return resolve_directory(path, display);
    }
    match special_kind(&metadata) {
        Some("FIFO") => {
            // A named pipe is read as a stream, like standard input.
            let file = fs::File::open(path).map_err(|error| Error::io(path, error))?;
            let reader: Box<dyn Read + Send> = Box::new(file);
            Ok(Dataset {
                display: display.clone(),
                shards: vec![Shard::Stream { display, reader: StreamReader::new(reader, STREAM_BLOCK) }],
                layout_problems: Vec::new(),
            })
        }
        kind => Err(Error::NotAFile { path: path.to_path_buf(), kind: kind.unwrap_or("special file") }),
    }
}

/// What kind of special file this is (`None` for a regular file or directory, or where unknown).
#[cfg(unix)]
pub(crate) fn special_kind(metadata: &fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let file_type = metadata.file_type();
    if file_type.is_fifo() {
        Some("FIFO")
    } else if file_type.is_char_device() {
        Some("character device")
    } else if file_type.is_block_device() {
        Some("block device")
    } else if file_type.is_socket() {
        Some("socket")
    } else {
        None
    }
}

#[cfg(not(unix))]
pub(crate) fn special_kind(_: &fs::Metadata) -> Option<&'static str> {
    None
}

/// Lists a dataset directory: top-level regular `.jsonl` files are shards, in byte order of their
/// names; every other entry is a DPO405 problem and is not read.
fn resolve_directory(path: &Path, display: String) -> Result<Dataset<'static>, Error> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(path).map_err(|error| Error::io(path, error))? {
        let entry = entry.map_err(|error| Error::io(path, error))?;
        let file_type = entry.file_type().map_err(|error| Error::io(entry.path(), error))?;
        entries.push((entry.file_name(), entry.path(), file_type));
    }
    entries.sort_by(|a, b| a.0.as_encoded_bytes().cmp(b.0.as_encoded_bytes()));

    let mut shards = Vec::new();
    let mut layout_problems = Vec::new();
    let mut named_jsonl = 0;
    for (name, entry_path, file_type) in entries {
        let name_text = name.to_string_lossy().into_owned();
        let entry_display = entry_path.display().to_string();
        // Exactly `.jsonl`, lowercase: the upload tools match the extension case-sensitively.
        #[allow(clippy::case_sensitive_file_extension_comparisons)]
        let is_jsonl = name_text.ends_with(".jsonl") && name_text.len() > ".jsonl".len();
        named_jsonl += usize::from(is_jsonl);
        let problem: Option<(&str, &str)> = if file_type.is_symlink() {
            Some((
                "a symbolic link: shards must be regular files",
                "copy the file into the directory instead of linking it",
            ))
        } else if file_type.is_dir() {
            Some((
                "a subdirectory: a dataset directory holds only top-level `.jsonl` shards",
                "move the subdirectory's shards up, or check it as its own dataset",
            ))
        } else if name_text.starts_with('.') {
            Some((
                "a hidden file: a dataset directory holds only `.jsonl` shards",
                "delete it or move it out of the dataset directory",
            ))
        } else if !is_jsonl {
            let hint = if name_text.to_ascii_lowercase().ends_with(".jsonl") {
                "rename it with a lowercase `.jsonl` extension"
            } else {
                "only `.jsonl` shards belong in a dataset directory: move it out, or rename it if it is a shard"
            };
            Some(("the name does not end in `.jsonl`: not a shard, so it was not checked", hint))
        } else if !file_type.is_file() {
            Some(("not a regular file", "replace it with a regular `.jsonl` file"))
        } else if fs::metadata(&entry_path).map_err(|error| Error::io(&entry_path, error))?.len() == 0 {
            Some(("an empty shard: empty files are not allowed in a dataset directory", "delete the empty shard"))
        } else {
            None
        };
        match problem {
            Some((message, help)) => layout_problems.push(LayoutProblem { display: entry_display, message, help }),
            None => shards.push(Shard::File { path: entry_path, display: entry_display }),
        }
    }
    if named_jsonl == 0 {
        return Err(Error::NoShards { path: path.to_path_buf() });
    }
    Ok(Dataset { display, shards, layout_problems })
}
