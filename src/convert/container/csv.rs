//! CSV and TSV: the header row names the keys, and each row becomes one JSON object.

use std::path::PathBuf;

use super::input::{Input, read_error};
use super::{BLOCK, Batch, Compression, Container, MAX_DEPTH, RecordLocation, RecordReader, RecordSpan};
use crate::Error;
use crate::parse::{Tape, validate_document};

/// Reads a CSV (or TSV) file with a header row. Each row is rendered as a JSON object keyed by the
/// header: cells stay JSON strings (`"42"` is not guessed to be a number); a cell whose trimmed text
/// starts with `[` or `{` is nested data, read as JSON, else as a Python literal (pandas writes
/// lists and dicts with `str()`), else kept as a string. `line` is the row's first line.
pub(super) struct CsvReader {
    reader: ::csv::Reader<Box<dyn std::io::Read + Send>>,
    path: PathBuf,
    compression: Compression,
    /// Each header cell as a JSON string, with the `:` after it.
    keys: Vec<Vec<u8>>,
    record: ::csv::ByteRecord,
    tape: Tape,
    done: bool,
}

impl CsvReader {
    /// A reader of `input`, whose first bytes were already read into `head`, with `delimiter`
    /// between cells.
    pub(super) fn new(input: Input, head: Vec<u8>, delimiter: u8) -> Result<CsvReader, Error> {
        let path = input.path().to_path_buf();
        let compression = input.compression();
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .buffer_capacity(1 << 16)
            .from_reader(input.into_reader(head));
        let headers = reader.byte_headers().map_err(|error| csv_error(&path, compression, 0, error))?;
        let keys = headers
            .iter()
            .map(|key| {
                let mut text = Vec::with_capacity(key.len() + 3);
                push_json_string(&mut text, key);
                text.push(b':');
                text
            })
            .collect();
        Ok(CsvReader {
            reader,
            path,
            compression,
            keys,
            record: ::csv::ByteRecord::new(),
            tape: Tape::default(),
            done: false,
        })
    }
}

/// Appends the JSON form of one cell.
fn push_cell(tape: &mut Tape, out: &mut Vec<u8>, cell: &[u8]) {
    let trimmed = cell.trim_ascii();
    if let Some(b'[' | b'{') = trimmed.first()
        && let Ok(text) = std::str::from_utf8(trimmed)
    {
        if validate_document(trimmed, tape, MAX_DEPTH).is_ok() {
            // Line breaks can only sit between tokens here (JSON strings hold none raw): make
            // them spaces so the record stays one line of JSON.
            out.extend(trimmed.iter().map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }));
            return;
        }
        if super::python::to_json(text, out) {
            return;
        }
    }
    push_json_string(out, cell);
}

/// The error for a failed CSV read; `offset` is about where the reader was (for decompression errors).
fn csv_error(path: &std::path::Path, compression: Compression, offset: u64, error: ::csv::Error) -> Error {
    let place = error.position().map(|position| format!("at line {}", position.line()));
    let message = error.to_string();
    match error.into_kind() {
        ::csv::ErrorKind::Io(error) => read_error(path, compression, offset, error),
        ::csv::ErrorKind::UnequalLengths { pos, expected_len, len } => Error::Source {
            path: path.to_path_buf(),
            place: pos.map_or_else(|| "in a row".to_string(), |position| format!("at line {}", position.line())),
            message: format!("the row has {len} cells, the header has {expected_len}"),
        },
        _ => Error::Source {
            path: path.to_path_buf(),
            place: place.unwrap_or_else(|| "in a row".to_string()),
            message: format!("could not read the CSV: {message}"),
        },
    }
}

/// Appends `bytes` as a JSON string. Bytes that are not UTF-8 pass through unchanged, so that the
/// record fails to parse (and is reported) instead of being silently repaired.
fn push_json_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let mut start = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..0x20 => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..at]);
        if escape.is_empty() {
            out.extend_from_slice(format!("\\u{byte:04x}").as_bytes());
        } else {
            out.extend_from_slice(escape);
        }
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

