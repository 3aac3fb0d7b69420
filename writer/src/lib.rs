#![doc = include_str!("../README.md")]

// The model: what a collection holds, and what can go wrong.
pub mod error;
pub mod schema;

// Rows and batches in, checked, into column buffers of canonical types.
mod batch;
mod canonical;
mod columns;
mod csv_rows;
mod json_rows;
mod jsonl;
mod rows;
mod strings;

// Files out: the formats, where they go, and the writer that drives both.
mod format;
pub mod sink;
mod writer;

// Files into an object store (feature `object-store`).
#[cfg(feature = "object-store")]
mod object_store_sink;

pub use error::{Reason, RowError, SchemaError, WriteError};
pub use format::{Compression, Format};
#[cfg(feature = "object-store")]
pub use object_store_sink::{DEFAULT_PART_SIZE, DEFAULT_UPLOAD_CONCURRENCY, ObjectStoreSink};
pub use schema::{
    BinaryDim, DataType, DefaultValue, Dim, ElementType, Field, Schema, SchemaBuilder,
};
pub use sink::{LocalDir, Sink, SinkFile};
pub use writer::{
    BadRows, DEFAULT_FILE_SIZE, DEFAULT_MAX_GROUPS, DEFAULT_ROW_GROUP_BYTES, FileGroup, Summary,
    Writer, WriterBuilder,
};
