//! Writes the data files that Milvus and Zilliz Cloud bulk import reads.

mod canonical;
mod columns;
pub mod error;
mod rows;
pub mod schema;

pub use error::{Reason, RowError, SchemaError, WriteError};
pub use schema::{
    BinaryDim, DataType, DefaultValue, Dim, ElementType, Field, Schema, SchemaBuilder,
};
