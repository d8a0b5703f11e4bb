//! Parquet: rows decoded batch by batch through Arrow and rendered as JSON objects by `arrow-json`
//! (strings and large strings as JSON strings, lists as arrays, structs as objects, nulls as
//! `null`, numbers and booleans as themselves).

use std::fs::File;
use std::path::{Path, PathBuf};

use ::parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use arrow_json::writer::{LineDelimited, WriterBuilder};

use super::{Batch, Compression, Container, RecordLocation, RecordReader, RecordSpan};
use crate::Error;

/// Rows decoded at a time: memory stays bounded by one batch of rows (plus the row group's pages
/// being decoded), whatever the file's size.
const ROWS_PER_BATCH: usize = 1024;

/// Reads a Parquet file's rows as JSON objects, `index` counting rows from 0 across the file.
pub(super) struct ParquetReader {
    path: PathBuf,
    batches: ParquetRecordBatchReader,
    /// Rows handed out so far.
    rows: u64,
}

impl ParquetReader {
    pub(super) fn open(path: &Path, file: File) -> Result<ParquetReader, Error> {
        let source = |error: ::parquet::errors::ParquetError| Error::Source {
            path: path.to_path_buf(),
            place: "in the footer".into(),
            message: format!("not a readable Parquet file: {error}"),
        };
        let batches = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(source)?
            .with_batch_size(ROWS_PER_BATCH)
            .build()
            .map_err(source)?;
        Ok(ParquetReader { path: path.to_path_buf(), batches, rows: 0 })
    }

    fn error(&self, message: String) -> Error {
        Error::Source { path: self.path.clone(), place: format!("at row {}", self.rows), message }
    }
}

impl RecordReader for ParquetReader {
    fn container(&self) -> (Container, Compression) {
        (Container::Parquet, Compression::None)
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, Error> {
        loop {
            let rows = match self.batches.next() {
                None => return Ok(None),
                Some(Err(error)) => return Err(self.error(format!("could not decode the Parquet data: {error}"))),
                Some(Ok(rows)) => rows,
            };
            if rows.num_rows() == 0 {
                continue;
            }
            // Explicit nulls: a null column is `"key": null`, as the row has it, not a missing key.
            let mut writer = WriterBuilder::new().with_explicit_nulls(true).build::<_, LineDelimited>(Vec::new());
            if let Err(error) = writer.write(&rows).and_then(|()| writer.finish()) {
                return Err(self.error(format!("could not render the rows as JSON: {error}")));
            }
            let data = writer.into_inner();
            // One line per row: JSON text escapes every line break inside strings.
            let mut records = Vec::with_capacity(rows.num_rows());
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', &data) {
                let index = self.rows + records.len() as u64;
                records.push(RecordSpan {
                    range: start..end,
                    location: RecordLocation { line: None, index: Some(index) },
                    oversized: None,
                });
                start = end + 1;
            }
            if records.len() != rows.num_rows() || start != data.len() {
                return Err(self.error(format!("{} rows rendered as {} JSON lines", rows.num_rows(), records.len())));
            }
            self.rows += records.len() as u64;
            return Ok(Some(Batch { data, records }));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ::parquet::arrow::ArrowWriter;
    use ::parquet::basic::Compression as Codec;
    use ::parquet::file::properties::WriterProperties;
    use arrow_array::builder::{ListBuilder, StringBuilder, StructBuilder};
    use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, LargeStringArray, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Fields};

    use super::*;

    fn messages(rows: &[&[(&str, &str)]]) -> ArrayRef {
        let fields =
            Fields::from(vec![Field::new("role", DataType::Utf8, true), Field::new("content", DataType::Utf8, true)]);
        let values = StructBuilder::new(
            fields.clone(),
            vec![
                Box::new(StringBuilder::new()) as Box<dyn arrow_array::builder::ArrayBuilder>,
                Box::new(StringBuilder::new()),
            ],
        );
        let mut builder =
            ListBuilder::new(values).with_field(Arc::new(Field::new("item", DataType::Struct(fields), true)));
        for row in rows {
            for (role, content) in *row {
                let item = builder.values();
                item.field_builder::<StringBuilder>(0).unwrap().append_value(role);
                item.field_builder::<StringBuilder>(1).unwrap().append_value(content);
                item.append(true);
            }
            builder.append(true);
        }
        Arc::new(builder.finish())
    }

    #[test]
    fn rows_come_out_as_json_objects() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train-00000-of-00001.parquet");
        let batch = RecordBatch::try_from_iter(vec![
            (
                "prompt",
                Arc::new(StringArray::from(vec![Some("Capital of \"France\"?\n"), None, Some("b")])) as ArrayRef,
            ),
            ("chosen", messages(&[&[("user", "hi"), ("assistant", "Paris")], &[], &[("assistant", "é")]])),
            ("large", Arc::new(LargeStringArray::from(vec!["x", "y", "z"])) as ArrayRef),
            ("score", Arc::new(Float64Array::from(vec![Some(0.5), Some(f64::NAN), None])) as ArrayRef),
            ("n", Arc::new(Int64Array::from(vec![1, -2, 3])) as ArrayRef),
            ("ok", Arc::new(BooleanArray::from(vec![true, false, true])) as ArrayRef),
        ])
        .unwrap();
        let file = File::create(&path).unwrap();
        let properties =
            WriterProperties::builder().set_compression(Codec::SNAPPY).set_max_row_group_row_count(Some(2)).build();
        let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties)).unwrap();
        writer.write(&batch).unwrap();
        writer.write(&batch.slice(0, 1)).unwrap();
        writer.close().unwrap();

        let mut reader = crate::convert::container::open(&path).unwrap();
        assert_eq!(reader.container(), (Container::Parquet, Compression::None));
        let mut rows = Vec::new();
        while let Some(batch) = reader.next_batch().unwrap() {
            for (text, location) in batch.iter() {
                assert_eq!(location, RecordLocation { line: None, index: Some(rows.len() as u64) });
                rows.push(String::from_utf8(text.to_vec()).unwrap());
            }
        }
        let first = concat!(
            r#"{"prompt":"Capital of \"France\"?\n","chosen":[{"role":"user","content":"hi"},{"role":"assistant","content":"Paris"}],"#,
            r#""large":"x","score":0.5,"n":1,"ok":true}"#
        );
        assert_eq!(
            rows,
            vec![
                first,
                r#"{"prompt":null,"chosen":[],"large":"y","score":null,"n":-2,"ok":false}"#,
                r#"{"prompt":"b","chosen":[{"role":"assistant","content":"é"}],"large":"z","score":null,"n":3,"ok":true}"#,
                first,
            ]
        );
    }

    #[test]
    fn a_broken_file_is_a_source_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.parquet");
        std::fs::write(&path, b"PAR1 not really parquet").unwrap();
        let error = crate::convert::container::open(&path).err().unwrap();
        assert!(matches!(&error, Error::Source { place, .. } if place == "in the footer"), "{error}");
    }
}
