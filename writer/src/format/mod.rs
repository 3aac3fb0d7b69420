//! The file formats Milvus imports, and what each needs to write a group
//! of files from batches of canonical columns.

mod encode;
mod group;
mod numpy;
mod parquet;
mod text;

pub(crate) use group::{Context, GroupWriter};
pub use parquet::Compression;

use std::sync::Arc;

use crate::error::WriteError;
use crate::schema::{DataType, Schema};
use crate::sink::Sink;

/// An output format.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// One `.parquet` file per group (the default, and the fastest to
    /// import).
    Parquet { compression: Compression },
    /// One `.json` file per group: `{"rows": [...]}`.
    Json,
    /// One `.jsonl` file per group: a row per line (Milvus 2.6 and later).
    Jsonl,
    /// One `.csv` file per group, with a header. `null_key` is the cell
    /// text that means null (Milvus's `nullkey` import option, `""` by
    /// default): pass the same option to the import.
    Csv { separator: u8, null_key: String },
    /// One folder per group, holding `<field>.npy` per field (and
    /// `$meta.npy`). Arrays, sparse vectors and nullable fields cannot be
    /// carried.
    Numpy,
}

impl Default for Format {
    fn default() -> Self {
        Format::Parquet {
            compression: Compression::default(),
        }
    }
}

impl Format {
    /// CSV with `,` and an empty null key, as Milvus reads by default.
    pub fn csv() -> Self {
        Format::Csv {
            separator: b',',
            null_key: String::new(),
        }
    }

    /// The format's name, for errors.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Parquet { .. } => "Parquet",
            Format::Json => "JSON",
            Format::Jsonl => "JSONL",
            Format::Csv { .. } => "CSV",
            Format::Numpy => "NumPy",
        }
    }

    /// Refuses a schema the format cannot carry.
    pub(crate) fn check(&self, schema: &Schema) -> Result<(), WriteError> {
        if let Format::Csv { separator, .. } = self
            && matches!(separator, b'\n' | b'\r' | b'"' | 0)
        {
            return Err(WriteError::Config(
                "a CSV separator cannot be a newline, a quote or NUL",
            ));
        }
        if *self != Format::Numpy {
            return Ok(());
        }
        for field in schema.fields().iter().filter(|f| !f.is_generated()) {
            let reason = match field.data_type() {
                DataType::Array { .. } => "Milvus reads no Array field from NumPy files",
                DataType::SparseFloatVector => "NumPy has no sparse vectors",
                DataType::Text | DataType::Geometry | DataType::Timestamptz => {
                    "Milvus's NumPy reader takes strings for VarChar and JSON fields only"
                }
                _ if field.is_nullable() => "Milvus reads no nullable field from NumPy files",
                _ => continue,
            };
            return Err(WriteError::Unsupported {
                format: "NumPy",
                field: field.name().to_owned(),
                reason,
            });
        }
        Ok(())
    }

    /// Opens the files of group `group` (1-based) in the sink.
    pub(crate) fn open(
        &self,
        context: &Arc<Context>,
        sink: &mut dyn Sink,
        group: u32,
    ) -> Result<Box<dyn GroupWriter>, WriteError> {
        Ok(match self {
            Format::Parquet { compression } => Box::new(parquet::ParquetGroup::open(
                context,
                sink,
                &format!("{group}.parquet"),
                *compression,
            )?),
            Format::Json => Box::new(text::TextGroup::open(
                context,
                sink,
                &format!("{group}.json"),
                text::Kind::Json,
            )?),
            Format::Jsonl => Box::new(text::TextGroup::open(
                context,
                sink,
                &format!("{group}.jsonl"),
                text::Kind::Jsonl,
            )?),
            Format::Csv {
                separator,
                null_key,
            } => Box::new(text::TextGroup::open(
                context,
                sink,
                &format!("{group}.csv"),
                text::Kind::Csv {
                    separator: *separator,
                    null_key: null_key.clone(),
                },
            )?),
            Format::Numpy => Box::new(numpy::NumpyGroup::open(context, &group.to_string())?),
        })
    }
}
