//! Writes the data files that Milvus and Zilliz Cloud bulk import reads.

mod batch;
mod canonical;
mod columns;
pub mod error;
mod format;
mod rows;
pub mod schema;
pub mod sink;
mod writer;

pub use error::{Reason, RowError, SchemaError, WriteError};
pub use format::{Compression, Format};
pub use schema::{
    BinaryDim, DataType, DefaultValue, Dim, ElementType, Field, Schema, SchemaBuilder,
};
pub use writer::{
    BadRows, DEFAULT_FILE_SIZE, DEFAULT_ROW_GROUP_BYTES, FileGroup, Summary, Writer, WriterBuilder,
};
