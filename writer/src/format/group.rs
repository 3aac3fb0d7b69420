//! What every format's group writer is, and what they share about the
//! schema being written.

use std::sync::Arc;

use arrow_array::RecordBatch;

use crate::canonical::{self, Written};
use crate::error::WriteError;
use crate::schema::Schema;
use crate::sink::Sink;

/// What the formats share about the schema being written.
pub(crate) struct Context {
    pub(crate) schema: Arc<Schema>,
    pub(crate) written: Vec<Written>,
    pub(crate) names: Vec<String>,
    pub(crate) arrow: arrow_schema::SchemaRef,
    /// Target size of a Parquet row group, in bytes before encoding.
    pub(crate) row_group_bytes: usize,
    /// Where NumPy columns are spooled before their headers can be written.
    pub(crate) scratch: std::path::PathBuf,
    /// Threads that may encode text formats.
    pub(crate) threads: usize,
}

impl Context {
    pub(crate) fn new(
        schema: Arc<Schema>,
        row_group_bytes: usize,
        scratch: std::path::PathBuf,
        threads: usize,
    ) -> Self {
        let written = canonical::written_columns(&schema);
        let names = written
            .iter()
            .map(|w| canonical::column_name(&schema, w))
            .collect();
        Context {
            arrow: canonical::arrow_schema(&schema),
            schema,
            written,
            names,
            row_group_bytes,
            scratch,
            threads,
        }
    }
}

/// A file group being written (one file, or one folder of `.npy` files).
pub(crate) trait GroupWriter: Send {
    /// Appends a batch of the canonical schema.
    fn write(&mut self, batch: &RecordBatch, sink: &mut dyn Sink) -> Result<(), WriteError>;
    /// Bytes the group will take, as far as can be told now.
    fn bytes(&self) -> u64;
    /// Ends the group: its files (relative paths) and total bytes.
    fn finish(self: Box<Self>, sink: &mut dyn Sink) -> Result<(Vec<String>, u64), WriteError>;
}
