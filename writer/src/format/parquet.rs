//! Parquet: one file per group, written a row group at a time so memory
//! stays at about one row group whatever the file size.
//!
//! The Arrow schema is not embedded (`ARROW:schema`): the Parquet types
//! alone read back as the canonical Arrow types, and a reader is never
//! steered to other types than the file holds. Vector columns skip
//! dictionary encoding, statistics and compression, which cost time and buy
//! nothing on random floats (every Milvus reads uncompressed columns).

use std::sync::Arc;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::Compression as ParquetCompression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::group::{Context, GroupWriter};
use crate::canonical::Shape;
use crate::error::WriteError;
use crate::sink::{Sink, SinkFile};

/// Parquet compression: both read by every Milvus from 2.3 on (LZ4 is
/// refused by 2.3, so it is not offered).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    #[default]
    Snappy,
    /// Needs the crate feature `zstd`.
    #[cfg(feature = "zstd")]
    Zstd,
    None,
}

pub(crate) struct ParquetGroup {
    path: String,
    writer: ArrowWriter<Box<dyn SinkFile>>,
    row_group_bytes: usize,
}

impl ParquetGroup {
    pub(crate) fn open(
        context: &Arc<Context>,
        sink: &mut dyn Sink,
        path: &str,
        compression: Compression,
    ) -> Result<Self, WriteError> {
        let file = sink.create(path)?;
        let compression = match compression {
            Compression::Snappy => ParquetCompression::SNAPPY,
            #[cfg(feature = "zstd")]
            Compression::Zstd => ParquetCompression::ZSTD(Default::default()),
            Compression::None => ParquetCompression::UNCOMPRESSED,
        };
        let mut props = WriterProperties::builder()
            .set_compression(compression)
            .set_created_by(concat!("zilliz-import-writer ", env!("CARGO_PKG_VERSION")).to_owned())
            // Row groups are ended by size, in `write`.
            .set_max_row_group_row_count(None);
        for (written, name) in context.written.iter().zip(&context.names) {
            let is_vector = written
                .field
                .is_some_and(|i| context.schema.fields()[i].data_type().is_vector());
            if is_vector && matches!(written.shape, Shape::List(_)) {
                let leaf = ColumnPath::new(vec![name.clone(), "list".into(), "item".into()]);
                props = props
                    .set_column_dictionary_enabled(leaf.clone(), false)
                    .set_column_compression(leaf.clone(), ParquetCompression::UNCOMPRESSED)
                    .set_column_statistics_enabled(leaf, EnabledStatistics::None);
            }
        }
        let options = ArrowWriterOptions::new()
            .with_properties(props.build())
            .with_skip_arrow_metadata(true);
        let writer = ArrowWriter::try_new_with_options(file, context.arrow.clone(), options)?;
        Ok(ParquetGroup {
            path: path.to_owned(),
            writer,
            row_group_bytes: context.row_group_bytes,
        })
    }
}

impl GroupWriter for ParquetGroup {
    fn write(&mut self, batch: &RecordBatch, _sink: &mut dyn Sink) -> Result<(), WriteError> {
        self.writer.write(batch)?;
        if self.writer.in_progress_size() >= self.row_group_bytes {
            self.writer.flush()?;
        }
        Ok(())
    }

    fn bytes(&self) -> u64 {
        (self.writer.bytes_written() + self.writer.in_progress_size()) as u64
    }

    fn finish(self: Box<Self>, _sink: &mut dyn Sink) -> Result<(Vec<String>, u64), WriteError> {
        let ParquetGroup { path, writer, .. } = *self;
        let file = writer.into_inner()?;
        let bytes = file.close()?;
        Ok((vec![path], bytes))
    }
}