impl RecordReader for CsvReader {
    fn container(&self) -> (Container, Compression) {
        (Container::Csv, self.compression)
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, Error> {
        if self.done {
            return Ok(None);
        }
        let mut data = Vec::new();
        let mut records = Vec::new();
        let mut record = std::mem::take(&mut self.record);
        while data.len() < BLOCK {
            match self.reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(error) => {
                    return Err(csv_error(&self.path, self.compression, self.reader.position().byte(), error));
                }
            }
            let start = data.len();
            data.push(b'{');
            for (number, (key, cell)) in self.keys.iter().zip(record.iter()).enumerate() {
                if number > 0 {
                    data.push(b',');
                }
                data.extend_from_slice(key);
                push_cell(&mut self.tape, &mut data, cell);
            }
            data.push(b'}');
            let line = record.position().map(::csv::Position::line);
            records.push(RecordSpan {
                range: start..data.len(),
                location: RecordLocation { line, index: None },
                oversized: None,
            });
        }
        self.record = record;
        Ok(if records.is_empty() { None } else { Some(Batch { data, records }) })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::path::Path;

    use super::*;

    fn read_all(text: &str, delimiter: u8) -> Result<Vec<(String, u64)>, Error> {
        let input = Input::new(Path::new("t.csv"), Box::new(Cursor::new(text.as_bytes().to_vec())), Compression::None);
        let mut reader = CsvReader::new(input, Vec::new(), delimiter)?;
        let mut out = Vec::new();
        while let Some(batch) = reader.next_batch()? {
            for (text, location) in batch.iter() {
                let text = String::from_utf8(text.to_vec()).unwrap();
                serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
                out.push((text, location.line.unwrap()));
            }
        }
        Ok(out)
    }

    #[test]
    fn scalars_stay_strings_and_json_cells_are_parsed() {
        let text = "\u{feff}prompt,chosen,n,flag,empty\n\"a, \"\"b\"\"\",\"[{\"\"role\"\":\"\"assistant\"\",\"\"content\"\":\"\"x\"\"}]\",42,True,\n\"multi\nline\",\" {\"\"k\"\": [1,\n2]} \",0.5,false,\n";
        let rows = read_all(text, b',').unwrap();
        assert_eq!(
            rows,
            vec![
                (
                    r#"{"prompt":"a, \"b\"","chosen":[{"role":"assistant","content":"x"}],"n":"42","flag":"True","empty":""}"#.to_string(),
                    2
                ),
                (r#"{"prompt":"multi\nline","chosen":{"k": [1, 2]},"n":"0.5","flag":"false","empty":""}"#.to_string(), 3),
            ]
        );
    }

    #[test]
    fn python_repr_cells() {
        let text = concat!(
            "chosen\trejected\tnote\n",
            "[{'role': 'user', 'content': \"it's\"}, {'role': 'assistant', 'content': 'ok\\n'}]\t",
            "[{'role': 'user', 'content': 'tab\\there'}]\t[not python\n",
        );
        let rows = read_all(text, b'\t').unwrap();
        assert_eq!(
            rows,
            vec![(
                concat!(
                    r#"{"chosen":[{"role":"user","content":"it's"},{"role":"assistant","content":"ok\n"}],"#,
                    r#""rejected":[{"role":"user","content":"tab\there"}],"note":"[not python"}"#
                )
                .to_string(),
                2
            )]
        );
    }

    #[test]
    fn controls_are_escaped_and_bad_rows_are_errors() {
        let rows = read_all("a\n\"x\u{1}\\y\ttab\"\n", b',').unwrap();
        assert_eq!(rows[0].0, r#"{"a":"x\u0001\\y\ttab"}"#);
        let error = read_all("a,b\n1,2\n3\n", b',').unwrap_err();
        assert!(matches!(&error, Error::Source { place, .. } if place == "at line 3"), "{error}");
        assert!(read_all("", b',').unwrap().is_empty());
        assert!(read_all("a,b\n", b',').unwrap().is_empty());
    }
}
